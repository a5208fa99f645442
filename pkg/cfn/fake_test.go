package cfn_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

// fakeCFN is CloudFormation as its API reference describes it, for what
// moto does not model: change sets with real diffs (Modify, replacements),
// empty change sets (FAILED, "didn't contain changes"), stacks busy with
// another operation, failed operations with their events. It holds one
// stack; what a change set changes and how an execution ends are scripted.
// A call outside those the test allows (allow) fails the test.
type fakeCFN struct {
	t     testing.TB
	allow map[string]bool // the calls the test expects; others fail it

	mu       sync.Mutex
	calls    map[string]int
	stack    *types.Stack         // nil: no stack
	template string               // GetTemplate's answer
	statuses []types.StackStatus  // DescribeStacks answers these first, one per call, then stays at the last
	csReason string               // a change set FAILED with this reason when set
	changes  []types.Change       // what a change set holds, two per page
	execute  []types.StackStatus  // the statuses the stack goes through once executed
	happen   []types.StackEvent   // events the execution adds, oldest first, after its first
	events   []types.StackEvent   // newest first, as DescribeStackEvents answers
	sets     map[string]changeSet // by name and by id
	policy   string
	created  []*cloudformation.CreateChangeSetInput
	executed []*cloudformation.ExecuteChangeSetInput
}

type changeSet struct {
	id, name, kind string
	status         types.ChangeSetStatus
	exec           types.ExecutionStatus
	reason         string
	polls          int
	created        time.Time
}

const (
	fakeStackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1f2e3d4c-0000-4000-8000-000000000001"
	fakeCSID    = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/%s/0000-%d"
)

func newFake(t testing.TB, allow ...string) *fakeCFN {
	f := &fakeCFN{t: t, allow: map[string]bool{}, calls: map[string]int{}, sets: map[string]changeSet{}}
	for _, a := range allow {
		f.allow[a] = true
	}
	return f
}

// call counts a call and fails the test when it was not allowed.
func (f *fakeCFN) call(name string) error {
	f.calls[name]++
	if !f.allow[name] {
		f.t.Errorf("unexpected call %s", name)
		return fmt.Errorf("unexpected call %s", name)
	}
	return nil
}

func (f *fakeCFN) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// withStack gives the fake an existing stack in status, its template and
// parameters.
func (f *fakeCFN) withStack(status types.StackStatus, template string, params ...string) *fakeCFN {
	s := &types.Stack{StackId: aws.String(fakeStackID), StackName: aws.String("app"), StackStatus: status,
		CreationTime: aws.Time(time.Unix(1700000000, 0)), EnableTerminationProtection: aws.Bool(false),
		Outputs: []types.Output{{OutputKey: aws.String("Url"), OutputValue: aws.String("https://app.example.com")}}}
	for i := 0; i+1 < len(params); i += 2 {
		s.Parameters = append(s.Parameters, types.Parameter{ParameterKey: aws.String(params[i]), ParameterValue: aws.String(params[i+1])})
	}
	f.stack, f.template = s, template
	f.addEvent("app", "AWS::CloudFormation::Stack", string(status), "")
	return f
}

func (f *fakeCFN) addEvent(logical, typ, status, reason string) {
	n := len(f.events) + 1
	e := types.StackEvent{EventId: aws.String("e" + strconv.Itoa(n)), StackId: aws.String(fakeStackID), StackName: aws.String("app"),
		LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status),
		Timestamp: aws.Time(time.Unix(1700000000+int64(n), 0))}
	if reason != "" {
		e.ResourceStatusReason = aws.String(reason)
	}
	f.events = append([]types.StackEvent{e}, f.events...)
}

func validation(msg string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: msg}
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeStacks"); err != nil {
		return nil, err
	}
	if f.stack == nil {
		return nil, validation(fmt.Sprintf("Stack with id %s does not exist", aws.ToString(in.StackName)))
	}
	if len(f.statuses) > 0 {
		f.stack.StackStatus = f.statuses[0]
		if len(f.statuses) > 1 {
			f.statuses = f.statuses[1:]
		}
	}
	s := *f.stack
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{s}}, nil
}

