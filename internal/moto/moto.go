//go:build unix

package moto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Version is the moto release this project is tested against and installs.
const Version = "5.2.1"

const (
	// readyPath is the moto API page polled until the server answers.
	readyPath = "/moto-api/" // the dashboard: a few KB, where data.json grows to MBs once EC2 is touched
	// resetPath is the moto API call that drops all emulated state.
	resetPath = "/moto-api/reset"

	pollInterval = 50 * time.Millisecond
	// DefaultStartTimeout is how long Start waits for the server to answer.
	DefaultStartTimeout = 30 * time.Second
	// DefaultStopGrace is how long Stop waits after SIGTERM before SIGKILL.
	DefaultStopGrace = 5 * time.Second

	// portAttempts bounds the retries when another process takes the free
	// port between the probe and moto binding it.
	portAttempts = 3
	// tailBytes is how much of the server's output startup errors quote.
	tailBytes = 4 << 10
)

// ErrNotInstalled is returned when neither the moto Python module nor
// moto_server can be found.
var ErrNotInstalled = errors.New("moto_server is not installed (pip install 'moto[server]==" + Version + "')")

// Options controls how Start runs moto_server.
type Options struct {
	// Detach starts the server in its own session with its output sent to
	// LogPath, so that it outlives the calling process. Without Detach the
	// server is in its own process group and is killed if the caller dies.
	Detach bool
	// LogPath receives the server's output. Empty means a temporary file
	// when detached (see Server.LogPath) and an in-memory tail otherwise.
	LogPath string
	// Env is added to the server's environment, e.g.
	// "MOTO_ECS_SERVICE_RUNNING=1".
	Env []string
	// StartTimeout bounds the wait for the server to answer; zero means
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// Command runs the server, without the -H and -p flags that Start adds.
	// Empty means python3 -m moto.server, or moto_server from PATH.
	Command []string
	// Prelude is Python code the server's interpreter runs before moto
	// starts: a private server's way around an emulator defect that would
	// stop a test from exercising what AWS documents (each use says which
	// defect, and why the test still holds on AWS). It needs the python3
	// that has moto, not a moto_server script, and cannot go with Command.
	Prelude string
}

// Server is a running moto_server.
type Server struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:41234".
	Endpoint string
	// PID is the server's process id; when started with Detach it is also
	// its process group and session id.
	PID int
	// LogPath is the file holding the server's output, or "" when it is kept
	// in memory.
	LogPath string

	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has been reaped
	waitErr  error         // valid after done is closed
	logFile  *os.File
	tail     *tailBuffer
	stopOnce sync.Once
	stopErr  error
}

// Start runs moto_server on a free port of 127.0.0.1 and returns once it
// answers GET /moto-api/ with 200. ctx bounds only the startup:
// the server runs until Stop (or, when detached, until it is signalled).
func Start(ctx context.Context, opts Options) (*Server, error) {
	argv := opts.Command
	if len(argv) == 0 {
		var err error
		if argv, err = serverCommand(); err != nil {
			return nil, err
		}
	}
	if opts.Prelude != "" {
		var err error
		if argv, err = withPrelude(argv, opts); err != nil {
			return nil, err
		}
	}
	var errs []error
	for range portAttempts {
		s, err := start(ctx, argv, opts)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		// Only a server that died on its own (most likely a lost race for
		// the port) is worth another try.
		if !errors.Is(err, errExited) || ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

var errExited = errors.New("moto_server exited during startup")

func start(ctx context.Context, argv []string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		done:     make(chan struct{}),
	}
	args := append(argv[1:len(argv):len(argv)], "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd := exec.Command(argv[0], args...)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.SysProcAttr = sysProcAttr(opts.Detach)

	logPath := opts.LogPath
	if logPath == "" && opts.Detach {
		f, err := os.CreateTemp("", "moto-*.log")
		if err != nil {
			return nil, fmt.Errorf("creating moto log file: %w", err)
		}
		s.logFile = f
		logPath = f.Name()
	} else if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("opening moto log %q: %w", logPath, err)
		}
		s.logFile = f
	}
	if s.logFile != nil {
		s.LogPath = logPath
		cmd.Stdout, cmd.Stderr = s.logFile, s.logFile
	} else {
		s.tail = &tailBuffer{max: tailBytes}
		cmd.Stdout, cmd.Stderr = s.tail, s.tail
	}

	if err := cmd.Start(); err != nil {
		s.closeLog()
		return nil, fmt.Errorf("starting %q: %w", argv[0], err)
	}
	s.cmd = cmd
	s.PID = cmd.Process.Pid
	go func() {
		s.waitErr = cmd.Wait()
		s.closeLog()
		close(s.done)
	}()

	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	if err := s.waitReady(ctx, timeout); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("starting moto_server on %s: %w%s", s.Endpoint, err, s.logTail())
	}
	return s, nil
}

// waitReady polls the server until it answers, dies, or time runs out.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if Ping(ctx, client, s.Endpoint) == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w: %v", errExited, s.waitErr)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("no answer from %s after %s", readyPath, timeout)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Ping reports whether a moto server answers at endpoint; client may be nil.
func Ping(ctx context.Context, client *http.Client, endpoint string) error {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	return call(ctx, client, http.MethodGet, endpoint, readyPath, "pinging")
}

// call sends one request to moto's own API and wants 200 OK.
func call(ctx context.Context, client *http.Client, method, endpoint, path, doing string) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(endpoint, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("%s moto at %q: %w", doing, endpoint, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s moto at %q: %w", doing, endpoint, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s moto at %q: %s %s answered %s", doing, endpoint, method, path, resp.Status)
	}
	return nil
}

