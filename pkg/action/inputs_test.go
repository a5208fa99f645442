package action_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/pkg/action"
)

func TestInputSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		want       string
		wantSource string
	}{
		{
			name:       "flag beats INPUT_ and FERRY_ and the default",
			args:       []string{"--aws-region", "eu-west-1"},
			env:        githubEnv("INPUT_AWS-REGION", "eu-west-2", "FERRY_AWS_REGION", "eu-west-3"),
			want:       "eu-west-1",
			wantSource: "--aws-region",
		},
		{
			name:       "INPUT_ with the hyphen kept beats FERRY_ on GitHub",
			env:        githubEnv("INPUT_AWS-REGION", "eu-west-2", "FERRY_AWS_REGION", "eu-west-3"),
			want:       "eu-west-2",
			wantSource: "INPUT_AWS-REGION",
		},
		{
			name:       "INPUT_ with an underscore is not the runner's name",
			env:        githubEnv("INPUT_AWS_REGION", "eu-west-2"),
			want:       "us-east-1",
			wantSource: "default",
		},
		{
			name:       "blank INPUT_ counts as unset on GitHub",
			env:        githubEnv("INPUT_AWS-REGION", "  \n", "FERRY_AWS_REGION", "eu-west-3"),
			want:       "eu-west-3",
			wantSource: "FERRY_AWS_REGION",
		},
		{
			name:       "INPUT_ is trimmed",
			env:        githubEnv("INPUT_AWS-REGION", "  eu-west-2\n"),
			want:       "eu-west-2",
			wantSource: "INPUT_AWS-REGION",
		},
		{
			name:       "GitLab ignores INPUT_",
			env:        gitlabEnv("INPUT_AWS-REGION", "eu-west-2", "FERRY_AWS_REGION", "eu-west-3"),
			want:       "eu-west-3",
			wantSource: "FERRY_AWS_REGION",
		},
		{
			name:       "the command line ignores INPUT_",
			env:        cliEnv("INPUT_AWS-REGION", "eu-west-2"),
			want:       "us-east-1",
			wantSource: "default",
		},
		{
			name:       "FERRY_ with hyphens as underscores on the command line",
			env:        cliEnv("FERRY_AWS_REGION", "ap-south-1", "FERRY_AWS-REGION", "wrong"),
			want:       "ap-south-1",
			wantSource: "FERRY_AWS_REGION",
		},
		{
			name:       "flag beats FERRY_ on GitLab",
			args:       []string{"--aws-region=ca-central-1"},
			env:        gitlabEnv("FERRY_AWS_REGION", "eu-west-3"),
			want:       "ca-central-1",
			wantSource: "--aws-region",
		},
		{
			name:       "an empty flag counts as unset",
			args:       []string{"--aws-region="},
			env:        cliEnv("FERRY_AWS_REGION", "eu-west-3"),
			want:       "eu-west-3",
			wantSource: "FERRY_AWS_REGION",
		},
		{
			name:       "default when nothing is set",
			env:        githubEnv(),
			want:       "us-east-1",
			wantSource: "default",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: append(tt.args, "--cluster", "prod"), env: tt.env})
			in := s.rt.Inputs()
			if have := in.String("aws-region"); have != tt.want {
				t.Errorf("aws-region: want %q, have %q", tt.want, have)
			}
			if have := in.Source("aws-region"); have != tt.wantSource {
				t.Errorf("Source(aws-region): want %q, have %q", tt.wantSource, have)
			}
			if !in.IsSet("aws-region") {
				t.Errorf("IsSet(aws-region): want true, have false")
			}
			if err := in.Err(); err != nil {
				t.Errorf("Err: want nil, have %v", err)
			}
		})
	}
}

