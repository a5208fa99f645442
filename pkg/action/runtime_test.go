package action_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want *regexp.Regexp
	}{
		{"github", githubEnv(), regexp.MustCompile(`\A::group::Deploy web %25 ok\ninside\n::endgroup::\n\z`)},
		{"gitlab", gitlabEnv(), regexp.MustCompile(`\A\x1b\[0Ksection_start:(\d+):(ferry_deploy_web_ok)\[collapsed=true\]\r\x1b\[0KDeploy web % ok\ninside\n\x1b\[0Ksection_end:(\d+):(ferry_deploy_web_ok)\r\x1b\[0K\n\z`)},
		{"cli", cliEnv(), regexp.MustCompile(`\A== Deploy web % ok\ninside\n\z`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: tt.env})
			end := s.rt.Group("Deploy web % ok")
			fmt.Fprintln(s.rt.Log(), "inside")
			end()
			s.finish(nil)
			m := tt.want.FindStringSubmatch(s.stderr.String())
			if m == nil {
				t.Fatalf("stderr: want %s, have %q", tt.want, s.stderr)
			}
			if tt.name == "gitlab" {
				startTS, _ := strconv.ParseInt(m[1], 10, 64)
				endTS, _ := strconv.ParseInt(m[3], 10, 64)
				if startTS == 0 || endTS < startTS {
					t.Errorf("section timestamps: want 0 < start <= end, have %d %d", startTS, endTS)
				}
				if m[2] != m[4] {
					t.Errorf("section_end must name the section it ends: %q vs %q", m[2], m[4])
				}
			}
			if s.stdout.Len() != 0 {
				t.Errorf("stdout: want nothing, have %q", s.stdout)
			}
		})
	}
}

func TestWarn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"github", githubEnv(), "::warning::slack failed with token ***\n"},
		{"gitlab", gitlabEnv(), "level=WARN msg=\"slack failed with token ***\"\n"},
		{"cli", cliEnv(), "level=WARN msg=\"slack failed with token ***\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c", "--token", "tok-123"}, env: tt.env})
			s.rt.Warn("slack failed with token tok-123")
			s.finish(nil)
			have := regexp.MustCompile(`(?m)^::add-mask::.*\n`).ReplaceAllString(s.stderr.String(), "")
			if !strings.HasSuffix(have, tt.want) || strings.Contains(have, "tok-123") {
				t.Errorf("stderr: want it to end with %q and hide the token, have %q", tt.want, have)
			}
		})
	}
}

