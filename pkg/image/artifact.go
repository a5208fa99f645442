package image

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Artifact is what a source produces and a publisher pushes: exactly one of
// a single image or an index of images (one per platform).
type Artifact struct {
	Image v1.Image
	Index v1.ImageIndex
}

// ErrEmptyArtifact is returned for an Artifact with neither field set.
var ErrEmptyArtifact = errors.New("artifact holds no image and no index")

// Digest is the digest of the artifact's manifest: the image's, or the index's.
func (a Artifact) Digest() (v1.Hash, error) {
	switch {
	case a.Index != nil:
		return a.Index.Digest()
	case a.Image != nil:
		return a.Image.Digest()
	}
	return v1.Hash{}, ErrEmptyArtifact
}

// Platforms lists the platforms the artifact serves: each manifest of an
// index that names one, or the single image's OS and architecture.
func (a Artifact) Platforms() ([]v1.Platform, error) {
	switch {
	case a.Index != nil:
		m, err := a.Index.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index manifest: %w", err)
		}
		var out []v1.Platform
		for _, d := range m.Manifests {
			if d.Platform != nil {
				out = append(out, *d.Platform)
			}
		}
		return out, nil
	case a.Image != nil:
		cf, err := a.Image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading image config: %w", err)
		}
		return []v1.Platform{{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}}, nil
	}
	return nil, ErrEmptyArtifact
}
