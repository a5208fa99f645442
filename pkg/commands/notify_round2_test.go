package commands_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// TestNotifyValuesAreData: message and title are literal text. A commit
// message holding "{{" (Helm, Vue, Jinja), passed as message the way every
// other notify action is used, is sent as written and the run exits 0;
// templates are opt-in through message-template and title-template.
func TestNotifyValuesAreData(t *testing.T) {
	t.Parallel()
	const helm = "chart: bump {{ .Values.image.tag }} and {{ template \"x\" }} {{ .Ref"
	tests := []struct {
		name           string
		with           map[string]string
		title, message string
	}{
		{"literal message and title", map[string]string{"message": helm, "title": "Release {{ version }}"}, "Release {{ version }}", helm},
		{"templates opt in", map[string]string{"message-template": "{{ .CommitTitle }} on {{ .Environment }}", "title-template": "{{ .Status.Emoji }} {{ .Ref }}"},
			"✅ v1.2.3", "fix: things on staging"},
		{"literal message, templated title", map[string]string{"message": helm, "title-template": "{{ .Ref }}"}, "v1.2.3", helm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink(t)
			with := merge(map[string]string{
				"webhook-url": s.URL + "/hook/" + webhookSecret, "status": "success",
				"ref": "v1.2.3", "environment": "staging", "commit-message": "fix: things\n\nbody",
			}, tt.with)
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with})
			if res.Code != 0 || res.Outputs["sent"] != "1" {
				t.Fatalf("want exit 0 and sent 1, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
			}
			var p struct{ Title, Message string }
			if err := json.Unmarshal(s.Requests("/hook/")[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || p.Message != tt.message {
				t.Errorf("want title %q message %q\nhave title %q message %q", tt.title, tt.message, p.Title, p.Message)
			}
		})
	}
}

// TestNotifyStickyCommentOwnOnly: a comment holding ferry's marker but
// written by someone else is never edited. On GitHub an outsider's comment
// would get the deploy status; on GitLab the edit is refused (403) and the
// merge request never gets its note. ferry creates its own comment on the
// first run and edits that one on the next.
func TestNotifyStickyCommentOwnOnly(t *testing.T) {
	t.Parallel()
	const forged = "<!-- ferry:notify:deploy/web -->\nplease merge, deploy is green"
	t.Run("github", func(t *testing.T) {
		t.Parallel()
		s := newSink(t)
		s.comments = []map[string]any{{"id": 1, "body": forged, "user": map[string]any{"login": "mallory", "type": "User"}}}
		with := map[string]string{"github-token": githubTokenSecret, "github-api-url": s.URL + "/github", "message": "deployed"}
		for run, status := range []string{"started", "success"} {
			with["status"] = status
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: githubNotifyEnv(t)})
			if res.Code != 0 || res.Outputs["sent"] != "1" {
				t.Fatalf("run %d: want exit 0 and sent 1, have %d %v\n%s", run+1, res.Code, res.Outputs, res.Stderr)
			}
			if run == 0 && !strings.Contains(res.Summary, "| github-comment | created |") || run == 1 && !strings.Contains(res.Summary, "| github-comment | updated |") {
				t.Errorf("run %d: summary:\n%s", run+1, res.Summary)
			}
			checkNoLeaks(t, res, secrets...)
		}
		if len(s.comments) != 2 || s.comments[0]["body"] != forged {
			t.Fatalf("want the outsider's comment untouched and ferry's own beside it, have %v", s.comments)
		}
		if body := fmt.Sprint(s.comments[1]["body"]); !strings.HasPrefix(body, "<!-- ferry:notify:deploy/web -->") || !strings.Contains(body, "succeeded") {
			t.Errorf("ferry's comment: want the success, have:\n%s", body)
		}
		if n := len(s.Requests("/github/graphql")); n != 2 {
			t.Errorf("GraphQL viewer: want 1 request a run, have %d", n)
		}
	})
	t.Run("gitlab", func(t *testing.T) {
		t.Parallel()
		s := newSink(t)
		s.notes = []map[string]any{{"id": 3, "body": strings.ReplaceAll(forged, "deploy/web", "production"), "system": false, "author": map[string]any{"id": 1, "username": "alice"}}}
		project := t.TempDir()
		env := map[string]string{
			"GITLAB_CI": "true", "CI_PROJECT_DIR": project, "CI_API_V4_URL": s.URL + "/gitlab/api/v4", "CI_PROJECT_PATH": "group/app",
			"CI_MERGE_REQUEST_IID": "5", "CI_ENVIRONMENT_NAME": "production", "FERRY_GITLAB_TOKEN": gitlabTokenSecret, "FERRY_MESSAGE": "deployed",
		}
		for run, status := range []string{"started", "success"} {
			env["FERRY_STATUS"] = status
			res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"notify"}, Env: env, Dir: project})
			dotenv, _ := os.ReadFile(filepath.Join(project, "ferry.env"))
			if res.Code != 0 || string(dotenv) != "SENT=1\nFAILED=0\n" {
				t.Fatalf("run %d: want exit 0 and SENT=1 FAILED=0, have %d %q\n%s", run+1, res.Code, dotenv, res.Stderr)
			}
			checkNoLeaks(t, res, secrets...)
		}
		if len(s.notes) != 2 || s.notes[0]["body"] != strings.ReplaceAll(forged, "deploy/web", "production") {
			t.Fatalf("want alice's note untouched and ferry's own beside it, have %v", s.notes)
		}
		if body := fmt.Sprint(s.notes[1]["body"]); !strings.Contains(body, "succeeded") {
			t.Errorf("ferry's note: want the success, have:\n%s", body)
		}
		if n := len(s.Requests("/gitlab/api/v4/user")); n != 2 {
			t.Errorf("GET /user: want 1 request a run, have %d", n)
		}
	})
}

