package ecr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Tag mutability settings accepted by [RepositoryOptions].
const (
	Mutable   = "MUTABLE"
	Immutable = "IMMUTABLE"
	// MutableWithExclusion: tags are mutable, except those matching one
	// of the exclusion filters, which are immutable.
	MutableWithExclusion = "MUTABLE_WITH_EXCLUSION"
	// ImmutableWithExclusion: tags are immutable, except those matching
	// one of the exclusion filters (e.g. "latest"), which may move.
	ImmutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION"
)

// MaxExclusions is the most tag mutability exclusion filters ECR takes.
const MaxExclusions = 5

// MaxLifecycleKeep is the largest RepositoryOptions.LifecycleKeep accepted.
const MaxLifecycleKeep = 10000

// ErrRepositoryNotFound is returned (wrapped) by [Client.EnsureRepository]
// when the repository does not exist and RepositoryOptions.Create is false.
// Nothing has been created then.
var ErrRepositoryNotFound = errors.New("ECR repository not found")

// RepositoryOptions name the target repository and what to make sure of.
type RepositoryOptions struct {
	// Name of the repository, e.g. "app/web".
	Name string

	// RegistryID is the 12-digit account that owns the registry; "" means
	// the caller's account.
	RegistryID string

	// Create the repository when it does not exist. An existing
	// repository is never changed.
	Create bool

	// ScanOnPush turns on basic image scanning when the repository is
	// created.
	ScanOnPush bool

	// TagMutability is MUTABLE, IMMUTABLE, MUTABLE_WITH_EXCLUSION or
	// IMMUTABLE_WITH_EXCLUSION (any case), used when the repository is
	// created; "" means MUTABLE.
	TagMutability string

	// TagMutabilityExclusions are the wildcard filters ("latest",
	// "dev-*") of the tags the _WITH_EXCLUSION settings except, 1 to
	// [MaxExclusions] of them; given with those settings only.
	TagMutabilityExclusions []string

	// LifecycleKeep > 0 keeps a lifecycle policy that expires all but the
	// newest LifecycleKeep images; 0 leaves the lifecycle policy alone.
	LifecycleKeep int
}

// Repository is an ECR repository as EnsureRepository left it.
type Repository struct {
	Name       string
	URI        string // e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app/web
	RegistryID string
	ARN        string

	// TagMutability is the repository's setting (MUTABLE, IMMUTABLE,
	// MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION) and
	// TagMutabilityExclusions its wildcard exclusion filters; see
	// [Repository.TagImmutable].
	TagMutability           string
	TagMutabilityExclusions []string
	ScanOnPush              bool

	// Created is true when EnsureRepository created the repository.
	Created bool
	// LifecycleChanged is true when EnsureRepository wrote the lifecycle
	// policy.
	LifecycleChanged bool
}

// TagImmutable reports whether ECR refuses to move tag once it exists:
// with IMMUTABLE every tag, with IMMUTABLE_WITH_EXCLUSION every tag no
// exclusion filter matches, with MUTABLE_WITH_EXCLUSION the tags an
// exclusion filter matches, with MUTABLE (or an unknown setting) none.
func (r Repository) TagImmutable(tag string) bool {
	switch r.TagMutability {
	case Immutable:
		return true
	case ImmutableWithExclusion:
		return !matchesAny(r.TagMutabilityExclusions, tag)
	case MutableWithExclusion:
		return matchesAny(r.TagMutabilityExclusions, tag)
	}
	return false
}

// matchesAny reports whether a wildcard filter matches tag: '*' stands for
// any run of characters, every other character for itself, and the filter
// matches the whole tag.
func matchesAny(filters []string, tag string) bool {
	for _, f := range filters {
		if wildcardMatch(f, tag) {
			return true
		}
	}
	return false
}

func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

