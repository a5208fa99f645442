package actiontest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

// Root returns the repository root: the nearest directory above the working
// directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of a ferry binary: $FERRY_BINARY when set,
// otherwise one built from this checkout, once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("FERRY_BINARY"); p != "" {
		return p
	}
	root := Root(t)
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "ferry-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "ferry")
		cmd := exec.Command("go", "build", "-o", build.path, "-ldflags", "-X main.version=v0.0.0-test", "./cmd/ferry")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Result is what one run produced.
type Result struct {
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]string // parsed from $GITHUB_OUTPUT (GitHub runs only)
	Env     map[string]string // parsed from $GITHUB_ENV (GitHub runs only)
	Summary string            // $GITHUB_STEP_SUMMARY or $FERRY_SUMMARY
}

// Masks returns the values the run asked the GitHub runner to mask.
func (r Result) Masks() []string {
	var masks []string
	for _, line := range strings.Split(r.Stdout+"\n"+r.Stderr, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			masks = append(masks, v)
		}
	}
	return masks
}

// Leaks returns the lines of stdout and stderr that contain secret outside
// an ::add-mask:: command — what a log would show.
func (r Result) Leaks(secret string) []string {
	var leaks []string
	for _, line := range strings.Split(r.Stdout+"\n"+r.Stderr, "\n") {
		if strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		if strings.Contains(line, secret) {
			leaks = append(leaks, line)
		}
	}
	return leaks
}

// LeaksAnywhere returns where secret appears unmasked in what the run left
// behind: the log lines of [Result.Leaks], and every output, exported
// variable and the step summary, each named ("output image", "summary").
func (r Result) LeaksAnywhere(secret string) []string {
	if secret == "" {
		return nil
	}
	var leaks []string
	for _, line := range r.Leaks(secret) {
		leaks = append(leaks, "log: "+line)
	}
	for _, f := range []struct {
		kind string
		m    map[string]string
	}{{"output", r.Outputs}, {"env", r.Env}} {
		keys := make([]string, 0, len(f.m))
		for k := range f.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.Contains(f.m[k], secret) || strings.Contains(k, secret) {
				leaks = append(leaks, f.kind+" "+k)
			}
		}
	}
	if strings.Contains(r.Summary, secret) {
		leaks = append(leaks, "summary")
	}
	return leaks
}

// Run is one invocation.
type Run struct {
	Args  []string          // after the binary name
	Env   map[string]string // added to a minimal environment (see BaseEnv)
	Dir   string            // working directory; a temp dir when ""
	Start func(*exec.Cmd)   // called once the process has started (to signal it)
}

// BaseEnv is the environment every run starts from: PATH, an empty HOME and
// AWS config files, and no instance metadata service, so that nothing from
// the developer's machine leaks in and nothing leaves loopback.
func BaseEnv(t testing.TB) map[string]string {
	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"HOME":                        home,
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

// Exec runs the binary with r and returns what it produced.
func Exec(ctx context.Context, t testing.TB, r Run) Result {
	t.Helper()
	env := BaseEnv(t)
	for k, v := range r.Env {
		env[k] = v
	}
	dir := r.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.CommandContext(ctx, Binary(t), r.Args...)
	cmd.Dir = dir
	cmd.Env = envList(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if r.Start != nil {
		r.Start(cmd)
	}
	err := cmd.Wait()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		t.Fatalf("running ferry %q: %v", r.Args, err)
	}
	if p := env["FERRY_SUMMARY"]; p != "" {
		res.Summary = readOptional(t, p)
	}
	return res
}

func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}

