package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ferry-ci/ferry/pkg/notify"
)

func TestParseFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  notify.Fields
		errs  []string
	}{
		{"in order", []string{"digest=sha256:abc", "task-definition=arn:aws:ecs:x:1:task-definition/web:3"}, notify.Fields{{"digest", "sha256:abc"}, {"task-definition", "arn:aws:ecs:x:1:task-definition/web:3"}}, nil},
		{"values keep = and commas", []string{" url = https://x/?a=1,b=2 "}, notify.Fields{{"url", "https://x/?a=1,b=2"}}, nil},
		{"empty value", []string{"note="}, notify.Fields{{"note", ""}}, nil},
		{"blank lines skipped", []string{"", "  ", "a=1"}, notify.Fields{{"a", "1"}}, nil},
		{"every bad line", []string{"novalue", "=x", "a=1", "a=2"}, nil, []string{`line 1: expected key=value, found "novalue"`, `line 2: expected key=value, found "=x"`, `line 4: expected each key once, found "a" again`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := notify.ParseFields(tt.lines)
			if len(tt.errs) == 0 {
				if err != nil || !reflect.DeepEqual(have, tt.want) {
					t.Errorf("want %v, nil; have %v, %v", tt.want, have, err)
				}
				return
			}
			for _, e := range tt.errs {
				if err == nil || !strings.Contains(err.Error(), e) {
					t.Errorf("error lacks %q: %v", e, err)
				}
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	c := deployContext(notify.Started)
	tests := []struct {
		name    string
		content notify.Content
		ctx     notify.Context
		title   string
		text    string
		errs    []string
	}{
		{name: "defaults", ctx: c, title: "🚀 Deploy of ferry-ci/example to production started", text: hostile},
		{name: "defaults without repository or environment", ctx: notify.Context{Status: notify.Cancelled}, title: "⚪ Deploy was cancelled", text: ""},
		{
			name: "every documented field",
			content: notify.Content{
				TitleTemplate:   "{{ .Status }} {{ .Status.Emoji }} {{ .Repository }}@{{ .ShortSHA }}",
				MessageTemplate: "{{ .Ref }} {{ .SHA }} {{ .Actor }} {{ .RunURL }} {{ .Environment }} {{ .EnvironmentURL }} {{ .CommitURL }} #{{ .PullRequest }} {{ .CommitTitle }} {{ .Fields.Get \"digest\" }}{{ range .Fields }} {{ .Key }}={{ .Value }}{{ end }}",
			},
			ctx:   c,
			title: "started 🚀 ferry-ci/example@0123456",
			text:  "main 0123456789abcdef0123456789abcdef01234567 octocat https://github.com/ferry-ci/example/actions/runs/4242 production https://app.example.com https://github.com/ferry-ci/example/commit/0123456789abcdef0123456789abcdef01234567 #7 " + strings.Split(hostile, "\n")[0] + " sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 digest=sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 task-definition=arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42",
		},
		{name: "title on one line", content: notify.Content{TitleTemplate: "a\n  b\tc "}, ctx: c, title: "a b c", text: hostile},
		{name: "both broken", content: notify.Content{TitleTemplate: "{{ .Repository", MessageTemplate: "{{ .Nope }}"}, ctx: c, errs: []string{"title template:", "unclosed action", "message template:", "can't evaluate field Nope"}},
		// Values are data: literal text holding template actions, even
		// broken ones, is sent as written.
		{name: "literal text as written", content: notify.Content{Title: "Release {{ .Nope }}\n v2", Message: "\nhelm: {{ .Values.image }} {{ .Ref\n"}, ctx: c,
			title: "Release {{ .Nope }} v2", text: "helm: {{ .Values.image }} {{ .Ref"},
		{name: "literal text wins over a template", content: notify.Content{Title: "t", TitleTemplate: "{{ .Nope }}", Message: "m", MessageTemplate: "{{ .Ref"}, ctx: c, title: "t", text: "m"},
		{name: "literal title, templated message", content: notify.Content{Title: "{{ x }}", MessageTemplate: "{{ .Ref }}"}, ctx: c, title: "{{ x }}", text: "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := tt.content.Render(tt.ctx)
			if len(tt.errs) > 0 {
				for _, e := range tt.errs {
					if err == nil || !strings.Contains(err.Error(), e) {
						t.Errorf("error lacks %q: %v", e, err)
					}
				}
				var te *notify.TemplateError
				if !errors.As(err, &te) {
					t.Errorf("want a *TemplateError, have %T", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Title != tt.title || m.Text != tt.text {
				t.Errorf("want title %q text %q\nhave title %q text %q", tt.title, tt.text, m.Title, m.Text)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 2000)
	lines := strings.Repeat(strings.Repeat("x", 99)+"\n", 100)
	emoji := strings.Repeat("🚀", 3000) // 2 UTF-16 units each
	tests := []struct {
		name   string
		text   string
		limit  int
		chunks int
		ends   string // every chunk but the last ends with it
	}{
		{"short", "hello", 10, 1, ""},
		{"empty", "", 10, 1, ""},
		{"exact", strings.Repeat("a", 10), 10, 1, ""},
		{"at spaces", long, 4096, 3, " "},
		{"at line breaks", lines, 2050, 5, "\n"},
		{"emoji never halved", emoji, 4096, 2, ""},
		{"no break to find", strings.Repeat("a", 5000), 2000, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunks := notify.Split(tt.text, tt.limit)
			if len(chunks) != tt.chunks {
				t.Errorf("chunks: want %d, have %d", tt.chunks, len(chunks))
			}
			if strings.Join(chunks, "") != tt.text {
				t.Errorf("the chunks joined are not the text")
			}
			for i, c := range chunks {
				if n := len(utf16.Encode([]rune(c))); n > tt.limit {
					t.Errorf("chunk %d: %d UTF-16 units, limit %d", i, n, tt.limit)
				}
				if !utf8.ValidString(c) {
					t.Errorf("chunk %d is not valid UTF-8", i)
				}
				if i < len(chunks)-1 && !strings.HasSuffix(c, tt.ends) {
					t.Errorf("chunk %d ends with %q, want %q", i, c[len(c)-1:], tt.ends)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"🚀🚀🚀", 4, "🚀…"},
	}
	for _, tt := range tests {
		if have := notify.Truncate(tt.in, tt.limit); have != tt.want {
			t.Errorf("Truncate(%q, %d): want %q, have %q", tt.in, tt.limit, tt.want, have)
		}
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"deploy.yml/web", "<!-- ferry:notify:deploy.yml/web -->"},
		{"Deploy App / prod", "<!-- ferry:notify:Deploy-App-/-prod -->"},
		{"x --> <script>", "<!-- ferry:notify:x----script -->"}, // no ">" left to end the comment
		{"", "<!-- ferry:notify:default -->"},
	}
	for _, tt := range tests {
		if have := notify.Marker(tt.key); have != tt.want {
			t.Errorf("Marker(%q): want %q, have %q", tt.key, tt.want, have)
		}
	}
}

// thread is an in-memory pull request.
type thread struct {
	notes            []notify.Note
	creates, updates int
}

func (th *thread) Notes(context.Context) ([]notify.Note, error) {
	return append([]notify.Note(nil), th.notes...), nil
}

func (th *thread) Create(_ context.Context, body string) (notify.Note, error) {
	th.creates++
	n := notify.Note{ID: int64(100 + len(th.notes)), Body: body, Mine: true}
	th.notes = append(th.notes, n)
	return n, nil
}

func (th *thread) Update(_ context.Context, id int64, body string) (notify.Note, error) {
	th.updates++
	for i := range th.notes {
		if th.notes[i].ID == id {
			th.notes[i].Body = body
			return th.notes[i], nil
		}
	}
	return notify.Note{}, errors.New("no such note")
}

// TestStickyComment: started creates the comment, the result updates it,
// another key gets its own, and comments of people are left alone, even
// one holding the marker.
func TestStickyComment(t *testing.T) {
	t.Parallel()
	th := &thread{notes: []notify.Note{{ID: 1, Body: "LGTM, but what about <!-- ferry:notify:deploy/web -->?"}}}
	web := notify.Comment{Platform: "github", Key: "deploy/web", Thread: th}
	steps := []struct {
		dest   notify.Comment
		status notify.Status
		action string
		id     string
	}{
		{web, notify.Started, "created", "101"},
		{web, notify.Success, "updated", "101"},
		{notify.Comment{Platform: "github", Key: "deploy/worker", Thread: th}, notify.Success, "created", "102"},
		{web, notify.Failure, "updated", "101"},
	}
	for i, s := range steps {
		r, err := s.dest.Send(context.Background(), render(t, deployContext(s.status)))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if r.Action != s.action || r.ID != s.id {
			t.Errorf("step %d: want %s %s, have %s %s", i, s.action, s.id, r.Action, r.ID)
		}
	}
	if len(th.notes) != 3 || th.creates != 2 || th.updates != 2 {
		t.Errorf("want 3 comments (1 human, 2 sticky) after 2 creates and 2 updates, have %d comments, %d creates, %d updates", len(th.notes), th.creates, th.updates)
	}
	if !strings.Contains(th.notes[1].Body, "❌ Deploy of ferry-ci/example to production failed") || th.notes[0].Body != "LGTM, but what about <!-- ferry:notify:deploy/web -->?" {
		t.Errorf("comments:\n%v", th.notes)
	}
}

// TestCommentPut: a caller's own Markdown is kept as the sticky comment,
// marker first, created once and then updated.
func TestCommentPut(t *testing.T) {
	t.Parallel()
	th := &thread{}
	c := notify.Comment{Platform: "github", Key: "deploy-cloudformation/app", Thread: th}
	for i, want := range []string{"created", "updated"} {
		r, err := c.Put(context.Background(), fmt.Sprintf("| diff | %d |\n", i))
		if err != nil || r.Action != want {
			t.Fatalf("Put %d: want %s, have %+v, %v", i, want, r, err)
		}
	}
	if len(th.notes) != 1 || th.notes[0].Body != "<!-- ferry:notify:deploy-cloudformation/app -->\n| diff | 1 |\n" {
		t.Errorf("comments: want one with the last body, have %+v", th.notes)
	}
}

// deployments is an in-memory GitHub deployments API.
type deployments struct {
	created  []string // sha@environment
	statuses []notify.DeploymentStatus
}

func (d *deployments) Find(_ context.Context, sha, env string) (int64, error) {
	for i := len(d.created) - 1; i >= 0; i-- {
		if d.created[i] == sha+"@"+env {
			return int64(i + 1), nil
		}
	}
	return 0, nil
}

func (d *deployments) Create(_ context.Context, sha, env, _ string) (int64, error) {
	d.created = append(d.created, sha+"@"+env)
	return int64(len(d.created)), nil
}

func (d *deployments) SetStatus(_ context.Context, _ int64, s notify.DeploymentStatus) error {
	d.statuses = append(d.statuses, s)
	return nil
}

func TestDeploymentStatus(t *testing.T) {
	t.Parallel()
	api := &deployments{}
	dest := notify.Deployment{Environment: "production", API: api}
	for _, s := range []notify.Status{notify.Started, notify.Success} {
		if _, err := dest.Send(context.Background(), render(t, deployContext(s))); err != nil {
			t.Fatal(err)
		}
	}
	if len(api.created) != 1 {
		t.Errorf("deployments: want 1 (found again for the result), have %v", api.created)
	}
	var states []string
	for _, s := range api.statuses {
		states = append(states, s.State)
		if s.LogURL == "" || s.EnvironmentURL != "https://app.example.com" || len([]rune(s.Description)) > 140 {
			t.Errorf("status: %+v", s)
		}
	}
	if want := []string{"in_progress", "success"}; !reflect.DeepEqual(states, want) {
		t.Errorf("states: want %v, have %v", want, states)
	}
	if have := notify.DeploymentState(notify.Cancelled); have != "inactive" {
		t.Errorf("cancelled: want inactive, have %s", have)
	}
	if _, err := dest.Send(context.Background(), notify.Message{}); err == nil {
		t.Error("no SHA: want an error")
	}
}

// TestSlackEditInPlace posts a started message, then edits it with the ts
// the first answer gave.
func TestSlackEditInPlace(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("Authorization") != "Bearer xoxb-1-secret" {
			answer(w, 200, map[string]any{"ok": false, "error": "not_authed"})
			return
		}
		answer(w, 200, map[string]any{"ok": true, "ts": "1700000000.000100", "channel": "C0123456789"})
	})
	bot := notify.SlackBot{BaseURL: p.URL, Token: "xoxb-1-secret", Channel: "#deploys"}
	first, err := bot.Send(context.Background(), render(t, deployContext(notify.Started)))
	if err != nil {
		t.Fatal(err)
	}
	bot.Channel, bot.Update = first.Channel, first.ID
	second, err := bot.Send(context.Background(), render(t, deployContext(notify.Success)))
	if err != nil {
		t.Fatal(err)
	}
	reqs := p.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/chat.postMessage" || reqs[1].Path != "/chat.update" {
		t.Fatalf("want chat.postMessage then chat.update, have %v", reqs)
	}
	var edit struct{ Channel, TS, Text string }
	decode(t, reqs[1].Body, &edit)
	if edit.Channel != "C0123456789" || edit.TS != "1700000000.000100" || !strings.Contains(edit.Text, "succeeded") {
		t.Errorf("chat.update: want channel C0123456789 ts 1700000000.000100 and the result, have %+v", edit)
	}
	if second.Action != "updated" || second.ID != "1700000000.000100" {
		t.Errorf("receipt: %+v", second)
	}

	bot.Token = "xoxb-wrong"
	_, err = bot.Send(context.Background(), render(t, deployContext(notify.Success)))
	if err == nil || !strings.Contains(err.Error(), `chat.update: answered "not_authed"`) {
		t.Errorf("want Slack's error, have %v", err)
	}
}

func TestSlackLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		fields   int
		sections int // text sections
		cut      bool
	}{
		{"long text in sections", strings.Repeat("line of text & <stuff>\n", 400), 25, 5, false},    // 13,200 escaped
		{"huge text truncated to 50 blocks", strings.Repeat("x ", 100000), 2, 50 - 1 - 1 - 1, true}, // header, facts, buttons
		{"long title", "short", 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, nil)
			c := deployContext(notify.Success)
			c.Repository = strings.Repeat("r", 300)
			c.CommitMessage = tt.text
			c.Fields = nil
			for i := range tt.fields {
				c.Fields = append(c.Fields, notify.Field{Key: "k" + string(rune('a'+i)), Value: strings.Repeat("v", 2500)})
			}
			if _, err := (notify.SlackWebhook{URL: p.URL}).Send(context.Background(), render(t, c)); err != nil {
				t.Fatal(err)
			}
			var msg struct {
				Blocks []struct {
					Type   string
					Text   *struct{ Text string }
					Fields []struct{ Text string }
				}
			}
			decode(t, p.Requests()[0].Body, &msg)
			if len(msg.Blocks) > 50 {
				t.Errorf("blocks: %d, Slack allows 50", len(msg.Blocks))
			}
			if n := utf16Len(msg.Blocks[0].Text.Text); n > 150 {
				t.Errorf("header: %d characters, Slack allows 150", n)
			}
			sections, last := 0, ""
			for _, b := range msg.Blocks[1:] {
				if b.Text != nil {
					sections++
					last = b.Text.Text
					if n := utf16Len(b.Text.Text); n > 3000 {
						t.Errorf("section text: %d characters, Slack allows 3000", n)
					}
				}
				if len(b.Fields) > 10 {
					t.Errorf("section fields: %d, Slack allows 10", len(b.Fields))
				}
				for _, f := range b.Fields {
					if n := utf16Len(f.Text); n > 2000 {
						t.Errorf("field: %d characters, Slack allows 2000", n)
					}
				}
			}
			if sections != tt.sections || strings.HasSuffix(last, "…") != tt.cut {
				t.Errorf("text sections: want %d (cut %v), have %d ending %q", tt.sections, tt.cut, sections, last[max(0, len(last)-10):])
			}
		})
	}
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// TestTelegramChunks: a long text goes as several messages of at most
// 4,096 characters, the title bold in the first, the run link in the last.
func TestTelegramChunks(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		answer(w, 200, map[string]any{"ok": true, "result": map[string]any{"message_id": n}})
	})
	c := deployContext(notify.Success)
	c.CommitMessage = strings.Repeat("🚀 ship it: \"quotes\" <b> & `ticks`\n", 300) // ~10,800 UTF-16 units
	m := render(t, c)
	r, err := notify.Telegram{BaseURL: p.URL, Token: "123:abc", ChatID: "42"}.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	reqs := p.Requests()
	if len(reqs) != 3 || r.Requests != 3 || r.ID != "1,2,3" {
		t.Fatalf("want 3 messages, have %d requests, receipt %+v", len(reqs), r)
	}
	var all strings.Builder
	for i, req := range reqs {
		if req.Path != "/bot123:abc/sendMessage" {
			t.Errorf("path: %s", req.Path)
		}
		var msg struct {
			Text     string
			Entities []struct {
				Type           string
				Offset, Length int
				URL            string
			}
		}
		decode(t, req.Body, &msg)
		if n := utf16Len(msg.Text); n > notify.TelegramLimit {
			t.Errorf("message %d: %d UTF-16 units", i, n)
		}
		u := utf16.Encode([]rune(msg.Text))
		for _, e := range msg.Entities {
			if e.Offset < 0 || e.Offset+e.Length > len(u) {
				t.Fatalf("message %d: entity %+v outside the text", i, e)
			}
			text := string(utf16.Decode(u[e.Offset : e.Offset+e.Length]))
			switch {
			case i == 0 && e.Offset == 0 && text != m.Title:
				t.Errorf("bold title: have %q", text)
			case e.Type == "text_link" && e.URL == m.RunURL && text != "View run":
				t.Errorf("run link over %q", text)
			}
		}
		if i == 2 && !strings.Contains(string(req.Body), `"url":"`+m.RunURL+`"`) {
			t.Errorf("the run link is not in the last message")
		}
		all.WriteString(msg.Text)
	}
	if !strings.Contains(all.String(), "\n\n"+m.Text+"\n\n") {
		t.Errorf("the messages joined do not hold the text as written")
	}
}

func TestDiscordChunks(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusNoContent) })
	c := deployContext(notify.Failure)
	c.CommitMessage = strings.Repeat("a line with @here and 🚀\n", 200) // ~5,000 units
	r, err := notify.Discord{URL: p.URL}.Send(context.Background(), render(t, c))
	if err != nil {
		t.Fatal(err)
	}
	reqs := p.Requests()
	if len(reqs) != 3 || r.Requests != 3 {
		t.Fatalf("want 3 messages, have %d", len(reqs))
	}
	var joined strings.Builder
	for i, req := range reqs {
		var msg struct {
			Content         string
			Embeds          []json.RawMessage
			AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
		}
		decode(t, req.Body, &msg)
		if utf16Len(msg.Content) > 2000 {
			t.Errorf("message %d: content of %d", i, utf16Len(msg.Content))
		}
		if (len(msg.Embeds) == 1) != (i == 0) {
			t.Errorf("message %d: %d embeds; want the embed on the first only", i, len(msg.Embeds))
		}
		if msg.AllowedMentions.Parse == nil || len(msg.AllowedMentions.Parse) != 0 {
			t.Errorf("message %d: mentions not disabled: %s", i, req.Body)
		}
		joined.WriteString(msg.Content)
	}
	if joined.String() != strings.Trim(c.CommitMessage, "\n") {
		t.Errorf("the contents joined are not the text")
	}
}

