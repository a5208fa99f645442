package commands_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
)

// cfnTemplate is a small stack moto creates: a topic named after two
// parameters, and two outputs.
const cfnTemplate = `Parameters:
  Env:
    Type: String
    Default: dev
  Count:
    Type: Number
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub app-${Env}-${Count}
Outputs:
  TopicArn:
    Value: !Ref Topic
  TopicName:
    Value: !GetAtt Topic.TopicName
`

// cfnMoto is a private moto that gives change-set stacks their outputs
// (moto.PreludeChangeSets), behind a proxy that records the calls.
func cfnMoto(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	srv := moto.StartForTest(t, moto.Options{Prelude: moto.PreludeChangeSets})
	return faultproxy.New(t, srv.Endpoint, faultproxy.Options{})
}

// cfnCalls counts the proxy's CloudFormation calls by action, and starts
// counting again.
func cfnCalls(p *faultproxy.Proxy) map[string]int {
	n := map[string]int{}
	for _, c := range p.Calls() {
		n[c.Action]++
	}
	p.Reset()
	return n
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeployCloudFormationGitHub creates a stack through the action.yml
// with parameters from a file in the AWS CLI's shape and a Key=Value line,
// and tags; the stack's outputs come out under their own names. The
// identical second run is unchanged: it reads the stack and its template,
// makes no change set and never calls ExecuteChangeSet.
func TestDeployCloudFormationGitHub(t *testing.T) {
	t.Parallel()
	p := cfnMoto(t)
	step := actiontest.GitHubStep{
		Action: "deploy-cloudformation",
		With: map[string]string{
			"stack-name": "gh-app", "template": writeTemp(t, "stack.yml", cfnTemplate),
			"parameters": writeTemp(t, "params.json", `[{"ParameterKey":"Count","ParameterValue":"1"}]`) + "\nEnv=prod",
			"tags":       "team=web\ncost-centre=42",
			"timeout":    "2m",
		},
		Env: trafficEnv(p.URL),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	if o := res.Outputs; o["status"] != "created" || o["stack-status"] != "CREATE_COMPLETE" || o["TopicName"] != "app-prod-1" ||
		!strings.HasPrefix(o["TopicArn"], "arn:aws:sns:") || !strings.HasPrefix(o["change-set-name"], "ferry-") || o["changes"] != "1" {
		t.Errorf("outputs: want created, CREATE_COMPLETE, TopicName app-prod-1, TopicArn, a change set of 1 change; have %v", o)
	}
	var outs map[string]string
	if err := json.Unmarshal([]byte(res.Outputs["outputs"]), &outs); err != nil || outs["TopicName"] != "app-prod-1" {
		t.Errorf("output outputs: want TopicName in the JSON, have %q (%v)", res.Outputs["outputs"], err)
	}
	for _, w := range []string{"stack `gh-app` created", "| Add | `Topic` | AWS::SNS::Topic |", "| `TopicName` | `app-prod-1` |"} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}
	for _, w := range []string{"ACTION  LOGICAL ID", "Add     Topic", "CREATE_COMPLETE"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("log lacks %q:\n%s", w, res.Stderr)
		}
	}
	if n := cfnCalls(p); n["ExecuteChangeSet"] != 1 || n["CreateChangeSet"] != 1 {
		t.Errorf("first run: want 1 CreateChangeSet and 1 ExecuteChangeSet, have %v", n)
	}

	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["status"] != "unchanged" || res.Outputs["change-set-id"] != "" || res.Outputs["TopicName"] != "app-prod-1" {
		t.Errorf("second run: want unchanged, no change set, the outputs; have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	if !strings.Contains(res.Summary, "No changes: the deployed template, parameters and settings are those asked for") {
		t.Errorf("second run's summary:\n%s", res.Summary)
	}
	n := cfnCalls(p)
	if want := map[string]int{"DescribeStacks": 1, "GetTemplate": 1}; len(n) != len(want) || n["DescribeStacks"] != 1 || n["GetTemplate"] != 1 {
		t.Errorf("second run: want only %v, have %v", want, n)
	}
}

// TestDeployCloudFormationPlanExecuteGitLab: a GitLab job plans (the
// change set waits, the stack in REVIEW_IN_PROGRESS), a later job executes
// it by name; the outputs land in the dotenv report under their own names.
func TestDeployCloudFormationPlanExecuteGitLab(t *testing.T) {
	t.Parallel()
	p := cfnMoto(t)
	template := writeTemp(t, "stack.yml", cfnTemplate)
	params := writeTemp(t, "params.json", `{"Parameters": {"Count": 3}}`)
	gitlab := func(project string, more map[string]string) map[string]string {
		return merge(trafficEnv(p.URL), map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": project, "CI_JOB_ID": "4242",
			"FERRY_STACK_NAME": "gl-app", "FERRY_SUMMARY": filepath.Join(project, "summary.md")}, more)
	}
	plan := t.TempDir()
	res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"deploy-cloudformation"}, Dir: plan,
		Env: gitlab(plan, map[string]string{"FERRY_MODE": "plan", "FERRY_TEMPLATE": template, "FERRY_PARAMETERS": params})})
	if res.Code != 0 {
		t.Fatalf("plan: exit code %d\n%s", res.Code, res.Stderr)
	}
	dotenv := readFile(t, filepath.Join(plan, "ferry.env"))
	name := ""
	for _, l := range strings.Split(dotenv, "\n") {
		if v, ok := strings.CutPrefix(l, "CHANGE_SET_NAME="); ok {
			name = v
		}
	}
	if !strings.Contains(dotenv, "STATUS=planned\n") || !strings.HasPrefix(name, "ferry-4242-") {
		t.Fatalf("plan: want STATUS=planned and a change set named after the job, have:\n%s", dotenv)
	}
	if n := cfnCalls(p); n["ExecuteChangeSet"] != 0 {
		t.Errorf("plan executed the change set: %v", n)
	}

	exec := t.TempDir()
	res = actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"deploy-cloudformation"}, Dir: exec,
		Env: gitlab(exec, map[string]string{"FERRY_MODE": "execute", "FERRY_CHANGE_SET_NAME": name})})
	if res.Code != 0 {
		t.Fatalf("execute: exit code %d\n%s", res.Code, res.Stderr)
	}
	dotenv = readFile(t, filepath.Join(exec, "ferry.env"))
	for _, w := range []string{"STATUS=created\n", "CHANGE_SET_NAME=" + name + "\n", "TopicName=app-dev-3\n", "TopicArn=arn:aws:sns:"} {
		if !strings.Contains(dotenv, w) {
			t.Errorf("execute: dotenv lacks %q:\n%s", w, dotenv)
		}
	}
	if js := readFile(t, filepath.Join(exec, "ferry-stack-outputs.json")); !strings.Contains(js, `"TopicName":"app-dev-3"`) {
		t.Errorf("ferry-stack-outputs.json: %s", js)
	}
	if n := cfnCalls(p); n["ExecuteChangeSet"] != 1 || n["CreateChangeSet"] != 0 {
		t.Errorf("execute: want 1 ExecuteChangeSet, no CreateChangeSet, have %v", n)
	}

	// The change set has run: executing it again is refused after reading.
	res = actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"deploy-cloudformation"}, Dir: exec,
		Env: gitlab(exec, map[string]string{"FERRY_MODE": "execute", "FERRY_CHANGE_SET_NAME": "ferry-never-made"})})
	if res.Code != 2 || !strings.Contains(res.Stderr, `input "change-set-name": change set "ferry-never-made" of stack "gl-app": no such change set`) {
		t.Errorf("unknown change set: want exit 2 naming the input, have %d\n%s", res.Code, res.Stderr)
	}
}

