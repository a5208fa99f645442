//go:build unix

package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// repo is the repository resource go-containerregistry resolves for a push
// to host.
func repo(t *testing.T, host string) name.Repository {
	t.Helper()
	ref, err := name.ParseReference(host+"/app/web:v1", name.Insecure)
	if err != nil {
		t.Fatalf("parsing a reference on %q: %v", host, err)
	}
	return ref.Context()
}

// authOf returns what an authenticator sends.
func authOf(t *testing.T, a authn.Authenticator) authn.AuthConfig {
	t.Helper()
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatalf("Authorization(): %v", err)
	}
	return *cfg
}

// motoToken is the token moto hands out for account: base64("AWS:<account>-auth-token").
func motoToken(account string) (password, token string) {
	password = account + "-auth-token"
	return password, base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
}

// fixedKeychain resolves everything to one authenticator.
type fixedKeychain struct{ auth authn.Authenticator }

func (k fixedKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func TestKeychainResolves(t *testing.T) {
	t.Parallel()
	sdk := motoECR(t)
	fallback := &authn.Basic{Username: "octocat", Password: "fallback-secret"}
	tests := []struct {
		name     string
		opts     KeychainOptions
		host     string
		wantAuth authn.AuthConfig
		// wantToken is the GetAuthorizationToken request expected; nil for none.
		wantToken *tokenRequest
	}{
		{
			name:      "override host, caller's account",
			opts:      KeychainOptions{RegistryEndpoint: "127.0.0.1:5000"},
			host:      "127.0.0.1:5000",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: motoAccount + "-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "", Region: "us-east-1"},
		},
		{
			name:      "override host, another account",
			opts:      KeychainOptions{RegistryEndpoint: "127.0.0.1:5000", RegistryID: "210987654321"},
			host:      "127.0.0.1:5000",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "210987654321-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "210987654321", Region: "us-east-1"},
		},
		{
			name:      "override given as a URL",
			opts:      KeychainOptions{RegistryEndpoint: "http://LocalHost:5000/", RegistryID: "210987654321"},
			host:      "localhost:5000",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "210987654321-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "210987654321", Region: "us-east-1"},
		},
		{
			name:      "ECR host in the client's region",
			host:      "111122223333.dkr.ecr.us-east-1.amazonaws.com",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "111122223333-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "111122223333", Region: "us-east-1"},
		},
		{
			name:      "ECR host in another region",
			host:      "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "111122223333-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "111122223333", Region: "eu-west-1"},
		},
		{
			name:      "FIPS ECR host",
			host:      "111122223333.dkr.ecr-fips.us-west-2.amazonaws.com",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "111122223333-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "111122223333", Region: "us-west-2"},
		},
		{
			name:      "ECR host next to an override",
			opts:      KeychainOptions{RegistryEndpoint: "127.0.0.1:5000", RegistryID: "210987654321"},
			host:      "111122223333.dkr.ecr.us-east-1.amazonaws.com",
			wantAuth:  authn.AuthConfig{Username: "AWS", Password: "111122223333-auth-token"},
			wantToken: &tokenRequest{RegistryIDs: "111122223333", Region: "us-east-1"},
		},
		{
			name:     "other registry uses the fallback",
			opts:     KeychainOptions{Fallback: fixedKeychain{fallback}},
			host:     "ghcr.io",
			wantAuth: authn.AuthConfig{Username: "octocat", Password: "fallback-secret"},
		},
		{
			name:     "public ECR is not a private registry",
			opts:     KeychainOptions{Fallback: fixedKeychain{fallback}},
			host:     "public.ecr.aws",
			wantAuth: authn.AuthConfig{Username: "octocat", Password: "fallback-secret"},
		},
		{
			name: "other registry without a fallback is anonymous",
			opts: KeychainOptions{RegistryEndpoint: "127.0.0.1:5000"},
			host: "127.0.0.1:5001",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newCounting(sdk)
			var got secrets
			kc := New(api, Options{OnSecret: got.add}).Keychain(tt.opts)

			auth, err := kc.Resolve(repo(t, tt.host))
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.host, err)
			}
			if have := authOf(t, auth); have != tt.wantAuth {
				t.Errorf("Resolve(%q) authorization\nhave %+v\nwant %+v", tt.host, have, tt.wantAuth)
			}

			var wantTokens []tokenRequest
			var wantSecrets []string
			if tt.wantToken != nil {
				wantTokens = []tokenRequest{*tt.wantToken}
				raw := base64.StdEncoding.EncodeToString([]byte("AWS:" + tt.wantAuth.Password))
				wantSecrets = []string{raw, tt.wantAuth.Password}
			}
			if have := api.Tokens(); !slices.Equal(have, wantTokens) {
				t.Errorf("GetAuthorizationToken requests\nhave %+v\nwant %+v", have, wantTokens)
			}
			if have := got.list(); !slices.Equal(have, wantSecrets) {
				t.Errorf("OnSecret got\nhave %q\nwant %q", have, wantSecrets)
			}

			// Resolving again, through the context form, uses the cache.
			again, err := authn.Resolve(context.Background(), kc, repo(t, tt.host))
			if err != nil {
				t.Fatalf("second Resolve(%q): %v", tt.host, err)
			}
			if have := authOf(t, again); have != tt.wantAuth {
				t.Errorf("second Resolve(%q) authorization\nhave %+v\nwant %+v", tt.host, have, tt.wantAuth)
			}
			if have := api.Tokens(); len(have) != len(wantTokens) {
				t.Errorf("GetAuthorizationToken calls after the second Resolve: have %d, want %d", len(have), len(wantTokens))
			}
		})
	}
}

