package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// workflow is the part of a GitHub workflow file the contract checks read.
type workflow struct {
	On          map[string]yaml.Node `yaml:"on"`
	Permissions yaml.Node            `yaml:"permissions"`
	Jobs        map[string]struct {
		Uses        string         `yaml:"uses"`
		With        map[string]any `yaml:"with"`
		Secrets     yaml.Node      `yaml:"secrets"`
		Permissions yaml.Node      `yaml:"permissions"`
		Steps       []struct {
			Uses string         `yaml:"uses"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

type workflowCall struct {
	Inputs map[string]struct {
		Required bool `yaml:"required"`
	} `yaml:"inputs"`
	Secrets map[string]struct {
		Required bool `yaml:"required"`
	} `yaml:"secrets"`
}

var (
	ownAction   = regexp.MustCompile(`^ferry-ci/ferry/actions/([a-z0-9-]+)@`)
	ownWorkflow = regexp.MustCompile(`^ferry-ci/ferry/\.github/workflows/([a-z0-9-]+\.yml)@`)
	pinnedBySHA = regexp.MustCompile(`^[^@]+@[0-9a-f]{40}$`)
)

func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	root := actiontest.Root(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob(filepath.Join(root, "examples", "workflows", "*.yml"))
	out := map[string]workflow{}
	for _, f := range append(files, examples...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(root, f)
		out[rel] = w
	}
	return out
}

// TestWorkflowsCallWhatExists: every step that uses one of ferry's actions
// passes only inputs the action declares and every required one; every job
// that calls one of ferry's reusable workflows passes only its inputs and
// secrets, and its required inputs. A renamed input fails here, not in a
// user's pipeline.
func TestWorkflowsCallWhatExists(t *testing.T) {
	t.Parallel()
	specs := map[string]map[string]bool{}
	required := map[string][]string{}
	for _, s := range Specs() {
		specs[s.Name] = map[string]bool{}
		for _, in := range s.Inputs {
			specs[s.Name][in.Name] = true
			if in.Required && in.Default == "" {
				required[s.Name] = append(required[s.Name], in.Name)
			}
		}
	}
	workflows := readWorkflows(t)
	calls := map[string]workflowCall{}
	for path, w := range workflows {
		if node, ok := w.On["workflow_call"]; ok {
			var c workflowCall
			if err := node.Decode(&c); err != nil {
				t.Fatalf("%s: workflow_call: %v", path, err)
			}
			calls[filepath.Base(path)] = c
		}
	}
	checked := 0
	for path, w := range workflows {
		for name, job := range w.Jobs {
			if m := ownWorkflow.FindStringSubmatch(job.Uses); m != nil {
				c, ok := calls[m[1]]
				if !ok {
					t.Errorf("%s: job %s calls %s, which is not a reusable workflow here", path, name, m[1])
					continue
				}
				checked++
				for k := range job.With {
					if _, ok := c.Inputs[k]; !ok {
						t.Errorf("%s: job %s passes input %q that %s does not declare", path, name, k, m[1])
					}
				}
				for k, in := range c.Inputs {
					if _, given := job.With[k]; in.Required && !given {
						t.Errorf("%s: job %s does not pass required input %q of %s", path, name, k, m[1])
					}
				}
				if job.Secrets.Kind == yaml.MappingNode {
					var secrets map[string]string
					_ = job.Secrets.Decode(&secrets)
					for k := range secrets {
						if _, ok := c.Secrets[k]; !ok {
							t.Errorf("%s: job %s passes secret %q that %s does not declare", path, name, k, m[1])
						}
					}
				}
			}
			for i, step := range job.Steps {
				m := ownAction.FindStringSubmatch(step.Uses)
				if m == nil {
					continue
				}
				inputs, ok := specs[m[1]]
				if !ok {
					t.Errorf("%s: job %s step %d uses unknown action %q", path, name, i+1, m[1])
					continue
				}
				checked++
				for k := range step.With {
					if !inputs[k] {
						t.Errorf("%s: job %s step %d passes %q, not an input of %s", path, name, i+1, k, m[1])
					}
				}
				for _, k := range required[m[1]] {
					if _, ok := step.With[k]; !ok {
						t.Errorf("%s: job %s step %d misses required input %q of %s", path, name, i+1, k, m[1])
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d calls of ferry's actions and workflows; the flows hold more", checked)
	}
}

// TestWorkflowsPermissionsAndPins: every workflow starts from no (or
// read-only) permissions and grants per job; every third-party action is
// pinned by commit SHA.
func TestWorkflowsPermissionsAndPins(t *testing.T) {
	t.Parallel()
	for path, w := range readWorkflows(t) {
		if top := nodeString(w.Permissions); top != "{}" && top != "contents: read" {
			t.Errorf("%s: top-level permissions: want {} or contents: read, have %s", path, top)
		}
		names := make([]string, 0, len(w.Jobs))
		for name := range w.Jobs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			job := w.Jobs[name]
			if job.Permissions.Kind == 0 {
				t.Errorf("%s: job %s has no permissions block", path, name)
			}
			for i, step := range job.Steps {
				u := step.Uses
				if u == "" || strings.HasPrefix(u, "./") || strings.HasPrefix(u, "ferry-ci/ferry/") || strings.HasPrefix(u, "docker://") {
					continue
				}
				if !pinnedBySHA.MatchString(u) {
					t.Errorf("%s: job %s step %d: %q is not pinned by commit SHA", path, name, i+1, u)
				}
			}
		}
	}
}

func nodeString(n yaml.Node) string {
	if n.Kind == 0 {
		return "(none)"
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return "{}"
	}
	var parts []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		parts = append(parts, fmt.Sprintf("%s: %s", n.Content[i].Value, n.Content[i+1].Value))
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
