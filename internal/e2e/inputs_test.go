package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The runner passes every `with:` key of a container action as INPUT_<KEY>,
// declared or not: a `with:` key that the released action.yml no longer
// declares still reaches ferry, and GitHub only warns ("Unexpected
// input(s) …"), while act says nothing. A reusable workflow called with an
// input it does not declare fails on GitHub when the run loads, and act
// runs it anyway. So after each run the suite checks, as GitHub does, every
// `with:` of the workflows the run used against the release's declarations:
// a release that renamed an input fails here.

type ghWorkflow struct {
	// On is a string, a list or a mapping; only workflow_call's inputs
	// matter here.
	On   yaml.Node `yaml:"on"`
	Jobs map[string]struct {
		Uses  string         `yaml:"uses"`
		With  map[string]any `yaml:"with"`
		Steps []struct {
			Name string         `yaml:"name"`
			Uses string         `yaml:"uses"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

const ferryRepo = "ferry-ci/ferry"

// undeclaredInputs returns, for the workflow at path and every ferry
// reusable workflow it calls (read from the release at pinned), each use of
// a ferry action or workflow with a `with:` key the release does not
// declare.
func undeclaredInputs(path, pinned string) ([]string, error) {
	var problems []string
	seen := map[string]bool{}
	var walk func(path string) error
	walk = func(path string) error {
		if seen[path] {
			return nil
		}
		seen[path] = true
		var wf ghWorkflow
		if err := readYAML(path, &wf); err != nil {
			return err
		}
		for _, jobName := range sortedAnyKeys(wf.Jobs) {
			job := wf.Jobs[jobName]
			if sub, ok := ferryPath(job.Uses); ok {
				var callee ghWorkflow
				calleePath := filepath.Join(pinned, sub)
				if err := readYAML(calleePath, &callee); err != nil {
					return err
				}
				inputs, err := callInputs(callee.On)
				if err != nil {
					return fmt.Errorf("%s: %w", calleePath, err)
				}
				problems = append(problems, check(filepath.Base(path)+" job "+jobName, job.Uses, job.With, inputs)...)
				if err := walk(calleePath); err != nil {
					return err
				}
			}
			for i, st := range job.Steps {
				sub, ok := ferryPath(st.Uses)
				if !ok {
					continue
				}
				var act struct {
					Inputs map[string]any `yaml:"inputs"`
				}
				if err := readYAML(filepath.Join(pinned, sub, "action.yml"), &act); err != nil {
					return err
				}
				step := st.Name
				if step == "" {
					step = fmt.Sprintf("#%d", i+1)
				}
				problems = append(problems, check(fmt.Sprintf("%s job %s step %s", filepath.Base(path), jobName, step), st.Uses, st.With, act.Inputs)...)
			}
		}
		return nil
	}
	err := walk(path)
	return problems, err
}

// callInputs returns the inputs a reusable workflow declares.
func callInputs(on yaml.Node) (map[string]any, error) {
	var triggers struct {
		WorkflowCall struct {
			Inputs map[string]any `yaml:"inputs"`
		} `yaml:"workflow_call"`
	}
	if on.Kind != yaml.MappingNode {
		return nil, nil
	}
	if err := on.Decode(&triggers); err != nil {
		return nil, err
	}
	return triggers.WorkflowCall.Inputs, nil
}

// ferryPath returns the path inside the repository that uses names when it
// is ferry's (ferry-ci/ferry/actions/notify@v1 → actions/notify).
func ferryPath(uses string) (string, bool) {
	ref, _, ok := strings.Cut(uses, "@")
	if !ok || (ref != ferryRepo && !strings.HasPrefix(ref, ferryRepo+"/")) {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(ref, ferryRepo), "/"), true
}

func check(where, uses string, with map[string]any, declared map[string]any) []string {
	var unknown []string
	for k := range with {
		if _, ok := declared[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	valid := sortedAnyKeys(declared)
	return []string{fmt.Sprintf("%s: %s: unexpected input(s) %s; the release declares %s",
		where, uses, strings.Join(unknown, ", "), strings.Join(valid, ", "))}
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func sortedAnyKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
