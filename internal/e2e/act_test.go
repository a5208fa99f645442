package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/localstack"
)

// actRun is one run of act in a repository.
type actRun struct {
	dir      string // the repository (a git checkout with a GitHub remote)
	event    string // push, pull_request, workflow_dispatch
	payload  map[string]any
	workflow string // path under dir, e.g. .github/workflows/ship.yml
	vars     map[string]string
	secrets  map[string]string
	env      map[string]string
	inputs   map[string]string // workflow_dispatch inputs
	pinned   string            // the checkout that stands in for ferry-ci/ferry@v1; rel.pinned when empty
	timeout  time.Duration
}

// actResult is what a run printed and how it ended.
type actResult struct {
	log string
	err error
}

// act runs act as a user would run a workflow on GitHub, with the release
// as ferry-ci/ferry@v1: a real engine, the job image as ubuntu-latest,
// container actions pulled from the loopback registry, the workspace bound.
func (r *release) act(t *testing.T, a actRun) actResult {
	t.Helper()
	if a.timeout == 0 {
		a.timeout = 8 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	home := t.TempDir()
	pinned := a.pinned
	if pinned == "" {
		pinned = r.pinned
	}
	args := []string{a.event,
		"-W", a.workflow,
		"-P", "ubuntu-latest=" + r.runner,
		"--pull=false", "--bind", "--rm",
		"--local-repository", "ferry-ci/ferry@v1=" + pinned,
		"--no-cache-server",
		"--artifact-server-addr", "127.0.0.1",
		"--actor", "e2e-user",
	}
	if a.payload != nil {
		b, err := json.Marshal(a.payload)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(home, "event.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-e", p)
	}
	for _, kv := range []struct {
		flag string
		m    map[string]string
	}{{"--var", a.vars}, {"--secret", a.secrets}, {"--env", a.env}, {"--input", a.inputs}} {
		for _, k := range sortedKeys(kv.m) {
			args = append(args, kv.flag, k+"="+kv.m[k])
		}
	}
	cmd := exec.CommandContext(ctx, r.actBin, args...)
	cmd.Dir = a.dir
	// act's own settings (~/.actrc, its cache of actions) from an empty home.
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.WaitDelay = 30 * time.Second
	// FERRY_E2E_LOGS=DIR keeps each run's log there as it is written.
	var buf strings.Builder
	var w io.Writer = &buf
	if d := os.Getenv("FERRY_E2E_LOGS"); d != "" {
		f, err := os.Create(filepath.Join(d, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+time.Now().Format("150405")+".log"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w = io.MultiWriter(&buf, f)
	}
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err := cmd.Run()
	out := buf.String()
	t.Logf("act %s %s: %.1fs, %v", a.event, a.workflow, time.Since(start).Seconds(), err)
	if ctx.Err() != nil {
		err = fmt.Errorf("act did not finish within %s: %w", a.timeout, ctx.Err())
	}
	// What GitHub checks of inputs and act does not (inputs_test.go).
	problems, cerr := undeclaredInputs(filepath.Join(a.dir, a.workflow), pinned)
	if cerr != nil {
		problems = append(problems, cerr.Error())
	}
	if len(problems) > 0 {
		err = errors.Join(err, fmt.Errorf("inputs GitHub would not pass as declared:\n%s", strings.Join(problems, "\n")))
	}
	return actResult{log: out, err: err}
}

// mustSucceed fails the test, with the log's tail, unless the run
// succeeded.
func (res actResult) mustSucceed(t *testing.T) {
	t.Helper()
	if res.err != nil {
		t.Fatalf("act: %v\n%s", res.err, tailLines(res.log, 150))
	}
}

// mustNotLeak fails the test when a secret appears in the log.
func (res actResult) mustNotLeak(t *testing.T, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, line := range strings.Split(res.log, "\n") {
			if strings.Contains(line, s) {
				t.Errorf("secret %.6s… in act's log: %s", s, line)
			}
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// appRepo makes the repository of an app that uses ferry: files (path →
// content) committed on branch, with a GitHub remote (act names the
// repository after it). It returns the checkout.
func appRepo(t *testing.T, branch string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", branch)
	git(t, dir, "remote", "add", "origin", "https://github.com/acme/hello.git")
	commitFiles(t, dir, files, "app")
	return dir
}

// commitFiles writes files and commits them.
func commitFiles(t *testing.T, dir string, files map[string]string, msg string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(context.Background(), dir, gitEnv(), "git", args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// readRepoFile reads a file of the example app from this repository.
func readRepoFile(t *testing.T, r *release, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stackEnv is the local stack for one test: moto with the reference stack,
// the ECR registry, the webhook sink, the OIDC endpoint and GitHub's API.
type stackEnv struct {
	*localstack.Stack
	oidc   *actiontest.GitHubOIDC
	github *fakeGitHub
}

// newStack starts the local stack for t with the reference infrastructure.
func newStack(t *testing.T) *stackEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := localstack.Start(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Log(err)
		}
	})
	if err := s.CreateReferenceStack(ctx, rel.root, t.Logf); err != nil {
		t.Fatal(err)
	}
	if err := s.PushBase(ctx); err != nil {
		t.Fatal(err)
	}
	return &stackEnv{
		Stack:  s,
		oidc:   actiontest.NewGitHubOIDC(t, "e2e-oidc-token-0123456789", "e2e-request-token-0123456789", "sts.amazonaws.com"),
		github: newFakeGitHub(t),
	}
}

// env is what the runner and the user's settings give every step: AWS
// through moto, the registry endpoint, OIDC, GitHub's API.
func (s *stackEnv) env() map[string]string {
	env := map[string]string{
		"AWS_ENDPOINT_URL":          s.Moto.Endpoint,
		"AWS_EC2_METADATA_DISABLED": "true",
		// build-push-ecr's registry-endpoint, for every push: moto has no
		// registry (the in-memory one answers for ECR).
		"FERRY_REGISTRY_ENDPOINT": s.RegistryHost,
		"GITHUB_API_URL":          s.github.url,
		"GITHUB_GRAPHQL_URL":      s.github.url + "/graphql",
	}
	for k, v := range s.oidc.Env() {
		env[k] = v
	}
	return env
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
