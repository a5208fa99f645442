package notify

import (
	"context"
	"net/http"
)

// Webhook posts the whole context as one JSON object, for systems of your
// own. Its shape (snake_case keys, fields as an object) is documented in
// actions/notify/README.md and pinned by a golden test.
type Webhook struct {
	URL    string
	Client *http.Client
}

// WebhookPayload is what Webhook posts.
type WebhookPayload struct {
	Status         Status            `json:"status"`
	Title          string            `json:"title"`
	Message        string            `json:"message"`
	Repository     string            `json:"repository"`
	Ref            string            `json:"ref"`
	SHA            string            `json:"sha"`
	Actor          string            `json:"actor"`
	RunURL         string            `json:"run_url"`
	Environment    string            `json:"environment"`
	EnvironmentURL string            `json:"environment_url"`
	CommitMessage  string            `json:"commit_message"`
	CommitURL      string            `json:"commit_url"`
	PullRequest    int               `json:"pull_request"`
	Fields         map[string]string `json:"fields"`
}

func webhookPayload(m Message) WebhookPayload {
	fields := make(map[string]string, len(m.Fields))
	for _, f := range m.Fields {
		fields[f.Key] = f.Value
	}
	return WebhookPayload{
		Status: m.Status, Title: m.Title, Message: m.Text,
		Repository: m.Repository, Ref: m.Ref, SHA: m.SHA, Actor: m.Actor, RunURL: m.RunURL,
		Environment: m.Environment, EnvironmentURL: m.EnvironmentURL,
		CommitMessage: m.CommitMessage, CommitURL: m.CommitURL, PullRequest: m.PullRequest,
		Fields: fields,
	}
}

// Name implements Destination.
func (Webhook) Name() string { return "webhook" }

// Send implements Destination.
func (w Webhook) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := post(ctx, w.Client, w.URL, nil, webhookPayload(m), nil); err != nil {
		return Receipt{}, err
	}
	return Receipt{Requests: 1, Action: "posted"}, nil
}