var (
	// exclusionFilterRE is the filter pattern of the ECR API's
	// ImageTagMutabilityExclusionFilter.
	exclusionFilterRE = regexp.MustCompile(`^[0-9a-zA-Z._*-]{1,128}$`)
	// repositoryNameRE is the repositoryName pattern of the ECR API
	// (CreateRepository, DescribeRepositories); the length, 2 to 256, is
	// checked apart.
	repositoryNameRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	accountIDRE      = regexp.MustCompile(`^[0-9]{12}$`)
)

// Validate reports every problem with the options at once, each a
// [*FieldError]: the [Field] at fault, what was expected and what was found.
// The caller names the field as its user knows it.
func (o RepositoryOptions) Validate() error {
	var errs []error
	const expectName = `an ECR repository name like "app/web" ` +
		`(2 to 256 characters: lowercase letters and digits, separated by single ".", "_", "-" or "/")`
	switch {
	case o.Name == "":
		errs = append(errs, problem(RepositoryName, expectName, "none"))
	case len(o.Name) < 2 || len(o.Name) > 256 || !repositoryNameRE.MatchString(o.Name) ||
		// A valid name, but a registry host: the whole image URI was given.
		strings.Contains(o.Name, ".amazonaws.com"):
		hint := ""
		if strings.Contains(o.Name, ".amazonaws.com") || strings.ContainsAny(o.Name, ":@") {
			hint = "; give the name alone, without the registry host, tag or digest"
		}
		length := ""
		if len(o.Name) < 2 || len(o.Name) > 256 {
			length = fmt.Sprintf(" (%d characters)", len(o.Name))
			if len(o.Name) == 1 {
				length = " (1 character)"
			}
		}
		errs = append(errs, problem(RepositoryName, expectName, fmt.Sprintf("%q%s%s", o.Name, length, hint)))
	}
	if o.RegistryID != "" && !accountIDRE.MatchString(o.RegistryID) {
		errs = append(errs, problem(RegistryID, "a 12-digit AWS account ID", strconv.Quote(o.RegistryID)))
	}
	mutability, ok := tagMutability(o.TagMutability)
	if !ok {
		errs = append(errs, problem(TagMutability, "MUTABLE, IMMUTABLE, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION", strconv.Quote(o.TagMutability)))
	}
	withExclusion := mutability == ecrtypes.ImageTagMutabilityMutableWithExclusion || mutability == ecrtypes.ImageTagMutabilityImmutableWithExclusion
	switch n := len(o.TagMutabilityExclusions); {
	case ok && withExclusion && n == 0:
		errs = append(errs, problem(TagMutabilityExclusions, fmt.Sprintf("1 to %d wildcard filters of the tags %s excepts (e.g. latest, dev-*)", MaxExclusions, mutability), "none"))
	case ok && !withExclusion && n > 0:
		errs = append(errs, &FieldError{Field: TagMutabilityExclusions, Expected: "none with %s " + string(mutability) + " (filters go with MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION)", Refs: []Field{TagMutability}, Found: strconv.Itoa(n)})
	case n > MaxExclusions:
		errs = append(errs, problem(TagMutabilityExclusions, fmt.Sprintf("at most %d filters (ECR's limit)", MaxExclusions), strconv.Itoa(n)))
	}
	for _, f := range o.TagMutabilityExclusions {
		if !exclusionFilterRE.MatchString(f) {
			errs = append(errs, problem(TagMutabilityExclusions, "a wildcard filter of 1 to 128 letters, digits, '.', '_', '-' and '*'", strconv.Quote(f)))
		}
	}
	if o.LifecycleKeep < 0 || o.LifecycleKeep > MaxLifecycleKeep {
		errs = append(errs, problem(LifecycleKeep, fmt.Sprintf("1 to %d (or unset)", MaxLifecycleKeep), strconv.Itoa(o.LifecycleKeep)))
	}
	return errors.Join(errs...)
}

// tagMutability maps the option to the API value.
func tagMutability(s string) (ecrtypes.ImageTagMutability, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", Mutable:
		return ecrtypes.ImageTagMutabilityMutable, true
	case Immutable:
		return ecrtypes.ImageTagMutabilityImmutable, true
	case MutableWithExclusion:
		return ecrtypes.ImageTagMutabilityMutableWithExclusion, true
	case ImmutableWithExclusion:
		return ecrtypes.ImageTagMutabilityImmutableWithExclusion, true
	}
	return "", false
}