// TestDeployCloudFormationPRComment: three runs on one pull request
// (created, unchanged, updated) leave one sticky comment, updated by each:
// it ends with the last run's diff. The token never shows.
func TestDeployCloudFormationPRComment(t *testing.T) {
	t.Parallel()
	p := cfnMoto(t)
	s := newSink(t)
	template := writeTemp(t, "stack.yml", cfnTemplate)
	env := merge(trafficEnv(p.URL), githubNotifyEnv(t), map[string]string{
		"GITHUB_REPOSITORY": "ferry-ci/example", "GITHUB_API_URL": s.URL + "/github", "GITHUB_GRAPHQL_URL": s.URL + "/github/graphql",
	})
	var statuses []string
	for i, count := range []string{"1", "1", "2"} {
		res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
			Action: "deploy-cloudformation",
			With: map[string]string{"stack-name": "pr-app", "template": template, "parameters": "Count=" + count,
				"comment": "true", "github-token": githubTokenSecret, "timeout": "2m"},
			Env: env,
		})
		if res.Code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, res.Code, res.Stderr)
		}
		checkNoLeaks(t, res, githubTokenSecret)
		statuses = append(statuses, res.Outputs["status"])
	}
	if want := "created unchanged updated"; strings.Join(statuses, " ") != want {
		t.Errorf("statuses: want %s, have %v", want, statuses)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.comments) != 1 {
		t.Fatalf("comments: want one, updated, have %d", len(s.comments))
	}
	body := s.comments[0]["body"].(string)
	// moto's change set for a new parameter value lists no resource change
	// (its change sets compare resources, not values): the summary says so.
	for _, w := range []string{"<!-- ferry:notify:deploy-cloudformation/pr-app -->\n", "stack `pr-app` updated", "| UPDATE_COMPLETE | apply | `ferry-", "[View run]("} {
		if !strings.Contains(body, w) {
			t.Errorf("comment lacks %q:\n%s", w, body)
		}
	}
	posts := 0
	for _, r := range s.requests {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/issues/7/comments") {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("comments created: want 1, have %d", posts)
	}
}