func TestGitLabSectionNames(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^ferry_[a-z0-9_.-]*$`) // GitLab: letters, digits, _ . -
	for _, title := range []string{"Build image (linux/amd64)", "Push to 123.dkr.ecr/app:v1", "  __weird__  ", "日本"} {
		s := start(t, demoSpec(), run{env: gitlabEnv()})
		s.rt.Group(title)()
		m := regexp.MustCompile(`section_start:\d+:([^\[]*)\[`).FindStringSubmatch(s.stderr.String())
		if m == nil || !valid.MatchString(m[1]) {
			t.Errorf("Group(%q): want a valid section name, have %q", title, s.stderr)
		}
	}
}

func TestFinish(t *testing.T) {
	t.Parallel()
	usage := action.Usage("demo",
		&action.Problem{Input: "dry-run", Expected: "true or false", Found: `"yes"`},
		&action.Problem{Input: "timeout", Expected: "a duration", Found: "\"10\"\nsecond line"},
	)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		env      map[string]string
		ctx      context.Context
		err      error
		wantCode int
		want     string   // stderr, exactly, when not ""
		contains []string // in stderr
		lines    []string // lines of stderr starting with this prefix, exactly
		prefix   string
	}{
		{name: "nil on GitHub", env: githubEnv(), wantCode: 0},
		{name: "nil on the command line", env: cliEnv(), wantCode: 0},
		{
			name: "usage error on GitHub: one annotation per problem", env: githubEnv(), err: usage, wantCode: 2,
			prefix: "::error::",
			lines: []string{
				`::error::input "dry-run": expected true or false, found "yes"`,
				`::error::input "timeout": expected a duration, found "10"%0Asecond line`,
			},
			contains: []string{"ferry demo --help lists the inputs."},
		},
		{
			name: "wrapped usage error", env: githubEnv(), err: fmt.Errorf("checking inputs: %w", usage), wantCode: 2,
			prefix: "::error::",
			lines: []string{
				`::error::input "dry-run": expected true or false, found "yes"`,
				`::error::input "timeout": expected a duration, found "10"%0Asecond line`,
			},
		},
		{
			name: "usage error on the command line", env: cliEnv(), err: usage, wantCode: 2,
			want: "ferry demo: error: invalid input (2 problems):\n  - input \"dry-run\": expected true or false, found \"yes\"\n  - input \"timeout\": expected a duration, found \"10\"\nsecond line\nferry demo --help lists the inputs.\n",
		},
		{
			name: "failure on GitHub, escaped", env: githubEnv(), err: errors.New("deploying \"web\": 50% done\r\nrolled back"), wantCode: 1,
			want: "::error::deploying \"web\": 50%25 done%0D%0Arolled back\n",
		},
		{name: "failure on the command line", env: cliEnv(), err: errors.New("boom\nsecond"), wantCode: 1, want: "ferry demo: error: boom\nsecond\n"},
		{name: "failure on GitLab", env: gitlabEnv(), err: errors.New("boom"), wantCode: 1, want: "ferry demo: error: boom\n"},
		{
			name: "cancelled", env: cliEnv(), ctx: cancelled, err: fmt.Errorf("waiting for service \"web\": %w", context.Canceled), wantCode: 130,
			want: "ferry demo: error: cancelled: waiting for service \"web\": context canceled\n",
		},
		{name: "cancelled on GitHub", env: githubEnv(), ctx: cancelled, err: context.Canceled, wantCode: 130, want: "::error::cancelled: context canceled\n"},
		{
			name: "context.Canceled while the run's context is live is a failure", env: cliEnv(), err: context.Canceled, wantCode: 1,
			want: "ferry demo: error: context canceled\n",
		},
		{name: "deadline is a failure", env: cliEnv(), ctx: cancelled, err: context.DeadlineExceeded, wantCode: 1, want: "ferry demo: error: context deadline exceeded\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: tt.env})
			code := s.rt.Finish(ctx, tt.err)
			if code != tt.wantCode {
				t.Errorf("exit code: want %d, have %d", tt.wantCode, code)
			}
			stderr := s.stderr.String()
			if tt.err == nil && stderr != "" {
				t.Errorf("stderr: want nothing, have %q", stderr)
			}
			if tt.want != "" && stderr != tt.want {
				t.Errorf("stderr:\nwant %q\nhave %q", tt.want, stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(stderr, c) {
					t.Errorf("stderr: want %q in it, have %q", c, stderr)
				}
			}
			if tt.prefix != "" {
				var have []string
				for _, l := range strings.Split(stderr, "\n") {
					if strings.HasPrefix(l, tt.prefix) {
						have = append(have, l)
					}
				}
				if strings.Join(have, "\n") != strings.Join(tt.lines, "\n") {
					t.Errorf("%s lines:\nwant %q\nhave %q", tt.prefix, tt.lines, have)
				}
			}
			if s.stdout.Len() != 0 {
				t.Errorf("stdout: want nothing, have %q", s.stdout)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		target string // the env var naming the file that gets the summary, "" for none
	}{
		{"GitHub: GITHUB_STEP_SUMMARY", githubEnv("GITHUB_STEP_SUMMARY", "A", "FERRY_SUMMARY", "B"), "GITHUB_STEP_SUMMARY"},
		{"GitHub ignores FERRY_SUMMARY", githubEnv("FERRY_SUMMARY", "B"), ""},
		{"GitLab: FERRY_SUMMARY", gitlabEnv("FERRY_SUMMARY", "B", "GITHUB_STEP_SUMMARY", "A"), "FERRY_SUMMARY"},
		{"command line: FERRY_SUMMARY", cliEnv("FERRY_SUMMARY", "B", "GITHUB_STEP_SUMMARY", "A"), "FERRY_SUMMARY"},
		{"command line without FERRY_SUMMARY", cliEnv("GITHUB_STEP_SUMMARY", "A"), ""},
		{"GitLab without FERRY_SUMMARY", gitlabEnv(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := map[string]string{"A": filepath.Join(dir, "a.md"), "B": filepath.Join(dir, "b.md")}
			env := withEnv(tt.env)
			for k, v := range env {
				if f, ok := files[v]; ok {
					env[k] = f
				}
			}
			if tt.target != "" {
				if err := os.WriteFile(env[tt.target], []byte("# earlier step\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c", "--token", "tok-s3cr3t"}, env: env})
			if err := s.rt.Summary("### demo\n\n| token |\n|---|\n| tok-s3cr3t |"); err != nil {
				t.Fatalf("Summary: %v", err)
			}
			if err := s.rt.Summary("done\n"); err != nil {
				t.Fatalf("Summary: %v", err)
			}
			for _, f := range files {
				body, err := readFileOK(f)
				switch {
				case tt.target != "" && f == env[tt.target]:
					want := "# earlier step\n### demo\n\n| token |\n|---|\n| *** |\ndone\n"
					if body != want {
						t.Errorf("summary: want %q, have %q", want, body)
					}
				case err == nil:
					t.Errorf("%s: want no file, have %q", f, body)
				}
			}
		})
	}
}

func TestSummaryError(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{env: cliEnv("FERRY_SUMMARY", filepath.Join(t.TempDir(), "missing", "s.md"))})
	if err := s.rt.Summary("x"); err == nil || !strings.Contains(err.Error(), "s.md") {
		t.Errorf("Summary into a missing directory: want an error naming the file, have %v", err)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	ws, proj := t.TempDir(), t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs", "ctx")
	tests := []struct {
		name  string
		env   map[string]string
		value string
		want  func(dir string) string
	}{
		{"GitHub: GITHUB_WORKSPACE", githubEnv("GITHUB_WORKSPACE", ws, "CI_PROJECT_DIR", proj), "app/ctx", func(string) string { return filepath.Join(ws, "app", "ctx") }},
		{"GitHub without GITHUB_WORKSPACE", githubEnv(), "app", func(d string) string { return filepath.Join(d, "app") }},
		{"GitLab: CI_PROJECT_DIR", gitlabEnv("CI_PROJECT_DIR", proj, "GITHUB_WORKSPACE", ws), "./app/../app2", func(string) string { return filepath.Join(proj, "app2") }},
		{"GitLab without CI_PROJECT_DIR", gitlabEnv(), "app", func(d string) string { return filepath.Join(d, "app") }},
		{"command line: Dir", cliEnv("GITHUB_WORKSPACE", ws, "CI_PROJECT_DIR", proj), "app", func(d string) string { return filepath.Join(d, "app") }},
		{"absolute kept", githubEnv("GITHUB_WORKSPACE", ws), abs, func(string) string { return abs }},
		{"dot", gitlabEnv("CI_PROJECT_DIR", proj), ".", func(string) string { return proj }},
		{"unset", githubEnv("GITHUB_WORKSPACE", ws), "", func(string) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--cluster", "c"}
			if tt.value != "" {
				args = append(args, "--context", tt.value)
			}
			s := start(t, demoSpec(), run{args: args, env: tt.env})
			if have, want := s.rt.Inputs().Path("context"), tt.want(s.dir); have != want {
				t.Errorf("Path: want %q, have %q", want, have)
			}
		})
	}
}

func TestLogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env   map[string]string
		debug bool
	}{
		{cliEnv(), false},
		{cliEnv("FERRY_DEBUG", "true"), true},
		{githubEnv("RUNNER_DEBUG", "1"), true},
		{githubEnv("RUNNER_DEBUG", "0"), false},
		{gitlabEnv("CI_DEBUG_TRACE", "true"), true},
	}
	for _, tt := range tests {
		s := start(t, demoSpec(), run{env: tt.env})
		s.rt.Logger().Debug("detail", "k", "v")
		s.rt.Logger().Info("note")
		s.finish(nil)
		want := "level=INFO msg=note\n"
		if tt.debug {
			want = "level=DEBUG msg=detail k=v\n" + want
		}
		if have := s.stderr.String(); have != want {
			t.Errorf("env %v: want %q, have %q", tt.env, want, have)
		}
		if s.stdout.Len() != 0 {
			t.Errorf("env %v: logs on stdout: %q", tt.env, s.stdout)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"--cluster", "c", "--bogus", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			s, err := tryStart(t, demoSpec(), run{args: args, env: githubEnv("INPUT_TOKEN", "help-s3cr3t")})
			if !errors.Is(err, action.ErrHelp) {
				t.Fatalf("New: want ErrHelp, have %v", err)
			}
			if s.rt != nil {
				t.Errorf("New: want no runtime with ErrHelp, have one")
			}
			for _, in := range demoSpec().Inputs {
				if !strings.Contains(s.stdout.String(), "--"+in.Name+" ") {
					t.Errorf("help lacks --%s:\n%s", in.Name, s.stdout)
				}
			}
			for _, w := range []string{"Usage: ferry demo", "required", `default "10m"`, "one of rolling, canary", "secret", "user-id", "FERRY_NAME", "INPUT_NAME"} {
				if !strings.Contains(s.stdout.String(), w) {
					t.Errorf("help lacks %q:\n%s", w, s.stdout)
				}
			}
			if strings.Contains(s.stdout.String()+s.stderr.String(), "help-s3cr3t") {
				t.Errorf("help shows a secret")
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogWriteError(t *testing.T) {
	t.Parallel()
	rt, err := action.New(demoSpec(), action.Process{Stderr: failingWriter{}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := rt.Log().Write([]byte("partial")); n != 7 || err != nil {
		t.Errorf("a partial line is buffered: want 7, nil; have %d, %v", n, err)
	}
	if _, err := rt.Log().Write([]byte(" line\n")); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("a full line: want the writer's error, have %v", err)
	}
}

func TestDefaultDirIsTheWorkingDirectory(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := action.New(demoSpec(), action.Process{Args: []string{"--context", "app"}, Stderr: &strings.Builder{}})
	if err != nil {
		t.Fatal(err)
	}
	if have, want := rt.Inputs().Path("context"), filepath.Join(wd, "app"); have != want {
		t.Errorf("Path with Process.Dir unset: want %q, have %q", want, have)
	}
}
