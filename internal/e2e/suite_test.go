package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-ci/ferry/internal/engine"
)

// release is what the suite builds once: the release image on a loopback
// registry, and a copy of the repository pinned to it by the release script.
type release struct {
	root   string // this repository
	work   string // the suite's scratch directory
	actBin string // the act binary
	runner string // the job image act runs jobs in (ubuntu-latest)
	tag    string // the version released
	image  string // the action image by digest, as the release pins it
	gitlab string // the GitLab job image by digest, as the release pins it
	pinned string // checkout of the release commit: ferry-ci/ferry@v1
}

// rel is set by TestMain, nil when no engine answers outside CI.
var rel *release

// skipReason says why rel is nil.
var skipReason string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	inCI := os.Getenv("CI") == "true"
	v, err := engine.Answers(ctx)
	if err != nil {
		if inCI {
			fmt.Fprintf(os.Stderr, "e2e: CI=true and %v: the suite needs a Docker engine (make test starts one: devstack exec -engine)\n", err)
			return 1
		}
		skipReason = fmt.Sprintf("no Docker engine (%v); make test starts one", err)
		return m.Run()
	}
	work, err := os.MkdirTemp("", "ferry-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(work)
	srv := httptest.NewServer(registry.New(registry.Logger(discardLogger())))
	defer srv.Close()
	start := time.Now()
	r, err := build(ctx, work, strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: setting up:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: docker engine %s; act %s; released %s as %s, pinned in %s (%.1fs)\n",
		v, actVersion(ctx, r.actBin), r.tag, r.image, r.pinned, time.Since(start).Seconds())
	rel = r
	code := m.Run()
	removeBuiltImages(context.Background())
	return code
}

// removeBuiltImages removes the images the flows' `docker build` steps
// tagged (ferry-build:<sha>), with their build layers, as an ephemeral
// runner would lose them; the job image stays, like a pulled image.
func removeBuiltImages(ctx context.Context) {
	out, err := run(ctx, "", nil, "docker", "images", "--filter", "reference=ferry-build", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		return
	}
	if refs := strings.Fields(out); len(refs) > 0 {
		_, _ = run(ctx, "", nil, "docker", append([]string{"image", "rm", "--force"}, refs...)...)
	}
}

// need returns the release, skipping the test outside CI when no engine
// answers (in CI, TestMain has failed already).
func need(t *testing.T) *release {
	t.Helper()
	if rel == nil {
		t.Skip(skipReason)
	}
	return rel
}

// build makes the release: the image, pushed to the registry at regHost,
// and the pinned copy; plus act and the job image.
func build(ctx context.Context, work, regHost string) (*release, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	r := &release{root: root, work: work, tag: "v1.0.0"}

	if r.actBin, err = toolPath(ctx, root, "act"); err != nil {
		return nil, err
	}
	if r.runner, err = jobImage(ctx); err != nil {
		return nil, fmt.Errorf("the job image: %w", err)
	}

	// The release images (the action's and GitLab's), by the release's own
	// builder, for this machine's platform only (the release builds arm64
	// too), pushed as the release pushes them.
	arch := runtime.GOARCH
	platform := "linux/" + arch
	if out, err := run(ctx, root, nil, "bash", ".github/scripts/fetch-busybox.sh", filepath.Join(root, "dist", "busybox"), arch); err != nil {
		return nil, fmt.Errorf("fetching busybox-static: %w\n%s", err, out)
	}
	actionDir, gitlabDir := filepath.Join(work, "image"), filepath.Join(work, "gitlab-image")
	if out, err := run(ctx, root, nil, "go", "run", "./internal/releaseimage", "-out", actionDir, "-gitlab-out", gitlabDir,
		"-busybox", platform+"="+filepath.Join(root, "dist", "busybox", arch),
		"-platforms", platform, "-run=false", "-version", r.tag); err != nil {
		return nil, fmt.Errorf("building the release images: %w\n%s", err, out)
	}
	if r.image, err = pushLayout(ctx, actionDir, regHost+"/ferry-ci/ferry:"+r.tag); err != nil {
		return nil, err
	}
	if r.gitlab, err = pushLayout(ctx, gitlabDir, regHost+"/ferry-ci/ferry:"+r.tag+"-gitlab"); err != nil {
		return nil, err
	}

	// The pinned copy, made by the release script.
	if r.pinned, err = pinnedCopy(ctx, root, work, r.tag, r.image, r.gitlab); err != nil {
		return nil, err
	}
	return r, nil
}