// TestErrorsHideURLs: a failed request names the provider's answer, never
// the URL or the token in it.
func TestErrorsHideURLs(t *testing.T) {
	t.Parallel()
	failing := newProvider(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		answer(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"})
	})
	closed := newProvider(t, nil)
	closed.Close()
	const token = "987654:SECRET-token"
	m := render(t, deployContext(notify.Success))
	tests := []struct {
		name string
		dest notify.Destination
		want string
	}{
		{"answer", notify.Telegram{BaseURL: failing.URL, Token: token, ChatID: "1", Client: noRetry()}, `HTTP 400 Bad Request: {"description":"Bad Request: chat not found"`},
		{"connection refused", notify.Telegram{BaseURL: closed.URL, Token: token, ChatID: "1", Client: noRetry()}, "Post request: dial tcp"},
		{"webhook refused", notify.SlackWebhook{URL: closed.URL + "/services/T000/B000/" + token, Client: noRetry()}, "Post request: dial tcp"},
		{"malformed URL", notify.Webhook{URL: "http://[::1" + token, Client: noRetry()}, "invalid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.dest.Send(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error with %q, have %v", tt.want, err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "127.0.0.1:") && strings.Contains(err.Error(), "/bot") {
				t.Errorf("the error shows the URL: %v", err)
			}
		})
	}
}

