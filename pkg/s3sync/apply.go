package s3sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"
)

// Result reports what [Syncer.Apply] did. It is meaningful also when
// Apply returns an error.
type Result struct {
	// Applied are the changes made, in plan order.
	Applied []Change
	// Counts of Applied by operation, and of the files left as they were.
	Uploaded, MetadataUpdated, Deleted, Unchanged int
	// BytesUploaded counts the bodies of uploads (after compression).
	BytesUploaded int64
	// DeletesSkipped counts the deletions not made because a write failed.
	DeletesSkipped int
	// ManifestWritten: the sync manifest was written (it is not when
	// nothing in it changed, or after a failure).
	ManifestWritten bool
}

// ChangedKeys returns the keys of the changes made, sorted.
func (r Result) ChangedKeys() []string {
	keys := make([]string, 0, len(r.Applied))
	for _, c := range r.Applied {
		keys = append(keys, c.Key)
	}
	sort.Strings(keys)
	return keys
}

// Preview is the result the plan would have if applied, for dry runs.
// BytesUploaded counts the files before any compression.
func (p *Plan) Preview() Result {
	r := Result{Applied: p.Changes, Unchanged: p.Unchanged}
	for _, c := range p.Changes {
		r.count(c)
		if c.Op == OpUpload {
			r.BytesUploaded += c.Size
		}
	}
	return r
}

func (r *Result) count(c Change) {
	switch c.Op {
	case OpUpload:
		r.Uploaded++
	case OpUpdateMetadata:
		r.MetadataUpdated++
	case OpDelete:
		r.Deleted++
	}
}

// maxErrors is how many failures an error lists by name.
const maxErrors = 5

// Apply makes the changes of the plan, in this order, each step only when
// every write before it succeeded:
//
//  1. uploads and metadata updates of everything but HTML;
//  2. those of HTML pages, so a page never refers to a missing asset;
//  3. deletions, so nothing is removed while anything that might replace
//     it failed;
//  4. the sync manifest, when it changed.
//
// Writes run at most Options.Concurrency at a time. After a failure no new
// write starts and those in flight finish; the error names every key that
// failed (the first few).
func (s *Syncer) Apply(ctx context.Context, p *Plan) (Result, error) {
	res := Result{Unchanged: p.Unchanged}
	var writes, html, deletes []Change
	for _, c := range p.Changes {
		switch {
		case c.Op == OpDelete:
			deletes = append(deletes, c)
		case c.HTML:
			html = append(html, c)
		default:
			writes = append(writes, c)
		}
	}
	etags := map[string]string{} // by rel, as the writes returned them
	var mu sync.Mutex
	var failures []error
	for _, phase := range [][]Change{writes, html} {
		if len(failures) > 0 {
			break
		}
		errs := parallel(ctx, p.Options.concurrency(), len(phase), func(ctx context.Context, i int) error {
			c := phase[i]
			etag, n, err := s.write(ctx, p.Options, c)
			if err != nil {
				return err
			}
			mu.Lock()
			etags[c.Rel] = etag
			res.BytesUploaded += n
			mu.Unlock()
			s.log.Info(c.Op.String(), "key", c.Key, "reason", c.Reason, "bytes", n)
			return nil
		})
		for i, err := range errs {
			if err != nil {
				failures = append(failures, err)
			} else if _, ok := etags[phase[i].Rel]; ok {
				res.Applied = append(res.Applied, phase[i])
				res.count(phase[i])
			}
		}
	}
	if len(failures) > 0 {
		res.DeletesSkipped = len(deletes)
		err := summarize(failures, len(writes)+len(html))
		if len(deletes) > 0 {
			err = fmt.Errorf("%w; %d %w", err, len(deletes), ErrDeletesSkipped)
		}
		return res, err
	}

	deleted, err := s.deleteAll(ctx, p.Options, deletes)
	for _, c := range deletes {
		if deleted[c.Key] {
			res.Applied = append(res.Applied, c)
			res.count(c)
			s.log.Info(c.Op.String(), "key", c.Key, "reason", c.Reason)
		}
	}
	if err != nil {
		return res, err
	}

	written, err := s.updateManifest(ctx, p, etags)
	res.ManifestWritten = written
	return res, err
}

