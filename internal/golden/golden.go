// Package golden compares rendered artifacts (task definitions, summaries,
// payloads, generated files) with files under a package's testdata/, and
// rewrites them when the test runs with -update:
//
//	go test ./pkg/taskdef -run TestRender -update
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Check compares have with the golden file at path (relative to the test's
// package directory, e.g. testdata/appspec.json). Under -update it writes
// have there first, creating directories.
func Check(t testing.TB, path string, have []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, have, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(want, have) {
		t.Errorf("%s differs from the output (run the test with -update to accept it): %s\n--- want\n%s\n--- have\n%s", path, firstDifference(string(want), string(have)), want, have)
	}
}

// firstDifference names the first line where want and have differ.
func firstDifference(want, have string) string {
	w, h := strings.Split(want, "\n"), strings.Split(have, "\n")
	for i := 0; i < len(w) || i < len(h); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(h) {
			b = h[i]
		}
		if a != b || i >= len(w) || i >= len(h) {
			return fmt.Sprintf("line %d: want %s, have %s", i+1, quote(a, i < len(w)), quote(b, i < len(h)))
		}
	}
	return "no line differs (line endings?)"
}

func quote(s string, present bool) string {
	if !present {
		return "no line"
	}
	return strconv.Quote(s)
}