func (f *fakeCFN) GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GetTemplate"); err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(f.template)}, nil
}

func (f *fakeCFN) CreateChangeSet(_ context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("CreateChangeSet"); err != nil {
		return nil, err
	}
	f.created = append(f.created, in)
	name := aws.ToString(in.ChangeSetName)
	if _, dup := f.sets[name]; dup {
		return nil, &types.AlreadyExistsException{Message: aws.String("ChangeSet " + name + " already exists")}
	}
	switch {
	case in.ChangeSetType == types.ChangeSetTypeCreate && f.stack == nil:
		f.withStack(types.StackStatusReviewInProgress, "")
		f.stack.Outputs = nil
	case in.ChangeSetType != types.ChangeSetTypeCreate && f.stack == nil:
		return nil, validation("Stack [app] does not exist")
	}
	cs := changeSet{id: fmt.Sprintf(fakeCSID, name, len(f.created)), name: name, kind: string(in.ChangeSetType),
		status: types.ChangeSetStatusCreatePending, exec: types.ExecutionStatusUnavailable, created: fakeNow}
	f.sets[name], f.sets[cs.id] = cs, cs
	return &cloudformation.CreateChangeSetOutput{Id: aws.String(cs.id), StackId: f.stack.StackId}, nil
}

func (f *fakeCFN) DescribeChangeSet(_ context.Context, in *cloudformation.DescribeChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeChangeSet"); err != nil {
		return nil, err
	}
	cs, ok := f.sets[aws.ToString(in.ChangeSetName)]
	if !ok {
		return nil, &types.ChangeSetNotFoundException{Message: aws.String("ChangeSet [" + aws.ToString(in.ChangeSetName) + "] does not exist")}
	}
	// Computed on the second look, as CloudFormation takes a while.
	if cs.polls++; cs.polls >= 2 && cs.status == types.ChangeSetStatusCreatePending {
		cs.status, cs.exec = types.ChangeSetStatusCreateComplete, types.ExecutionStatusAvailable
		if f.csReason != "" {
			cs.status, cs.exec, cs.reason = types.ChangeSetStatusFailed, types.ExecutionStatusUnavailable, f.csReason
		}
	}
	f.sets[cs.name], f.sets[cs.id] = cs, cs
	out := &cloudformation.DescribeChangeSetOutput{ChangeSetId: aws.String(cs.id), ChangeSetName: aws.String(cs.name), StackId: f.stack.StackId,
		StackName: aws.String("app"), Status: cs.status, ExecutionStatus: cs.exec, StatusReason: nonEmpty(cs.reason), CreationTime: aws.Time(cs.created)}
	if cs.status != types.ChangeSetStatusCreateComplete {
		return out, nil
	}
	page := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		page, _ = strconv.Atoi(tok)
	}
	end := min(2*page+2, len(f.changes))
	for _, c := range f.changes[2*page : end] {
		if !aws.ToBool(in.IncludePropertyValues) { // the values come only when asked for
			rc := *c.ResourceChange
			rc.Details = nil
			for _, d := range c.ResourceChange.Details {
				t := *d.Target
				t.BeforeValue, t.AfterValue = nil, nil
				d.Target = &t
				rc.Details = append(rc.Details, d)
			}
			c.ResourceChange = &rc
		}
		out.Changes = append(out.Changes, c)
	}
	if end < len(f.changes) {
		out.NextToken = aws.String(strconv.Itoa(page + 1))
	}
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (f *fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeStackEvents"); err != nil {
		return nil, err
	}
	const perPage = 3
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		start, _ = strconv.Atoi(tok)
	}
	end := min(start+perPage, len(f.events))
	out := &cloudformation.DescribeStackEventsOutput{StackEvents: f.events[start:end]}
	if end < len(f.events) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeCFN) ExecuteChangeSet(_ context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ExecuteChangeSet"); err != nil {
		return nil, err
	}
	f.executed = append(f.executed, in)
	cs, ok := f.sets[aws.ToString(in.ChangeSetName)]
	if !ok || cs.exec != types.ExecutionStatusAvailable {
		return nil, &types.InvalidChangeSetStatusException{Message: aws.String("ChangeSet cannot be executed in its current status")}
	}
	cs.exec = types.ExecutionStatusExecuteInProgress
	f.sets[cs.name], f.sets[cs.id] = cs, cs
	first := "UPDATE_IN_PROGRESS"
	if cs.kind == string(types.ChangeSetTypeCreate) {
		first = "CREATE_IN_PROGRESS"
	}
	f.addEvent("app", "AWS::CloudFormation::Stack", first, "User Initiated")
	for _, e := range f.happen {
		f.addEvent(aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceType), string(e.ResourceStatus), aws.ToString(e.ResourceStatusReason))
	}
	f.statuses = append([]types.StackStatus{types.StackStatus(first)}, f.execute...)
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *fakeCFN) DeleteChangeSet(_ context.Context, in *cloudformation.DeleteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DeleteChangeSet"); err != nil {
		return nil, err
	}
	cs, ok := f.sets[aws.ToString(in.ChangeSetName)]
	if !ok {
		return nil, &types.ChangeSetNotFoundException{Message: aws.String("no such change set")}
	}
	delete(f.sets, cs.name)
	delete(f.sets, cs.id)
	return &cloudformation.DeleteChangeSetOutput{}, nil
}