func readOptional(t testing.TB, path string) string {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// GitHubStep is one `uses:` step of a workflow.
type GitHubStep struct {
	// Action is "" for the repository's root action.yml, or the name of a
	// directory under actions/.
	Action string
	With   map[string]string // the step's `with:`
	Env    map[string]string // the step's and job's `env:`, and runner variables
	Start  func(*exec.Cmd)
	// JobStatus is what ${{ job.status }} evaluates to in input defaults:
	// success, failure or cancelled; "" means success.
	JobStatus string
}

var (
	expression = regexp.MustCompile(`\$\{\{\s*inputs\.([a-zA-Z0-9_-]+)\s*\}\}`)
	jobStatus  = regexp.MustCompile(`\$\{\{\s*job\.status\s*\}\}`)
)

// RunGitHub runs a step the way the GitHub runner runs a container action:
// it reads the action.yml, fails the test on a `with:` key the action does
// not declare (the runner only warns), applies the declared defaults, sets
// INPUT_<NAME> for every input (upper-case, hyphens kept, empty when unset),
// the GITHUB_* file-command variables and GITHUB_WORKSPACE, evaluates
// ${{ job.status }} in input defaults (the only expression it knows there),
// ${{ inputs.x }} in runs.args and runs.env, runs the binary with runs.args,
// and parses the files back.
func RunGitHub(ctx context.Context, t testing.TB, step GitHubStep) Result {
	t.Helper()
	root := Root(t)
	path := filepath.Join(root, "action.yml")
	if step.Action != "" {
		path = filepath.Join(root, "actions", step.Action, "action.yml")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := action.ParseActionFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Runs.Using != "docker" {
		t.Fatalf("%s: runs.using is %q, want docker", path, f.Runs.Using)
	}
	status := step.JobStatus
	if status == "" {
		status = "success"
	}
	inputs := map[string]string{}
	for name, in := range f.Inputs {
		def := jobStatus.ReplaceAllString(in.DefaultText(), status)
		if strings.Contains(def, "${{") {
			t.Fatalf("%s: input %q: default %q holds an expression this harness does not evaluate", path, name, in.DefaultText())
		}
		inputs[name] = def
	}
	for name, v := range step.With {
		if _, ok := f.Inputs[name]; !ok {
			t.Fatalf("%s: unexpected input %q in with: (the runner warns: \"Unexpected input(s)\")", path, name)
		}
		inputs[name] = v
	}
	eval := func(s string) string {
		return expression.ReplaceAllStringFunc(s, func(m string) string {
			return inputs[expression.FindStringSubmatch(m)[1]]
		})
	}

	files := t.TempDir()
	workspace := filepath.Join(files, "workspace")
	if err := os.Mkdir(workspace, 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"CI":                  "true",
		"GITHUB_WORKSPACE":    workspace,
		"GITHUB_OUTPUT":       filepath.Join(files, "output"),
		"GITHUB_ENV":          filepath.Join(files, "env"),
		"GITHUB_STEP_SUMMARY": filepath.Join(files, "summary"),
		"GITHUB_STATE":        filepath.Join(files, "state"),
		"GITHUB_PATH":         filepath.Join(files, "path"),
		"GITHUB_REPOSITORY":   "ferry-ci/example",
		"GITHUB_RUN_ID":       "4242",
		"RUNNER_TEMP":         files,
	}
	for name, v := range inputs {
		env[action.GitHubEnvName(name)] = v
	}
	for k, v := range f.Runs.Env {
		env[k] = eval(v)
	}
	for k, v := range step.Env {
		env[k] = v
	}
	var args []string
	for _, a := range f.Runs.Args {
		args = append(args, eval(a))
	}
	res := Exec(ctx, t, Run{Args: args, Env: env, Dir: workspace, Start: step.Start})
	res.Outputs = parseFileCommand(t, readOptional(t, env["GITHUB_OUTPUT"]))
	res.Env = parseFileCommand(t, readOptional(t, env["GITHUB_ENV"]))
	res.Summary = readOptional(t, env["GITHUB_STEP_SUMMARY"])
	return res
}

// parseFileCommand reads $GITHUB_OUTPUT or $GITHUB_ENV as the runner does:
// `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks.
func parseFileCommand(t testing.TB, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if heredoc >= 0 && (eq < 0 || heredoc < eq) {
			name, delim := line[:heredoc], line[heredoc+2:]
			var value []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				value = append(value, sc.Text())
			}
			if !closed {
				t.Fatalf("file command: %q is never closed by %q", name, delim)
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if eq < 0 {
			t.Fatalf("file command: invalid line %q", line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out
}
