package commands

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/pkg/cfn"
)

// cloudFormationDiff is a change set with a real diff, as DescribeChangeSet
// words it with IncludePropertyValues: a bucket replaced, a service that
// may be replaced, a topic added, a queue removed.
func cloudFormationDiff() []cfn.Change {
	return []cfn.Change{
		{Action: "Modify", LogicalID: "Bucket", PhysicalID: "app-bucket-1x2y", Type: "AWS::S3::Bucket", Replacement: "True",
			Details: []string{`Properties.BucketName (replaces): "app-bucket-1x2y" → "app-prod"`}},
		{Action: "Modify", LogicalID: "Service", PhysicalID: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web", Type: "AWS::ECS::Service", Replacement: "Conditional",
			Details: []string{`Properties.LoadBalancers (may replace): "[{\"ContainerPort\":80}]" → "[{\"ContainerPort\":8080}]"`, `Properties.DesiredCount via parameter DesiredCount: "2" → "3"`}},
		{Action: "Add", LogicalID: "Topic", Type: "AWS::SNS::Topic"},
		{Action: "Remove", LogicalID: "Queue", PhysicalID: "https://sqs.eu-west-1.amazonaws.com/123456789012/old|jobs", Type: "AWS::SQS::Queue"},
	}
}

// TestCloudFormationSummaryGolden renders the job summary of a planned
// change set with a real diff, and of an update refused by protect.
func TestCloudFormationSummaryGolden(t *testing.T) {
	t.Parallel()
	o := cfn.Options{StackName: "app", Mode: cfn.ModePlan}
	res := cfn.Result{Status: cfn.Planned, StackID: "arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e", StackStatus: "UPDATE_COMPLETE",
		ChangeSetName: "ferry-12345678-1-20261204-050000", ChangeSetID: "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/ferry-12345678-1-20261204-050000/9a8b",
		Changes: cloudFormationDiff(), Outputs: []cfn.Output{{Key: "Url", Value: "https://app.example.com"}}}
	golden.Check(t, filepath.Join("testdata", "cloudformation-plan-summary.md"), []byte(cloudFormationSummary(o, res, nil)))

	o.Mode, o.Protect = cfn.ModeApply, []string{"AWS::S3::Bucket"}
	res.Status = cfn.Failed
	res.Changes[0].Protected = true
	err := fmt.Errorf("stack %q: %w", "app", &cfn.ProtectedError{ChangeSet: res.ChangeSetName, Changes: res.Changes[:1]})
	if !errors.Is(err, cfn.ErrProtected) {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "cloudformation-protected-summary.md"), []byte(cloudFormationSummary(o, res, err)))

	// A create that failed: the root cause, the final state, what to do.
	o = cfn.Options{StackName: "app", Mode: cfn.ModeApply}
	failed := cfn.Result{Status: cfn.Failed, StackStatus: "ROLLBACK_COMPLETE", ChangeSetName: "ferry-12345678-1-20261204-050000",
		Changes: []cfn.Change{{Action: "Add", LogicalID: "Assets", Type: "AWS::S3::Bucket"}, {Action: "Add", LogicalID: "Db", Type: "AWS::RDS::DBInstance"}}}
	err = &cfn.StackError{Stack: "app", Status: "ROLLBACK_COMPLETE",
		RootCause: &cfn.Event{LogicalID: "Assets", Type: "AWS::S3::Bucket", Status: "CREATE_FAILED", Reason: "app-assets already exists"},
		Advice:    "the stack's creation failed and was rolled back; a stack in ROLLBACK_COMPLETE cannot be updated: delete it (aws cloudformation delete-stack --stack-name app) and run again"}
	golden.Check(t, filepath.Join("testdata", "cloudformation-failed-summary.md"), []byte(cloudFormationSummary(o, failed, err)))
}

// TestStackSetSummaryGolden renders the job summary of a StackSet created
// across two accounts and two regions, and of an update whose operation
// failed in one instance (the failed instance named in the error, its
// reason in the table).
func TestStackSetSummaryGolden(t *testing.T) {
	t.Parallel()
	plan := cfn.StackSetPlan{Name: "baseline", Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1", "eu-west-1"}}
	instances := func(status ...string) []cfn.StackSetInstanceResult {
		var out []cfn.StackSetInstanceResult
		i := 0
		for _, a := range plan.Accounts {
			for _, r := range []string{"eu-west-1", "us-east-1"} {
				out = append(out, cfn.StackSetInstanceResult{Account: a, Region: r, Status: status[i]})
				i++
			}
		}
		return out
	}
	const id = "baseline:3f6b9c2e-8d41-4a7e-9c0b-5e2f1a7d6c84"
	created := cfn.StackSetResult{Status: cfn.StackSetCreated, StackSetID: id, Operations: []cfn.StackSetOperation{
		{ID: "ferry-0a1b2c3d4e5f-create-1", Action: "CREATE", Status: "SUCCEEDED", Instances: instances("SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED")}}}
	golden.Check(t, filepath.Join("testdata", "cloudformation-stackset-created-summary.md"), []byte(stackSetSummary(plan, created, nil)))

	op := cfn.StackSetOperation{ID: "ferry-6a7b8c9d0e1f-update", Action: "UPDATE", Status: "FAILED", StatusReason: "The Operation failed because the failure tolerance was exceeded",
		Instances: instances("SUCCEEDED", "FAILED", "CANCELLED", "CANCELLED")}
	op.Instances[1].StatusReason = "Account 111111111111 should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'."
	failed := cfn.StackSetResult{Status: cfn.StackSetFailed, StackSetID: id, Changed: []string{"template", "parameters"}, Operations: []cfn.StackSetOperation{op}}
	err := error(&cfn.StackSetOperationError{StackSet: "baseline", Operation: op})
	if !errors.Is(err, cfn.ErrStackSetFailed) {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "cloudformation-stackset-failed-summary.md"), []byte(stackSetSummary(plan, failed, err)))
}
