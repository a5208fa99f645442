package commands_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// stackSetTemplate is a template moto deploys in every instance: no
// resource it would have to create per account.
const stackSetTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Env:
    Value: !Ref Env
`

// TestDeployCloudFormationStackSet deploys a StackSet through the
// action.yml (stack-set true) to two accounts in two regions, with
// operation preferences: one CreateStackSet, one CREATE operation waited
// for, four instance results in the log and the summary. The identical
// second run is unchanged: it reads the set and its instances and starts
// no operation.
func TestDeployCloudFormationStackSet(t *testing.T) {
	t.Parallel()
	p := cfnMoto(t)
	step := actiontest.GitHubStep{
		Action: "deploy-cloudformation",
		With: map[string]string{
			"stack-set": "true", "stack-name": "baseline", "template": writeTemp(t, "baseline.yml", stackSetTemplate),
			"parameters": "Env=prod", "tags": "team=platform",
			"accounts": "111111111111, 222222222222", "regions": "us-east-1\neu-west-1",
			"max-concurrent": "100%", "failure-tolerance": "1", "region-order": "eu-west-1, us-east-1", "region-concurrency": "parallel",
			"timeout": "2m",
		},
		Env: trafficEnv(p.URL),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	if o := res.Outputs; o["status"] != "created" || !strings.HasPrefix(o["stack-set-id"], "baseline:") || o["stack-id"] != "" {
		t.Errorf("outputs: want created, the set's id, no stack id; have %v", o)
	}
	for _, w := range []string{"stack set `baseline` created", "| 2 accounts | us-east-1, eu-west-1 |", "#### Stack instances (4)",
		"| `111111111111` | eu-west-1 | SUCCEEDED |", "| `222222222222` | us-east-1 | SUCCEEDED |", "| CREATE | SUCCEEDED |"} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}
	for _, w := range []string{"ACCOUNT       REGION     STATUS     REASON", "222222222222  us-east-1  SUCCEEDED", "(CREATE): SUCCEEDED"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("log lacks %q:\n%s", w, res.Stderr)
		}
	}
	want := map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1}
	if n := cfnCalls(p); !maps.Equal(n, want) {
		t.Errorf("first run: want calls %v, have %v", want, n)
	}

	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["status"] != "unchanged" || !strings.HasPrefix(res.Outputs["stack-set-id"], "baseline:") {
		t.Errorf("second run: want unchanged with the set's id; have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	if !strings.Contains(res.Summary, "No changes: the deployed template, parameters and settings are those asked for") {
		t.Errorf("second run's summary:\n%s", res.Summary)
	}
	want = map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1}
	if n := cfnCalls(p); !maps.Equal(n, want) {
		t.Errorf("second run: want calls %v, have %v", want, n)
	}
}

// TestDeployCloudFormationStackSetComment: with comment, a StackSet's
// summary is kept as the pull request's sticky comment, under a marker of
// its own (a stack of the same name keeps another).
func TestDeployCloudFormationStackSetComment(t *testing.T) {
	t.Parallel()
	p := cfnMoto(t)
	s := newSink(t)
	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
		Action: "deploy-cloudformation",
		With: map[string]string{"stack-set": "true", "stack-name": "pr-baseline", "template": writeTemp(t, "baseline.yml", stackSetTemplate),
			"parameters": "Env=dev", "accounts": "111111111111", "regions": "us-east-1", "comment": "true", "github-token": githubTokenSecret, "timeout": "2m"},
		Env: merge(trafficEnv(p.URL), githubNotifyEnv(t), map[string]string{
			"GITHUB_REPOSITORY": "ferry-ci/example", "GITHUB_API_URL": s.URL + "/github", "GITHUB_GRAPHQL_URL": s.URL + "/github/graphql",
		}),
	})
	if res.Code != 0 || res.Outputs["status"] != "created" {
		t.Fatalf("want created, have exit %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	checkNoLeaks(t, res, githubTokenSecret)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.comments) != 1 {
		t.Fatalf("comments: want one, have %d", len(s.comments))
	}
	body := s.comments[0]["body"].(string)
	for _, w := range []string{"<!-- ferry:notify:deploy-cloudformation/stack-set/pr-baseline -->\n", "stack set `pr-baseline` created", "| `111111111111` | us-east-1 | SUCCEEDED |"} {
		if !strings.Contains(body, w) {
			t.Errorf("comment lacks %q:\n%s", w, body)
		}
	}
}
