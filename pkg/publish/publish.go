package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

// DefaultJobs is the number of parallel blob uploads when [Options.Jobs] is 0.
const DefaultJobs = 4

// Options configures [Push].
type Options struct {
	// Keychain gives the credentials for the registry; nil pushes
	// anonymously.
	Keychain authn.Keychain
	// Jobs bounds the blob uploads in flight at once; 0 means [DefaultJobs].
	Jobs int
	// Immutable reports whether the repository keeps tag immutable (ECR's
	// tag mutability, exclusion filters included): such a tag that points
	// at another digest is a conflict ([ErrTagConflict]), not overwritten.
	// Nil means every tag may move.
	Immutable func(tag string) bool
	// Transport is the base HTTP transport; nil means remote.DefaultTransport.
	Transport http.RoundTripper
	// Logger receives what Push has to say, at debug level but for one info
	// line per push; nil discards it.
	Logger *slog.Logger
	// Retry says how often and how patiently refused or broken requests
	// are tried again; the zero value means 5 attempts, waits up to 20s.
	Retry Retry
}

// BlobCounts counts the artifact's blobs and what became of them.
type BlobCounts struct {
	// Total is the distinct blobs of the artifact: the layers and config of
	// the image, or of every image of the index.
	Total int
	// Uploaded is the blobs this push sent and committed.
	Uploaded int
	// Existing is the blobs the repository already held (a HEAD found them).
	Existing int
	// Mounted is the blobs mounted from another repository of the registry.
	Mounted int
}

// Result describes a push. When a tag already pointed at the digest, the
// manifest and its blobs are known to be in the repository: no blob is
// checked or sent, and the blob counts other than Total are 0. When every
// tag already pointed at the digest, nothing at all is written.
type Result struct {
	// Reference is the digest reference deploys take: repo@sha256:….
	Reference string
	// Digest is the digest of the image's or the index's manifest.
	Digest v1.Hash
	// Tags is every requested tag, now pointing at Digest.
	Tags []string
	// Written is the tags this push wrote; Unchanged those that already
	// pointed at Digest and were left alone. Both keep the requested order.
	Written, Unchanged []string
	// Platforms is what the artifact serves (see image.Artifact.Platforms).
	Platforms []v1.Platform
	// Blobs counts the artifact's blobs and what became of them.
	Blobs BlobCounts
	// BytesUploaded is the request-body bytes sent to the registry's blob
	// upload endpoints (/v2/<repo>/blobs/uploads/…).
	BytesUploaded int64
}

// ErrTagConflict is wrapped by the error of a push to an immutable
// repository where a requested tag points at another digest.
var ErrTagConflict = errors.New("immutable tags point at other digests")

// ErrDenied is wrapped by the error of a push the registry refused with 401
// or 403: missing, wrong or expired credentials, or no permission.
var ErrDenied = errors.New("registry denied access")

// TagConflict is one tag of an immutable repository that points elsewhere.
type TagConflict struct {
	Tag     string
	Current v1.Hash // what the tag points at
	Want    v1.Hash // the digest being pushed
}

// TagConflictError lists the conflicting tags of a push; it matches
// [ErrTagConflict] with errors.Is.
type TagConflictError struct {
	Conflicts []TagConflict
}

func (e *TagConflictError) Error() string {
	var b strings.Builder
	b.WriteString(ErrTagConflict.Error())
	for i, c := range e.Conflicts {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%stag %q points at %s, not %s", sep, c.Tag, c.Current, c.Want)
	}
	return b.String()
}

// Is reports whether target is [ErrTagConflict].
func (e *TagConflictError) Is(target error) bool { return target == ErrTagConflict }

// Push delivers art to repo under every tag and returns the digest
// reference. Tags are validated before any request. Every tag is checked
// first; a tag [Options.Immutable] reports immutable that points at another digest fails
// the whole push before anything is written. Tags that already point at the
// digest are not written again. The blobs are pushed once and the tags in
// one go.
func Push(ctx context.Context, repo name.Repository, art image.Artifact, tags []string, o Options) (Result, error) {
	tags, err := validTags(repo, tags)
	if err == nil && o.Jobs < 0 {
		err = fmt.Errorf("jobs must be 0 (the default, %d) or more, not %d", DefaultJobs, o.Jobs)
	}
	if err != nil {
		return Result{}, fmt.Errorf("pushing to %q: %w", repo, err)
	}
	digest, err := art.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("pushing to %q: %w", repo, err)
	}
	ref := repo.Digest(digest.String())
	res, err := push(ctx, ref, art, tags, o)
	if err != nil {
		return Result{}, fmt.Errorf("pushing %q: %w", ref, err)
	}
	return res, nil
}

