package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HTTPError is a response that was not a success, after retries.
type HTTPError struct {
	StatusCode int
	Body       string // the provider's reason: an Excerpt of the response body
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// encode marshals v once, without HTML escaping: <, > and & stay as they are
// in the JSON text (they are valid there and easier to read in golden files).
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the payload: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// post sends payload as JSON to target and decodes a JSON answer into out
// when out is not nil. Errors never contain target: webhook URLs and
// Telegram's bot path are secrets.
func post(ctx context.Context, hc *http.Client, target string, header http.Header, payload, out any) error {
	body, err := encode(payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("building the request: invalid URL") // url.Parse's error quotes the URL
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Scrub(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPError{StatusCode: resp.StatusCode, Body: snippet(data)}
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("reading the answer: %w", err)
		}
	}
	return nil
}

// Scrub removes the URL from a *url.Error (what http.Client returns), keeping
// the method and the cause: "Post: dial tcp …: connection refused".
func Scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// ExcerptLimit is the most of a provider's answer an error quotes, in bytes.
const ExcerptLimit = 200

// urlLike matches URLs as providers echo them: plain, JSON-escaped
// (https:\/\/…) and URL-encoded (https%3A%2F%2F…).
var urlLike = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*(:(\\?/){2}|%3A%2F%2F)[^\s"'<>]*`)

// Excerpt is what an error quotes of text a provider sent (a response body,
// an error message): one line, URLs replaced by <url> (a provider that
// echoes the request URL would echo its secret), and at most ExcerptLimit
// bytes, cut before a word rather than in it, so no secret is left in part
// where the log's redaction could not recognise it.
func Excerpt(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	s = urlLike.ReplaceAllString(s, "<url>")
	if len(s) <= ExcerptLimit {
		return s
	}
	head := s[:ExcerptLimit]
	for !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	if !excerptBreak(rune(s[len(head)])) { // the word cut in two is dropped
		if i := strings.LastIndexFunc(head, excerptBreak); i >= 0 {
			_, w := utf8.DecodeRuneInString(head[i:])
			head = head[:i+w]
		} else {
			head = ""
		}
	}
	return strings.TrimRight(head, " ") + "…"
}

// excerptBreak is a character that ends a word in an excerpt.
func excerptBreak(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`"',;()[]{}<>`, r) }

// snippet is the excerpt of a response body.
func snippet(b []byte) string { return Excerpt(string(b)) }
