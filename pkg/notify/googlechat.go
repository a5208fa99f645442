package notify

import (
	"context"
	"html"
	"net/http"
)

// googleChatTextLimit bounds the message text: a Chat message holds 32,000
// bytes, and HTML escaping can grow the text.
const googleChatTextLimit = 8000

// GoogleChat posts a card (cardsV2) to a Google Chat space webhook. Card
// text is HTML-formatted, so the text and facts are HTML-escaped; the header
// and labels are plain text.
type GoogleChat struct {
	URL    string
	Client *http.Client
}

type chatMessage struct {
	FallbackText string     `json:"fallbackText"`
	CardsV2      []chatCard `json:"cardsV2"`
}

type chatCard struct {
	CardID string   `json:"cardId"`
	Card   chatBody `json:"card"`
}

type chatBody struct {
	Header   chatHeader    `json:"header"`
	Sections []chatSection `json:"sections"`
}

type chatHeader struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
}

type chatSection struct {
	Widgets []chatWidget `json:"widgets"`
}

type chatWidget struct {
	TextParagraph *chatParagraph  `json:"textParagraph,omitempty"`
	DecoratedText *chatDecorated  `json:"decoratedText,omitempty"`
	ButtonList    *chatButtonList `json:"buttonList,omitempty"`
}

type chatParagraph struct {
	Text string `json:"text"`
}

type chatDecorated struct {
	TopLabel string `json:"topLabel"`
	Text     string `json:"text"`
	WrapText bool   `json:"wrapText"`
}

type chatButtonList struct {
	Buttons []chatButton `json:"buttons"`
}

type chatButton struct {
	Text    string      `json:"text"`
	OnClick chatOnClick `json:"onClick"`
}

type chatOnClick struct {
	OpenLink chatLink `json:"openLink"`
}

type chatLink struct {
	URL string `json:"url"`
}

func googleChatPayload(m Message) chatMessage {
	var sections []chatSection
	if m.Text != "" {
		sections = append(sections, chatSection{Widgets: []chatWidget{{TextParagraph: &chatParagraph{Text: html.EscapeString(Truncate(m.Text, googleChatTextLimit))}}}})
	}
	var facts []chatWidget
	for _, f := range m.Facts() {
		facts = append(facts, chatWidget{DecoratedText: &chatDecorated{TopLabel: f.Key, Text: html.EscapeString(f.Value), WrapText: true}})
	}
	if len(facts) > 0 {
		sections = append(sections, chatSection{Widgets: facts})
	}
	var buttons []chatButton
	for _, l := range m.Links() {
		buttons = append(buttons, chatButton{Text: l.Key, OnClick: chatOnClick{OpenLink: chatLink{URL: l.Value}}})
	}
	if len(buttons) > 0 {
		sections = append(sections, chatSection{Widgets: []chatWidget{{ButtonList: &chatButtonList{Buttons: buttons}}}})
	}
	return chatMessage{
		FallbackText: m.Title,
		CardsV2: []chatCard{{
			CardID: "ferry-notify",
			Card:   chatBody{Header: chatHeader{Title: m.Title, Subtitle: m.Repository}, Sections: sections},
		}},
	}
}

// Name implements Destination.
func (GoogleChat) Name() string { return "google-chat" }

// Send implements Destination.
func (g GoogleChat) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := post(ctx, g.Client, g.URL, nil, googleChatPayload(m), nil); err != nil {
		return Receipt{}, err
	}
	return Receipt{Requests: 1, Action: "posted"}, nil
}
