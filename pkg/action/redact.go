package action

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// redactor is the one way anything reaches the log. It writes whole lines,
// replacing every registered secret with "***", so a secret split across two
// writes is still caught. Raw writes (the ::add-mask:: command, which must
// carry the value) go through the same lock to keep the order.
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string // longest first, so a secret containing another is replaced whole
	buf     []byte
}

const redacted = "***"

func newRedactor(w io.Writer) *redactor { return &redactor{w: w} }

// add registers a secret: the whole value and each of its lines, each also
// in the forms it takes when something echoes it (see encodings). It
// returns the values newly registered, for ::add-mask::.
func (r *redactor) add(secret string) []string {
	var added []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range append([]string{secret}, strings.Split(secret, "\n")...) {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		for _, c := range encodings(s) {
			if !slices.Contains(r.secrets, c) {
				r.secrets = append(r.secrets, c)
				added = append(added, c)
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return added
}

// minEncoded is the shortest encoded form registered: shorter ones (of a
// short secret) would mask ordinary text.
const minEncoded = 8

// encodings are s and the forms it takes when a library or a provider
// echoes it: as strconv.Quote escapes it (slog's text handler, %q), URL-
// encoded (query and path escaping, upper- and lower-case hex),
// JSON-escaped (with and without "/" as "\/", and with <, > and & as
// \u003c… as Go escapes them), and in base64 (standard and URL alphabets,
// padded and not). A secret inside a longer base64 text, as in
// base64("user:" + secret), encodes differently at each of the three byte
// alignments; the characters that depend on the secret alone are registered
// for each, as the GitHub runner does. Every form but s itself must be at
// least minEncoded long.
func encodings(s string) []string {
	forms := []string{s}
	add := func(f string) {
		if len(f) >= minEncoded && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	q := strconv.Quote(s)
	add(q[1 : len(q)-1])
	for _, f := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		add(f)
		add(percentHex.ReplaceAllStringFunc(f, strings.ToLower))
	}
	for _, html := range []bool{false, true} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(s) // a string always encodes
		j := strings.TrimSuffix(b.String(), "\n")
		j = j[1 : len(j)-1]
		add(j)
		add(strings.ReplaceAll(j, "/", `\/`))
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(e.EncodeToString([]byte(s)))
		raw := e.WithPadding(base64.NoPadding)
		for shift := range 3 {
			if len(s) <= shift {
				break
			}
			b := []byte(s[shift:])
			add(raw.EncodeToString(b[:len(b)/3*3])) // whole groups: what follows does not change them
		}
	}
	return forms
}

var percentHex = regexp.MustCompile(`%[0-9A-F]{2}`)

// redact replaces every secret in s.
func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.redactLocked(s)
}

func (r *redactor) redactLocked(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	i := bytes.LastIndexByte(r.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	out := r.redactLocked(string(r.buf[:i+1]))
	r.buf = append(r.buf[:0], r.buf[i+1:]...)
	if _, err := io.WriteString(r.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes a pending partial line.
func (r *redactor) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
}

func (r *redactor) flushLocked() {
	if len(r.buf) == 0 {
		return
	}
	_, _ = io.WriteString(r.w, r.redactLocked(string(r.buf)))
	r.buf = r.buf[:0]
}

// rawWriter writes past the redaction, after any pending line.
type rawWriter struct{ r *redactor }

func (w rawWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	w.r.flushLocked()
	return w.r.w.Write(p)
}
