package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// FromRemote reads the image or index ref from its registry, for promoting
// what is already built: an index stays an index with every platform, and
// nothing is re-serialised, so the digest is unchanged. opts carry
// authentication and transport; ctx bounds every request.
func FromRemote(ctx context.Context, ref string, opts ...remote.Option) (Artifact, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return Artifact{}, err
	}
	desc, err := remote.Get(r, append(opts[:len(opts):len(opts)], remote.WithContext(ctx))...)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading %q from its registry: %w", ref, err)
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return Artifact{}, fmt.Errorf("reading index %q: %w", ref, err)
		}
		return Artifact{Index: idx}, nil
	case desc.MediaType.IsSchema1():
		return Artifact{}, fmt.Errorf("reading %q: want an image or an index, have a schema 1 manifest (%s), which cannot be pushed unchanged", ref, desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		return Artifact{}, fmt.Errorf("reading image %q: %w", ref, err)
	}
	return Artifact{Image: img}, nil
}