func TestInputUnset(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "prod"}})
	in := s.rt.Inputs()
	if in.IsSet("context") {
		t.Errorf("IsSet(context): want false, have true")
	}
	if have := in.Source("context"); have != "" {
		t.Errorf("Source(context): want \"\", have %q", have)
	}
	if have := in.String("context"); have != "" {
		t.Errorf("String(context): want \"\", have %q", have)
	}
	if have := in.List("tags"); have != nil {
		t.Errorf("List(tags): want nil, have %q", have)
	}
	if have := in.Map("labels"); have != nil {
		t.Errorf("Map(labels): want nil, have %q", have)
	}
	if have := in.Bool("dry-run"); have {
		t.Errorf("Bool(dry-run): want false, have true")
	}
	if have := in.Int("max-attempts"); have != 3 {
		t.Errorf("Int(max-attempts): want the default 3, have %d", have)
	}
	if have := in.Duration("timeout"); have != 10*time.Minute {
		t.Errorf("Duration(timeout): want the default 10m, have %s", have)
	}
}

func TestFlagGrammar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, in *action.Values)
	}{
		{
			name: "--name=value",
			args: []string{"--context=./app=1"},
			check: func(t *testing.T, in *action.Values) {
				if have := in.String("context"); have != "./app=1" {
					t.Errorf("context: want %q, have %q", "./app=1", have)
				}
			},
		},
		{
			name: "--name value",
			args: []string{"--context", "./app"},
			check: func(t *testing.T, in *action.Values) {
				if have := in.String("context"); have != "./app" {
					t.Errorf("context: want %q, have %q", "./app", have)
				}
			},
		},
		{
			name: "a value may start with a single dash",
			args: []string{"--max-attempts", "-1"},
			check: func(t *testing.T, in *action.Values) {
				if have := in.Int("max-attempts"); have != -1 {
					t.Errorf("max-attempts: want -1, have %d", have)
				}
			},
		},
		{
			name: "bare --bool at the end",
			args: []string{"--dry-run"},
			check: func(t *testing.T, in *action.Values) {
				if !in.Bool("dry-run") {
					t.Errorf("dry-run: want true, have false")
				}
				if have := in.Source("dry-run"); have != "--dry-run" {
					t.Errorf("Source(dry-run): want --dry-run, have %q", have)
				}
			},
		},
		{
			name: "bare --bool before another flag",
			args: []string{"--dry-run", "--context", "x"},
			check: func(t *testing.T, in *action.Values) {
				if !in.Bool("dry-run") {
					t.Errorf("dry-run: want true, have false")
				}
				if have := in.String("context"); have != "x" {
					t.Errorf("context: want x, have %q", have)
				}
			},
		},
		{
			name: "--bool false",
			args: []string{"--dry-run", "false"},
			check: func(t *testing.T, in *action.Values) {
				if in.Bool("dry-run") || !in.IsSet("dry-run") {
					t.Errorf("dry-run: want set and false, have set=%v value=%v", in.IsSet("dry-run"), in.Bool("dry-run"))
				}
			},
		},
		{
			name: "--bool=false",
			args: []string{"--dry-run=false"},
			check: func(t *testing.T, in *action.Values) {
				if in.Bool("dry-run") || !in.IsSet("dry-run") {
					t.Errorf("dry-run: want set and false, have set=%v value=%v", in.IsSet("dry-run"), in.Bool("dry-run"))
				}
			},
		},
		{
			name: "repeated list flags accumulate",
			args: []string{"--tags", "v1", "--tags=latest,sha-abc", "--tags", "\nedge\n"},
			check: func(t *testing.T, in *action.Values) {
				want := []string{"v1", "latest", "sha-abc", "edge"}
				if have := in.List("tags"); !reflect.DeepEqual(have, want) {
					t.Errorf("tags: want %q, have %q", want, have)
				}
			},
		},
		{
			name: "repeated map flags accumulate",
			args: []string{"--labels", "team=ops", "--labels=tier=web"},
			check: func(t *testing.T, in *action.Values) {
				want := map[string]string{"team": "ops", "tier": "web"}
				if have := in.Map("labels"); !reflect.DeepEqual(have, want) {
					t.Errorf("labels: want %q, have %q", want, have)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: append([]string{"--cluster", "prod"}, tt.args...)})
			if err := s.rt.Inputs().Err(); err != nil {
				t.Fatalf("Err: want nil, have %v", err)
			}
			tt.check(t, s.rt.Inputs())
		})
	}
}

func TestFlagProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string // each problem's message, by substring, in order
	}{
		{
			name: "repeated scalar flag",
			args: []string{"--context", "a", "--context", "b"},
			want: []string{`input "context": expected --context once, found it again with "b"`},
		},
		{
			name: "repeated secret flag does not show the value",
			args: []string{"--token", "first-s3cr3t", "--token", "second-s3cr3t"},
			want: []string{`input "token": expected --token once, found it again (a secret value, not shown)`},
		},
		{
			name: "flag without a value at the end",
			args: []string{"--context"},
			want: []string{`input "context": expected a value after --context, found the end of the command line`},
		},
		{
			name: "unknown flag with its value",
			args: []string{"--colour", "blue"},
			want: []string{`unknown flag "--colour": expected the name of an input of demo`},
		},
		{
			name: "unknown flag with =",
			args: []string{"--colour=blue", "--context", "x"},
			want: []string{`unknown flag "--colour"`},
		},
		{
			name: "positional argument",
			args: []string{"deploy"},
			want: []string{`unexpected argument "deploy": expected flags of the form --name value`},
		},
		{
			name: "single-dash flag",
			args: []string{"-context", "x"},
			want: []string{`unexpected argument "-context"`, `unexpected argument "x"`},
		},
		{
			name: "a lone --",
			args: []string{"--"},
			want: []string{`unexpected argument "--"`},
		},
		{
			name: "bad --output",
			args: []string{"--output", "yaml"},
			want: []string{`flag --output: expected text or json, found "yaml"`},
		},
		{
			name: "--output without a value",
			args: []string{"--output"},
			want: []string{`flag --output: expected text or json, found nothing`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: append([]string{"--cluster", "prod"}, tt.args...)})
			errs := problems(t, s.rt.Inputs().Err())
			if len(errs) != len(tt.want) {
				t.Fatalf("problems: want %d, have %d: %q", len(tt.want), len(errs), errs)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("problem %d: want %q in it, have %q", i, w, errs[i])
				}
			}
			if strings.Contains(s.rt.Inputs().Err().Error(), "s3cr3t") {
				t.Errorf("a secret value is in the problems: %v", s.rt.Inputs().Err())
			}
		})
	}
}

func TestTypedParsing(t *testing.T) {
	t.Parallel()
	spec := action.Spec{
		Name:        "kinds",
		Description: "One input of each kind.",
		Inputs: []action.Input{
			{Name: "s", Description: "string", Kind: action.String},
			{Name: "b", Description: "bool", Kind: action.Bool},
			{Name: "i", Description: "int", Kind: action.Int},
			{Name: "d", Description: "duration", Kind: action.Duration},
			{Name: "l", Description: "list", Kind: action.List},
			{Name: "m", Description: "map", Kind: action.Map},
			{Name: "o", Description: "options", Options: []string{"blue", "green"}},
		},
	}
	tests := []struct {
		input   string
		text    string
		want    any    // when the text parses
		wantErr string // when it does not: in the problem's message
	}{
		{input: "s", text: "anything at all, = and ,", want: "anything at all, = and ,"},
		{input: "b", text: "true", want: true},
		{input: "b", text: "false", want: false},
		{input: "b", text: "yes", wantErr: `input "b": expected true or false, found "yes" (from FERRY_B)`},
		{input: "b", text: "True", wantErr: `expected true or false, found "True"`},
		{input: "b", text: "1", wantErr: `expected true or false, found "1"`},
		{input: "i", text: "42", want: 42},
		{input: "i", text: "-7", want: -7},
		{input: "i", text: "4.2", wantErr: `input "i": expected a whole number, found "4.2"`},
		{input: "i", text: "many", wantErr: `expected a whole number, found "many"`},
		{input: "d", text: "10m", want: 10 * time.Minute},
		{input: "d", text: "1h30m", want: 90 * time.Minute},
		{input: "d", text: "90s", want: 90 * time.Second},
		{input: "d", text: "10", wantErr: `input "d": expected a duration with a unit, such as 90s, 10m or 1h30m, found "10"`},
		{input: "d", text: "-5m", wantErr: `expected a duration with a unit, such as 90s, 10m or 1h30m, found "-5m"`},
		{input: "d", text: "soon", wantErr: `found "soon"`},
		{input: "l", text: "a,b\nc", want: []string{"a", "b", "c"}},
		{input: "l", text: "a,,b\n\n , \nc ,", want: []string{"a", "b", "c"}},
		{input: "l", text: " spaced item , other ", want: []string{"spaced item", "other"}},
		{input: "l", text: ",\n,", want: []string(nil)},
		{input: "m", text: "a=1\nb=2", want: map[string]string{"a": "1", "b": "2"}},
		{input: "m", text: "url=https://x/?a=b,c\n\n  k = v \n", want: map[string]string{"url": "https://x/?a=b,c", "k": "v"}},
		{input: "m", text: "empty=", want: map[string]string{"empty": ""}},
		{input: "m", text: "a=1\na=2", wantErr: `input "m": expected each key once, found "a" again on line 2`},
		{input: "m", text: "a=1\nnoequals", wantErr: `input "m": expected key=value on line 2, found "noequals"`},
		{input: "m", text: "=value", wantErr: `expected key=value on line 1, found "=value"`},
		{input: "o", text: "green", want: "green"},
		{input: "o", text: "red", wantErr: `input "o": expected one of "blue", "green", found "red"`},
		{input: "o", text: "Blue", wantErr: `expected one of "blue", "green", found "Blue"`},
	}
	for _, tt := range tests {
		t.Run(tt.input+"="+tt.text, func(t *testing.T) {
			t.Parallel()
			s := start(t, spec, run{env: cliEnv(action.EnvName(tt.input), tt.text)})
			in := s.rt.Inputs()
			errs := problems(t, in.Err())
			if tt.wantErr != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Fatalf("want one problem containing %q, have %q", tt.wantErr, errs)
				}
				return
			}
			if len(errs) != 0 {
				t.Fatalf("want no problems, have %q", errs)
			}
			var have any
			switch tt.input {
			case "s", "o":
				have = in.String(tt.input)
			case "b":
				have = in.Bool(tt.input)
			case "i":
				have = in.Int(tt.input)
			case "d":
				have = in.Duration(tt.input)
			case "l":
				have = in.List(tt.input)
			case "m":
				have = in.Map(tt.input)
			}
			if !reflect.DeepEqual(have, tt.want) {
				t.Errorf("want %#v, have %#v", tt.want, have)
			}
		})
	}
}

