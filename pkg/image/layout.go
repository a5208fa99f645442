package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// refNameAnnotation names a descriptor in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// FromLayout reads the image or index in the OCI image layout at dir. Its
// index.json must hold exactly one descriptor: an image manifest yields an
// Artifact with Image, an index an Artifact with Index (kept whole, every
// platform, digest unchanged). Blobs are read from dir on demand.
func FromLayout(dir string) (Artifact, error) {
	a, err := fromLayout(dir)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading OCI layout %q: %w", dir, err)
	}
	return a, nil
}

func fromLayout(dir string) (Artifact, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return Artifact{}, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return Artifact{}, fmt.Errorf("reading index.json: %w", err)
	}
	if len(m.Manifests) != 1 {
		descs := make([]string, 0, len(m.Manifests))
		for _, d := range m.Manifests {
			s := d.Digest.String()
			if n := d.Annotations[refNameAnnotation]; n != "" {
				s += fmt.Sprintf(" (%s %q)", refNameAnnotation, n)
			}
			descs = append(descs, s)
		}
		list := "none"
		if len(descs) > 0 {
			list = strings.Join(descs, ", ")
		}
		return Artifact{}, fmt.Errorf("index.json: want exactly one descriptor, have %d: %s", len(m.Manifests), list)
	}
	d := m.Manifests[0]
	switch {
	case d.MediaType.IsImage():
		img, err := idx.Image(d.Digest)
		if err != nil {
			return Artifact{}, fmt.Errorf("reading image %s: %w", d.Digest, err)
		}
		return Artifact{Image: img}, nil
	case d.MediaType.IsIndex():
		ii, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return Artifact{}, fmt.Errorf("reading index %s: %w", d.Digest, err)
		}
		return Artifact{Index: ii}, nil
	}
	return Artifact{}, fmt.Errorf("index.json: descriptor %s: want an image manifest or an index, have media type %q", d.Digest, d.MediaType)
}
