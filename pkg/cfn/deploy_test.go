package cfn_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

const (
	oldTemplate = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
	newTemplate = "Parameters:\n  Env:\n    Type: String\n    Default: dev\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub app-${Env}\n"
)

func event(logical, typ, status, reason string) types.StackEvent {
	return types.StackEvent{LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason)}
}

func apply(template string, params ...cfn.Parameter) cfn.Options {
	return cfn.Options{StackName: "app", TemplateBody: template, Parameters: params, Mode: cfn.ModeApply, ChangeSetName: "ferry-run-1"}
}

// wantCalls checks the fake's call counts; calls not named must be 0.
func wantCalls(t *testing.T, f *fakeCFN, want map[string]int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if testing.Verbose() {
		t.Logf("calls: %v", f.calls)
	}
	for name, n := range want {
		if f.calls[name] != n {
			t.Errorf("%s calls: want %d, have %d", name, n, f.calls[name])
		}
	}
	for name, n := range f.calls {
		if _, ok := want[name]; !ok && n > 0 {
			t.Errorf("%s calls: want none, have %d", name, n)
		}
	}
}

// TestUpdateWithDiff: an update whose change set modifies, replaces,
// adds and removes resources: its rows, read over two pages with the
// property values, then executed and waited for through the cleanup
// phase, the events streamed once each, oldest first.
func TestUpdateWithDiff(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DescribeStackEvents").
		withStack(types.StackStatusUpdateComplete, oldTemplate)
	f.changes = []types.Change{
		resourceChange(types.ChangeActionModify, "Bucket", "app-bucket-1x2y", "AWS::S3::Bucket", types.ReplacementTrue,
			property("BucketName", types.RequiresRecreationAlways, "app-bucket-1x2y", "app-prod")),
		resourceChange(types.ChangeActionModify, "Service", "arn:aws:ecs:us-east-1:123456789012:service/c/web", "AWS::ECS::Service", types.ReplacementConditional,
			property("LoadBalancers", types.RequiresRecreationConditionally, `[{"ContainerPort":80}]`, `[{"ContainerPort":8080}]`)),
		resourceChange(types.ChangeActionAdd, "Topic", "", "AWS::SNS::Topic", ""),
		resourceChange(types.ChangeActionRemove, "Queue", "https://sqs.us-east-1.amazonaws.com/123456789012/old", "AWS::SQS::Queue", ""),
	}
	f.execute = []types.StackStatus{types.StackStatusUpdateInProgress, types.StackStatusUpdateCompleteCleanupInProgress, types.StackStatusUpdateComplete}
	f.happen = []types.StackEvent{
		event("Topic", "AWS::SNS::Topic", "CREATE_IN_PROGRESS", ""),
		event("Topic", "AWS::SNS::Topic", "CREATE_COMPLETE", ""),
		event("Bucket", "AWS::S3::Bucket", "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one."),
		event("Bucket", "AWS::S3::Bucket", "UPDATE_COMPLETE", ""),
		event("app", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", ""),
		event("Queue", "AWS::SQS::Queue", "DELETE_COMPLETE", ""),
	}
	var events []cfn.Event
	res, err := cfn.New(f, nil, fastConfig(&events)).Deploy(context.Background(), apply(newTemplate, cfn.Parameter{Key: "Env", Value: "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Updated || res.StackStatus != "UPDATE_COMPLETE" || res.ChangeSetName != "ferry-run-1" || !strings.Contains(res.ChangeSetID, ":changeSet/ferry-run-1/") {
		t.Errorf("result: want updated, UPDATE_COMPLETE, change set ferry-run-1, have %s, %s, %s %s", res.Status, res.StackStatus, res.ChangeSetName, res.ChangeSetID)
	}
	want := []cfn.Change{
		{Action: "Modify", LogicalID: "Bucket", PhysicalID: "app-bucket-1x2y", Type: "AWS::S3::Bucket", Replacement: "True",
			Details: []string{`Properties.BucketName (replaces): "app-bucket-1x2y" → "app-prod"`}},
		{Action: "Modify", LogicalID: "Service", PhysicalID: "arn:aws:ecs:us-east-1:123456789012:service/c/web", Type: "AWS::ECS::Service", Replacement: "Conditional",
			Details: []string{`Properties.LoadBalancers (may replace): "[{\"ContainerPort\":80}]" → "[{\"ContainerPort\":8080}]"`}},
		{Action: "Add", LogicalID: "Topic", Type: "AWS::SNS::Topic"},
		{Action: "Remove", LogicalID: "Queue", PhysicalID: "https://sqs.us-east-1.amazonaws.com/123456789012/old", Type: "AWS::SQS::Queue"},
	}
	if !reflect.DeepEqual(res.Changes, want) {
		t.Errorf("changes:\nwant %+v\nhave %+v", want, res.Changes)
	}
	var seen []string
	for _, e := range events {
		seen = append(seen, e.LogicalID+" "+e.Status)
	}
	wantEvents := []string{"app UPDATE_IN_PROGRESS", "Topic CREATE_IN_PROGRESS", "Topic CREATE_COMPLETE", "Bucket UPDATE_IN_PROGRESS", "Bucket UPDATE_COMPLETE",
		"app UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "Queue DELETE_COMPLETE"}
	if !reflect.DeepEqual(seen, wantEvents) {
		t.Errorf("events:\nwant %q\nhave %q", wantEvents, seen)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Key != "Url" {
		t.Errorf("outputs: want Url, have %+v", res.Outputs)
	}
	in := f.created[0]
	if in.ChangeSetType != types.ChangeSetTypeUpdate || aws.ToString(in.TemplateBody) != newTemplate || len(in.Parameters) != 1 {
		t.Errorf("CreateChangeSet: want an UPDATE with the template inline and Env, have %s, %d parameters", in.ChangeSetType, len(in.Parameters))
	}
	wantCalls(t, f, map[string]int{"DescribeStacks": 5, "GetTemplate": 1, "CreateChangeSet": 1, "DescribeChangeSet": 4, "ExecuteChangeSet": 1, "DescribeStackEvents": f.calls["DescribeStackEvents"]})
}

// TestNoChangesChangeSet: the template differs in text only; CloudFormation
// finds the change set empty (FAILED, "didn't contain changes"): it is
// deleted, nothing is executed, the stack is unchanged.
func TestNoChangesChangeSet(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet", "DeleteChangeSet").
		withStack(types.StackStatusUpdateComplete, oldTemplate)
	f.csReason = "The submitted information didn't contain changes. Submit different information to create a change set."
	res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), apply("# reviewed\n"+oldTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Unchanged || res.ChangeSetID != "" || !strings.Contains(res.Reason, "didn't contain changes") {
		t.Errorf("result: want unchanged, no change set, CloudFormation's reason, have %s %q %q", res.Status, res.ChangeSetID, res.Reason)
	}
	if len(f.sets) != 0 {
		t.Errorf("change sets left: %v", f.sets)
	}
	wantCalls(t, f, map[string]int{"DescribeStacks": 1, "GetTemplate": 1, "CreateChangeSet": 1, "DescribeChangeSet": 2, "DeleteChangeSet": 1})
}

// TestIdenticalRunMakesNoChangeSet: the deployed template and parameters
// (the template's default included) are those asked for: two reads, no
// change set.
func TestIdenticalRunMakesNoChangeSet(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate").withStack(types.StackStatusUpdateComplete, newTemplate, "Env", "dev")
	res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), apply(newTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Unchanged || res.ChangeSetName != "" || len(res.Outputs) != 1 {
		t.Errorf("result: want unchanged without change set, with the outputs, have %+v", res)
	}
	wantCalls(t, f, map[string]int{"DescribeStacks": 1, "GetTemplate": 1})

	// Another value, or other tags, make a change set.
	for name, o := range map[string]cfn.Options{
		"parameter": apply(newTemplate, cfn.Parameter{Key: "Env", Value: "prod"}),
		"tags":      func() cfn.Options { o := apply(newTemplate); o.Tags = []cfn.Tag{{Key: "team", Value: "web"}}; return o }(),
	} {
		f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet").withStack(types.StackStatusUpdateComplete, newTemplate, "Env", "dev")
		o.Mode = cfn.ModePlan
		res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), o)
		if err != nil || res.Status != cfn.Planned || f.count("CreateChangeSet") != 1 {
			t.Errorf("%s differs: want a change set planned, have %s, %d CreateChangeSet, %v", name, res.Status, f.count("CreateChangeSet"), err)
		}
	}
}

// TestProtectedReplacementRefused: a change set that replaces a protected
// database and deletes a protected table is refused before it runs; a
// protected type merely modified in place is not.
func TestProtectedReplacementRefused(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet").withStack(types.StackStatusUpdateComplete, oldTemplate)
	f.changes = []types.Change{
		resourceChange(types.ChangeActionModify, "Db", "app-db", "AWS::RDS::DBInstance", types.ReplacementTrue,
			property("DBInstanceIdentifier", types.RequiresRecreationAlways, "app-db", "app-db-2")),
		resourceChange(types.ChangeActionRemove, "Table", "app-table", "AWS::DynamoDB::Table", ""),
		resourceChange(types.ChangeActionModify, "Logs", "app-logs", "AWS::S3::Bucket", types.ReplacementFalse,
			property("Tags", types.RequiresRecreationNever, "[]", `[{"Key":"a","Value":"b"}]`)),
	}
	o := apply(newTemplate)
	o.Protect = []string{"AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::S3::Bucket"}
	res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), o)
	var pe *cfn.ProtectedError
	if !errors.Is(err, cfn.ErrProtected) || !errors.As(err, &pe) || len(pe.Changes) != 2 {
		t.Fatalf("want a ProtectedError of 2 changes, have %v", err)
	}
	for _, want := range []string{"replaces Db (AWS::RDS::DBInstance)", "deletes Table (AWS::DynamoDB::Table)", `"ferry-run-1"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if res.Status != cfn.Failed || len(res.Changes) != 3 || res.Changes[2].Protected {
		t.Errorf("result: want failed with 3 changes, the bucket's not protected, have %s %+v", res.Status, res.Changes)
	}
	wantCalls(t, f, map[string]int{"DescribeStacks": 1, "GetTemplate": 1, "CreateChangeSet": 1, "DescribeChangeSet": 4})
}

// TestBusyStackWaitedFor: another update runs; the run waits until it
// ends, then finds the stack as asked.
func TestBusyStackWaitedFor(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate").withStack(types.StackStatusUpdateInProgress, oldTemplate)
	f.statuses = []types.StackStatus{types.StackStatusUpdateInProgress, types.StackStatusUpdateInProgress, types.StackStatusUpdateCompleteCleanupInProgress, types.StackStatusUpdateComplete}
	res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), apply(oldTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Unchanged || res.StackStatus != "UPDATE_COMPLETE" {
		t.Errorf("result: want unchanged, UPDATE_COMPLETE, have %s %s", res.Status, res.StackStatus)
	}
	wantCalls(t, f, map[string]int{"DescribeStacks": 4, "GetTemplate": 1})

	// Waiting ends with the run's deadline, naming the status.
	f = newFake(t, "DescribeStacks").withStack(types.StackStatusUpdateInProgress, oldTemplate)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = cfn.New(f, nil, fastConfig(nil)).Deploy(ctx, apply(oldTemplate))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "UPDATE_IN_PROGRESS") {
		t.Errorf("want the deadline, naming UPDATE_IN_PROGRESS, have %v", err)
	}
}

// TestFailedCreateRollbackComplete: a create fails; the error names the
// first failed resource, not the cancellation that follows nor the
// stack's summary, the final state, and says to delete the stack. A run
// on the stack left so is refused after one read.
func TestFailedCreateRollbackComplete(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DescribeStackEvents")
	f.changes = []types.Change{resourceChange(types.ChangeActionAdd, "Bucket", "", "AWS::S3::Bucket", ""), resourceChange(types.ChangeActionAdd, "Db", "", "AWS::RDS::DBInstance", "")}
	f.execute = []types.StackStatus{types.StackStatusCreateInProgress, types.StackStatusRollbackInProgress, types.StackStatusRollbackComplete}
	f.happen = []types.StackEvent{
		event("Bucket", "AWS::S3::Bucket", "CREATE_IN_PROGRESS", ""),
		event("Db", "AWS::RDS::DBInstance", "CREATE_IN_PROGRESS", ""),
		event("Bucket", "AWS::S3::Bucket", "CREATE_FAILED", "app-assets already exists"),
		event("Db", "AWS::RDS::DBInstance", "CREATE_FAILED", "Resource creation cancelled"),
		event("app", "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Bucket, Db]. Rollback requested by user."),
		event("Db", "AWS::RDS::DBInstance", "DELETE_COMPLETE", ""),
		event("app", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", ""),
	}
	var events []cfn.Event
	res, err := cfn.New(f, nil, fastConfig(&events)).Deploy(context.Background(), apply(oldTemplate))
	var se *cfn.StackError
	if !errors.As(err, &se) || !errors.Is(err, cfn.ErrRollbackComplete) || !errors.Is(err, cfn.ErrStackFailed) {
		t.Fatalf("want a StackError, ErrRollbackComplete, have %v", err)
	}
	if se.RootCause == nil || se.RootCause.LogicalID != "Bucket" || se.Status != "ROLLBACK_COMPLETE" {
		t.Errorf("root cause: want Bucket, ROLLBACK_COMPLETE, have %+v %s", se.RootCause, se.Status)
	}
	for _, want := range []string{"ROLLBACK_COMPLETE", "Bucket (AWS::S3::Bucket) CREATE_FAILED: app-assets already exists", "delete-stack --stack-name app"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if res.Status != cfn.Failed || res.StackStatus != "ROLLBACK_COMPLETE" || len(events) != 8 {
		t.Errorf("result: want failed, ROLLBACK_COMPLETE, 8 events, have %s %s %d", res.Status, res.StackStatus, len(events))
	}
	if in := f.created[0]; in.ChangeSetType != types.ChangeSetTypeCreate {
		t.Errorf("CreateChangeSet: want a CREATE, have %s", in.ChangeSetType)
	}

	if testing.Verbose() {
		t.Logf("calls: %v", f.calls)
	}
	before := f.count("CreateChangeSet")
	_, err = cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), apply(oldTemplate))
	if !errors.Is(err, cfn.ErrRollbackComplete) || !strings.Contains(err.Error(), `stack "app" is in ROLLBACK_COMPLETE, nothing changed`) ||
		!strings.Contains(err.Error(), "delete-stack") || f.count("CreateChangeSet") != before {
		t.Errorf("a run on ROLLBACK_COMPLETE: want refused before any change set, have %v", err)
	}
}

// TestPlanThenExecute: mode plan leaves the change set; mode execute in a
// later step runs it by name (checking protect again) and waits. Executing
// it twice is refused; an unknown name is ErrNoSuchChangeSet.
func TestPlanThenExecute(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DescribeStackEvents",
		"UpdateTerminationProtection", "GetStackPolicy", "SetStackPolicy").withStack(types.StackStatusCreateComplete, oldTemplate)
	f.changes = []types.Change{resourceChange(types.ChangeActionModify, "Bucket", "b", "AWS::S3::Bucket", types.ReplacementFalse)}
	f.execute = []types.StackStatus{types.StackStatusUpdateComplete}
	d := cfn.New(f, nil, fastConfig(nil))
	o := apply(newTemplate)
	o.Mode = cfn.ModePlan
	plan, err := d.Deploy(context.Background(), o)
	if err != nil || plan.Status != cfn.Planned || f.count("ExecuteChangeSet") != 0 {
		t.Fatalf("plan: want planned, no execution, have %s, %d, %v", plan.Status, f.count("ExecuteChangeSet"), err)
	}
	on, policy := true, `{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}`
	exec := cfn.Options{StackName: "app", Mode: cfn.ModeExecute, ChangeSetName: plan.ChangeSetName, TerminationProtection: &on, StackPolicy: policy}
	res, err := d.Deploy(context.Background(), exec)
	if err != nil || res.Status != cfn.Updated || res.ChangeSetID != plan.ChangeSetID || len(res.Changes) != 1 {
		t.Fatalf("execute: want updated by the plan's change set, have %+v, %v", res, err)
	}
	if !reflect.DeepEqual(res.Settings, []string{"termination protection on", "stack policy"}) {
		t.Errorf("settings: want protection and policy, have %q", res.Settings)
	}
	if _, err := d.Deploy(context.Background(), exec); !errors.Is(err, cfn.ErrChangeSetNotExecutable) {
		t.Errorf("executing twice: want ErrChangeSetNotExecutable, have %v", err)
	}
	exec.ChangeSetName = "ferry-nope"
	if _, err := d.Deploy(context.Background(), exec); !errors.Is(err, cfn.ErrNoSuchChangeSet) {
		t.Errorf("unknown change set: want ErrNoSuchChangeSet, have %v", err)
	}
	if n := f.count("ExecuteChangeSet"); n != 1 {
		t.Errorf("ExecuteChangeSet: want 1, have %d", n)
	}
	if n := f.count("SetStackPolicy") + f.count("UpdateTerminationProtection"); n != 2 {
		t.Errorf("settings calls: want 2, have %d", n)
	}
}

// TestChangeSetNameTaken: CreateChangeSet answers AlreadyExists. A change
// set of that name made just now is this run's own (a retry whose first
// answer was lost): it is used. One made long before is not this run's:
// the run stops, executing nothing.
func TestChangeSetNameTaken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		age  time.Duration
		want error
	}{{"retry of this run", 0, nil}, {"an earlier run's", time.Hour, cfn.ErrChangeSetExists}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet").withStack(types.StackStatusUpdateComplete, oldTemplate)
			f.sets["ferry-run-1"] = changeSet{id: "arn:aws:cloudformation:us-east-1:123456789012:changeSet/ferry-run-1/x", name: "ferry-run-1",
				status: types.ChangeSetStatusCreateComplete, exec: types.ExecutionStatusAvailable, created: fakeNow.Add(-tc.age)}
			f.sets[f.sets["ferry-run-1"].id] = f.sets["ferry-run-1"]
			o := apply(newTemplate)
			o.Mode = cfn.ModePlan
			res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), o)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (res.Status == cfn.Planned) {
				t.Errorf("want %v, have %s, %v", tc.want, res.Status, err)
			}
		})
	}
}

// TestFailedUpdateRolledBack: an update fails and rolls back; the error
// names the resource that failed, the final UPDATE_ROLLBACK_COMPLETE and
// that the stack is as before, and the stack can be deployed again.
func TestFailedUpdateRolledBack(t *testing.T) {
	t.Parallel()
	f := newFake(t, "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DescribeStackEvents").
		withStack(types.StackStatusUpdateComplete, oldTemplate)
	f.changes = []types.Change{resourceChange(types.ChangeActionModify, "Service", "web", "AWS::ECS::Service", types.ReplacementFalse)}
	f.execute = []types.StackStatus{types.StackStatusUpdateInProgress, types.StackStatusUpdateRollbackInProgress, types.StackStatusUpdateRollbackComplete}
	f.happen = []types.StackEvent{
		event("Service", "AWS::ECS::Service", "UPDATE_IN_PROGRESS", ""),
		event("Service", "AWS::ECS::Service", "UPDATE_FAILED", "Resource handler returned message: \"Invalid request provided: container web: image not found\""),
		event("app", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Service]."),
		event("Service", "AWS::ECS::Service", "UPDATE_COMPLETE", ""),
		event("app", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", ""),
	}
	res, err := cfn.New(f, nil, fastConfig(nil)).Deploy(context.Background(), apply(newTemplate))
	var se *cfn.StackError
	if !errors.As(err, &se) || errors.Is(err, cfn.ErrRollbackComplete) || se.RootCause == nil || se.RootCause.Status != "UPDATE_FAILED" {
		t.Fatalf("want a StackError rooted in Service's UPDATE_FAILED, have %v", err)
	}
	for _, want := range []string{"ended in UPDATE_ROLLBACK_COMPLETE", "Service (AWS::ECS::Service) UPDATE_FAILED", "image not found", "the stack is as it was before"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if res.Status != cfn.Failed || res.StackStatus != "UPDATE_ROLLBACK_COMPLETE" || len(res.Changes) != 1 {
		t.Errorf("result: want failed, UPDATE_ROLLBACK_COMPLETE, the change, have %+v", res)
	}
}
