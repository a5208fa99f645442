//go:build unix

package ecr

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// describeRepo reads a repository back through the sdk client.
func describeRepo(t *testing.T, api *awsecr.Client, name string) (ecrtypes.Repository, bool) {
	t.Helper()
	out, err := api.DescribeRepositories(context.Background(), &awsecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if nf := (*ecrtypes.RepositoryNotFoundException)(nil); errors.As(err, &nf) {
		return ecrtypes.Repository{}, false
	}
	if err != nil {
		t.Fatalf("DescribeRepositories(%q): %v", name, err)
	}
	if len(out.Repositories) != 1 {
		t.Fatalf("DescribeRepositories(%q) gave %d repositories, want 1", name, len(out.Repositories))
	}
	return out.Repositories[0], true
}

func TestEnsureRepositoryCreates(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	tests := []struct {
		name           string
		opts           RepositoryOptions
		wantMutable    ecrtypes.ImageTagMutability
		wantScan       bool
		wantExclusions []string
	}{
		{
			name:        "scan on push and immutable",
			opts:        RepositoryOptions{Create: true, ScanOnPush: true, TagMutability: "IMMUTABLE"},
			wantMutable: ecrtypes.ImageTagMutabilityImmutable,
			wantScan:    true,
		},
		{
			name:        "defaults",
			opts:        RepositoryOptions{Create: true},
			wantMutable: ecrtypes.ImageTagMutabilityMutable,
		},
		{
			name:        "mutability in lower case",
			opts:        RepositoryOptions{Create: true, TagMutability: "immutable"},
			wantMutable: ecrtypes.ImageTagMutabilityImmutable,
		},
		{
			name:           "immutable but latest and dev-*",
			opts:           RepositoryOptions{Create: true, TagMutability: "IMMUTABLE_WITH_EXCLUSION", TagMutabilityExclusions: []string{"latest", "dev-*"}},
			wantMutable:    ecrtypes.ImageTagMutabilityImmutableWithExclusion,
			wantExclusions: []string{"latest", "dev-*"},
		},
		{
			name:           "mutable but release-*",
			opts:           RepositoryOptions{Create: true, TagMutability: "mutable_with_exclusion", TagMutabilityExclusions: []string{"release-*"}},
			wantMutable:    ecrtypes.ImageTagMutabilityMutableWithExclusion,
			wantExclusions: []string{"release-*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newCounting(sdk)
			c := New(api, Options{})
			opts := tt.opts
			opts.Name = repoName(t)

			have, err := c.EnsureRepository(context.Background(), opts)
			if err != nil {
				t.Fatalf("EnsureRepository(): %v", err)
			}
			want := Repository{
				Name:       opts.Name,
				URI:        RegistryHost(motoAccount, "us-east-1") + "/" + opts.Name,
				RegistryID: motoAccount,
				ARN:        "arn:aws:ecr:us-east-1:" + motoAccount + ":repository/" + opts.Name,
				ScanOnPush: tt.wantScan,
				Created:    true,

				TagMutability:           string(tt.wantMutable),
				TagMutabilityExclusions: tt.wantExclusions,
			}
			if !reflect.DeepEqual(have, want) {
				t.Errorf("EnsureRepository()\nhave %+v\nwant %+v", have, want)
			}
			if n := api.Calls("CreateRepository"); n != 1 {
				t.Errorf("CreateRepository calls: have %d, want 1", n)
			}

			back, ok := describeRepo(t, sdk, opts.Name)
			if !ok {
				t.Fatalf("repository %q does not exist after EnsureRepository", opts.Name)
			}
			if back.ImageTagMutability != tt.wantMutable {
				t.Errorf("imageTagMutability read back: have %q, want %q", back.ImageTagMutability, tt.wantMutable)
			}
			var filters []string
			for _, f := range back.ImageTagMutabilityExclusionFilters {
				filters = append(filters, string(f.FilterType)+":"+aws.ToString(f.Filter))
			}
			var wantFilters []string
			for _, f := range tt.wantExclusions {
				wantFilters = append(wantFilters, "WILDCARD:"+f)
			}
			if !reflect.DeepEqual(filters, wantFilters) {
				t.Errorf("imageTagMutabilityExclusionFilters read back: have %q, want %q", filters, wantFilters)
			}
			if haveScan := back.ImageScanningConfiguration != nil && back.ImageScanningConfiguration.ScanOnPush; haveScan != tt.wantScan {
				t.Errorf("scanOnPush read back: have %v, want %v", haveScan, tt.wantScan)
			}

			// A second run finds it and changes nothing.
			again, err := c.EnsureRepository(context.Background(), opts)
			if err != nil {
				t.Fatalf("second EnsureRepository(): %v", err)
			}
			want.Created = false
			if !reflect.DeepEqual(again, want) {
				t.Errorf("second EnsureRepository()\nhave %+v\nwant %+v", again, want)
			}
			if n := api.Calls("CreateRepository"); n != 1 {
				t.Errorf("CreateRepository calls after the second run: have %d, want 1", n)
			}
		})
	}
}

// An existing repository keeps its settings, whatever the options ask.
func TestEnsureRepositoryLeavesExistingAlone(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	name := repoName(t)
	if _, err := sdk.CreateRepository(context.Background(), &awsecr.CreateRepositoryInput{
		RepositoryName:             aws.String(name),
		ImageTagMutability:         ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true},
	}); err != nil {
		t.Fatal(err)
	}
	api := newCounting(sdk)
	have, err := New(api, Options{}).EnsureRepository(context.Background(), RepositoryOptions{
		Name: name, Create: true, TagMutability: "MUTABLE", ScanOnPush: false,
	})
	if err != nil {
		t.Fatalf("EnsureRepository(): %v", err)
	}
	if have.Created || have.TagMutability != Immutable || !have.ScanOnPush {
		t.Errorf("EnsureRepository() = %+v, want Created false and the existing IMMUTABLE, ScanOnPush true", have)
	}
	if n := api.Calls("CreateRepository"); n != 0 {
		t.Errorf("CreateRepository calls: have %d, want 0", n)
	}
	back, _ := describeRepo(t, sdk, name)
	if back.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable || !back.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("repository changed: imageTagMutability %q, scanOnPush %v", back.ImageTagMutability, back.ImageScanningConfiguration.ScanOnPush)
	}
}

