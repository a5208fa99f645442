package image

import (
	"path"
	"strings"
	"testing"
)

// FuzzParseReference: a reference either parses, and its string form
// parses again to the same reference, or the error says what was wanted.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"app:dev", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.2.3",
		"registry:5000/ns/app@sha256:" + strings.Repeat("0", 64), "", " ", "UPPER/app", "app:", "app@sha256:x",
		"localhost/app:tag:tag", "a/b/c/d/e:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			if !strings.Contains(err.Error(), "want [registry/]repository[:tag|@digest]") {
				t.Errorf("error does not say what was wanted: %v", err)
			}
			return
		}
		again, err := ParseReference(r.String())
		if err != nil {
			t.Fatalf("%q parsed to %q, which does not parse: %v", s, r, err)
		}
		if again.String() != r.String() {
			t.Errorf("%q: %q re-parses to %q", s, r, again)
		}
	})
}

// FuzzValidateTag: ValidateTag accepts exactly the tags a registry takes.
func FuzzValidateTag(f *testing.F) {
	for _, s := range []string{"latest", "1.2.3", "sha-abc1234", ".x", "-x", "", strings.Repeat("a", 129), "a b", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		ok := len(tag) >= 1 && len(tag) <= 128 && tag[0] != '.' && tag[0] != '-'
		for _, r := range tag {
			ok = ok && isTagChar(r)
		}
		if err := ValidateTag(tag); (err == nil) != ok {
			t.Errorf("ValidateTag(%q) = %v, want ok=%v", tag, err, ok)
		}
	})
}

// FuzzDefaultTags: whatever the git context, every default tag is a valid
// tag, and the commit tag comes first.
func FuzzDefaultTags(f *testing.F) {
	f.Add("0123456789abcdef", "main", "")
	f.Add("0123456789abcdef", "", "v1.2.3")
	f.Add("0123456789abcdef", "feature/ÜBER--x", "v0.1.0-rc.1+build")
	f.Add("", "", "")
	f.Add("abc", ".hidden", "-tag")
	f.Fuzz(func(t *testing.T, sha, branch, tag string) {
		tags, err := DefaultTags(GitContext{SHA: sha, Branch: branch, Tag: tag}, true)
		if err != nil {
			return
		}
		for _, tg := range tags {
			if err := ValidateTag(tg); err != nil {
				t.Errorf("DefaultTags(%q, %q, %q) gave %v", sha, branch, tag, err)
			}
		}
	})
}

// FuzzParseFiles: accepted "src:dest" lines have a source and a clean
// absolute destination.
func FuzzParseFiles(f *testing.F) {
	for _, s := range []string{"bin/app:/app", "site/:/srv/www/", "a:b", ":/x", "x:", "# comment", "a:/../../etc/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		files, err := ParseFiles(strings.Split(text, "\n"))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error names no line: %v", err)
			}
			return
		}
		for _, fl := range files {
			d := strings.TrimSuffix(fl.Dest, "/")
			if fl.Src == "" || !path.IsAbs(fl.Dest) || (d != "" && path.Clean(d) != d) {
				t.Errorf("accepted %+v", fl)
			}
		}
	})
}
