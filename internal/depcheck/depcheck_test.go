// Package depcheck holds the test that keeps ferry's packages cut by domain:
// domain packages never import the CI runtime or a CI platform's library.
package depcheck

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// wiring may import anything; every other package under pkg/ is a domain
// package.
var wiring = map[string]bool{
	"github.com/ferry-ci/ferry/pkg/action":   true,
	"github.com/ferry-ci/ferry/pkg/commands": true,
}

var forbidden = []string{
	"github.com/ferry-ci/ferry/pkg/action",
	"github.com/ferry-ci/ferry/pkg/commands",
	"github.com/sethvargo/go-githubactions",
	"gitlab.com/gitlab-org/api/client-go",
	"github.com/google/go-github",
}

func TestDomainPackagesStayOffThePlatform(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps", "github.com/ferry-ci/ferry/pkg/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if wiring[p.ImportPath] {
			continue
		}
		checked++
		for _, dep := range p.Deps {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s imports %s: domain packages take plain options and return errors; the runtime stays in pkg/commands", p.ImportPath, dep)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no domain package was checked")
	}
}
