//go:build unix

package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// s3Call makes an S3 request that moto routes by the credential scope; moto
// does not check signatures.
func s3Call(t *testing.T, method, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: want 200, have %s: %s", method, url, resp.Status, body)
	}
	return string(body)
}

func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	s := StartForTest(t, Options{})
	if s.PID <= 0 {
		t.Fatalf("PID: want > 0, have %d", s.PID)
	}
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("Endpoint: want http://127.0.0.1:PORT, have %q", s.Endpoint)
	}
	if err := Ping(t.Context(), nil, s.Endpoint); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if !IsServerPID(s.PID) {
		t.Errorf("IsServerPID(%d): want true, have false", s.PID)
	}

	const bucket = "ferry-moto-lifecycle"
	s3Call(t, http.MethodPut, s.Endpoint+"/"+bucket)
	if have := s3Call(t, http.MethodGet, s.Endpoint+"/"); !strings.Contains(have, bucket) {
		t.Fatalf("ListBuckets before reset: want %q listed, have %s", bucket, have)
	}
	if err := Reset(t.Context(), s.Endpoint); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if have := s3Call(t, http.MethodGet, s.Endpoint+"/"); strings.Contains(have, bucket) {
		t.Fatalf("ListBuckets after reset: want no %q, have %s", bucket, have)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done: want closed after Stop")
	}
	if err := Ping(t.Context(), nil, s.Endpoint); err == nil {
		t.Fatal("Ping after Stop: want an error, have none")
	}
	if IsServerPID(s.PID) {
		t.Errorf("IsServerPID(%d) after Stop: want false, have true", s.PID)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: want nil, have %v", err)
	}
}

func TestStartDetached(t *testing.T) {
	t.Parallel()
	logPath := filepath.Join(t.TempDir(), "moto.log")
	s, err := Start(t.Context(), Options{Detach: true, LogPath: logPath})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })

	if s.LogPath != logPath {
		t.Errorf("LogPath: want %q, have %q", logPath, s.LogPath)
	}
	pgid, err := syscall.Getpgid(s.PID)
	if err != nil {
		t.Fatalf("Getpgid: %v", err)
	}
	if pgid != s.PID {
		t.Errorf("process group of a detached server: want %d (its own), have %d", s.PID, pgid)
	}
	if err := StopPID(s.PID, DefaultStopGrace); err != nil {
		t.Fatalf("StopPID: %v", err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after StopPID")
	}
	if err := StopPID(s.PID, DefaultStopGrace); err != nil {
		t.Fatalf("StopPID of a stopped server: want nil, have %v", err)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "GET /moto-api/ ") {
		t.Errorf("log: want the readiness requests, have %q", b)
	}
}

// fakeServer writes an executable script that stands in for moto_server.
func fakeServer(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "moto_server")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		opts   Options
		want   []string
	}{
		{
			name:   "exits",
			script: "echo 'no such option -H' >&2; exit 3",
			want:   []string{"exited during startup", "no such option -H"},
		},
		{
			name:   "never answers",
			script: "echo 'still booting'; exec sleep 60",
			opts:   Options{StartTimeout: 300 * time.Millisecond},
			want:   []string{"no answer from /moto-api/ after 300ms", "still booting"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Command = []string{fakeServer(t, tt.script)}
			start := time.Now()
			s, err := Start(t.Context(), tt.opts)
			if err == nil {
				_ = s.Stop()
				t.Fatal("Start: want an error, have none")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %v", w, err)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Start took %s to fail", d)
			}
		})
	}
}

func TestStartNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(t.Context(), Options{})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without moto: want ErrNotInstalled, have %v", err)
	}
}

func TestForTestUsesSharedServer(t *testing.T) {
	var pings, other atomic.Int32
	shared := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == readyPath {
			pings.Add(1)
			fmt.Fprint(w, "{}")
			return
		}
		other.Add(1)
		http.Error(w, "unexpected", http.StatusTeapot)
	}))
	t.Cleanup(shared.Close)
	t.Setenv(EnvEndpoint, shared.URL)

	if have := ForTest(t); have != shared.URL {
		t.Fatalf("ForTest: want the shared %q, have %q", shared.URL, have)
	}
	if pings.Load() != 1 || other.Load() != 0 {
		t.Fatalf("requests to the shared server: want 1 ping and nothing else, have %d pings and %d others", pings.Load(), other.Load())
	}
}

func TestForTestStartsPrivateServer(t *testing.T) {
	t.Setenv(EnvEndpoint, "")
	var endpoint string
	t.Run("private", func(t *testing.T) {
		endpoint = ForTest(t)
		if err := Ping(t.Context(), nil, endpoint); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	if endpoint == "" {
		t.Fatal("ForTest returned no endpoint")
	}
	if err := Ping(t.Context(), nil, endpoint); err == nil {
		t.Fatal("Ping after the test's cleanup: want an error, have none")
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	const ep = "http://127.0.0.1:5000"
	have := Env(ep)
	for _, want := range []string{
		"AWS_ENDPOINT_URL=" + ep,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"FERRY_MOTO_ENDPOINT=" + ep,
	} {
		if !slices.Contains(have, want) {
			t.Errorf("Env: want %q, have %q", want, have)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	t.Parallel()
	tb := &tailBuffer{max: 4}
	for _, s := range []string{"ab", "cdefgh", "ij", "k"} {
		fmt.Fprint(tb, s)
	}
	if have := string(tb.Bytes()); have != "hijk" {
		t.Fatalf("tail: want %q, have %q", "hijk", have)
	}
}

func TestResetUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if err := Reset(ctx, url); err == nil || !strings.Contains(err.Error(), "resetting moto") {
		t.Fatalf("Reset of a closed server: want a wrapped error, have %v", err)
	}
}

func TestPrelude(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "prelude-ran")
	s := StartForTest(t, Options{Prelude: fmt.Sprintf("open(%q, 'w').write('ran')", marker)})
	if err := Ping(t.Context(), nil, s.Endpoint); err != nil {
		t.Fatalf("Ping after a prelude: %v", err)
	}
	b, err := os.ReadFile(marker)
	if err != nil || string(b) != "ran" {
		t.Errorf("prelude: want the marker file to hold %q, have %q (%v)", "ran", b, err)
	}
}

func TestPreludeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"python error", Options{Prelude: "raise SystemExit('prelude says no')"}, "prelude says no"},
		{"with Command", Options{Prelude: "pass", Command: []string{"moto_server"}}, "cannot go with Options.Command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Start(t.Context(), tt.opts)
			if err == nil {
				_ = s.Stop()
				t.Fatal("Start: want an error, have none")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: want an error naming %q, have %v", tt.want, err)
			}
		})
	}
}