// Stop ends the server: SIGTERM to its process group, then SIGKILL after
// DefaultStopGrace, and reaps it. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd == nil {
			return
		}
		s.stopErr = stopGroup(s.PID, DefaultStopGrace, s.done)
	})
	return s.stopErr
}

// Done is closed once the server process has exited and been reaped.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) closeLog() {
	if s.logFile != nil {
		_ = s.logFile.Close()
	}
}

// logTail returns the end of the server's output, formatted for an error.
func (s *Server) logTail() string {
	var b []byte
	switch {
	case s.tail != nil:
		b = s.tail.Bytes()
	case s.LogPath != "":
		b = readTail(s.LogPath, tailBytes)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	where := "output"
	if s.LogPath != "" {
		where = "log " + strconv.Quote(s.LogPath)
	}
	return fmt.Sprintf("\nmoto_server %s ends with:\n%s", where, b)
}

// Reset drops all state of the server at endpoint (POST /moto-api/reset).
// Never reset a shared server (see the package documentation).
func Reset(ctx context.Context, endpoint string) error {
	return call(ctx, &http.Client{Timeout: 30 * time.Second}, http.MethodPost, endpoint, resetPath, "resetting")
}

// EnvEndpoint names the variable that holds the endpoint of a shared moto
// server (see ForTest).
const EnvEndpoint = "FERRY_MOTO_ENDPOINT"

// Env returns KEY=VALUE lines that point AWS SDKs and CLIs at the moto
// server at endpoint. Instance metadata is always disabled.
func Env(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		EnvEndpoint + "=" + endpoint,
	}
}

// EnsureInstalled makes sure moto_server can be run, installing
// moto[server] with pip when it cannot. The pip output is quoted in the
// error when the install fails.
func EnsureInstalled(ctx context.Context) error {
	if _, err := serverCommand(); err == nil {
		return nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("%w, and python3 is not on PATH to install it", ErrNotInstalled)
	}
	cmd := exec.CommandContext(ctx, python, "-m", "pip", "install", "moto[server]=="+Version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("installing moto[server]==%s with %s -m pip: %w\n%s", Version, python, err, lastBytes(bytes.TrimSpace(out), tailBytes))
	}
	if _, err := serverCommand(); err != nil {
		return fmt.Errorf("installed moto[server]==%s with pip, but still: %w", Version, err)
	}
	return nil
}

// serverCommand finds how to run moto_server. It prefers the real
// interpreter of the python3 on PATH that has moto, so that the process
// started is moto itself: a wrapper such as a pyenv shim would fork it,
// leaving it outside Pdeathsig's reach. The moto_server console script on
// PATH is the fallback.
func serverCommand() ([]string, error) {
	if python, err := exec.LookPath("python3"); err == nil {
		out, err := exec.Command(python, "-c", findMotoPy).Output()
		if exe := strings.TrimSpace(string(out)); err == nil && exe != "" {
			return []string{exe, "-m", "moto.server"}, nil
		}
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	return nil, ErrNotInstalled
}

// withPrelude turns `python -m moto.server` into `python -c PRELUDE;main()`.
func withPrelude(argv []string, opts Options) ([]string, error) {
	if len(opts.Command) > 0 {
		return nil, errors.New("moto: Options.Prelude cannot go with Options.Command")
	}
	if len(argv) != 3 || argv[1] != "-m" || argv[2] != "moto.server" {
		return nil, fmt.Errorf("moto: Options.Prelude needs a python3 that imports moto, have only %q", argv[0])
	}
	return []string{argv[0], "-c", opts.Prelude + "\n" + preludeMain}, nil
}

// preludeMain starts the server after a prelude; `python -c` leaves the
// flags that Start appends in sys.argv[1:].
const preludeMain = `import sys
from moto.server import main
main(sys.argv[1:])
`

// findMotoPy prints the interpreter's own path when it can import moto.server.
const findMotoPy = `import importlib.util, sys
if importlib.util.find_spec("moto") and importlib.util.find_spec("moto.server"):
    print(sys.executable)
`

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// StopPID ends a detached server started by another process: SIGTERM to
// the process group pid, SIGKILL after grace, then waits (bounded) until
// the process is gone. A pid that no longer exists is not an error.
func StopPID(pid int, grace time.Duration) error {
	if pid <= 0 {
		return fmt.Errorf("stopping moto: invalid pid %d", pid)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for alive(pid) {
			time.Sleep(pollInterval)
		}
	}()
	return stopGroup(pid, grace, done)
}

// stopGroup signals the process group led by pid and waits for done.
func stopGroup(pid int, grace time.Duration, done <-chan struct{}) error {
	if err := signalGroup(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			<-done
			return nil
		}
		return fmt.Errorf("stopping moto (pid %d): %w", pid, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing moto (pid %d): %w", pid, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("killing moto (pid %d): still running 10s after SIGKILL", pid)
	}
}

// signalGroup sends sig to the process group led by pid, or to pid alone
// if it leads no group.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		err = syscall.Kill(pid, sig)
	}
	return err
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	// The state follows the parenthesised command name, which may itself
	// hold spaces or parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// IsServerPID reports whether pid is a running moto server, as far as the
// system can tell: where /proc is missing, every live pid counts.
func IsServerPID(pid int) bool {
	if pid <= 0 || !alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return !procMounted()
	}
	return bytes.Contains(cmdline, []byte("moto_server")) || bytes.Contains(cmdline, []byte("moto.server"))
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(lastBytes(t.buf, t.max))
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func readTail(path string, n int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		_, _ = f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return b
}
