package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is one file or directory to add to an image.
type File struct {
	// Src is a file or directory on disk. A directory's contents are copied
	// recursively; symbolic links inside it are kept as links. A Src that is
	// itself a link is followed.
	Src string
	// Dest is the absolute path in the image. A directory's contents go
	// below Dest; a file goes to Dest, or into Dest when Dest ends in '/'.
	Dest string
}

// layerEntry is one entry of the files layer: a directory, a regular file
// (read from src) or a symbolic link.
type layerEntry struct {
	typ  byte
	mode int64
	src  string
	size int64
	link string
}

// Normalised modes: the layer does not depend on the umask or owner of the
// files on disk, only on whether a file is executable.
const (
	modeDir     = 0o755
	modeFile    = 0o644
	modeExec    = 0o755
	modeSymlink = 0o777
)

// filesLayerTar returns the uncompressed tar of files, built deterministically:
// entries sorted by path, parent directories created, owner root (uid and gid
// 0, no user or group names), normalised modes, and every mtime set to epoch.
// It returns nil for no files.
func filesLayerTar(ctx context.Context, files []File, epoch time.Time) ([]byte, error) {
	if len(files) == 0 {
		return nil, nil
	}
	entries := map[string]layerEntry{}
	for _, f := range files {
		if err := collectFile(ctx, entries, f); err != nil {
			return nil, fmt.Errorf("adding %q to %q: %w", f.Src, f.Dest, err)
		}
	}
	if err := addParents(entries); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(entries))
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := writeEntry(tw, n, entries[n], epoch); err != nil {
			return nil, fmt.Errorf("writing %q to the layer: %w", "/"+n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing the layer: %w", err)
	}
	return buf.Bytes(), nil
}

// collectFile adds the entries for f to entries, keyed by in-image path
// without the leading '/'.
func collectFile(ctx context.Context, entries map[string]layerEntry, f File) error {
	if f.Src == "" {
		return fmt.Errorf("want a source path, have none")
	}
	if !path.IsAbs(f.Dest) {
		return fmt.Errorf("want an absolute destination, have %q", f.Dest)
	}
	st, err := os.Stat(f.Src)
	if err != nil {
		return err
	}
	dest := path.Clean(f.Dest)
	if !st.IsDir() {
		if strings.HasSuffix(f.Dest, "/") {
			dest = path.Join(dest, filepath.Base(f.Src))
		}
		if dest == "/" {
			return fmt.Errorf("want a file destination, have %q", f.Dest)
		}
		e, err := fileEntry(f.Src, st)
		if err != nil {
			return err
		}
		return putEntry(entries, dest[1:], e)
	}

	root := f.Src
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := path.Join(dest, filepath.ToSlash(rel))[1:]
		if name == "" { // dest "/" itself
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var e layerEntry
		switch {
		case d.IsDir():
			e = layerEntry{typ: tar.TypeDir, mode: modeDir}
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e = layerEntry{typ: tar.TypeSymlink, mode: modeSymlink, link: filepath.ToSlash(link)}
		default:
			if e, err = fileEntry(p, info); err != nil {
				return err
			}
		}
		return putEntry(entries, name, e)
	})
}

func fileEntry(p string, st fs.FileInfo) (layerEntry, error) {
	if !st.Mode().IsRegular() {
		return layerEntry{}, fmt.Errorf("%q: want a regular file, directory or symbolic link, have mode %s", p, st.Mode().Type())
	}
	mode := int64(modeFile)
	if st.Mode().Perm()&0o111 != 0 {
		mode = modeExec
	}
	return layerEntry{typ: tar.TypeReg, mode: mode, src: p, size: st.Size()}, nil
}

// putEntry records e at name. A later file replaces an earlier one; a
// directory and a non-directory at the same path conflict.
func putEntry(entries map[string]layerEntry, name string, e layerEntry) error {
	if old, ok := entries[name]; ok {
		if (old.typ == tar.TypeDir) != (e.typ == tar.TypeDir) {
			return fmt.Errorf("%q is both a directory and a file", "/"+name)
		}
		if e.typ == tar.TypeDir {
			return nil
		}
	}
	entries[name] = e
	return nil
}

// addParents adds a directory entry for every missing parent directory.
func addParents(entries map[string]layerEntry) error {
	for _, n := range slices.Sorted(maps.Keys(entries)) {
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			if err := putEntry(entries, d, layerEntry{typ: tar.TypeDir, mode: modeDir}); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeEntry(tw *tar.Writer, name string, e layerEntry, epoch time.Time) error {
	h := &tar.Header{
		Typeflag: e.typ,
		Name:     name,
		Mode:     e.mode,
		ModTime:  epoch,
		Linkname: e.link,
	}
	if e.typ == tar.TypeDir {
		h.Name += "/"
	}
	if e.typ != tar.TypeReg {
		return tw.WriteHeader(h)
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	h.Size = e.size
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, e.size))
	if err != nil {
		return err
	}
	if n != e.size {
		return fmt.Errorf("%q changed while the layer was written: want %d bytes, have %d", e.src, e.size, n)
	}
	return nil
}
