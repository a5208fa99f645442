package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// The secrets of the notify tests: each must reach its provider and
// nothing else (no log line, output or summary).
const (
	slackHookSecret   = "T0FERRY/B0FERRY/slackhooksecret0123456789"
	slackBotToken     = "xoxb-1234-5678-slackbotsecret"
	teamsSecret       = "teamsworkflowsecret-sig-0123456789"
	discordSecret     = "987654321/discordwebhooksecret-abcdef"
	telegramToken     = "123456789:AAH-telegramsecret_0123456789abc"
	googleChatSecret  = "googlechatsecret-key-0123456789"
	webhookSecret     = "genericwebhooksecret-0123456789"
	githubTokenSecret = "ghs_githubtokensecret0123456789abcd"
	gitlabTokenSecret = "glpat-gitlabtokensecret0123456789"
)

// commitMessage is a hostile commit message: quotes, a backslash, HTML,
// Markdown, mentions, a template action and emoji.
const commitMessage = "fix: \"quoted\" & 'single' <b>tags</b> `code` *bold* <!channel> @everyone {{ .SHA }} back\\slash 🚀👩‍👩‍👧\nsecond line"

// The identities of the tokens: what GitHub's GraphQL viewer answers for
// GITHUB_TOKEN, and the GitLab project access token's bot user.
const (
	githubBot   = "github-actions[bot]"
	gitlabBotID = 77
)

// sink stands in for every provider and forge at once: it records each
// request and answers as the provider would. Paths tell them apart.
type sink struct {
	*httptest.Server
	mu       sync.Mutex
	requests []sinkRequest
	comments []map[string]any // GitHub pull request 7
	notes    []map[string]any // GitLab merge request 5
	deploys  []int64
	statuses []string
	fail     map[string]int // path prefix → HTTP status to answer
}

type sinkRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	At                  time.Time
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{fail: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, sinkRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, At: time.Now()})
	for prefix, status := range s.fail {
		if strings.HasPrefix(r.URL.Path, prefix) {
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "10")
			} else {
				w.Header().Set("Retry-After", "0")
			}
			http.Error(w, "stand-in failure", status)
			return
		}
	}
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/slack/api/"):
		if r.Header.Get("Authorization") != "Bearer "+slackBotToken {
			reply(200, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		reply(200, map[string]any{"ok": true, "ts": "1700000000.000100", "channel": "C0FERRY"})
	case strings.HasPrefix(p, "/telegram/bot"):
		if p != "/telegram/bot"+telegramToken+"/sendMessage" {
			reply(404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
			return
		}
		reply(200, map[string]any{"ok": true, "result": map[string]any{"message_id": len(s.requests)}})
	case strings.HasPrefix(p, "/github/"):
		if r.Header.Get("Authorization") != "Bearer "+githubTokenSecret {
			reply(401, map[string]any{"message": "Bad credentials"})
			return
		}
		s.github(w, r, in, reply)
	case strings.HasPrefix(p, "/gitlab/api/v4/"):
		if r.Header.Get("PRIVATE-TOKEN") != gitlabTokenSecret {
			reply(401, map[string]any{"message": "401 Unauthorized"})
			return
		}
		s.gitlab(w, r, in, reply)
	case strings.HasPrefix(p, "/discord/"):
		w.WriteHeader(http.StatusNoContent)
	default: // incoming webhooks
		_, _ = w.Write([]byte("ok"))
	}
}

// github answers the few REST calls notify makes, paginating comments by
// two so that the sticky one is found on a later page.
func (s *sink) github(w http.ResponseWriter, r *http.Request, in map[string]any, reply func(int, any)) {
	const repo = "/github/repos/ferry-ci/example"
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == repo+"/issues/7/comments":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		from, to := min((page-1)*2, len(s.comments)), min(page*2, len(s.comments))
		if to < len(s.comments) {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d>; rel="next"`, s.URL, p, page+1))
		}
		reply(200, s.comments[from:to])
	case r.Method == "POST" && p == "/github/graphql":
		// GITHUB_TOKEN is github-actions[bot]; GET /user refuses it.
		reply(200, map[string]any{"data": map[string]any{"viewer": map[string]any{"login": githubBot}}})
	case r.Method == "POST" && p == repo+"/issues/7/comments":
		c := map[string]any{"id": 1000 + len(s.comments), "body": in["body"], "user": map[string]any{"login": githubBot, "type": "Bot"}}
		s.comments = append(s.comments, c)
		reply(201, c)
	case r.Method == "PATCH" && strings.HasPrefix(p, repo+"/issues/comments/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(p, repo+"/issues/comments/"))
		for _, c := range s.comments {
			if int(c["id"].(int)) == id {
				c["body"] = in["body"]
				reply(200, c)
				return
			}
		}
		reply(404, map[string]any{"message": "Not Found"})
	case r.Method == "GET" && p == repo+"/deployments":
		if len(s.deploys) == 0 {
			reply(200, []any{})
			return
		}
		reply(200, []any{map[string]any{"id": s.deploys[len(s.deploys)-1]}})
	case r.Method == "POST" && p == repo+"/deployments":
		s.deploys = append(s.deploys, int64(500+len(s.deploys)))
		reply(201, map[string]any{"id": s.deploys[len(s.deploys)-1]})
	case r.Method == "POST" && strings.HasSuffix(p, "/statuses"):
		s.statuses = append(s.statuses, fmt.Sprint(in["state"]))
		reply(201, map[string]any{"id": 1})
	default:
		reply(404, map[string]any{"message": "Not Found"})
	}
}

func (s *sink) gitlab(w http.ResponseWriter, r *http.Request, in map[string]any, reply func(int, any)) {
	const mr = "/gitlab/api/v4/projects/group/app/merge_requests/5/notes"
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == mr:
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		from, to := min((page-1)*2, len(s.notes)), min(page*2, len(s.notes))
		if to < len(s.notes) {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		}
		reply(200, s.notes[from:to])
	case r.Method == "GET" && p == "/gitlab/api/v4/user":
		reply(200, map[string]any{"id": gitlabBotID, "username": "project_5_bot_ferry"})
	case r.Method == "POST" && p == mr:
		n := map[string]any{"id": 2000 + len(s.notes), "body": in["body"], "system": false, "author": map[string]any{"id": gitlabBotID}}
		s.notes = append(s.notes, n)
		reply(201, n)
	case r.Method == "PUT" && strings.HasPrefix(p, mr+"/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(p, mr+"/"))
		for _, n := range s.notes {
			if n["id"].(int) == id {
				if a, _ := n["author"].(map[string]any); a["id"] != gitlabBotID {
					reply(403, map[string]any{"message": "403 Forbidden"}) // GitLab: only the author edits a note
					return
				}
				n["body"] = in["body"]
				reply(200, n)
				return
			}
		}
		reply(404, map[string]any{"message": "404 Not found"})
	default:
		reply(404, map[string]any{"message": "404 Not found"})
	}
}

// Requests returns what arrived on paths starting with prefix.
func (s *sink) Requests(prefix string) []sinkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sinkRequest
	for _, r := range s.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// destinations are the with: of a step that notifies every provider at
// once, pointed at the sink.
func (s *sink) destinations() map[string]string {
	return map[string]string{
		"slack-webhook-url":       s.URL + "/slack/hooks/" + slackHookSecret,
		"slack-bot-token":         slackBotToken,
		"slack-channel":           "#deploys",
		"slack-api-url":           s.URL + "/slack/api",
		"teams-webhook-url":       s.URL + "/teams/workflows/" + teamsSecret,
		"discord-webhook-url":     s.URL + "/discord/api/webhooks/" + discordSecret,
		"telegram-bot-token":      telegramToken,
		"telegram-chat-id":        "-1001234567890",
		"telegram-api-url":        s.URL + "/telegram",
		"google-chat-webhook-url": s.URL + "/chat/v1/spaces/AAA/messages?key=" + googleChatSecret,
		"webhook-url":             s.URL + "/hook/" + webhookSecret,
		"github-token":            githubTokenSecret,
		"github-environment":      "production",
		"github-api-url":          s.URL + "/github",
	}
}

var secrets = []string{slackHookSecret, slackBotToken, teamsSecret, discordSecret, telegramToken, googleChatSecret, webhookSecret, githubTokenSecret, gitlabTokenSecret}

// githubEventFile writes a pull_request event for PR 7.
func githubEventFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "event.json")
	ev := `{"pull_request":{"number":7,"head":{"sha":"abcdef0123456789abcdef0123456789abcdef01"}},"head_commit":{"message":` + strconv.Quote(commitMessage) + `}}`
	if err := os.WriteFile(path, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func githubNotifyEnv(t *testing.T) map[string]string {
	return map[string]string{
		"GITHUB_EVENT_PATH": githubEventFile(t),
		"GITHUB_SHA":        "1111111111111111111111111111111111111111", // the merge commit: the head wins
		"GITHUB_REF_NAME":   "7/merge",
		"GITHUB_HEAD_REF":   "feature/login",
		"GITHUB_ACTOR":      "octocat",
		"GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKFLOW":   "deploy",
		"GITHUB_JOB":        "web",
	}
}

// TestNotifyGitHubEveryDestination runs the action as the runner does, once
// for "started" and once with the job's status, to every provider at once:
// the started Slack message is edited in place, the sticky comment is
// updated rather than duplicated, the deployment reused; no secret shows.
func TestNotifyGitHubEveryDestination(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	// Two comments by people already on the PR, so the sticky one lands on page 2.
	s.comments = []map[string]any{{"id": 1, "body": "first!"}, {"id": 2, "body": "LGTM"}}
	env := githubNotifyEnv(t)
	with := merge(s.destinations(), map[string]string{
		"status": "started",
		"fields": "digest=sha256:4f53cda18c2baa0c\ntask-definition=arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42",
	})
	started := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: env})
	if started.Code != 0 {
		t.Fatalf("started: exit %d\n%s", started.Code, started.Stderr)
	}
	want := map[string]string{"slack-ts": "1700000000.000100", "slack-channel": "C0FERRY", "sent": "9", "failed": "0"}
	for k, v := range want {
		if started.Outputs[k] != v {
			t.Errorf("started: output %s: want %q, have %q (all: %v)", k, v, started.Outputs[k], started.Outputs)
		}
	}
	checkNoLeaks(t, started)
	for _, secret := range secrets[:8] {
		masked := false
		for _, m := range started.Masks() {
			masked = masked || strings.Contains(m, secret)
		}
		if !masked {
			t.Errorf("%q… was not masked", secret[:10])
		}
	}

	// The result: status from ${{ job.status }}, the Slack message edited.
	delete(with, "status")
	with["update-message"] = started.Outputs["slack-ts"]
	with["slack-channel"] = started.Outputs["slack-channel"]
	done := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: env, JobStatus: "failure"})
	if done.Code != 0 || done.Outputs["sent"] != "9" || done.Outputs["failed"] != "0" {
		t.Fatalf("result: want exit 0 and 9 sent, have %d %v\n%s", done.Code, done.Outputs, done.Stderr)
	}
	checkNoLeaks(t, done)

	for prefix, n := range map[string]int{
		"/slack/hooks/": 2, "/slack/api/chat.postMessage": 1, "/slack/api/chat.update": 1, "/teams/": 2, "/discord/": 2,
		"/telegram/": 2, "/chat/": 2, "/hook/": 2,
	} {
		if have := len(s.Requests(prefix)); have != n {
			t.Errorf("%s: want %d requests, have %d", prefix, n, have)
		}
	}
	var hook struct {
		Status, Title, Repository, Ref, SHA, Actor, CommitMessage string
		RunURL                                                    string `json:"run_url"`
		CommitMsg                                                 string `json:"commit_message"`
		PullRequest                                               int    `json:"pull_request"`
		Fields                                                    map[string]string
	}
	last := s.Requests("/hook/")[1]
	if err := json.Unmarshal(last.Body, &hook); err != nil {
		t.Fatal(err)
	}
	if hook.Status != "failure" || hook.Repository != "ferry-ci/example" || hook.Ref != "feature/login" || hook.SHA != "abcdef0123456789abcdef0123456789abcdef01" ||
		hook.Actor != "octocat" || hook.RunURL != "https://github.com/ferry-ci/example/actions/runs/4242" || hook.CommitMsg != commitMessage ||
		hook.PullRequest != 7 || hook.Fields["digest"] != "sha256:4f53cda18c2baa0c" || !strings.Contains(hook.Title, "failed") {
		t.Errorf("webhook payload: %s", last.Body)
	}
	var edit struct{ TS, Channel string }
	_ = json.Unmarshal(s.Requests("/slack/api/chat.update")[0].Body, &edit)
	if edit.TS != "1700000000.000100" || edit.Channel != "C0FERRY" {
		t.Errorf("chat.update: want the started message, have %+v", edit)
	}

	if len(s.comments) != 3 || s.Requests("/github/repos/ferry-ci/example/issues/7/comments") == nil {
		t.Fatalf("comments: want the 2 by people and 1 sticky, have %d", len(s.comments))
	}
	sticky := fmt.Sprint(s.comments[2]["body"])
	if !strings.HasPrefix(sticky, "<!-- ferry:notify:deploy/web -->\n") || !strings.Contains(sticky, "failed") || !strings.Contains(shown(sticky), commitMessage) {
		t.Errorf("sticky comment:\n%s", sticky)
	}
	if len(s.deploys) != 1 || strings.Join(s.statuses, ",") != "in_progress,failure" {
		t.Errorf("deployments: want 1 with in_progress then failure, have %v %v", s.deploys, s.statuses)
	}
	if !strings.Contains(done.Summary, "| github-comment | updated |") || !strings.Contains(done.Summary, "| slack-bot | updated |") {
		t.Errorf("summary:\n%s", done.Summary)
	}
}

// TestNotifyFailSoft: a provider that keeps failing is a warning and a
// count by default, and fails the step with fail-on-error; the others are
// notified either way.
func TestNotifyFailSoft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failOnError string
		code        int
	}{
		{"false", 0},
		{"true", 1},
	}
	for _, tt := range tests {
		t.Run("fail-on-error="+tt.failOnError, func(t *testing.T) {
			t.Parallel()
			s := newSink(t)
			s.fail["/teams/"] = http.StatusBadGateway
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
				Action: "notify",
				With: map[string]string{
					"teams-webhook-url": s.URL + "/teams/" + teamsSecret,
					"webhook-url":       s.URL + "/hook/" + webhookSecret,
					"fail-on-error":     tt.failOnError,
				},
			})
			if res.Code != tt.code {
				t.Errorf("exit code: want %d, have %d\n%s", tt.code, res.Code, res.Stderr)
			}
			if res.Outputs["sent"] != "1" || res.Outputs["failed"] != "1" {
				t.Errorf("outputs: want sent 1 failed 1, have %v", res.Outputs)
			}
			if n := len(s.Requests("/teams/")); n != 5 {
				t.Errorf("teams: want 5 attempts, have %d", n)
			}
			if !strings.Contains(res.Stderr, "::warning::notification failed: teams: HTTP 502 Bad Gateway: stand-in failure") {
				t.Errorf("stderr lacks the warning:\n%s", res.Stderr)
			}
			if (tt.code == 1) != strings.Contains(res.Stderr, "::error::1 of 2 notifications failed") {
				t.Errorf("stderr: the error must come with fail-on-error only:\n%s", res.Stderr)
			}
			checkNoLeaks(t, res, secrets...)
		})
	}
}

// TestNotifyRetryAfterBoundedByTimeout: a provider asking to come back in
// 10s when the step has 3s is given up at once, not waited for.
func TestNotifyRetryAfterBoundedByTimeout(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	s.fail["/hook/"] = http.StatusTooManyRequests
	actiontest.Binary(t) // built before the clock starts
	start := time.Now()
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"notify", "--webhook-url", s.URL + "/hook/" + webhookSecret, "--status", "success", "--timeout", "3s"},
	})
	took := time.Since(start)
	if res.Code != 0 || !strings.Contains(res.Stdout, "failed=1") {
		t.Errorf("want exit 0 and failed=1, have %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "HTTP 429 Too Many Requests after 1 attempt; the next would wait 10s, more than the") {
		t.Errorf("stderr lacks why it gave up:\n%s", res.Stderr)
	}
	if len(s.Requests("/hook/")) != 1 || took > 2500*time.Millisecond {
		t.Errorf("want 1 request and no 10s wait, have %d requests in %s", len(s.Requests("/hook/")), took)
	}
	checkNoLeaks(t, res, secrets...)
}

// TestNotifyCLIFlags: on the command line the context comes from flags.
func TestNotifyCLIFlags(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"notify", "--webhook-url", s.URL + "/hook/" + webhookSecret, "--status", "cancelled",
			"--repository", "acme/shop", "--ref", "v1.2.3", "--sha", "cafe0123cafe0123cafe0123cafe0123cafe0123", "--actor", "alice",
			"--run-url", "https://ci.example.com/runs/9", "--environment", "staging", "--pull-request", "12",
			"--commit-message", commitMessage, "--message-template", "{{ .CommitTitle }} on {{ .Environment }}", "--output", "json"},
	})
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || out["sent"] != "1" || out["failed"] != "0" {
		t.Errorf("outputs: want sent 1 failed 0, have %v (%v)", out, err)
	}
	var p map[string]any
	_ = json.Unmarshal(s.Requests("/hook/")[0].Body, &p)
	want := map[string]any{
		"status": "cancelled", "repository": "acme/shop", "ref": "v1.2.3", "sha": "cafe0123cafe0123cafe0123cafe0123cafe0123", "actor": "alice",
		"run_url": "https://ci.example.com/runs/9", "environment": "staging", "pull_request": 12.0,
		"title":   "⚪ Deploy of acme/shop to staging was cancelled",
		"message": strings.Split(commitMessage, "\n")[0] + " on staging", "commit_message": commitMessage,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("payload %s: want %v, have %v", k, v, p[k])
		}
	}
}

// TestNotifyGitLabNote runs as a GitLab job: the context and the status
// come from CI variables (after_script: CI_JOB_STATUS=failed), the note
// is found again across pages and updated, the outputs go to the dotenv.
func TestNotifyGitLabNote(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	s.notes = []map[string]any{
		{"id": 1, "body": "please review", "system": false},
		{"id": 2, "body": "added 1 commit", "system": true},
		{"id": 3, "body": "<!-- ferry:notify:production -->\n### old", "system": false, "author": map[string]any{"id": gitlabBotID}},
	}
	project := t.TempDir()
	env := map[string]string{
		"GITLAB_CI":            "true",
		"CI_PROJECT_DIR":       project,
		"CI_API_V4_URL":        s.URL + "/gitlab/api/v4",
		"CI_PROJECT_PATH":      "group/app",
		"CI_PROJECT_URL":       "https://gitlab.example.com/group/app",
		"CI_COMMIT_REF_NAME":   "feature/login",
		"CI_COMMIT_SHA":        "abcdef0123456789abcdef0123456789abcdef01",
		"GITLAB_USER_LOGIN":    "alice",
		"CI_PIPELINE_URL":      "https://gitlab.example.com/group/app/-/pipelines/77",
		"CI_MERGE_REQUEST_IID": "5",
		"CI_COMMIT_MESSAGE":    commitMessage + "\n",
		"CI_ENVIRONMENT_NAME":  "production",
		"CI_JOB_STATUS":        "failed",
		"FERRY_GITLAB_TOKEN":   gitlabTokenSecret,
		"FERRY_WEBHOOK_URL":    s.URL + "/hook/" + webhookSecret,
	}
	for run := 1; run <= 2; run++ {
		res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"notify"}, Env: env, Dir: project})
		if res.Code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, res.Code, res.Stderr)
		}
		checkNoLeaks(t, res, secrets...)
		dotenv, err := os.ReadFile(filepath.Join(project, "ferry.env"))
		if err != nil || string(dotenv) != "SENT=2\nFAILED=0\n" {
			t.Errorf("run %d: dotenv: want SENT=2 FAILED=0, have %q (%v)", run, dotenv, err)
		}
	}
	if len(s.notes) != 3 {
		t.Fatalf("notes: want the sticky one updated in place, have %d notes", len(s.notes))
	}
	body := fmt.Sprint(s.notes[2]["body"])
	for _, w := range []string{"<!-- ferry:notify:production -->", "❌ Deploy of group/app to production failed", commitMessage, "[View run](https://gitlab.example.com/group/app/-/pipelines/77)"} {
		if !strings.Contains(shown(body), w) {
			t.Errorf("note lacks %q:\n%s", w, body)
		}
	}
	if n := len(s.Requests("/gitlab/api/v4/projects/group/app/merge_requests/5/notes")); n != 2*(2+1) {
		t.Errorf("GitLab requests: want 2 pages and 1 update per run, 6 in all, have %d", n)
	}
}

// TestNotifyGitHubEvents: the pull request and the commit message come
// from the event payload of each kind of event; without a pull request the
// comment is skipped, not failed.
func TestNotifyGitHubEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		event    string
		pr       int
		sha      string
		message  string
		comments int    // GitHub requests
		prInput  string // the pull-request input, when given
	}{
		{"push", `{"head_commit":{"message":"ship \"it\"\n\nbody"}}`, 0, "1111111111111111111111111111111111111111", "ship \"it\"\n\nbody", 0, ""},
		{"pull_request", `{"pull_request":{"number":7,"head":{"sha":"abcdef0123456789abcdef0123456789abcdef01"}}}`, 7, "abcdef0123456789abcdef0123456789abcdef01", "", 3, ""},
		{"issue_comment on a pull request", `{"issue":{"number":7,"pull_request":{"url":"x"}}}`, 7, "1111111111111111111111111111111111111111", "", 3, ""},
		{"issue_comment on an issue", `{"issue":{"number":8}}`, 0, "1111111111111111111111111111111111111111", "", 0, ""},
		{"no event file", "", 0, "1111111111111111111111111111111111111111", "", 0, ""},
		// deploy-environment.yml: no comment, so its job needs no pull-requests: write.
		{"pull_request with pull-request 0", `{"pull_request":{"number":7,"head":{"sha":"abcdef0123456789abcdef0123456789abcdef01"}}}`, 0, "abcdef0123456789abcdef0123456789abcdef01", "", 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink(t)
			env := map[string]string{"GITHUB_SHA": "1111111111111111111111111111111111111111", "GITHUB_REF_NAME": "main"}
			if tt.event != "" {
				path := filepath.Join(t.TempDir(), "event.json")
				if err := os.WriteFile(path, []byte(tt.event), 0o644); err != nil {
					t.Fatal(err)
				}
				env["GITHUB_EVENT_PATH"] = path
			}
			with := map[string]string{
				"webhook-url": s.URL + "/hook/" + webhookSecret, "github-token": githubTokenSecret, "github-api-url": s.URL + "/github",
			}
			if tt.prInput != "" {
				with["pull-request"] = tt.prInput
			}
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: env})
			wantSent := "1"
			if tt.pr > 0 {
				wantSent = "2"
			}
			if res.Code != 0 || res.Outputs["sent"] != wantSent {
				t.Fatalf("want exit 0 and sent %s, have %d %v\n%s", wantSent, res.Code, res.Outputs, res.Stderr)
			}
			var p struct {
				SHA           string
				CommitMessage string `json:"commit_message"`
				PullRequest   int    `json:"pull_request"`
			}
			_ = json.Unmarshal(s.Requests("/hook/")[0].Body, &p)
			if p.SHA != tt.sha || p.CommitMessage != tt.message || p.PullRequest != tt.pr {
				t.Errorf("want sha %s message %q pr %d, have %+v", tt.sha, tt.message, tt.pr, p)
			}
			if n := len(s.Requests("/github/")); n != tt.comments {
				t.Errorf("GitHub requests: want %d (who the token is, list, create), have %d", tt.comments, n)
			}
		})
	}
}