// TestSendAll: every destination is tried; results keep their order and
// name the destination that failed.
func TestSendAll(t *testing.T) {
	t.Parallel()
	ok := newProvider(t, nil)
	bad := newProvider(t, func(w http.ResponseWriter, _ *http.Request, _ int) { http.Error(w, "no_service", http.StatusNotFound) })
	results := notify.Send(context.Background(), render(t, deployContext(notify.Success)),
		notify.Teams{URL: bad.URL, Client: noRetry()},
		notify.Webhook{URL: ok.URL, Client: noRetry()},
	)
	if len(results) != 2 || results[0].Destination != "teams" || results[1].Destination != "webhook" {
		t.Fatalf("results: %+v", results)
	}
	if err := results[0].Err; err == nil || err.Error() != "teams: HTTP 404 Not Found: no_service" {
		t.Errorf("teams: want %q, have %v", "teams: HTTP 404 Not Found: no_service", err)
	}
	if results[1].Err != nil || results[1].Requests != 1 || len(ok.Requests()) != 1 {
		t.Errorf("webhook: want delivered once, have %+v", results[1])
	}
}

// TestExcerpt: what an error quotes of a provider's answer is one line,
// without URLs in any of their echoed forms, at most ExcerptLimit bytes,
// and never ends in part of a word (a secret cut in two is not redacted).
func TestExcerpt(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) + " key=googlechatsecret-0123456789 tail"
	tests := []struct{ name, in, want string }{
		{"short", "stand-in failure\n", "stand-in failure"},
		{"one line", "a\n  b\tc", "a b c"},
		{"URL", `{"url":"https://hooks.slack.com/services/T0/B0/secret","ok":false}`, `{"url":"<url>","ok":false}`},
		{"JSON-escaped URL", `{"url":"https:\/\/discord.com\/api\/webhooks\/1\/secret"}`, `{"url":"<url>"}`},
		{"URL-encoded URL", "bad body for https%3A%2F%2Fprod.logic.azure.com%2Fworkflows%2Fsig%3Dsecret end", "bad body for <url> end"},
		{"a word cut in two is dropped", long, strings.Repeat("x", 190) + "…"},
		{"no break at all", strings.Repeat("y", 300), "…"},
		{"ends on a break", strings.Repeat("z", 199) + " rest", strings.Repeat("z", 199) + "…"},
		{"multi-byte", strings.Repeat("é", 150), "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have := notify.Excerpt(tt.in)
			if have != tt.want {
				t.Errorf("want %q\nhave %q", tt.want, have)
			}
			if len(strings.TrimSuffix(have, "…")) > notify.ExcerptLimit || !utf8.ValidString(have) {
				t.Errorf("%d bytes, valid UTF-8 %v", len(have), utf8.ValidString(have))
			}
		})
	}
}
