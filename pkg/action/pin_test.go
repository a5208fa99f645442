package action_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

const (
	digestA = "ghcr.io/ferry-ci/ferry@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digestB = "ghcr.io/ferry-ci/ferry@sha256:" + "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func TestPinImage(t *testing.T) {
	t.Parallel()
	generated, err := action.ActionYAML(demoSpec(), "../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := action.PinImage(generated, digestA)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Replace(generated, []byte("  image: ../../Dockerfile\n"), []byte("  image: docker://"+digestA+"\n"), 1)
	if bytes.Equal(want, generated) {
		t.Fatal("the generated action.yml has no `image: ../../Dockerfile` line; update the test")
	}
	if !bytes.Equal(pinned, want) {
		t.Errorf("pinned: want only runs.image changed:\n%s\nhave:\n%s", want, pinned)
	}
	if err := action.CheckActionYAML(pinned, demoSpec()); err != nil {
		t.Errorf("CheckActionYAML(pinned): %v", err)
	}
	f, err := action.ParseActionFile(pinned)
	if err != nil {
		t.Fatal(err)
	}
	if ref, ok := action.PinnedRef(f.Runs.Image); !ok || ref != digestA {
		t.Errorf("PinnedRef(%q): want %q, true; have %q, %v", f.Runs.Image, digestA, ref, ok)
	}

	again, err := action.PinImage(pinned, digestB)
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Replace(pinned, []byte(digestA), []byte(digestB), 1); !bytes.Equal(again, want) {
		t.Errorf("re-pinned: want only the digest changed, have:\n%s", again)
	}
}

func TestPinImageShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"quoted", "name: x\nruns:\n  using: docker\n  image: 'Dockerfile'\n  args: [x]\n", "name: x\nruns:\n  using: docker\n  image: docker://" + digestA + "\n  args: [x]\n"},
		{"CRLF", "runs:\r\n  image: Dockerfile\r\n  using: docker\r\n", "runs:\r\n  image: docker://" + digestA + "\r\n  using: docker\r\n"},
		{"last line without newline", "runs:\n  using: docker\n  image: Dockerfile", "runs:\n  using: docker\n  image: docker://" + digestA},
		{"trailing comment dropped", "runs:\n  image: Dockerfile # built\n", "runs:\n  image: docker://" + digestA + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := action.PinImage([]byte(tt.in), digestA)
			if err != nil {
				t.Fatal(err)
			}
			if string(have) != tt.want {
				t.Errorf("want %q\nhave %q", tt.want, have)
			}
		})
	}
}

func TestPinImageErrors(t *testing.T) {
	t.Parallel()
	good := "runs:\n  using: docker\n  image: Dockerfile\n"
	tests := []struct {
		name, data, ref, want string
	}{
		{"by tag", good, "ghcr.io/ferry-ci/ferry:v1", "want an image by digest"},
		{"upper case", good, strings.Replace(digestA, "ferry-ci", "Ferry-CI", 1), "want an image by digest"},
		{"short digest", good, "ghcr.io/ferry-ci/ferry@sha256:0123", "want an image by digest"},
		{"scheme given", good, "docker://" + digestA, "want an image by digest"},
		{"no runs", "name: x\n", digestA, "no runs.image"},
		{"no image", "runs:\n  using: node20\n", digestA, "no runs.image"},
		{"block scalar", "runs:\n  image: |\n    Dockerfile\n", digestA, "not a one-line scalar"},
		{"not YAML", "runs: [\n", digestA, "parsing action.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := action.PinImage([]byte(tt.data), tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want an error with %q, have %v", tt.want, err)
			}
		})
	}
}

func TestPinnedRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image, want string
	}{
		{"docker://" + digestA, digestA},
		{"docker://localhost:5000/a/b@sha256:" + strings.Repeat("a", 64), "localhost:5000/a/b@sha256:" + strings.Repeat("a", 64)},
		{"Dockerfile", ""},
		{"../../Dockerfile", ""},
		{"docker://ghcr.io/ferry-ci/ferry:v1", ""},
		{digestA, ""},
		{"docker://" + digestA + " ", ""},
	}
	for _, tt := range tests {
		have, ok := action.PinnedRef(tt.image)
		if have != tt.want || ok != (tt.want != "") {
			t.Errorf("PinnedRef(%q): want %q, %v; have %q, %v", tt.image, tt.want, tt.want != "", have, ok)
		}
	}
}

func TestPinGitLabImage(t *testing.T) {
	t.Parallel()
	generated, err := action.GitLabComponent(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	if have, err := action.GitLabImageDefault(generated); err != nil || have != action.GitLabImage {
		t.Fatalf("generated image default: want %q, have %q (%v)", action.GitLabImage, have, err)
	}
	if ref, ok := action.PinnedGitLabRef(generated); ok {
		t.Errorf("PinnedGitLabRef(generated): want false, have %q", ref)
	}
	pinned, err := action.PinGitLabImage(generated, digestA)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Replace(generated, []byte("      default: "+action.GitLabImage+"\n"), []byte("      default: "+digestA+"\n"), 1)
	if bytes.Equal(want, generated) {
		t.Fatal("the generated component has no `default: " + action.GitLabImage + "` line; update the test")
	}
	if !bytes.Equal(pinned, want) {
		t.Errorf("pinned: want only the image default changed:\n%s\nhave:\n%s", want, pinned)
	}
	if ref, ok := action.PinnedGitLabRef(pinned); !ok || ref != digestA {
		t.Errorf("PinnedGitLabRef(pinned): want %q, true; have %q, %v", digestA, ref, ok)
	}
	again, err := action.PinGitLabImage(pinned, digestB)
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Replace(pinned, []byte(digestA), []byte(digestB), 1); !bytes.Equal(again, want) {
		t.Errorf("re-pinned: want only the digest changed, have:\n%s", again)
	}
}

func TestPinGitLabImageShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, err string
	}{
		{"hand-written flow, quoted, description first", "spec:\n  inputs:\n    image:\n      description: Image.\n      default: 'x:dev'\n    audience:\n      default: sts\n---\njob:\n  image: $[[ inputs.image ]]\n",
			"spec:\n  inputs:\n    image:\n      description: Image.\n      default: " + digestA + "\n    audience:\n      default: sts\n---\njob:\n  image: $[[ inputs.image ]]\n", ""},
		{"CRLF", "spec:\r\n  inputs:\r\n    image:\r\n      default: x\r\n", "spec:\r\n  inputs:\r\n    image:\r\n      default: " + digestA + "\r\n", ""},
		{"no image input", "spec:\n  inputs:\n    stage:\n      default: deploy\n---\njob: {}\n", "", "no spec:inputs:image:default"},
		{"multi-line default", "spec:\n  inputs:\n    image:\n      default: |\n        x\n        y\n", "", "not a one-line scalar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := action.PinGitLabImage([]byte(tt.in), digestA)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("want an error with %q, have %v", tt.err, err)
				}
				return
			}
			if err != nil || string(have) != tt.want {
				t.Errorf("want:\n%q\nhave:\n%q (%v)", tt.want, have, err)
			}
		})
	}
	if _, err := action.PinGitLabImage([]byte("spec:\n  inputs:\n    image:\n      default: x\n"), "ghcr.io/ferry-ci/ferry:v1-gitlab"); err == nil || !strings.Contains(err.Error(), "want an image by digest") {
		t.Errorf("pinning to a tag: want a refusal, have %v", err)
	}
}
