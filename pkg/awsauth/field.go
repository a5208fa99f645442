package awsauth

import (
	"fmt"
	"strconv"
)

// Field is one of the [Options] that Validate and [Load] check. A problem
// names the field at fault; the caller maps it to the name its user knows
// (an action's input, a flag), so this package holds no input names.
type Field string

// The fields a [FieldError] names: those of [Options].
const (
	Region          Field = "Region"
	RoleToAssume    Field = "RoleToAssume"
	RoleSessionName Field = "RoleSessionName"
	RoleDuration    Field = "RoleDuration"
	MaxAttempts     Field = "MaxAttempts"
	MaxBackoff      Field = "MaxBackoff"
	EndpointURL     Field = "EndpointURL"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{Region, RoleToAssume, RoleSessionName, RoleDuration, MaxAttempts, MaxBackoff, EndpointURL}
}

// FieldError is one problem with one field: what was expected and what was
// found.
type FieldError struct {
	Field Field
	// Expected and Found may hold %s verbs, one for each of Refs (Expected's
	// first): other fields they mention, filled in with their bare names.
	// Only a problem with Refs is formatted.
	Expected, Found string
	Refs            []Field
	// Err, when set, is what the problem is (such as [ErrNoRegion]): it is
	// written after the problem, and unwrapped.
	Err error
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// Error names the fields by their Go names, as in "MaxAttempts: expected 1
// or more (0 means 5), found -1".
func (e *FieldError) Error() string {
	return string(e.Field) + ": " + e.text(func(f Field) string { return string(f) })
}

// Message renders the problem as the runtime reports bad inputs: "input ",
// the quoted name that name returns for the field, then ": expected …,
// found …".
func (e *FieldError) Message(name func(Field) string) string {
	return "input " + strconv.Quote(name(e.Field)) + ": " + e.text(name)
}

func (e *FieldError) text(name func(Field) string) string {
	s := "expected " + e.Expected + ", found " + e.Found
	if len(e.Refs) > 0 {
		args := make([]any, len(e.Refs))
		for i, r := range e.Refs {
			args[i] = name(r)
		}
		s = fmt.Sprintf(s, args...)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// problem returns a [FieldError] that mentions no other field.
func problem(f Field, expected, found string) *FieldError {
	return &FieldError{Field: f, Expected: expected, Found: found}
}
