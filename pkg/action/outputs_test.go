package action_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

// parseGitHubFile parses a $GITHUB_OUTPUT file as the runner does
// (FileCommandManager.cs in actions/runner), independently of the code under
// test: lines end in \n or \r\n; a line is NAME=VALUE when its first "=" comes
// before any "<<", else NAME<<DELIMITER, whose value is every line after it
// up to one that equals DELIMITER exactly, without the last line break. Blank
// lines between entries are skipped; a later entry wins.
func parseGitHubFile(text string) (map[string]string, error) {
	out := map[string]string{}
	i := 0
	// readLine returns the line at i (without its break), the break and the index after it.
	readLine := func() (line, br string, ok bool) {
		if i >= len(text) {
			return "", "", false
		}
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			line, i = text[i:], len(text)
			return line, "", true
		}
		line, br = text[i:i+j], "\n"
		i += j + 1
		if strings.HasSuffix(line, "\r") {
			line, br = line[:len(line)-1], "\r\n"
		}
		return line, br, true
	}
	for {
		line, _, ok := readLine()
		if !ok {
			return out, nil
		}
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (heredoc < 0 || eq < heredoc):
			out[line[:eq]] = line[eq+1:]
		case heredoc >= 0:
			name, delim := line[:heredoc], line[heredoc+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("invalid heredoc line %q", line)
			}
			start, end := i, i
			for {
				l, br, ok := readLine()
				if !ok {
					return nil, fmt.Errorf("output %q: matching delimiter %q not found", name, delim)
				}
				if l == delim {
					break
				}
				if br == "" {
					return nil, fmt.Errorf("output %q: EOF marker missing new line", name)
				}
				end = i - len(br)
			}
			out[name] = text[start:end]
		default:
			return nil, fmt.Errorf("invalid line %q", line)
		}
	}
}

func TestParseGitHubFileItself(t *testing.T) {
	t.Parallel()
	// The parser above is the oracle for the runtime's output file, so it
	// is checked against files written by hand first.
	text := "a=1=2\nb<<EOF\nline 1\n\nline 3\nEOF\n\nc<<X\nX\nd<<EOF\r\nwin\r\nEOF\r\na=again\n"
	want := map[string]string{"a": "again", "b": "line 1\n\nline 3", "c": "", "d": "win"}
	have, err := parseGitHubFile(text)
	if err != nil || !reflect.DeepEqual(have, want) {
		t.Fatalf("want %q, have %q (%v)", want, have, err)
	}
	if _, err := parseGitHubFile("a<<EOF\nvalue\n"); err == nil {
		t.Errorf("unterminated heredoc: want an error, have none")
	}
}

func TestGitHubOutputs(t *testing.T) {
	t.Parallel()
	values := []struct{ name, value string }{
		{"plain", "arn:aws:iam::123456789012:role/deploy"},
		{"empty", ""},
		{"multi-line", "line 1\nline 2\n\nline 4"},
		{"trailing newline", "ends with a break\n"},
		{"CRLF inside", "windows\r\nline"},
		{"go-githubactions delimiter", "a\n_GitHubActionsFileCommandDelimeter_\nuser-id=injected"},
		{"toolkit-style delimiter", "ghadelimiter_x\nghadelimiter_\nimage-uri<<ghadelimiter_x"},
		{"equals", "key=value=more"},
		{"heredoc marker", "name<<EOF\nEOF"},
		{"percent and colons", "%0A ::error::not a command"},
		{"unicode", "日本語 ✓"},
	}
	for _, tt := range values {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tempPath(t, "github_output")
			s := start(t, demoSpec(), run{env: githubEnv("GITHUB_OUTPUT", file)})
			if err := s.rt.SetOutput("user-id", "AIDA123"); err != nil {
				t.Fatal(err)
			}
			if err := s.rt.SetOutput("arn", tt.value); err != nil {
				t.Fatalf("SetOutput: %v", err)
			}
			if err := s.rt.SetOutput("image-uri", "repo@sha256:abc"); err != nil {
				t.Fatal(err)
			}
			have, err := parseGitHubFile(readFile(t, file))
			if err != nil {
				t.Fatalf("the runner could not parse the file: %v\n%s", err, readFile(t, file))
			}
			want := map[string]string{"user-id": "AIDA123", "arn": tt.value, "image-uri": "repo@sha256:abc"}
			if !reflect.DeepEqual(have, want) {
				t.Errorf("outputs as the runner reads them:\nwant %q\nhave %q\nfile:\n%s", want, have, readFile(t, file))
			}
			if got := s.rt.Outputs(); !reflect.DeepEqual(got, want) {
				t.Errorf("Outputs(): want %q, have %q", want, got)
			}
		})
	}
}

