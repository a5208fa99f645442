package s3sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// object is an S3 object as ListObjectsV2 shows it.
type object struct {
	etag     string // without quotes
	size     int64
	modified time.Time
}

// Headers are the headers ferry sets on an object.
type Headers struct {
	ContentType     string
	CacheControl    string
	ContentEncoding string // "", Gzip or Brotli
}

// objectMeta is what the listing does not show: the headers and the
// SHA-256 ferry stored, from the manifest or a HeadObject.
type objectMeta struct {
	Headers
	sha256 string // hex; "" when the object has none
	// etagIsMD5: HeadObject showed neither SSE-KMS nor SSE-C, so an ETag
	// of MD5 form is the MD5 of the content and decides alone: stored
	// metadata may have been copied along from another object. From the
	// manifest it is false: there the SHA-256 was recorded for exactly
	// the ETag listed.
	etagIsMD5 bool
}

// list returns the objects under prefix by their key relative to it,
// leaving out "directory" placeholder keys ending in "/" and manifests
// (see [IsManifestKey]), whose full keys it returns apart.
func (s *Syncer) list(ctx context.Context, bucket, prefix string) (map[string]object, []string, error) {
	out := map[string]object{}
	var manifests []string
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			rel := strings.TrimPrefix(key, prefix)
			switch {
			case rel == "" || strings.HasSuffix(key, "/"):
				continue
			case IsManifestKey(key):
				manifests = append(manifests, key)
				continue
			}
			out[rel] = object{etag: unquote(aws.ToString(o.ETag)), size: aws.ToInt64(o.Size), modified: aws.ToTime(o.LastModified).UTC()}
		}
	}
	return out, manifests, nil
}

// head reads the headers and the stored SHA-256 of one object, and what
// HeadObject says of its identity.
func (s *Syncer) head(ctx context.Context, bucket, key string) (object, objectMeta, error) {
	out, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return object{}, objectMeta{}, fmt.Errorf("reading the headers of s3://%s/%s: %w", bucket, key, err)
	}
	meta := objectMeta{
		Headers: Headers{
			ContentType:     aws.ToString(out.ContentType),
			CacheControl:    aws.ToString(out.CacheControl),
			ContentEncoding: aws.ToString(out.ContentEncoding),
		},
		sha256:    metaValue(out.Metadata, MetaSHA256),
		etagIsMD5: !strings.HasPrefix(string(out.ServerSideEncryption), "aws:kms") && out.SSECustomerAlgorithm == nil,
	}
	obj := object{etag: unquote(aws.ToString(out.ETag)), size: aws.ToInt64(out.ContentLength), modified: aws.ToTime(out.LastModified).UTC()}
	return obj, meta, nil
}

// metaValue reads user metadata case-insensitively: S3 lower-cases the
// keys, other stores may not.
func metaValue(m map[string]string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

var md5ETagRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// isMD5ETag tells whether an ETag may be the MD5 of the content: S3's
// ETag of an object uploaded in one part without SSE-KMS or SSE-C. A
// multipart ETag has "-<parts>"; an SSE-KMS one looks like an MD5 but is
// not, which is why a mismatch falls back to the stored SHA-256.
func isMD5ETag(etag string) bool { return md5ETagRE.MatchString(etag) }

func unquote(etag string) string { return strings.ToLower(strings.Trim(etag, `"`)) }

// manifest records, per object, what the listing does not show: the
// SHA-256 of its source and its headers, along with the ETag, size and
// LastModified the listing showed after ferry wrote it. An entry is
// trusted only while the listing still shows those three, so an object
// changed by any other means is read again with HeadObject.
type manifest struct {
	Version int `json:"version"`
	// Prefix is the key prefix the entries are relative to ("" or
	// "dir/"); manifests written before it was recorded have none. It
	// comes before the entries, so another sync reads it cheaply.
	Prefix  *string                  `json:"prefix,omitempty"`
	Entries map[string]manifestEntry `json:"entries"` // by key relative to the prefix
}

type manifestEntry struct {
	ETag            string    `json:"etag"`
	Size            int64     `json:"size"`
	Modified        time.Time `json:"modified"`
	SHA256          string    `json:"sha256,omitempty"` // none when the ETag is the MD5 of the content
	ContentType     string    `json:"contentType,omitempty"`
	CacheControl    string    `json:"cacheControl,omitempty"`
	ContentEncoding string    `json:"contentEncoding,omitempty"`
}

const manifestVersion = 1

// Bounds of what is read of a manifest, decompressed: a base, and per
// object listed under the prefix a share for its entry (the JSON escapes
// of its key included). A manifest holds entries only for listed objects,
// so one larger than that is not ferry's, and is not read further.
const (
	manifestBase     = 64 << 10
	manifestPerEntry = 1 << 10
)

// manifestLimit is the most a manifest can hold for this listing.
func manifestLimit(listing map[string]object) int64 {
	n := int64(manifestBase)
	for rel := range listing {
		n += manifestPerEntry + 6*int64(len(rel))
	}
	return n
}

// matches tells whether the entry describes the object as listed.
func (e manifestEntry) matches(o object) bool {
	return e.ETag == o.etag && e.Size == o.size && e.Modified.Equal(o.modified)
}

func (e manifestEntry) meta() objectMeta {
	return objectMeta{Headers: e.headers(), sha256: e.SHA256}
}

func equalManifests(a, b *manifest) bool {
	if a == nil || b == nil {
		return a == b
	}
	samePrefix := a.Prefix == nil && b.Prefix == nil || a.Prefix != nil && b.Prefix != nil && *a.Prefix == *b.Prefix
	return a.Version == b.Version && samePrefix && maps.EqualFunc(a.Entries, b.Entries, func(x, y manifestEntry) bool {
		x.Modified, y.Modified = x.Modified.UTC(), y.Modified.UTC()
		return x.Modified.Equal(y.Modified) && x.ETag == y.ETag && x.Size == y.Size && x.SHA256 == y.SHA256 && x.headers() == y.headers()
	})
}

func (e manifestEntry) headers() Headers {
	return Headers{ContentType: e.ContentType, CacheControl: e.CacheControl, ContentEncoding: e.ContentEncoding}
}

// getManifest starts reading the manifest: its body, nil when there is
// none. Errors other than "not found" are returned: they would make every
// write fail as well.
func (s *Syncer) getManifest(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *types.NoSuchKey
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk), errors.As(err, &api) && api.ErrorCode() == "NotFound":
		s.log.Debug("no sync manifest: every existing object is read with HeadObject", "key", key)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the sync manifest s3://%s/%s: %w", bucket, key, err)
	}
	return out.Body, nil
}

