package action

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with one input: which input, what was expected
// and what was found.
type Problem struct {
	Input    string // the input's name, e.g. "role-duration"
	Expected string // e.g. "a duration with a unit, such as 15m or 1h"
	Found    string // the offending value, already quoted, or a description of it
}

func (p *Problem) Error() string {
	return fmt.Sprintf("input %q: expected %s, found %s", p.Input, p.Expected, p.Found)
}

// UsageError reports everything wrong with how an action was invoked: bad or
// missing inputs and unknown flags, all at once. It maps to exit code 2.
type UsageError struct {
	Command  string
	Problems []error
}

func (e *UsageError) Error() string { return e.format(func(s string) string { return s }) }

// format writes the problems as Error does, each passed through edit.
func (e *UsageError) format(edit func(string) string) string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "invalid input (%d problem%s):", n, plural(n))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(edit(p.Error()))
	}
	return b.String()
}

// Bounds of what a usage error echoes of the values it found.
const (
	quoteMax   = 100  // characters of a value that [Quote] shows
	problemMax = 1000 // characters of one problem's message that reach the log
)

// Quote quotes a value found in an input for a message, as strconv.Quote
// does, but no more than its first 100 characters: a longer value is cut
// there and its size follows, as in "a…"… (1048576 bytes). An input of
// 10,000 lines quoted in full would put a megabyte in the log.
func Quote(s string) string {
	cut, ok := prefix(s, quoteMax)
	if ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(cut), len(s))
}

// shorten bounds one problem's message, whatever a domain package quoted
// in it: past 1000 characters it is cut, and its size follows.
func shorten(msg string) string {
	cut, ok := prefix(msg, problemMax)
	if ok {
		return msg
	}
	return fmt.Sprintf("%s… (cut: %d bytes in all)", cut, len(msg))
}

// prefix returns the first n characters of s, and whether that is all of s.
func prefix(s string, n int) (string, bool) {
	i := 0
	for j := range s {
		if i == n {
			return s[:j], false
		}
		i++
	}
	return s, true
}

// Unwrap gives errors.Is and errors.As access to every problem.
func (e *UsageError) Unwrap() []error { return e.Problems }

// Usage wraps errors found while checking inputs (for example by a domain
// package's own validation) as a UsageError, flattening errors.Join trees so
// that each problem stands on its own line. It returns nil when every error is
// nil.
func Usage(command string, errs ...error) error {
	var flat []error
	for _, err := range errs {
		flat = append(flat, flatten(err)...)
	}
	if len(flat) == 0 {
		return nil
	}
	return &UsageError{Command: command, Problems: flat}
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) && err == error(u) {
		return u.Problems
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// problemInputs returns the inputs a problem names: a [Problem]'s input, or
// the quoted names after "input " or "inputs " at the start of its message
// (input "bucket": …, inputs "a", "b" and "c": …).
func problemInputs(err error) []string {
	var p *Problem
	if errors.As(err, &p) {
		return []string{p.Input}
	}
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "input ")
	if !ok {
		if rest, ok = strings.CutPrefix(msg, "inputs "); !ok {
			return nil
		}
	}
	var names []string
	for {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return names
		}
		name, _ := strconv.Unquote(q)
		names = append(names, name)
		rest = rest[len(q):]
		if rest, ok = strings.CutPrefix(rest, ", "); ok {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, " and "); ok {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, " or "); ok {
			continue
		}
		return names
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
