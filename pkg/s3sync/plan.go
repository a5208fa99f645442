package s3sync

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Op is what a [Change] does to an object.
type Op int

// The operations of a plan.
const (
	// OpUpload puts the file's content (new, changed, or compressed
	// differently).
	OpUpload Op = iota + 1
	// OpUpdateMetadata copies the object onto itself with new headers
	// (Cache-Control, Content-Type): the content is the same.
	OpUpdateMetadata
	// OpDelete removes an object that has no file in the source.
	OpDelete
)

func (op Op) String() string {
	switch op {
	case OpUpload:
		return "upload"
	case OpUpdateMetadata:
		return "update-metadata"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("Op(%d)", int(op))
}

// Change is one write of a plan.
type Change struct {
	Op     Op
	Key    string // the S3 key
	Rel    string // the key relative to the prefix: the file's path in the source
	Reason string // why, e.g. "new", "content changed", `cache-control "" → "no-cache"`
	// Size is the size of the file to upload (before any compression), or
	// of the object to update or delete.
	Size int64
	// Headers are those the object gets (uploads and metadata updates).
	Headers Headers
	// HTML changes are applied after every other upload and update.
	HTML bool

	file    *localFile
	ifMatch string // the ETag listed, for copies
}

// String is one line: the key quoted (a key may hold anything but a
// control character, `::` included), e.g. `upload "site/a.js" (new)`.
func (c Change) String() string {
	return fmt.Sprintf("%s %q (%s)", c.Op, c.Key, c.Reason)
}

// Plan is what a sync would do, found by reading only: the source, the
// listing under the prefix, the manifest and, for objects the manifest
// does not vouch for, HeadObject.
type Plan struct {
	// Options as given.
	Options Options
	// Changes in the order [Syncer.Apply] makes them: uploads and metadata
	// updates of everything but HTML, then of HTML, then deletions; by key
	// within each group.
	Changes []Change
	// Files is the number of files in the source that are not excluded;
	// Unchanged, how many of them need no write.
	Files, Unchanged int
	// HeadRequests counts the objects read with HeadObject because the
	// manifest had no current entry for them.
	HeadRequests int

	files     map[string]*localFile
	listing   map[string]object
	known     map[string]objectMeta
	unchanged []string
	old       *manifest
}

// Count returns how many changes of the plan are op.
func (p *Plan) Count(op Op) int {
	n := 0
	for _, c := range p.Changes {
		if c.Op == op {
			n++
		}
	}
	return n
}

// Plan reads the source and the bucket and returns what a sync would
// change. It writes nothing. When the plan deletes more than
// o.MaxDelete objects it returns the plan with [ErrTooManyDeletes].
func (s *Syncer) Plan(ctx context.Context, o Options) (*Plan, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	prefix := o.prefix()
	files, err := s.walk(o.Source, o)
	if err != nil {
		return nil, err
	}
	var (
		listing   map[string]object
		manifests []string
		body      io.ReadCloser
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return hashAll(gctx, files) })
	g.Go(func() (err error) { listing, manifests, err = s.list(gctx, o.Bucket, prefix); return err })
	// The manifest's body is read once the listing says how much of it
	// can be ferry's: not with gctx, which ends with Wait.
	g.Go(func() (err error) { body, err = s.getManifest(ctx, o.Bucket, o.manifestKey()); return err })
	if err := g.Wait(); err != nil {
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	old := s.readManifest(body, o.manifestKey(), prefix, manifestLimit(listing))

	p := &Plan{
		Options: o,
		Files:   len(files),
		files:   make(map[string]*localFile, len(files)),
		listing: listing,
		known:   map[string]objectMeta{},
		old:     old,
	}
	var toHead []string
	for _, f := range files {
		p.files[f.rel] = f
		obj, ok := listing[f.rel]
		if !ok {
			continue
		}
		if old != nil {
			if e, ok := old.Entries[f.rel]; ok && e.matches(obj) && manifestMayDecide(f, o.headersFor(f.rel), obj) {
				p.known[f.rel] = e.meta()
				continue
			}
		}
		toHead = append(toHead, f.rel)
	}
	if err := s.headAll(ctx, p, toHead); err != nil {
		return nil, err
	}

	var writes, html, deletes []Change
	for _, f := range files {
		want := o.headersFor(f.rel)
		c := Change{Key: prefix + f.rel, Rel: f.rel, Size: f.size, Headers: want, HTML: isHTML(want.ContentType), file: f}
		obj, exists := listing[f.rel]
		if !exists {
			c.Op, c.Reason = OpUpload, "new"
		} else {
			c.Op, c.Reason = decide(f, want, obj, p.known[f.rel])
			c.ifMatch = obj.etag
			if c.Op == OpUpdateMetadata {
				c.Size = obj.size
			}
		}
		switch {
		case c.Op == 0:
			p.unchanged = append(p.unchanged, f.rel)
		case c.HTML:
			html = append(html, c)
		default:
			writes = append(writes, c)
		}
	}
	p.Unchanged = len(p.unchanged)
	// present: the objects the prefix holds once the uploads are in, but
	// for excluded ones and other syncs'; the guard refuses to delete
	// more than half of them.
	present := 0
	if o.Delete {
		others, err := s.otherSyncs(ctx, o, manifests)
		if err != nil {
			return nil, err
		}
		for rel, obj := range listing {
			if excluded(o.Exclude, rel) || underAny(others, rel) {
				continue
			}
			if _, ok := p.files[rel]; ok {
				continue
			}
			present++
			deletes = append(deletes, Change{Op: OpDelete, Key: prefix + rel, Rel: rel, Reason: "not in the source", Size: obj.size})
		}
	}
	for _, cs := range [][]Change{writes, html, deletes} {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Key < cs[j].Key })
		p.Changes = append(p.Changes, cs...)
	}
	if len(deletes) > o.MaxDelete {
		return p, &DeleteLimitError{Field: MaxDelete, Deletes: len(deletes), MaxDelete: o.MaxDelete, Bucket: o.Bucket, Prefix: prefix}
	}
	present += len(files)
	if !o.ForceDelete && len(deletes)*2 > present {
		return p, &DeleteLimitError{Field: ForceDelete, Deletes: len(deletes), Present: present, Bucket: o.Bucket, Prefix: prefix}
	}
	return p, nil
}