func TestGitHubOutputsFormat(t *testing.T) {
	t.Parallel()
	file := tempPath(t, "github_output")
	s := start(t, demoSpec(), run{env: githubEnv("GITHUB_OUTPUT", file)})
	for _, v := range []string{"first", "second"} {
		if err := s.rt.SetOutput("arn", v); err != nil {
			t.Fatal(err)
		}
	}
	re := regexp.MustCompile(`\Aarn<<(ghadelimiter_[0-9a-f]{32})\nfirst\n(ghadelimiter_[0-9a-f]{32})\narn<<(ghadelimiter_[0-9a-f]{32})\nsecond\n(ghadelimiter_[0-9a-f]{32})\n\z`)
	m := re.FindStringSubmatch(readFile(t, file))
	if m == nil {
		t.Fatalf("file: want two appended heredoc entries, have:\n%s", readFile(t, file))
	}
	if m[1] != m[2] || m[3] != m[4] {
		t.Errorf("each entry must close with its own delimiter: %q", m[1:])
	}
	if m[1] == m[3] {
		t.Errorf("delimiters: want a fresh random one per output, have %q twice", m[1])
	}
	if have := s.rt.Outputs()["arn"]; have != "second" {
		t.Errorf("Outputs()[arn]: want the last value, have %q", have)
	}
}

func TestGitHubOutputsSurviveFailure(t *testing.T) {
	t.Parallel()
	file := tempPath(t, "github_output")
	s := start(t, demoSpec(), run{env: githubEnv("GITHUB_OUTPUT", file)})
	if err := s.rt.SetOutput("image-uri", "repo@sha256:abc"); err != nil {
		t.Fatal(err)
	}
	have, err := parseGitHubFile(readFile(t, file))
	if err != nil || have["image-uri"] != "repo@sha256:abc" {
		t.Errorf("before Finish: want image-uri in the file already, have %q (%v)", have, err)
	}
	if code := s.finish(errors.New("deploy failed")); code != action.ExitFailure {
		t.Errorf("exit code: want %d, have %d", action.ExitFailure, code)
	}
	have, err = parseGitHubFile(readFile(t, file))
	if err != nil || !reflect.DeepEqual(have, map[string]string{"image-uri": "repo@sha256:abc"}) {
		t.Errorf("after a failed run: want image-uri kept, have %q (%v)", have, err)
	}
	if s.stdout.Len() != 0 {
		t.Errorf("stdout on GitHub without --output: want nothing, have %q", s.stdout)
	}
}

func TestSetOutputErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		out  string
		want string
	}{
		{"undeclared on the command line", cliEnv(), "account", `action "demo" has no output "account"`},
		{"undeclared on GitHub", githubEnv("GITHUB_OUTPUT", "FILE"), "User-Id", `action "demo" has no output "User-Id"`},
		{"undeclared on GitLab", gitlabEnv(), "userid", `action "demo" has no output "userid"`},
		{"GitHub without GITHUB_OUTPUT", githubEnv(), "arn", "GITHUB_OUTPUT is not set"},
		{"GitHub output file in a missing directory", githubEnv("GITHUB_OUTPUT", "MISSING"), "arn", "opening"},
		{"GitLab dotenv in a missing directory", gitlabEnv("FERRY_DOTENV", "MISSING"), "arn", "writing dotenv file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "github_output")
			env := withEnv(tt.env)
			for k, v := range env {
				switch v {
				case "FILE":
					env[k] = file
				case "MISSING":
					env[k] = filepath.Join(dir, "no", "such", "dir", "file")
				}
			}
			s := start(t, demoSpec(), run{env: withEnv(env, "CI_PROJECT_DIR", dir)})
			err := s.rt.SetOutput(tt.out, "value")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error containing %q, have %v", tt.want, err)
			}
			if strings.Contains(tt.name, "undeclared") {
				if len(s.rt.Outputs()) != 0 {
					t.Errorf("Outputs(): want none after a refused output, have %q", s.rt.Outputs())
				}
				if _, statErr := readFileOK(file); statErr == nil {
					t.Errorf("an undeclared output reached %s", file)
				}
			}
		})
	}
}

