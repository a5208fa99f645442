package cdn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Defaults of [Config] and limits.
const (
	DefaultRetryDelay      = 5 * time.Second
	DefaultMaxRetryDelay   = time.Minute
	DefaultPollInterval    = 5 * time.Second
	DefaultMaxPollInterval = 20 * time.Second

	// DefaultMaxPaths is how many paths an invalidation lists before
	// [Paths] falls back to "/*".
	DefaultMaxPaths = 15
	// MaxPaths is CloudFront's limit of paths in one invalidation.
	MaxPaths = 3000

	// completed is the status of a finished invalidation. AWS says
	// "Completed", moto "COMPLETED": compare without case.
	completed = "Completed"
)

// ErrNoSuchDistribution: the distribution does not exist (or is not
// visible to these credentials). Nothing was changed.
var ErrNoSuchDistribution = errors.New("no such CloudFront distribution")

// cloudFrontAPI lists the CloudFront calls this package makes;
// *cloudfront.Client satisfies it.
type cloudFrontAPI interface {
	cloudfront.GetInvalidationAPIClient
	GetDistributionConfig(context.Context, *cloudfront.GetDistributionConfigInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionConfigOutput, error)
	CreateInvalidation(context.Context, *cloudfront.CreateInvalidationInput, ...func(*cloudfront.Options)) (*cloudfront.CreateInvalidationOutput, error)
}

var _ cloudFrontAPI = (*cloudfront.Client)(nil)

// Config configures an [Invalidator]; zero values take the defaults.
type Config struct {
	// Logger receives progress (info) and detail (debug); nil discards them.
	Logger *slog.Logger
	// RetryDelay is the first wait after TooManyInvalidationsInProgress;
	// it doubles (with jitter) up to MaxRetryDelay, until the context ends.
	RetryDelay, MaxRetryDelay time.Duration
	// PollInterval is the first wait between two GetInvalidation calls
	// in [Invalidator.Wait]; it grows by half up to MaxPollInterval.
	PollInterval, MaxPollInterval time.Duration
}

// Invalidator reads CloudFront distributions and invalidates paths. It
// holds no state between calls and is safe for concurrent use.
type Invalidator struct {
	cf  cloudFrontAPI
	log *slog.Logger
	c   Config
}

// New returns an Invalidator calling CloudFront through client (a
// *cloudfront.Client from github.com/aws/aws-sdk-go-v2/service/cloudfront).
func New(client cloudFrontAPI, c Config) *Invalidator {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.MaxRetryDelay < c.RetryDelay {
		c.MaxRetryDelay = max(DefaultMaxRetryDelay, c.RetryDelay)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxPollInterval < c.PollInterval {
		c.MaxPollInterval = max(DefaultMaxPollInterval, c.PollInterval)
	}
	return &Invalidator{cf: client, log: c.Logger, c: c}
}

var distributionIDRE = regexp.MustCompile(`^[A-Z0-9]{6,32}$`)

// Field is a value this package checks; a [FieldError] names it and the
// caller maps it to the name its user knows (an action's input, a flag).
type Field string

// DistributionID is the distribution's id, as [ValidateDistributionID] checks it.
const DistributionID Field = "DistributionID"

// FieldError is a problem with one [Field]: what was expected and what was
// found.
type FieldError struct {
	Field    Field
	Expected string
	Found    string // already quoted, or a description such as "none"
}

// Error names the field by its Go name.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: expected %s, found %s", e.Field, e.Expected, e.Found)
}

// Message renders the problem as the runtime reports bad inputs: "input ",
// the quoted name that name returns for the field, then ": expected …,
// found …".
func (e *FieldError) Message(name func(Field) string) string {
	return "input " + strconv.Quote(name(e.Field)) + fmt.Sprintf(": expected %s, found %s", e.Expected, e.Found)
}

// ValidateDistributionID checks the form of a distribution id, such as
// "E2QWRUHAPOMQZL": a problem is a [*FieldError] naming [DistributionID].
func ValidateDistributionID(id string) error {
	if !distributionIDRE.MatchString(id) {
		return &FieldError{Field: DistributionID, Expected: `a CloudFront distribution id like "E2QWRUHAPOMQZL"`, Found: strconv.Quote(id)}
	}
	return nil
}