func TestEnsureRepositoryMissing(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	tests := []struct {
		name       string
		registryID string
		wantWhere  string
	}{
		{name: "caller's account", wantWhere: "the registry of the caller's account"},
		{name: "other account", registryID: "210987654321", wantWhere: `in registry "210987654321"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newCounting(sdk)
			name := repoName(t)
			_, err := New(api, Options{}).EnsureRepository(context.Background(), RepositoryOptions{
				Name: name, RegistryID: tt.registryID, LifecycleKeep: 5,
			})
			if !errors.Is(err, ErrRepositoryNotFound) {
				t.Fatalf("EnsureRepository() error = %v, want ErrRepositoryNotFound", err)
			}
			for _, want := range []string{`describing repository "` + name + `"`, "create-repository: true", tt.wantWhere} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, op := range []string{"CreateRepository", "GetLifecyclePolicy", "PutLifecyclePolicy"} {
				if n := api.Calls(op); n != 0 {
					t.Errorf("%s calls: have %d, want 0", op, n)
				}
			}
			if _, ok := describeRepo(t, sdk, name); ok {
				t.Errorf("repository %q exists; nothing should have been created", name)
			}
		})
	}
}

// A listing that leaves the repository out is "not found" too (moto and
// ECR answer RepositoryNotFoundException; the fake covers the other shape).
func TestEnsureRepositoryEmptyListing(t *testing.T) {
	t.Parallel()
	fake := &fakeAPI{t: t, describe: func(*awsecr.DescribeRepositoriesInput) (*awsecr.DescribeRepositoriesOutput, error) {
		return &awsecr.DescribeRepositoriesOutput{}, nil
	}}
	_, err := New(fake, Options{}).EnsureRepository(context.Background(), RepositoryOptions{Name: "app/web"})
	if !errors.Is(err, ErrRepositoryNotFound) {
		t.Fatalf("EnsureRepository() error = %v, want ErrRepositoryNotFound", err)
	}
}

// racingAPI creates the repository behind the caller's back right after the
// caller found it missing, as a parallel job would.
type racingAPI struct {
	*countingAPI
	sdk *awsecr.Client
}

func (r *racingAPI) DescribeRepositories(ctx context.Context, in *awsecr.DescribeRepositoriesInput, optFns ...func(*awsecr.Options)) (*awsecr.DescribeRepositoriesOutput, error) {
	out, err := r.countingAPI.DescribeRepositories(ctx, in, optFns...)
	if r.Calls("DescribeRepositories") == 1 {
		if _, cerr := r.sdk.CreateRepository(ctx, &awsecr.CreateRepositoryInput{
			RepositoryName:     aws.String(in.RepositoryNames[0]),
			ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
		}); cerr != nil {
			return nil, cerr
		}
	}
	return out, err
}

func TestEnsureRepositoryCreatedMeanwhile(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	api := &racingAPI{countingAPI: newCounting(sdk), sdk: sdk}
	name := repoName(t)
	have, err := New(api, Options{}).EnsureRepository(context.Background(), RepositoryOptions{Name: name, Create: true})
	if err != nil {
		t.Fatalf("EnsureRepository(): %v", err)
	}
	if have.Created || have.TagMutability != Immutable || have.Name != name {
		t.Errorf("EnsureRepository() = %+v, want the other job's repository (Created false, IMMUTABLE)", have)
	}
	if n := api.Calls("CreateRepository"); n != 1 {
		t.Errorf("CreateRepository calls: have %d, want 1 (refused: already exists)", n)
	}
	if n := api.Calls("DescribeRepositories"); n != 2 {
		t.Errorf("DescribeRepositories calls: have %d, want 2", n)
	}
}

func TestEnsureRepositoryWrapsErrors(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(sdk, Options{}).EnsureRepository(ctx, RepositoryOptions{Name: "app/web", RegistryID: "123456789012"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("EnsureRepository() error = %v, want context.Canceled", err)
	}
	if want := `describing repository "app/web" in registry "123456789012": `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("EnsureRepository() error\nhave %q\nwant prefix %q", err, want)
	}
}

// lifecycleRule is the part of a lifecycle policy the tests look at.
type lifecycleRule struct {
	RulePriority int    `json:"rulePriority"`
	Description  string `json:"description"`
	Selection    struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountNumber int    `json:"countNumber"`
	} `json:"selection"`
	Action struct {
		Type string `json:"type"`
	} `json:"action"`
}

// readLifecycle reads the policy back through the sdk client.
func readLifecycle(t *testing.T, api *awsecr.Client, name string) []lifecycleRule {
	t.Helper()
	out, err := api.GetLifecyclePolicy(context.Background(), &awsecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetLifecyclePolicy(%q): %v", name, err)
	}
	var policy struct {
		Rules []lifecycleRule `json:"rules"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.LifecyclePolicyText)), &policy); err != nil {
		t.Fatalf("lifecycle policy of %q: %v\n%s", name, err, aws.ToString(out.LifecyclePolicyText))
	}
	return policy.Rules
}

