package notify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Slack's Block Kit limits.
const (
	slackHeaderLimit  = 150  // header block text
	slackSectionLimit = 3000 // section text
	slackFieldLimit   = 2000 // each section field
	slackFieldsMax    = 10   // fields per section
	slackBlocksMax    = 50   // blocks per message
	slackButtonLimit  = 75   // button text
	slackURLLimit     = 3000 // button URL
)

type slackText struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackButton struct {
	Type string    `json:"type"` // button
	Text slackText `json:"text"`
	URL  string    `json:"url"`
}

type slackBlock struct {
	Type     string        `json:"type"` // header, section, actions
	Text     *slackText    `json:"text,omitempty"`
	Fields   []slackText   `json:"fields,omitempty"`
	Elements []slackButton `json:"elements,omitempty"`
}

type slackMessage struct {
	Channel string       `json:"channel,omitempty"` // Web API only
	TS      string       `json:"ts,omitempty"`      // chat.update only
	Text    string       `json:"text"`              // notification and fallback text
	Blocks  []slackBlock `json:"blocks"`
}

// slackPayload builds the Block Kit message: a header with the title, the
// text in sections of up to 3,000 characters, the facts as section fields
// (ten per section), and link buttons; within 50 blocks. Everything in
// mrkdwn has &, < and > escaped, so text cannot open a link or mention
// (<!channel>) and reads as written.
func slackPayload(m Message) slackMessage {
	var blocks []slackBlock
	blocks = append(blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: Truncate(m.Title, slackHeaderLimit), Emoji: true}})

	var facts []slackBlock
	var section []slackText
	for _, f := range m.Facts() {
		section = append(section, slackText{Type: "mrkdwn", Text: Truncate("*"+slackEscape(f.Key)+"*\n"+slackEscape(f.Value), slackFieldLimit)})
		if len(section) == slackFieldsMax {
			facts = append(facts, slackBlock{Type: "section", Fields: section})
			section = nil
		}
	}
	if len(section) > 0 {
		facts = append(facts, slackBlock{Type: "section", Fields: section})
	}
	var actions []slackBlock
	var buttons []slackButton
	for _, l := range m.Links() {
		if len(l.Value) <= slackURLLimit {
			buttons = append(buttons, slackButton{Type: "button", Text: slackText{Type: "plain_text", Text: Truncate(l.Key, slackButtonLimit)}, URL: l.Value})
		}
	}
	if len(buttons) > 0 {
		actions = append(actions, slackBlock{Type: "actions", Elements: buttons})
	}

	room := slackBlocksMax - 1 - len(facts) - len(actions)
	if room < 1 { // more than 400 fields: keep the text, drop the facts that do not fit
		facts = facts[:max(0, slackBlocksMax-2-len(actions))]
		room = 1
	}
	if m.Text != "" {
		chunks := Split(slackEscape(m.Text), slackSectionLimit)
		if len(chunks) > room {
			chunks = chunks[:room]
			chunks[room-1] = cut(chunks[room-1], slackSectionLimit-1) + "…"
		}
		for _, c := range chunks {
			blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: c}})
		}
	}
	blocks = append(append(blocks, facts...), actions...)
	return slackMessage{Text: slackEscape(m.Title), Blocks: blocks}
}

// SlackWebhook posts to a Slack incoming webhook.
type SlackWebhook struct {
	URL    string
	Client *http.Client
}

// Name implements Destination.
func (SlackWebhook) Name() string { return "slack-webhook" }

// Send implements Destination.
func (s SlackWebhook) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := post(ctx, s.Client, s.URL, nil, slackPayload(m), nil); err != nil {
		return Receipt{}, err
	}
	return Receipt{Requests: 1, Action: "posted"}, nil
}

// SlackBot posts with the Web API as a bot (chat.postMessage), or edits the
// message whose ts is Update (chat.update) — a "started" message becomes the
// result. Channel is a channel ID (C0123…) or, for new messages only, a name;
// chat.update needs the ID, which the receipt carries.
type SlackBot struct {
	BaseURL string // e.g. https://slack.com/api
	Token   string // xoxb-…
	Channel string
	Update  string // ts of the message to edit; "" posts a new one
	Client  *http.Client
}

// Name implements Destination.
func (SlackBot) Name() string { return "slack-bot" }

// Send implements Destination.
func (s SlackBot) Send(ctx context.Context, m Message) (Receipt, error) {
	payload := slackPayload(m)
	payload.Channel = s.Channel
	method, action := "chat.postMessage", "posted"
	if s.Update != "" {
		payload.TS = s.Update
		method, action = "chat.update", "updated"
	}
	var answer struct {
		OK      bool   `json:"ok"`
		Error   string `json:"error"`
		TS      string `json:"ts"`
		Channel string `json:"channel"`
	}
	header := http.Header{"Authorization": {"Bearer " + s.Token}}
	if err := post(ctx, s.Client, strings.TrimSuffix(s.BaseURL, "/")+"/"+method, header, payload, &answer); err != nil {
		return Receipt{}, fmt.Errorf("%s: %w", method, err)
	}
	if !answer.OK {
		return Receipt{}, fmt.Errorf("%s: answered %q", method, Excerpt(answer.Error))
	}
	return Receipt{ID: answer.TS, Channel: answer.Channel, Requests: 1, Action: action}, nil
}
