package action_test

import (
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	in := func(name string, mod ...func(*action.Input)) action.Input {
		i := action.Input{Name: name, Description: "An input."}
		for _, m := range mod {
			m(&i)
		}
		return i
	}
	out := func(name string) action.Output { return action.Output{Name: name, Description: "An output."} }
	tests := []struct {
		name string
		edit func(*action.Spec)
		want []string // each in the error; none means valid
	}{
		{name: "the demo spec is valid", edit: func(*action.Spec) {}},
		{name: "action name not kebab-case", edit: func(s *action.Spec) { s.Name = "Deploy_ECS" }, want: []string{`action name "Deploy_ECS" is not kebab-case`}},
		{name: "no description", edit: func(s *action.Spec) { s.Description = " \n" }, want: []string{`action "demo" has no description`}},
		{name: "input with underscores", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("aws_region")) }, want: []string{`input "aws_region" is not kebab-case`}},
		{name: "input with capitals", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("awsRegion")) }, want: []string{`input "awsRegion" is not kebab-case`}},
		{name: "input with a double hyphen", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("aws--region")) }, want: []string{`input "aws--region" is not kebab-case`}},
		{name: "input with a trailing hyphen", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("region-")) }, want: []string{`input "region-" is not kebab-case`}},
		{name: "input starting with a digit", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("2fa")) }, want: []string{`input "2fa" is not kebab-case`}},
		{name: "duplicate input", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("cluster")) }, want: []string{`input "cluster" is declared twice`}},
		{name: "input without description", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, action.Input{Name: "quiet"}) }, want: []string{`input "quiet" has no description`}},
		{name: "required with a default", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("service", func(i *action.Input) { i.Required, i.Default = true, "web" }))
		}, want: []string{`input "service" is required and has a default`}},
		{name: "bool default", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("wait", func(i *action.Input) { i.Kind, i.Default = action.Bool, "yes" }))
		}, want: []string{`input "wait": default "yes": expected true or false`}},
		{name: "duration default without a unit", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("wait-for", func(i *action.Input) { i.Kind, i.Default = action.Duration, "10" }))
		}, want: []string{`input "wait-for": default "10": expected a duration with a unit`}},
		{name: "int default", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("count", func(i *action.Input) { i.Kind, i.Default = action.Int, "ten" }))
		}, want: []string{`input "count": default "ten": expected a whole number`}},
		{name: "map default", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("env", func(i *action.Input) { i.Kind, i.Default = action.Map, "a=1\na=2" }))
		}, want: []string{`input "env": default "a=1\na=2": expected each key once`}},
		{name: "default not among the options", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("mode", func(i *action.Input) { i.Options, i.Default = []string{"a", "b"}, "c" }))
		}, want: []string{`input "mode": default "c": expected one of "a", "b"`}},
		{name: "action default that is not an expression", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("status", func(i *action.Input) { i.ActionDefault = "success" }))
		}, want: []string{`input "status": action default "success" is not a ${{ }} expression`}},
		{name: "required with an action default", edit: func(s *action.Spec) {
			s.Inputs = append(s.Inputs, in("status", func(i *action.Input) { i.Required, i.ActionDefault = true, "${{ job.status }}" }))
		}, want: []string{`input "status" is required and has a default`}},
		{name: "input clashing with --output", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("output")) }, want: []string{`input "output" clashes with a ferry flag`}},
		{name: "input the runner takes as the container's entrypoint", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("entrypoint")) }, want: []string{`input "entrypoint" is read by the runner as the container's own entrypoint`}},
		{name: "input the runner takes as the container's arguments", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("args")) }, want: []string{`input "args" is read by the runner as the container's own args`}},
		{name: "input clashing with --help", edit: func(s *action.Spec) { s.Inputs = append(s.Inputs, in("help")) }, want: []string{`input "help" clashes with a ferry flag`}},
		{name: "output not kebab-case", edit: func(s *action.Spec) { s.Outputs = append(s.Outputs, out("User_ID")) }, want: []string{`output "User_ID" is not kebab-case`}},
		{name: "duplicate output", edit: func(s *action.Spec) { s.Outputs = append(s.Outputs, out("arn")) }, want: []string{`output "arn" is declared twice`}},
		{name: "output without description", edit: func(s *action.Spec) { s.Outputs = append(s.Outputs, action.Output{Name: "digest"}) }, want: []string{`output "digest" has no description`}},
		{name: "every mistake at once", edit: func(s *action.Spec) {
			s.Name = "Bad Name"
			s.Inputs = append(s.Inputs, in("cluster"), in("x_y"), in("wait", func(i *action.Input) { i.Kind, i.Default = action.Bool, "no" }))
			s.Outputs = append(s.Outputs, out("arn"))
		}, want: []string{`action name "Bad Name"`, `input "cluster" is declared twice`, `input "x_y"`, `input "wait": default "no"`, `output "arn" is declared twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := demoSpec()
			tt.edit(&s)
			err := s.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want nil, have %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error with %q, have nil", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("want %q in the error, have %v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "; ") + 1; n != len(tt.want) {
				t.Errorf("want %d problems, have %d: %v", len(tt.want), n, err)
			}
		})
	}
}

func TestSpecLookup(t *testing.T) {
	t.Parallel()
	s := demoSpec()
	if in, ok := s.Input("timeout"); !ok || in.Kind != action.Duration || in.Default != "10m" {
		t.Errorf("Input(timeout): want the duration input, have %+v %v", in, ok)
	}
	if _, ok := s.Input("nope"); ok {
		t.Errorf("Input(nope): want not found")
	}
	if o, ok := s.Output("arn"); !ok || o.Name != "arn" {
		t.Errorf("Output(arn): want found, have %+v %v", o, ok)
	}
	if _, ok := s.Output("nope"); ok {
		t.Errorf("Output(nope): want not found")
	}
}

func TestKindAndPlatformNames(t *testing.T) {
	t.Parallel()
	kinds := map[action.Kind]string{action.String: "string", action.Bool: "bool", action.Int: "int", action.Duration: "duration", action.List: "list", action.Map: "map"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("Kind %d: want %q, have %q", int(k), want, k.String())
		}
	}
	platforms := map[action.Platform]string{action.CLI: "cli", action.GitHub: "github", action.GitLab: "gitlab"}
	for p, want := range platforms {
		if p.String() != want {
			t.Errorf("Platform %d: want %q, have %q", int(p), want, p.String())
		}
	}
}
