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
