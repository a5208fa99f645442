package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/pkg/notify"
)

// goldenFile compares have with testdata/name (-update rewrites it).
func goldenFile(t *testing.T, name string, have []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), have)
}

// pretty indents the JSON bodies of the requests, as one document.
func pretty(t *testing.T, reqs []request) []byte {
	t.Helper()
	var out bytes.Buffer
	for i, r := range reqs {
		if !json.Valid(r.Body) {
			t.Fatalf("request %d: body is not JSON: %s", i, r.Body)
		}
		if i > 0 {
			out.WriteString("\n")
		}
		if err := json.Indent(&out, r.Body, "", "  "); err != nil {
			t.Fatal(err)
		}
		out.WriteString("\n")
	}
	return out.Bytes()
}

// TestGoldenPayloads sends a success and a failure with a hostile commit
// message to a stand-in of each provider, compares what arrived with
// testdata/<provider>-<status>.golden.json, and decodes the payload as the
// provider would to check that the message reads exactly as written.
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter, r *http.Request, n int)
		dest    func(url string) notify.Destination
		text    func(t *testing.T, body []byte) string // the message text as the provider displays it
	}{
		{
			name: "slack-webhook",
			dest: func(u string) notify.Destination { return notify.SlackWebhook{URL: u} },
			text: slackText,
		},
		{
			name: "slack-bot",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				answer(w, 200, map[string]any{"ok": true, "ts": "1700000000.000100", "channel": "C0123456789"})
			},
			dest: func(u string) notify.Destination {
				return notify.SlackBot{BaseURL: u, Token: "xoxb-test", Channel: "C0123456789"}
			},
			text: slackText,
		},
		{
			name: "teams",
			dest: func(u string) notify.Destination { return notify.Teams{URL: u} },
			text: func(t *testing.T, body []byte) string {
				var p struct {
					Attachments []struct {
						Content struct {
							Body []struct{ Text string }
						}
					}
				}
				decode(t, body, &p)
				return displayed(p.Attachments[0].Content.Body[1].Text)
			},
		},
		{
			name: "discord",
			dest: func(u string) notify.Destination { return notify.Discord{URL: u} },
			text: func(t *testing.T, body []byte) string {
				var p struct{ Content string }
				decode(t, body, &p)
				return p.Content
			},
		},
		{
			name: "telegram",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				answer(w, 200, map[string]any{"ok": true, "result": map[string]any{"message_id": 100 + n}})
			},
			dest: func(u string) notify.Destination {
				return notify.Telegram{BaseURL: u, Token: "123456:ABC-secret", ChatID: "-1001234567890"}
			},
			text: func(t *testing.T, body []byte) string {
				var p struct{ Text string }
				decode(t, body, &p)
				_, rest, _ := strings.Cut(p.Text, "\n\n")
				text, _, _ := strings.Cut(rest, "\n\nRef:")
				return text
			},
		},
		{
			name: "google-chat",
			dest: func(u string) notify.Destination { return notify.GoogleChat{URL: u} },
			text: func(t *testing.T, body []byte) string {
				var p struct {
					CardsV2 []struct {
						Card struct {
							Sections []struct {
								Widgets []struct{ TextParagraph struct{ Text string } }
							}
						}
					}
				}
				decode(t, body, &p)
				return html.UnescapeString(p.CardsV2[0].Card.Sections[0].Widgets[0].TextParagraph.Text)
			},
		},
		{
			name: "webhook",
			dest: func(u string) notify.Destination { return notify.Webhook{URL: u} },
			text: func(t *testing.T, body []byte) string {
				var p notify.WebhookPayload
				decode(t, body, &p)
				if p.CommitMessage != hostile || p.Fields["digest"] == "" {
					t.Errorf("webhook: commit_message or fields lost: %+v", p)
				}
				return p.Message
			},
		},
	}
	for _, tt := range tests {
		for _, status := range []notify.Status{notify.Success, notify.Failure} {
			t.Run(tt.name+"/"+string(status), func(t *testing.T) {
				t.Parallel()
				p := newProvider(t, tt.respond)
				m := render(t, deployContext(status))
				if _, err := tt.dest(p.URL).Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				reqs := p.Requests()
				if len(reqs) != 1 {
					t.Fatalf("requests: want 1, have %d", len(reqs))
				}
				if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type: want JSON, have %q", ct)
				}
				goldenFile(t, tt.name+"-"+string(status)+".golden.json", pretty(t, reqs))
				if have := tt.text(t, reqs[0].Body); have != hostile {
					t.Errorf("the message as %s displays it:\nwant %q\nhave %q", tt.name, hostile, have)
				}
			})
		}
	}
}

func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
}

// slackText joins the section texts after the header and undoes Slack's
// three escapes, as Slack does when it displays them.
func slackText(t *testing.T, body []byte) string {
	var p struct {
		Blocks []struct {
			Type string
			Text *struct{ Type, Text string }
		}
	}
	decode(t, body, &p)
	var b strings.Builder
	for _, blk := range p.Blocks[1:] {
		if blk.Type == "section" && blk.Text != nil {
			b.WriteString(blk.Text.Text)
		}
	}
	s := b.String()
	if strings.ContainsAny(s, "<>") {
		t.Errorf("slack: unescaped < or > in mrkdwn: %q", s)
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// displayed is Markdown text as GitHub, GitLab and Teams show it, as far
// as the neutralising goes: the zero-width spaces are invisible and &lt;
// shows as <.
func displayed(s string) string {
	return strings.NewReplacer("&#8203;", "", "\u200b", "", "&lt;", "<").Replace(s)
}

// TestGoldenComment pins the Markdown of a sticky comment: the marker
// first, the message reading as written, and nothing in it that pings,
// links or renders as HTML.
func TestGoldenComment(t *testing.T) {
	t.Parallel()
	for _, status := range []notify.Status{notify.Success, notify.Failure} {
		body := notify.CommentBody("deploy/web", render(t, deployContext(status)))
		if !strings.HasPrefix(body, "<!-- ferry:notify:deploy/web -->\n") || !strings.Contains(displayed(body), "\n"+hostile+"\n") {
			t.Errorf("comment: want the marker first and the message as written:\n%s", body)
		}
		for _, bad := range []string{" @everyone", " @all", "[link](", "<b>", "<!channel"} {
			if strings.Contains(body, bad) {
				t.Errorf("comment: %q would render:\n%s", bad, body)
			}
		}
		goldenFile(t, "comment-"+string(status)+".golden.md", []byte(body))
	}
}
