package image

import (
	"os"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// tempDir is a temporary directory removed (by a cleanup registered on it)
// once nothing refers to it. Everything read from the directory holds it.
type tempDir struct{ path string }

// tempDirImage is an image read from a tempDir; it keeps the directory alive.
// A layer taken from it does not: read layers while holding the image (as
// mutate and remote.Write do).
type tempDirImage struct {
	v1.Image
	dir *tempDir
}

// tempDirIndex is an index read from a tempDir; it keeps the directory alive
// and so do the images and indexes taken from it.
type tempDirIndex struct {
	idx v1.ImageIndex
	dir *tempDir
}

var _ v1.ImageIndex = (*tempDirIndex)(nil)

func (i *tempDirIndex) MediaType() (types.MediaType, error)       { return i.idx.MediaType() }
func (i *tempDirIndex) Digest() (v1.Hash, error)                  { return i.idx.Digest() }
func (i *tempDirIndex) Size() (int64, error)                      { return i.idx.Size() }
func (i *tempDirIndex) IndexManifest() (*v1.IndexManifest, error) { return i.idx.IndexManifest() }
func (i *tempDirIndex) RawManifest() ([]byte, error)              { return i.idx.RawManifest() }

func (i *tempDirIndex) Image(h v1.Hash) (v1.Image, error) {
	img, err := i.idx.Image(h)
	if err != nil {
		return nil, err
	}
	return &tempDirImage{Image: img, dir: i.dir}, nil
}

func (i *tempDirIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	idx, err := i.idx.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return &tempDirIndex{idx: idx, dir: i.dir}, nil
}

// newTempDir takes ownership of the directory at path: it is removed once
// the returned *tempDir, and so everything holding it, is unreachable.
func newTempDir(path string) *tempDir {
	d := &tempDir{path: path}
	runtime.AddCleanup(d, func(path string) { _ = os.RemoveAll(path) }, path)
	return d
}

// keepDir returns a with its image or index holding d.
func keepDir(a Artifact, d *tempDir) Artifact {
	if a.Index != nil {
		return Artifact{Index: &tempDirIndex{idx: a.Index, dir: d}}
	}
	return Artifact{Image: &tempDirImage{Image: a.Image, dir: d}}
}
