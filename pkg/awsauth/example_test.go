package awsauth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ferry-ci/ferry/pkg/awsauth"
)

// Load assumes a role with an OIDC token, here one GitLab put in a job
// variable declared under id_tokens. Secrets go to a masking function before
// anything can log them.
func ExampleLoad() {
	ctx := context.Background()
	cfg, err := awsauth.Load(ctx, awsauth.Options{
		Region:          "eu-west-1",
		RoleToAssume:    "arn:aws:iam::123456789012:role/deploy",
		RoleSessionName: "gitlab-" + os.Getenv("CI_PIPELINE_ID"),
		RoleDuration:    30 * time.Minute,
		WebIdentity: func(context.Context) (string, error) {
			token := os.Getenv("AWS_ID_TOKEN")
			if token == "" {
				return "", errors.New("AWS_ID_TOKEN is empty: declare it under id_tokens in the job")
			}
			return token, nil
		},
		Version:  "1.0.0",
		OnSecret: func(secret string) { /* mask secret in the job log */ },
		Logger:   slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*id.Arn)
}

func ExampleOptions_Validate() {
	err := awsauth.Options{
		Region:       "eu-west-1",
		RoleToAssume: "deploy",
		RoleDuration: 24 * time.Hour,
	}.Validate()
	fmt.Println(err)
	// Output:
	// RoleToAssume: expected an IAM role ARN like "arn:aws:iam::123456789012:role/deploy", found "deploy"
	// RoleSessionName: expected a session name when RoleToAssume is set, found none
	// RoleDuration: expected a duration from 15m to 12h, found 24h0m0s
}
