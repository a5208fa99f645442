//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/moto"
)

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "no subcommand"},
		{"unknown", []string{"sideways"}, `unknown subcommand "sideways"`},
		{"exec without command", []string{"exec", "--"}, "exec needs a command"},
		{"up with arguments", []string{"up", "extra"}, "up takes no arguments"},
		{"down with a bad flag", []string{"down", "-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q): want a usage error containing %q, have %v", tt.args, tt.want, err)
			}
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit code: want 2, have %d", code)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"ok", nil, 0, ""},
		{"child status", &exitError{code: 7}, 7, ""},
		{"cancelled", context.Canceled, 130, "devstack: cancelled\n"},
		{"failure", errors.New("boom"), 1, "devstack: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			if code := exitCode(tt.err, &stderr); code != tt.wantCode {
				t.Errorf("code: want %d, have %d", tt.wantCode, code)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr: want %q, have %q", tt.wantStderr, stderr.String())
			}
		})
	}
}

func TestUpDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Cleanup(func() { _ = run(context.Background(), []string{"down", "-dir", dir}, &bytes.Buffer{}, &bytes.Buffer{}) })
	s := stack{dir: dir}

	var out bytes.Buffer
	if err := run(t.Context(), []string{"up", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("up: %v\n%s", err, out.String())
	}
	pid, err := readPID(s.pidPath())
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	env := readEnv(s.envPath())
	endpoint := env[moto.EnvEndpoint]
	for _, kv := range moto.Env(endpoint) {
		k, v, _ := strings.Cut(kv, "=")
		if env[k] != v {
			t.Errorf(".dev/env %s: want %q, have %q", k, v, env[k])
		}
	}
	if err := moto.Ping(t.Context(), nil, endpoint); err != nil {
		t.Fatalf("up stack does not answer: %v", err)
	}

	out.Reset()
	if err := run(t.Context(), []string{"up", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("second up: %v", err)
	}
	if !strings.Contains(out.String(), "already up") {
		t.Errorf("second up: want it to reuse the stack, have %q", out.String())
	}
	if again, _ := readPID(s.pidPath()); again != pid {
		t.Errorf("second up: want pid %d kept, have %d", pid, again)
	}

	out.Reset()
	if err := run(t.Context(), []string{"down", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("down: %v", err)
	}
	for _, p := range []string{s.pidPath(), s.envPath()} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after down: want %s removed, have %v", p, err)
		}
	}
	if moto.IsServerPID(pid) {
		t.Errorf("after down: moto (pid %d) still running", pid)
	}

	out.Reset()
	if err := run(t.Context(), []string{"down", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("down with nothing up: want nil, have %v", err)
	}
}

func TestUpReplacesStalePID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Cleanup(func() { _ = run(context.Background(), []string{"down", "-dir", dir}, &bytes.Buffer{}, &bytes.Buffer{}) })
	s := stack{dir: dir}
	if err := os.MkdirAll(s.devDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	// Our own pid is alive but is no moto server: up must not reuse or kill it.
	if err := os.WriteFile(s.pidPath(), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"up", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("up: %v\n%s", err, out.String())
	}
	if pid, _ := readPID(s.pidPath()); pid == os.Getpid() || !moto.IsServerPID(pid) {
		t.Fatalf("up over a stale pid file: want a new moto pid, have %d", pid)
	}
}

func TestExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		script   string
		wantCode int // 0: no error
		wantOut  []string
	}{
		{
			name:    "environment",
			script:  `env | sort`,
			wantOut: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=testing", "AWS_ENDPOINT_URL=http://127.0.0.1:", "FERRY_MOTO_ENDPOINT=http://127.0.0.1:"},
		},
		{name: "exit status", script: `exit 7`, wantCode: 7},
		{name: "killed by a signal", script: `kill -TERM $$`, wantCode: 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"exec", "--", "sh", "-c", tt.script}, &stdout, &stderr)
			var ee *exitError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("exec: %v\n%s", err, stderr.String())
			case tt.wantCode != 0 && (!errors.As(err, &ee) || ee.code != tt.wantCode):
				t.Fatalf("exec: want exit status %d, have %v", tt.wantCode, err)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output: want %q, have\n%s", w, stdout.String())
				}
			}
		})
	}
}

func TestExecCancelStopsCommandAndMoto(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "endpoint")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	var stdout bytes.Buffer
	go func() {
		done <- run(ctx, []string{"exec", "--", "sh", "-c",
			`trap 'echo got TERM; exit 42' TERM; echo "$FERRY_MOTO_ENDPOINT" > "$0"; while :; do sleep 0.05; done`, marker,
		}, &stdout, &bytes.Buffer{})
	}()
	endpoint := waitForFile(t, marker)
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("exec did not return 20s after cancel")
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 42 {
		t.Fatalf("exec after cancel: want exit status 42 from the trap, have %v", err)
	}
	if err := moto.Ping(t.Context(), nil, endpoint); err == nil {
		t.Errorf("moto at %s still answers after exec returned", endpoint)
	}
}

// TestExecForwardsSignals runs the real binary and sends it SIGTERM.
func TestExecForwardsSignals(t *testing.T) {
	t.Parallel()
	bin := buildDevstack(t)
	marker := filepath.Join(t.TempDir(), "endpoint")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "exec", "--", "sh", "-c",
		`trap 'echo got TERM; exit 42' TERM; echo "$FERRY_MOTO_ENDPOINT" > "$0"; while :; do sleep 0.05; done`, marker)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	endpoint := waitForFile(t, marker)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("devstack did not exit 20s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Errorf("exit code: want 42 (the command's), have %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "got TERM") {
		t.Errorf("the command's output: want %q, have %q", "got TERM", stdout.String())
	}
	if err := moto.Ping(t.Context(), nil, endpoint); err == nil {
		t.Errorf("moto at %s still answers after devstack exited", endpoint)
	}
}

// buildDevstack builds this command into a temporary directory.
func buildDevstack(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build devstack")
	}
	bin := filepath.Join(t.TempDir(), "devstack")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitForFile returns the trimmed content of path once it is non-empty.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return string(bytes.TrimSpace(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not written within 30s", path)
	return ""
}
