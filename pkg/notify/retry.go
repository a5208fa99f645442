package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry is an http.RoundTripper that retries what is worth retrying: 429
// Too Many Requests, 5xx answers (but 501), and dials that failed (nothing
// was sent, so nothing can be duplicated). It waits what the server asks in
// Retry-After (seconds or an HTTP date; for a 429 without the header, the
// retry_after a JSON body carries, as Telegram and Discord send it), else
// Backoff doubling per attempt up to MaxBackoff. It never waits past the
// request context's deadline: when the wait would end after it, it stops at
// once with a *RetryError.
type Retry struct {
	Next        http.RoundTripper // nil: http.DefaultTransport
	MaxAttempts int               // attempts in all, first included; 0: 5
	Backoff     time.Duration     // first wait without Retry-After; 0: 1s
	MaxBackoff  time.Duration     // longest wait without Retry-After; 0: 30s
	MaxWait     time.Duration     // longest wait at all, Retry-After included; 0: 5m
	// Sleep waits d or until ctx is done; nil: a timer. Tests inject one
	// that records the waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time // nil: time.Now; reads HTTP-date Retry-After and the deadline
}

// RetryError is a retry that would not fit: the wait asked for is longer
// than the time left before the deadline (or than MaxWait).
type RetryError struct {
	StatusCode int           // the answer that asked for the wait; 0 for a failed dial
	Attempts   int           // attempts made
	Wait       time.Duration // the wait that did not fit
	Left       time.Duration // time left before the deadline (or MaxWait)
}

func (e *RetryError) Error() string {
	what := "the connection failed"
	if e.StatusCode != 0 {
		what = fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("%s after %d attempt%s; the next would wait %s, more than the %s left", what, e.Attempts, plural(e.Attempts), e.Wait.Round(time.Millisecond), e.Left.Round(time.Millisecond))
}

// Client returns an *http.Client that sends through r.
func (r *Retry) Client() *http.Client { return &http.Client{Transport: r} }

// RoundTrip sends req, retrying as documented on Retry.
func (r *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	attempts := r.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	getBody := req.GetBody
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		try := req
		if getBody != nil && (attempt > 1 || req.GetBody == nil) {
			body, err := getBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(ctx)
			try.Body = body
		}
		resp, err := next.RoundTrip(try)
		wait, again := r.wait(resp, err, attempt)
		if !again || attempt >= attempts || ctx.Err() != nil {
			return resp, err
		}
		left := r.maxWait()
		if deadline, ok := ctx.Deadline(); ok && deadline.Sub(r.now()) < left {
			left = deadline.Sub(r.now())
		}
		if wait > left {
			status := 0
			if resp != nil {
				status = resp.StatusCode
				drain(resp)
			}
			return nil, &RetryError{StatusCode: status, Attempts: attempt, Wait: wait, Left: max(left, 0)}
		}
		if resp != nil {
			drain(resp)
		}
		if err := r.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// wait decides whether to try again and after how long.
func (r *Retry) wait(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return r.backoff(attempt), true
		}
		return 0, false
	}
	if resp.StatusCode != http.StatusTooManyRequests && (resp.StatusCode < 500 || resp.StatusCode == http.StatusNotImplemented) {
		return 0, false
	}
	if d, ok := RetryAfter(resp.Header.Get("Retry-After"), r.now()); ok {
		return d, true
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := bodyRetryAfter(resp); ok {
			return d, true
		}
	}
	return r.backoff(attempt), true
}

func (r *Retry) backoff(attempt int) time.Duration {
	d, top := r.Backoff, r.MaxBackoff
	if d <= 0 {
		d = time.Second
	}
	if top <= 0 {
		top = 30 * time.Second
	}
	for i := 1; i < attempt && d < top; i++ {
		d *= 2
	}
	return min(d, top)
}

func (r *Retry) maxWait() time.Duration {
	if r.MaxWait > 0 {
		return r.MaxWait
	}
	return 5 * time.Minute
}

func (r *Retry) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Retry) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfter reads a Retry-After value: seconds (fractions accepted, as
// Discord sends them) or an HTTP date, which counts from now. A date in the
// past means no wait.
func RetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(value, 64); err == nil {
		if secs < 0 || secs > 24*3600 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// bodyRetryAfter reads retry_after from a JSON body, at the top (Discord)
// or under parameters (Telegram), and puts the body back.
func bodyRetryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.Body == nil || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return 0, false
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return 0, false
	}
	var b struct {
		RetryAfter *float64 `json:"retry_after"`
		Parameters struct {
			RetryAfter *float64 `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(data, &b) != nil {
		return 0, false
	}
	for _, v := range []*float64{b.RetryAfter, b.Parameters.RetryAfter} {
		if v != nil && *v >= 0 && *v <= 24*3600 {
			return time.Duration(*v * float64(time.Second)), true
		}
	}
	return 0, false
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
