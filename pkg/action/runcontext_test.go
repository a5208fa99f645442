package action

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRunContext maps each platform's variables to the run context: the
// one place that knows the runners' names.
func TestRunContext(t *testing.T) {
	dir := t.TempDir()
	event := func(name, payload string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(payload), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	prEvent := event("pr.json", `{"pull_request":{"number":7,"head":{"sha":"headsha"}}}`)
	pushEvent := event("push.json", `{"head_commit":{"message":"fix: things\n"}}`)
	commentEvent := event("comment.json", `{"issue":{"number":9,"pull_request":{"url":"x"}}}`)
	issueEvent := event("issue.json", `{"issue":{"number":9}}`)
	badEvent := event("bad.json", `{`)
	forges := map[string]string{
		"GITHUB_API_URL": "https://ghe.example/api/v3", "GITHUB_GRAPHQL_URL": "https://ghe.example/api/graphql",
		"CI_API_V4_URL": "https://gl.example/api/v4",
	}
	wantForges := Forges{GitHubAPI: "https://ghe.example/api/v3", GitHubGraphQL: "https://ghe.example/api/graphql", GitLabAPI: "https://gl.example/api/v4"}
	github := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo/app", "GITHUB_SHA": "mergesha",
		"GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "42", "GITHUB_RUN_NUMBER": "5", "GITHUB_RUN_ATTEMPT": "2",
		"GITHUB_WORKFLOW": "deploy", "GITHUB_JOB": "ship", "GITHUB_EVENT_NAME": "pull_request",
	}
	gitlab := map[string]string{
		"GITLAB_CI": "true", "CI_PROJECT_PATH": "group/app", "CI_PROJECT_URL": "https://gl.example/group/app",
		"CI_COMMIT_SHA": "glsha", "GITLAB_USER_LOGIN": "dev", "CI_PIPELINE_ID": "100", "CI_PIPELINE_IID": "3",
		"CI_JOB_ID": "555", "CI_JOB_NAME": "deploy", "CI_JOB_STATUS": "success",
		"CI_PIPELINE_URL": "https://gl.example/group/app/-/pipelines/100", "CI_JOB_URL": "https://gl.example/group/app/-/jobs/555",
		"CI_SERVER_URL": "https://gl.example", "CI_API_V4_URL": "https://gl.example/api/v4",
		"CI_API_GRAPHQL_URL": "https://gl.example/api/graphql", "CI_ENVIRONMENT_NAME": "prod",
		"CI_ENVIRONMENT_URL": "https://app.example", "CI_COMMIT_MESSAGE": "feat: x\n",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	githubBase := RunContext{
		Platform: GitHub, Repository: "octo/app", RepositoryURL: "https://github.com/octo/app", SHA: "mergesha",
		Actor: "octocat", RunID: "42", RunNumber: "5", RunAttempt: "2", Workflow: "deploy", Job: "ship",
		RunURL: "https://github.com/octo/app/actions/runs/42", EventName: "pull_request", Workspace: dir,
		commitPrefix: "https://github.com/octo/app/commit/",
	}
	gitlabBase := RunContext{
		Platform: GitLab, Repository: "group/app", RepositoryURL: "https://gl.example/group/app", SHA: "glsha",
		Actor: "dev", RunID: "100", RunNumber: "3", JobID: "555", Job: "deploy", JobStatus: "success",
		RunURL: "https://gl.example/group/app/-/pipelines/100", ServerURL: "https://gl.example",
		APIURL: "https://gl.example/api/v4", GraphQLURL: "https://gl.example/api/graphql",
		Environment: "prod", EnvironmentURL: "https://app.example", CommitMessage: "feat: x\n", Workspace: dir,
		Forges:       Forges{GitLabAPI: "https://gl.example/api/v4"},
		commitPrefix: "https://gl.example/group/app/-/commit/",
	}
	edit := func(c RunContext, f func(*RunContext)) RunContext { f(&c); return c }
	for _, tc := range []struct {
		name string
		env  map[string]string
		want RunContext
	}{
		{"cli: nothing but the workspace", map[string]string{"GITHUB_SHA": "ignored", "CI_COMMIT_SHA": "ignored"},
			RunContext{Platform: CLI, Workspace: dir}},
		{"cli: forge endpoints on every platform", forges, RunContext{Platform: CLI, Workspace: dir, Forges: wantForges}},
		{"github: pull request", with(github, "GITHUB_REF", "refs/pull/7/merge", "GITHUB_REF_NAME", "7/merge",
			"GITHUB_HEAD_REF", "feature", "GITHUB_EVENT_PATH", prEvent),
			edit(githubBase, func(c *RunContext) {
				c.Ref, c.RefName, c.Branch, c.PullRequest, c.HeadSHA, c.EventPath = "refs/pull/7/merge", "feature", "feature", 7, "headsha", prEvent
			})},
		{"github: push to a branch", with(github, "GITHUB_REF", "refs/heads/main", "GITHUB_REF_NAME", "main",
			"GITHUB_REF_TYPE", "branch", "GITHUB_EVENT_NAME", "push", "GITHUB_EVENT_PATH", pushEvent),
			edit(githubBase, func(c *RunContext) {
				c.Ref, c.RefName, c.RefType, c.Branch, c.EventName, c.EventPath, c.CommitMessage = "refs/heads/main", "main", "branch", "main", "push", pushEvent, "fix: things\n"
			})},
		{"github: tag", with(github, "GITHUB_REF_NAME", "v1.2.3", "GITHUB_REF_TYPE", "tag"),
			edit(githubBase, func(c *RunContext) { c.RefName, c.RefType, c.Tag = "v1.2.3", "tag", "v1.2.3" })},
		{"github: comment on a pull request", with(github, "GITHUB_EVENT_PATH", commentEvent),
			edit(githubBase, func(c *RunContext) { c.PullRequest, c.EventPath = 9, commentEvent })},
		{"github: comment on an issue is no pull request", with(github, "GITHUB_EVENT_PATH", issueEvent),
			edit(githubBase, func(c *RunContext) { c.EventPath = issueEvent })},
		{"github: unreadable payloads are ignored", with(github, "GITHUB_EVENT_PATH", badEvent),
			edit(githubBase, func(c *RunContext) { c.EventPath = badEvent })},
		{"github: missing payload is ignored", with(github, "GITHUB_EVENT_PATH", filepath.Join(dir, "none.json")),
			edit(githubBase, func(c *RunContext) { c.EventPath = filepath.Join(dir, "none.json") })},
		{"github: enterprise server", with(github, "GITHUB_SERVER_URL", "https://ghe.example", "GITHUB_API_URL", "https://ghe.example/api/v3",
			"GITHUB_GRAPHQL_URL", "https://ghe.example/api/graphql"),
			edit(githubBase, func(c *RunContext) {
				c.ServerURL, c.APIURL, c.GraphQLURL = "https://ghe.example", "https://ghe.example/api/v3", "https://ghe.example/api/graphql"
				c.RepositoryURL, c.RunURL, c.commitPrefix = "https://ghe.example/octo/app", "https://ghe.example/octo/app/actions/runs/42", "https://ghe.example/octo/app/commit/"
				c.Forges = Forges{GitHubAPI: "https://ghe.example/api/v3", GitHubGraphQL: "https://ghe.example/api/graphql"}
			})},
		{"github: no repository, no links", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "42"},
			RunContext{Platform: GitHub, RunID: "42", Workspace: dir}},
		{"gitlab: branch", with(gitlab, "CI_COMMIT_BRANCH", "main", "CI_COMMIT_REF_NAME", "main"),
			edit(gitlabBase, func(c *RunContext) {
				c.Ref, c.RefName, c.RefType, c.Branch = "refs/heads/main", "main", "branch", "main"
			})},
		{"gitlab: tag", with(gitlab, "CI_COMMIT_TAG", "v1", "CI_COMMIT_REF_NAME", "v1"),
			edit(gitlabBase, func(c *RunContext) { c.Ref, c.RefName, c.RefType, c.Tag = "refs/tags/v1", "v1", "tag", "v1" })},
		{"gitlab: merge request", with(gitlab, "CI_MERGE_REQUEST_IID", "12", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature",
			"CI_COMMIT_REF_NAME", "feature", "CI_PIPELINE_SOURCE", "merge_request_event"),
			edit(gitlabBase, func(c *RunContext) {
				c.Ref, c.RefName, c.Branch, c.PullRequest, c.EventName = "refs/merge-requests/12/head", "feature", "feature", 12, "merge_request_event"
			})},
		{"gitlab: job URL without a pipeline URL", with(gitlab, "CI_PIPELINE_URL", ""),
			edit(gitlabBase, func(c *RunContext) { c.RunURL = "https://gl.example/group/app/-/jobs/555" })},
		{"gitlab: not a number IID", with(gitlab, "CI_MERGE_REQUEST_IID", "x"), gitlabBase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged []string
			have := runContext(Detect(func(k string) string { return tc.env[k] }), func(k string) string { return tc.env[k] }, dir,
				func(msg string, _ ...any) { logged = append(logged, msg) })
			if !reflect.DeepEqual(have, tc.want) {
				t.Errorf("want %+v\nhave %+v", tc.want, have)
			}
			if p := tc.env["GITHUB_EVENT_PATH"]; (p == badEvent || strings.HasSuffix(p, "none.json")) != (len(logged) > 0) {
				t.Errorf("want a debug line for an unreadable payload only, have %q", logged)
			}
		})
	}
}

func TestRunContextCommitURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    RunContext
		sha  string
		want string
	}{
		{"github", RunContext{commitPrefix: "https://github.com/o/r/commit/"}, "abc", "https://github.com/o/r/commit/abc"},
		{"gitlab", RunContext{commitPrefix: "https://gl.example/g/p/-/commit/"}, "abc", "https://gl.example/g/p/-/commit/abc"},
		{"no repository", RunContext{}, "abc", ""},
		{"no sha", RunContext{commitPrefix: "https://github.com/o/r/commit/"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if have := tc.c.CommitURL(tc.sha); have != tc.want {
				t.Errorf("want %q, have %q", tc.want, have)
			}
		})
	}
}

// TestRuntimeContext builds the context once, from the runtime's
// environment and workspace.
func TestRuntimeContext(t *testing.T) {
	dir := t.TempDir()
	reads := map[string]int{}
	env := map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": dir, "CI_PROJECT_PATH": "g/p"}
	rt, err := New(Spec{Name: "demo", Description: "A demo."}, Process{Getenv: func(k string) string { reads[k]++; return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if reads["CI_PROJECT_PATH"] != 0 {
		t.Errorf("want the context built on first use, have CI_PROJECT_PATH read %d times by New", reads["CI_PROJECT_PATH"])
	}
	for range 3 {
		if c := rt.Context(); c.Repository != "g/p" || c.Workspace != dir || c.Platform != GitLab {
			t.Errorf("want repository g/p, workspace %s on gitlab, have %+v", dir, c)
		}
	}
	if reads["CI_PROJECT_PATH"] != 1 {
		t.Errorf("want CI_PROJECT_PATH read once, have %d", reads["CI_PROJECT_PATH"])
	}
}
