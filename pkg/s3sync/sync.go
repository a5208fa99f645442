package s3sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults and limits of [Options].
const (
	DefaultConcurrency = 32
	MaxConcurrency     = 256
	DefaultMaxDelete   = 256

	// DefaultMultipartThreshold: files up to this size are uploaded with
	// one PutObject, so their ETag is their MD5; bigger ones in parts of
	// DefaultPartSize, compared by the SHA-256 ferry stores.
	DefaultMultipartThreshold = 64 << 20
	DefaultPartSize           = 16 << 20
	// MinPartSize is S3's smallest part (but the last).
	MinPartSize = 5 << 20
	// maxCopySize is the largest object CopyObject copies; a header change
	// of a bigger one is applied by uploading it again.
	maxCopySize = 5 << 30
	// maxKeyLength is S3's limit on keys, in bytes.
	maxKeyLength = 1024
	// maxParts is S3's limit on parts per multipart upload.
	maxParts = 10000
)

// ManifestName is the sync manifest's name under the prefix, and how the
// name of every manifest ends (Options.ManifestKey). No sync uploads a file
// of such a name from the source, deletes an object of such a name, or
// counts it as a site file.
const ManifestName = ".ferry-sync.json.gz"

// IsManifestKey tells whether an S3 key names a sync manifest: its last
// segment ends with [ManifestName].
func IsManifestKey(key string) bool {
	return strings.HasSuffix(key[strings.LastIndexByte(key, '/')+1:], ManifestName)
}

// MetaSHA256 is the user metadata key (x-amz-meta-ferry-sha256) holding the
// hex SHA-256 of the file's content as found in the source (before any
// compression).
const MetaSHA256 = "ferry-sha256"

// Errors callers branch on.
var (
	// ErrTooManyDeletes: the plan deletes more objects than
	// Options.MaxDelete. Plan returns it with the plan; nothing was written.
	ErrTooManyDeletes = errors.New("more deletions than max-delete allows")
	// ErrDeletesSkipped: a write failed, so the deletions were not made.
	ErrDeletesSkipped = errors.New("deletions skipped after a failed write")
	// ErrBadSource: the source holds what is not synced: no file at all, a
	// symbolic link leaving it, a name with a control character or not in
	// UTF-8, a key S3 refuses. Plan returns it before reading the bucket;
	// each problem is a [*FieldError] naming [Source].
	ErrBadSource = errors.New("the source cannot be synced")
)

