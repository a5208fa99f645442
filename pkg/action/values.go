package action

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values holds an action's inputs, each resolved from its source and parsed
// by its declared kind. Reading an input that was not declared, or reading it
// as another kind, is a programming error and panics; tests catch it.
//
// Problems found while parsing are collected, and an action adds its own with
// [Values.Problem] and [Values.Add]; [Values.Err] returns all of them at once.
//
// One bad value is one problem: an input that failed to parse (or that is
// required and missing) is not checked again, so a problem the action
// reports about it is dropped, and the action skips checks that combine it
// with others ([Values.Failed]). A problem added by a domain package's own
// validation ([Values.Add]) is dropped when an input it names already has a
// problem: the domain checks again what the action read, and the first
// problem with an input is the one to fix.
type Values struct {
	spec     Spec
	raw      map[string]string // the resolved text of every input that has a value
	source   map[string]string // where each raw value came from, for messages
	parsed   map[string]any
	problems []error
	failed   map[string]bool // inputs that failed to parse, or are required and missing
	reported map[string]bool // inputs some problem names
	base     string          // directory relative paths resolve against
}

// parseValue parses text as the input's kind. The error says what was expected.
func parseValue(in Input, text string) (any, error) {
	switch in.Kind {
	case Bool:
		switch text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, expected("true or false")
	case Int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, expected("a whole number")
		}
		return n, nil
	case Duration:
		d, err := time.ParseDuration(text)
		if err != nil || d < 0 {
			return nil, expected("a duration with a unit, such as 90s, 10m or 1h30m")
		}
		return d, nil
	case List:
		return splitList(text), nil
	case Lines:
		return splitLines(text), nil
	case Map:
		return parseMap(text)
	default:
		if len(in.Options) > 0 && !slices.Contains(in.Options, text) {
			return nil, expected("one of " + quoteAll(in.Options))
		}
		return text, nil
	}
}

type expectation string

func expected(what string) error { return expectation(what) }

func (e expectation) Error() string { return "expected " + string(e) }

