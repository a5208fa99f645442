package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Status is how the run ended, or that it started.
type Status string

// The statuses a notification reports.
const (
	Started   Status = "started"
	Success   Status = "success"
	Failure   Status = "failure"
	Cancelled Status = "cancelled"
)

// Statuses are the valid statuses, in the order they happen.
func Statuses() []string {
	return []string{string(Started), string(Success), string(Failure), string(Cancelled)}
}

// Emoji is the status as one emoji, for titles.
func (s Status) Emoji() string {
	switch s {
	case Started:
		return "🚀"
	case Success:
		return "✅"
	case Failure:
		return "❌"
	case Cancelled:
		return "⚪"
	}
	return "ℹ️"
}

// Phrase is the status as the end of a sentence: "started", "succeeded",
// "failed", "was cancelled".
func (s Status) Phrase() string {
	switch s {
	case Success:
		return "succeeded"
	case Failure:
		return "failed"
	case Cancelled:
		return "was cancelled"
	}
	return string(s)
}

// Field is one key=value line of extra information, such as an image digest.
type Field struct {
	Key   string
	Value string
}

// Fields keep the order they were given in.
type Fields []Field

// Get returns the value of the first field named key, or "".
func (f Fields) Get(key string) string {
	for _, x := range f {
		if x.Key == key {
			return x.Value
		}
	}
	return ""
}

// ParseFields reads key=value lines (blank lines skipped). Values may hold
// "=" and commas; keys are unique. Every bad line is reported.
func ParseFields(lines []string) (Fields, error) {
	var out Fields
	var errs []error
	seen := map[string]bool{}
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		switch {
		case !ok || k == "":
			errs = append(errs, fmt.Errorf("line %d: expected key=value, found %q", i+1, line))
			continue
		case seen[k]:
			errs = append(errs, fmt.Errorf("line %d: expected each key once, found %q again", i+1, k))
			continue
		}
		seen[k] = true
		out = append(out, Field{Key: k, Value: strings.TrimSpace(v)})
	}
	return out, errors.Join(errs...)
}

// Context is what a notification is about. The title and message templates
// (Content.TitleTemplate, Content.MessageTemplate) read its fields and methods, e.g. {{ .Repository }}, {{ .ShortSHA }},
// {{ .Status.Emoji }}, {{ .Fields.Get "digest" }}.
type Context struct {
	Repository     string // owner/name on GitHub, group/project on GitLab
	Ref            string // branch or tag
	SHA            string // full commit SHA
	Actor          string // who started the run
	RunURL         string // the workflow run or pipeline
	Environment    string // e.g. production
	EnvironmentURL string // where the environment is reachable
	Status         Status
	CommitMessage  string // the head commit's whole message
	CommitURL      string // the commit on the forge
	PullRequest    int    // pull request number or merge request IID; 0 when none
	Fields         Fields // extra key=value lines, in order
}

// ShortSHA is the first 7 characters of the commit SHA.
func (c Context) ShortSHA() string {
	if len(c.SHA) > 7 {
		return c.SHA[:7]
	}
	return c.SHA
}

// CommitTitle is the first line of the commit message.
func (c Context) CommitTitle() string {
	title, _, _ := strings.Cut(c.CommitMessage, "\n")
	return strings.TrimSpace(title)
}

// The templates used when none is given.
const (
	DefaultTitle   = `{{ .Status.Emoji }} Deploy{{ with .Repository }} of {{ . }}{{ end }}{{ with .Environment }} to {{ . }}{{ end }} {{ .Status.Phrase }}`
	DefaultMessage = `{{ .CommitMessage }}`
)

// Content is where a notification's title and message come from. Title
// and Message are literal text, sent as written: a commit message holding
// "{{" arrives as it is. TitleTemplate and MessageTemplate are Go templates
// over a Context (run by renderTemplate, see template.go), used when the
// literal one is empty; both empty means the default template. When both
// of a pair are given, the literal text wins (the caller reports that).
type Content struct {
	Title, TitleTemplate     string
	Message, MessageTemplate string
}

// TemplateError is a template that does not parse or does not execute
// against a Context. Which is "title" or "message".
type TemplateError struct {
	Which string
	Err   error
}

func (e *TemplateError) Error() string { return fmt.Sprintf("%s template: %v", e.Which, e.Err) }
func (e *TemplateError) Unwrap() error { return e.Err }

// Render makes the message about c: the literal texts as they are, the
// templates executed against c. Both templates are checked: the error
// joins a *TemplateError for each that fails. The title is made one line.
func (t Content) Render(c Context) (Message, error) {
	m := Message{Context: c}
	var errs []error
	for _, x := range []struct {
		which, literal, text, def string
		out                       *string
	}{
		{"title", t.Title, t.TitleTemplate, DefaultTitle, &m.Title},
		{"message", t.Message, t.MessageTemplate, DefaultMessage, &m.Text},
	} {
		if x.literal != "" {
			*x.out = x.literal
			continue
		}
		text := x.text
		if text == "" {
			text = x.def
		}
		s, err := renderTemplate(x.which, text, c)
		if err != nil {
			errs = append(errs, &TemplateError{Which: x.which, Err: err})
			continue
		}
		*x.out = s
	}
	m.Title = strings.TrimSpace(strings.Join(strings.Fields(m.Title), " "))
	m.Text = strings.Trim(m.Text, "\n")
	return m, errors.Join(errs...)
}

// Message is a rendered notification: the context it is about, its title
// (one line) and its text.
type Message struct {
	Context
	Title string
	Text  string
}

// Facts are the key/value pairs every provider shows under the text: ref,
// commit, actor and environment, then the context's fields; those with an
// empty value are left out.
func (m Message) Facts() Fields {
	var f Fields
	for _, x := range append(Fields{
		{"Ref", m.Ref},
		{"Commit", m.ShortSHA()},
		{"Actor", m.Actor},
		{"Environment", m.Environment},
	}, m.Fields...) {
		if strings.TrimSpace(x.Value) != "" {
			f = append(f, x)
		}
	}
	return f
}

// Links are the run and the environment, when known, as label/URL pairs.
func (m Message) Links() []Field {
	var l []Field
	if m.RunURL != "" {
		l = append(l, Field{"View run", m.RunURL})
	}
	if m.EnvironmentURL != "" {
		l = append(l, Field{"Open environment", m.EnvironmentURL})
	}
	return l
}

// Destination is one place a notification goes.
type Destination interface {
	// Name identifies the destination in logs and errors (never its URL).
	Name() string
	// Send delivers the message.
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Receipt is what a destination reports back.
type Receipt struct {
	ID       string // the provider's ID of the message (Slack ts, comment ID), when it has one
	Channel  string // Slack: the channel ID the message is in
	Requests int    // HTTP requests that delivered it (chunks), retries not counted
	Action   string // what was done: "posted", "updated", "created", …
}

// Result is the outcome of one destination.
type Result struct {
	Destination string
	Receipt
	Err error
}

// Send delivers m to every destination at once and returns one result per
// destination, in order. One failing does not stop the others.
func Send(ctx context.Context, m Message, dests ...Destination) []Result {
	results := make([]Result, len(dests))
	var wg sync.WaitGroup
	for i, d := range dests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := d.Send(ctx, m)
			if err != nil {
				err = fmt.Errorf("%s: %w", d.Name(), err)
			}
			results[i] = Result{Destination: d.Name(), Receipt: r, Err: err}
		}()
	}
	wg.Wait()
	return results
}