func TestGitLabDotenv(t *testing.T) {
	t.Parallel()
	project := t.TempDir()
	s := start(t, demoSpec(), run{env: gitlabEnv("CI_PROJECT_DIR", project)})
	dotenv := filepath.Join(project, "ferry.env")
	steps := []struct {
		name, value string
		want        string
	}{
		{"user-id", "AIDA123", "USER_ID=AIDA123\n"},
		{"arn", "line 1\nline 2\r\nline 3", "USER_ID=AIDA123\nARN=line 1\\nline 2\\nline 3\n"},
		{"user-id", "AIDA456", "USER_ID=AIDA456\nARN=line 1\\nline 2\\nline 3\n"},
		{"image-uri", "repo@sha256:abc=,x", "USER_ID=AIDA456\nARN=line 1\\nline 2\\nline 3\nIMAGE_URI=repo@sha256:abc=,x\n"},
	}
	for i, st := range steps {
		if err := s.rt.SetOutput(st.name, st.value); err != nil {
			t.Fatalf("step %d: SetOutput: %v", i, err)
		}
		if have := readFile(t, dotenv); have != st.want {
			t.Errorf("step %d: dotenv file:\nwant %q\nhave %q", i, st.want, have)
		}
	}
	if !strings.Contains(s.stderr.String(), "line breaks") || !strings.Contains(s.stderr.String(), "output=arn") {
		t.Errorf("stderr: want a warning about the line breaks in arn, have:\n%s", s.stderr)
	}
	if code := s.finish(nil); code != 0 || s.stdout.Len() != 0 {
		t.Errorf("Finish on GitLab: want 0 and nothing on stdout, have %d %q", code, s.stdout)
	}
}

func TestGitLabDotenvLocation(t *testing.T) {
	t.Parallel()
	abs := tempPath(t, "abs.env")
	tests := []struct {
		name string
		env  map[string]string
		file func(project, dir string) string
		want string
	}{
		{"default in CI_PROJECT_DIR", gitlabEnv(), func(p, _ string) string { return filepath.Join(p, "ferry.env") }, "USER_ID=u\n"},
		{"relative FERRY_DOTENV", gitlabEnv("FERRY_DOTENV", "out/deploy.env"), func(p, _ string) string { return filepath.Join(p, "out", "deploy.env") }, "USER_ID=u\n"},
		{"absolute FERRY_DOTENV", gitlabEnv("FERRY_DOTENV", abs), func(_, _ string) string { return abs }, "USER_ID=u\n"},
		{"FERRY_OUTPUT_PREFIX", gitlabEnv("FERRY_OUTPUT_PREFIX", "DEPLOY_"), func(p, _ string) string { return filepath.Join(p, "ferry.env") }, "DEPLOY_USER_ID=u\n"},
		{"no CI_PROJECT_DIR: the working directory", map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": ""}, func(_, d string) string { return filepath.Join(d, "ferry.env") }, "USER_ID=u\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			project, dir := t.TempDir(), t.TempDir()
			if err := mkdirAll(filepath.Join(project, "out")); err != nil {
				t.Fatal(err)
			}
			env := withEnv(tt.env)
			if _, ok := env["CI_PROJECT_DIR"]; !ok {
				env["CI_PROJECT_DIR"] = project
			}
			s := start(t, demoSpec(), run{env: env, dir: dir})
			if err := s.rt.SetOutput("user-id", "u"); err != nil {
				t.Fatal(err)
			}
			if have := readFile(t, tt.file(project, dir)); have != tt.want {
				t.Errorf("dotenv: want %q, have %q", tt.want, have)
			}
		})
	}
}

func TestDotenvName(t *testing.T) {
	t.Parallel()
	tests := []struct{ prefix, output, want string }{
		{"", "user-id", "USER_ID"},
		{"", "arn", "ARN"},
		{"DEPLOY_", "image-uri", "DEPLOY_IMAGE_URI"},
	}
	for _, tt := range tests {
		if have := action.DotenvName(tt.prefix, tt.output); have != tt.want {
			t.Errorf("DotenvName(%q, %q): want %q, have %q", tt.prefix, tt.output, tt.want, have)
		}
	}
}

