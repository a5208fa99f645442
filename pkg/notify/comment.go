package notify

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Note is one comment on a pull request or merge request.
type Note struct {
	ID   int64
	Body string
	Mine bool // written by the identity of the token that posts the comment
}

// Thread is the comments of one pull request (GitHub) or merge request
// (GitLab). The caller implements it with the platform's API client; Notes
// returns every page and tells which notes are the token's own.
type Thread interface {
	Notes(ctx context.Context) ([]Note, error)
	Create(ctx context.Context, body string) (Note, error)
	Update(ctx context.Context, id int64, body string) (Note, error)
}

// Comment keeps one comment per key up to date on a pull or merge request:
// it finds the comment by a hidden marker and edits it, and creates it only
// when none carries the marker, so reruns and the started → result steps
// never add a second one. Only the token's own comments count: anyone can
// write the marker, and a comment of someone else's is never edited.
type Comment struct {
	Platform string // "github" or "gitlab": names the destination
	Key      string // tells this comment from those of other notify steps
	Thread   Thread
}

var markerUnsafe = regexp.MustCompile(`[^A-Za-z0-9._/:@+-]+`)

// Marker is the hidden HTML comment that finds a sticky comment again:
// <!-- ferry:notify:KEY -->, with anything that could end the comment early
// in KEY replaced.
func Marker(key string) string {
	key = strings.Trim(markerUnsafe.ReplaceAllString(key, "-"), "-")
	if key == "" {
		key = "default"
	}
	return "<!-- ferry:notify:" + key + " -->"
}

// CommentBody is the Markdown of a sticky comment, marker first. The title,
// text and facts are user text: nothing in them pings, links or renders as
// HTML (see markdownSafe); the links to the run and the environment are
// ferry's own.
func CommentBody(key string, m Message) string {
	var b strings.Builder
	b.WriteString(Marker(key) + "\n")
	fmt.Fprintf(&b, "### %s\n", markdownSafe(m.Title))
	if m.Text != "" {
		b.WriteString("\n" + markdownSafe(m.Text) + "\n")
	}
	if facts := m.Facts(); len(facts) > 0 {
		b.WriteString("\n| | |\n|---|---|\n")
		for _, f := range facts {
			fmt.Fprintf(&b, "| **%s** | %s |\n", markdownCell(markdownSafe(f.Key)), markdownCell(markdownSafe(f.Value)))
		}
	}
	if links := m.Links(); len(links) > 0 {
		var parts []string
		for _, l := range links {
			parts = append(parts, fmt.Sprintf("[%s](%s)", l.Key, l.Value))
		}
		b.WriteString("\n" + strings.Join(parts, " · ") + "\n")
	}
	return b.String()
}

// Name implements Destination.
func (c Comment) Name() string { return c.Platform + "-comment" }

// Send implements Destination.
func (c Comment) Send(ctx context.Context, m Message) (Receipt, error) {
	return c.put(ctx, CommentBody(c.Key, m))
}

// Put keeps the sticky comment as the caller's own Markdown (the marker
// goes first), for a report that is not a notify Message: a change set's
// diff, say. The caller answers for what its Markdown renders.
func (c Comment) Put(ctx context.Context, markdown string) (Receipt, error) {
	return c.put(ctx, Marker(c.Key)+"\n"+markdown)
}

func (c Comment) put(ctx context.Context, body string) (Receipt, error) {
	marker := Marker(c.Key)
	notes, err := c.Thread.Notes(ctx)
	if err != nil {
		return Receipt{}, fmt.Errorf("listing comments: %w", err)
	}
	for _, n := range notes {
		if n.Mine && strings.HasPrefix(n.Body, marker) {
			if _, err := c.Thread.Update(ctx, n.ID, body); err != nil {
				return Receipt{}, fmt.Errorf("updating comment %d: %w", n.ID, err)
			}
			return Receipt{ID: strconv.FormatInt(n.ID, 10), Requests: 1, Action: "updated"}, nil
		}
	}
	n, err := c.Thread.Create(ctx, body)
	if err != nil {
		return Receipt{}, fmt.Errorf("creating the comment: %w", err)
	}
	return Receipt{ID: strconv.FormatInt(n.ID, 10), Requests: 1, Action: "created"}, nil
}