// manifestMayDecide tells whether a manifest entry matching the listing
// may stand for what HeadObject would show. Not when the listing's ETag is
// of MD5 form and the file is stored as is, yet the ETag is not the
// file's MD5: the content differs, or the object is encrypted with
// SSE-KMS or SSE-C, and only HeadObject tells which. A manifest (which
// anyone who can write the bucket can write) must never vouch for other
// content than the ETag shows.
func manifestMayDecide(f *localFile, want Headers, obj object) bool {
	return want.ContentEncoding != "" || !isMD5ETag(obj.etag) || obj.etag == f.md5
}

// otherSyncs returns the directories under o's prefix (relative to it,
// ending in "/") that other syncs own: those holding a manifest of the
// default name, and the prefixes that manifests of other names (found
// under o's prefix) record. Nothing under them is deleted.
func (s *Syncer) otherSyncs(ctx context.Context, o Options, manifests []string) ([]string, error) {
	prefix, own := o.prefix(), o.manifestKey()
	var dirs []string
	for _, key := range manifests {
		if key == own {
			continue
		}
		rel := strings.TrimPrefix(key, prefix)
		if dir, ok := strings.CutSuffix(rel, ManifestName); ok && (dir == "" || strings.HasSuffix(dir, "/")) {
			if dir != "" {
				dirs = append(dirs, dir)
			}
			continue
		}
		theirs, ok, err := s.manifestPrefix(ctx, o.Bucket, key)
		if err != nil {
			return nil, fmt.Errorf("reading which prefix the manifest s3://%s/%s is for, to spare it: %w", o.Bucket, key, err)
		}
		if !ok {
			s.log.Warn("a manifest names no prefix; nothing is spared for it", "key", key)
			continue
		}
		if dir, ok := strings.CutPrefix(theirs, prefix); ok && dir != "" {
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) > 0 {
		s.log.Debug("prefixes of other syncs: never deleted", "prefixes", dirs)
	}
	return dirs, nil
}

func underAny(dirs []string, rel string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(rel, d) {
			return true
		}
	}
	return false
}

