package ecr

import (
	"fmt"
	"strconv"
)

// Field is one of the [RepositoryOptions] that Validate checks. A problem
// names the field at fault; the caller maps it to the name its user knows
// (an action's input, a flag), so this package holds no input names.
type Field string

// The fields a [FieldError] names.
const (
	RepositoryName          Field = "Name"
	RegistryID              Field = "RegistryID"
	TagMutability           Field = "TagMutability"
	TagMutabilityExclusions Field = "TagMutabilityExclusions"
	LifecycleKeep           Field = "LifecycleKeep"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{RepositoryName, RegistryID, TagMutability, TagMutabilityExclusions, LifecycleKeep}
}

// FieldError is one problem with one field: what was expected and what was
// found.
type FieldError struct {
	Field Field
	// Expected may hold %s verbs, one for each of Refs: other fields it
	// mentions, filled in with their bare names.
	Expected string
	Refs     []Field
	Found    string // already quoted, or a description such as "none"
}

// Error names the fields by their Go names.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: expected %s, found %s", e.Field, e.expected(func(f Field) string { return string(f) }), e.Found)
}

// Message renders the problem as the runtime reports bad inputs: "input ",
// the quoted name that name returns for the field, then ": expected …,
// found …".
func (e *FieldError) Message(name func(Field) string) string {
	return "input " + strconv.Quote(name(e.Field)) + fmt.Sprintf(": expected %s, found %s", e.expected(name), e.Found)
}

func (e *FieldError) expected(name func(Field) string) string {
	if len(e.Refs) == 0 {
		return e.Expected
	}
	args := make([]any, len(e.Refs))
	for i, r := range e.Refs {
		args[i] = name(r)
	}
	return fmt.Sprintf(e.Expected, args...)
}

// problem returns a [FieldError] with no references.
func problem(f Field, expected, found string) *FieldError {
	return &FieldError{Field: f, Expected: expected, Found: found}
}
