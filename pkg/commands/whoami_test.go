package commands_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
)

const (
	staticARN   = "arn:aws:sts::123456789012:user/moto"
	deployRole  = "arn:aws:iam::111111111111:role/deploy"
	chainedRole = "arn:aws:iam::222222222222:role/chained"
	// A JWT-shaped token; moto accepts any web identity token.
	oidcToken    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmZlcnJ5LWNpL2V4YW1wbGU6cmVmOnJlZnMvaGVhZHMvbWFpbiJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	requestToken = "ghs_requesttoken0123456789abcdef"
)

func staticKeys() map[string]string {
	return map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestWhoamiGitHub(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	oidc := actiontest.NewGitHubOIDC(t, oidcToken, requestToken, "sts.amazonaws.com")

	tests := []struct {
		name      string
		action    string // "" runs the root action.yml
		with      map[string]string
		env       map[string]string
		wantARN   string
		wantOIDC  int
		wantMasks []string
	}{
		{
			name:    "static keys",
			action:  "whoami",
			env:     staticKeys(),
			wantARN: staticARN,
		},
		{
			name:      "OIDC web identity",
			action:    "whoami",
			with:      map[string]string{"role-to-assume": deployRole},
			env:       oidc.Env(),
			wantARN:   "arn:aws:sts::111111111111:assumed-role/deploy/ferry-ferry-ci-example-4242",
			wantOIDC:  1,
			wantMasks: []string{oidcToken, requestToken},
		},
		{
			name:    "role chaining from static keys",
			action:  "whoami",
			with:    map[string]string{"role-to-assume": chainedRole, "role-chaining": "true", "role-session-name": "chain-test"},
			env:     staticKeys(),
			wantARN: "arn:aws:sts::222222222222:assumed-role/chained/chain-test",
		},
		{
			name:    "root action with command input",
			action:  "",
			with:    map[string]string{"command": "whoami"},
			env:     staticKeys(),
			wantARN: staticARN,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := oidc.Calls()
			with := merge(map[string]string{"aws-region": "us-east-1", "aws-endpoint-url": endpoint}, tt.with)
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: tt.action, With: with, Env: tt.env})
			if res.Code != 0 {
				t.Fatalf("exit code: want 0, have %d\nstderr:\n%s", res.Code, res.Stderr)
			}
			if have := res.Outputs["arn"]; have != tt.wantARN {
				t.Errorf("output arn: want %q, have %q", tt.wantARN, have)
			}
			wantAccount := strings.Split(tt.wantARN, ":")[4]
			if have := res.Outputs["account"]; have != wantAccount {
				t.Errorf("output account: want %q, have %q", wantAccount, have)
			}
			if res.Outputs["user-id"] == "" {
				t.Errorf("output user-id is empty; outputs: %v", res.Outputs)
			}
			if !strings.Contains(res.Summary, "| `"+wantAccount+"` | `"+tt.wantARN+"` |") {
				t.Errorf("step summary lacks the identity row:\n%s", res.Summary)
			}
			if !strings.Contains(res.Stderr, "::group::AWS identity") || !strings.Contains(res.Stderr, "::endgroup::") {
				t.Errorf("log lacks the ::group:: markers:\n%s", res.Stderr)
			}
			if have := oidc.Calls() - before; have != tt.wantOIDC {
				t.Errorf("OIDC token requests: want %d, have %d", tt.wantOIDC, have)
			}
			masks := res.Masks()
			for _, secret := range tt.wantMasks {
				if !contains(masks, secret) {
					t.Errorf("%q was not masked; masks: %q", secret[:8]+"…", masks)
				}
				if leaks := res.Leaks(secret); len(leaks) > 0 {
					t.Errorf("secret %q… leaked on %d lines: %q", secret[:8], len(leaks), leaks)
				}
			}
			if tt.wantOIDC > 0 && len(masks) < 4 {
				t.Errorf("want the token, the request token and the session's secret key and token masked, have %d masks", len(masks))
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWhoamiGitLabIDToken(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	project := t.TempDir()
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"whoami"},
		Dir:  project,
		Env: map[string]string{
			"GITLAB_CI":                    "true",
			"CI_PROJECT_DIR":               project,
			"CI_PROJECT_PATH":              "group/sub/app",
			"CI_JOB_ID":                    "77",
			"AWS_ID_TOKEN":                 oidcToken,
			"FERRY_ROLE_TO_ASSUME":         deployRole,
			"FERRY_AWS_REGION":             "us-east-1",
			"FERRY_AWS_ENDPOINT_URL":       endpoint,
			"FERRY_SUMMARY":                filepath.Join(project, "summary.md"),
			"AWS_ACCESS_KEY_ID":            "",
			"AWS_SECRET_ACCESS_KEY":        "",
			"FERRY_MAX_ATTEMPTS":           "3",
			"FERRY_ROLE_DURATION":          "15m",
			"FERRY_OUTPUT_PREFIX":          "",
			"FERRY_WEB_IDENTITY_TOKEN_ENV": "AWS_ID_TOKEN",
		},
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\nstderr:\n%s", res.Code, res.Stderr)
	}
	dotenv, err := os.ReadFile(filepath.Join(project, "ferry.env"))
	if err != nil {
		t.Fatalf("dotenv report: %v", err)
	}
	want := "ACCOUNT=111111111111\nARN=arn:aws:sts::111111111111:assumed-role/deploy/ferry-group-sub-app-77\n"
	if !strings.HasPrefix(string(dotenv), want) || !strings.Contains(string(dotenv), "\nUSER_ID=") {
		t.Errorf("dotenv report:\nwant prefix\n%s\nhave\n%s", want, dotenv)
	}
	for _, stream := range []string{res.Stdout, res.Stderr, res.Summary} {
		if strings.Contains(stream, oidcToken) {
			t.Errorf("the ID token was printed:\n%s", stream)
		}
	}
	if strings.Contains(res.Stdout+res.Stderr, "::add-mask::") {
		t.Errorf("GitHub commands on GitLab:\n%s", res.Stderr)
	}
	if !strings.Contains(res.Stderr, "section_start:") || !strings.Contains(res.Stderr, "section_end:") {
		t.Errorf("log lacks GitLab section markers:\n%q", res.Stderr)
	}
	if !strings.Contains(res.Summary, "ferry-group-sub-app-77") {
		t.Errorf("FERRY_SUMMARY file lacks the identity:\n%s", res.Summary)
	}
}

func TestWhoamiCLIRoleChainingJSON(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"whoami", "--aws-region", "us-east-1", "--aws-endpoint-url=" + endpoint,
			"--role-to-assume", chainedRole, "--role-chaining", "--output", "json"},
		Env: staticKeys(),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\nstderr:\n%s", res.Code, res.Stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, res.Stdout)
	}
	want := map[string]string{"account": "222222222222", "arn": "arn:aws:sts::222222222222:assumed-role/chained/ferry-cli"}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s: want %q, have %q", k, v, out[k])
		}
	}
	if len(out) != 3 {
		t.Errorf("want 3 outputs, have %v", out)
	}
	if strings.Contains(res.Stdout, "level=") {
		t.Errorf("logs on stdout:\n%s", res.Stdout)
	}
}