func TestCLIOutputs(t *testing.T) {
	t.Parallel()
	set := func(t *testing.T, rt *action.Runtime) {
		t.Helper()
		for _, o := range [][2]string{{"user-id", "AIDA123"}, {"arn", "arn:aws:sts::1:assumed-role/x"}, {"image-uri", "two\nlines"}} {
			if err := rt.SetOutput(o[0], o[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		set     bool
		err     error
		want    string // exact stdout, unless json
		json    map[string]string
		wantErr string // on stderr
	}{
		{name: "text by default", set: true, want: "user-id=AIDA123\narn=arn:aws:sts::1:assumed-role/x\nimage-uri=two\nlines\n"},
		{name: "--output text", args: []string{"--output", "text"}, set: true, want: "user-id=AIDA123\narn=arn:aws:sts::1:assumed-role/x\nimage-uri=two\nlines\n"},
		{name: "--output json", args: []string{"--output=json"}, set: true, json: map[string]string{"user-id": "AIDA123", "arn": "arn:aws:sts::1:assumed-role/x", "image-uri": "two\nlines"}},
		{name: "--output json with no outputs", args: []string{"--output", "json"}, json: map[string]string{}},
		{name: "nothing set, text", want: ""},
		{name: "outputs and a failure", set: true, err: errors.New("boom"), want: "user-id=AIDA123\narn=arn:aws:sts::1:assumed-role/x\nimage-uri=two\nlines\n", wantErr: "ferry demo: error: boom"},
		{name: "GitHub without --output", env: githubEnv("GITHUB_OUTPUT", "FILE"), set: true, want: ""},
		{name: "GitHub with --output json", args: []string{"--output", "json"}, env: githubEnv("GITHUB_OUTPUT", "FILE"), set: true, json: map[string]string{"user-id": "AIDA123", "arn": "arn:aws:sts::1:assumed-role/x", "image-uri": "two\nlines"}},
		{name: "GitLab without --output", env: gitlabEnv(), set: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := withEnv(tt.env, "CI_PROJECT_DIR", dir)
			if env["GITHUB_OUTPUT"] == "FILE" {
				env["GITHUB_OUTPUT"] = filepath.Join(dir, "github_output")
			}
			s := start(t, demoSpec(), run{args: append([]string{"--cluster", "c"}, tt.args...), env: env, dir: dir})
			if err := s.rt.Inputs().Err(); err != nil {
				t.Fatal(err)
			}
			if tt.set {
				set(t, s.rt)
			}
			if s.stdout.Len() != 0 {
				t.Errorf("stdout before Finish: want nothing, have %q", s.stdout)
			}
			s.finish(tt.err)
			if tt.json != nil {
				dec := json.NewDecoder(bytes.NewReader(s.stdout.Bytes()))
				var have map[string]string
				if err := dec.Decode(&have); err != nil {
					t.Fatalf("stdout is not a JSON object: %v\n%s", err, s.stdout)
				}
				if dec.More() {
					t.Errorf("stdout: want one JSON object, have more:\n%s", s.stdout)
				}
				if !reflect.DeepEqual(have, tt.json) {
					t.Errorf("JSON: want %q, have %q", tt.json, have)
				}
			} else if have := s.stdout.String(); have != tt.want {
				t.Errorf("stdout: want %q, have %q", tt.want, have)
			}
			if tt.wantErr != "" && !strings.Contains(s.stderr.String(), tt.wantErr) {
				t.Errorf("stderr: want %q, have %q", tt.wantErr, s.stderr)
			}
			if strings.Contains(s.stderr.String(), "AIDA123") {
				t.Errorf("outputs on stderr: %q", s.stderr)
			}
		})
	}
}

// TestGitLabOutputFile: an output with a File stays out of the dotenv
// report (GitLab refuses one over 5 KiB) and goes to its file, which the
// component keeps as an artifact; on GitHub it is an output as any other.
func TestGitLabOutputFile(t *testing.T) {
	t.Parallel()
	spec := demoSpec()
	spec.Outputs = append(spec.Outputs, action.Output{Name: "changed", Description: "Every key changed.", File: "ferry-changed.json"})
	big := `["` + strings.Repeat("k", 10<<10) + `"]`

	project := t.TempDir()
	s := start(t, spec, run{env: gitlabEnv("CI_PROJECT_DIR", project)})
	if err := s.rt.SetOutputs([2]string{"user-id", "u"}, [2]string{"changed", big}); err != nil {
		t.Fatal(err)
	}
	if have := readFile(t, filepath.Join(project, "ferry.env")); have != "USER_ID=u\n" {
		t.Errorf("dotenv: want USER_ID only, have %.100q", have)
	}
	if have := readFile(t, filepath.Join(project, "ferry-changed.json")); have != big {
		t.Errorf("output file: want the value (%d bytes), have %d bytes", len(big), len(have))
	}

	gh := githubEnv("GITHUB_OUTPUT", tempPath(t, "out"))
	s = start(t, spec, run{env: gh})
	if err := s.rt.SetOutput("changed", "[]"); err != nil {
		t.Fatal(err)
	}
	if have := readFile(t, gh["GITHUB_OUTPUT"]); !strings.HasPrefix(have, "changed<<") {
		t.Errorf("GitHub output: have %q", have)
	}

	component, err := action.GitLabComponent(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"dotenv: ferry.env", "paths:\n      - ferry-changed.json", "artifacts: changed in ferry-changed.json"} {
		if !strings.Contains(string(component), w) {
			t.Errorf("component lacks %q:\n%s", w, component)
		}
	}
}

// TestExtraOutputs: outputs named at run time (a stack's outputs) keep
// their names on GitHub and in the GitLab dotenv report; a declared name,
// in any case, is refused; past the report's limits an extra output is left
// out of it (ErrDotenvFull) and the report stays as GitLab takes it.
func TestExtraOutputs(t *testing.T) {
	t.Parallel()
	gh := githubEnv("GITHUB_OUTPUT", tempPath(t, "out"))
	s := start(t, demoSpec(), run{env: gh})
	if err := s.rt.SetExtraOutput("BucketName", "b"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"User-ID", "arn", "has space", ""} {
		if err := s.rt.SetExtraOutput(bad, "x"); err == nil {
			t.Errorf("SetExtraOutput(%q): want an error, have none", bad)
		}
	}
	if have := readFile(t, gh["GITHUB_OUTPUT"]); !strings.HasPrefix(have, "BucketName<<") || strings.Count(have, "<<") != 1 {
		t.Errorf("GitHub output: want BucketName only, have %q", have)
	}

	project := t.TempDir()
	s = start(t, demoSpec(), run{env: gitlabEnv("CI_PROJECT_DIR", project)})
	if err := s.rt.SetOutput("user-id", "u"); err != nil {
		t.Fatal(err)
	}
	if err := s.rt.SetExtraOutput("BucketName", "b"); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("v", action.DotenvMaxBytes)
	if err := s.rt.SetExtraOutput("Huge", big); !errors.Is(err, action.ErrDotenvFull) {
		t.Errorf("SetExtraOutput of %d bytes: want ErrDotenvFull, have %v", len(big), err)
	}
	full := 0
	for i := range action.DotenvMaxVariables + 5 {
		if err := s.rt.SetExtraOutput(fmt.Sprintf("Out%d", i), "x"); errors.Is(err, action.ErrDotenvFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	dotenv := readFile(t, filepath.Join(project, "ferry.env"))
	lines := strings.Split(strings.TrimSpace(dotenv), "\n")
	if len(lines) != action.DotenvMaxVariables || !strings.HasPrefix(dotenv, "USER_ID=u\nBucketName=b\n") || strings.Contains(dotenv, "Huge") {
		t.Errorf("dotenv: want USER_ID, BucketName and outputs up to %d variables, no Huge, have %d:\n%s", action.DotenvMaxVariables, len(lines), dotenv)
	}
	if want := 5 + 2; full != want {
		t.Errorf("outputs left out: want %d, have %d", want, full)
	}
	if have := s.rt.Outputs()["Huge"]; have != big {
		t.Errorf("Outputs()[Huge]: want the value, have %d bytes", len(have))
	}
}
