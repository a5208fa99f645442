package action

import (
	"bytes"
	"io"
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
// as strconv.Quote escapes it (without the quotes), the form slog's text
// handler and %q print a value with a quote, a backslash or a control
// character in.
func (r *redactor) add(secret string) []string {
	var added []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range append([]string{secret}, strings.Split(secret, "\n")...) {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		q := strconv.Quote(s)
		for _, c := range []string{s, q[1 : len(q)-1]} {
			if !slices.Contains(r.secrets, c) {
				r.secrets = append(r.secrets, c)
				added = append(added, c)
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return added
}

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
