package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BuildOptions describe a daemonless build: files and config on top of a
// base image, for one or more platforms.
type BuildOptions struct {
	// Base is the image or index to build on.
	Base Artifact
	// Files are added to every platform's image in one layer.
	Files []File
	// Entrypoint and Cmd replace the base's when not empty. As with a
	// Dockerfile ENTRYPOINT, a new Entrypoint without a Cmd clears the
	// base's Cmd.
	Entrypoint, Cmd []string
	// Env holds KEY=VALUE entries: a KEY the base sets is overridden in
	// place, a new KEY is appended.
	Env []string
	// Workdir, when not empty, is the absolute working directory.
	Workdir string
	// Labels are added to the base's labels; a key the base sets is
	// overridden. The OCI annotation keys (org.opencontainers.image.source,
	// .version, .revision …) are the usual ones.
	Labels map[string]string
	// Platforms to build. Empty means every platform of a base index, or the
	// single base image's.
	Platforms []v1.Platform
	// Epoch is every timestamp the build writes (layer file mtimes, config
	// created, history), truncated to the second; zero means the Unix epoch.
	// See EpochFromEnv.
	Epoch time.Time
	// CompressionLevel is the gzip level of the files layer, from
	// gzip.BestSpeed (1, used when zero) to gzip.BestCompression (9): a
	// release image trades build time for a smaller pull.
	CompressionLevel int
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
}

// Build adds o.Files and the config in o on top of the base image for each requested
// platform, without a Docker daemon. The same inputs give the same digest.
//
// A base index yields an index (of the base's media type: OCI index or
// Docker manifest list) with one image per platform, each descriptor
// carrying the base's platform; a single-image base yields an image.
func Build(ctx context.Context, o BuildOptions) (Artifact, error) {
	a, err := build(ctx, o)
	if err != nil {
		return Artifact{}, fmt.Errorf("building image: %w", err)
	}
	return a, nil
}

func build(ctx context.Context, o BuildOptions) (Artifact, error) {
	if err := o.validate(); err != nil {
		return Artifact{}, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	epoch := o.Epoch
	if epoch.IsZero() {
		epoch = time.Unix(0, 0)
	}
	epoch = epoch.UTC().Truncate(time.Second)

	bases, err := selectBases(o.Base, o.Platforms)
	if err != nil {
		return Artifact{}, err
	}
	tarBytes, err := filesLayerTar(ctx, o.Files, epoch)
	if err != nil {
		return Artifact{}, err
	}
	layers := layerCache{tar: tarBytes, level: o.CompressionLevel}
	history := v1.History{
		Created:    v1.Time{Time: epoch},
		CreatedBy:  createdBy(o),
		EmptyLayer: tarBytes == nil,
	}

	built := make([]v1.Image, len(bases.images))
	for i, b := range bases.images {
		if err := ctx.Err(); err != nil {
			return Artifact{}, err
		}
		log.DebugContext(ctx, "building image", "platform", b.platform.String())
		img, err := buildOne(b.image, &layers, history, o, epoch)
		if err != nil {
			return Artifact{}, fmt.Errorf("platform %q: %w", b.platform.String(), err)
		}
		built[i] = img
	}

	if bases.indexType == "" {
		return Artifact{Image: built[0]}, nil
	}
	adds := make([]mutate.IndexAddendum, len(built))
	for i, img := range built {
		p := bases.images[i].platform
		adds[i] = mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, bases.indexType), adds...)
	if _, err := idx.Digest(); err != nil {
		return Artifact{}, fmt.Errorf("computing index: %w", err)
	}
	return Artifact{Index: idx}, nil
}

