package commands

import (
	"errors"
	"strings"
)

// fieldProblem is a domain package's problem with some of its own fields
// (e.g. [traffic.FieldError]): domain packages know no input names, so a
// command names the fields through its one table of field → input.
type fieldProblem[F ~string] interface {
	error
	// Message renders the problem as `input "name": expected …, found …`.
	Message(name func(F) string) string
}

// inputNames returns err with every field problem of type F in it named
// as the inputs of names: a joined error stays joined (one problem each),
// and a wrapped one keeps its wrapping text and its chain. A field missing
// from names keeps its Go name, which a test per table forbids.
func inputNames[F ~string](err error, names map[F]string) error {
	if err == nil || len(fieldProblems[F](err)) == 0 {
		return err // untouched: its type and chain as they were
	}
	if _, ok := err.(fieldProblem[F]); !ok {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs := j.Unwrap()
			out := make([]error, len(errs))
			for i, e := range errs {
				out[i] = inputNames(e, names)
			}
			return errors.Join(out...)
		}
	}
	name := func(f F) string {
		if n, ok := names[f]; ok {
			return n
		}
		return string(f)
	}
	msg := err.Error()
	for _, p := range fieldProblems[F](err) {
		msg = strings.Replace(msg, p.Error(), p.Message(name), 1)
	}
	if msg == err.Error() {
		return err
	}
	return &namedError{msg: msg, err: err}
}

// fieldProblems returns the field problems of type F in err's tree.
func fieldProblems[F ~string](err error) []fieldProblem[F] {
	if p, ok := err.(fieldProblem[F]); ok {
		return []fieldProblem[F]{p}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			return fieldProblems[F](inner)
		}
	case interface{ Unwrap() []error }:
		var out []fieldProblem[F]
		for _, e := range u.Unwrap() {
			out = append(out, fieldProblems[F](e)...)
		}
		return out
	}
	return nil
}

// namedError is an error whose field problems were named as inputs; it
// wraps the original, so errors.Is and errors.As see what they saw before.
type namedError struct {
	msg string
	err error
}

func (e *namedError) Error() string { return e.msg }
func (e *namedError) Unwrap() error { return e.err }
