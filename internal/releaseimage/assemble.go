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

	"github.com/ferry-ci/ferry/pkg/image"
)

// The image's layout, as the Dockerfile's "action" stage has it
// (TestDockerfileAgrees).
const (
	binaryPath  = "/ferry"
	caCertsPath = "/etc/ssl/certs/ca-certificates.crt"
)

var entrypoint = []string{binaryPath}

// refNameAnnotation names the index in the layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// options say what to build.
type options struct {
	Root      string        // the module to build: the repository root
	Platforms []v1.Platform // in index order
	Version   string        // -X main.version, and the version label
	Revision  string        // the revision label (a commit SHA)
	Source    string        // the source label (the repository URL)
	CACerts   string        // the CA bundle copied to caCertsPath
	Epoch     time.Time     // every timestamp in the image
	WorkDir   string        // where binaries are built
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

// scratch is an empty OCI image for p: no layers, only the platform.
func scratch(p v1.Platform) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	return mutate.ConfigFile(img, cf)
}

// buildImage puts binary and the CA bundle on a scratch base for p.
func buildImage(ctx context.Context, o options, p v1.Platform, binary string) (v1.Image, error) {
	base, err := scratch(p)
	if err != nil {
		return nil, fmt.Errorf("scratch base for %s: %w", p, err)
	}
	a, err := image.Build(ctx, image.BuildOptions{
		Base: image.Artifact{Image: base},
		Files: []image.File{
			{Src: binary, Dest: binaryPath},
			{Src: o.CACerts, Dest: caCertsPath},
		},
		Entrypoint: entrypoint,
		Labels:     labels(o),
		Epoch:      o.Epoch,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return a.Image, nil
}

// index gathers the images, in order, into an OCI index annotated like them.
func index(o options, images []built) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, len(images))
	for i, b := range images {
		p := b.Platform
		adds[i] = mutate.IndexAddendum{Add: b.Image, Descriptor: v1.Descriptor{Platform: &p}}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	annotated, ok := mutate.Annotations(idx, labels(o)).(v1.ImageIndex)
	if !ok {
		return nil, errors.New("annotating the index: not an index")
	}
	return annotated, nil
}

// assemble compiles and builds every platform and returns the index and
// its images.
func assemble(ctx context.Context, o options) (v1.ImageIndex, []built, error) {
	if len(o.Platforms) == 0 {
		return nil, nil, errors.New("no platform to build")
	}
	var images []built
	for _, p := range o.Platforms {
		bin, err := compile(ctx, o, p)
		if err != nil {
			return nil, nil, err
		}
		img, err := buildImage(ctx, o, p, bin)
		if err != nil {
			return nil, nil, err
		}
		images = append(images, built{Platform: p, Image: img, Binary: bin})
	}
	idx, err := index(o, images)
	if err != nil {
		return nil, nil, err
	}
	return idx, images, nil
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