// Origin is an origin of a distribution.
type Origin struct {
	ID         string
	DomainName string
	// Path is the origin path: CloudFront asks the origin for Path +
	// the request path, so the object at key "site/a.html" is served at
	// "/a.html" when Path is "/site".
	Path string
}

// Origins returns the origins of the distribution that serve bucket: those
// whose domain is the bucket's S3 REST or website endpoint
// ("<bucket>.s3.<region>.amazonaws.com", "<bucket>.s3-website-…"). When
// none is (a custom domain in front of the bucket, an emulator), it
// returns the origin of the default cache behaviour, and logs a warning.
func (i *Invalidator) Origins(ctx context.Context, distributionID, bucket string) ([]Origin, error) {
	out, err := i.cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(distributionID)})
	var missing *types.NoSuchDistribution
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("distribution %q: %w", distributionID, ErrNoSuchDistribution)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the configuration of distribution %q: %w", distributionID, err)
	}
	cfg := out.DistributionConfig
	if cfg == nil || cfg.Origins == nil {
		return nil, fmt.Errorf("distribution %q has no origins", distributionID)
	}
	var all, matched []Origin
	for _, o := range cfg.Origins.Items {
		org := Origin{ID: aws.ToString(o.Id), DomainName: aws.ToString(o.DomainName), Path: aws.ToString(o.OriginPath)}
		all = append(all, org)
		if servesBucket(org.DomainName, bucket) {
			matched = append(matched, org)
		}
	}
	if len(matched) > 0 {
		return matched, nil
	}
	if cfg.DefaultCacheBehavior != nil {
		target := aws.ToString(cfg.DefaultCacheBehavior.TargetOriginId)
		for _, o := range all {
			if o.ID == target {
				i.log.Warn("no origin of the distribution names the bucket; invalidating through the default behaviour's origin",
					"distribution", distributionID, "bucket", bucket, "origin", o.ID, "domain", o.DomainName, "origin_path", o.Path)
				return []Origin{o}, nil
			}
		}
	}
	return nil, fmt.Errorf("distribution %q has no origin for bucket %q", distributionID, bucket)
}

func servesBucket(domain, bucket string) bool {
	d := strings.ToLower(domain)
	return strings.HasPrefix(d, bucket+".s3.") || strings.HasPrefix(d, bucket+".s3-")
}

// ServesPrefix tells whether one of the origins serves the keys under
// keyPrefix ("" or "dir/"): its origin path is empty, or keyPrefix lies
// under it ("site/v2/" under "/site"). Keys outside every origin path are
// never served, and would leave nothing to invalidate.
func ServesPrefix(origins []Origin, keyPrefix string) bool {
	for _, o := range origins {
		op := strings.Trim(o.Path, "/")
		if op == "" || strings.HasPrefix(keyPrefix, op+"/") {
			return true
		}
	}
	return false
}

// path is the request path at which the origin serves key, if it does.
func (o Origin) path(key string) (string, bool) {
	op := strings.Trim(o.Path, "/")
	if op != "" {
		rest, ok := strings.CutPrefix(key, op+"/")
		if !ok {
			return "", false
		}
		key = rest
	}
	return "/" + key, true
}

// Paths returns the invalidation paths for changed S3 keys, as the origins
// serve them, sorted:
//
//   - "/" + the key less the origin path; keys outside every origin path
//     are not served and left out;
//   - "dir/index.html" also invalidates "/dir/" and "/dir" (and the root
//     "index.html" "/"), as the pages are requested that way;
//   - non-ASCII and RFC 1738 unsafe characters are percent-encoded, as
//     CloudFront asks;
//   - past maxPaths, paths collapse into "/dir/*" wildcards, the deepest
//     directory first (the narrowest wildcard), then upwards, and when
//     that is not enough, or there are more than MaxPaths, into "/*".
func Paths(keys []string, origins []Origin, maxPaths int) []string {
	set := map[string]bool{}
	for _, k := range keys {
		for _, o := range origins {
			p, ok := o.path(k)
			if !ok {
				continue
			}
			set[escape(p)] = true
			if dir, ok := strings.CutSuffix(p, "/index.html"); ok {
				set[escape(dir+"/")] = true
				if dir != "" {
					set[escape(dir)] = true
				}
			}
		}
	}
	return collapse(set, maxPaths)
}

