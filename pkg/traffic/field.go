package traffic

import (
	"fmt"
	"strconv"
	"strings"
)

// Field is one of the values [Options.Validate] and [NewWeights] check. A
// problem names the field at fault; the caller maps it to the name its user
// knows (an action's input, a flag), so this package holds no input names.
type Field string

// The fields a [FieldError] names.
const (
	Listeners         Field = "Listeners"
	Rules             Field = "Rules"
	BlueGroup         Field = "Blue"
	GreenGroup        Field = "Green"
	PresetName        Field = "Preset"
	BlueWeight        Field = "BlueWeight"
	GreenWeight       Field = "GreenWeight"
	Steps             Field = "Steps"
	BakeTime          Field = "BakeTime"
	Alarms            Field = "Alarms"
	MinHealthyTargets Field = "MinHealthyTargets"
	Stickiness        Field = "Stickiness"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{Listeners, Rules, BlueGroup, GreenGroup, PresetName, BlueWeight, GreenWeight,
		Steps, BakeTime, Alarms, MinHealthyTargets, Stickiness}
}

// FieldError is one problem with one or more fields: what was expected and
// what was found.
type FieldError struct {
	Fields []Field // the fields at fault, at least one
	Any    bool    // the fields are alternatives ("a or b"), not all at fault ("a and b")
	Step   int     // when above 0, the problem is with that step of the field (1-based)
	// Expected may hold %s verbs, one for each of Refs: other fields it
	// mentions, filled in with their names as the fields' are (Message
	// writes "input " and the quoted name).
	Expected string
	Refs     []Field
	Found    string // already quoted, or a description such as "none"
}

// Error names the fields by their Go names, as in "BlueWeight: expected 0
// to 999, found -1"; [FieldError.Message] names them as the caller's user
// knows them.
func (e *FieldError) Error() string {
	return e.render(func(fs []Field) string {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = string(f)
		}
		return e.list(names)
	})
}

// Message renders the problem as the runtime reports bad inputs: "input "
// and the quoted name (or "inputs " and the names joined), then ": expected
// …, found …", with the names that name returns for the fields.
func (e *FieldError) Message(name func(Field) string) string {
	return e.render(func(fs []Field) string {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = strconv.Quote(name(f))
		}
		if len(names) == 1 {
			return "input " + names[0]
		}
		return "inputs " + e.list(names)
	})
}

// render writes the problem, the fields and Refs named by label.
func (e *FieldError) render(label func([]Field) string) string {
	var b strings.Builder
	b.WriteString(label(e.Fields))
	if e.Step > 0 {
		fmt.Fprintf(&b, ": step %d", e.Step)
	}
	expected := e.Expected
	if len(e.Refs) > 0 {
		args := make([]any, len(e.Refs))
		for i, r := range e.Refs {
			args[i] = label([]Field{r})
		}
		expected = fmt.Sprintf(expected, args...)
	}
	fmt.Fprintf(&b, ": expected %s, found %s", expected, e.Found)
	return b.String()
}

// list joins names as "a", "a and b" or "a, b or c" (with Any).
func (e *FieldError) list(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	conj := " and "
	if e.Any {
		conj = " or "
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + conj + names[last]
}

// problem returns a [FieldError] with one field.
func problem(f Field, expected, found string) *FieldError {
	return &FieldError{Fields: []Field{f}, Expected: expected, Found: found}
}
