package awsauth

import (
	"errors"
	"testing"
)

func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	names := map[Field]string{RoleToAssume: "role-to-assume", RoleSessionName: "role-session-name", MaxAttempts: "max-attempts"}
	name := func(f Field) string { return names[f] }
	err := Options{RoleToAssume: "arn:aws:iam::123456789012:role/deploy", MaxAttempts: -1}.Validate()
	var have []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("Validate() problem %#v is no *FieldError", e)
		}
		have = append(have, fe.Message(name))
	}
	want := []string{
		`input "role-session-name": expected a session name when role-to-assume is set, found none`,
		`input "max-attempts": expected 1 or more (0 means 5), found -1`,
	}
	if len(have) != len(want) {
		t.Fatalf("Message()s:\nhave %q\nwant %q", have, want)
	}
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("Message():\nhave %q\nwant %q", have[i], want[i])
		}
	}
}