func (o BuildOptions) validate() error {
	var errs []error
	if o.Base.Image == nil && o.Base.Index == nil {
		errs = append(errs, fmt.Errorf("base: %w", ErrEmptyArtifact))
	}
	for _, f := range o.Files {
		if f.Src == "" {
			errs = append(errs, fmt.Errorf("file %q: want a source path, have none", f.Dest))
		}
		if !path.IsAbs(f.Dest) {
			errs = append(errs, fmt.Errorf("file %q: want an absolute destination, have %q", f.Src, f.Dest))
		}
	}
	for _, kv := range o.Env {
		switch k, _, ok := strings.Cut(kv, "="); {
		case !ok:
			errs = append(errs, fmt.Errorf("env %q: want KEY=VALUE, have no '='", kv))
		case k == "":
			errs = append(errs, fmt.Errorf("env %q: want KEY=VALUE, have an empty KEY", kv))
		}
	}
	seen := map[string]bool{}
	for _, p := range o.Platforms {
		if seen[p.String()] {
			errs = append(errs, fmt.Errorf("platform %q: listed more than once", p.String()))
		}
		seen[p.String()] = true
	}
	if o.Workdir != "" && !path.IsAbs(o.Workdir) {
		errs = append(errs, fmt.Errorf("workdir %q: want an absolute path", o.Workdir))
	}
	if _, ok := o.Labels[""]; ok {
		errs = append(errs, errors.New("labels: want non-empty keys, have an empty one"))
	}
	if o.CompressionLevel < 0 || o.CompressionLevel > gzip.BestCompression {
		errs = append(errs, fmt.Errorf("compression level: want 1 to %d (0 for %d), have %d", gzip.BestCompression, gzip.BestSpeed, o.CompressionLevel))
	}
	return errors.Join(errs...)
}

// createdBy describes the build step in the image history. It names only
// in-image paths, so the history does not depend on where the build ran.
func createdBy(o BuildOptions) string {
	if len(o.Files) == 0 {
		return "ferry build: config"
	}
	dests := make([]string, len(o.Files))
	for i, f := range o.Files {
		dests[i] = f.Dest
	}
	return "ferry build: add " + strings.Join(dests, " ")
}

// layerCache holds the files layer, one v1.Layer per media type (Docker or
// OCI, following each base image) over the same tar.
type layerCache struct {
	tar    []byte
	level  int // gzip level; 0 is gzip.BestSpeed
	layers map[types.MediaType]v1.Layer
}

func (c *layerCache) layer(mt types.MediaType) (v1.Layer, error) {
	if c.tar == nil {
		return nil, nil
	}
	if l, ok := c.layers[mt]; ok {
		return l, nil
	}
	level := c.level
	if level == 0 {
		level = gzip.BestSpeed
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(c.tar)), nil
	}, tarball.WithMediaType(mt), tarball.WithCompressedCaching, tarball.WithCompressionLevel(level))
	if err != nil {
		return nil, fmt.Errorf("creating the files layer: %w", err)
	}
	if c.layers == nil {
		c.layers = map[types.MediaType]v1.Layer{}
	}
	c.layers[mt] = l
	return l, nil
}

// buildOne appends the files layer and the config to one base image.
func buildOne(base v1.Image, layers *layerCache, h v1.History, o BuildOptions, epoch time.Time) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading base media type: %w", err)
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	l, err := layers.layer(layerType)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, History: h})
	if err != nil {
		return nil, fmt.Errorf("appending the files layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading base config: %w", err)
	}
	cfg := cf.Config
	if len(o.Entrypoint) > 0 {
		cfg.Entrypoint = slices.Clone(o.Entrypoint)
		if len(o.Cmd) == 0 {
			cfg.Cmd = nil
		}
	}
	if len(o.Cmd) > 0 {
		cfg.Cmd = slices.Clone(o.Cmd)
	}
	cfg.Env = mergeEnv(cfg.Env, o.Env)
	if o.Workdir != "" {
		cfg.WorkingDir = o.Workdir
	}
	if len(o.Labels) > 0 {
		labels := maps.Clone(cfg.Labels)
		if labels == nil {
			labels = make(map[string]string, len(o.Labels))
		}
		maps.Copy(labels, o.Labels)
		cfg.Labels = labels
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: epoch}); err != nil {
		return nil, fmt.Errorf("setting created time: %w", err)
	}
	// Computing the digest now reports a broken base here, not mid-push.
	if _, err := img.Digest(); err != nil {
		return nil, fmt.Errorf("computing image: %w", err)
	}
	return img, nil
}

// mergeEnv returns base with each KEY=VALUE of add overriding the same KEY in
// place, or appended when base lacks it.
func mergeEnv(base, add []string) []string {
	if len(add) == 0 {
		return base
	}
	out := slices.Clone(base)
	pos := make(map[string]int, len(out))
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		pos[k] = i
	}
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := pos[k]; ok {
			out[i] = kv
			continue
		}
		pos[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// EpochFromEnv returns the build timestamp: SOURCE_DATE_EPOCH (Unix seconds)
// when set, else the Unix epoch. A nil getenv reads the process environment.
func EpochFromEnv(getenv func(string) string) (time.Time, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	v := strings.TrimSpace(getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: want Unix seconds (a non-negative integer), have %q", v)
	}
	return time.Unix(n, 0).UTC(), nil
}
