package action_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

func TestFlagFollowedByFlag(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "--timeout", "5m", "--context", "-----BEGIN-----"}})
	in := s.rt.Inputs()
	if have := in.Duration("timeout").String(); have != "5m0s" {
		t.Errorf("timeout: want 5m0s, have %s (the flag after --cluster was eaten as its value)", have)
	}
	if have := in.String("context"); have != "-----BEGIN-----" {
		t.Errorf("context: a value starting with dashes: want %q, have %q", "-----BEGIN-----", have)
	}
	err := in.Err()
	if err == nil || !strings.Contains(err.Error(), `input "cluster": expected a value after --cluster, found the flag "--timeout"`) {
		t.Errorf("want a problem naming --cluster and the flag that followed it, have %v", err)
	}
}

func TestNewRejectsAnInvalidSpec(t *testing.T) {
	t.Parallel()
	spec := demoSpec()
	spec.Inputs = append(spec.Inputs, action.Input{Name: "command", Description: "clashes with the root action"})
	_, err := tryStart(t, spec, run{})
	if err == nil || !strings.Contains(err.Error(), `input "command" clashes`) {
		t.Errorf("New: want the spec rejected, have %v", err)
	}
}

func TestNilWritersDiscard(t *testing.T) {
	t.Parallel()
	rt, err := action.New(demoSpec(), action.Process{Args: []string{"--cluster", "c"}, Getenv: func(string) string { return "" }, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rt.Logger().Info("nobody listens")
	if code := rt.Finish(t.Context(), fmt.Errorf("boom")); code != action.ExitFailure {
		t.Errorf("exit code: want %d, have %d", action.ExitFailure, code)
	}
}

// TestConcurrentOutputs sets outputs from several goroutines (the race
// detector checks the locking) and expects every value in the dotenv file.
func TestConcurrentOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, dir: dir, env: map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": dir}})
	var wg sync.WaitGroup
	for _, name := range []string{"user-id", "arn", "image-uri"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.rt.SetOutput(name, "value-of-"+name); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(filepath.Join(dir, "ferry.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"USER_ID=value-of-user-id", "ARN=value-of-arn", "IMAGE_URI=value-of-image-uri"} {
		if !strings.Contains(string(data), line+"\n") {
			t.Errorf("dotenv lacks %q:\n%s", line, data)
		}
	}
}

func TestDotenvWarnsOncePerMultilineOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, dir: dir, env: map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": dir}})
	must(t, s.rt.SetOutput("arn", "a\nb"))
	must(t, s.rt.SetOutput("user-id", "u"))
	must(t, s.rt.SetOutput("image-uri", "i"))
	if n := strings.Count(s.stderr.String(), "cannot hold line breaks"); n != 1 {
		t.Errorf("warnings: want 1, have %d:\n%s", n, s.stderr)
	}
}

func TestRelativeSummaryResolvesAgainstWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, dir: dir, env: map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": dir, "FERRY_SUMMARY": "out/summary.md"}})
	must(t, os.Mkdir(filepath.Join(dir, "out"), 0o755))
	must(t, s.rt.Summary("# done"))
	if data, err := os.ReadFile(filepath.Join(dir, "out", "summary.md")); err != nil || string(data) != "# done\n" {
		t.Errorf("summary in the project dir: want %q, have %q (%v)", "# done\n", data, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMissingProjectDirFallsBackToWorkingDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c", "--context", "app"}, dir: dir,
		env: map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": filepath.Join(dir, "does-not-exist")}})
	if have, want := s.rt.Inputs().Path("context"), filepath.Join(dir, "app"); have != want {
		t.Errorf("context: want %q, have %q", want, have)
	}
}

func TestSetOutputsInOrderStopsAtFirstError(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c", "--output", "json"}})
	err := s.rt.SetOutputs([2]string{"arn", "a"}, [2]string{"no-such-output", "x"}, [2]string{"user-id", "u"})
	if err == nil || !strings.Contains(err.Error(), `no output "no-such-output"`) {
		t.Fatalf("want the undeclared output named, have %v", err)
	}
	if have := s.rt.Outputs(); have["arn"] != "a" || len(have) != 1 {
		t.Errorf("outputs: want only arn set before the failure, have %v", have)
	}
}