// summarize makes one error of the failures of n writes.
func summarize(failures []error, n int) error {
	shown := failures[:min(len(failures), maxErrors)]
	msgs := make([]string, len(shown))
	for i, err := range shown {
		msgs[i] = err.Error()
	}
	more := ""
	if len(failures) > len(shown) {
		more = fmt.Sprintf("; and %d more", len(failures)-len(shown))
	}
	return &failedWrites{msg: fmt.Sprintf("%d of %d writes failed: %s%s", len(failures), n, strings.Join(msgs, "; "), more), errs: failures}
}

// failedWrites names the first few failures and unwraps to all of them.
type failedWrites struct {
	msg  string
	errs []error
}

func (e *failedWrites) Error() string   { return e.msg }
func (e *failedWrites) Unwrap() []error { return e.errs }

// write makes one upload or metadata update and returns the new ETag and
// the bytes sent.
func (s *Syncer) write(ctx context.Context, o Options, c Change) (string, int64, error) {
	if c.Op == OpUpdateMetadata {
		etag, err := s.copyInPlace(ctx, o.Bucket, c)
		if err != nil {
			return "", 0, fmt.Errorf("updating the headers of s3://%s/%s: %w", o.Bucket, c.Key, err)
		}
		return etag, 0, nil
	}
	etag, n, err := s.upload(ctx, o, c)
	if err != nil {
		return "", 0, fmt.Errorf("uploading %q to s3://%s/%s: %w", c.file.path, o.Bucket, c.Key, err)
	}
	return etag, n, nil
}

// body is what an upload sends.
type body struct {
	r    io.ReaderAt
	size int64
	md5  []byte
}

func (s *Syncer) upload(ctx context.Context, o Options, c Change) (string, int64, error) {
	f, err := os.Open(c.file.path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	b := body{r: f, size: c.file.size}
	if c.Headers.ContentEncoding != "" {
		if b, err = compress(f, c.Headers.ContentEncoding, c.file.sha256); err != nil {
			return "", 0, err
		}
	} else if b.md5, err = hex.DecodeString(c.file.md5); err != nil {
		return "", 0, err
	}
	var etag string
	if b.size > o.multipartThreshold() {
		etag, err = s.uploadParts(ctx, o, c, b)
	} else {
		var opts []func(*s3.Options)
		if c.Headers.ContentEncoding == "" {
			opts = append(opts, withPayloadSHA256(c.file.sha256))
		}
		var out *s3.PutObjectOutput
		out, err = s.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:          aws.String(o.Bucket),
			Key:             aws.String(c.Key),
			Body:            io.NewSectionReader(b.r, 0, b.size),
			ContentLength:   aws.Int64(b.size),
			ContentMD5:      aws.String(base64.StdEncoding.EncodeToString(b.md5)),
			ContentType:     optional(c.Headers.ContentType),
			CacheControl:    optional(c.Headers.CacheControl),
			ContentEncoding: optional(c.Headers.ContentEncoding),
			Metadata:        map[string]string{MetaSHA256: c.file.sha256},
		}, opts...)
		if err == nil {
			etag = unquote(aws.ToString(out.ETag))
		}
	}
	if err != nil {
		return "", 0, err
	}
	return etag, b.size, nil
}

// compress reads the whole file, checks it still is what was hashed, and
// compresses it deterministically (no name nor time in a gzip header), so
// the same file always yields the same object.
func compress(f *os.File, encoding, wantSHA256 string) (body, error) {
	h := sha256.New()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case Gzip:
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	case Brotli:
		w = brotli.NewWriterLevel(&buf, brotli.BestCompression)
	default:
		return body{}, fmt.Errorf("unknown encoding %q", encoding)
	}
	if _, err := io.Copy(io.MultiWriter(w, h), f); err != nil {
		return body{}, err
	}
	if err := w.Close(); err != nil {
		return body{}, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA256 {
		return body{}, errors.New("the file changed while ferry synced it")
	}
	sum := md5.Sum(buf.Bytes())
	return body{r: bytes.NewReader(buf.Bytes()), size: int64(buf.Len()), md5: sum[:]}, nil
}

// partConcurrency bounds the parts of one file in flight; files
// themselves are bounded by Options.Concurrency.
const partConcurrency = 4

