package commands_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/commands"
)

func TestSpecsAreValid(t *testing.T) {
	t.Parallel()
	for _, s := range commands.Specs() {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
	}
}

// TestGeneratedFilesAreCurrent fails when an action.yml or a README table
// no longer matches the Go declarations.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	files, err := commands.Generated(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		have, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./...)", path, err)
			continue
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s is stale: run go generate ./...", path)
		}
	}
}

// TestRunnerContract reads each action.yml as the runner would and checks it
// against the Go declaration, independently of the generator.
func TestRunnerContract(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	for _, s := range commands.Specs() {
		data, err := os.ReadFile(filepath.Join(root, "actions", s.Name, "action.yml"))
		if err != nil {
			t.Errorf("action %q: %v", s.Name, err)
			continue
		}
		if err := action.CheckActionYAML(data, s); err != nil {
			t.Errorf("actions/%s/action.yml: %v", s.Name, err)
		}
		readme, err := os.ReadFile(filepath.Join(root, "actions", s.Name, "README.md"))
		if err != nil {
			t.Errorf("action %q: %v", s.Name, err)
			continue
		}
		for _, section := range []string{"## IAM policy", action.TableBegin} {
			if !strings.Contains(string(readme), section) {
				t.Errorf("actions/%s/README.md lacks %q", s.Name, section)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := action.CheckRootActionYAML(data, commands.Specs()); err != nil {
		t.Errorf("action.yml: %v", err)
	}
	// Every action directory belongs to a declared command.
	entries, err := os.ReadDir(filepath.Join(root, "actions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := find(commands.Specs(), e.Name()); !ok && e.IsDir() {
			t.Errorf("actions/%s has no Go declaration", e.Name())
		}
	}
}

// TestRunnerContractCatchesDrift proves the check can fail: a copy of a real
// action.yml with one input renamed, one default changed and one required
// flag flipped is rejected on each count.
func TestRunnerContractCatchesDrift(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	spec, _ := find(commands.Specs(), "whoami")
	data, err := os.ReadFile(filepath.Join(root, "actions", "whoami", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.NewReplacer(
		"  audience:\n", "  audiences:\n",
		"default: 2m", "default: 5m",
		"  aws-region:\n    description: AWS region, e.g. eu-west-1. Falls back to AWS_REGION (or AWS_DEFAULT_REGION).\n    required: false",
		"  aws-region:\n    description: AWS region, e.g. eu-west-1. Falls back to AWS_REGION (or AWS_DEFAULT_REGION).\n    required: true",
	).Replace(string(data))
	if broken == string(data) {
		t.Fatal("the fixture edits did not apply; update the test")
	}
	err = action.CheckActionYAML([]byte(broken), spec)
	if err == nil {
		t.Fatal("CheckActionYAML accepted a drifted action.yml")
	}
	for _, want := range []string{
		`input "audiences": in action.yml but not declared in Go`,
		`input "audience": declared in Go but missing from action.yml`,
		`input "timeout": action.yml has default "5m", Go declares "2m"`,
		`input "aws-region": action.yml has required true, Go declares false`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func find(specs []action.Spec, name string) (action.Spec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s, true
		}
	}
	return action.Spec{}, false
}
