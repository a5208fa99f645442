package s3sync

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"unicode/utf8"
)

// localFile is a regular file of the source directory.
type localFile struct {
	rel    string // slash-separated path relative to the source: the key after the prefix
	path   string // on disk
	size   int64
	md5    string // hex, of the content
	sha256 string // hex, of the content
}

// walk lists the regular files under root that are not excluded, sorted by
// rel. Symbolic links to files are followed; links to directories and
// other special files are skipped (and logged).
func (s *Syncer) walk(root string, o Options) ([]*localFile, error) {
	var files []*localFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		r, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(r)
		if d.IsDir() {
			return nil
		}
		if excluded(o.Exclude, rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(path); err != nil {
				return fmt.Errorf("following the symbolic link %q: %w", path, err)
			}
		}
		if !info.Mode().IsRegular() {
			s.log.Warn("skipped: not a regular file", "path", path, "mode", info.Mode().String())
			return nil
		}
		if !utf8.ValidString(rel) {
			return fmt.Errorf("file %q: its name is not valid UTF-8, which S3 keys must be", path)
		}
		if rel == ManifestName {
			return fmt.Errorf("file %q: %s is the name of ferry's sync manifest; rename the file or exclude it", path, ManifestName)
		}
		if n := len(o.prefix()) + len(rel); n > maxKeyLength {
			return fmt.Errorf("file %q: its key would be %d bytes long; S3 takes at most %d", path, n, maxKeyLength)
		}
		files = append(files, &localFile{rel: rel, path: path, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the source directory %q: %w", root, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, nil
}

// hashAll computes the MD5 and SHA-256 of every file, reading each once,
// a few files at a time.
func hashAll(ctx context.Context, files []*localFile) error {
	workers := min(max(runtime.GOMAXPROCS(0)*2, 2), 16)
	next := make(chan *localFile)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for f := range next {
				if err := f.hash(buf); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	var err error
feed:
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return err
	}
	return firstErr
}

func (f *localFile) hash(buf []byte) error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("reading %q: %w", f.path, err)
	}
	defer file.Close()
	m, s := md5.New(), sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(m, s), file, buf)
	if err != nil {
		return fmt.Errorf("reading %q: %w", f.path, err)
	}
	if n != f.size {
		return fmt.Errorf("reading %q: it changed while ferry read it (%d bytes, then %d)", f.path, f.size, n)
	}
	f.md5, f.sha256 = hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil))
	return nil
}