// readManifest decodes the manifest from body (nil: none), reading at most
// limit bytes of it, decompressed or not. One that is unreadable, too
// large, or made for another prefix is an empty manifest (every object is
// then read with HeadObject), not an error.
func (s *Syncer) readManifest(body io.ReadCloser, key, prefix string, limit int64) *manifest {
	if body == nil {
		return nil
	}
	defer body.Close()
	m, err := decodeManifest(body, limit)
	if err == nil && m.Prefix != nil && *m.Prefix != prefix {
		err = fmt.Errorf("it is the manifest of prefix %q", *m.Prefix)
	}
	if err != nil {
		s.log.Warn("ignoring the sync manifest: every existing object is read with HeadObject", "key", key, "error", err)
		return nil
	}
	return m
}

// errManifestTooLarge: the manifest holds more than the listing explains.
var errManifestTooLarge = errors.New("larger than the listing explains")

// decodeManifest reads a gzip-compressed manifest, at most limit bytes of
// it compressed and decompressed: a gzip bomb costs what limit allows, in
// memory and time, not what it expands to.
func decodeManifest(r io.Reader, limit int64) (*manifest, error) {
	zr, err := gzip.NewReader(io.LimitReader(r, limit))
	if err != nil {
		return nil, err
	}
	lr := &io.LimitedReader{R: zr, N: limit + 1}
	var m manifest
	if err := json.NewDecoder(lr).Decode(&m); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("more than the %d bytes the listing explains: %w", limit, errManifestTooLarge)
		}
		return nil, err
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("version %d, expected %d", m.Version, manifestVersion)
	}
	return &m, nil
}

// manifestPrefix reads the prefix another sync's manifest records, only as
// far as it needs (the prefix comes before the entries); "" and false when
// it records none.
func (s *Syncer) manifestPrefix(ctx context.Context, bucket, key string) (string, bool, error) {
	body, err := s.getManifest(ctx, bucket, key)
	if err != nil || body == nil {
		return "", false, err
	}
	defer body.Close()
	zr, err := gzip.NewReader(io.LimitReader(body, manifestBase))
	if err != nil {
		return "", false, nil
	}
	// Read tokens up to the prefix: {"version":1,"prefix":"…"; a
	// manifest without one has the entries first.
	dec := json.NewDecoder(io.LimitReader(zr, 4<<10))
	for depth := 0; ; {
		tok, err := dec.Token()
		if err != nil {
			return "", false, nil
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		case "prefix":
			var p string
			if depth != 1 || dec.Decode(&p) != nil {
				return "", false, nil
			}
			return p, true, nil
		case "entries":
			return "", false, nil
		}
	}
}

func encodeManifest(m *manifest) ([]byte, error) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err := json.NewEncoder(zw).Encode(m); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
