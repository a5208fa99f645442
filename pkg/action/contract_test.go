package action_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

// joined returns the errors an errors.Join holds, or err alone.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkErrors checks err holds exactly one error per want, each containing it.
func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	errs := joined(err)
	if len(errs) != len(want) {
		t.Errorf("want %d differences, have %d:\n%v", len(want), len(errs), err)
	}
	for _, w := range want {
		n := 0
		for _, e := range errs {
			if strings.Contains(e.Error(), w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("want one difference containing %q, have %d in:\n%v", w, n, err)
		}
	}
}

func TestCheckActionYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	tricky := action.Spec{
		Name:        "tricky",
		Description: "Defaults YAML would read as something else.",
		Inputs: []action.Input{
			{Name: "looks-bool", Description: "x", Default: "true"},
			{Name: "looks-yes", Description: "x", Default: "yes"},
			{Name: "looks-int", Description: "x", Default: "0123"},
			{Name: "looks-float", Description: "x", Default: "1.50"},
			{Name: "looks-null", Description: "x", Default: "null"},
			{Name: "looks-tilde", Description: "x", Default: "~"},
			{Name: "colon", Description: "x: y", Default: "a: b"},
			{Name: "hash", Description: "x", Default: "# not a comment"},
			{Name: "expression", Description: "x", Default: "${{ github.sha }}"},
			{Name: "spaces", Description: "x", Default: "  padded  "},
			{Name: "lines", Description: "x", Kind: action.List, Default: "first\nsecond\n"},
			{Name: "required", Description: "Multi\n  line\tdescription.", Required: true},
		},
		Outputs: []action.Output{{Name: "out", Description: "x"}},
	}
	for _, spec := range []action.Spec{demoSpec(), notifySpec(), tricky} {
		t.Run(spec.Name, func(t *testing.T) {
			t.Parallel()
			if err := spec.Validate(); err != nil {
				t.Fatal(err)
			}
			b, err := action.ActionYAML(spec, image)
			if err != nil {
				t.Fatal(err)
			}
			if err := action.CheckActionYAML(b, spec); err != nil {
				t.Errorf("CheckActionYAML(ActionYAML(spec)): want nil, have %v\n%s", err, b)
			}
		})
	}
	specs := []action.Spec{demoSpec(), notifySpec(), tricky}
	b, err := action.RootActionYAML(specs, image)
	if err != nil {
		t.Fatal(err)
	}
	if err := action.CheckRootActionYAML(b, specs); err != nil {
		t.Errorf("CheckRootActionYAML(RootActionYAML(specs)): want nil, have %v\n%s", err, b)
	}
}

func TestCheckActionYAMLBroken(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "contract", "broken", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	err = action.CheckActionYAML(data, demoSpec())
	checkErrors(t, err, []string{
		`input "legacy-mode": in action.yml but not declared in Go`,
		`input "labels": declared in Go but missing from action.yml`,
		`input "cluster": action.yml has required false, Go declares true`,
		`input "timeout": action.yml has default "15m", Go declares "10m"`,
		`output "image-uri": declared in Go but missing from action.yml`,
	})
}

func TestCheckRootActionYAMLBroken(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "contract", "broken-root", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	err = action.CheckRootActionYAML(data, []action.Spec{demoSpec(), notifySpec()})
	checkErrors(t, err, []string{
		`input "command": action.yml has required false, Go declares true`,
		`input "region": in action.yml but not declared in Go`,
		`input "webhook-url": declared in Go but missing from action.yml`,
		`input "status": declared in Go but missing from action.yml`,
		`input "aws-region": action.yml has default "us-west-2", Go declares "us-east-1"`,
		`output "message-id": declared in Go but missing from action.yml`,
		`runs: action.yml has using "docker" args ["demo"], expected docker with args ["${{ inputs.command }}"]`,
	})
}

// TestCheckActionYAMLActionDefault: an input with an ActionDefault must carry
// that expression in action.yml, not its command-line default.
func TestCheckActionYAMLActionDefault(t *testing.T) {
	t.Parallel()
	good, err := action.ActionYAML(notifySpec(), image)
	if err != nil {
		t.Fatal(err)
	}
	if err := action.CheckActionYAML(good, notifySpec()); err != nil {
		t.Errorf("the rendered action.yml: want no error, have %v", err)
	}
	bad := strings.Replace(string(good), "default: ${{ job.status }}", "default: success", 1)
	checkErrors(t, action.CheckActionYAML([]byte(bad), notifySpec()), []string{
		`input "status": action.yml has default "success", Go declares "${{ job.status }}"`,
	})
}

func TestCheckActionYAMLDrift(t *testing.T) {
	t.Parallel()
	good, err := action.ActionYAML(demoSpec(), image)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"node action", "using: docker", "using: node20", []string{`runs.using: action.yml has "node20", expected "docker"`}},
		{"wrong subcommand", "    - demo", "    - deploy", []string{`runs.args: action.yml has ["deploy"], expected the subcommand "demo" first`}},
		{"no args", "  args:\n    - demo\n", "", []string{`runs.args: action.yml has [], expected the subcommand "demo" first`}},
		{"extra output", "outputs:\n", "outputs:\n  digest:\n    description: x\n", []string{`output "digest": in action.yml but not declared in Go`}},
		{"default added", "    description: ECS cluster name.\n    required: true\n", "    description: ECS cluster name.\n    required: true\n    default: prod\n", []string{`input "cluster": action.yml has default "prod", Go declares ""`}},
		{"default removed", "    default: rolling\n", "", []string{`input "strategy": action.yml has default "", Go declares "rolling"`}},
		{"required as a string", "    description: ECS cluster name.\n    required: true\n", "    description: ECS cluster name.\n    required: 'true'\n", nil},
		{"descriptions are not compared", "ECS cluster name.", "Some other words.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := strings.Replace(string(good), tt.old, tt.new, 1)
			if data == string(good) {
				t.Fatalf("the edit %q did not apply", tt.old)
			}
			checkErrors(t, action.CheckActionYAML([]byte(data), demoSpec()), tt.want)
		})
	}
	if err := action.CheckActionYAML([]byte("inputs: [oops"), demoSpec()); err == nil || !strings.Contains(err.Error(), "parsing action.yml") {
		t.Errorf("invalid YAML: want a parse error, have %v", err)
	}
	if err := action.CheckRootActionYAML([]byte("inputs: [oops"), nil); err == nil || !strings.Contains(err.Error(), "parsing action.yml") {
		t.Errorf("invalid YAML (root): want a parse error, have %v", err)
	}
}

func TestActionInputAsTheRunnerReadsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml     string
		required bool
		def      string
	}{
		{"required: true", true, ""},
		{"required: 'true'", true, ""},
		{"required: TRUE", true, ""},
		{"required: false", false, ""},
		{"required: 'no'", false, ""},
		{"description: x", false, ""},
		{"default: 3", false, "3"},
		{"default: 'x y'", false, "x y"},
		{"default: true", false, "true"},
		{"default: ''", false, ""},
	}
	for _, tt := range tests {
		f, err := action.ParseActionFile([]byte("inputs:\n  x:\n    " + tt.yaml + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		in := f.Inputs["x"]
		if in.IsRequired() != tt.required || in.DefaultText() != tt.def {
			t.Errorf("%s: want required %v default %q, have %v %q", tt.yaml, tt.required, tt.def, in.IsRequired(), in.DefaultText())
		}
	}
	if _, err := action.ParseActionFile([]byte(":\n\t- bad")); err == nil || errors.Unwrap(err) == nil {
		t.Errorf("ParseActionFile(bad YAML): want a wrapped error, have %v", err)
	}
}