// TestReadingAsTheWrongKindPanics: a typo in an action is a programming
// error that its own tests must catch, not a silent zero value.
func TestReadingAsTheWrongKindPanics(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "prod"}})
	in := s.rt.Inputs()
	tests := []struct {
		name string
		read func()
		want string
	}{
		{"undeclared", func() { in.String("clustre") }, `input "clustre" is not declared`},
		{"undeclared IsSet", func() { in.IsSet("clustre") }, `input "clustre" is not declared`},
		{"bool as string", func() { in.String("dry-run") }, `input "dry-run" is a bool, read as a string`},
		{"string as int", func() { in.Int("cluster") }, `input "cluster" is a string, read as a int`},
		{"list as map", func() { in.Map("tags") }, `input "tags" is a list, read as a map`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), tt.want) {
					t.Errorf("want a panic with %q, have %v", tt.want, r)
				}
			}()
			tt.read()
		})
	}
}

func TestReturnedCollectionsAreCopies(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "prod", "--tags", "a,b", "--labels", "k=v"}})
	in := s.rt.Inputs()
	in.List("tags")[0] = "changed"
	in.Map("labels")["k"] = "changed"
	if have := in.List("tags")[0]; have != "a" {
		t.Errorf("tags[0] after changing a copy: want a, have %q", have)
	}
	if have := in.Map("labels")["k"]; have != "v" {
		t.Errorf("labels[k] after changing a copy: want v, have %q", have)
	}
}

