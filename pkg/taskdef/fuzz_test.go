package taskdef

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseImages: every accepted line maps a valid container name to an
// image without whitespace, and re-parsing the pairs gives the same map;
// every refusal names its line.
func FuzzParseImages(f *testing.F) {
	for _, s := range []string{
		"web=nginx:1.27\napi=123.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + strings.Repeat("a", 64),
		"web", "=x", "web=", "web=a b", "web=x\nweb=y", "we b=x", "\n\n", "é=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		m, err := ParseImages(lines)
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error names no line: %v", err)
			}
			return
		}
		var again []string
		for name, image := range m {
			if !containerName.MatchString(name) || image == "" || strings.ContainsAny(image, " \t") {
				t.Errorf("accepted %q=%q", name, image)
			}
			again = append(again, name+"="+image)
		}
		m2, err := ParseImages(again)
		if err != nil || len(m2) != len(m) {
			t.Errorf("re-parse of %q: %v, %d vs %d", again, err, len(m2), len(m))
		}
	})
}

// FuzzParseEnvironment: accepted container:KEY=VALUE lines keep VALUE as
// written (trimmed), '=' and ':' included, and re-parse to the same map.
func FuzzParseEnvironment(f *testing.F) {
	for _, s := range []string{
		"web:LOG_LEVEL=debug\nweb:URL=postgres://u:p@h/db?a=b", "web:K=", "web:=v", "web K=v",
		"web:K=1\nweb:K=2", ":K=v", "web:K V=x", "web", "web:K",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseEnvironment(strings.Split(text, "\n"))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error names no line: %v", err)
			}
			return
		}
		var again []string
		n := 0
		for c, vars := range m {
			for k, v := range vars {
				if !containerName.MatchString(c) || k == "" || strings.ContainsAny(k, " \t=") {
					t.Errorf("accepted %q:%q", c, k)
				}
				again = append(again, c+":"+k+"="+v)
				n++
			}
		}
		m2, err := ParseEnvironment(again)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", again, err)
		}
		for c, vars := range m {
			for k, v := range vars {
				if m2[c][k] != v {
					t.Errorf("%s:%s: %q became %q", c, k, v, m2[c][k])
				}
			}
		}
	})
}

// FuzzParse feeds bytes to the task-definition parser. It never panics; a
// result always renders to canonical JSON that parses back to an equal
// task definition.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}]}`,
		`{"taskDefinition":{"family":"web","containerDefinitions":[]}}`,
		`{"family":1}`, `[]`, `null`, `{"family":"web","cpu":"256","unknownKey":true}`,
		`{"family":"web","networkMode":"bogus"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := Parse(data)
		if err != nil {
			return
		}
		canon, err := Canonical(td)
		if err != nil {
			t.Fatalf("canonical of a parsed task definition: %v", err)
		}
		back, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical JSON does not parse back: %v\n%s", err, canon)
		}
		if eq, err := Equal(td, back); err != nil || !eq {
			t.Errorf("round trip changed the task definition (%v)", err)
		}
	})
}
