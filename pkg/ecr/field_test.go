package ecr

import "testing"

func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	err := (RepositoryOptions{Name: "app", TagMutability: "IMMUTABLE", TagMutabilityExclusions: []string{"latest"}}).Validate()
	fe, ok := err.(interface{ Unwrap() []error }).Unwrap()[0].(*FieldError)
	if !ok {
		t.Fatalf("Validate() = %#v, want one *FieldError", err)
	}
	names := map[Field]string{TagMutability: "tag-mutability", TagMutabilityExclusions: "tag-mutability-exclusions"}
	const want = `input "tag-mutability-exclusions": expected none with tag-mutability IMMUTABLE (filters go with MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION), found 1`
	if have := fe.Message(func(f Field) string { return names[f] }); have != want {
		t.Errorf("Message():\nhave %q\nwant %q", have, want)
	}
}