func TestWhoamiFailures(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{
			name:     "every input problem at once",
			args:     []string{"whoami", "--role-chaining", "yes", "--role-duration", "10", "--max-attempts", "many", "--bogus", "x", "--role-to-assume", "arn:aws:iam::1:role/x"},
			wantCode: 2,
			want: []string{
				"invalid input (5 problems)",
				`input "role-chaining": expected true or false, found "yes"`,
				`input "role-duration": expected a duration with a unit`,
				`found "10"`,
				`input "max-attempts": expected a whole number, found "many"`,
				`unknown flag "--bogus"`,
				`role-to-assume`,
			},
		},
		{
			name:     "no credentials anywhere",
			args:     []string{"whoami", "--aws-region", "us-east-1", "--aws-endpoint-url", endpoint},
			wantCode: 1,
			want:     []string{"no AWS credentials found", "id-token: write", "id_tokens", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"},
		},
		{
			name:     "no region",
			args:     []string{"whoami", "--aws-endpoint-url", endpoint},
			env:      staticKeys(),
			wantCode: 2,
			want:     []string{`input "aws-region": expected a region, found none: set the aws-region input or AWS_REGION: no AWS region`},
		},
		{
			name:     "GitHub role without id-token permission",
			args:     []string{"whoami", "--aws-region", "us-east-1", "--role-to-assume", deployRole},
			env:      map[string]string{"GITHUB_ACTIONS": "true"},
			wantCode: 2,
			want:     []string{"::error::", `input "role-to-assume"`, "id-token: write", "role-chaining"},
		},
		{
			name:     "GitLab role without id_tokens",
			args:     []string{"whoami", "--aws-region", "us-east-1", "--role-to-assume", deployRole},
			env:      map[string]string{"GITLAB_CI": "true"},
			wantCode: 2,
			want:     []string{`input "web-identity-token-env"`, "id_tokens", "$AWS_ID_TOKEN is empty"},
		},
		{
			name:     "unknown command",
			args:     []string{"deploy-everything"},
			wantCode: 2,
			want:     []string{`unknown command "deploy-everything"`, "whoami"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: tt.args, Env: tt.env})
			if res.Code != tt.wantCode {
				t.Errorf("exit code: want %d, have %d", tt.wantCode, res.Code)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
				}
			}
			if res.Stdout != "" {
				t.Errorf("stdout: want nothing, have %q", res.Stdout)
			}
		})
	}
}

