package action

import (
	"strings"
	"testing"
)

// FuzzParseValue feeds any text to every input kind. Parsing never panics,
// a failure always says what was expected, and what parses keeps the
// promises the accessors rely on: list and line items are trimmed and
// non-empty, map keys are non-empty and trimmed, an option is one of the
// options.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		"", "true", "false", "TRUE", "42", "-1", "1e3", "90s", "1h30m", "-5m",
		"a,b\nc", " , ,\n", "k=v\nk2=v=w", "=v", "k=1\nk=2", "blue-80", "blue",
		"x\r\ny", "\x00=\x00", "é=ü,\t",
	} {
		f.Add(s)
	}
	kinds := []Input{
		{Name: "s", Kind: String},
		{Name: "o", Kind: String, Options: []string{"blue", "green"}},
		{Name: "b", Kind: Bool}, {Name: "i", Kind: Int}, {Name: "d", Kind: Duration},
		{Name: "l", Kind: List}, {Name: "n", Kind: Lines}, {Name: "m", Kind: Map},
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, in := range kinds {
			v, err := parseValue(in, text)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "expected ") {
					t.Errorf("%s: error does not say what was expected: %v", in.Name, err)
				}
				continue
			}
			switch v := v.(type) {
			case []string:
				for _, item := range v {
					if item == "" || item != strings.TrimSpace(item) {
						t.Errorf("%s: item %q not trimmed or empty", in.Name, item)
					}
					if in.Kind == List && strings.ContainsAny(item, ",\n") {
						t.Errorf("list item %q holds a separator", item)
					}
				}
			case map[string]string:
				for k := range v {
					if k == "" || k != strings.TrimSpace(k) || strings.Contains(k, "=") {
						t.Errorf("map key %q", k)
					}
				}
			case string:
				if len(in.Options) > 0 && v != "blue" && v != "green" {
					t.Errorf("option %q accepted", v)
				}
			}
		}
	})
}
