package s3sync

import (
	"fmt"
	"strconv"
	"strings"
)

// Field is one of the [Options] (or a list of [Rule]s) that Validate,
// [ParseRules] and [Syncer.Plan] check. A problem names the field at fault;
// the caller maps it to the name its user knows (an action's input, a
// flag), so this package holds no input names.
type Field string

// The fields a [FieldError] or a [DeleteLimitError] names: those of [Options].
const (
	Source         Field = "Source"
	Bucket         Field = "Bucket"
	Prefix         Field = "Prefix"
	Exclude        Field = "Exclude"
	CacheControl   Field = "CacheControl"
	ContentType    Field = "ContentType"
	Compress       Field = "Compress"
	Delete         Field = "Delete"
	MaxDelete      Field = "MaxDelete"
	ForceDelete    Field = "ForceDelete"
	FollowSymlinks Field = "FollowSymlinks"
	ManifestKey    Field = "ManifestKey"
	Concurrency    Field = "Concurrency"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{Source, Bucket, Prefix, Exclude, CacheControl, ContentType, Compress,
		Delete, MaxDelete, ForceDelete, FollowSymlinks, ManifestKey, Concurrency}
}

// Ref is another field a problem mentions: named as the field at fault is
// ("input " and the quoted name, in [FieldError.Message]), or when Bare by
// its name alone, as in "delete: true".
type Ref struct {
	Field Field
	Bare  bool
}

// FieldError is one problem with one field: what was expected and what was
// found.
type FieldError struct {
	Field Field
	Line  int // when above 0, the problem is with that line of the field (1-based)
	// Expected and Found may hold %s verbs, one for each of Refs
	// (Expected's first). Only a problem with Refs is formatted: text of
	// its own in it goes through [verbatim].
	Expected, Found string
	Refs            []Ref
}

// Error names the fields by their Go names, as in "MaxDelete: expected 0
// or more, found -1"; [FieldError.Message] names them as the caller's user
// knows them.
func (e *FieldError) Error() string {
	goName := func(f Field) string { return string(f) }
	return e.render(goName, goName)
}

// Message renders the problem as the runtime reports bad inputs: "input "
// and the quoted name that name returns for the field, the line if any,
// then ": expected …, found …".
func (e *FieldError) Message(name func(Field) string) string {
	return e.render(func(f Field) string { return "input " + strconv.Quote(name(f)) }, name)
}

// render writes the problem, naming the field and the Refs that are not
// Bare with label, and the Bare ones with bare.
func (e *FieldError) render(label, bare func(Field) string) string {
	var b strings.Builder
	b.WriteString(label(e.Field))
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	text := "expected " + e.Expected + ", found " + e.Found
	if len(e.Refs) > 0 {
		args := make([]any, len(e.Refs))
		for i, r := range e.Refs {
			if r.Bare {
				args[i] = bare(r.Field)
			} else {
				args[i] = label(r.Field)
			}
		}
		text = fmt.Sprintf(text, args...)
	}
	b.WriteString(": ")
	b.WriteString(text)
	return b.String()
}

// problem returns a [FieldError] that mentions no other field.
func problem(f Field, expected, found string) *FieldError {
	return &FieldError{Field: f, Expected: expected, Found: found}
}

// verbatim is s as text of a [FieldError] with Refs: its % signs stay.
func verbatim(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// DeleteLimitError is a plan refused for its deletions, before anything
// was written: more than Options.MaxDelete (Field is [MaxDelete]), or more
// than half of the objects under the prefix without Options.ForceDelete
// (Field is [ForceDelete]). It is [ErrTooManyDeletes].
type DeleteLimitError struct {
	Field          Field
	Deletes        int    // objects the plan deletes
	Present        int    // ForceDelete: objects under the prefix once the uploads are in
	MaxDelete      int    // MaxDelete: Options.MaxDelete
	Bucket, Prefix string // Prefix as keys start with it: "" or "dir/"
}

// Error names the field by its Go name.
func (e *DeleteLimitError) Error() string {
	return e.render(string(e.Field))
}

// Message writes the field as "input " and the quoted name that name
// returns for it.
func (e *DeleteLimitError) Message(name func(Field) string) string {
	return e.render("input " + strconv.Quote(name(e.Field)))
}

// Unwrap returns [ErrTooManyDeletes].
func (e *DeleteLimitError) Unwrap() error { return ErrTooManyDeletes }

func (e *DeleteLimitError) render(field string) string {
	if e.Field == MaxDelete {
		return fmt.Sprintf("%d objects under s3://%s/%s have no file in the source and %s allows %d; nothing was changed: %v",
			e.Deletes, e.Bucket, e.Prefix, field, e.MaxDelete, ErrTooManyDeletes)
	}
	return fmt.Sprintf("%d of the %d objects under s3://%s/%s (once the uploads are in) would be deleted, more than half; set %s to true if that is meant; nothing was changed: %v",
		e.Deletes, e.Present, e.Bucket, e.Prefix, field, ErrTooManyDeletes)
}
