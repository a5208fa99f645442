package action

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ActionFile is the part of an action.yml the runner reads to run a
// container action.
type ActionFile struct {
	Name    string                  `yaml:"name"`
	Inputs  map[string]ActionInput  `yaml:"inputs"`
	Outputs map[string]ActionOutput `yaml:"outputs"`
	Runs    ActionRuns              `yaml:"runs"`
	Extra   map[string]yaml.Node    `yaml:",inline"`
}

// ActionInput is one entry of an action.yml's inputs.
type ActionInput struct {
	Description string `yaml:"description"`
	Required    any    `yaml:"required"` // the runner accepts true, false, "true", "false"
	Default     any    `yaml:"default"`
}

// ActionOutput is one entry of an action.yml's outputs.
type ActionOutput struct {
	Description string `yaml:"description"`
}

// ActionRuns is an action.yml's runs section.
type ActionRuns struct {
	Using string            `yaml:"using"`
	Image string            `yaml:"image"`
	Args  []string          `yaml:"args"`
	Env   map[string]string `yaml:"env"`
}

// ParseActionFile reads an action.yml.
func ParseActionFile(data []byte) (*ActionFile, error) {
	var f ActionFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parsing action.yml: %w", err)
	}
	return &f, nil
}

// IsRequired is the input's required flag as the runner reads it.
func (i ActionInput) IsRequired() bool {
	switch r := i.Required.(type) {
	case bool:
		return r
	case string:
		return strings.EqualFold(r, "true")
	}
	return false
}

// DefaultText is the input's default as the runner passes it: a string.
func (i ActionInput) DefaultText() string {
	if i.Default == nil {
		return ""
	}
	return fmt.Sprint(i.Default)
}

// CheckActionYAML reports every difference between an action's action.yml
// and its Go declaration: inputs or outputs on one side only, a different
// required flag or default, and runs that are not a docker action calling the
// subcommand.
func CheckActionYAML(data []byte, s Spec) error {
	f, err := ParseActionFile(data)
	if err != nil {
		return err
	}
	want := make(map[string]Input, len(s.Inputs))
	for _, in := range s.Inputs {
		want[in.Name] = in
	}
	errs := compareInputs(f, want)
	errs = append(errs, compareOutputs(f, s.Outputs)...)
	if f.Runs.Using != "docker" {
		errs = append(errs, fmt.Errorf("runs.using: action.yml has %q, expected \"docker\"", f.Runs.Using))
	}
	if len(f.Runs.Args) == 0 || f.Runs.Args[0] != s.Name {
		errs = append(errs, fmt.Errorf("runs.args: action.yml has %q, expected the subcommand %q first", f.Runs.Args, s.Name))
	}
	return errors.Join(errs...)
}

// CheckRootActionYAML checks the root action.yml against every command: a
// required `command` input, and each command's inputs and outputs as
// [RootInputs] declares them.
func CheckRootActionYAML(data []byte, specs []Spec) error {
	f, err := ParseActionFile(data)
	if err != nil {
		return err
	}
	want := map[string]Input{"command": {Name: "command", Required: true}}
	for _, in := range RootInputs(specs) {
		want[in.Name] = in
	}
	errs := compareInputs(f, want)
	var outputs []Output
	for _, s := range specs {
		for _, o := range s.Outputs {
			if !slices.ContainsFunc(outputs, func(x Output) bool { return x.Name == o.Name }) {
				outputs = append(outputs, o)
			}
		}
	}
	errs = append(errs, compareOutputs(f, outputs)...)
	if f.Runs.Using != "docker" || !slices.Equal(f.Runs.Args, []string{"${{ inputs.command }}"}) {
		errs = append(errs, fmt.Errorf("runs: action.yml has using %q args %q, expected docker with args [\"${{ inputs.command }}\"]", f.Runs.Using, f.Runs.Args))
	}
	return errors.Join(errs...)
}

func compareInputs(f *ActionFile, want map[string]Input) []error {
	var errs []error
	for _, name := range sortedKeys(f.Inputs) {
		in, ok := want[name]
		if !ok {
			errs = append(errs, fmt.Errorf("input %q: in action.yml but not declared in Go", name))
			continue
		}
		y := f.Inputs[name]
		if y.IsRequired() != in.Required {
			errs = append(errs, fmt.Errorf("input %q: action.yml has required %v, Go declares %v", name, y.IsRequired(), in.Required))
		}
		if y.DefaultText() != in.RunnerDefault() {
			errs = append(errs, fmt.Errorf("input %q: action.yml has default %q, Go declares %q", name, y.DefaultText(), in.RunnerDefault()))
		}
	}
	for _, name := range sortedKeys(want) {
		if _, ok := f.Inputs[name]; !ok {
			errs = append(errs, fmt.Errorf("input %q: declared in Go but missing from action.yml", name))
		}
	}
	return errs
}

func compareOutputs(f *ActionFile, outputs []Output) []error {
	var errs []error
	declared := map[string]bool{}
	for _, o := range outputs {
		declared[o.Name] = true
		if _, ok := f.Outputs[o.Name]; !ok {
			errs = append(errs, fmt.Errorf("output %q: declared in Go but missing from action.yml", o.Name))
		}
	}
	for _, name := range sortedKeys(f.Outputs) {
		if !declared[name] {
			errs = append(errs, fmt.Errorf("output %q: in action.yml but not declared in Go", name))
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
