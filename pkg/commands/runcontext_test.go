package commands_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ciVariable is a runner variable named in Go source: the run context
// (action.RunContext, built in pkg/action) is the only reader of these.
var ciVariable = regexp.MustCompile(`"(GITHUB|CI|GITLAB)_[A-Z0-9_]*`)

// ciVariableAllowed lists the names a command may still read itself, each
// with why. It is empty: the tokens and endpoints come from inputs or the
// run context, and a name inside a longer message (such as "CI_JOB_STATUS is
// ...") does not open a literal.
var ciVariableAllowed = map[string]string{}

// TestNoCIVariablesInCommands keeps the commands off the runners'
// variables, so that a new CI platform is a change to pkg/action alone.
func TestNoCIVariablesInCommands(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range ciVariable.FindAllString(line, -1) {
				if _, ok := ciVariableAllowed[m[1:]]; !ok {
					t.Errorf("%s:%d: want the run context (rt.Context()), have the runner variable %s\"", f, i+1, m)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("want the package's Go files, have none")
	}
}