// splitList splits on newlines and commas, trims items and drops blanks.
func splitList(text string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// splitLines splits on newlines only, trims items and drops blanks.
func splitLines(text string) []string {
	var out []string
	for _, item := range strings.Split(text, "\n") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseMap parses "key=value" lines. Values may contain "=" and commas; keys
// may not repeat.
func parseMap(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &mapError{expected: fmt.Sprintf("key=value on line %d", i+1), found: Quote(line)}
		}
		if _, dup := out[k]; dup {
			return nil, &mapError{expected: "each key once", found: fmt.Sprintf("%s again on line %d", Quote(k), i+1)}
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// mapError is a Map input's line that is not key=value, or a repeated key.
type mapError struct{ expected, found string }

func (e *mapError) Error() string { return "expected " + e.expected + ", found " + e.found }

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// resolve parses every declared input from raw text, recording problems.
// Problems the command line already had (a flag without its value, a flag
// given twice) count as the input's one problem.
func (v *Values) resolve() {
	for _, p := range v.problems {
		for _, name := range problemInputs(p) {
			v.failed[name], v.reported[name] = true, true
		}
	}
	for _, in := range v.spec.Inputs {
		text, ok := v.raw[in.Name]
		if !ok {
			if in.Required && !v.failed[in.Name] {
				v.fail(in.Name, &Problem{Input: in.Name, Expected: "a value (the input is required)", Found: "none"})
			}
			continue
		}
		val, err := parseValue(in, text)
		if err == nil {
			v.parsed[in.Name] = val
			continue
		}
		if v.failed[in.Name] {
			continue
		}
		found := Quote(text)
		if in.Secret {
			found = "a secret value (not shown)"
		}
		if src := v.source[in.Name]; src != "" && src != "default" {
			found += " (from " + src + ")"
		}
		switch e := err.(type) {
		case expectation:
			v.fail(in.Name, &Problem{Input: in.Name, Expected: string(e), Found: found})
		case *mapError:
			if in.Secret {
				// The map's line is part of the secret.
				v.fail(in.Name, &Problem{Input: in.Name, Expected: "key=value lines, each key once", Found: found})
				continue
			}
			v.fail(in.Name, &Problem{Input: in.Name, Expected: e.expected, Found: e.found})
		default:
			v.fail(in.Name, fmt.Errorf("input %q: %w", in.Name, err))
		}
	}
}

// fail records the problem that makes an input unusable.
func (v *Values) fail(input string, p error) {
	v.failed[input], v.reported[input] = true, true
	v.problems = append(v.problems, p)
}

func (v *Values) lookup(name string, kind Kind) (any, bool) {
	in, ok := v.spec.Input(name)
	if !ok {
		panic(fmt.Sprintf("action %q: input %q is not declared", v.spec.Name, name))
	}
	if in.Kind != kind {
		panic(fmt.Sprintf("action %q: input %q is a %s, read as a %s", v.spec.Name, name, in.Kind, kind))
	}
	val, ok := v.parsed[name]
	return val, ok
}

// IsSet reports whether the input has a value from any source, its default included.
func (v *Values) IsSet(name string) bool {
	if _, ok := v.spec.Input(name); !ok {
		panic(fmt.Sprintf("action %q: input %q is not declared", v.spec.Name, name))
	}
	_, ok := v.raw[name]
	return ok
}

// Source tells where the input's value came from: "--name", "INPUT_NAME",
// "FERRY_NAME", "default", or "" when it has none.
func (v *Values) Source(name string) string { return v.source[name] }

// String returns a String input, "" when unset.
func (v *Values) String(name string) string {
	val, _ := v.lookup(name, String)
	s, _ := val.(string)
	return s
}

// Bool returns a Bool input, false when unset or invalid.
func (v *Values) Bool(name string) bool {
	val, _ := v.lookup(name, Bool)
	b, _ := val.(bool)
	return b
}

// Int returns an Int input, 0 when unset or invalid.
func (v *Values) Int(name string) int {
	val, _ := v.lookup(name, Int)
	n, _ := val.(int)
	return n
}

// Duration returns a Duration input, 0 when unset or invalid.
func (v *Values) Duration(name string) time.Duration {
	val, _ := v.lookup(name, Duration)
	d, _ := val.(time.Duration)
	return d
}

// List returns a List input, nil when unset.
func (v *Values) List(name string) []string {
	val, _ := v.lookup(name, List)
	l, _ := val.([]string)
	return slices.Clone(l)
}

// Lines returns a Lines input, nil when unset.
func (v *Values) Lines(name string) []string {
	val, _ := v.lookup(name, Lines)
	l, _ := val.([]string)
	return slices.Clone(l)
}

// Map returns a Map input, nil when unset.
func (v *Values) Map(name string) map[string]string {
	val, _ := v.lookup(name, Map)
	m, _ := val.(map[string]string)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		out[k] = x
	}
	return out
}

// Path returns a String input as a path; a relative path is resolved against
// the workspace (GITHUB_WORKSPACE, CI_PROJECT_DIR or the working directory).
func (v *Values) Path(name string) string {
	p := v.String(name)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.base, p)
}

// AddFor records the problems a domain parser found in one input's value,
// which do not name it: each becomes a problem of its own, prefixed with
// input "name": (a domain's line 2: … and line 7: … are two problems).
func (v *Values) AddFor(input string, err error) {
	var errs []error
	for _, e := range flatten(err) {
		errs = append(errs, fmt.Errorf("input %q: %w", input, e))
	}
	v.Add(errs...)
}

// Failed reports whether any of the named inputs failed to parse, or is
// required and missing: its problem is reported, and checks that read its
// value (alone or with others) are to be skipped.
func (v *Values) Failed(names ...string) bool {
	for _, name := range names {
		if _, ok := v.spec.Input(name); !ok {
			panic(fmt.Sprintf("action %q: input %q is not declared", v.spec.Name, name))
		}
		if v.failed[name] {
			return true
		}
	}
	return false
}

// Problem records a problem the action found with an input's value. It is
// dropped when the input failed to parse: that problem is already reported.
func (v *Values) Problem(input, expected, found string) {
	if v.failed[input] {
		return
	}
	v.reported[input] = true
	v.problems = append(v.problems, &Problem{Input: input, Expected: expected, Found: found})
}

// Add records problems returned by a domain package's own validation; nils
// are ignored. Each problem names its inputs at the start, as in
// input "bucket": … or inputs "blue-target-group" and "green-target-group": …;
// one naming an input that already has a problem is dropped.
func (v *Values) Add(errs ...error) {
	var kept []error
	for _, err := range errs {
		for _, p := range flatten(err) {
			names := problemInputs(p)
			if slices.ContainsFunc(names, func(n string) bool { return v.reported[n] }) {
				continue
			}
			kept = append(kept, p)
		}
	}
	for _, p := range kept {
		for _, n := range problemInputs(p) {
			v.reported[n] = true
		}
	}
	v.problems = append(v.problems, kept...)
}

// maxPerInput is how many problems with one input are listed; an input of
// 10,000 bad lines is told in a few lines, not 10,000.
const maxPerInput = 10

// Err returns every problem found so far as one *UsageError, or nil. At
// most 10 problems are listed for one input, then how many more there are.
func (v *Values) Err() error {
	var out []error
	count := map[string]int{}
	more := map[string]*Problem{}
	for _, p := range v.problems {
		names := problemInputs(p)
		if len(names) == 0 {
			out = append(out, p)
			continue
		}
		name := names[0]
		count[name]++
		switch n := count[name]; {
		case n <= maxPerInput:
			out = append(out, p)
		case n == maxPerInput+1:
			more[name] = &Problem{Input: name, Expected: fmt.Sprintf("the problems above fixed first (%d are listed)", maxPerInput)}
			out = append(out, more[name])
		}
	}
	for name, p := range more {
		p.Found = fmt.Sprintf("%d more", count[name]-maxPerInput)
	}
	return Usage(v.spec.Name, out...)
}