// TestAllProblemsAtOnce is the promise of convention 3: one run reports a
// bad bool, a unitless duration, a missing required input, an unknown flag
// and a stray argument together, each naming what it is about, what was
// expected and what was found.
func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{cliEnv(), githubEnv(), gitlabEnv()} {
		t.Run(action.Detect(func(k string) string { return env[k] }).String(), func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{
				args: []string{"stray", "--dry-run", "yes", "--timeout=10", "--colour", "blue"},
				env:  env,
			})
			err := s.rt.Inputs().Err()
			errs := problems(t, err)
			if len(errs) != 5 {
				t.Fatalf("problems: want 5, have %d:\n%v", len(errs), err)
			}
			want := []struct{ about, expected, found string }{
				{`unexpected argument "stray"`, "expected flags of the form --name value", `"stray"`},
				{`unknown flag "--colour"`, "expected the name of an input of demo", `found "colour"`},
				{`input "dry-run"`, "expected true or false", `found "yes" (from --dry-run)`},
				{`input "timeout"`, "expected a duration with a unit", `found "10" (from --timeout)`},
				{`input "cluster"`, "expected a value (the input is required)", "found none"},
			}
			for _, w := range want {
				var match error
				for _, e := range errs {
					if strings.Contains(e.Error(), w.about) {
						match = e
					}
				}
				if match == nil {
					t.Errorf("no problem mentions %s in:\n%v", w.about, err)
					continue
				}
				for _, part := range []string{w.expected, w.found} {
					if !strings.Contains(match.Error(), part) {
						t.Errorf("problem %q: want %q in it", match, part)
					}
				}
			}
			if !strings.HasPrefix(err.Error(), "invalid input (5 problems):") {
				t.Errorf("message: want it to start with the count, have %q", err)
			}
			var p *action.Problem
			if !errors.As(err, &p) {
				t.Errorf("errors.As(*Problem): want a typed problem reachable, have none")
			}
			if code := s.finish(err); code != action.ExitUsage {
				t.Errorf("exit code: want %d, have %d", action.ExitUsage, code)
			}
			for _, w := range want {
				if !strings.Contains(s.stderr.String(), w.about) {
					t.Errorf("stderr lacks %s:\n%s", w.about, s.stderr)
				}
			}
		})
	}
}