// pushLayout pushes the OCI layout's index to ref and returns ref's
// repository @ the index digest.
func pushLayout(ctx context.Context, dir, ref string) (string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return "", err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return "", err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "", err
	}
	if len(im.Manifests) != 1 {
		return "", fmt.Errorf("layout %s: want one index (the release's), have %d", dir, len(im.Manifests))
	}
	inner, err := idx.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		return "", err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(tag, inner, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := inner.Digest()
	if err != nil {
		return "", err
	}
	return tag.Context().Digest(d.String()).String(), nil
}

// pinnedCopy copies the working tree (tracked and untracked files that are
// not ignored) into a new repository whose remote holds tag on its only
// commit, and runs the release script there: the checkout is left on the
// release commit, every action.yml naming image, and every GitLab component
// gitlabImage, by digest.
func pinnedCopy(ctx context.Context, root, work, tag, image, gitlabImage string) (string, error) {
	out, err := run(ctx, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return "", fmt.Errorf("listing the working tree: %w\n%s", err, out)
	}
	dir := filepath.Join(work, "ferry")
	for _, f := range strings.Split(strings.TrimRight(out, "\x00"), "\x00") {
		if f == "" {
			continue
		}
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the working tree, not yet in the index
			}
			return "", err
		}
	}
	remoteDir := filepath.Join(work, "remote.git")
	env := gitEnv()
	for _, c := range [][]string{
		{"git", "init", "-q", "--bare", remoteDir},
		{"git", "-C", dir, "init", "-q", "-b", "main"},
		{"git", "-C", dir, "add", "-A"},
		{"git", "-C", dir, "commit", "-q", "-m", "source of " + tag},
		{"git", "-C", dir, "tag", "-a", "-m", tag, tag},
		{"git", "-C", dir, "remote", "add", "origin", remoteDir},
		{"git", "-C", dir, "push", "-q", "origin", "main", "refs/tags/" + tag},
	} {
		if out, err := run(ctx, "", env, c[0], c[1:]...); err != nil {
			return "", fmt.Errorf("%s: %w\n%s", strings.Join(c, " "), err, out)
		}
	}
	env = append(env, "TAG="+tag, "IMAGE="+image, "GITLAB_IMAGE="+gitlabImage, "REMOTE=origin")
	if out, err := run(ctx, dir, env, "bash", ".github/scripts/release-tags.sh"); err != nil {
		return "", fmt.Errorf("release-tags.sh: %w\n%s", err, out)
	}
	return dir, nil
}

func copyFile(from, to string) error {
	fi, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, fi.Mode().Perm())
}

// gitEnv is a git identity and no user or system configuration.
func gitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com",
	)
}

// toolPath builds a tool pinned in tools/go.mod and returns its path.
func toolPath(ctx context.Context, root, tool string) (string, error) {
	out, err := run(ctx, root, nil, "go", "tool", "-modfile=tools/go.mod", "-n", tool)
	if err != nil {
		return "", fmt.Errorf("go tool -n %s: %w\n%s", tool, err, out)
	}
	return strings.TrimSpace(out), nil
}

func actVersion(ctx context.Context, act string) string {
	out, err := run(ctx, "", nil, act, "--version")
	if err != nil {
		return "(unknown)"
	}
	return strings.TrimPrefix(strings.TrimSpace(out), "act version ")
}

// run runs a command and returns its combined output.
func run(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// repoRoot is the directory holding go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
