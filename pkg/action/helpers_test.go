package action_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

// demoSpec is the declaration most tests run: one input of every kind, a
// required one, a secret, and three outputs.
func demoSpec() action.Spec {
	return action.Spec{
		Name:        "demo",
		Description: "Deploy a demo service: exercises every kind of input.",
		Inputs: []action.Input{
			{Name: "aws-region", Description: "AWS region to deploy to.", Default: "us-east-1"},
			{Name: "cluster", Description: "ECS cluster name.", Required: true},
			{Name: "dry-run", Description: "Plan only; change nothing.", Kind: action.Bool},
			{Name: "max-attempts", Description: "Retries per AWS call.", Kind: action.Int, Default: "3"},
			{Name: "timeout", Description: "How long the whole action may take.", Kind: action.Duration, Default: "10m"},
			{Name: "tags", Description: "Image tags, one per line or comma separated.", Kind: action.List},
			{Name: "labels", Description: "Docker labels as key=value lines.", Kind: action.Map},
			{Name: "strategy", Description: "How to roll out | rolling or canary.", Options: []string{"rolling", "canary"}, Default: "rolling"},
			{Name: "token", Description: "API token for the\nnotification webhook.", Secret: true},
			{Name: "context", Description: "Build context directory."},
		},
		Outputs: []action.Output{
			{Name: "user-id", Description: "Unique ID of the caller."},
			{Name: "arn", Description: "ARN of the caller."},
			{Name: "image-uri", Description: "Pushed image, by digest."},
		},
	}
}

// run is one invocation of the runtime.
type run struct {
	args []string
	env  map[string]string
	dir  string // "" means a fresh t.TempDir()
}

// started is a runtime and what it wrote.
type started struct {
	rt     *action.Runtime
	stdout *bytes.Buffer
	stderr *bytes.Buffer
	dir    string
}

// start builds the runtime with action.New and fails the test when New does.
func start(t *testing.T, spec action.Spec, r run) started {
	t.Helper()
	s, err := tryStart(t, spec, r)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func tryStart(t *testing.T, spec action.Spec, r run) (started, error) {
	t.Helper()
	dir := r.dir
	if dir == "" {
		dir = t.TempDir()
	}
	env := r.env
	s := started{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, dir: dir}
	rt, err := action.New(spec, action.Process{
		Args:   r.args,
		Getenv: func(k string) string { return env[k] },
		Stdout: s.stdout,
		Stderr: s.stderr,
		Dir:    dir,
	})
	s.rt = rt
	return s, err
}

// finish ends the run and returns the exit code.
func (s started) finish(err error) int {
	return s.rt.Finish(context.Background(), err)
}

// withEnv returns a copy of base with extra set.
func withEnv(base map[string]string, extra ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		out[extra[i]] = extra[i+1]
	}
	return out
}

func githubEnv(extra ...string) map[string]string {
	return withEnv(map[string]string{"GITHUB_ACTIONS": "true"}, extra...)
}

func gitlabEnv(extra ...string) map[string]string {
	return withEnv(map[string]string{"GITLAB_CI": "true"}, extra...)
}

func cliEnv(extra ...string) map[string]string { return withEnv(nil, extra...) }

// problems returns the problems of a *UsageError, failing the test for any other error.
func problems(t *testing.T, err error) []error {
	t.Helper()
	if err == nil {
		return nil
	}
	var u *action.UsageError
	if !errors.As(err, &u) {
		t.Fatalf("want a *action.UsageError, have %T: %v", err, err)
	}
	return u.Problems
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tempPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}

// withoutMasks drops the ::add-mask:: commands, the one place a secret must appear.
func withoutMasks(log string) string {
	var keep []string
	for _, line := range strings.SplitAfter(log, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// masks returns the values of the ::add-mask:: commands, in order.
func masks(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			out = append(out, v)
		}
	}
	return out
}

func readFileOK(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
