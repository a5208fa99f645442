package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// FromTarball reads the image in a tar file: either a "docker save" tarball
// (it holds manifest.json) or an OCI archive (a tar of an OCI image layout:
// index.json and oci-layout). A tarball with both, as newer "docker save"
// writes, is read as a "docker save" tarball. A "docker save" tarball must
// hold exactly one image.
//
// A "docker save" image is read from path on demand, so the file must stay in
// place until the artifact has been pushed. An OCI archive is extracted to a
// temporary directory that is removed once the artifact (and every image or
// index taken from it) is no longer referenced.
func FromTarball(path string) (Artifact, error) {
	kind, err := tarballKind(path)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading tarball %q: %w", path, err)
	}
	var a Artifact
	switch kind {
	case kindDockerSave:
		a, err = fromDockerSave(path)
	case kindOCIArchive:
		a, err = fromOCIArchive(path)
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("reading tarball %q: %w", path, err)
	}
	return a, nil
}

type tarKind int

const (
	kindDockerSave tarKind = iota + 1
	kindOCIArchive
)

// tarballKind tells a "docker save" tarball from an OCI archive by the files
// at the top of the tar.
func tarballKind(p string) (tarKind, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()

	br := bufio.NewReader(f)
	if magic, _ := br.Peek(4); bytes.HasPrefix(magic, []byte{0x1f, 0x8b}) || bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return 0, errors.New("want an uncompressed tar, have a compressed file (gzip or zstd): decompress it first")
	}
	seen := map[string]bool{}
	tr := tar.NewReader(br)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("want a tar file: %w", err)
		}
		seen[path.Clean(h.Name)] = true
	}
	switch {
	case seen["manifest.json"]:
		return kindDockerSave, nil
	case seen["index.json"] && seen["oci-layout"]:
		return kindOCIArchive, nil
	case seen["index.json"]:
		return 0, errors.New(`want a "docker save" tarball or an OCI archive, have index.json without oci-layout`)
	}
	return 0, errors.New(`want a "docker save" tarball (manifest.json) or an OCI archive (index.json and oci-layout), have neither`)
}

func fromDockerSave(p string) (Artifact, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(p) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading manifest.json: %w", err)
	}
	if len(m) != 1 {
		images := make([]string, 0, len(m))
		for _, d := range m {
			if len(d.RepoTags) == 0 {
				images = append(images, "untagged "+d.Config)
				continue
			}
			images = append(images, strings.Join(d.RepoTags, ", "))
		}
		return Artifact{}, fmt.Errorf("want exactly one image, have %d: %s", len(m), strings.Join(quoteAll(images), "; "))
	}
	img, err := tarball.Image(opener, nil)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Image: img}, nil
}

// fromOCIArchive extracts the OCI layout in the tar at p to a temporary
// directory and reads it as FromLayout does.
func fromOCIArchive(p string) (Artifact, error) {
	dir, err := os.MkdirTemp("", "ferry-oci-archive-")
	if err != nil {
		return Artifact{}, err
	}
	if err := extractTar(p, dir); err != nil {
		_ = os.RemoveAll(dir)
		return Artifact{}, err
	}
	a, err := FromLayout(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return Artifact{}, err
	}
	return keepDir(a, newTempDir(dir)), nil
}

// extractTar writes the regular files and directories of the tar at p below
// dir. Absolute names, ".." and links are refused; os.Root keeps every write
// inside dir regardless.
func extractTar(p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()

	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name, err := archiveEntryName(h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if name == "." {
				continue
			}
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("extracting %q: %w", h.Name, err)
			}
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
			if err := extractFile(root, name, tr); err != nil {
				return fmt.Errorf("extracting %q: %w", h.Name, err)
			}
		default:
			return fmt.Errorf("archive entry %q: want a regular file or a directory, have tar type %q", h.Name, h.Typeflag)
		}
	}
}

// archiveEntryName checks a tar entry name and returns it cleaned.
func archiveEntryName(n string) (string, error) {
	if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, `\`) {
		return "", fmt.Errorf("archive entry %q: want a relative path, have an absolute or malformed one", n)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("archive entry %q: want a path inside the archive, have one with \"..\"", n)
		}
	}
	clean := path.Clean(n)
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("archive entry %q: want a path inside the archive, have an invalid one", n)
	}
	return clean, nil
}

func extractFile(root *os.Root, name string, r io.Reader) error {
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