func (f *fakeCFN) UpdateTerminationProtection(_ context.Context, in *cloudformation.UpdateTerminationProtectionInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("UpdateTerminationProtection"); err != nil {
		return nil, err
	}
	f.stack.EnableTerminationProtection = in.EnableTerminationProtection
	return &cloudformation.UpdateTerminationProtectionOutput{StackId: f.stack.StackId}, nil
}

func (f *fakeCFN) GetStackPolicy(context.Context, *cloudformation.GetStackPolicyInput, ...func(*cloudformation.Options)) (*cloudformation.GetStackPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GetStackPolicy"); err != nil {
		return nil, err
	}
	return &cloudformation.GetStackPolicyOutput{StackPolicyBody: nonEmpty(f.policy)}, nil
}

func (f *fakeCFN) SetStackPolicy(_ context.Context, in *cloudformation.SetStackPolicyInput, _ ...func(*cloudformation.Options)) (*cloudformation.SetStackPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("SetStackPolicy"); err != nil {
		return nil, err
	}
	f.policy = aws.ToString(in.StackPolicyBody)
	return &cloudformation.SetStackPolicyOutput{}, nil
}

// resourceChange is one row of a change set as DescribeChangeSet gives it.
func resourceChange(action types.ChangeAction, logical, physical, typ string, repl types.Replacement, details ...types.ResourceChangeDetail) types.Change {
	rc := &types.ResourceChange{Action: action, LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ),
		Replacement: repl, Details: details}
	if physical != "" {
		rc.PhysicalResourceId = aws.String(physical)
	}
	return types.Change{Type: types.ChangeTypeResource, ResourceChange: rc}
}

// property is a change detail: a property, whether it recreates, and its
// values before and after.
func property(name string, rec types.RequiresRecreation, before, after string) types.ResourceChangeDetail {
	return types.ResourceChangeDetail{ChangeSource: types.ChangeSourceDirectModification, Evaluation: types.EvaluationTypeStatic,
		Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeProperties, Name: aws.String(name),
			RequiresRecreation: rec, BeforeValue: aws.String(before), AfterValue: aws.String(after)}}
}

// fakeNow is the fake's clock and the Deployer's in these tests.
var fakeNow = time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC)

func fastConfig(events *[]cfn.Event) cfn.Config {
	c := cfn.Config{PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond, Region: "us-east-1",
		Now: func() time.Time { return fakeNow }}
	if events != nil {
		c.Events = func(b []cfn.Event) { *events = append(*events, b...) }
	}
	return c
}
