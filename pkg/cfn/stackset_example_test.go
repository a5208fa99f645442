package cfn_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

// Deploy a template to two accounts in two regions, two accounts at a
// time, and report each instance.
func ExampleStackSetDeployer_Deploy() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	template, err := os.ReadFile("baseline.yml")
	if err != nil {
		fmt.Println(err)
		return
	}
	maxConcurrent, err := cfn.ParseStackSetAmount(cfn.StackSetFieldMaxConcurrent, "2")
	if err != nil {
		fmt.Println(err)
		return
	}
	d := cfn.NewStackSetDeployer(cloudformation.NewFromConfig(cfg), cfn.StackSetConfig{Logger: slog.Default()})
	res, err := d.Deploy(ctx, cfn.StackSetPlan{
		Name:         "security-baseline",
		TemplateBody: string(template),
		Parameters:   map[string]string{"AlertEmail": "ops@example.com"},
		Capabilities: []string{"CAPABILITY_NAMED_IAM"},
		Accounts:     []string{"111111111111", "222222222222"},
		Regions:      []string{"eu-west-1", "us-east-1"},
		Preferences:  cfn.StackSetPreferences{MaxConcurrent: maxConcurrent, RegionConcurrency: "parallel"},
	})
	var failed *cfn.StackSetOperationError
	if errors.As(err, &failed) && errors.Is(err, cfn.ErrStackSetFailed) {
		for _, r := range failed.Failed() {
			fmt.Println("failed:", r)
		}
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status)
	for _, r := range res.Instances() {
		fmt.Println(r)
	}
}

// Every problem of a plan at once, against the plan's own fields.
func ExampleStackSetPlan_Validate() {
	plan := cfn.StackSetPlan{
		Name:         "security-baseline",
		TemplateBody: "Resources: {}",
		Accounts:     []string{"1111", "222222222222"},
		Regions:      []string{"eu-west-1"},
		Preferences: cfn.StackSetPreferences{
			FailureTolerance: cfn.StackSetAmount{Count: 1, Percentage: 10},
			RegionOrder:      []string{"us-east-1"},
		},
	}
	fmt.Println(plan.Validate())
	// Output:
	// StackSetAccounts: expected 12-digit AWS account ids, found "1111"
	// StackSetFailureTolerance: expected a count or a percentage, not both, found 1 and 10%
	// StackSetRegionOrder: expected regions among those deployed to (eu-west-1), found "us-east-1"
}