func TestSecretValuesNotInProblems(t *testing.T) {
	t.Parallel()
	spec := action.Spec{
		Name:        "secrets",
		Description: "Secret inputs of several kinds.",
		Inputs: []action.Input{
			{Name: "pin", Description: "A secret number.", Kind: action.Int, Secret: true},
			{Name: "headers", Description: "Secret headers.", Kind: action.Map, Secret: true},
			{Name: "flavour", Description: "A secret choice.", Options: []string{"a", "b"}, Secret: true},
		},
	}
	tests := []struct {
		name   string
		env    map[string]string
		secret string
		want   string
	}{
		{"bad int", cliEnv("FERRY_PIN", "hunter2-pin"), "hunter2-pin", `input "pin": expected a whole number, found a secret value (not shown) (from FERRY_PIN)`},
		{"map line without =", cliEnv("FERRY_HEADERS", "Authorization: Bearer hunter2-hdr"), "hunter2-hdr", `input "headers": expected key=value lines, each key once, found a secret value (not shown)`},
		{"map duplicate key", githubEnv("INPUT_HEADERS", "x-hunter2-key=1\nx-hunter2-key=2"), "hunter2-key", `input "headers": expected key=value lines, each key once, found a secret value (not shown) (from INPUT_HEADERS)`},
		{"option", gitlabEnv("FERRY_FLAVOUR", "hunter2-flavour"), "hunter2-flavour", `input "flavour": expected one of "a", "b", found a secret value (not shown)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, spec, run{env: tt.env})
			err := s.rt.Inputs().Err()
			errs := problems(t, err)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("want one problem containing %q, have %q", tt.want, errs)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("the problem shows the secret: %v", err)
			}
			s.finish(err)
			if strings.Contains(s.stdout.String()+withoutMasks(s.stderr.String()), tt.secret) {
				t.Errorf("the secret reached the log:\nstdout: %s\nstderr: %s", s.stdout, s.stderr)
			}
		})
	}
}

func TestActionProblems(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "prod", "--dry-run", "maybe"}})
	in := s.rt.Inputs()
	in.Problem("context", "a directory", `"./nope", which does not exist`)
	in.Add(nil, errors.Join(errors.New("first domain problem"), nil, errors.New("second domain problem")), nil)
	in.Add(action.Usage("other", errors.New("nested usage problem")))
	errs := problems(t, in.Err())
	want := []string{
		`input "dry-run": expected true or false, found "maybe" (from --dry-run)`,
		`input "context": expected a directory, found "./nope", which does not exist`,
		"first domain problem",
		"second domain problem",
		"nested usage problem",
	}
	if len(errs) != len(want) {
		t.Fatalf("problems: want %d, have %d: %q", len(want), len(errs), errs)
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("problem %d: want %q, have %q", i, w, errs[i])
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if err := action.Usage("x"); err != nil {
		t.Errorf("Usage with no errors: want nil, have %v", err)
	}
	if err := action.Usage("x", nil, errors.Join(nil)); err != nil {
		t.Errorf("Usage with nils: want nil, have %v", err)
	}
	err := action.Usage("x", errors.New("one"))
	if have, want := err.Error(), "invalid input (1 problem):\n  - one"; have != want {
		t.Errorf("message: want %q, have %q", want, have)
	}
	p := &action.Problem{Input: "role-duration", Expected: "a duration", Found: `"10"`}
	err = action.Usage("x", p, errors.New("two"))
	if !errors.Is(err, p) {
		t.Errorf("errors.Is(problem): want true, have false")
	}
	if have, want := err.Error(), "invalid input (2 problems):\n  - input \"role-duration\": expected a duration, found \"10\"\n  - two"; have != want {
		t.Errorf("message: want %q, have %q", want, have)
	}
}

func TestEnvNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ input, ferry, github string }{
		{"aws-region", "FERRY_AWS_REGION", "INPUT_AWS-REGION"},
		{"timeout", "FERRY_TIMEOUT", "INPUT_TIMEOUT"},
		{"role-to-assume", "FERRY_ROLE_TO_ASSUME", "INPUT_ROLE-TO-ASSUME"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			t.Parallel()
			if have := action.EnvName(tt.input); have != tt.ferry {
				t.Errorf("EnvName: want %q, have %q", tt.ferry, have)
			}
			if have := action.GitHubEnvName(tt.input); have != tt.github {
				t.Errorf("GitHubEnvName: want %q, have %q", tt.github, have)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want action.Platform
	}{
		{map[string]string{}, action.CLI},
		{map[string]string{"GITHUB_ACTIONS": "true"}, action.GitHub},
		{map[string]string{"GITHUB_ACTIONS": "1"}, action.CLI},
		{map[string]string{"GITLAB_CI": "true"}, action.GitLab},
		{map[string]string{"CI": "true"}, action.CLI},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, action.GitHub},
	}
	for _, tt := range tests {
		if have := action.Detect(func(k string) string { return tt.env[k] }); have != tt.want {
			t.Errorf("Detect(%v): want %s, have %s", tt.env, tt.want, have)
		}
	}
	s := start(t, demoSpec(), run{env: gitlabEnv("SOME", "thing")})
	if s.rt.Platform() != action.GitLab || s.rt.Getenv("SOME") != "thing" || s.rt.Spec().Name != "demo" {
		t.Errorf("runtime: want gitlab, SOME=thing, spec demo; have %s, %q, %q", s.rt.Platform(), s.rt.Getenv("SOME"), s.rt.Spec().Name)
	}
}

// TestOneProblemPerInput: a value that failed to parse, or a required
// input that is missing, is the input's one problem; the action's and a
// domain's later checks of the same input are dropped, and every other
// problem stays.
func TestOneProblemPerInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		check  func(in *action.Values)
		want   []string
		failed []string // inputs Failed reports
	}{
		{
			name: "the action's check of a value that failed to parse",
			args: []string{"--cluster", "prod", "--max-attempts", "x"},
			check: func(in *action.Values) {
				in.Problem("max-attempts", "1 or more", fmt.Sprint(in.Int("max-attempts")))
			},
			want:   []string{`input "max-attempts": expected a whole number, found "x" (from --max-attempts)`},
			failed: []string{"max-attempts"},
		},
		{
			name: "a domain's check of a value that failed to parse",
			args: []string{"--cluster", "prod", "--timeout", "soon"},
			check: func(in *action.Values) {
				in.Add(errors.Join(errors.New(`input "timeout": expected 1s or more, found 0s`), errors.New(`input "aws-region": expected a region, found "x"`)))
			},
			want: []string{
				`input "timeout": expected a duration with a unit, such as 90s, 10m or 1h30m, found "soon" (from --timeout)`,
				`input "aws-region": expected a region, found "x"`,
			},
			failed: []string{"timeout"},
		},
		{
			name: "a domain's check of a missing required input",
			check: func(in *action.Values) {
				in.Add(errors.New(`input "cluster": expected a cluster name, found none`))
			},
			want:   []string{`input "cluster": expected a value (the input is required), found none`},
			failed: []string{"cluster"},
		},
		{
			name: "a domain problem naming several inputs, one of them already at fault",
			args: []string{"--cluster", "prod", "--strategy", "Canary"},
			check: func(in *action.Values) {
				in.Problem("context", "a directory", `"nope"`)
				in.Add(errors.New(`inputs "context" and "tags": expected both or neither, found context alone`))
				in.Add(errors.New(`inputs "tags", "labels" or "strategy": expected one of them, found none`))
			},
			want: []string{
				`input "strategy": expected one of "rolling", "canary", found "Canary" (from --strategy)`,
				`input "context": expected a directory, found "nope"`,
			},
			failed: []string{"strategy"},
		},
		{
			name: "the action's own problems all stay, and a domain's after them go",
			args: []string{"--cluster", "prod", "--tags", "-a,-b"},
			check: func(in *action.Values) {
				for _, tag := range in.List("tags") {
					in.Problem("tags", "tags not starting with -", strconv.Quote(tag))
				}
				in.Add(errors.New(`input "tags": expected at most 1 tag, found 2`))
			},
			want: []string{
				`input "tags": expected tags not starting with -, found "-a"`,
				`input "tags": expected tags not starting with -, found "-b"`,
			},
		},
		{
			name: "one domain validation reports every problem with an input",
			args: []string{"--cluster", "prod"},
			check: func(in *action.Values) {
				in.Add(errors.Join(errors.New(`input "tags": expected a tag, found "-a"`), errors.New(`input "tags": expected a tag, found "-b"`)))
			},
			want: []string{`input "tags": expected a tag, found "-a"`, `input "tags": expected a tag, found "-b"`},
		},
		{
			name:   "a required flag without its value",
			args:   []string{"--cluster"},
			want:   []string{`input "cluster": expected a value after --cluster, found the end of the command line`},
			failed: []string{"cluster"},
		},
		{
			name:   "a flag given twice, its first value not parsing",
			args:   []string{"--cluster", "prod", "--dry-run", "maybe", "--dry-run", "true"},
			want:   []string{`input "dry-run": expected --dry-run once, found it again with "true"`},
			failed: []string{"dry-run"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: tt.args})
			in := s.rt.Inputs()
			if tt.check != nil {
				tt.check(in)
			}
			var have []string
			for _, e := range problems(t, in.Err()) {
				have = append(have, e.Error())
			}
			if !slices.Equal(have, tt.want) {
				t.Errorf("problems:\nwant %q\nhave %q", tt.want, have)
			}
			for _, in2 := range demoSpec().Inputs {
				if want, have := slices.Contains(tt.failed, in2.Name), in.Failed(in2.Name); want != have {
					t.Errorf("Failed(%q): want %t, have %t", in2.Name, want, have)
				}
			}
		})
	}
}

// TestWhitespaceOnly: empty text leaves any input unset; text of only
// whitespace leaves a text input unset too, but is a value a typed input
// refuses (it does not fall back to the default: dry-run: ' ' must not
// write).
func TestWhitespaceOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    run
		want []string // the problems; none means every input below is unset
	}{
		{name: "bool from a flag", r: run{args: []string{"--cluster", "prod", "--dry-run", " "}},
			want: []string{`input "dry-run": expected true or false, found " " (from --dry-run)`}},
		{name: "bool from INPUT_ on GitHub", r: run{env: githubEnv("INPUT_CLUSTER", "prod", "INPUT_DRY-RUN", " ")},
			want: []string{`input "dry-run": expected true or false, found " " (from INPUT_DRY-RUN)`}},
		{name: "int and duration from FERRY_", r: run{env: gitlabEnv("FERRY_CLUSTER", "prod", "FERRY_MAX_ATTEMPTS", "\n", "FERRY_TIMEOUT", "\t ")},
			want: []string{
				`input "max-attempts": expected a whole number, found "\n" (from FERRY_MAX_ATTEMPTS)`,
				`input "timeout": expected a duration with a unit, such as 90s, 10m or 1h30m, found "\t " (from FERRY_TIMEOUT)`,
			}},
		{name: "one of options", r: run{args: []string{"--cluster", "prod", "--strategy", "  "}},
			want: []string{`input "strategy": expected one of "rolling", "canary", found "  " (from --strategy)`}},
		{name: "text inputs stay unset", r: run{args: []string{"--cluster", "prod", "--context", " ", "--tags", " \n "}, env: cliEnv("FERRY_LABELS", "  ", "FERRY_AWS_REGION", " ")}},
		{name: "empty typed inputs stay unset", r: run{args: []string{"--cluster", "prod", "--dry-run="}, env: githubEnv("INPUT_MAX-ATTEMPTS", "", "FERRY_TIMEOUT", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := start(t, demoSpec(), tt.r).rt.Inputs()
			var have []string
			for _, e := range problems(t, in.Err()) {
				have = append(have, e.Error())
			}
			if !slices.Equal(have, tt.want) {
				t.Errorf("problems:\nwant %q\nhave %q", tt.want, have)
			}
			if tt.want != nil {
				return
			}
			for _, name := range []string{"context", "tags", "labels", "dry-run"} {
				if in.IsSet(name) {
					t.Errorf("IsSet(%q): want false, have true (%q)", name, in.Source(name))
				}
			}
			if have := in.Source("aws-region"); have != "default" {
				t.Errorf("Source(aws-region): want default, have %q", have)
			}
			if have := in.Int("max-attempts"); have != 3 {
				t.Errorf("Int(max-attempts): want the default 3, have %d", have)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{in: "", want: `""`},
		{in: "a\nb", want: `"a\nb"`},
		{in: strings.Repeat("a", 100), want: `"` + strings.Repeat("a", 100) + `"`},
		{in: strings.Repeat("a", 101), want: `"` + strings.Repeat("a", 100) + `"… (101 bytes)`},
		{in: strings.Repeat("é", 150), want: `"` + strings.Repeat("é", 100) + `"… (300 bytes)`},
	}
	for _, tt := range tests {
		if have := action.Quote(tt.in); have != tt.want {
			t.Errorf("Quote(%.20q…): want %s, have %s", tt.in, tt.want, have)
		}
	}
}

// TestProblemsBounded: whatever an action or a domain quoted, the log gets
// at most 10 problems per input, each at most 1000 characters, cut after
// secrets are redacted (a cut through a secret would leave part of it).
func TestProblemsBounded(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-token-value-0123456789"
	s := start(t, demoSpec(), run{args: []string{"--cluster", "prod", "--max-attempts", strings.Repeat("9x", 5000)}})
	s.rt.Mask(secret)
	in := s.rt.Inputs()
	var lines []error
	for i := range 25 {
		lines = append(lines, fmt.Errorf("line %d: expected key=value, found %q", i+1, "bad"))
	}
	in.AddFor("labels", errors.Join(lines...)) // as a domain parser reports each line
	// The secret straddles the 1000th character.
	in.AddFor("tags", errors.New("expected a tag, found "+strings.Repeat("x", 950)+secret+strings.Repeat("y", 100)))
	if code := s.finish(in.Err()); code != action.ExitUsage {
		t.Fatalf("exit code: want %d, have %d", action.ExitUsage, code)
	}
	log := s.stderr.String()
	for _, want := range []string{
		`input "max-attempts": expected a whole number, found "9x9x`,
		`"… (10000 bytes) (from --max-attempts)`,
		`input "labels": line 10: expected key=value`,
		`input "labels": expected the problems above fixed first (10 are listed), found 15 more`,
		`x***yyy`,
		`y… (cut: `,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "line 11:") {
		t.Errorf("log lists an 11th problem with labels:\n%s", log)
	}
	if strings.Contains(log, secret[:8]) {
		t.Errorf("log holds part of the secret:\n%s", log)
	}
	if len(log) > 5000 {
		t.Errorf("log: want at most 5000 bytes, have %d", len(log))
	}
}
