package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/internal/ferryimage"
)

// refNameAnnotation names the index in the layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// options say what to build.
type options struct {
	Root      string        // the module to build: the repository root
	Platforms []v1.Platform // in index order
	Version   string        // -X main.version, and the version label
	Revision  string        // the revision label (a commit SHA)
	Source    string        // the source label (the repository URL)
	CACerts   string        // the CA bundle copied to ferryimage.CACertsPath
	Epoch     time.Time     // every timestamp in the image
	WorkDir   string        // where binaries are built
	// Busybox holds, for each platform (v1.Platform.String()), the
	// busybox-static package unpacked with dpkg-deb -R that the GitLab job
	// image is made with; none builds no GitLab image.
	Busybox map[string]string
}

// built is one platform's image and the binary in it.
type built struct {
	Platform v1.Platform
	Image    v1.Image
	Binary   string
}

// compile cross-compiles a static ferry for p into dir and returns its path.
func compile(ctx context.Context, o options, p v1.Platform) (string, error) {
	out := filepath.Join(o.WorkDir, "ferry-"+strings.ReplaceAll(p.String(), "/", "-"))
	// Everything that shapes the binary is set here, not taken from the
	// environment, so that anyone can rebuild the same bytes from the
	// commit with the go.mod toolchain: no VCS stamp (the revision is a
	// label), baseline instruction sets.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+o.Version,
		"-o", out, "./cmd/ferry")
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture,
		"GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=")
	if p.Architecture == "arm" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", p, err, b)
	}
	return out, nil
}

// labels are the OCI labels every image carries; the index carries them as
// annotations.
func labels(o options) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "ferry",
		"org.opencontainers.image.description": "Ship containerised apps to AWS from GitHub Actions, GitLab CI and the terminal",
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.created":     o.Epoch.UTC().Format(time.RFC3339),
	}
	if o.Source != "" {
		l["org.opencontainers.image.source"] = o.Source
	}
	if o.Revision != "" {
		l["org.opencontainers.image.revision"] = o.Revision
	}
	return l
}

// inputs are what both images of p are made of.
func inputs(o options, p v1.Platform, binary string) ferryimage.Inputs {
	return ferryimage.Inputs{Platform: p, Binary: binary, CACerts: o.CACerts, Labels: labels(o), Epoch: o.Epoch}
}

// buildImage puts binary and the CA bundle on a scratch base for p: the
// action image.
func buildImage(ctx context.Context, o options, p v1.Platform, binary string) (v1.Image, error) {
	return ferryimage.Action(ctx, inputs(o, p, binary))
}

// gitlabLabels are the GitLab job image's labels: the action image's, with
// its own title and description naming busybox.
func gitlabLabels(o options, bb ferryimage.Busybox) map[string]string {
	l := labels(o)
	l["org.opencontainers.image.title"] = "ferry-gitlab"
	l["org.opencontainers.image.description"] = "ferry and busybox " + bb.Version + " (Debian busybox-static): the job image of ferry's GitLab CI/CD components"
	return l
}

// buildGitLabImage builds the GitLab job image of p with binary and the
// busybox package unpacked at bbDir.
func buildGitLabImage(ctx context.Context, o options, p v1.Platform, binary, bbDir string) (v1.Image, ferryimage.Busybox, error) {
	bb, err := ferryimage.ReadBusybox(bbDir)
	if err != nil {
		return nil, bb, fmt.Errorf("%s: %w", p, err)
	}
	in := inputs(o, p, binary)
	in.Labels = gitlabLabels(o, bb)
	img, err := ferryimage.GitLab(ctx, in, bb, o.WorkDir)
	return img, bb, err
}

// index gathers the images, in order, into an OCI index annotated like them.
func index(l map[string]string, images []built) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, len(images))
	for i, b := range images {
		p := b.Platform
		adds[i] = mutate.IndexAddendum{Add: b.Image, Descriptor: v1.Descriptor{Platform: &p}}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	annotated, ok := mutate.Annotations(idx, l).(v1.ImageIndex)
	if !ok {
		return nil, errors.New("annotating the index: not an index")
	}
	return annotated, nil
}

// release is one image for every platform, and their index.
type release struct {
	Index  v1.ImageIndex
	Images []built
}

// assemble compiles ferry for every platform and builds the action image
// and, with o.Busybox, the GitLab job image of each.
func assemble(ctx context.Context, o options) (action, gitlab release, err error) {
	if len(o.Platforms) == 0 {
		return action, gitlab, errors.New("no platform to build")
	}
	var gitlabLabel map[string]string
	for _, p := range o.Platforms {
		bin, err := compile(ctx, o, p)
		if err != nil {
			return action, gitlab, err
		}
		img, err := buildImage(ctx, o, p, bin)
		if err != nil {
			return action, gitlab, err
		}
		action.Images = append(action.Images, built{Platform: p, Image: img, Binary: bin})
		if len(o.Busybox) == 0 {
			continue
		}
		dir, ok := o.Busybox[p.String()]
		if !ok {
			return action, gitlab, fmt.Errorf("%s: no busybox package for the GitLab image (-busybox)", p)
		}
		img, bb, err := buildGitLabImage(ctx, o, p, bin, dir)
		if err != nil {
			return action, gitlab, err
		}
		gitlab.Images = append(gitlab.Images, built{Platform: p, Image: img, Binary: bin})
		if gitlabLabel == nil {
			gitlabLabel = gitlabLabels(o, bb)
		}
	}
	if action.Index, err = index(labels(o), action.Images); err != nil {
		return action, gitlab, err
	}
	if gitlabLabel != nil {
		if gitlab.Index, err = index(gitlabLabel, gitlab.Images); err != nil {
			return action, gitlab, err
		}
	}
	return action, gitlab, nil
}

// writeLayout replaces the OCI layout at dir with one holding idx, named
// refName. It refuses to clear a directory that is not an OCI layout.
func writeLayout(dir string, idx v1.ImageIndex, refName string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%q is not empty and not an OCI layout: not replacing it", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: refName})); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// size is what pulling one image downloads.
type size struct {
	Manifest, Config, Layers int64
}

func (s size) Total() int64 { return s.Manifest + s.Config + s.Layers }

func imageSize(img v1.Image) (size, error) {
	var s size
	var err error
	if s.Manifest, err = img.Size(); err != nil {
		return s, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return s, err
	}
	s.Config = int64(len(cfg))
	layers, err := img.Layers()
	if err != nil {
		return s, err
	}
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return s, err
		}
		s.Layers += n
	}
	return s, nil
}

// megabytes formats n bytes in MB (10^6 bytes), as registries show sizes.
func megabytes(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
