package notify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ferry-ci/ferry/pkg/notify"
)

// hostile is a commit message with everything that breaks hand-made
// payloads or markup: quotes, a backslash, HTML, Markdown, Slack's
// <!channel>, a Discord @everyone, GitLab's @all, a template action, emoji (one of them a
// ZWJ sequence), a tab and line breaks.
const hostile = "fix(api): handle \"quoted\" & 'single' <b>tags</b> `backticks` *bold* _it_ ~strike~ [link](https://evil.example) <!channel> @everyone @all 🚀👩‍👩‍👧 back\\slash %s {{ .SHA }}\nsecond line\twith tab\n\n```\ncode block\n```"

func deployContext(status notify.Status) notify.Context {
	return notify.Context{
		Repository:     "ferry-ci/example",
		Ref:            "main",
		SHA:            "0123456789abcdef0123456789abcdef01234567",
		Actor:          "octocat",
		RunURL:         "https://github.com/ferry-ci/example/actions/runs/4242",
		Environment:    "production",
		EnvironmentURL: "https://app.example.com",
		Status:         status,
		CommitMessage:  hostile,
		CommitURL:      "https://github.com/ferry-ci/example/commit/0123456789abcdef0123456789abcdef01234567",
		PullRequest:    7,
		Fields: notify.Fields{
			{Key: "digest", Value: "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"},
			{Key: "task-definition", Value: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42"},
		},
	}
}

func render(t *testing.T, c notify.Context) notify.Message {
	t.Helper()
	m, err := notify.Content{}.Render(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// request is one request a provider stand-in received.
type request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// provider is an httptest server standing in for a provider: it records
// every request and answers with respond (200 and an empty body when nil).
type provider struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newProvider(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *provider {
	t.Helper()
	p := &provider{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.requests = append(p.requests, request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		n := len(p.requests)
		p.mu.Unlock()
		if respond != nil {
			respond(w, r, n)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *provider) Requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.requests...)
}

// answer writes v as JSON.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// noRetry is a client that tries once, so failure tests do not wait.
func noRetry() *http.Client { return (&notify.Retry{MaxAttempts: 1}).Client() }
