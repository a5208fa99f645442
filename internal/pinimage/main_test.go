package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/commands"
)

const (
	digestA = "ghcr.io/ferry-ci/ferry@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digestB = "ghcr.io/ferry-ci/ferry@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	// The GitLab job images of the same releases.
	gitlabA = "ghcr.io/ferry-ci/ferry@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	gitlabB = "ghcr.io/ferry-ci/ferry@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// copyActions copies the repository's action.yml files and GitLab
// components to a new root.
func copyActions(t *testing.T) string {
	t.Helper()
	src := actiontest.Root(t)
	dst := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "actions", "*", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	components, err := filepath.Glob(filepath.Join(src, "templates", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, components...)
	for _, f := range append(files, filepath.Join(src, "action.yml")) {
		rel, _ := filepath.Rel(src, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func runsImages(t *testing.T, root string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "actions", "*", "action.yml"))
	out := map[string]string{}
	for _, f := range append(files, filepath.Join(root, "action.yml")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := action.ParseActionFile(b)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		out[rel] = af.Runs.Image
	}
	return out
}

// componentImages maps each templates/*.yml below root to its image
// input's default.
func componentImages(t *testing.T, root string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "templates", "*.yml"))
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := action.GitLabImageDefault(b)
		if err != nil {
			img = err.Error()
		}
		out[filepath.Base(f)] = img
	}
	return out
}

func TestPin(t *testing.T) {
	t.Parallel()
	root := copyActions(t)
	before := map[string][]byte{}
	for name := range componentImages(t, root) {
		b, err := os.ReadFile(filepath.Join(root, "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		before[name] = b
	}
	var out bytes.Buffer
	if err := run([]string{"-root", root, "-image", digestA, "-gitlab-image", gitlabA}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	components := componentImages(t, root)
	if want := len(commands.Specs()) + 2; len(components) != want {
		t.Errorf("components: want %d (every command's and the two flows), have %d", want, len(components))
	}
	for name, img := range components {
		if img != gitlabA {
			t.Errorf("templates/%s: want the image default %s, have %q", name, gitlabA, img)
		}
		after, err := os.ReadFile(filepath.Join(root, "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		if want := bytes.Replace(before[name], []byte("default: "+action.GitLabImage+"\n"), []byte("default: "+gitlabA+"\n"), 1); !bytes.Equal(after, want) {
			t.Errorf("templates/%s: want only the image default changed, have:\n%s", name, after)
		}
	}
	if n := strings.Count(out.String(), "spec:inputs:image:default "+gitlabA); n != len(components) {
		t.Errorf("output: want one line per component (%d), have %d:\n%s", len(components), n, out.String())
	}
	images := runsImages(t, root)
	if want := len(commands.Specs()) + 1; len(images) != want {
		t.Errorf("files: want %d (every action and the root), have %d", want, len(images))
	}
	for f, img := range images {
		if img != "docker://"+digestA {
			t.Errorf("%s: want runs.image docker://%s, have %q", f, digestA, img)
		}
	}
	if n := strings.Count(out.String(), "runs.image docker://"+digestA); n != len(images) {
		t.Errorf("output: want one line per file (%d), have %d:\n%s", len(images), n, out.String())
	}
	// A later release re-pins.
	if err := run([]string{"-root", root, "-image", digestB, "-gitlab-image", gitlabB}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for f, img := range runsImages(t, root) {
		if img != "docker://"+digestB {
			t.Errorf("re-pinned %s: want docker://%s, have %q", f, digestB, img)
		}
	}
	for f, img := range componentImages(t, root) {
		if img != gitlabB {
			t.Errorf("re-pinned templates/%s: want %s, have %q", f, gitlabB, img)
		}
	}
}

func TestPinRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		setup func(t *testing.T, root string)
		want  string
	}{
		{"no image", []string{"-gitlab-image", gitlabA}, nil, "-image: want an image by digest"},
		{"no GitLab image", []string{"-image", digestA}, nil, "-gitlab-image: want an image by digest"},
		{"by tag", []string{"-image", "ghcr.io/ferry-ci/ferry:v1", "-gitlab-image", gitlabA}, nil, "want an image by digest"},
		{"GitLab image by tag", []string{"-image", digestA, "-gitlab-image", "ghcr.io/ferry-ci/ferry:v1-gitlab"}, nil, "pinning the image input: want an image by digest"},
		{"drifted component", []string{"-image", digestA, "-gitlab-image", gitlabA}, func(t *testing.T, root string) {
			p := filepath.Join(root, "templates", "whoami.yml")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, bytes.Replace(b, []byte("default: 2m"), []byte("default: 5m"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
		}, `templates/whoami.yml after pinning: not the component generated from the "whoami" command`},
		{"component without an image input", []string{"-image", digestA, "-gitlab-image", gitlabA}, func(t *testing.T, root string) {
			p := filepath.Join(root, "templates", "stray.yml")
			if err := os.WriteFile(p, []byte("spec:\n  inputs: {}\n---\njob: {script: [true]}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "templates/stray.yml: GitLab component: no spec:inputs:image:default"},
		{"undeclared action", []string{"-image", digestA, "-gitlab-image", gitlabA}, func(t *testing.T, root string) {
			p := filepath.Join(root, "actions", "stray", "action.yml")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("runs:\n  image: ../../Dockerfile\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "actions/stray/action.yml: no command declares it"},
		{"drifted action", []string{"-image", digestA, "-gitlab-image", gitlabA}, func(t *testing.T, root string) {
			p := filepath.Join(root, "actions", "whoami", "action.yml")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, bytes.Replace(b, []byte("default: 2m"), []byte("default: 5m"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
		}, `whoami/action.yml after pinning: input "timeout"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := copyActions(t)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			before, beforeComponents := runsImages(t, root), componentImages(t, root)
			err := run(append([]string{"-root", root}, tt.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want an error with %q, have %v", tt.want, err)
			}
			after := runsImages(t, root)
			for f, img := range before {
				if after[f] != img {
					t.Errorf("%s changed from %q to %q although pinning failed", f, img, after[f])
				}
			}
			for f, img := range componentImages(t, root) {
				if beforeComponents[f] != img {
					t.Errorf("templates/%s changed from %q to %q although pinning failed", f, beforeComponents[f], img)
				}
			}
		})
	}
}
