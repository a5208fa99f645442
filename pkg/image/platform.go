package image

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// baseImage is the base image for one platform.
type baseImage struct {
	platform v1.Platform
	image    v1.Image
}

// bases are the base images a build starts from, and the media type of the
// index to assemble them in ("" for a single image).
type bases struct {
	images    []baseImage
	indexType types.MediaType
}

// selectBases picks the base image for each wanted platform: every platform
// of an index (or the single image) when want is empty.

// ErrPlatformNotInBase is wrapped by Build when a requested platform is not
// one the base image serves (or matches several of its images).
var ErrPlatformNotInBase = errors.New("platform not served by the base image")

func selectBases(base Artifact, want []v1.Platform) (bases, error) {
	switch {
	case base.Index != nil:
		return selectFromIndex(base.Index, want)
	case base.Image != nil:
		return selectImage(base.Image, want)
	}
	return bases{}, fmt.Errorf("base: %w", ErrEmptyArtifact)
}

func selectImage(img v1.Image, want []v1.Platform) (bases, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return bases{}, fmt.Errorf("reading base image config: %w", err)
	}
	have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
	var missing []string
	for _, w := range want {
		if !platformMatches(w, have) {
			missing = append(missing, fmt.Sprintf("%q", w.String()))
		}
	}
	if len(missing) > 0 {
		return bases{}, fmt.Errorf("%w: %s; it is a single image for %s", ErrPlatformNotInBase, strings.Join(missing, ", "), platformName(have))
	}
	return bases{images: []baseImage{{platform: have, image: img}}}, nil
}

func selectFromIndex(idx v1.ImageIndex, want []v1.Platform) (bases, error) {
	mt, err := idx.MediaType()
	if err != nil {
		return bases{}, fmt.Errorf("reading base index media type: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return bases{}, fmt.Errorf("reading base index: %w", err)
	}
	var candidates []v1.Descriptor
	for _, d := range m.Manifests {
		if d.MediaType.IsImage() && d.Platform != nil && d.Platform.OS != "unknown" && d.Platform.OS != "" {
			candidates = append(candidates, d)
		}
	}
	var have []v1.Platform
	for _, d := range candidates {
		have = append(have, *d.Platform)
	}
	if len(candidates) == 0 {
		return bases{}, errors.New("base index has no image with a platform")
	}

	chosen := candidates
	if len(want) > 0 {
		chosen = nil
		var missing, ambiguous []string
		for _, w := range want {
			d, n := pickDescriptor(candidates, w)
			switch n {
			case 0:
				missing = append(missing, fmt.Sprintf("%q", w.String()))
			case 1:
				chosen = append(chosen, d)
			default:
				ambiguous = append(ambiguous, fmt.Sprintf("%q", w.String()))
			}
		}
		var errs []error
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%w: %s; it has %s", ErrPlatformNotInBase, strings.Join(missing, ", "), platformList(have)))
		}
		if len(ambiguous) > 0 {
			errs = append(errs, fmt.Errorf("%w: platform %s matches several of its images (%s): name the variant", ErrPlatformNotInBase, strings.Join(ambiguous, ", "), platformList(have)))
		}
		if err := errors.Join(errs...); err != nil {
			return bases{}, err
		}
	}

	out := bases{indexType: mt}
	for _, d := range chosen {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return bases{}, fmt.Errorf("reading base image %s for %s: %w", d.Digest, platformName(*d.Platform), err)
		}
		out.images = append(out.images, baseImage{platform: *d.Platform, image: img})
	}
	return out, nil
}

// pickDescriptor returns the descriptor matching w and how many match; an
// exact variant match wins over a loose one.
func pickDescriptor(candidates []v1.Descriptor, w v1.Platform) (v1.Descriptor, int) {
	var matches []v1.Descriptor
	for _, d := range candidates {
		if platformMatches(w, *d.Platform) {
			matches = append(matches, d)
		}
	}
	if len(matches) > 1 {
		for _, d := range matches {
			if d.Platform.Variant == w.Variant {
				return d, 1
			}
		}
	}
	if len(matches) == 1 {
		return matches[0], 1
	}
	return v1.Descriptor{}, len(matches)
}

// platformMatches reports whether have serves want: same OS and architecture,
// and the same variant and OS version when want names them ("linux/arm64"
// and "linux/arm64/v8" are the same).
func platformMatches(want, have v1.Platform) bool {
	if want.OS != have.OS || want.Architecture != have.Architecture {
		return false
	}
	if want.OSVersion != "" && want.OSVersion != have.OSVersion {
		return false
	}
	return want.Variant == "" || normalVariant(want) == normalVariant(have)
}

func normalVariant(p v1.Platform) string {
	if p.Architecture == "arm64" && p.Variant == "" {
		return "v8"
	}
	return p.Variant
}

func platformName(p v1.Platform) string {
	if s := p.String(); s != "" {
		return s
	}
	return "(no platform)"
}

func platformList(ps []v1.Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = platformName(p)
	}
	return strings.Join(names, ", ")
}