// s3API lists the S3 calls this package makes; *s3.Client satisfies it.
type s3API interface {
	s3.ListObjectsV2APIClient
	s3.HeadObjectAPIClient
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// Config configures a [Syncer].
type Config struct {
	// Logger receives one info record per change applied and detail at
	// debug level; nil discards them.
	Logger *slog.Logger
}

// Syncer plans and applies syncs of a directory to S3. It holds no state
// between runs and is safe for concurrent use.
type Syncer struct {
	s3  s3API
	log *slog.Logger
}

// New returns a Syncer calling S3 through client (an *s3.Client from
// github.com/aws/aws-sdk-go-v2/service/s3; with an emulator, use
// path-style addressing).
func New(client s3API, c Config) *Syncer {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{s3: client, log: log}
}

// Options say what to sync where, and how.
type Options struct {
	// Source is the local directory.
	Source string
	// Bucket and Prefix say where: the file at rel in Source becomes the
	// object Prefix/rel. Slashes around Prefix do not matter; "" is the
	// bucket's root.
	Bucket, Prefix string

	// Exclude: files and objects whose path relative to Source/Prefix
	// matches one of these globs are neither uploaded nor deleted.
	Exclude []string
	// CacheControl, ContentType and Compress: the first rule matching a
	// file's path gives its Cache-Control header, its Content-Type
	// (instead of [DetectContentType]) and the encoding it is compressed
	// with before upload.
	CacheControl, ContentType, Compress []Rule

	// Delete removes objects under Prefix that have no file in Source;
	// MaxDelete caps how many, failing the plan before anything is written
	// (with a [*DeleteLimitError]). Unless ForceDelete, the plan fails as
	// well when it would delete more than half of the objects under
	// Prefix. Manifests and prefixes of other syncs (a directory holding
	// its own manifest, or named by a manifest at another key) are never
	// deleted.
	Delete      bool
	MaxDelete   int
	ForceDelete bool

	// FollowSymlinks uploads what symbolic links in Source point at even
	// when that is outside Source; otherwise such links fail the plan with
	// [ErrBadSource].
	FollowSymlinks bool

	// ManifestKey is the key of the sync manifest; "" is
	// Prefix/[ManifestName]. Its name must end with ManifestName.
	ManifestKey string

	// Concurrency bounds the S3 requests in flight; 0 means
	// DefaultConcurrency.
	Concurrency int

	// MultipartThreshold and PartSize: files above the threshold are
	// uploaded in parts of PartSize; 0 means the defaults.
	MultipartThreshold, PartSize int64
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Validate reports every problem with the options at once, each a
// [*FieldError] naming the field at fault, what was expected and what was
// found. It checks that Source is a directory.
func (o Options) Validate() error {
	var errs []error
	switch fi, err := os.Stat(o.Source); {
	case o.Source == "":
		errs = append(errs, problem(Source, "a directory", "none"))
	case err != nil:
		errs = append(errs, problem(Source, "an existing directory", fmt.Sprintf("%q (%v)", o.Source, errors.Unwrap(err))))
	case !fi.IsDir():
		errs = append(errs, problem(Source, "a directory", "the file "+strconv.Quote(o.Source)))
	}
	if !bucketRE.MatchString(o.Bucket) || strings.Contains(o.Bucket, "..") {
		errs = append(errs, problem(Bucket, "an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)", strconv.Quote(o.Bucket)))
	}
	if p := o.prefix(); !utf8.ValidString(p) || strings.ContainsFunc(p, isCtl) || len(p) > maxKeyLength-len(ManifestName) {
		errs = append(errs, problem(Prefix, fmt.Sprintf("a key prefix of valid UTF-8 without control characters, at most %d bytes", maxKeyLength-len(ManifestName)), strconv.Quote(o.Prefix)))
	}
	if k := o.ManifestKey; k != "" && (!utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) || len(k) > maxKeyLength ||
		strings.HasPrefix(k, "/") || !IsManifestKey(k)) {
		errs = append(errs, problem(ManifestKey, fmt.Sprintf("an S3 key (no leading slash, valid UTF-8 without control characters, at most %d bytes) whose name ends with %q, so that every sync knows it for a manifest", maxKeyLength, ManifestName), strconv.Quote(k)))
	}
	if o.ForceDelete && !o.Delete {
		errs = append(errs, &FieldError{Field: ForceDelete, Expected: "%s: true as well", Found: "%s: false", Refs: []Ref{{Field: Delete, Bare: true}, {Field: Delete, Bare: true}}})
	}
	if err := CheckExcludes(o.Exclude); err != nil {
		errs = append(errs, err)
	}
	for _, set := range []struct {
		kind  RuleKind
		rules []Rule
	}{{CacheControlRule, o.CacheControl}, {ContentTypeRule, o.ContentType}, {CompressRule, o.Compress}} {
		for _, r := range set.rules {
			if err := checkGlob(r.Glob); err != nil {
				errs = append(errs, problem(set.kind.field(), err.Error(), strconv.Quote(r.Glob)))
			}
			if set.kind == CompressRule && r.Value != Gzip && r.Value != Brotli {
				errs = append(errs, problem(Compress, `"gzip" or "br"`, fmt.Sprintf("%q for %q", r.Value, r.Glob)))
			}
		}
	}
	if o.MaxDelete < 0 {
		errs = append(errs, problem(MaxDelete, "0 or more", strconv.Itoa(o.MaxDelete)))
	}
	if o.Concurrency < 0 || o.Concurrency > MaxConcurrency {
		errs = append(errs, problem(Concurrency, fmt.Sprintf("1 to %d", MaxConcurrency), strconv.Itoa(o.Concurrency)))
	}
	if o.PartSize != 0 && o.PartSize < MinPartSize {
		errs = append(errs, fmt.Errorf("part size: expected at least %d bytes, found %d", MinPartSize, o.PartSize))
	}
	if o.MultipartThreshold < 0 {
		errs = append(errs, fmt.Errorf("multipart threshold: expected 0 or more bytes, found %d", o.MultipartThreshold))
	}
	return errors.Join(errs...)
}

// prefix is Prefix as a key prefix: no leading slash, a trailing one
// unless empty.
func (o Options) prefix() string {
	p := strings.Trim(o.Prefix, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// manifestKey is where the manifest is read and written.
func (o Options) manifestKey() string {
	if o.ManifestKey != "" {
		return o.ManifestKey
	}
	return o.prefix() + ManifestName
}

// KeyPrefix is the normalised prefix every key of the sync starts with:
// "" or "dir/".
func (o Options) KeyPrefix() string { return o.prefix() }

func (o Options) concurrency() int {
	if o.Concurrency == 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

func (o Options) partSize() int64 {
	if o.PartSize == 0 {
		return DefaultPartSize
	}
	return o.PartSize
}

func (o Options) multipartThreshold() int64 {
	if o.MultipartThreshold == 0 {
		return DefaultMultipartThreshold
	}
	return o.MultipartThreshold
}