// go-containerregistry resolves from many goroutines at once: each host
// still costs one GetAuthorizationToken call, and each secret is reported
// once.
func TestKeychainConcurrent(t *testing.T) {
	t.Parallel()
	api := newCounting(motoECR(t))
	var got secrets
	kc := New(api, Options{OnSecret: got.add}).Keychain(KeychainOptions{RegistryEndpoint: "127.0.0.1:5000"}).(authn.ContextKeychain)

	hosts := map[string]string{ // host → account whose token it gets
		"127.0.0.1:5000": motoAccount,
		"111122223333.dkr.ecr.us-east-1.amazonaws.com": "111122223333",
		"111122223333.dkr.ecr.eu-west-1.amazonaws.com": "111122223333",
		"444455556666.dkr.ecr.eu-west-1.amazonaws.com": "444455556666",
	}
	const perHost = 16
	var wg sync.WaitGroup
	errs := make(chan error, len(hosts)*perHost)
	for host, account := range hosts {
		resource := repo(t, host)
		for range perHost {
			wg.Go(func() {
				auth, err := kc.ResolveContext(context.Background(), resource)
				if err != nil {
					errs <- fmt.Errorf("ResolveContext(%q): %w", host, err)
					return
				}
				cfg, err := auth.Authorization()
				if err != nil {
					errs <- err
					return
				}
				if want := account + "-auth-token"; cfg.Username != "AWS" || cfg.Password != want {
					errs <- fmt.Errorf("ResolveContext(%q) = %s:%s, want AWS:%s", host, cfg.Username, cfg.Password, want)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if have, want := api.Calls("GetAuthorizationToken"), len(hosts); have != want {
		t.Errorf("GetAuthorizationToken calls: have %d, want %d (one per host)", have, want)
	}
	perRequest := map[tokenRequest]int{}
	for _, r := range api.Tokens() {
		perRequest[r]++
	}
	wantRequests := map[tokenRequest]int{
		{RegistryIDs: "", Region: "us-east-1"}:             1,
		{RegistryIDs: "111122223333", Region: "us-east-1"}: 1,
		{RegistryIDs: "111122223333", Region: "eu-west-1"}: 1,
		{RegistryIDs: "444455556666", Region: "eu-west-1"}: 1,
	}
	if fmt.Sprint(perRequest) != fmt.Sprint(wantRequests) {
		t.Errorf("GetAuthorizationToken requests\nhave %v\nwant %v", perRequest, wantRequests)
	}

	seen := map[string]int{}
	for _, s := range got.list() {
		seen[s]++
	}
	for _, account := range []string{motoAccount, "111122223333", "444455556666"} {
		password, token := motoToken(account)
		if seen[password] != 1 || seen[token] != 1 {
			t.Errorf("OnSecret got the password of %s %d times and its token %d times, want once each", account, seen[password], seen[token])
		}
	}
	if len(seen) != 6 {
		t.Errorf("OnSecret got %d distinct secrets, want 6: %q", len(seen), got.list())
	}
}

// A cancelled context fails the resolution; the failure is not kept.
func TestKeychainContext(t *testing.T) {
	t.Parallel()
	api := newCounting(motoECR(t))
	kc := New(api, Options{}).Keychain(KeychainOptions{}).(authn.ContextKeychain)
	host := "111122223333.dkr.ecr.us-east-1.amazonaws.com"

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kc.ResolveContext(ctx, repo(t, host)); !errors.Is(err, context.Canceled) {
		t.Fatalf("ResolveContext(cancelled) error = %v, want context.Canceled", err)
	} else if want := `getting an ECR authorization token for registry "` + host + `": `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("ResolveContext(cancelled) error\nhave %q\nwant prefix %q", err, want)
	}

	auth, err := kc.ResolveContext(context.Background(), repo(t, host))
	if err != nil {
		t.Fatalf("ResolveContext() after a cancelled one: %v", err)
	}
	if have := authOf(t, auth); have.Password != "111122223333-auth-token" {
		t.Errorf("ResolveContext() password: have %q, want %q", have.Password, "111122223333-auth-token")
	}
}

// Malformed answers, which moto never gives, fail with an error that names
// the registry and never quotes the token.
func TestKeychainBadTokens(t *testing.T) {
	t.Parallel()
	const host = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
	reply := func(token string) func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error) {
		return func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error) {
			return &awsecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{
				{AuthorizationToken: aws.String(token)},
			}}, nil
		}
	}
	tests := []struct {
		name        string
		token       func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error)
		wantErr     string
		wantSecrets []string
	}{
		{
			name:        "not base64",
			token:       reply("secret!!"),
			wantErr:     "the authorization token is not base64",
			wantSecrets: []string{"secret!!"},
		},
		{
			name:        "no colon",
			token:       reply(base64.StdEncoding.EncodeToString([]byte("AWSsecret"))),
			wantErr:     `the authorization token is not of the form "<user>:<password>"`,
			wantSecrets: []string{base64.StdEncoding.EncodeToString([]byte("AWSsecret"))},
		},
		{
			name: "no authorization data",
			token: func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error) {
				return &awsecr.GetAuthorizationTokenOutput{}, nil
			},
			wantErr: "ECR returned no token",
		},
		{
			name: "refused",
			token: func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error) {
				return nil, errors.New("AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken")
			},
			wantErr: "AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got secrets
			kc := New(&fakeAPI{t: t, token: tt.token}, Options{OnSecret: got.add}).Keychain(KeychainOptions{})
			_, err := kc.Resolve(repo(t, host))
			want := `getting an ECR authorization token for registry "` + host + `": ` + tt.wantErr
			if err == nil || err.Error() != want {
				t.Fatalf("Resolve() error\nhave %v\nwant %s", err, want)
			}
			if have := got.list(); !slices.Equal(have, tt.wantSecrets) {
				t.Errorf("OnSecret got\nhave %q\nwant %q", have, tt.wantSecrets)
			}
			for _, s := range tt.wantSecrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q quotes the secret %q", err, s)
				}
			}
		})
	}
}