// EnsureRepository validates o, then makes sure the repository exists
// (creating it when o.Create is set) and, when o.LifecycleKeep > 0, that its
// lifecycle policy keeps the newest o.LifecycleKeep images. An existing
// repository keeps its settings; the result reports them.
func (c *Client) EnsureRepository(ctx context.Context, o RepositoryOptions) (Repository, error) {
	if err := o.Validate(); err != nil {
		return Repository{}, err
	}
	what := fmt.Sprintf("repository %q", o.Name)
	if o.RegistryID != "" {
		what += fmt.Sprintf(" in registry %q", o.RegistryID)
	}

	repo, found, err := c.describe(ctx, o)
	if err != nil {
		return Repository{}, fmt.Errorf("describing %s: %w", what, err)
	}
	switch {
	case found:
		c.log.DebugContext(ctx, "found ECR repository", "repository", repo.Name, "uri", repo.URI,
			"tag_mutability", repo.TagMutability, "exclusions", repo.TagMutabilityExclusions, "scan_on_push", repo.ScanOnPush)
	case !o.Create:
		where := "the caller's account"
		if o.RegistryID != "" {
			where = "account " + o.RegistryID
		}
		return Repository{}, fmt.Errorf("describing %s: %w: %q does not exist in the registry of %s; "+
			"set create-repository: true to have it created, or create it beforehand", what, ErrRepositoryNotFound, o.Name, where)
	default:
		repo, err = c.create(ctx, o)
		if err != nil {
			return Repository{}, fmt.Errorf("creating %s: %w", what, err)
		}
	}

	if o.LifecycleKeep > 0 {
		changed, err := c.ensureLifecycle(ctx, repo, o.LifecycleKeep, what)
		if err != nil {
			return Repository{}, err
		}
		repo.LifecycleChanged = changed
	}
	return repo, nil
}

// describe looks the repository up; found is false when it does not exist.
func (c *Client) describe(ctx context.Context, o RepositoryOptions) (repo Repository, found bool, err error) {
	out, err := c.api.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{
		RepositoryNames: []string{o.Name},
		RegistryId:      optional(o.RegistryID),
	})
	if nf := (*ecrtypes.RepositoryNotFoundException)(nil); errors.As(err, &nf) {
		return Repository{}, false, nil
	}
	if err != nil {
		return Repository{}, false, err
	}
	for _, r := range out.Repositories {
		if aws.ToString(r.RepositoryName) == o.Name {
			return repository(r), true, nil
		}
	}
	return Repository{}, false, nil
}

// create creates the repository. When another run created it in the
// meantime, that repository is described and reported as found.
func (c *Client) create(ctx context.Context, o RepositoryOptions) (Repository, error) {
	mutability, _ := tagMutability(o.TagMutability)
	var exclusions []ecrtypes.ImageTagMutabilityExclusionFilter
	for _, f := range o.TagMutabilityExclusions {
		exclusions = append(exclusions, ecrtypes.ImageTagMutabilityExclusionFilter{
			Filter: aws.String(f), FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard,
		})
	}
	out, err := c.api.CreateRepository(ctx, &awsecr.CreateRepositoryInput{
		RepositoryName:                     aws.String(o.Name),
		RegistryId:                         optional(o.RegistryID),
		ImageTagMutability:                 mutability,
		ImageTagMutabilityExclusionFilters: exclusions,
		ImageScanningConfiguration:         &ecrtypes.ImageScanningConfiguration{ScanOnPush: o.ScanOnPush},
	})
	if exists := (*ecrtypes.RepositoryAlreadyExistsException)(nil); errors.As(err, &exists) {
		repo, found, derr := c.describe(ctx, o)
		switch {
		case derr != nil:
			return Repository{}, fmt.Errorf("%w (and then describing it: %w)", err, derr)
		case !found:
			return Repository{}, err
		}
		c.log.DebugContext(ctx, "ECR repository was created by someone else meanwhile", "repository", repo.Name)
		return repo, nil
	}
	if err != nil {
		return Repository{}, err
	}
	if out.Repository == nil {
		return Repository{}, errors.New("ECR returned no repository")
	}
	repo := repository(*out.Repository)
	repo.Created = true
	c.log.DebugContext(ctx, "created ECR repository", "repository", repo.Name, "uri", repo.URI,
		"tag_mutability", repo.TagMutability, "exclusions", repo.TagMutabilityExclusions, "scan_on_push", repo.ScanOnPush)
	return repo, nil
}

