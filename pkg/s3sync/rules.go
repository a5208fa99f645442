package s3sync

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Rule gives the files whose path matches Glob a value: a Cache-Control
// header, a Content-Type or a content encoding. Globs are matched against
// the path relative to the source directory, with forward slashes (the
// part of the S3 key after the prefix): "*" matches within one directory,
// "**" across directories (also none: "**/*.html" matches "index.html"),
// "{a,b}" either, "[a-z]" one character of a class.
type Rule struct {
	Glob  string
	Value string
}

// RuleKind is what the value of a [Rule] means; it decides how values are
// checked.
type RuleKind int

// The kinds of rules, one per field of [Options].
const (
	CacheControlRule RuleKind = iota // Options.CacheControl
	ContentTypeRule                  // Options.ContentType
	CompressRule                     // Options.Compress
)

// Content encodings a [CompressRule] may ask for.
const (
	Gzip   = "gzip"
	Brotli = "br"
)

// field is the field of [Options] that rules of kind k fill.
func (k RuleKind) field() Field {
	switch k {
	case ContentTypeRule:
		return ContentType
	case CompressRule:
		return Compress
	default:
		return CacheControl
	}
}

func (k RuleKind) example() string {
	switch k {
	case ContentTypeRule:
		return `"**/*.wasm=application/wasm"`
	case CompressRule:
		return `"**/*.js=br"`
	default:
		return `"**/*.html=no-cache"`
	}
}

// ParseRules parses "glob=value" lines of rules of kind. The glob ends at
// the first "=", so values may hold "=" and commas ("assets/**=public,
// max-age=31536000, immutable"). Every problem is reported, each a
// [*FieldError] naming the field kind fills, the line, what was expected
// and what was found.
func ParseRules(kind RuleKind, lines []string) ([]Rule, error) {
	var rules []Rule
	var errs []error
	bad := func(i int, expected, found string) {
		errs = append(errs, &FieldError{Field: kind.field(), Line: i + 1, Expected: expected, Found: found})
	}
	for i, line := range lines {
		glob, value, ok := strings.Cut(line, "=")
		glob, value = strings.TrimSpace(glob), strings.TrimSpace(value)
		if !ok || glob == "" || value == "" {
			bad(i, "glob=value, e.g. "+kind.example(), fmt.Sprintf("%q", line))
			continue
		}
		if err := checkGlob(glob); err != nil {
			bad(i, err.Error(), fmt.Sprintf("%q", glob))
			continue
		}
		switch kind {
		case CacheControlRule:
			if strings.ContainsFunc(value, isCtl) {
				bad(i, "a Cache-Control value without control characters", fmt.Sprintf("%q", value))
				continue
			}
		case ContentTypeRule:
			if _, _, err := mime.ParseMediaType(value); err != nil || strings.ContainsFunc(value, isCtl) {
				bad(i, `a media type like "text/html; charset=utf-8"`, fmt.Sprintf("%q", value))
				continue
			}
		case CompressRule:
			if value != Gzip && value != Brotli {
				bad(i, `"gzip" or "br" after the "="`, fmt.Sprintf("%q", value))
				continue
			}
		}
		rules = append(rules, Rule{Glob: glob, Value: value})
	}
	return rules, errors.Join(errs...)
}

// CheckExcludes reports the globs of Options.Exclude that are not valid,
// each a [*FieldError] naming [Exclude].
func CheckExcludes(globs []string) error {
	var errs []error
	for _, g := range globs {
		if err := checkGlob(g); err != nil {
			errs = append(errs, problem(Exclude, err.Error(), strconv.Quote(g)))
		}
	}
	return errors.Join(errs...)
}

// checkGlob says what is wrong with a glob, as the expectation it fails.
func checkGlob(g string) error {
	switch {
	case strings.HasPrefix(g, "/"):
		return errors.New("a glob relative to the source directory, without a leading /")
	case strings.Contains(g, `\`):
		return errors.New(`a glob with forward slashes and no backslash`)
	case !doublestar.ValidatePattern(g):
		return errors.New(`a valid glob (balanced [] and {}, e.g. "assets/**" or "**/*.{png,jpg}")`)
	}
	return nil
}

func isCtl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// matchFirst returns the value of the first rule whose glob matches rel.
func matchFirst(rules []Rule, rel string) (string, bool) {
	for _, r := range rules {
		if match(r.Glob, rel) {
			return r.Value, true
		}
	}
	return "", false
}

// excluded tells whether rel matches one of the globs.
func excluded(globs []string, rel string) bool {
	for _, g := range globs {
		if match(g, rel) {
			return true
		}
	}
	return false
}

// match reports whether rel matches glob; globs were checked before.
func match(glob, rel string) bool {
	ok, _ := doublestar.Match(glob, rel)
	return ok
}
