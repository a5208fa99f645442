package action

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind is the type an input's value is parsed as.
type Kind int

// The kinds of input values.
const (
	String   Kind = iota // any text
	Bool                 // "true" or "false", nothing else
	Int                  // a base-10 integer
	Duration             // a Go duration with a unit, e.g. "10m" or "1h30m"
	List                 // items separated by newlines or commas; blanks dropped
	Map                  // "key=value" lines; keys unique
	Lines                // one item per line (values may hold commas); blanks dropped
)

func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case Duration:
		return "duration"
	case List:
		return "list"
	case Map:
		return "map"
	case Lines:
		return "lines"
	default:
		return "string"
	}
}

// Input declares one input of an action.
type Input struct {
	Name        string // kebab-case, e.g. "aws-region"
	Description string
	Required    bool
	Default     string // applied when the input is empty; rendered into action.yml
	// ActionDefault, when set, is the default written into action.yml
	// instead of Default: an expression the GitHub runner evaluates before
	// the step starts, such as "${{ job.status }}". The GitLab component and
	// the command line do not see it; there the input has Default.
	ActionDefault string
	Secret        bool // masked on GitHub and never printed on any platform
	Kind          Kind
	Options       []string // when set, the only values accepted (a String input)
}

// RunnerDefault is the default the action.yml declares for the input:
// ActionDefault when set, else Default.
func (in Input) RunnerDefault() string {
	if in.ActionDefault != "" {
		return in.ActionDefault
	}
	return in.Default
}

// Output declares one output of an action.
type Output struct {
	Name        string // kebab-case, e.g. "user-id"
	Description string
	// File, for a value that can outgrow a GitLab dotenv report (5 KiB in
	// all, and GitLab refuses the whole report past it): on GitLab the
	// value goes to this file, relative to the project directory, instead
	// of the report, and the component keeps the file as an artifact.
	File string
}

// Spec declares an action: its name (the ferry subcommand), what it does, its
// inputs and its outputs. It is the single source for parsing, help text,
// action.yml and the README tables.
type Spec struct {
	Name        string
	Description string
	Inputs      []Input
	Outputs     []Output
}

// Input returns the declaration of the named input.
func (s Spec) Input(name string) (Input, bool) {
	i := slices.IndexFunc(s.Inputs, func(in Input) bool { return in.Name == name })
	if i < 0 {
		return Input{}, false
	}
	return s.Inputs[i], true
}

// Output returns the declaration of the named output.
func (s Spec) Output(name string) (Output, bool) {
	i := slices.IndexFunc(s.Outputs, func(o Output) bool { return o.Name == name })
	if i < 0 {
		return Output{}, false
	}
	return s.Outputs[i], true
}

// runnerReserved are the `with:` keys a runner gives a container action's
// container, not its inputs.
var runnerReserved = map[string]bool{"entrypoint": true, "args": true, "pre-entrypoint": true, "post-entrypoint": true}

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate reports mistakes in the declaration itself: names that are not
// kebab-case, duplicates, a required input with a default, a default that its
// own kind rejects. A test runs it over every spec ferry ships.
func (s Spec) Validate() error {
	var problems []string
	if !kebab.MatchString(s.Name) {
		problems = append(problems, fmt.Sprintf("action name %q is not kebab-case", s.Name))
	}
	if strings.TrimSpace(s.Description) == "" {
		problems = append(problems, fmt.Sprintf("action %q has no description", s.Name))
	}
	seen := map[string]bool{}
	for _, in := range s.Inputs {
		switch {
		case !kebab.MatchString(in.Name):
			problems = append(problems, fmt.Sprintf("input %q is not kebab-case", in.Name))
		case seen[in.Name]:
			problems = append(problems, fmt.Sprintf("input %q is declared twice", in.Name))
		case in.Description == "":
			problems = append(problems, fmt.Sprintf("input %q has no description", in.Name))
		case in.Required && (in.Default != "" || in.ActionDefault != ""):
			problems = append(problems, fmt.Sprintf("input %q is required and has a default", in.Name))
		case in.ActionDefault != "" && !strings.Contains(in.ActionDefault, "${{"):
			problems = append(problems, fmt.Sprintf("input %q: action default %q is not a ${{ }} expression (use Default)", in.Name, in.ActionDefault))
		case in.Name == "output" || in.Name == "help":
			problems = append(problems, fmt.Sprintf("input %q clashes with a ferry flag", in.Name))
		case in.Name == "command":
			problems = append(problems, fmt.Sprintf("input %q clashes with the root action's command input", in.Name))
		case runnerReserved[in.Name]:
			// The runner (and act) take these keys of a container action's
			// `with:` as the container's entrypoint and arguments, not as
			// inputs: the action would not even start.
			problems = append(problems, fmt.Sprintf("input %q is read by the runner as the container's own %s", in.Name, in.Name))
		case len(in.Options) > 0 && in.Kind != String:
			problems = append(problems, fmt.Sprintf("input %q: options apply to string inputs only", in.Name))
		}
		seen[in.Name] = true
		if in.Default != "" {
			if _, err := parseValue(in, in.Default); err != nil {
				problems = append(problems, fmt.Sprintf("input %q: default %q: %v", in.Name, in.Default, err))
			}
		}
	}
	seenOut := map[string]bool{}
	for _, o := range s.Outputs {
		switch {
		case !kebab.MatchString(o.Name):
			problems = append(problems, fmt.Sprintf("output %q is not kebab-case", o.Name))
		case seenOut[o.Name]:
			problems = append(problems, fmt.Sprintf("output %q is declared twice", o.Name))
		case o.Description == "":
			problems = append(problems, fmt.Sprintf("output %q has no description", o.Name))
		}
		seenOut[o.Name] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("spec %q: %s", s.Name, strings.Join(problems, "; "))
	}
	return nil
}