// uploadParts uploads b in parts, each with its Content-MD5, and aborts
// the upload when a part fails.
func (s *Syncer) uploadParts(ctx context.Context, o Options, c Change, b body) (string, error) {
	partSize := o.partSize()
	for b.size/partSize >= maxParts {
		partSize *= 2
	}
	created, err := s.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:          aws.String(o.Bucket),
		Key:             aws.String(c.Key),
		ContentType:     optional(c.Headers.ContentType),
		CacheControl:    optional(c.Headers.CacheControl),
		ContentEncoding: optional(c.Headers.ContentEncoding),
		Metadata:        map[string]string{MetaSHA256: c.file.sha256},
	})
	if err != nil {
		return "", fmt.Errorf("starting a multipart upload: %w", err)
	}
	n := int((b.size + partSize - 1) / partSize)
	parts := make([]types.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(partConcurrency)
	for i := range n {
		g.Go(func() error {
			off := int64(i) * partSize
			size := min(partSize, b.size-off)
			h := md5.New()
			if _, err := io.Copy(h, io.NewSectionReader(b.r, off, size)); err != nil {
				return err
			}
			num := aws.Int32(int32(i + 1))
			out, err := s.s3.UploadPart(gctx, &s3.UploadPartInput{
				Bucket:        aws.String(o.Bucket),
				Key:           aws.String(c.Key),
				UploadId:      created.UploadId,
				PartNumber:    num,
				Body:          io.NewSectionReader(b.r, off, size),
				ContentLength: aws.Int64(size),
				ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(h.Sum(nil))),
			})
			if err != nil {
				return fmt.Errorf("part %d of %d: %w", i+1, n, err)
			}
			parts[i] = types.CompletedPart{ETag: out.ETag, PartNumber: num}
			return nil
		})
	}
	err = g.Wait()
	var out *s3.CompleteMultipartUploadOutput
	if err == nil {
		out, err = s.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          aws.String(o.Bucket),
			Key:             aws.String(c.Key),
			UploadId:        created.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		// Abort even when ctx is done, or the parts stay billed.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := s.s3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: aws.String(o.Bucket), Key: aws.String(c.Key), UploadId: created.UploadId}); aerr != nil {
			err = errors.Join(err, fmt.Errorf("aborting the multipart upload: %w", aerr))
		}
		return "", err
	}
	return unquote(aws.ToString(out.ETag)), nil
}

// copyInPlace replaces the headers of an object by copying it onto
// itself, only if it still has the ETag listed. The stored SHA-256 is
// written along: the content was found equal to the file.
func (s *Syncer) copyInPlace(ctx context.Context, bucket string, c Change) (string, error) {
	out, err := s.s3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            aws.String(bucket),
		Key:               aws.String(c.Key),
		CopySource:        aws.String(copySource(bucket, c.Key)),
		CopySourceIfMatch: aws.String(`"` + c.ifMatch + `"`),
		MetadataDirective: types.MetadataDirectiveReplace,
		ContentType:       optional(c.Headers.ContentType),
		CacheControl:      optional(c.Headers.CacheControl),
		ContentEncoding:   optional(c.Headers.ContentEncoding),
		Metadata:          map[string]string{MetaSHA256: c.file.sha256},
	})
	if err != nil {
		return "", err
	}
	if out.CopyObjectResult == nil {
		return "", errors.New("CopyObject returned no result")
	}
	return unquote(aws.ToString(out.CopyObjectResult.ETag)), nil
}

// copySource is bucket/key URL-encoded, as CopyObject wants it.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}

// maxDeleteBatch is how many keys one DeleteObjects takes.
const maxDeleteBatch = 1000

// deleteAll deletes in batches and returns the keys deleted.
func (s *Syncer) deleteAll(ctx context.Context, o Options, deletes []Change) (map[string]bool, error) {
	deleted := map[string]bool{}
	var errs []error
	for start := 0; start < len(deletes); start += maxDeleteBatch {
		batch := deletes[start:min(start+maxDeleteBatch, len(deletes))]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, c := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(c.Key)}
		}
		out, err := s.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(o.Bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return deleted, fmt.Errorf("deleting %d objects from s3://%s/%s: %w", len(batch), o.Bucket, o.prefix(), err)
		}
		failed := map[string]bool{}
		for _, e := range out.Errors {
			failed[aws.ToString(e.Key)] = true
			errs = append(errs, fmt.Errorf("deleting s3://%s/%s: %s: %s", o.Bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message)))
		}
		for _, c := range batch {
			if !failed[c.Key] {
				deleted[c.Key] = true
			}
		}
	}
	if len(errs) > 0 {
		return deleted, summarize(errs, len(deletes))
	}
	return deleted, nil
}

