package notify_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/pkg/notify"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{" 7 ", 7 * time.Second, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"999999", 0, false},
	}
	for _, tt := range tests {
		have, ok := notify.RetryAfter(tt.value, now)
		if have != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q): want %s %v, have %s %v", tt.value, tt.want, tt.ok, have, ok)
		}
	}
}

// clock records the waits instead of sleeping, and moves time forward.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

// TestRetry: what is retried, how long each wait is (read from the injected
// clock), and that every attempt carries the same body.
func TestRetry(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type reply struct {
		status int
		header map[string]string
		body   string
	}
	tests := []struct {
		name     string
		replies  []reply // the last repeats
		deadline time.Duration
		requests int
		waits    []time.Duration
		err      string // "" means delivered
	}{
		{
			name:     "429 with Retry-After seconds",
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 429, header: map[string]string{"Retry-After": "2"}}, {status: 200}},
			requests: 3, waits: []time.Duration{7 * time.Second, 2 * time.Second},
		},
		{
			name:     "503 with Retry-After as an HTTP date",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": start.Add(12 * time.Second).Format(http.TimeFormat)}}, {status: 200}},
			requests: 2, waits: []time.Duration{12 * time.Second},
		},
		{
			name:     "5xx without Retry-After backs off 1s, 2s, 4s",
			replies:  []reply{{status: 500}, {status: 502}, {status: 504}, {status: 200}},
			requests: 4, waits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:     "Telegram's retry_after in the body",
			replies:  []reply{{status: 429, header: map[string]string{"Content-Type": "application/json"}, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`}, {status: 200}},
			requests: 2, waits: []time.Duration{5 * time.Second},
		},
		{
			name:     "Discord's fractional retry_after",
			replies:  []reply{{status: 429, header: map[string]string{"Content-Type": "application/json"}, body: `{"message":"You are being rate limited.","retry_after":0.25,"global":false}`}, {status: 204}},
			requests: 2, waits: []time.Duration{250 * time.Millisecond},
		},
		{
			name:     "gives up after 5 attempts with the last answer",
			replies:  []reply{{status: 500}},
			requests: 5, waits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			err: "HTTP 500 Internal Server Error",
		},
		{
			name:     "a wait past the deadline stops at once",
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "120"}}, {status: 200}},
			deadline: 30 * time.Second,
			requests: 1,
			err:      "HTTP 429 Too Many Requests after 1 attempt; the next would wait 2m0s, more than the 30s left",
		},
		{
			name:     "waits that fit the deadline, then one that does not",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "10"}}},
			deadline: 25 * time.Second,
			requests: 3, waits: []time.Duration{10 * time.Second, 10 * time.Second},
			err: "the next would wait 10s, more than the 5s left",
		},
		{name: "400 is not retried", replies: []reply{{status: 400}}, requests: 1, err: "HTTP 400"},
		{name: "501 is not retried", replies: []reply{{status: 501}}, requests: 1, err: "HTTP 501"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				r := tt.replies[min(n, len(tt.replies))-1]
				for k, v := range r.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(r.status)
				_, _ = w.Write([]byte(r.body))
			})
			clk := &clock{now: start}
			client := (&notify.Retry{Sleep: clk.Sleep, Now: clk.Now}).Client()
			ctx := context.Background()
			if tt.deadline > 0 {
				// The deadline is on the injected clock: far enough in real
				// time, and RoundTrip reads what is left from Now.
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, time.Now().Add(tt.deadline))
				defer cancel()
				clk.now = time.Now()
			}
			_, err := notify.Webhook{URL: p.URL, Client: client}.Send(ctx, render(t, deployContext(notify.Success)))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("want delivered, have %v", err)
			case tt.err != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.err))):
				t.Errorf("want an error with %q, have %v", tt.err, err)
			}
			reqs := p.Requests()
			if len(reqs) != tt.requests {
				t.Errorf("requests: want %d, have %d", tt.requests, len(reqs))
			}
			for i := range reqs {
				if !bytes.Equal(reqs[i].Body, reqs[0].Body) || len(reqs[i].Body) == 0 {
					t.Errorf("attempt %d sent another body:\n%s\nvs\n%s", i+1, reqs[i].Body, reqs[0].Body)
				}
			}
			if !reflect.DeepEqual(clk.waits, tt.waits) {
				t.Errorf("waits: want %v, have %v", tt.waits, clk.waits)
			}
			var re *notify.RetryError
			if tt.deadline > 0 && tt.err != "" && !errors.As(err, &re) {
				t.Errorf("want a *RetryError, have %T", err)
			}
		})
	}
}

// TestRetryFailedDial: a dial that fails is retried (nothing was sent);
// the error, when all fail, names no URL.
func TestRetryFailedDial(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	p.Close()
	clk := &clock{now: time.Now()}
	client := (&notify.Retry{MaxAttempts: 3, Sleep: clk.Sleep, Now: clk.Now}).Client()
	_, err := notify.Webhook{URL: p.URL + "/hook/secret-path", Client: client}.Send(context.Background(), render(t, deployContext(notify.Success)))
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("secret-path")) {
		t.Errorf("want an error without the URL, have %v", err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !reflect.DeepEqual(clk.waits, want) {
		t.Errorf("waits: want %v, have %v", want, clk.waits)
	}
}

// TestRetryAfterRealTime measures one real wait: the server asks for 1s
// between the first answer and the retry, and the retry comes no sooner,
// and not much later.
func TestRetryAfterRealTime(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var at []time.Time
	p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := (notify.Webhook{URL: p.URL, Client: (&notify.Retry{}).Client()}).Send(ctx, render(t, deployContext(notify.Success))); err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 {
		t.Fatalf("requests: want 2, have %d", len(at))
	}
	gap := at[1].Sub(at[0])
	t.Logf("Retry-After: 1 → measured gap %s", gap)
	if gap < time.Second || gap > 3*time.Second {
		t.Errorf("gap between attempts: want 1s (at most 3s on a loaded machine), have %s", gap)
	}
}
