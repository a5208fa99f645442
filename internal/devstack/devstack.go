//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-ci/ferry/internal/engine"
	"github.com/ferry-ci/ferry/internal/moto"
)

const usage = `usage:
  devstack up [-dir DIR]       start a detached moto_server; write DIR/.dev/moto.pid and DIR/.dev/env
  devstack down [-dir DIR]     stop it and remove those files
  devstack exec [-engine] -- CMD [ARG]…
                               run CMD with a private moto_server's environment;
                               -engine: and a Docker engine (started, and docker.io
                               installed as root, when none answers; stopped after)
`

var errUsage = errors.New("usage")

// exitError carries the exit status of the command run by exec.
type exitError struct{ code int }

func (e *exitError) Error() string { return "command exited with status " + strconv.Itoa(e.code) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no subcommand", errUsage)
	}
	switch args[0] {
	case "up":
		dir, err := parseDir("up", args[1:], stderr)
		if err != nil {
			return err
		}
		return up(ctx, dir, stdout)
	case "down":
		dir, err := parseDir("down", args[1:], stderr)
		if err != nil {
			return err
		}
		return down(dir, stdout)
	case "exec":
		argv := args[1:]
		withEngine := false
		if len(argv) > 0 && argv[0] == "-engine" {
			withEngine, argv = true, argv[1:]
		}
		if len(argv) > 0 && argv[0] == "--" {
			argv = argv[1:]
		}
		if len(argv) == 0 {
			return fmt.Errorf("%w: exec needs a command after --", errUsage)
		}
		if withEngine {
			return execWithEngine(ctx, argv, stdout, stderr)
		}
		return execWith(ctx, argv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
}

func parseDir(name string, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "repository `directory` that holds .dev/")
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: %s takes no arguments, found %q", errUsage, name, fs.Args())
	}
	return *dir, nil
}

// stack names the files of a detached stack under DIR/.dev.
type stack struct{ dir string }

func (s stack) devDir() string  { return filepath.Join(s.dir, ".dev") }
func (s stack) pidPath() string { return filepath.Join(s.devDir(), "moto.pid") }
func (s stack) envPath() string { return filepath.Join(s.devDir(), "env") }
func (s stack) logPath() string { return filepath.Join(s.devDir(), "moto.log") }

// running returns the pid and endpoint of the stack when it is up and
// answering.
func (s stack) running(ctx context.Context) (int, string, bool) {
	pid, err := readPID(s.pidPath())
	if err != nil || !moto.IsServerPID(pid) {
		return 0, "", false
	}
	endpoint := readEnv(s.envPath())[moto.EnvEndpoint]
	if endpoint == "" {
		return 0, "", false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if moto.Ping(ctx, nil, endpoint) != nil {
		return 0, "", false
	}
	return pid, endpoint, true
}

func up(ctx context.Context, dir string, stdout io.Writer) error {
	s := stack{dir: dir}
	if pid, endpoint, ok := s.running(ctx); ok {
		fmt.Fprintf(stdout, "moto already up at %s (pid %d); load it with: set -a; . %s; set +a\n", endpoint, pid, s.envPath())
		return nil
	}
	// A stale stack (dead, or alive but not answering) is cleared first.
	if err := down(dir, io.Discard); err != nil {
		return err
	}
	if err := os.MkdirAll(s.devDir(), 0o755); err != nil {
		return fmt.Errorf("creating %q: %w", s.devDir(), err)
	}
	if err := moto.EnsureInstalled(ctx); err != nil {
		return err
	}
	srv, err := moto.Start(ctx, moto.Options{Detach: true, LogPath: s.logPath()})
	if err != nil {
		return err
	}
	env := strings.Join(moto.Env(srv.Endpoint), "\n") + "\n"
	if err := writeFileAtomic(s.envPath(), []byte(env)); err != nil {
		return errors.Join(err, srv.Stop())
	}
	if err := writeFileAtomic(s.pidPath(), []byte(strconv.Itoa(srv.PID)+"\n")); err != nil {
		return errors.Join(err, srv.Stop())
	}
	fmt.Fprintf(stdout, "moto up at %s (pid %d, log %s); load it with: set -a; . %s; set +a\n", srv.Endpoint, srv.PID, s.logPath(), s.envPath())
	return nil
}

func down(dir string, stdout io.Writer) error {
	s := stack{dir: dir}
	pid, err := readPID(s.pidPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintln(stdout, "moto is not up")
		return errors.Join(removeIfExists(s.envPath()))
	case err != nil:
		fmt.Fprintf(stdout, "ignoring %v\n", err)
	case moto.IsServerPID(pid):
		if err := moto.StopPID(pid, moto.DefaultStopGrace); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "moto stopped (pid %d)\n", pid)
	default:
		fmt.Fprintf(stdout, "moto (pid %d) was not running\n", pid)
	}
	return errors.Join(removeIfExists(s.pidPath()), removeIfExists(s.envPath()))
}

// execWithEngine is execWith with a Docker engine answering for the whole
// run: the one found, or one started (and installed) here and stopped after.
func execWithEngine(ctx context.Context, argv []string, stdout, stderr io.Writer) (err error) {
	e, err := engine.Ensure(ctx, engine.Options{
		Dir:     filepath.Join(".dev", "engine"),
		Install: true,
		Logf:    func(f string, a ...any) { fmt.Fprintf(stderr, "devstack: "+f+"\n", a...) },
	})
	if err != nil {
		return err
	}
	defer func() {
		if e.Started {
			fmt.Fprintln(stderr, "devstack: stopping the dockerd it started")
		}
		err = errors.Join(err, e.Stop())
	}()
	return execWith(ctx, argv, stdout, stderr)
}

// execWith runs argv against a private moto server and returns an
// *exitError carrying its status when it fails.
func execWith(ctx context.Context, argv []string, stdout, stderr io.Writer) (err error) {
	// Listen before anything starts so no signal is missed; main's
	// NotifyContext also sees them and cancels ctx.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := moto.EnsureInstalled(ctx); err != nil {
		return err
	}
	srv, err := moto.Start(ctx, moto.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := srv.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), moto.Env(srv.Endpoint)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %q: %w", argv[0], err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	forwarded := false
	for {
		select {
		case werr := <-waited:
			return childStatus(argv[0], werr)
		case sig := <-sigs:
			forwarded = true
			_ = cmd.Process.Signal(sig)
		case <-ctx.Done():
			// ctx ends with the signal that sigs also carries; without one
			// (a caller's cancel), ask the command to stop.
			ctx = context.WithoutCancel(ctx)
			if !forwarded {
				select {
				case sig := <-sigs:
					_ = cmd.Process.Signal(sig)
				case <-time.After(100 * time.Millisecond):
					_ = cmd.Process.Signal(syscall.SIGTERM)
				}
				forwarded = true
			}
		}
	}
}

// childStatus maps the command's end to nil or an *exitError; death by a
// signal maps to 128+signal, as shells do.
func childStatus(name string, err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return fmt.Errorf("running %q: %w", name, err)
		}
		return nil
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	return &exitError{code: ee.ExitCode()}
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %q: want a process id, found %q", path, bytes.TrimSpace(b))
	}
	return pid, nil
}

// readEnv parses KEY=value lines; a missing or unreadable file is empty.
func readEnv(path string) map[string]string {
	env := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return env
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && k != "" && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %q: %w", path, err)
	}
	return nil
}
