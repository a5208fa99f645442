package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrNoEngine is returned when no engine answers and none can be started.
var ErrNoEngine = errors.New("no Docker engine answers")

// Engine is a Docker engine that answers. Stop stops it when Ensure started
// it and does nothing otherwise.
type Engine struct {
	// Version is the server version `docker info` reports.
	Version string
	// Started is true when Ensure started dockerd (and Stop will stop it).
	Started bool

	cmd  *exec.Cmd
	done chan error
}

// Options configures Ensure.
type Options struct {
	// Dir holds dockerd's log (dockerd.log); it is created when missing.
	Dir string
	// Install lets Ensure install docker.io with apt-get when dockerd is not
	// on PATH. It needs root.
	Install bool
	// Logf reports what Ensure does; nil is quiet.
	Logf func(format string, args ...any)
}

// startTimeout bounds how long a started dockerd may take to answer.
const startTimeout = 90 * time.Second

// Answers returns the engine's server version when `docker info` answers
// within a few seconds.
func Answers(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	v := strings.TrimSpace(string(out))
	if err != nil || v == "" {
		return "", fmt.Errorf("%w: docker info: %v: %s", ErrNoEngine, err, lastLine(out))
	}
	return v, nil
}

// Ensure returns an engine that answers, starting (and installing) one when
// none does.
func Ensure(ctx context.Context, o Options) (*Engine, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if v, err := Answers(ctx); err == nil {
		logf("docker engine %s answers; using it", v)
		return &Engine{Version: v}, nil
	}
	if err := ensureInstalled(ctx, o.Install, logf); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %q: %w", o.Dir, err)
	}
	logPath := filepath.Join(o.Dir, "dockerd.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so that a ^C at the terminal reaches it only
	// through Stop, after the tests have finished with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting dockerd: %w", err)
	}
	e := &Engine{Started: true, cmd: cmd, done: make(chan error, 1)}
	go func() { e.done <- cmd.Wait() }()

	deadline := time.Now().Add(startTimeout)
	for {
		v, err := Answers(ctx)
		if err == nil {
			e.Version = v
			logf("started dockerd %s (pid %d, log %s)", v, cmd.Process.Pid, logPath)
			return e, nil
		}
		select {
		case werr := <-e.done:
			return nil, fmt.Errorf("dockerd exited before answering (%v); its log %s ends: %s", werr, logPath, tail(logPath))
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), e.Stop())
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(fmt.Errorf("dockerd did not answer within %s; its log %s ends: %s", startTimeout, logPath, tail(logPath)), e.Stop())
		}
	}
}

// Stop stops dockerd when Ensure started it: SIGTERM, then SIGKILL after
// 30 s. Containers it runs stop with it.
func (e *Engine) Stop() error {
	if e == nil || e.cmd == nil {
		return nil
	}
	cmd := e.cmd
	e.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-e.done
		return errors.New("dockerd did not stop within 30s of SIGTERM; killed")
	}
}

func ensureInstalled(ctx context.Context, install bool, logf func(string, ...any)) error {
	if _, err := exec.LookPath("dockerd"); err == nil {
		return nil
	}
	if !install {
		return fmt.Errorf("%w and dockerd is not on PATH (install Debian's docker.io)", ErrNoEngine)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w, dockerd is not on PATH, and installing docker.io needs root", ErrNoEngine)
	}
	logf("installing docker.io with apt-get")
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "docker.io"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", strings.Join(args, " "), err, lastLine(out))
		}
	}
	if _, err := exec.LookPath("dockerd"); err != nil {
		return fmt.Errorf("installed docker.io, but still: %w", err)
	}
	return nil
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return lastLine(b)
}

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	if len(b) > 500 {
		b = b[len(b)-500:]
	}
	return string(b)
}