// tagPattern is the distribution spec's tag grammar; name.NewTag does not
// check the first character.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// validTags checks every tag, reports every problem at once, and drops
// repeated tags.
func validTags(repo name.Repository, tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, errors.New("no tags: at least one is required")
	}
	var (
		out  []string
		errs []error
	)
	for _, t := range tags {
		if t == "" {
			errs = append(errs, errors.New(`invalid tag "": a tag is not empty`))
			continue
		}
		tag, err := name.NewTag(repo.Name()+":"+t, name.StrictValidation)
		if err != nil || !tagPattern.MatchString(t) || tag.TagStr() != t || tag.Context().Name() != repo.Name() {
			errs = append(errs, fmt.Errorf("invalid tag %q: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", t))
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

type tagState int

const (
	tagAbsent    tagState = iota // no such tag: write it
	tagSame                      // points at the digest: leave it
	tagElsewhere                 // points at another digest
)

func (s tagState) String() string {
	return [...]string{"absent", "unchanged", "points elsewhere"}[s]
}

func push(ctx context.Context, ref name.Digest, art image.Artifact, tags []string, o Options) (Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	jobs := o.Jobs
	if jobs == 0 {
		jobs = DefaultJobs
	}
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	repo := ref.Context()
	digest, err := v1.NewHash(ref.DigestStr())
	if err != nil {
		return Result{}, err
	}

	res := Result{Reference: ref.String(), Digest: digest, Tags: tags}
	if res.Platforms, err = art.Platforms(); err != nil {
		return Result{}, err
	}
	if res.Blobs.Total, err = countBlobs(art); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	retry := o.Retry.withDefaults()
	ct := newCounter(&retrying{base: base, retry: retry}, repo, jobs)
	auth := remote.WithAuth(authn.Anonymous)
	if o.Keychain != nil {
		auth = remote.WithAuthFromKeychain(o.Keychain)
	}
	opts := []remote.Option{
		remote.WithContext(ctx), remote.WithJobs(jobs), auth, remote.WithTransport(ct),
		// Single requests are retried by ct's base; go-containerregistry
		// retries whole blob uploads and manifest writes.
		remote.WithRetryStatusCodes(), remote.WithRetryBackoff(retry.remoteBackoff()), remote.WithRetryPredicate(remotePredicate),
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return Result{}, err
	}

	current, err := headTags(ctx, puller, repo, tags, jobs)
	if err != nil {
		return Result{}, err
	}
	var (
		write     []string
		conflicts []TagConflict
	)
	for i, t := range tags {
		state := tagAbsent
		if current[i] != nil {
			state = tagElsewhere
			if *current[i] == digest {
				state = tagSame
			}
		}
		log.DebugContext(ctx, "tag checked", "repository", repo.String(), "tag", t, "state", state.String())
		switch state {
		case tagSame:
			res.Unchanged = append(res.Unchanged, t)
		case tagElsewhere:
			if o.Immutable != nil && o.Immutable(t) {
				conflicts = append(conflicts, TagConflict{Tag: t, Current: *current[i], Want: digest})
			}
			write = append(write, t)
		case tagAbsent:
			write = append(write, t)
		}
	}
	if len(conflicts) > 0 {
		return Result{}, &TagConflictError{Conflicts: conflicts}
	}

	if len(write) == 0 {
		// Every tag already points at the digest: confirm the manifest is
		// there by digest and write nothing.
		if _, err := puller.Head(ctx, ref); err != nil {
			return Result{}, fmt.Errorf("checking manifest: %w", classify(ctx, err))
		}
	} else {
		full, manifest, err := taggables(art)
		if err != nil {
			return Result{}, err
		}
		// The tags are written one after another, in the order asked: the
		// first with the blobs (unless a tag showed the manifest is there),
		// the others as the manifest alone. So a failure leaves a known
		// state: the tags before it point at the digest, it and those
		// after it are as they were.
		first := full
		if len(res.Unchanged) > 0 {
			first = manifest
		}
		for i, tag := range write {
			t := manifest
			if i == 0 {
				t = first
			}
			if err := remote.MultiWrite(map[name.Reference]remote.Taggable{repo.Tag(tag): t}, opts...); err != nil {
				return Result{}, fmt.Errorf("writing %s: %w (%s)", quoteTags(write[i:i+1]), classify(ctx, err), tagProgress(write[:i], write[i:]))
			}
		}
	}

	res.Written = write
	res.Blobs.Uploaded, res.Blobs.Existing, res.Blobs.Mounted, res.BytesUploaded = ct.counts()
	log.InfoContext(ctx, "pushed", "reference", res.Reference, "digest", res.Digest.String(),
		"written", res.Written, "unchanged", res.Unchanged,
		"blobs", res.Blobs.Total, "uploaded", res.Blobs.Uploaded, "existing", res.Blobs.Existing,
		"mounted", res.Blobs.Mounted, "bytes", res.BytesUploaded)
	return res, nil
}

// headTags asks the registry what each tag points at; nil for a tag that
// does not exist. The first failure, in tag order, is returned.
func headTags(ctx context.Context, puller *remote.Puller, repo name.Repository, tags []string, jobs int) ([]*v1.Hash, error) {
	out := make([]*v1.Hash, len(tags))
	errs := make([]error, len(tags))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			desc, err := puller.Head(ctx, repo.Tag(t))
			var terr *transport.Error
			switch {
			case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
			case err != nil:
				errs[i] = fmt.Errorf("checking tag %q: %w", t, classify(ctx, err))
			default:
				out[i] = &desc.Digest
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// taggables returns what MultiWrite pushes: the image or index with its
// blobs and children, and its manifest alone, for when the manifest is
// known to be in the repository already, so that no blob is checked again.
func taggables(art image.Artifact) (full, manifest remote.Taggable, err error) {
	var f interface {
		remote.Taggable
		MediaType() (types.MediaType, error)
		Digest() (v1.Hash, error)
		Size() (int64, error)
	}
	switch {
	case art.Index != nil:
		f = art.Index
	case art.Image != nil:
		f = art.Image
	default:
		return nil, nil, image.ErrEmptyArtifact
	}
	raw, err := f.RawManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading manifest: %w", err)
	}
	mt, err := f.MediaType()
	if err != nil {
		return nil, nil, fmt.Errorf("reading media type: %w", err)
	}
	d, err := f.Digest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading digest: %w", err)
	}
	return f, manifestOnly{raw: raw, mediaType: mt, digest: d}, nil
}

// tagProgress says which tags a failed push wrote and which it did not.
func tagProgress(written, not []string) string {
	if len(written) == 0 {
		return "no tag was written"
	}
	return fmt.Sprintf("%s now at the digest, %s unchanged", quoteTags(written), quoteTags(not))
}

// manifestOnly is a manifest without its dependencies: MultiWrite puts it
// and checks nothing else.
type manifestOnly struct {
	raw       []byte
	mediaType types.MediaType
	digest    v1.Hash
}

func (m manifestOnly) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m manifestOnly) MediaType() (types.MediaType, error) { return m.mediaType, nil }
func (m manifestOnly) Digest() (v1.Hash, error)            { return m.digest, nil }
func (m manifestOnly) Size() (int64, error)                { return int64(len(m.raw)), nil }

// countBlobs counts the distinct blobs of the artifact: the config and the
// distributable layers of every image.
func countBlobs(art image.Artifact) (int, error) {
	seen := map[v1.Hash]bool{}
	addImage := func(img v1.Image) error {
		m, err := img.Manifest()
		if err != nil {
			return fmt.Errorf("reading image manifest: %w", err)
		}
		seen[m.Config.Digest] = true
		for _, l := range m.Layers {
			if l.MediaType.IsDistributable() {
				seen[l.Digest] = true
			}
		}
		return nil
	}
	var addIndex func(v1.ImageIndex) error
	addIndex = func(idx v1.ImageIndex) error {
		m, err := idx.IndexManifest()
		if err != nil {
			return fmt.Errorf("reading index manifest: %w", err)
		}
		for _, d := range m.Manifests {
			switch {
			case d.MediaType.IsIndex():
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return fmt.Errorf("reading index %s: %w", d.Digest, err)
				}
				if err := addIndex(child); err != nil {
					return err
				}
			case d.MediaType.IsImage():
				img, err := idx.Image(d.Digest)
				if err != nil {
					return fmt.Errorf("reading image %s: %w", d.Digest, err)
				}
				if err := addImage(img); err != nil {
					return err
				}
			case d.MediaType.IsDistributable():
				seen[d.Digest] = true
			}
		}
		return nil
	}
	var err error
	switch {
	case art.Index != nil:
		err = addIndex(art.Index)
	case art.Image != nil:
		err = addImage(art.Image)
	default:
		err = image.ErrEmptyArtifact
	}
	return len(seen), err
}

// classify marks refusals by the registry with [ErrDenied] and makes sure a
// push stopped by its context says so.
func classify(ctx context.Context, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%w: %w", ErrDenied, err)
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

func quoteTags(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = fmt.Sprintf("%q", t)
	}
	if len(q) == 1 {
		return "tag " + q[0]
	}
	return "tags " + strings.Join(q, ", ")
}
