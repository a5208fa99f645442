package commands_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/commands"
)

func TestSpecsAreValid(t *testing.T) {
	t.Parallel()
	for _, s := range commands.Specs() {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
	}
}

// TestGeneratedFilesAreCurrent fails when an action.yml or a README table
// no longer matches the Go declarations.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	files, err := commands.Generated(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		have, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./...)", path, err)
			continue
		}
		if !sameGenerated(have, want) {
			t.Errorf("%s is stale: run go generate ./...", path)
		}
	}
}

// sameGenerated reports whether a file on disk is the generated one: byte
// for byte or, for an action.yml or a GitLab component of a release commit
// (internal/pinimage), once the generated file is pinned to the same
// published image.
func sameGenerated(have, want []byte) bool {
	if bytes.Equal(have, want) {
		return true
	}
	if ref, ok := action.PinnedGitLabRef(have); ok {
		pinned, err := action.PinGitLabImage(want, ref)
		return err == nil && bytes.Equal(have, pinned)
	}
	f, err := action.ParseActionFile(have)
	if err != nil {
		return false
	}
	ref, ok := action.PinnedRef(f.Runs.Image)
	if !ok {
		return false
	}
	pinned, err := action.PinImage(want, ref)
	return err == nil && bytes.Equal(have, pinned)
}

// TestGeneratedFilesAcceptPinnedImages: a release commit's action.yml files
// name the published image by digest instead of the Dockerfile, and are
// current; any other difference is still stale.
func TestGeneratedFilesAcceptPinnedImages(t *testing.T) {
	t.Parallel()
	files, err := commands.Generated(actiontest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	const ref = "ghcr.io/ferry-ci/ferry@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	checked := map[string]int{}
	for path, want := range files {
		pin := action.PinImage
		switch {
		case filepath.Base(path) == "action.yml":
		case filepath.Dir(path) == "templates":
			pin = action.PinGitLabImage
		default:
			continue
		}
		checked[filepath.Ext(path)]++
		pinned, err := pin(want, ref)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !sameGenerated(pinned, want) {
			t.Errorf("%s pinned to %s: want current, have stale", path, ref)
		}
		drifted := bytes.Replace(pinned, []byte("description: "), []byte("description: changed "), 1)
		if sameGenerated(drifted, want) {
			t.Errorf("%s pinned and drifted: want stale, have current", path)
		}
		byTag := bytes.Replace(pinned, []byte(ref), []byte("ghcr.io/ferry-ci/ferry:v1"), 1)
		if sameGenerated(byTag, want) {
			t.Errorf("%s pointing at an image by tag: want stale, have current", path)
		}
	}
	if checked[".yml"] < 2*len(commands.Specs()) {
		t.Fatalf("want every action.yml and GitLab component checked, have %v", checked)
	}
}

// TestGitLabComponentsImage: on main every component, generated or flow,
// defaults to the developer build's GitLab job image (action.GitLabImage,
// make image-load); in a release commit all name one image by digest.
func TestGitLabComponentsImage(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(actiontest.Root(t), "templates", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	images := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := action.GitLabImageDefault(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		images[img] = append(images[img], filepath.Base(f))
	}
	if len(files) < len(commands.Specs())+2 {
		t.Errorf("templates: want every command's component and the two flows, have %d files", len(files))
	}
	for img, names := range images {
		if _, pinned := action.PinnedGitLabRef([]byte("spec: {inputs: {image: {default: '" + img + "'}}}")); img != action.GitLabImage && !pinned {
			t.Errorf("%v default to %q: want %q on main or an image by digest in a release commit", names, img, action.GitLabImage)
		}
	}
	if len(images) > 1 {
		t.Errorf("the components disagree on their image: %v", images)
	}
}

// TestRunnerContract reads each action.yml as the runner would and checks it
// against the Go declaration, independently of the generator.
func TestRunnerContract(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	images := map[string][]string{} // runs.image: the files naming it
	for _, s := range commands.Specs() {
		data, err := os.ReadFile(filepath.Join(root, "actions", s.Name, "action.yml"))
		if err != nil {
			t.Errorf("action %q: %v", s.Name, err)
			continue
		}
		if err := action.CheckActionYAML(data, s); err != nil {
			t.Errorf("actions/%s/action.yml: %v", s.Name, err)
		}
		img := runsImage(t, data, "../../Dockerfile")
		images[img] = append(images[img], "actions/"+s.Name)
		readme, err := os.ReadFile(filepath.Join(root, "actions", s.Name, "README.md"))
		if err != nil {
			t.Errorf("action %q: %v", s.Name, err)
			continue
		}
		for _, section := range []string{"## IAM policy", action.TableBegin} {
			if !strings.Contains(string(readme), section) {
				t.Errorf("actions/%s/README.md lacks %q", s.Name, section)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := action.CheckRootActionYAML(data, commands.Specs()); err != nil {
		t.Errorf("action.yml: %v", err)
	}
	img := runsImage(t, data, "Dockerfile")
	images[img] = append(images[img], "the root")
	// All build the Dockerfile, or (a release commit) all run one image.
	if len(images) > 1 {
		t.Errorf("action.yml files disagree on runs.image: %v", images)
	}
	// Every action directory belongs to a declared command.
	entries, err := os.ReadDir(filepath.Join(root, "actions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := find(commands.Specs(), e.Name()); !ok && e.IsDir() {
			t.Errorf("actions/%s has no Go declaration", e.Name())
		}
	}
}

// TestRunnerContractCatchesDrift proves the check can fail: a copy of a real
// action.yml with one input renamed, one default changed and one required
// flag flipped is rejected on each count.
func TestRunnerContractCatchesDrift(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	spec, _ := find(commands.Specs(), "whoami")
	data, err := os.ReadFile(filepath.Join(root, "actions", "whoami", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.NewReplacer(
		"  audience:\n", "  audiences:\n",
		"default: 2m", "default: 5m",
		"  aws-region:\n    description: AWS region, e.g. eu-west-1. Falls back to AWS_REGION (or AWS_DEFAULT_REGION).\n    required: false",
		"  aws-region:\n    description: AWS region, e.g. eu-west-1. Falls back to AWS_REGION (or AWS_DEFAULT_REGION).\n    required: true",
	).Replace(string(data))
	if broken == string(data) {
		t.Fatal("the fixture edits did not apply; update the test")
	}
	err = action.CheckActionYAML([]byte(broken), spec)
	if err == nil {
		t.Fatal("CheckActionYAML accepted a drifted action.yml")
	}
	for _, want := range []string{
		`input "audiences": in action.yml but not declared in Go`,
		`input "audience": declared in Go but missing from action.yml`,
		`input "timeout": action.yml has default "5m", Go declares "2m"`,
		`input "aws-region": action.yml has required true, Go declares false`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// runsImage returns an action.yml's runs.image, "Dockerfile" for the
// repository's Dockerfile (at dockerfile, relative to the action) or the
// image reference it pins; it fails t for anything else.
func runsImage(t *testing.T, data []byte, dockerfile string) string {
	t.Helper()
	f, err := action.ParseActionFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Runs.Image == dockerfile {
		return "Dockerfile"
	}
	if ref, ok := action.PinnedRef(f.Runs.Image); ok {
		return ref
	}
	t.Errorf("runs.image: want %q or docker://<image>@sha256:<digest>, have %q", dockerfile, f.Runs.Image)
	return f.Runs.Image
}

func find(specs []action.Spec, name string) (action.Spec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s, true
		}
	}
	return action.Spec{}, false
}
