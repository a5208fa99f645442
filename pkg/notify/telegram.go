package notify

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// TelegramLimit is the most a Telegram message holds, in UTF-16 code units.
const TelegramLimit = 4096

// Telegram sends with a bot (sendMessage). The text goes as plain text, with
// no parse mode, so nothing in it needs escaping or can break the markup; the
// title is made bold and the run link clickable with message entities
// instead. A text longer than 4,096 characters is split into several
// messages.
type Telegram struct {
	BaseURL string // e.g. https://api.telegram.org
	Token   string // 123456:ABC…; goes in the request path, so errors never show the URL
	ChatID  string // numeric ID (-100… for channels) or @channelusername
	Client  *http.Client
}

type telegramMessage struct {
	ChatID             string             `json:"chat_id"`
	Text               string             `json:"text"`
	Entities           []telegramEntity   `json:"entities,omitempty"`
	LinkPreviewOptions telegramLinkOption `json:"link_preview_options"`
}

type telegramEntity struct {
	Type   string `json:"type"` // bold, text_link
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	URL    string `json:"url,omitempty"`
}

type telegramLinkOption struct {
	IsDisabled bool `json:"is_disabled"`
}

// telegramText lays the message out as plain text with entities, offsets
// in UTF-16 units.
func telegramText(m Message) (string, []telegramEntity) {
	var b strings.Builder
	var entities []telegramEntity
	mark := func(kind, text, url string) {
		entities = append(entities, telegramEntity{Type: kind, Offset: units(b.String()), Length: units(text), URL: url})
		b.WriteString(text)
	}
	mark("bold", Truncate(m.Title, 256), "")
	if m.Text != "" {
		b.WriteString("\n\n" + m.Text)
	}
	if facts := m.Facts(); len(facts) > 0 {
		b.WriteString("\n")
		for _, f := range facts {
			b.WriteString("\n")
			mark("bold", f.Key+":", "")
			b.WriteString(" " + f.Value)
		}
	}
	for i, l := range m.Links() {
		sep := " · "
		if i == 0 {
			sep = "\n\n"
		}
		b.WriteString(sep)
		mark("text_link", l.Key, l.Value)
	}
	return b.String(), entities
}

func telegramPayloads(m Message, chatID string) []telegramMessage {
	text, entities := telegramText(m)
	var out []telegramMessage
	start := 0
	for _, chunk := range Split(text, TelegramLimit) {
		end := start + units(chunk)
		msg := telegramMessage{ChatID: chatID, Text: chunk, LinkPreviewOptions: telegramLinkOption{IsDisabled: true}}
		for _, e := range entities {
			from, to := max(e.Offset, start), min(e.Offset+e.Length, end)
			if from < to {
				e.Offset, e.Length = from-start, to-from
				msg.Entities = append(msg.Entities, e)
			}
		}
		out = append(out, msg)
		start = end
	}
	return out
}

// Name implements Destination.
func (Telegram) Name() string { return "telegram" }

// Send implements Destination.
func (t Telegram) Send(ctx context.Context, m Message) (Receipt, error) {
	msgs := telegramPayloads(m, t.ChatID)
	endpoint := strings.TrimSuffix(t.BaseURL, "/") + "/bot" + t.Token + "/sendMessage"
	var ids []string
	for i, msg := range msgs {
		var answer struct {
			OK          bool   `json:"ok"`
			Description string `json:"description"`
			Result      struct {
				MessageID int64 `json:"message_id"`
			} `json:"result"`
		}
		err := post(ctx, t.Client, endpoint, nil, msg, &answer)
		if err == nil && !answer.OK {
			err = fmt.Errorf("answered %q", Excerpt(answer.Description))
		}
		if err != nil {
			if len(msgs) > 1 {
				return Receipt{Requests: i}, fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err)
			}
			return Receipt{}, err
		}
		ids = append(ids, strconv.FormatInt(answer.Result.MessageID, 10))
	}
	return Receipt{ID: strings.Join(ids, ","), Requests: len(msgs), Action: "posted"}, nil
}