// whoamiScenarios: whoami's one call, through the fault proxy, throttled
// the first time (one call under random faults may draw none, and TestChaos
// wants each run to meet one). TestChaos runs it under random faults on top;
// its calls are checked against the README, which says they need no
// permission (see noPolicy).
func whoamiScenarios() []scenario {
	return []scenario{{name: "caller identity", action: "whoami", chaos: true, setup: func(t *testing.T, w *world) run {
		return run{script: func(c faultproxy.Call, n int) faultproxy.Fault {
			if c.Name() == "sts:GetCallerIdentity" && n == 0 {
				return faultproxy.Throttle
			}
			return faultproxy.None
		}, check: func(t *testing.T, res actiontest.Result) {
			if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(res.Outputs["account"]) || !strings.HasPrefix(res.Outputs["arn"], "arn:aws:") || res.Outputs["user-id"] == "" {
				t.Errorf("outputs: want an account ID, an ARN and a user ID, have %q", res.Outputs)
			}
		}}
	}}}
}

// whoamiSIGTERM (run by TestSIGTERM) sends SIGTERM while the STS call
// hangs: the run reports cancellation and exits 130 instead of crashing or
// hanging.
func whoamiSIGTERM(t *testing.T) {
	requested := make(chan struct{}, 1)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client going away
		select {
		case requested <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res := actiontest.Exec(ctx, t, actiontest.Run{
		Args: []string{"whoami", "--aws-region", "us-east-1", "--aws-endpoint-url", hang.URL},
		Env:  staticKeys(),
		Start: func(cmd *exec.Cmd) {
			select {
			case <-requested:
			case <-ctx.Done():
				t.Error("ferry never called the endpoint")
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Error(err)
			}
		},
	})
	if res.Code != 130 {
		t.Errorf("exit code: want 130, have %d\nstderr:\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "cancelled") || strings.Contains(res.Stderr, "panic") {
		t.Errorf("stderr: want a cancellation report, have:\n%s", res.Stderr)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("ferry took %s to stop after SIGTERM", took)
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"version"}})
	if res.Code != 0 || res.Stdout != "ferry v0.0.0-test\n" {
		t.Errorf("ferry version: want exit 0 and %q, have %d %q", "ferry v0.0.0-test\n", res.Code, res.Stdout)
	}
	res = actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"--help"}})
	for _, w := range []string{"whoami", "version", "Usage: ferry <command>"} {
		if !strings.Contains(res.Stdout, w) {
			t.Errorf("ferry --help lacks %q:\n%s", w, res.Stdout)
		}
	}
	res = actiontest.Exec(context.Background(), t, actiontest.Run{})
	if res.Code != 2 || !strings.Contains(res.Stderr, "Usage:") {
		t.Errorf("ferry with no command: want exit 2 and usage on stderr, have %d\n%s", res.Code, res.Stderr)
	}
}
