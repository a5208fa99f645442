package cfn_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// stackSetFake is one stack set in CloudFormation, shaped after the API
// reference of the calls the deployer makes, for what moto 5.2.1 cannot
// show: operations that stay QUEUED or RUNNING a while, instances that
// fail (and the operation with them past the failure tolerance), a set
// busy with another operation (OperationInProgressException), instances
// left OUTDATED, NoEcho parameters, organizational units, pages.
//
// A call the API would refuse, or that the deployer should never make
// (creating an instance that exists, an operation id without the run's
// prefix, a CallAs other than the set's), fails the test; the scenarios
// compare the calls made, by operation, with what they expect.
type stackSetFake struct {
	t      testing.TB
	callAs types.CallAs // every call must carry it

	// Scripts.
	busy     int                             // the next N UpdateStackSet/CreateStackInstances calls answer OperationInProgressException
	statuses []types.StackSetOperationStatus // what DescribeStackSetOperation answers for an operation, in turn; then its final status
	fail     map[string]string               // "account/region" → reason: the instance fails
	units    map[string][]string             // organizational unit → its accounts
	pageSize int                             // list pages hold at most this many items (default 100)
	stopAt   string                          // operations are stopped (StopStackSetOperation by someone) before this region

	mu        sync.Mutex
	calls     map[string]int
	set       *types.StackSet // nil: no such stack set
	instances []types.StackInstanceSummary
	ops       map[string]*stackSetFakeOp
	opIDs     []string // in the order started

	creates   []*cloudformation.CreateStackSetInput
	updates   []*cloudformation.UpdateStackSetInput
	instCalls []*cloudformation.CreateStackInstancesInput
}

type stackSetFakeOp struct {
	action  types.StackSetOperationAction
	polls   int
	final   types.StackSetOperationStatus
	results []types.StackSetOperationResultSummary
}

func newStackSetFake(t testing.TB) *stackSetFake {
	return &stackSetFake{t: t, calls: map[string]int{}, ops: map[string]*stackSetFakeOp{}, fail: map[string]string{}}
}