func TestEnsureRepositoryLifecycle(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	api := newCounting(sdk)
	c := New(api, Options{})
	name := repoName(t)
	ctx := context.Background()

	// Steps run in order on one repository.
	steps := []struct {
		name        string
		keep        int
		before      func(t *testing.T) // changes ECR before the step
		wantChanged bool
		wantGets    int // GetLifecyclePolicy calls so far
		wantPuts    int // PutLifecyclePolicy calls so far
		wantKeep    int // countNumber read back
	}{
		{name: "created with keep 5", keep: 5, wantChanged: true, wantGets: 1, wantPuts: 1, wantKeep: 5},
		{name: "same keep again", keep: 5, wantChanged: false, wantGets: 2, wantPuts: 1, wantKeep: 5},
		{name: "keep changed", keep: 7, wantChanged: true, wantGets: 3, wantPuts: 2, wantKeep: 7},
		{name: "keep unset leaves it alone", keep: 0, wantChanged: false, wantGets: 3, wantPuts: 2, wantKeep: 7},
		{
			name: "same policy in another layout",
			keep: 7,
			before: func(t *testing.T) {
				var v any
				if err := json.Unmarshal([]byte(LifecyclePolicy(7)), &v); err != nil {
					t.Fatal(err)
				}
				compact, _ := json.Marshal(v) // keys sorted, no indentation
				if _, err := sdk.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{
					RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(string(compact)),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantChanged: false, wantGets: 4, wantPuts: 2, wantKeep: 7,
		},
		{
			name: "someone else's policy is replaced",
			keep: 7,
			before: func(t *testing.T) {
				if _, err := sdk.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{
					RepositoryName: aws.String(name),
					LifecyclePolicyText: aws.String(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",` +
						`"countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantChanged: true, wantGets: 5, wantPuts: 3, wantKeep: 7,
		},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before(t)
		}
		have, err := c.EnsureRepository(ctx, RepositoryOptions{Name: name, Create: true, LifecycleKeep: step.keep})
		if err != nil {
			t.Fatalf("%s: EnsureRepository(): %v", step.name, err)
		}
		if have.LifecycleChanged != step.wantChanged {
			t.Errorf("%s: LifecycleChanged: have %v, want %v", step.name, have.LifecycleChanged, step.wantChanged)
		}
		if n := api.Calls("GetLifecyclePolicy"); n != step.wantGets {
			t.Errorf("%s: GetLifecyclePolicy calls: have %d, want %d", step.name, n, step.wantGets)
		}
		if n := api.Calls("PutLifecyclePolicy"); n != step.wantPuts {
			t.Errorf("%s: PutLifecyclePolicy calls: have %d, want %d", step.name, n, step.wantPuts)
		}
		rules := readLifecycle(t, sdk, name)
		if len(rules) != 1 {
			t.Fatalf("%s: lifecycle policy has %d rules, want 1: %+v", step.name, len(rules), rules)
		}
		r := rules[0]
		if r.RulePriority != 1 || r.Selection.TagStatus != "any" || r.Selection.CountType != "imageCountMoreThan" ||
			r.Selection.CountNumber != step.wantKeep || r.Action.Type != "expire" || r.Description == "" {
			t.Errorf("%s: lifecycle rule read back: have %+v, want priority 1, tagStatus any, imageCountMoreThan %d, expire, a description",
				step.name, r, step.wantKeep)
		}
	}
}

// The lifecycle policy is kept on a repository the run created, too, and the
// error names the step and the repository.
func TestEnsureRepositoryLifecycleErrors(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	name := repoName(t)
	api := &failingPut{countingAPI: newCounting(sdk)}
	have, err := New(api, Options{}).EnsureRepository(context.Background(), RepositoryOptions{Name: name, Create: true, LifecycleKeep: 3})
	if err == nil {
		t.Fatalf("EnsureRepository() = %+v, want an error", have)
	}
	if want := `writing the lifecycle policy of repository "` + name + `": refused`; err.Error() != want {
		t.Errorf("EnsureRepository() error\nhave %q\nwant %q", err, want)
	}
}

type failingPut struct{ *countingAPI }

func (failingPut) PutLifecyclePolicy(context.Context, *awsecr.PutLifecyclePolicyInput, ...func(*awsecr.Options)) (*awsecr.PutLifecyclePolicyOutput, error) {
	return nil, errors.New("refused")
}

// TagImmutable follows ECR's four settings and its wildcard filters.
func TestTagImmutable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mutability string
		exclusions []string
		tag        string
		want       bool
	}{
		{Mutable, nil, "latest", false},
		{Immutable, nil, "latest", true},
		{"", nil, "v1", false},
		{ImmutableWithExclusion, []string{"latest"}, "latest", false},
		{ImmutableWithExclusion, []string{"latest"}, "v1", true},
		{ImmutableWithExclusion, []string{"latest"}, "latest-1", true},
		{ImmutableWithExclusion, []string{"dev-*", "latest"}, "dev-abc", false},
		{ImmutableWithExclusion, []string{"dev-*"}, "dev-", false},
		{ImmutableWithExclusion, []string{"dev-*"}, "xdev-1", true},
		{ImmutableWithExclusion, []string{"*-rc*"}, "1.2-rc3", false},
		{ImmutableWithExclusion, []string{"*-rc*"}, "1.2", true},
		{ImmutableWithExclusion, []string{"a*b*c"}, "abc", false},
		{ImmutableWithExclusion, []string{"a*b*c"}, "axbycz", true},
		{ImmutableWithExclusion, []string{"*"}, "anything", false},
		{MutableWithExclusion, []string{"release-*"}, "release-1", true},
		{MutableWithExclusion, []string{"release-*"}, "latest", false},
	}
	for _, tt := range tests {
		r := Repository{TagMutability: tt.mutability, TagMutabilityExclusions: tt.exclusions}
		if have := r.TagImmutable(tt.tag); have != tt.want {
			t.Errorf("%s %q: TagImmutable(%q) = %v, want %v", tt.mutability, tt.exclusions, tt.tag, have, tt.want)
		}
	}
}
