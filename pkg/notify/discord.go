package notify

import (
	"context"
	"fmt"
	"net/http"
)

// Discord's limits.
const (
	discordContentLimit = 2000
	discordTitleLimit   = 256
	discordFieldName    = 256
	discordFieldValue   = 1024
	discordFieldsMax    = 25
)

// Discord posts to a Discord channel webhook: the text as message content
// (split into messages of at most 2,000 characters) and, on the first
// message, an embed with the title, the status colour, the facts and a link
// to the run. Mentions are disabled, so "@everyone" in a commit message
// pings no one.
type Discord struct {
	URL    string
	Client *http.Client
}

type discordMessage struct {
	Content         string          `json:"content,omitempty"`
	Embeds          []discordEmbed  `json:"embeds,omitempty"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

type discordMentions struct {
	Parse []string `json:"parse"` // empty: no mention pings
}

type discordEmbed struct {
	Title  string         `json:"title"`
	URL    string         `json:"url,omitempty"`
	Color  int            `json:"color"`
	Fields []discordField `json:"fields,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

func discordColor(s Status) int {
	switch s {
	case Success:
		return 0x2EA44F
	case Failure:
		return 0xD73A49
	case Started:
		return 0x0366D6
	}
	return 0x6A737D
}

func discordPayloads(m Message) []discordMessage {
	embed := discordEmbed{Title: Truncate(m.Title, discordTitleLimit), URL: m.RunURL, Color: discordColor(m.Status)}
	for _, f := range m.Facts() {
		if len(embed.Fields) == discordFieldsMax {
			break
		}
		embed.Fields = append(embed.Fields, discordField{Name: Truncate(f.Key, discordFieldName), Value: Truncate(f.Value, discordFieldValue), Inline: len(f.Value) <= 40})
	}
	none := discordMentions{Parse: []string{}}
	if m.Text == "" {
		return []discordMessage{{Embeds: []discordEmbed{embed}, AllowedMentions: none}}
	}
	var out []discordMessage
	for i, chunk := range Split(m.Text, discordContentLimit) {
		msg := discordMessage{Content: chunk, AllowedMentions: none}
		if i == 0 {
			msg.Embeds = []discordEmbed{embed}
		}
		out = append(out, msg)
	}
	return out
}

// Name implements Destination.
func (Discord) Name() string { return "discord" }

// Send implements Destination.
func (d Discord) Send(ctx context.Context, m Message) (Receipt, error) {
	msgs := discordPayloads(m)
	for i, msg := range msgs {
		if err := post(ctx, d.Client, d.URL, nil, msg, nil); err != nil {
			if len(msgs) > 1 {
				return Receipt{Requests: i}, fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err)
			}
			return Receipt{}, err
		}
	}
	return Receipt{Requests: len(msgs), Action: "posted"}, nil
}
