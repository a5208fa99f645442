package depcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// inputNameRE finds an action input's name written into Go source: input
// "blue-weight", inputs "a" and "b", input \"x\" inside a string, or
// input %q with the name as an argument.
var inputNameRE = regexp.MustCompile(`inputs? (\\?"[a-z0-9]+(-[a-z0-9]+)*\\?"|%q)`)

// TestDomainPackagesHoldNoInputNames keeps action input names out of domain
// packages: a domain package reports a problem against its own field, and
// the command maps the field to the input's name, so an input renamed (or a
// domain used by a second action with other names) changes one table.
func TestDomainPackagesHoldNoInputNames(t *testing.T) {
	root := moduleRoot(t)
	var checked int
	err := filepath.WalkDir(filepath.Join(root, "pkg"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		if slices.Contains(wiring, pkg) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			if m := inputNameRE.FindString(line); m != "" {
				t.Errorf("%s:%d: %s: a domain package names the input (%s); report the problem against a field and name the input in the command's table", filepath.ToSlash(rel), i+1, strings.TrimSpace(line), m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no domain package file was checked")
	}
}