// updateManifest writes the manifest when what it records changed:
// unchanged objects as listed while planning, written ones as listed
// again now, when the listing shows the ETag their write returned (an
// object someone else wrote meanwhile is left out, and read again with
// HeadObject next time).
func (s *Syncer) updateManifest(ctx context.Context, p *Plan, etags map[string]string) (bool, error) {
	o := p.Options
	prefix := o.prefix()
	m := &manifest{Version: manifestVersion, Prefix: &prefix, Entries: map[string]manifestEntry{}}
	for _, rel := range p.unchanged {
		obj, meta := p.listing[rel], p.known[rel]
		m.Entries[rel] = manifestEntry{ETag: obj.etag, Size: obj.size, Modified: obj.modified, SHA256: manifestSHA256(p.files[rel], obj, meta.ContentEncoding),
			ContentType: meta.ContentType, CacheControl: meta.CacheControl, ContentEncoding: meta.ContentEncoding}
	}
	if len(etags) > 0 {
		now, err := s.relist(ctx, p, etags)
		if err != nil {
			return false, err
		}
		for rel, etag := range etags {
			obj, ok := now[rel]
			if !ok || obj.etag != etag {
				continue
			}
			h := o.headersFor(rel)
			m.Entries[rel] = manifestEntry{ETag: obj.etag, Size: obj.size, Modified: obj.modified, SHA256: manifestSHA256(p.files[rel], obj, h.ContentEncoding),
				ContentType: h.ContentType, CacheControl: h.CacheControl, ContentEncoding: h.ContentEncoding}
		}
	}
	if equalManifests(m, p.old) {
		return false, nil
	}
	data, err := encodeManifest(m)
	if err != nil {
		return false, err
	}
	sum := md5.Sum(data)
	key := o.manifestKey()
	if _, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(o.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ContentType:   aws.String("application/gzip"),
		CacheControl:  aws.String("no-store"),
	}); err != nil {
		return false, fmt.Errorf("writing the sync manifest s3://%s/%s: %w", o.Bucket, key, err)
	}
	s.log.Debug("sync manifest written", "key", key, "entries", len(m.Entries), "bytes", len(data))
	return true, nil
}

// relist reads how the listing shows the objects just written: their
// LastModified is known only from a listing. A few objects are listed
// one by one (Prefix = key, MaxKeys = 1, in parallel); many, by listing
// the whole prefix again, whichever takes fewer rounds of requests.
func (s *Syncer) relist(ctx context.Context, p *Plan, written map[string]string) (map[string]object, error) {
	o := p.Options
	pages := (len(p.listing)+len(written))/listPage + 1
	rounds := (len(written) + o.concurrency() - 1) / o.concurrency()
	if rounds >= pages {
		now, _, err := s.list(ctx, o.Bucket, o.prefix())
		return now, err
	}
	rels := make([]string, 0, len(written))
	for rel := range written {
		rels = append(rels, rel)
	}
	now := make(map[string]object, len(rels))
	var mu sync.Mutex
	errs := parallel(ctx, o.concurrency(), len(rels), func(ctx context.Context, i int) error {
		key := o.prefix() + rels[i]
		out, err := s.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(o.Bucket), Prefix: aws.String(key), MaxKeys: aws.Int32(1)})
		if err != nil {
			return fmt.Errorf("listing s3://%s/%s: %w", o.Bucket, key, err)
		}
		// The key itself sorts before every longer key it prefixes.
		if len(out.Contents) == 1 && aws.ToString(out.Contents[0].Key) == key {
			c := out.Contents[0]
			mu.Lock()
			now[rels[i]] = object{etag: unquote(aws.ToString(c.ETag)), size: aws.ToInt64(c.Size), modified: aws.ToTime(c.LastModified).UTC()}
			mu.Unlock()
		}
		return nil
	})
	return now, firstError(errs)
}

// listPage is how many keys one ListObjectsV2 page holds.
const listPage = 1000

// manifestSHA256 is the SHA-256 the manifest records: none when the ETag
// is the file's MD5 and the object is stored as is, which then decides
// alone; that halves the manifest of a typical site.
func manifestSHA256(f *localFile, obj object, encoding string) string {
	if encoding == "" && obj.etag == f.md5 {
		return ""
	}
	return f.sha256
}

// withPayloadSHA256 hands SigV4 the SHA-256 of the body, already known
// from hashing the file, so the SDK does not read the body once more to
// compute it (it does over plain HTTP: emulators, some private
// endpoints). Over HTTPS the payload is then signed instead of sent as
// UNSIGNED-PAYLOAD, which S3 checks as well.
func withPayloadSHA256(hexSum string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("ferryPayloadSHA256",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, hexSum), in)
				}), "ComputePayloadHash", middleware.Before)
		})
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
