package s3sync

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
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
// rel. Symbolic links to files are followed: within root always, out of it
// only with o.FollowSymlinks. Links to directories and other special
// files are skipped (and logged). What cannot be synced (see
// [ErrBadSource]) is reported all at once.
func (s *Syncer) walk(root string, o Options) ([]*localFile, error) {
	realRoot, err := realPath(root)
	if err != nil {
		return nil, fmt.Errorf("reading the source directory %q: %w", root, err)
	}
	var (
		files []*localFile
		bad   findings
	)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		if d.IsDir() || excluded(o.Exclude, rel) {
			return nil
		}
		switch {
		case !utf8.ValidString(rel):
			bad.add(badUTF8, fmt.Sprintf("%q", rel))
			return nil
		case strings.ContainsFunc(rel, unicode.IsControl):
			bad.add(badControl, fmt.Sprintf("%q", rel))
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := info.Mode()&fs.ModeSymlink != 0
		if link {
			if info, err = os.Stat(path); err != nil {
				return fmt.Errorf("following the symbolic link %q: %w", path, err)
			}
		}
		if !info.Mode().IsRegular() {
			s.log.Warn("skipped: not a regular file", "path", path, "mode", info.Mode().String())
			return nil
		}
		if link && !o.FollowSymlinks {
			target, err := realPath(path)
			if err != nil {
				return fmt.Errorf("following the symbolic link %q: %w", path, err)
			}
			if !within(realRoot, target) {
				dest, _ := os.Readlink(path)
				bad.add(badLink, fmt.Sprintf("%q → %q", rel, dest))
				return nil
			}
		}
		if IsManifestKey(rel) {
			bad.add(badManifest, fmt.Sprintf("%q", rel))
			return nil
		}
		if n := len(o.prefix()) + len(rel); n > maxKeyLength {
			bad.add(badLength, fmt.Sprintf("%q (%d bytes)", rel, n))
			return nil
		}
		files = append(files, &localFile{rel: rel, path: path, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the source directory %q: %w", root, err)
	}
	if len(files) == 0 && len(bad.found) == 0 {
		none := &FieldError{Field: Source, Expected: "files to sync", Found: "none in " + strconv.Quote(root)}
		if len(o.Exclude) > 0 {
			none.Found = verbatim(none.Found) + " (once %s applied)"
			none.Refs = []Ref{{Field: Exclude}}
		}
		return nil, sourceProblem{none}
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, nil
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within tells whether path lies inside dir (both absolute, symbolic links
// resolved).
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// The kinds of what cannot be synced, as what a problem of [Source]
// expected. badLink names [FollowSymlinks] with a %s verb.
const (
	badUTF8     = "file names in UTF-8, as S3 keys must be"
	badControl  = "file names without control characters (a line break in a name would reach the log as a line of its own)"
	badLink     = "files inside the directory (or %s: true)"
	badManifest = "no file named like ferry's sync manifest (*" + ManifestName + "; rename or exclude it)"
	badLength   = "keys of at most 1024 bytes (the prefix included), as S3 takes"
)

// maxNamed is how many paths one problem names.
const maxNamed = 10

// findings gathers what cannot be synced, by kind.
type findings struct {
	kinds []string
	found map[string][]string
}

func (f *findings) add(kind, what string) {
	if f.found == nil {
		f.found = map[string][]string{}
	}
	if _, ok := f.found[kind]; !ok {
		f.kinds = append(f.kinds, kind)
	}
	f.found[kind] = append(f.found[kind], what)
}

// err is one problem of [Source] per kind, naming the first few paths.
func (f *findings) err() error {
	var errs []error
	for _, kind := range f.kinds {
		all := f.found[kind]
		shown := strings.Join(all[:min(len(all), maxNamed)], ", ")
		if len(all) > maxNamed {
			shown += fmt.Sprintf(" and %d more", len(all)-maxNamed)
		}
		p := problem(Source, kind, shown)
		if kind == badLink {
			p.Found = "symbolic links leaving it: " + verbatim(shown)
			p.Refs = []Ref{{Field: FollowSymlinks}}
		}
		errs = append(errs, sourceProblem{p})
	}
	return errors.Join(errs...)
}

// sourceProblem is one reason the source cannot be synced; it is
// [ErrBadSource], and unwraps to its [*FieldError].
type sourceProblem struct{ *FieldError }

func (e sourceProblem) Is(target error) bool { return target == ErrBadSource }
func (e sourceProblem) Unwrap() error        { return e.FieldError }

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
