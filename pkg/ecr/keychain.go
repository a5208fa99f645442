package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// regionPattern is the shape of an AWS region name, e.g. eu-west-1, us-gov-west-1.
const regionPattern = `[a-z]{2}(?:-[a-z]+)+-[0-9]+`

var (
	// registryHostRE matches <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn].
	registryHostRE = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.(` + regionPattern + `)\.amazonaws\.com(\.cn)?$`)
	// dualStackHostRE matches <account>.dkr-ecr[-fips].<region>.on.aws.
	dualStackHostRE = regexp.MustCompile(`^([0-9]{12})\.dkr-ecr(?:-fips)?\.(` + regionPattern + `)\.on\.aws$`)
)

// ParseRegistryHost reports the account and region of a private ECR
// registry host such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com. It
// knows the FIPS (dkr.ecr-fips), China (cn-* regions, amazonaws.com.cn) and
// dual-stack (dkr-ecr.<region>.on.aws) forms. A port, a path or any other
// host gives ok false.
func ParseRegistryHost(host string) (account, region string, ok bool) {
	host = strings.ToLower(host)
	if m := registryHostRE.FindStringSubmatch(host); m != nil {
		china := strings.HasPrefix(m[2], "cn-")
		if china != (m[3] == ".cn") {
			return "", "", false
		}
		return m[1], m[2], true
	}
	if m := dualStackHostRE.FindStringSubmatch(host); m != nil && !strings.HasPrefix(m[2], "cn-") {
		return m[1], m[2], true
	}
	return "", "", false
}

// RegistryHost returns the host of the private ECR registry of account in
// region, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com (with .cn for
// the China regions).
func RegistryHost(account, region string) string {
	host := account + ".dkr.ecr." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		host += ".cn"
	}
	return host
}

// KeychainOptions configure [Client.Keychain].
type KeychainOptions struct {
	// RegistryEndpoint is a host[:port] that stands for the target registry
	// (a private endpoint, or a test registry): it gets the authorization
	// token of RegistryID. "" means none.
	RegistryEndpoint string

	// RegistryID is the account whose token RegistryEndpoint gets; "" means
	// the caller's account.
	RegistryID string

	// Fallback resolves every registry that is neither RegistryEndpoint nor
	// an ECR host; nil means anonymous access.
	Fallback authn.Keychain
}

// Keychain returns a keychain for go-containerregistry that logs into ECR
// registries with ecr:GetAuthorizationToken:
//
//   - the host o.RegistryEndpoint gets the token of o.RegistryID, asked of
//     the client's own region;
//   - an ECR host (see [ParseRegistryHost]) gets the token of its account,
//     asked of its region, whatever the client's region: the call goes
//     through the same client with the region overridden for that one call,
//     so its credentials, endpoint and FIPS settings apply;
//   - any other host is resolved by o.Fallback.
//
// The credentials are Basic AWS:<password>. Each host's token is fetched
// once, by one call however many resolutions run at the same time, and kept
// for the life of the keychain: ECR tokens last 12 hours, so a keychain is
// meant for one run, not for a long-lived process. A failed fetch is not
// kept; the next resolution tries again.
//
// The keychain also implements [authn.ContextKeychain]; go-containerregistry
// uses ResolveContext with the request's context, and Resolve uses
// context.Background.
func (c *Client) Keychain(o KeychainOptions) authn.Keychain {
	fallback := o.Fallback
	if fallback == nil {
		fallback = anonymous{}
	}
	return &keychain{
		c:        c,
		override: normalizeHost(o.RegistryEndpoint),
		account:  o.RegistryID,
		fallback: fallback,
		calls:    make(map[string]*tokenCall),
	}
}

type keychain struct {
	c        *Client
	override string
	account  string
	fallback authn.Keychain

	mu    sync.Mutex
	calls map[string]*tokenCall // by host
}

// tokenCall is one GetAuthorizationToken call; done is closed when auth or
// err is set.
type tokenCall struct {
	done     chan struct{}
	auth     authn.Authenticator
	err      error
	canceled bool // err came from the caller's context ending
}

var (
	_ authn.Keychain        = (*keychain)(nil)
	_ authn.ContextKeychain = (*keychain)(nil)
)

// Resolve implements authn.Keychain.
func (k *keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext implements authn.ContextKeychain.
func (k *keychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	host := normalizeHost(target.RegistryStr())
	if k.override != "" && host == k.override {
		return k.token(ctx, host, k.account, "")
	}
	if account, region, ok := ParseRegistryHost(host); ok {
		return k.token(ctx, host, account, region)
	}
	return authn.Resolve(ctx, k.fallback, target)
}

// token returns the credentials of host, fetching them on first use.
// Concurrent callers wait for the one fetch; a caller whose wait outlives
// the fetcher's context fetches again itself.
func (k *keychain) token(ctx context.Context, host, account, region string) (authn.Authenticator, error) {
	for {
		k.mu.Lock()
		if call, ok := k.calls[host]; ok {
			k.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("waiting for the ECR authorization token of %q: %w", host, context.Cause(ctx))
			}
			if call.err != nil && call.canceled && ctx.Err() == nil {
				continue
			}
			return call.auth, call.err
		}
		call := &tokenCall{done: make(chan struct{})}
		k.calls[host] = call
		k.mu.Unlock()

		call.auth, call.err = k.fetch(ctx, host, account, region)
		if call.err != nil {
			call.canceled = ctx.Err() != nil
			k.mu.Lock()
			delete(k.calls, host)
			k.mu.Unlock()
		}
		close(call.done)
		return call.auth, call.err
	}
}

// fetch calls GetAuthorizationToken for account ("" = the caller's) in
// region ("" = the client's) and decodes the token.
func (k *keychain) fetch(ctx context.Context, host, account, region string) (authn.Authenticator, error) {
	in := &awsecr.GetAuthorizationTokenInput{}
	if account != "" {
		// ECR now ignores it (a token opens every registry of its region the
		// principal may use); emulators and older partitions do not.
		//lint:ignore SA1019 still sent, see above
		in.RegistryIds = []string{account}
	}
	var optFns []func(*awsecr.Options)
	if region != "" {
		optFns = append(optFns, func(o *awsecr.Options) { o.Region = region })
	}
	what := fmt.Sprintf("getting an ECR authorization token for registry %q", host)
	out, err := k.c.api.GetAuthorizationToken(ctx, in, optFns...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out.AuthorizationData) == 0 || aws.ToString(out.AuthorizationData[0].AuthorizationToken) == "" {
		return nil, fmt.Errorf("%s: ECR returned no token", what)
	}
	data := out.AuthorizationData[0]
	token := aws.ToString(data.AuthorizationToken)
	k.c.reportSecrets(token)
	user, password, err := decodeToken(token)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	k.c.reportSecrets(password)
	// ExpiresAt is only logged: emulators hand out tokens that expired long
	// ago, and a run is far shorter than a token's 12 hours.
	k.c.log.DebugContext(ctx, "got ECR authorization token", "registry", host,
		"account", account, "region", region, "expires", aws.ToTime(data.ExpiresAt))
	return &authn.Basic{Username: user, Password: password}, nil
}

// anonymous resolves every registry to anonymous access.
type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// decodeToken splits an ECR authorization token, base64 of
// "<user>:<password>", without quoting it in errors.
func decodeToken(token string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", "", errors.New("the authorization token is not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New(`the authorization token is not of the form "<user>:<password>"`)
	}
	return user, password, nil
}

// normalizeHost lowercases a registry host and drops a URL scheme and
// trailing slashes, so "https://Example.com/" matches "example.com".
func normalizeHost(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	for _, scheme := range []string{"https://", "http://"} {
		host = strings.TrimPrefix(host, scheme)
	}
	return strings.TrimRight(host, "/")
}
