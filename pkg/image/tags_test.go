package image_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/image"
)

func TestDefaultTags(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	long := strings.Repeat("x", 200)
	tests := []struct {
		name    string
		git     image.GitContext
		latest  bool
		want    []string
		wantErr string
	}{
		{name: "sha only", git: image.GitContext{SHA: sha}, want: []string{"sha-0123456"}},
		{name: "upper-case sha", git: image.GitContext{SHA: "ABCDEF0123"}, want: []string{"sha-abcdef0"}},
		{name: "short sha", git: image.GitContext{SHA: "abcdef0"}, want: []string{"sha-abcdef0"}},
		{name: "latest", git: image.GitContext{SHA: sha}, latest: true, want: []string{"sha-0123456", "latest"}},
		{name: "branch", git: image.GitContext{SHA: sha, Branch: "main"}, want: []string{"sha-0123456", "main"}},
		{name: "branch with slash", git: image.GitContext{SHA: sha, Branch: "feature/login-page"}, want: []string{"sha-0123456", "feature-login-page"}},
		{name: "branch ref", git: image.GitContext{SHA: sha, Branch: "refs/heads/release/2.x"}, want: []string{"sha-0123456", "release-2.x"}},
		{name: "branch runs collapse", git: image.GitContext{SHA: sha, Branch: "a//b  c--d"}, want: []string{"sha-0123456", "a-b-c-d"}},
		{name: "branch leading dot and dash", git: image.GitContext{SHA: sha, Branch: "..-/hidden"}, want: []string{"sha-0123456", "hidden"}},
		{name: "branch unicode", git: image.GitContext{SHA: sha, Branch: "fix/café"}, want: []string{"sha-0123456", "fix-caf-"}},
		{name: "branch too long", git: image.GitContext{SHA: sha, Branch: long}, want: []string{"sha-0123456", long[:128]}},
		{name: "branch named latest", git: image.GitContext{SHA: sha, Branch: "latest"}, latest: true, want: []string{"sha-0123456", "latest"}},
		{name: "semver", git: image.GitContext{SHA: sha, Tag: "v1.2.3"}, want: []string{"sha-0123456", "1.2.3", "1.2", "1"}},
		{name: "semver without v", git: image.GitContext{SHA: sha, Tag: "10.20.30"}, want: []string{"sha-0123456", "10.20.30", "10.20", "10"}},
		{name: "semver tag ref", git: image.GitContext{SHA: sha, Tag: "refs/tags/v2.0.0"}, latest: true, want: []string{"sha-0123456", "2.0.0", "2.0", "2", "latest"}},
		{name: "major zero", git: image.GitContext{SHA: sha, Tag: "v0.4.1"}, want: []string{"sha-0123456", "0.4.1", "0.4"}},
		{name: "pre-release", git: image.GitContext{SHA: sha, Tag: "v1.2.3-rc.1"}, want: []string{"sha-0123456", "1.2.3-rc.1"}},
		{name: "pre-release of major zero", git: image.GitContext{SHA: sha, Tag: "v0.1.0-alpha"}, want: []string{"sha-0123456", "0.1.0-alpha"}},
		{name: "build metadata", git: image.GitContext{SHA: sha, Tag: "v1.2.3+build.7"}, want: []string{"sha-0123456", "1.2.3-build.7"}},
		{name: "pre-release and build", git: image.GitContext{SHA: sha, Tag: "v1.2.3-beta+exp.sha.5114f85"}, want: []string{"sha-0123456", "1.2.3-beta-exp.sha.5114f85"}},
		{name: "leading zero is not semver", git: image.GitContext{SHA: sha, Tag: "v01.2.3"}, want: []string{"sha-0123456", "v01.2.3"}},
		{name: "two parts is not semver", git: image.GitContext{SHA: sha, Tag: "v1.2"}, want: []string{"sha-0123456", "v1.2"}},
		{name: "non-semver tag", git: image.GitContext{SHA: sha, Tag: "release/2024-05"}, want: []string{"sha-0123456", "release-2024-05"}},
		{name: "capital V is not semver", git: image.GitContext{SHA: sha, Tag: "V1.2.3"}, want: []string{"sha-0123456", "V1.2.3"}},
		{name: "branch and tag", git: image.GitContext{SHA: sha, Branch: "main", Tag: "v3.1.4"}, latest: true, want: []string{"sha-0123456", "main", "3.1.4", "3.1", "3", "latest"}},
		{name: "duplicates dropped", git: image.GitContext{SHA: sha, Branch: "1.2.3", Tag: "v1.2.3"}, want: []string{"sha-0123456", "1.2.3", "1.2", "1"}},
		{name: "empty sha", git: image.GitContext{}, wantErr: `commit SHA "": want at least 7 hex digits`},
		{name: "sha too short", git: image.GitContext{SHA: "abc12"}, wantErr: `commit SHA "abc12"`},
		{name: "sha not hex", git: image.GitContext{SHA: "zzzzzzzzzz"}, wantErr: `commit SHA "zzzzzzzzzz": want at least 7 hex digits`},
		{name: "branch of nothing tag-safe", git: image.GitContext{SHA: sha, Branch: "///"}, wantErr: `branch "///": no tag-safe characters left`},
		{name: "tag of nothing tag-safe", git: image.GitContext{SHA: sha, Tag: ".-"}, wantErr: `git tag ".-": no tag-safe characters left`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := image.DefaultTags(tt.git, tt.latest)
			if tt.wantErr != "" {
				checkErr(t, err, []string{tt.wantErr})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tt.want, have) {
				t.Errorf("want %q, have %q", tt.want, have)
			}
			for _, tag := range have {
				if err := image.ValidateTag(tag); err != nil {
					t.Errorf("tag %q is not valid: %v", tag, err)
				}
			}
		})
	}
}

func ExampleDefaultTags() {
	tags, err := image.DefaultTags(image.GitContext{
		SHA: "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
		Tag: "v1.4.2",
	}, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(tags, " "))

	tags, _ = image.DefaultTags(image.GitContext{
		SHA:    "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
		Branch: "feature/new-login",
	}, false)
	fmt.Println(strings.Join(tags, " "))
	// Output:
	// sha-4f2a9c1 1.4.2 1.4 1 latest
	// sha-4f2a9c1 feature-new-login
}
