package ecr

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/golden"
)

func TestRepositoryOptionsValidate(t *testing.T) {
	t.Parallel()
	const nameProblem = `Name: expected an ECR repository name like "app/web" ` +
		`(2 to 256 characters: lowercase letters and digits, separated by single ".", "_", "-" or "/"), found `
	tests := []struct {
		name string
		opts RepositoryOptions
		want []string // every line of the error, in order; none for valid options
	}{
		{name: "minimal", opts: RepositoryOptions{Name: "ab"}},
		{name: "everything", opts: RepositoryOptions{
			Name: "team-a/app.web/api_v2", RegistryID: "123456789012", Create: true,
			ScanOnPush: true, TagMutability: "IMMUTABLE", LifecycleKeep: 10000,
		}},
		{name: "mutability in lower case", opts: RepositoryOptions{Name: "app", TagMutability: "immutable"}},
		{name: "mutability explicit", opts: RepositoryOptions{Name: "app", TagMutability: "MUTABLE"}},
		{name: "longest name", opts: RepositoryOptions{Name: strings.Repeat("a", 256)}},
		{name: "no name", opts: RepositoryOptions{}, want: []string{nameProblem + "none"}},
		{name: "upper case and space", opts: RepositoryOptions{Name: "App Web"}, want: []string{nameProblem + `"App Web"`}},
		{name: "one character", opts: RepositoryOptions{Name: "a"}, want: []string{nameProblem + `"a" (1 character)`}},
		{name: "too long", opts: RepositoryOptions{Name: strings.Repeat("a", 257)}, want: []string{nameProblem + `"` + strings.Repeat("a", 257) + `" (257 characters)`}},
		{name: "double separator", opts: RepositoryOptions{Name: "app__web"}, want: []string{nameProblem + `"app__web"`}},
		{name: "leading slash", opts: RepositoryOptions{Name: "/app"}, want: []string{nameProblem + `"/app"`}},
		{name: "trailing dash", opts: RepositoryOptions{Name: "app-"}, want: []string{nameProblem + `"app-"`}},
		{name: "full URI", opts: RepositoryOptions{Name: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"}, want: []string{
			nameProblem + `"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"; give the name alone, without the registry host, tag or digest`,
		}},
		{name: "registry host without tag", opts: RepositoryOptions{Name: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"}, want: []string{
			nameProblem + `"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"; give the name alone, without the registry host, tag or digest`,
		}},
		{name: "every problem at once", opts: RepositoryOptions{
			Name: "App Web", RegistryID: "12345", TagMutability: "sometimes", LifecycleKeep: -1,
		}, want: []string{
			nameProblem + `"App Web"`,
			`RegistryID: expected a 12-digit AWS account ID, found "12345"`,
			`TagMutability: expected MUTABLE, IMMUTABLE, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION, found "sometimes"`,
			`LifecycleKeep: expected 1 to 10000 (or unset), found -1`,
		}},
		{name: "keep too many", opts: RepositoryOptions{Name: "app", LifecycleKeep: 10001}, want: []string{
			`LifecycleKeep: expected 1 to 10000 (or unset), found 10001`,
		}},
		{name: "immutable with exclusions", opts: RepositoryOptions{Name: "app", TagMutability: "IMMUTABLE_WITH_EXCLUSION", TagMutabilityExclusions: []string{"latest", "dev-*", "*.rc*", "a_b", "x"}}},
		{name: "mutable with exclusion, lower case", opts: RepositoryOptions{Name: "app", TagMutability: "mutable_with_exclusion", TagMutabilityExclusions: []string{"release-*"}}},
		{name: "with exclusion, no filters", opts: RepositoryOptions{Name: "app", TagMutability: "IMMUTABLE_WITH_EXCLUSION"}, want: []string{
			`TagMutabilityExclusions: expected 1 to 5 wildcard filters of the tags IMMUTABLE_WITH_EXCLUSION excepts (e.g. latest, dev-*), found none`,
		}},
		{name: "filters without exclusion", opts: RepositoryOptions{Name: "app", TagMutability: "IMMUTABLE", TagMutabilityExclusions: []string{"latest"}}, want: []string{
			`TagMutabilityExclusions: expected none with TagMutability IMMUTABLE (filters go with MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION), found 1`,
		}},
		{name: "too many filters, bad ones", opts: RepositoryOptions{Name: "app", TagMutability: "MUTABLE_WITH_EXCLUSION", TagMutabilityExclusions: []string{"a", "b", "c", "d", "e", "f/g", "h i"}}, want: []string{
			`TagMutabilityExclusions: expected at most 5 filters (ECR's limit), found 7`,
			`TagMutabilityExclusions: expected a wildcard filter of 1 to 128 letters, digits, '.', '_', '-' and '*', found "f/g"`,
			`TagMutabilityExclusions: expected a wildcard filter of 1 to 128 letters, digits, '.', '_', '-' and '*', found "h i"`,
		}},
		{name: "account with letters", opts: RepositoryOptions{Name: "app", RegistryID: "12345678901a"}, want: []string{
			`RegistryID: expected a 12-digit AWS account ID, found "12345678901a"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want:\n%s", strings.Join(tt.want, "\n"))
			}
			if have, want := err.Error(), strings.Join(tt.want, "\n"); have != want {
				t.Errorf("Validate() error\nhave:\n%s\nwant:\n%s", have, want)
			}
		})
	}
}

// EnsureRepository validates before it calls ECR at all.
func TestEnsureRepositoryValidatesFirst(t *testing.T) {
	t.Parallel()
	c := New(&fakeAPI{t: t}, Options{})
	_, err := c.EnsureRepository(context.Background(), RepositoryOptions{Name: "Bad Name", Create: true})
	if err == nil || !strings.Contains(err.Error(), `Name`) {
		t.Fatalf("EnsureRepository() error = %v, want the validation error", err)
	}
}

func TestLifecyclePolicyGolden(t *testing.T) {
	t.Parallel()
	have := LifecyclePolicy(30)
	golden.Check(t, filepath.Join("testdata", "lifecycle-keep-30.json"), []byte(have))
	if !json.Valid([]byte(have)) {
		t.Errorf("LifecyclePolicy(30) is not valid JSON:\n%s", have)
	}
}

func TestSameJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", `{"a":1}`, `{"a":1}`, true},
		{"layout and key order", `{"a":1,"b":[1,2]}`, "{\n  \"b\": [1, 2],\n  \"a\": 1.0\n}", true},
		{"value differs", `{"a":1}`, `{"a":2}`, false},
		{"array order matters", `{"b":[1,2]}`, `{"b":[2,1]}`, false},
		{"empty is no policy", ``, `{"a":1}`, false},
		{"not JSON", `{`, `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if have := sameJSON(tt.a, tt.b); have != tt.want {
				t.Errorf("sameJSON(%q, %q) = %v, want %v", tt.a, tt.b, have, tt.want)
			}
		})
	}
}
