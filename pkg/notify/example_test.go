package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ferry-ci/ferry/pkg/notify"
)

func ExampleContent_Render() {
	c := notify.Context{
		Repository:    "ferry-ci/example",
		Environment:   "production",
		SHA:           "0123456789abcdef0123456789abcdef01234567",
		Status:        notify.Success,
		CommitMessage: "Fix \"login\" <button>\n\nLonger explanation.",
		Fields:        notify.Fields{{Key: "digest", Value: "sha256:4f53cda1"}},
	}
	m, err := notify.Content{
		MessageTemplate: "{{ .CommitTitle }} ({{ .ShortSHA }}), image {{ .Fields.Get \"digest\" }}",
	}.Render(c)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Title)
	fmt.Println(m.Text)
	// Output:
	// ✅ Deploy of ferry-ci/example to production succeeded
	// Fix "login" <button> (0123456), image sha256:4f53cda1
}

func ExampleSend() {
	// A stand-in for your own endpoint.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &p)
		fmt.Printf("received %s: %s\n", p.Status, p.Title)
	}))
	defer srv.Close()

	m, _ := notify.Content{}.Render(notify.Context{Repository: "ferry-ci/example", Status: notify.Failure})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // retries stay within it
	defer cancel()
	client := (&notify.Retry{}).Client()
	for _, r := range notify.Send(ctx, m, notify.Webhook{URL: srv.URL, Client: client}) {
		fmt.Println(r.Destination, r.Action, r.Err)
	}
	// Output:
	// received failure: ❌ Deploy of ferry-ci/example failed
	// webhook posted <nil>
}