// deployed gives the fake an existing stack set with instances in
// accounts × regions (self-managed), all CURRENT.
func (f *stackSetFake) deployed(template string, params map[string]string, accounts, regions []string) {
	f.set = &types.StackSet{
		StackSetName: aws.String("web"), StackSetId: aws.String("web:8f1a7b2c-0000-4000-8000-000000000001"),
		TemplateBody: aws.String(template), PermissionModel: types.PermissionModelsSelfManaged, Status: types.StackSetStatusActive,
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		f.set.Parameters = append(f.set.Parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	for _, a := range accounts {
		for _, r := range regions {
			f.instances = append(f.instances, types.StackInstanceSummary{Account: aws.String(a), Region: aws.String(r), Status: types.StackInstanceStatusCurrent})
		}
	}
}

func (f *stackSetFake) count(op string) {
	f.calls[op]++
}

// Calls returns the calls made so far, by operation.
func (f *stackSetFake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

func (f *stackSetFake) checkCallAs(op string, callAs types.CallAs) {
	if callAs != f.callAs {
		f.t.Errorf("%s with CallAs %q, want %q", op, callAs, f.callAs)
	}
}

func (f *stackSetFake) checkName(op string, name *string) error {
	if aws.ToString(name) != "web" {
		f.t.Errorf("%s of stack set %q, want \"web\"", op, aws.ToString(name))
	}
	if f.set == nil {
		f.t.Errorf("%s of stack set %q, which does not exist", op, aws.ToString(name))
		return &types.StackSetNotFoundException{Message: aws.String("StackSet web not found")}
	}
	return nil
}

func (f *stackSetFake) DescribeStackSet(_ context.Context, in *cloudformation.DescribeStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DescribeStackSet")
	f.checkCallAs("DescribeStackSet", in.CallAs)
	if f.set == nil {
		return nil, &types.StackSetNotFoundException{Message: aws.String("StackSet " + aws.ToString(in.StackSetName) + " not found")}
	}
	s := *f.set
	return &cloudformation.DescribeStackSetOutput{StackSet: &s}, nil
}

func (f *stackSetFake) CreateStackSet(_ context.Context, in *cloudformation.CreateStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("CreateStackSet")
	f.checkCallAs("CreateStackSet", in.CallAs)
	f.creates = append(f.creates, in)
	if f.set != nil {
		f.t.Errorf("CreateStackSet of %q, which exists", aws.ToString(in.StackSetName))
		return nil, &types.NameAlreadyExistsException{Message: aws.String("StackSet already exists")}
	}
	if !strings.HasPrefix(aws.ToString(in.ClientRequestToken), "ferry-") {
		f.t.Errorf("CreateStackSet with client request token %q, want the run's", aws.ToString(in.ClientRequestToken))
	}
	if (in.TemplateBody == nil) == (in.TemplateURL == nil) {
		f.t.Errorf("CreateStackSet: want one of TemplateBody and TemplateURL, have body %v, URL %v", in.TemplateBody != nil, in.TemplateURL != nil)
		return nil, errors.New("ValidationError: exactly one of TemplateBody or TemplateUrl must be specified")
	}
	f.set = &types.StackSet{
		StackSetName: in.StackSetName, StackSetId: aws.String(aws.ToString(in.StackSetName) + ":8f1a7b2c-0000-4000-8000-000000000001"),
		TemplateBody: in.TemplateBody, Parameters: in.Parameters, Tags: in.Tags, Capabilities: in.Capabilities,
		PermissionModel: in.PermissionModel, AutoDeployment: in.AutoDeployment, Status: types.StackSetStatusActive,
	}
	return &cloudformation.CreateStackSetOutput{StackSetId: f.set.StackSetId}, nil
}

// start checks an operation id and the set's availability.
func (f *stackSetFake) start(op string, id *string) error {
	if !strings.HasPrefix(aws.ToString(id), "ferry-") {
		f.t.Errorf("%s with operation id %q, want the run's prefix", op, aws.ToString(id))
	}
	if f.busy > 0 {
		f.busy--
		return &types.OperationInProgressException{Message: aws.String("Another Operation on StackSet arn:aws:cloudformation:us-east-1:123456789012:stackset/web is in progress")}
	}
	if _, ok := f.ops[aws.ToString(id)]; ok {
		return &types.OperationIdAlreadyExistsException{Message: aws.String("The operation ID already exists.")}
	}
	for _, o := range f.ops {
		if o.polls < len(f.statuses) {
			f.t.Errorf("%s while an operation of ours is still %s: the deployer must wait for it", op, f.statuses[o.polls])
		}
	}
	return nil
}

// run plays an operation over targets, in region order: an instance in
// f.fail fails; past the failure tolerance the operation fails and the
// regions after are cancelled.
func (f *stackSetFake) run(id string, action types.StackSetOperationAction, targets []types.StackInstanceSummary, regions []string, pr *types.StackSetOperationPreferences) {
	tolerance := 0
	if pr != nil {
		tolerance = int(aws.ToInt32(pr.FailureToleranceCount))
		if len(pr.RegionOrder) > 0 {
			regions = append(slices.Clone(pr.RegionOrder), slices.DeleteFunc(slices.Clone(regions), func(r string) bool { return slices.Contains(pr.RegionOrder, r) })...)
		}
	}
	op := &stackSetFakeOp{action: action, final: types.StackSetOperationStatusSucceeded}
	for _, r := range regions {
		if r == f.stopAt && op.final == types.StackSetOperationStatusSucceeded {
			op.final = types.StackSetOperationStatusStopped
		}
		failed := 0
		for _, t := range targets {
			if aws.ToString(t.Region) != r {
				continue
			}
			res := types.StackSetOperationResultSummary{Account: t.Account, Region: t.Region, OrganizationalUnitId: t.OrganizationalUnitId, Status: types.StackSetOperationResultStatusSucceeded}
			reason, fails := f.fail[aws.ToString(t.Account)+"/"+r]
			switch {
			case op.final == types.StackSetOperationStatusFailed: // not attempted
				res.Status = types.StackSetOperationResultStatusCancelled
				res.StatusReason = aws.String("Cancelled since failure tolerance has exceeded")
			case op.final == types.StackSetOperationStatusStopped:
				res.Status = types.StackSetOperationResultStatusCancelled
				res.StatusReason = aws.String("Cancelled since the operation was stopped")
			case fails:
				res.Status = types.StackSetOperationResultStatusFailed
				res.StatusReason = aws.String(reason)
				failed++
			}
			op.results = append(op.results, res)
			f.setInstance(t, res.Status == types.StackSetOperationResultStatusSucceeded)
		}
		if failed > tolerance {
			op.final = types.StackSetOperationStatusFailed
		}
	}
	f.ops[id] = op
	f.opIDs = append(f.opIDs, id)
}

// setInstance records the instance, CURRENT when its operation succeeded.
func (f *stackSetFake) setInstance(t types.StackInstanceSummary, ok bool) {
	t.Status = types.StackInstanceStatusCurrent
	if !ok {
		t.Status = types.StackInstanceStatusOutdated
	}
	for i, have := range f.instances {
		if aws.ToString(have.Account) == aws.ToString(t.Account) && aws.ToString(have.Region) == aws.ToString(t.Region) {
			f.instances[i].Status = t.Status
			return
		}
	}
	f.instances = append(f.instances, t)
}

func (f *stackSetFake) UpdateStackSet(_ context.Context, in *cloudformation.UpdateStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateStackSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("UpdateStackSet")
	f.checkCallAs("UpdateStackSet", in.CallAs)
	f.updates = append(f.updates, in)
	if err := f.checkName("UpdateStackSet", in.StackSetName); err != nil {
		return nil, err
	}
	if len(in.Accounts) > 0 || len(in.Regions) > 0 || in.DeploymentTargets != nil {
		f.t.Errorf("UpdateStackSet naming targets (accounts %q, regions %q): want every instance of the set", in.Accounts, in.Regions)
	}
	if err := f.start("UpdateStackSet", in.OperationId); err != nil {
		return nil, err
	}
	f.set.TemplateBody, f.set.Parameters = in.TemplateBody, in.Parameters
	if in.Tags != nil {
		f.set.Tags = in.Tags
	}
	var regions []string
	for _, i := range f.instances {
		if !slices.Contains(regions, aws.ToString(i.Region)) {
			regions = append(regions, aws.ToString(i.Region))
		}
	}
	f.run(aws.ToString(in.OperationId), types.StackSetOperationActionUpdate, slices.Clone(f.instances), regions, in.OperationPreferences)
	return &cloudformation.UpdateStackSetOutput{OperationId: in.OperationId}, nil
}

func (f *stackSetFake) CreateStackInstances(_ context.Context, in *cloudformation.CreateStackInstancesInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("CreateStackInstances")
	f.checkCallAs("CreateStackInstances", in.CallAs)
	f.instCalls = append(f.instCalls, in)
	if err := f.checkName("CreateStackInstances", in.StackSetName); err != nil {
		return nil, err
	}
	var targets []types.StackInstanceSummary
	switch f.set.PermissionModel {
	case types.PermissionModelsServiceManaged:
		if len(in.Accounts) > 0 || in.DeploymentTargets == nil || len(in.DeploymentTargets.OrganizationalUnitIds) == 0 {
			f.t.Errorf("CreateStackInstances of a service-managed set: want organizational units, have accounts %q", in.Accounts)
			return nil, errors.New("ValidationError: StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit as target")
		}
		for _, ou := range in.DeploymentTargets.OrganizationalUnitIds {
			for _, r := range in.Regions {
				for _, a := range f.units[ou] {
					targets = append(targets, types.StackInstanceSummary{Account: aws.String(a), Region: aws.String(r), OrganizationalUnitId: aws.String(ou)})
				}
			}
		}
	default:
		if in.DeploymentTargets != nil || len(in.Accounts) == 0 {
			f.t.Errorf("CreateStackInstances of a self-managed set: want accounts, have %+v", in.DeploymentTargets)
			return nil, errors.New("ValidationError: StackSets with SELF_MANAGED permission model can only have accounts as target")
		}
		for _, a := range in.Accounts {
			for _, r := range in.Regions {
				targets = append(targets, types.StackInstanceSummary{Account: aws.String(a), Region: aws.String(r)})
			}
		}
	}
	for _, t := range targets {
		for _, have := range f.instances {
			if aws.ToString(have.Account) == aws.ToString(t.Account) && aws.ToString(have.Region) == aws.ToString(t.Region) {
				f.t.Errorf("CreateStackInstances of %s/%s, which exists", aws.ToString(t.Account), aws.ToString(t.Region))
			}
		}
	}
	if err := f.start("CreateStackInstances", in.OperationId); err != nil {
		return nil, err
	}
	f.run(aws.ToString(in.OperationId), types.StackSetOperationActionCreate, targets, in.Regions, in.OperationPreferences)
	return &cloudformation.CreateStackInstancesOutput{OperationId: in.OperationId}, nil
}

func (f *stackSetFake) DescribeStackSetOperation(_ context.Context, in *cloudformation.DescribeStackSetOperationInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOperationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DescribeStackSetOperation")
	f.checkCallAs("DescribeStackSetOperation", in.CallAs)
	if err := f.checkName("DescribeStackSetOperation", in.StackSetName); err != nil {
		return nil, err
	}
	op, ok := f.ops[aws.ToString(in.OperationId)]
	if !ok {
		f.t.Errorf("DescribeStackSetOperation of unknown operation %q", aws.ToString(in.OperationId))
		return nil, &types.OperationNotFoundException{Message: aws.String("Operation not found")}
	}
	status := op.final
	if op.polls < len(f.statuses) {
		status = f.statuses[op.polls]
	}
	op.polls++
	out := &types.StackSetOperation{OperationId: in.OperationId, Action: op.action, Status: status, StackSetId: f.set.StackSetId}
	if status == types.StackSetOperationStatusFailed {
		out.StatusReason = aws.String("The Operation " + aws.ToString(in.OperationId) + " has failed to create stacks in one or more regions")
	}
	return &cloudformation.DescribeStackSetOperationOutput{StackSetOperation: out}, nil
}

// page returns the items of the page NextToken names, and the next token.
func stackSetPage[T any](f *stackSetFake, items []T, token *string) ([]T, *string) {
	size := f.pageSize
	if size <= 0 {
		size = 100
	}
	from := 0
	if token != nil {
		n, err := strconv.Atoi(*token)
		if err != nil || n < 0 || n > len(items) {
			f.t.Errorf("NextToken %q: not one the fake gave", *token)
			return nil, nil
		}
		from = n
	}
	to := min(from+size, len(items))
	if to < len(items) {
		return items[from:to], aws.String(strconv.Itoa(to))
	}
	return items[from:to], nil
}

func (f *stackSetFake) ListStackInstances(_ context.Context, in *cloudformation.ListStackInstancesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("ListStackInstances")
	f.checkCallAs("ListStackInstances", in.CallAs)
	if err := f.checkName("ListStackInstances", in.StackSetName); err != nil {
		return nil, err
	}
	items, next := stackSetPage(f, slices.Clone(f.instances), in.NextToken)
	return &cloudformation.ListStackInstancesOutput{Summaries: items, NextToken: next}, nil
}

func (f *stackSetFake) ListStackSetOperationResults(_ context.Context, in *cloudformation.ListStackSetOperationResultsInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackSetOperationResultsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("ListStackSetOperationResults")
	f.checkCallAs("ListStackSetOperationResults", in.CallAs)
	if err := f.checkName("ListStackSetOperationResults", in.StackSetName); err != nil {
		return nil, err
	}
	op, ok := f.ops[aws.ToString(in.OperationId)]
	if !ok {
		f.t.Errorf("ListStackSetOperationResults of unknown operation %q", aws.ToString(in.OperationId))
		return nil, &types.OperationNotFoundException{Message: aws.String("Operation not found")}
	}
	if op.polls <= len(f.statuses) {
		f.t.Errorf("ListStackSetOperationResults of operation %q before it ended", aws.ToString(in.OperationId))
	}
	items, next := stackSetPage(f, op.results, in.NextToken)
	return &cloudformation.ListStackSetOperationResultsOutput{Summaries: items, NextToken: next}, nil
}