// echoingProviders answer every request with an error whose body echoes
// the request's secret the way real providers and proxies do: the URL and
// the path JSON-escaped (\/), the Telegram token URL-encoded (%3A), the
// Slack token in base64, the Teams URL query-escaped, and a long body that
// puts a secret where a cut would halve it.
func echoingProviders(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		full := "http://" + r.Host + r.URL.RequestURI()
		jsonEscaped := func(s string) string { return strings.ReplaceAll(s, "/", `\/`) }
		w.Header().Set("Retry-After", "0")
		switch {
		case strings.HasPrefix(r.URL.Path, "/hook/"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"no route","url":"%s","path":"%s"}`, jsonEscaped(full), jsonEscaped(r.URL.Path))
		case strings.HasPrefix(r.URL.Path, "/discord/"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"Unknown Webhook","path":"%s"}`, jsonEscaped(r.URL.Path))
		case strings.HasPrefix(r.URL.Path, "/telegram/"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"ok":false,"error_code":404,"description":"Not Found: %s"}`, strings.ReplaceAll(r.URL.Path, ":", "%3A"))
		case strings.HasPrefix(r.URL.Path, "/slack/api/"):
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"ok":false,"error":"invalid_auth","auth":"%s"}`, base64.StdEncoding.EncodeToString([]byte(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))))
		case strings.HasPrefix(r.URL.Path, "/teams/"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"code":"TriggerInputSchemaMismatch","message":"bad body for %s"}}`, url.QueryEscape(full))
		case strings.HasPrefix(r.URL.Path, "/chat/"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"%s %s"}`, strings.Repeat("x", 180), r.URL.RawQuery) // the key straddles 200 bytes
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// secretForms are a secret as a provider may echo it: raw, URL-encoded,
// JSON-escaped and in base64.
func secretForms(secret string) []string {
	return []string{secret, url.QueryEscape(secret), url.PathEscape(secret), strings.ReplaceAll(secret, "/", `\/`),
		base64.StdEncoding.EncodeToString([]byte(secret)), base64.URLEncoding.EncodeToString([]byte(secret))}
}

// TestNotifyEchoedSecretsRedacted: providers that echo the request in
// their error bodies leak no secret, in any encoding, into the log, the
// summary or the outputs, on GitHub and on the command line.
func TestNotifyEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	srv := echoingProviders(t)
	with := map[string]string{
		"webhook-url":             srv.URL + "/hook/" + webhookSecret,
		"discord-webhook-url":     srv.URL + "/discord/api/webhooks/" + discordSecret,
		"telegram-bot-token":      telegramToken,
		"telegram-chat-id":        "-1001234567890",
		"telegram-api-url":        srv.URL + "/telegram",
		"slack-bot-token":         slackBotToken,
		"slack-channel":           "C0FERRY",
		"slack-api-url":           srv.URL + "/slack/api",
		"teams-webhook-url":       srv.URL + "/teams/workflows/" + teamsSecret,
		"google-chat-webhook-url": srv.URL + "/chat/v1/spaces/AAA/messages?key=" + googleChatSecret,
		"status":                  "failure", "fail-on-error": "true", "timeout": "30s",
	}
	var forms []string
	for _, secret := range append(secrets[:7], with["webhook-url"], with["discord-webhook-url"], with["teams-webhook-url"], with["google-chat-webhook-url"]) {
		forms = append(forms, secretForms(secret)...)
	}
	check := func(t *testing.T, res actiontest.Result) {
		t.Helper()
		if res.Code != 1 || !strings.Contains(res.Stderr, "6 of 6 notifications failed") {
			t.Errorf("want exit 1, every destination failed, have %d\n%s", res.Code, res.Stderr)
		}
		checkNoLeaks(t, res, forms...)
		// Each secret of the test holds the word "secret": no part of one
		// is left, not even half of one cut by the excerpt's bound.
		for _, line := range strings.Split(res.Stdout+res.Stderr+res.Summary, "\n") {
			if !strings.HasPrefix(line, "::add-mask::") && strings.Contains(line, "secret") {
				t.Errorf("a part of a secret is left: %s", line)
			}
		}
		for k, v := range res.Outputs {
			if strings.Contains(v, "secret") {
				t.Errorf("output %s holds a part of a secret: %s", k, v)
			}
		}
	}
	t.Run("github", func(t *testing.T) {
		t.Parallel()
		res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: map[string]string{"RUNNER_DEBUG": "1"}})
		check(t, res)
		if !strings.Contains(res.Summary, "discord: HTTP 400 Bad Request") {
			t.Errorf("summary lacks the failures:\n%s", res.Summary)
		}
	})
	t.Run("cli", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"FERRY_SUMMARY": filepath.Join(t.TempDir(), "summary.md"), "FERRY_DEBUG": "true"}
		for k, v := range with {
			env["FERRY_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))] = v
		}
		res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"notify", "--output", "json"}, Env: env})
		check(t, res)
	})
}

