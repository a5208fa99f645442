package awsauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/pkg/awsauth"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/deploy"
	tests := []struct {
		name string
		opts awsauth.Options
		// want holds a substring of each problem, one line of the error
		// each; nil means valid.
		want []string
	}{
		{name: "zero value", opts: awsauth.Options{}},
		{
			name: "full",
			opts: awsauth.Options{
				Region: "us-gov-west-1", RoleToAssume: role, RoleSessionName: "ferry-run_42@x.y",
				RoleDuration: 12 * time.Hour, MaxAttempts: 10, EndpointURL: "http://127.0.0.1:5000",
			},
		},
		{name: "role with a path", opts: awsauth.Options{RoleToAssume: "arn:aws:iam::123456789012:role/ci/ferry/deploy", RoleSessionName: "s1"}},
		{name: "china partition", opts: awsauth.Options{RoleToAssume: "arn:aws-cn:iam::123456789012:role/deploy", RoleSessionName: "s1"}},
		{name: "shortest duration", opts: awsauth.Options{RoleDuration: 15 * time.Minute}},
		{name: "https endpoint", opts: awsauth.Options{EndpointURL: "https://localhost.localstack.cloud:4566/"}},
		{name: "session name without role", opts: awsauth.Options{RoleSessionName: "ferry"}},
		{
			name: "region with capitals and spaces",
			opts: awsauth.Options{Region: "EU West 1"},
			want: []string{`Region: expected a region name like "eu-west-1", found "EU West 1"`},
		},
		{
			name: "role name instead of ARN",
			opts: awsauth.Options{RoleToAssume: "deploy", RoleSessionName: "s1"},
			want: []string{`RoleToAssume: expected an IAM role ARN like "arn:aws:iam::123456789012:role/deploy", found "deploy"`},
		},
		{
			name: "user ARN",
			opts: awsauth.Options{RoleToAssume: "arn:aws:iam::123456789012:user/deploy", RoleSessionName: "s1"},
			want: []string{`RoleToAssume: expected an IAM role ARN`},
		},
		{
			name: "short account id",
			opts: awsauth.Options{RoleToAssume: "arn:aws:iam::12345:role/deploy", RoleSessionName: "s1"},
			want: []string{`RoleToAssume: expected an IAM role ARN`},
		},
		{
			name: "missing session name",
			opts: awsauth.Options{RoleToAssume: role},
			want: []string{"RoleSessionName: expected a session name when RoleToAssume is set, found none"},
		},
		{
			name: "session name too long",
			opts: awsauth.Options{RoleToAssume: role, RoleSessionName: strings.Repeat("a", 65)},
			want: []string{`RoleSessionName: expected 2 to 64 characters from letters, digits and +=,.@_-, found "` + strings.Repeat("a", 65) + `" (65 characters)`},
		},
		{
			name: "session name too short",
			opts: awsauth.Options{RoleToAssume: role, RoleSessionName: "a"},
			want: []string{`found "a" (1 characters)`},
		},
		{
			name: "session name with a space and a slash",
			opts: awsauth.Options{RoleToAssume: role, RoleSessionName: "my run/1"},
			want: []string{`RoleSessionName: expected 2 to 64 characters from letters, digits and +=,.@_-, found "my run/1"`},
		},
		{
			name: "duration too short",
			opts: awsauth.Options{RoleDuration: 5 * time.Minute},
			want: []string{"RoleDuration: expected a duration from 15m to 12h, found 5m0s"},
		},
		{
			name: "duration too long",
			opts: awsauth.Options{RoleDuration: 13 * time.Hour},
			want: []string{"RoleDuration: expected a duration from 15m to 12h, found 13h0m0s"},
		},
		{
			name: "negative max attempts",
			opts: awsauth.Options{MaxAttempts: -1},
			want: []string{"MaxAttempts: expected 1 or more (0 means 5), found -1"},
		},
		{
			name: "backoff too long",
			opts: awsauth.Options{MaxBackoff: 6 * time.Minute},
			want: []string{`MaxBackoff: expected a duration from 0s to 5m0s, found 6m0s`},
		},
		{
			name: "endpoint without scheme",
			opts: awsauth.Options{EndpointURL: "localhost:5000"},
			want: []string{`EndpointURL: expected an absolute http or https URL like "http://127.0.0.1:5000", found "localhost:5000"`},
		},
		{
			name: "every problem at once",
			opts: awsauth.Options{
				Region: "eu_west_1", RoleToAssume: "arn:aws:iam::123456789012:deploy", RoleSessionName: strings.Repeat("x", 70),
				RoleDuration: time.Minute, MaxAttempts: -3, EndpointURL: "ftp://example.com",
			},
			want: []string{
				`Region: expected a region name like "eu-west-1", found "eu_west_1"`,
				`RoleToAssume: expected an IAM role ARN like "arn:aws:iam::123456789012:role/deploy", found "arn:aws:iam::123456789012:deploy"`,
				"RoleSessionName: expected 2 to 64 characters",
				"RoleDuration: expected a duration from 15m to 12h, found 1m0s",
				"MaxAttempts: expected 1 or more (0 means 5), found -3",
				`EndpointURL: expected an absolute http or https URL like "http://127.0.0.1:5000", found "ftp://example.com"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			}
			have := err.Error()
			for _, want := range tt.want {
				if !strings.Contains(have, want) {
					t.Errorf("Validate() error does not name a problem\nwant substring: %s\nhave: %s", want, have)
				}
			}
			if lines := strings.Count(have, "\n") + 1; lines != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d:\n%s", lines, len(tt.want), have)
			}
		})
	}
}
