package ecr

import (
	"context"
	"log/slog"
	"sync"

	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
)

// api lists the ECR calls this package makes; *awsecr.Client satisfies it.
type api interface {
	GetAuthorizationToken(context.Context, *awsecr.GetAuthorizationTokenInput, ...func(*awsecr.Options)) (*awsecr.GetAuthorizationTokenOutput, error)
	DescribeRepositories(context.Context, *awsecr.DescribeRepositoriesInput, ...func(*awsecr.Options)) (*awsecr.DescribeRepositoriesOutput, error)
	CreateRepository(context.Context, *awsecr.CreateRepositoryInput, ...func(*awsecr.Options)) (*awsecr.CreateRepositoryOutput, error)
	GetLifecyclePolicy(context.Context, *awsecr.GetLifecyclePolicyInput, ...func(*awsecr.Options)) (*awsecr.GetLifecyclePolicyOutput, error)
	PutLifecyclePolicy(context.Context, *awsecr.PutLifecyclePolicyInput, ...func(*awsecr.Options)) (*awsecr.PutLifecyclePolicyOutput, error)
}

var _ api = (*awsecr.Client)(nil)

// Options configure a [Client].
type Options struct {
	// Logger receives debug records; nil discards them. Secrets are never
	// logged.
	Logger *slog.Logger

	// OnSecret is called with every registry password and authorization
	// token obtained, before it is used, so the caller can mask it. Each
	// value is reported once per Client; calls are never concurrent. nil
	// ignores them.
	OnSecret func(string)
}

// Client manages ECR repositories and hands out registry credentials. It is
// safe for concurrent use.
type Client struct {
	api api
	log *slog.Logger

	onSecret func(string)
	mu       sync.Mutex // guards seen and serialises onSecret
	seen     map[string]struct{}
}

// New returns a Client calling ECR through api, usually an *ecr.Client
// from github.com/aws/aws-sdk-go-v2/service/ecr.
func New(api api, o Options) *Client {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{api: api, log: log, onSecret: o.OnSecret}
}

// reportSecrets hands each non-empty secret to OnSecret once.
func (c *Client) reportSecrets(secrets ...string) {
	if c.onSecret == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	for _, s := range secrets {
		if _, ok := c.seen[s]; ok || s == "" {
			continue
		}
		c.seen[s] = struct{}{}
		c.onSecret(s)
	}
}