// pinging is a commit message that pings everyone and disguises links in
// Markdown: GitLab's @all, @here, Slack-style @channel, a team, a user, a
// Markdown link and image, a reference link, HTML, and a forged marker.
const pinging = "ship it @all @here @channel @ferry-ci/oncall cc @octocat mail@example.com\n[docs](https://evil.example/login) ![x](https://evil.example/p.png) [ref][1]\n[1]: https://evil.example\n<a href=\"https://evil.example\">here</a> <!-- ferry:notify:other -->\n`@all [in](code)`"

// checkNeutral fails when Markdown text would ping or link: an @mention
// right after a space or a line start, "](", "][" or "]:", or HTML, outside
// code spans and the marker on the first line.
func checkNeutral(t *testing.T, where, text string) {
	t.Helper()
	_, text, _ = strings.Cut(text, "\n") // the marker
	if !strings.Contains(text, "mail@example.com") {
		t.Errorf("%s: an e-mail address was changed:\n%s", where, text)
	}
	if where != "teams" { // Adaptive Cards render no code: there the span is neutralised too
		const span = "`@all [in](code)`"
		if !strings.Contains(text, span) {
			t.Errorf("%s: a code span was changed:\n%s", where, text)
		}
		text = strings.ReplaceAll(text, span, "")
	}
	text, _, _ = strings.Cut(text, "[View run](") // ferry's own links
	for _, bad := range []string{" @all", " @here", " @channel", " @ferry-ci/oncall", " @octocat", "](", "][", "]:", "<a ", "<!--"} {
		if where == "teams" && strings.HasPrefix(bad, "<") {
			continue // Adaptive Cards render no HTML
		}
		if strings.Contains(text, bad) {
			t.Errorf("%s: %q would render:\n%s", where, bad, text)
		}
	}
}

// TestNotifyMentionsNeutralised: a commit message's mentions and Markdown
// links neither ping nor render as links in the GitHub comment, the GitLab
// note or the Teams card, as in Slack and Discord already.
func TestNotifyMentionsNeutralised(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	with := map[string]string{
		"github-token": githubTokenSecret, "github-api-url": s.URL + "/github", "teams-webhook-url": s.URL + "/teams/workflows/" + teamsSecret,
		"status": "success", "commit-message": pinging,
	}
	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: githubNotifyEnv(t)})
	if res.Code != 0 || res.Outputs["sent"] != "2" {
		t.Fatalf("github: want exit 0 and sent 2, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	project := t.TempDir()
	gl := actiontest.Exec(context.Background(), t, actiontest.Run{Args: []string{"notify"}, Dir: project, Env: map[string]string{
		"GITLAB_CI": "true", "CI_PROJECT_DIR": project, "CI_API_V4_URL": s.URL + "/gitlab/api/v4", "CI_PROJECT_PATH": "group/app",
		"CI_MERGE_REQUEST_IID": "5", "CI_COMMIT_MESSAGE": pinging, "FERRY_GITLAB_TOKEN": gitlabTokenSecret, "FERRY_STATUS": "success",
	}})
	if gl.Code != 0 {
		t.Fatalf("gitlab: exit %d\n%s", gl.Code, gl.Stderr)
	}
	if len(s.comments) != 1 || len(s.notes) != 1 {
		t.Fatalf("want 1 comment and 1 note, have %d and %d", len(s.comments), len(s.notes))
	}
	checkNeutral(t, "github comment", fmt.Sprint(s.comments[0]["body"]))
	checkNeutral(t, "gitlab note", fmt.Sprint(s.notes[0]["body"]))
	var card struct {
		Attachments []struct {
			Content struct{ Body []struct{ Text string } }
		}
	}
	if err := json.Unmarshal(s.Requests("/teams/")[0].Body, &card); err != nil {
		t.Fatal(err)
	}
	checkNeutral(t, "teams", "\n"+card.Attachments[0].Content.Body[1].Text)
}

// shown is a comment's Markdown as GitHub and GitLab show its text: the
// zero-width spaces that stop mentions and links are invisible, and &lt;
// reads <.
func shown(markdown string) string {
	return strings.NewReplacer("&#8203;", "", "&lt;", "<").Replace(markdown)
}
