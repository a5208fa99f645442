package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newHandler("v1.2.3", slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType                 string
		wantBody                 string // exact, after trimming the final newline
	}{
		{"greeting", "GET", "/", "", 200, "application/json", `{"greeting":"hello, world","version":"v1.2.3"}`},
		{"greeting by name", "GET", "/?name=ferry", "", 200, "application/json", `{"greeting":"hello, ferry","version":"v1.2.3"}`},
		{"echo JSON", "POST", "/echo", `{"a":[1,2]}`, 200, "application/json", `{"bytes":11,"received":{"a":[1,2]}}`},
		{"echo text", "POST", "/echo", "hi there", 200, "application/json", `{"bytes":8,"received":"hi there"}`},
		{"echo empty", "POST", "/echo", "", 200, "application/json", `{"bytes":0,"received":""}`},
		{"echo too large", "POST", "/echo", strings.Repeat("x", maxEchoBytes+1), 413, "application/json", `{"error":"body larger than 64 KiB"}`},
		{"health", "GET", "/healthz", "", 200, "text/plain; charset=utf-8", "ok"},
		{"unknown path", "GET", "/nope", "", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"wrong method", "DELETE", "/", "", 405, "text/plain; charset=utf-8", "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status: want %d, have %d", tt.wantStatus, resp.StatusCode)
			}
			if have := resp.Header.Get("Content-Type"); have != tt.wantType {
				t.Errorf("Content-Type: want %q, have %q", tt.wantType, have)
			}
			if have := strings.TrimSuffix(string(b), "\n"); have != tt.wantBody {
				t.Errorf("body:\nwant %s\nhave %s", tt.wantBody, have)
			}
			if tt.wantType == "application/json" && !json.Valid(b) {
				t.Errorf("body is not JSON: %s", b)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if have := version(env(nil)); have != "dev" {
		t.Errorf("no APP_VERSION: want dev, have %q", have)
	}
	if have := version(env(map[string]string{"APP_VERSION": "sha-1a2b3c4"})); have != "sha-1a2b3c4" {
		t.Errorf("APP_VERSION set: want sha-1a2b3c4, have %q", have)
	}
}

// TestServeFinishesRequestsInFlight cancels the context while a request is
// being answered: the request completes, then serve returns nil.
func TestServeFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, h, slog.New(slog.DiscardHandler)) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		t.Fatalf("serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if have := <-got; have != "done" {
		t.Errorf("request in flight: want %q, have %q", "done", have)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: want nil after shutdown, have %v", err)
	}
}

func TestRunReportsAListenError(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), func(k string) string {
		if k == "PORT" {
			return "not-a-port"
		}
		return ""
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not-a-port") {
		t.Errorf("want a listen error naming the port, have %v", err)
	}
}
