package commands

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/awsauth"
)

func whoami() Command {
	return Command{
		Spec: action.Spec{
			Name:        "whoami",
			Description: "Show the AWS identity ferry runs as (STS GetCallerIdentity): proves credentials, OIDC and role assumption end to end.",
			Inputs:      append(awsInputs(), timeoutInput("2m")),
			Outputs: []action.Output{
				{Name: "account", Description: "AWS account ID of the identity."},
				{Name: "arn", Description: "ARN of the identity, e.g. arn:aws:sts::123456789012:assumed-role/deploy/ferry-org-app-42."},
				{Name: "user-id", Description: "Unique ID of the identity."},
			},
		},
		Run: runWhoami,
	}
}

func runWhoami(ctx context.Context, rt *action.Runtime, b Build) error {
	in := rt.Inputs()
	opts := awsOptions(rt, b)
	timeout := in.Duration("timeout")
	if err := in.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	end := rt.Group("AWS identity")
	defer end()
	cfg, err := loadAWS(ctx, rt, opts)
	if err == nil {
		var id awsauth.Identity
		id, err = awsauth.WhoAmI(ctx, sts.NewFromConfig(cfg))
		if err == nil {
			return report(rt, id)
		}
	}
	return timedOut(ctx, err, timeout)
}

func report(rt *action.Runtime, id awsauth.Identity) error {
	rt.Logger().Info("caller identity", "account", id.Account, "arn", id.ARN, "user_id", id.UserID)
	if err := rt.SetOutputs([2]string{"account", id.Account}, [2]string{"arn", id.ARN}, [2]string{"user-id", id.UserID}); err != nil {
		return err
	}
	return rt.Summary(fmt.Sprintf("### ferry whoami\n\n| Account | ARN | User ID |\n|---|---|---|\n| `%s` | `%s` | `%s` |\n", id.Account, id.ARN, id.UserID))
}
