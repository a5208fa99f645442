package notify

import (
	"context"
	"net/http"
)

// Teams posts an Adaptive Card to a Microsoft Teams Workflows webhook (the
// "Post to a channel when a webhook request is received" flow; Office 365
// connectors are retired). The card's text is Markdown: mentions and links
// in user text are neutralised (see cardSafe).
type Teams struct {
	URL    string
	Client *http.Client
}

type teamsMessage struct {
	Type        string            `json:"type"` // message
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string       `json:"contentType"` // application/vnd.microsoft.card.adaptive
	ContentURL  *string      `json:"contentUrl"`  // null, as the Workflows template expects
	Content     adaptiveCard `json:"content"`
}

type adaptiveCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"` // AdaptiveCard
	Version string        `json:"version"`
	Body    []cardElement `json:"body"`
	Actions []cardAction  `json:"actions,omitempty"`
	MSTeams cardMSTeams   `json:"msteams"`
}

type cardElement struct {
	Type   string     `json:"type"` // TextBlock or FactSet
	Text   string     `json:"text,omitempty"`
	Size   string     `json:"size,omitempty"`
	Weight string     `json:"weight,omitempty"`
	Color  string     `json:"color,omitempty"`
	Wrap   bool       `json:"wrap,omitempty"`
	Facts  []cardFact `json:"facts,omitempty"`
}

type cardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type cardAction struct {
	Type  string `json:"type"` // Action.OpenUrl
	Title string `json:"title"`
	URL   string `json:"url"`
}

type cardMSTeams struct {
	Width string `json:"width"`
}

func teamsColor(s Status) string {
	switch s {
	case Success:
		return "good"
	case Failure:
		return "attention"
	case Started:
		return "accent"
	}
	return "warning"
}

func teamsPayload(m Message) teamsMessage {
	body := []cardElement{{Type: "TextBlock", Text: cardSafe(m.Title), Size: "Large", Weight: "Bolder", Color: teamsColor(m.Status), Wrap: true}}
	if m.Text != "" {
		body = append(body, cardElement{Type: "TextBlock", Text: cardSafe(m.Text), Wrap: true})
	}
	if facts := m.Facts(); len(facts) > 0 {
		set := cardElement{Type: "FactSet"}
		for _, f := range facts {
			set.Facts = append(set.Facts, cardFact{Title: cardSafe(f.Key), Value: cardSafe(f.Value)})
		}
		body = append(body, set)
	}
	var actions []cardAction
	for _, l := range m.Links() {
		actions = append(actions, cardAction{Type: "Action.OpenUrl", Title: l.Key, URL: l.Value})
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: adaptiveCard{
			Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
			Type:    "AdaptiveCard",
			Version: "1.4",
			Body:    body,
			Actions: actions,
			MSTeams: cardMSTeams{Width: "Full"},
		},
	}}}
}

// Name implements Destination.
func (Teams) Name() string { return "teams" }

// Send implements Destination.
func (t Teams) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := post(ctx, t.Client, t.URL, nil, teamsPayload(m), nil); err != nil {
		return Receipt{}, err
	}
	return Receipt{Requests: 1, Action: "posted"}, nil
}