func collapse(set map[string]bool, maxPaths int) []string {
	maxPaths = max(maxPaths, 1)
	if len(set) > MaxPaths {
		return []string{"/*"}
	}
	for len(set) > maxPaths {
		// How many paths each directory (not the root) covers.
		counts := map[string]int{}
		for p := range set {
			for i := 1; i < len(p); i++ {
				if p[i] == '/' {
					counts[p[:i+1]]++
				}
			}
		}
		// The deepest directory covering two paths or more (the narrowest
		// wildcard), the one covering most among those.
		best, depth, n := "", 0, 0
		for dir, c := range counts {
			if c < 2 {
				continue
			}
			d := strings.Count(dir, "/")
			if d > depth || d == depth && (c > n || c == n && dir < best) {
				best, depth, n = dir, d, c
			}
		}
		if best == "" {
			break
		}
		for p := range set {
			if strings.HasPrefix(p, best) {
				delete(set, p)
			}
		}
		set[best+"*"] = true
	}
	if len(set) > maxPaths {
		return []string{"/*"}
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// escape percent-encodes what CloudFront wants encoded in a path:
// non-ASCII bytes, controls and RFC 1738's unsafe characters. Nothing
// else is, or CloudFront would not match the cached object.
func escape(p string) string {
	const unsafe = " <>\"#%{}|\\^~[]`"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x21 || c >= 0x7f || strings.IndexByte(unsafe, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Create creates an invalidation of paths and returns its id. While
// CloudFront answers TooManyInvalidationsInProgress it retries with the
// same caller reference (so a retry never invalidates twice), waiting
// longer each time, until ctx ends.
func (i *Invalidator) Create(ctx context.Context, distributionID string, paths []string) (string, error) {
	if len(paths) == 0 {
		return "", errors.New("no paths to invalidate")
	}
	ref := fmt.Sprintf("ferry-%d", time.Now().UnixNano())
	in := &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(distributionID),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	}
	delay := i.c.RetryDelay
	for attempt := 1; ; attempt++ {
		out, err := i.cf.CreateInvalidation(ctx, in)
		var busy *types.TooManyInvalidationsInProgress
		if errors.As(err, &busy) {
			wait := delay/2 + rand.N(delay/2+1)
			i.log.Info("too many invalidations in progress; retrying", "distribution", distributionID, "attempt", attempt, "wait", wait.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("creating an invalidation of distribution %q: still too many invalidations in progress after %d attempts: %w", distributionID, attempt, ctx.Err())
			case <-time.After(wait):
			}
			delay = min(delay*2, i.c.MaxRetryDelay)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("creating an invalidation of distribution %q: %w", distributionID, err)
		}
		if out.Invalidation == nil {
			return "", fmt.Errorf("creating an invalidation of distribution %q: CloudFront returned no invalidation", distributionID)
		}
		id := aws.ToString(out.Invalidation.Id)
		i.log.Info("invalidation created", "distribution", distributionID, "id", id, "paths", len(paths))
		return id, nil
	}
}

// Wait polls the invalidation until its status is "Completed", compared
// without case: moto says "COMPLETED", which the SDK's waiter does not
// accept. It returns when ctx ends, with the last status seen.
func (i *Invalidator) Wait(ctx context.Context, distributionID, id string) error {
	poll := i.c.PollInterval
	for {
		out, err := i.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distributionID), Id: aws.String(id)})
		if err != nil {
			return fmt.Errorf("reading invalidation %q of distribution %q: %w", id, distributionID, err)
		}
		status := ""
		if out.Invalidation != nil {
			status = aws.ToString(out.Invalidation.Status)
		}
		if strings.EqualFold(status, completed) {
			i.log.Info("invalidation completed", "distribution", distributionID, "id", id)
			return nil
		}
		i.log.Debug("invalidation in progress", "distribution", distributionID, "id", id, "status", status, "next_poll", poll)
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for invalidation %q of distribution %q (status %q): %w", id, distributionID, status, ctx.Err())
		case <-time.After(poll):
		}
		poll = min(poll*3/2, i.c.MaxPollInterval)
	}
}
