//go:build unix

package ecr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ferry-ci/ferry/internal/moto"
)

// motoAccount is the account moto gives the dummy credentials.
const motoAccount = "123456789012"

// motoECR returns a real ECR client talking to a moto server in us-east-1.
func motoECR(t *testing.T) *awsecr.Client {
	t.Helper()
	endpoint := moto.ForTest(t)
	return awsecr.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

var notNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// repoName returns a repository name unique to t and to this run: the moto
// server may be shared by every package and by earlier runs.
func repoName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	slug := strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(slug) > 200 {
		slug = slug[:200]
	}
	return "ferry-test/ecr/" + slug + "-" + hex.EncodeToString(b)
}

// tokenRequest is what one GetAuthorizationToken call asked for.
type tokenRequest struct {
	RegistryIDs string // comma-separated
	Region      string // the region that answered
}

// countingAPI passes every call to the real client and counts them.
type countingAPI struct {
	api
	region string // the client's own region

	mu     sync.Mutex
	calls  map[string]int
	tokens []tokenRequest
}

func newCounting(c *awsecr.Client) *countingAPI {
	return &countingAPI{api: c, region: c.Options().Region, calls: make(map[string]int)}
}

func (c *countingAPI) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

// Calls returns how many times op was called.
func (c *countingAPI) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// Tokens returns the GetAuthorizationToken requests made so far.
func (c *countingAPI) Tokens() []tokenRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]tokenRequest(nil), c.tokens...)
}

func (c *countingAPI) GetAuthorizationToken(ctx context.Context, in *awsecr.GetAuthorizationTokenInput, optFns ...func(*awsecr.Options)) (*awsecr.GetAuthorizationTokenOutput, error) {
	o := awsecr.Options{Region: c.region}
	for _, fn := range optFns {
		fn(&o)
	}
	out, err := c.api.GetAuthorizationToken(ctx, in, optFns...)
	// The region is the one moto answered for, read from its proxy
	// endpoint: proof that the SDK sent the call there.
	region := o.Region
	if err == nil && len(out.AuthorizationData) > 0 {
		host := strings.TrimPrefix(aws.ToString(out.AuthorizationData[0].ProxyEndpoint), "https://")
		if _, r, ok := ParseRegistryHost(host); ok {
			region = r
		} else {
			region = "unparsable proxy endpoint " + host
		}
	}
	c.mu.Lock()
	c.calls["GetAuthorizationToken"]++
	//lint:ignore SA1019 the keychain still sends it
	c.tokens = append(c.tokens, tokenRequest{RegistryIDs: strings.Join(in.RegistryIds, ","), Region: region})
	c.mu.Unlock()
	return out, err
}

func (c *countingAPI) DescribeRepositories(ctx context.Context, in *awsecr.DescribeRepositoriesInput, optFns ...func(*awsecr.Options)) (*awsecr.DescribeRepositoriesOutput, error) {
	c.count("DescribeRepositories")
	return c.api.DescribeRepositories(ctx, in, optFns...)
}

func (c *countingAPI) CreateRepository(ctx context.Context, in *awsecr.CreateRepositoryInput, optFns ...func(*awsecr.Options)) (*awsecr.CreateRepositoryOutput, error) {
	c.count("CreateRepository")
	return c.api.CreateRepository(ctx, in, optFns...)
}

func (c *countingAPI) GetLifecyclePolicy(ctx context.Context, in *awsecr.GetLifecyclePolicyInput, optFns ...func(*awsecr.Options)) (*awsecr.GetLifecyclePolicyOutput, error) {
	c.count("GetLifecyclePolicy")
	return c.api.GetLifecyclePolicy(ctx, in, optFns...)
}

func (c *countingAPI) PutLifecyclePolicy(ctx context.Context, in *awsecr.PutLifecyclePolicyInput, optFns ...func(*awsecr.Options)) (*awsecr.PutLifecyclePolicyOutput, error) {
	c.count("PutLifecyclePolicy")
	return c.api.PutLifecyclePolicy(ctx, in, optFns...)
}

// secrets collects what OnSecret receives.
type secrets struct {
	mu  sync.Mutex
	got []string
}

func (s *secrets) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, v)
}

func (s *secrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}