// blockingAPI holds its first GetAuthorizationToken call until the caller's
// context ends or release is closed; later calls answer at once.
type blockingAPI struct {
	fakeAPI
	entered chan struct{} // closed when the first call is in
	release chan struct{}

	mu    sync.Mutex
	calls int
}

func (b *blockingAPI) GetAuthorizationToken(ctx context.Context, _ *awsecr.GetAuthorizationTokenInput, _ ...func(*awsecr.Options)) (*awsecr.GetAuthorizationTokenOutput, error) {
	b.mu.Lock()
	b.calls++
	first := b.calls == 1
	b.mu.Unlock()
	if first {
		close(b.entered)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.release:
		}
	}
	_, token := motoToken("111122223333")
	return &awsecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{AuthorizationToken: aws.String(token)}}}, nil
}

func (b *blockingAPI) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// Callers waiting for another caller's fetch honour their own context, and
// do not inherit the failure of a fetch whose caller gave up.
func TestKeychainWaiters(t *testing.T) {
	t.Parallel()
	const host = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"

	t.Run("waiter gives up", func(t *testing.T) {
		t.Parallel()
		api := &blockingAPI{fakeAPI: fakeAPI{t: t}, entered: make(chan struct{}), release: make(chan struct{})}
		kc := New(api, Options{}).Keychain(KeychainOptions{}).(authn.ContextKeychain)
		leader := make(chan error, 1)
		go func() {
			_, err := kc.ResolveContext(context.Background(), repo(t, host))
			leader <- err
		}()
		<-api.entered

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := kc.ResolveContext(ctx, repo(t, host))
		if want := `waiting for the ECR authorization token of "` + host + `": context canceled`; err == nil || err.Error() != want {
			t.Errorf("waiter's ResolveContext() error\nhave %v\nwant %s", err, want)
		}
		close(api.release)
		if err := <-leader; err != nil {
			t.Errorf("leader's ResolveContext(): %v", err)
		}
		if n := api.Calls(); n != 1 {
			t.Errorf("GetAuthorizationToken calls: have %d, want 1", n)
		}
	})

	t.Run("leader gives up", func(t *testing.T) {
		t.Parallel()
		api := &blockingAPI{fakeAPI: fakeAPI{t: t}, entered: make(chan struct{}), release: make(chan struct{})}
		kc := New(api, Options{}).Keychain(KeychainOptions{}).(authn.ContextKeychain)
		ctx, cancel := context.WithCancel(context.Background())
		leader := make(chan error, 1)
		go func() {
			_, err := kc.ResolveContext(ctx, repo(t, host))
			leader <- err
		}()
		<-api.entered

		waiter := make(chan error, 1)
		go func() {
			auth, err := kc.ResolveContext(context.Background(), repo(t, host))
			if err == nil {
				if cfg, _ := auth.Authorization(); cfg.Password != "111122223333-auth-token" {
					err = fmt.Errorf("password %q, want 111122223333-auth-token", cfg.Password)
				}
			}
			waiter <- err
		}()
		// Whether the waiter is already waiting or comes after the failure,
		// it must end up with a token of its own.
		cancel()
		if err := <-leader; !errors.Is(err, context.Canceled) {
			t.Errorf("leader's ResolveContext() error = %v, want context.Canceled", err)
		}
		if err := <-waiter; err != nil {
			t.Errorf("waiter's ResolveContext(): %v", err)
		}
		if n := api.Calls(); n != 2 {
			t.Errorf("GetAuthorizationToken calls: have %d, want 2", n)
		}
	})
}
