// Package ferryimagetest puts ferry's GitLab job image, built from this
// checkout for the host platform, into the real Docker Engine for tests
// that run jobs in it (gitlab-ci-local's docker executor).
package ferryimagetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/dockertest"
	"github.com/ferry-ci/ferry/internal/ferryimage"
	"github.com/ferry-ci/ferry/pkg/image"
)

// Version is what `ferry version` prints in the test image.
const Version = "v0.0.0-gitlab-test"

// Repository is the test image's repository: localhost, as the components'
// default (action.GitLabImage), so that no engine pulls it from a registry.
const Repository = "localhost/ferry-ci/ferry"

// built is the images of this test process: built and loaded once.
var built struct {
	once sync.Once
	refs Refs
	err  error
}

// Refs name the images in the engine.
type Refs struct {
	// Job is ferry's GitLab job image.
	Job string
	// Helper is the job image plus the host's bash, rsync and git with
	// their shared libraries, for gitlab-ci-local's --helper-image: it
	// copies artifacts out of a job's volume with a bash script (shopt
	// globstar) calling rsync, as its default helper image (on Docker Hub)
	// can. A GitLab runner copies with its own helper image, never the job
	// image, so the job image itself carries neither. With git it also
	// stands in for the gitflow component's git-image (alpine/git).
	Helper string
}

// GitLab returns the references of ferry's GitLab job image for the host
// platform (this checkout's ferry, static; Debian's busybox-static, fetched
// into dist/busybox by make busybox's script when missing) and of its
// helper variant in the engine, tagged by their digests:
// Repository:e2e-<12 hex>. Without an engine the test
// fails under CI and skips elsewhere (dockertest.RequireEngine); a missing
// busybox package fails it under CI and skips it elsewhere too.
func GitLab(t testing.TB) Refs {
	t.Helper()
	dockertest.RequireEngine(t)
	root := actiontest.Root(t)
	built.once.Do(func() { built.refs, built.err = build(root) })
	if built.err != nil {
		if os.Getenv("CI") == "" && isFetchError(built.err) {
			t.Skip(built.err)
		}
		t.Fatal(built.err)
	}
	return built.refs
}

// fetchError is a busybox package that could not be fetched (no apt).
type fetchError struct{ error }

func isFetchError(err error) bool {
	var f fetchError
	return errors.As(err, &f)
}

func build(root string) (Refs, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	bb, err := ferryimage.FetchBusybox(ctx, root, ferryimage.DebianArch(p))
	if err != nil {
		return Refs{}, fetchError{err}
	}
	work, err := os.MkdirTemp("", "ferry-gitlab-image-")
	if err != nil {
		return Refs{}, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "ferry")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+Version, "-o", bin, "./cmd/ferry")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return Refs{}, fmt.Errorf("go build for the GitLab image: %w\n%s", err, out)
	}
	ca := "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(ca); err != nil {
		ca = filepath.Join(work, "ca.crt") // the tests talk to loopback over HTTP
		if err := os.WriteFile(ca, nil, 0o644); err != nil {
			return Refs{}, err
		}
	}
	img, err := ferryimage.GitLab(ctx, ferryimage.Inputs{
		Platform: p,
		Binary:   bin,
		CACerts:  ca,
		Labels:   map[string]string{"org.opencontainers.image.version": Version},
		Epoch:    time.Unix(0, 0),
	}, bb, work)
	if err != nil {
		return Refs{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return Refs{}, err
	}
	refs := Refs{Job: Repository + ":e2e-" + d.Hex[:12]}
	if err := ferryimage.Load(ctx, refs.Job, img); err != nil {
		return Refs{}, err
	}
	files, err := hostFiles(ctx, "bash", "rsync", "git")
	if err != nil {
		return Refs{}, err
	}
	helper, err := image.Build(ctx, image.BuildOptions{Base: image.Artifact{Image: img}, Files: files})
	if err != nil {
		return Refs{}, err
	}
	if d, err = helper.Image.Digest(); err != nil {
		return Refs{}, err
	}
	refs.Helper = Repository + ":e2e-helper-" + d.Hex[:12]
	if err := ferryimage.Load(ctx, refs.Helper, helper.Image); err != nil {
		return Refs{}, err
	}
	return refs, nil
}

// hostFiles are the host's programs (found on PATH, put in /usr/bin) and
// the shared libraries ldd lists for them, at the same paths.
func hostFiles(ctx context.Context, programs ...string) ([]image.File, error) {
	var files []image.File
	var paths []string
	for _, prog := range programs {
		p, err := exec.LookPath(prog)
		if err != nil {
			return nil, fmt.Errorf("the helper image needs the host's %s: %w", prog, err)
		}
		files = append(files, image.File{Src: p, Dest: "/usr/bin/" + prog})
		paths = append(paths, p)
	}
	libs, err := SharedLibraries(ctx, paths...)
	if err != nil {
		return nil, err
	}
	for _, l := range libs {
		files = append(files, image.File{Src: l, Dest: l})
	}
	return files, nil
}

// SharedLibraries returns what ldd lists for the binaries, the dynamic
// loader included, each once; a static binary needs none. Images of the
// host's programs for tests (the GitLab helper image, the end-to-end
// suite's job image) carry them at the same paths.
func SharedLibraries(ctx context.Context, bins ...string) ([]string, error) {
	seen := map[string]bool{}
	var libs []string
	for _, bin := range bins {
		out, err := exec.CommandContext(ctx, "ldd", bin).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "not a dynamic executable") {
				continue
			}
			return nil, fmt.Errorf("ldd %s: %w: %s", bin, err, out)
		}
		for _, f := range strings.Fields(string(out)) {
			if strings.HasPrefix(f, "/") && !strings.HasSuffix(f, ":") && !seen[f] {
				seen[f] = true
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}