func repository(r ecrtypes.Repository) Repository {
	repo := Repository{
		Name:       aws.ToString(r.RepositoryName),
		URI:        aws.ToString(r.RepositoryUri),
		RegistryID: aws.ToString(r.RegistryId),
		ARN:        aws.ToString(r.RepositoryArn),
	}
	repo.TagMutability = string(r.ImageTagMutability)
	if repo.TagMutability == "" {
		repo.TagMutability = Mutable
	}
	for _, f := range r.ImageTagMutabilityExclusionFilters {
		// WILDCARD is the only filter type ECR has; a filter of another
		// type is kept as is, so it matches only a tag equal to it.
		repo.TagMutabilityExclusions = append(repo.TagMutabilityExclusions, aws.ToString(f.Filter))
	}
	if r.ImageScanningConfiguration != nil {
		repo.ScanOnPush = r.ImageScanningConfiguration.ScanOnPush
	}
	return repo
}

// ensureLifecycle writes the keep-newest-N policy unless ECR already holds
// an equivalent one.
// what names the repository in errors.
func (c *Client) ensureLifecycle(ctx context.Context, repo Repository, keep int, what string) (changed bool, err error) {
	want := LifecyclePolicy(keep)
	current := ""
	out, err := c.api.GetLifecyclePolicy(ctx, &awsecr.GetLifecyclePolicyInput{
		RepositoryName: aws.String(repo.Name),
		RegistryId:     optional(repo.RegistryID),
	})
	switch nf := (*ecrtypes.LifecyclePolicyNotFoundException)(nil); {
	case errors.As(err, &nf):
	case err != nil:
		return false, fmt.Errorf("reading the lifecycle policy of %s: %w", what, err)
	default:
		current = aws.ToString(out.LifecyclePolicyText)
	}
	if sameJSON(current, want) {
		c.log.DebugContext(ctx, "ECR lifecycle policy is up to date", "repository", repo.Name, "keep", keep)
		return false, nil
	}
	if _, err := c.api.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{
		RepositoryName:      aws.String(repo.Name),
		RegistryId:          optional(repo.RegistryID),
		LifecyclePolicyText: aws.String(want),
	}); err != nil {
		return false, fmt.Errorf("writing the lifecycle policy of %s: %w", what, err)
	}
	c.log.DebugContext(ctx, "wrote ECR lifecycle policy", "repository", repo.Name, "keep", keep, "replaced", current != "")
	return true, nil
}

// LifecyclePolicy renders the ECR lifecycle policy that keeps the newest
// keep images, tagged or not, and expires the rest.
func LifecyclePolicy(keep int) string {
	type selection struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountNumber int    `json:"countNumber"`
	}
	type action struct {
		Type string `json:"type"`
	}
	type rule struct {
		RulePriority int       `json:"rulePriority"`
		Description  string    `json:"description"`
		Selection    selection `json:"selection"`
		Action       action    `json:"action"`
	}
	policy := struct {
		Rules []rule `json:"rules"`
	}{Rules: []rule{{
		RulePriority: 1,
		Description:  fmt.Sprintf("ferry: keep the newest %d images", keep),
		Selection:    selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
		Action:       action{Type: "expire"},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(policy); err != nil {
		panic(err) // only plain strings and ints
	}
	return buf.String()
}

// sameJSON reports whether a and b are the same JSON value, whatever their
// layout and key order. Text that is not JSON equals nothing.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