// headAll reads the objects the manifest does not vouch for.
func (s *Syncer) headAll(ctx context.Context, p *Plan, rels []string) error {
	if len(rels) == 0 {
		return nil
	}
	s.log.Debug("reading object headers", "objects", len(rels))
	var mu sync.Mutex
	errs := parallel(ctx, p.Options.concurrency(), len(rels), func(ctx context.Context, i int) error {
		rel := rels[i]
		obj, meta, err := s.head(ctx, p.Options.Bucket, p.Options.prefix()+rel)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		p.known[rel] = meta
		if listed := p.listing[rel]; obj.etag != listed.etag || obj.size != listed.size {
			// Changed since the listing: compare with what HeadObject
			// saw. Its LastModified has whole seconds only, so the
			// manifest will not vouch for it and the next run reads it
			// again.
			p.listing[rel] = obj
		}
		return nil
	})
	p.HeadRequests = len(rels)
	return firstError(errs)
}

// headersFor returns the headers a file gets from the rules.
func (o Options) headersFor(rel string) Headers {
	var h Headers
	if v, ok := matchFirst(o.ContentType, rel); ok {
		h.ContentType = v
	} else {
		h.ContentType = DetectContentType(rel)
	}
	h.CacheControl, _ = matchFirst(o.CacheControl, rel)
	h.ContentEncoding, _ = matchFirst(o.Compress, rel)
	return h
}

// decide compares a file and the headers it should have with the object
// in the bucket and what is known of it. It returns 0 when they are the
// same.
//
// The content is the same when the encodings agree and either the
// object's ETag is the MD5 of the file (a single-part upload, uncompressed)
// or the SHA-256 ferry stored equals the file's (multipart, SSE-KMS,
// compressed). An ETag that HeadObject shows to be an MD5 (no SSE-KMS nor
// SSE-C) decides alone, as metadata can be copied along from another
// object. An uncompressed object of another size always differs. A
// content that is the same with other Content-Type or Cache-Control is a
// metadata update, done by copying the object onto itself.
func decide(f *localFile, want Headers, obj object, meta objectMeta) (Op, string) {
	if meta.ContentEncoding != want.ContentEncoding {
		return OpUpload, fmt.Sprintf("content-encoding %s → %s", quoteOrNone(meta.ContentEncoding), quoteOrNone(want.ContentEncoding))
	}
	same := false
	if want.ContentEncoding == "" {
		if obj.size != f.size {
			return OpUpload, "content changed"
		}
		same = isMD5ETag(obj.etag) && obj.etag == f.md5
		if !same && isMD5ETag(obj.etag) && meta.etagIsMD5 {
			return OpUpload, "content changed"
		}
	}
	if !same && meta.sha256 != "" && strings.EqualFold(meta.sha256, f.sha256) {
		same = true
	}
	if !same {
		return OpUpload, "content changed"
	}
	var diffs []string
	if meta.ContentType != want.ContentType {
		diffs = append(diffs, fmt.Sprintf("content-type %s → %s", quoteOrNone(meta.ContentType), quoteOrNone(want.ContentType)))
	}
	if meta.CacheControl != want.CacheControl {
		diffs = append(diffs, fmt.Sprintf("cache-control %s → %s", quoteOrNone(meta.CacheControl), quoteOrNone(want.CacheControl)))
	}
	if len(diffs) == 0 {
		return 0, ""
	}
	reason := strings.Join(diffs, ", ")
	if obj.size > maxCopySize {
		return OpUpload, reason + " (uploaded again: CopyObject takes 5 GiB at most)"
	}
	return OpUpdateMetadata, reason
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

// parallel calls fn(ctx, i) for i in [0, n), at most limit at a time.
// After the first error it starts no more calls, but lets those already
// running finish: their writes are real and must be accounted for. It
// returns the error of each call (nil for calls not started).
func parallel(ctx context.Context, limit, n int, fn func(context.Context, int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed bool
	)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
		if errs[i] != nil {
			break
		}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				errs[i] = err
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
