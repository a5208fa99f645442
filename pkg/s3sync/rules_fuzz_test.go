package s3sync

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseRules feeds the parsers of Exclude, CacheControl, ContentType
// and Compress arbitrary lines. Properties: no panic (parsing nor matching
// an accepted glob); every line is either a rule or an error naming the
// field and the line; an accepted rule, written back
// as glob=value, parses to itself; an exclude glob refused is named.
func FuzzParseRules(f *testing.F) {
	for _, seed := range []struct {
		kind uint8
		text string
	}{
		{0, "**/*.html=no-cache\nassets/**=public, max-age=31536000, immutable"},
		{0, "no-glob"},
		{0, "=value"},
		{0, "a=\x00ctl"},
		{1, "**/*.wasm=application/wasm\nfeeds/*=application/rss+xml; charset=utf-8"},
		{1, "*.x=bad type"},
		{2, "**/*.{js,css,svg}=br\n**/*.json=gzip"},
		{2, "**/*.js=zstd"},
		{3, "**/*.map\n[bad\n/abs\nback\\slash"},
		{3, "{a,b}/**/[a-z]*.txt"},
		{0, " spaced glob = spaced value \n\n=\n"},
		{1, "**/*.[=text/plain"},
	} {
		f.Add(seed.kind, seed.text)
	}
	f.Fuzz(func(t *testing.T, kind uint8, text string) {
		lines := strings.Split(text, "\n")
		if kind%4 == 3 {
			err := CheckExcludes(lines)
			for _, g := range lines {
				if checkGlob(g) == nil {
					_ = match(g, "assets/app.js")
					_ = excluded([]string{g}, "index.html")
				} else if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("found %q", g)) {
					t.Fatalf("glob %q refused, yet the error does not name it: %v", g, err)
				}
			}
			return
		}
		k := RuleKind(kind % 4)
		rules, err := ParseRules(k, lines)
		var errs []error
		if err != nil {
			errs = err.(interface{ Unwrap() []error }).Unwrap()
		}
		if len(rules)+len(errs) != len(lines) {
			t.Fatalf("%d lines gave %d rules and %d errors", len(lines), len(rules), len(errs))
		}
		for _, e := range errs {
			msg := e.Error()
			if !strings.HasPrefix(msg, string(k.field())+": line ") {
				t.Fatalf("error does not name the field and the line: %q", msg)
			}
			var n int
			if _, err := fmt.Sscanf(strings.TrimPrefix(msg, string(k.field())+": line "), "%d:", &n); err != nil || n < 1 || n > len(lines) {
				t.Fatalf("error names no line of the field: %q", msg)
			}
		}
		for _, r := range rules {
			again, err := ParseRules(k, []string{r.Glob + "=" + r.Value})
			if err != nil || len(again) != 1 || again[0] != r {
				t.Fatalf("rule %+v re-parses to %+v (%v)", r, again, err)
			}
			_, _ = matchFirst([]Rule{r}, "about/index.html")
		}
		if len(errs) > 0 && errors.Unwrap(err) != nil {
			t.Fatalf("a joined error unwraps to one: %v", err)
		}
	})
}
