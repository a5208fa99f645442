//go:build unix

package awsauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/awsauth"
)

const (
	deployRole = "arn:aws:iam::111111111111:role/deploy"
	// motoUser is what moto answers GetCallerIdentity with for keys it did
	// not issue.
	motoUser = "arn:aws:sts::123456789012:user/moto"
)

func staticCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("testing", "testing", "")
}

// recorder records the User-Agent of every request it sees, as an
// aws.HTTPClient or as a proxy in front of moto.
type recorder struct {
	mu     sync.Mutex
	agents []string
}

func (r *recorder) record(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.agents = append(r.agents, req.Header.Get("User-Agent"))
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.record(req)
	return http.DefaultClient.Do(req)
}

func (r *recorder) userAgents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.agents)
}

// recordingProxy starts a loopback proxy to endpoint that records every
// request's User-Agent, and returns its URL.
func recordingProxy(t *testing.T, endpoint string, rec *recorder) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// secrets collects what OnSecret reports.
type secrets struct {
	mu     sync.Mutex
	values []string
}

func (s *secrets) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values = append(s.values, v)
}

func (s *secrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.values)
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type ctxKey struct{}

func TestLoadAgainstMoto(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)

	tests := []struct {
		name    string
		opts    awsauth.Options
		wantARN string
		// wantFirst are the secrets OnSecret must receive before those of
		// the final credentials: the web identity token, or the secret key
		// of the source credentials of sts:AssumeRole.
		wantFirst []string
		// wantCanExpire is true for assumed-role credentials.
		wantCanExpire bool
	}{
		{
			name:    "static credentials",
			opts:    awsauth.Options{Credentials: staticCreds()},
			wantARN: motoUser,
		},
		{
			name: "web identity",
			opts: awsauth.Options{
				RoleToAssume: deployRole, RoleSessionName: "gha-web-1",
				WebIdentity: func(ctx context.Context) (string, error) {
					if ctx.Value(ctxKey{}) == nil {
						return "", errors.New("token source did not get the context given to Load")
					}
					return "oidc-token-for-web-1", nil
				},
			},
			wantARN:       "arn:aws:sts::111111111111:assumed-role/deploy/gha-web-1",
			wantFirst:     []string{"oidc-token-for-web-1"},
			wantCanExpire: true,
		},
		{
			name: "web identity needs no base credentials",
			opts: awsauth.Options{
				RoleToAssume: deployRole, RoleSessionName: "gha-web-2", RoleDuration: 15 * time.Minute,
				WebIdentity: func(context.Context) (string, error) { return "oidc-token-for-web-2", nil },
				Credentials: aws.AnonymousCredentials{},
			},
			wantARN:       "arn:aws:sts::111111111111:assumed-role/deploy/gha-web-2",
			wantFirst:     []string{"oidc-token-for-web-2"},
			wantCanExpire: true,
		},
		{
			name: "role chaining",
			opts: awsauth.Options{
				RoleToAssume: deployRole, RoleSessionName: "chained", RoleChaining: true,
				Credentials: staticCreds(),
				WebIdentity: func(context.Context) (string, error) { return "", errors.New("must not be called") },
			},
			wantARN:       "arn:aws:sts::111111111111:assumed-role/deploy/chained",
			wantFirst:     []string{"testing"},
			wantCanExpire: true,
		},
		{
			name: "role without a token source assumes it with the current credentials",
			opts: awsauth.Options{
				RoleToAssume: deployRole, RoleSessionName: "cli", Credentials: staticCreds(),
			},
			wantARN:       "arn:aws:sts::111111111111:assumed-role/deploy/cli",
			wantFirst:     []string{"testing"},
			wantCanExpire: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				rec  recorder
				got  secrets
				logs syncBuffer
			)
			o := tt.opts
			o.Region = "us-east-1"
			// The proxy records requests: an Options.HTTPClient would do,
			// but the SDK refuses one when AWS_CA_BUNDLE is set.
			o.EndpointURL = recordingProxy(t, endpoint, &rec)
			o.Version = "1.2.3-test"
			o.DisableIMDS = true
			o.OnSecret = got.add
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

			ctx := context.WithValue(t.Context(), ctxKey{}, true)
			cfg, err := awsauth.Load(ctx, o)
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if cfg.Region != "us-east-1" {
				t.Errorf("Region\nwant: us-east-1\nhave: %s", cfg.Region)
			}

			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if have := aws.ToString(out.Arn); have != tt.wantARN {
				t.Errorf("caller identity\nwant: %s\nhave: %s", tt.wantARN, have)
			}

			creds, err := cfg.Credentials.Retrieve(t.Context())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if creds.CanExpire != tt.wantCanExpire {
				t.Errorf("CanExpire\nwant: %t\nhave: %t", tt.wantCanExpire, creds.CanExpire)
			}

			// Every derived secret went to OnSecret, each once.
			wantSecrets := append(slices.Clone(tt.wantFirst), creds.SecretAccessKey)
			if creds.SessionToken != "" {
				wantSecrets = append(wantSecrets, creds.SessionToken)
			}
			if have := got.list(); !slices.Equal(have, wantSecrets) {
				t.Errorf("OnSecret calls\nwant: %q\nhave: %q", wantSecrets, have)
			}
			for _, s := range wantSecrets {
				if strings.Contains(logs.String(), s) {
					t.Errorf("log contains the secret %q:\n%s", s, logs.String())
				}
			}

			agents := rec.userAgents()
			if len(agents) == 0 {
				t.Fatal("no request went through the proxy")
			}
			for _, ua := range agents {
				if !strings.Contains(ua, "ferry/1.2.3-test") {
					t.Errorf("User-Agent\nwant substring: ferry/1.2.3-test\nhave: %s", ua)
				}
			}
		})
	}
}

// TestLoadRefreshReportsSecrets forces a refresh of assumed-role credentials
// and checks that the new token and keys are reported too.
func TestLoadRefreshReportsSecrets(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)

	for _, chaining := range []bool{false, true} {
		name := "web identity"
		if chaining {
			name = "role chaining"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var (
				got    secrets
				tokens atomic.Int32
			)
			cfg, err := awsauth.Load(t.Context(), awsauth.Options{
				Region: "us-east-1", EndpointURL: endpoint, DisableIMDS: true,
				Credentials:  staticCreds(),
				RoleToAssume: deployRole, RoleSessionName: "refresh", RoleChaining: chaining,
				WebIdentity: func(context.Context) (string, error) {
					return "token-" + string(rune('a'+tokens.Add(1))), nil
				},
				OnSecret: got.add,
			})
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			first, err := cfg.Credentials.Retrieve(t.Context())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			cache, ok := cfg.Credentials.(*aws.CredentialsCache)
			if !ok {
				t.Fatalf("Credentials is a %T, want *aws.CredentialsCache", cfg.Credentials)
			}
			cache.Invalidate()
			second, err := cfg.Credentials.Retrieve(t.Context())
			if err != nil {
				t.Fatalf("Retrieve after Invalidate: %v", err)
			}
			if second.SecretAccessKey == first.SecretAccessKey {
				t.Fatalf("refresh returned the same secret key; moto should issue new ones")
			}

			have := got.list()
			want := []string{second.SecretAccessKey, second.SessionToken}
			if !chaining {
				want = append(want, "token-b")
				if n := tokens.Load(); n != 2 {
					t.Errorf("token source calls\nwant: 2\nhave: %d", n)
				}
			}
			for _, w := range want {
				if !slices.Contains(have, w) {
					t.Errorf("OnSecret after refresh\nwant to contain: %q\nhave: %q", w, have)
				}
			}
		})
	}
}

func TestLoadWebIdentityErrors(t *testing.T) {
	t.Parallel()
	errTokenEndpoint := errors.New("token endpoint answered 403")
	tests := []struct {
		name   string
		token  awsauth.TokenSource
		want   string
		wantIs error
	}{
		{
			name:   "token source fails",
			token:  func(context.Context) (string, error) { return "", errTokenEndpoint },
			want:   `assuming role "arn:aws:iam::111111111111:role/deploy" with web identity: getting the token: token endpoint answered 403`,
			wantIs: errTokenEndpoint,
		},
		{
			name:  "empty token",
			token: func(context.Context) (string, error) { return "", nil },
			want:  `assuming role "arn:aws:iam::111111111111:role/deploy" with web identity: the token source returned an empty token`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// STS must not be reached: the token is checked first.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("unexpected request %s %s", r.Method, r.URL)
				http.Error(w, "unexpected", http.StatusTeapot)
			}))
			t.Cleanup(srv.Close)
			_, err := awsauth.Load(t.Context(), awsauth.Options{
				Region: "us-east-1", EndpointURL: srv.URL, DisableIMDS: true,
				RoleToAssume: deployRole, RoleSessionName: "s1", WebIdentity: tt.token,
			})
			if err == nil {
				t.Fatal("Load() = nil error, want one")
			}
			if have := err.Error(); have != tt.want {
				t.Errorf("Load() error\nwant: %s\nhave: %s", tt.want, have)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
		})
	}
}

func TestLoadSTSRefusal(t *testing.T) {
	t.Parallel()
	// An STS that refuses every role, as AWS does when the trust policy does
	// not match the token's claims.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
			`<Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error>` +
			`<RequestId>r-1</RequestId></ErrorResponse>`))
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name string
		opts awsauth.Options
		want []string
	}{
		{
			name: "web identity",
			opts: awsauth.Options{WebIdentity: func(context.Context) (string, error) { return "tok-123", nil }},
			want: []string{`assuming role "arn:aws:iam::111111111111:role/deploy" with web identity: `, "AccessDenied", "AssumeRoleWithWebIdentity"},
		},
		{
			name: "role chaining",
			opts: awsauth.Options{RoleChaining: true, Credentials: staticCreds()},
			want: []string{`assuming role "arn:aws:iam::111111111111:role/deploy" with the current credentials: `, "AccessDenied", "AssumeRole"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.Region, o.EndpointURL, o.DisableIMDS = "us-east-1", srv.URL, true
			o.RoleToAssume, o.RoleSessionName = deployRole, "s1"
			_, err := awsauth.Load(t.Context(), o)
			if err == nil {
				t.Fatal("Load() = nil error, want one")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Load() error\nwant substring: %s\nhave: %v", want, err)
				}
			}
		})
	}
}

func TestLoadMaxAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		maxAttempts int
		want        int32
	}{
		{maxAttempts: 0, want: awsauth.DefaultMaxAttempts},
		{maxAttempts: 1, want: 1},
		{maxAttempts: 3, want: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max-attempts=%d", tt.maxAttempts), func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)

			cfg, err := awsauth.Load(t.Context(), awsauth.Options{
				Region: "us-east-1", EndpointURL: srv.URL, DisableIMDS: true,
				Credentials: staticCreds(), MaxAttempts: tt.maxAttempts,
			})
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if _, ok := cfg.Retryer().(*retry.AdaptiveMode); !ok {
				t.Errorf("Retryer is a %T, want *retry.AdaptiveMode", cfg.Retryer())
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("Load with static credentials sent %d requests, want 0", n)
			}
			// Keep the attempt count from Load; only shorten the backoff.
			client := sts.NewFromConfig(cfg, func(o *sts.Options) {
				o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
			})
			if _, err := client.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err == nil {
				t.Fatal("GetCallerIdentity against a 500 server succeeded")
			}
			if have := hits.Load(); have != tt.want {
				t.Errorf("attempts\nwant: %d\nhave: %d", tt.want, have)
			}
		})
	}
}

// TestLoadMaxBackoff: the waits between attempts stay under MaxBackoff
// (the SDK's default would wait up to 20s).
func TestLoadMaxBackoff(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hits []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, time.Now())
		mu.Unlock()
		http.Error(w, "internal error", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	cfg, err := awsauth.Load(t.Context(), awsauth.Options{
		Region: "us-east-1", EndpointURL: srv.URL, DisableIMDS: true,
		Credentials: staticCreds(), MaxAttempts: 6, MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("GetCallerIdentity against a 500 server succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) != 6 {
		t.Fatalf("attempts: want 6, have %d", len(hits))
	}
	for i := 1; i < len(hits); i++ {
		// 20ms of backoff plus generous room for a loaded machine; the
		// SDK's default would reach seconds by the third retry.
		if gap := hits[i].Sub(hits[i-1]); gap > 500*time.Millisecond {
			t.Errorf("wait before attempt %d: %s, want at most about 20ms", i+1, gap)
		}
	}
}

// clearAWSEnv empties every variable the default chain reads, and points the
// shared files at empty ones. It uses t.Setenv: callers must not be parallel.
func clearAWSEnv(t *testing.T) (configFile, credentialsFile string) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS",
		"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	configFile, credentialsFile = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return configFile, credentialsFile
}

// TestLoadNoCredentials changes the environment: not parallel.
func TestLoadNoCredentials(t *testing.T) {
	configFile, credentialsFile := clearAWSEnv(t)
	// STS must not be reached without credentials to sign with.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		opts       awsauth.Options
		wantPrefix string
	}{
		{name: "default chain", wantPrefix: "no AWS credentials found; give them one of these ways: "},
		{
			name:       "role chaining",
			opts:       awsauth.Options{RoleToAssume: deployRole, RoleSessionName: "s1", RoleChaining: true},
			wantPrefix: `assuming role "arn:aws:iam::111111111111:role/deploy" with the current credentials: no AWS credentials found; `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Region, o.EndpointURL, o.DisableIMDS = "eu-west-1", srv.URL, true
			o.SharedConfigFiles, o.SharedCredentialsFiles = []string{configFile}, []string{credentialsFile}
			_, err := awsauth.Load(t.Context(), o)
			if !errors.Is(err, awsauth.ErrNoCredentials) {
				t.Fatalf("Load() error\nwant: errors.Is ErrNoCredentials\nhave: %v", err)
			}
			have := err.Error()
			if !strings.HasPrefix(have, tt.wantPrefix) {
				t.Errorf("Load() error\nwant prefix: %s\nhave: %s", tt.wantPrefix, have)
			}
			for _, want := range []string{
				"role-to-assume", "permissions: id-token: write", "id_tokens",
				"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "instance role", "task role",
			} {
				if !strings.Contains(have, want) {
					t.Errorf("Load() error does not name a way to give credentials\nwant substring: %s\nhave: %s", want, have)
				}
			}
		})
	}
}

// TestLoadNoRegion changes the environment: not parallel.
func TestLoadNoRegion(t *testing.T) {
	configFile, credentialsFile := clearAWSEnv(t)
	_, err := awsauth.Load(t.Context(), awsauth.Options{
		Credentials: staticCreds(), DisableIMDS: true,
		SharedConfigFiles: []string{configFile}, SharedCredentialsFiles: []string{credentialsFile},
	})
	if err == nil {
		t.Fatal("Load() without a region = nil error, want one")
	}
	if !errors.Is(err, awsauth.ErrNoRegion) {
		t.Errorf("Load() error = %v, want ErrNoRegion", err)
	}
	var fe *awsauth.FieldError
	if !errors.As(err, &fe) || fe.Field != awsauth.Region {
		t.Fatalf("Load() error = %v, want a *FieldError naming Region", err)
	}
	const want = `input "aws-region": expected a region, found none: set the aws-region input or AWS_REGION: no AWS region`
	if have := fe.Message(func(awsauth.Field) string { return "aws-region" }); have != want {
		t.Errorf("Message():\nhave %q\nwant %q", have, want)
	}
}

// TestLoadRegionFromEnvironment changes the environment: not parallel.
func TestLoadRegionFromEnvironment(t *testing.T) {
	configFile, credentialsFile := clearAWSEnv(t)
	t.Setenv("AWS_REGION", "ap-southeast-2")
	cfg, err := awsauth.Load(t.Context(), awsauth.Options{
		Credentials: staticCreds(), DisableIMDS: true,
		SharedConfigFiles: []string{configFile}, SharedCredentialsFiles: []string{credentialsFile},
	})
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	if cfg.Region != "ap-southeast-2" {
		t.Errorf("Region\nwant: ap-southeast-2\nhave: %s", cfg.Region)
	}
}

func TestLoadInvalidOptions(t *testing.T) {
	t.Parallel()
	_, err := awsauth.Load(t.Context(), awsauth.Options{Region: "us-east-1", MaxAttempts: -1, RoleToAssume: "deploy"})
	if err == nil {
		t.Fatal("Load() with invalid options = nil error, want one")
	}
	for _, want := range []string{"MaxAttempts:", "RoleToAssume:", "RoleSessionName:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load() error\nwant substring: %s\nhave: %v", want, err)
		}
	}
}

// TestLoadHTTPClient changes the environment (AWS_CA_BUNDLE, which makes the
// SDK refuse a custom client): not parallel.
func TestLoadHTTPClient(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	endpoint := moto.ForTest(t)
	var rec recorder
	cfg, err := awsauth.Load(t.Context(), awsauth.Options{
		Region: "us-east-1", EndpointURL: endpoint, DisableIMDS: true, HTTPClient: &rec, Version: "9.9.9",
		RoleToAssume: deployRole, RoleSessionName: "http-client",
		WebIdentity: func(context.Context) (string, error) { return "oidc-token", nil },
	})
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	// AssumeRoleWithWebIdentity from Load, GetCallerIdentity from the test.
	agents := rec.userAgents()
	if len(agents) != 2 {
		t.Fatalf("requests through Options.HTTPClient\nwant: 2\nhave: %d", len(agents))
	}
	for _, ua := range agents {
		if !strings.Contains(ua, "ferry/9.9.9") {
			t.Errorf("User-Agent\nwant substring: ferry/9.9.9\nhave: %s", ua)
		}
	}
}

// TestLoadMaxAttemptsOverridesEnvironment changes the environment: not
// parallel.
func TestLoadMaxAttemptsOverridesEnvironment(t *testing.T) {
	t.Setenv("AWS_MAX_ATTEMPTS", "7")
	t.Setenv("AWS_RETRY_MODE", "standard")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	cfg, err := awsauth.Load(t.Context(), awsauth.Options{
		Region: "us-east-1", EndpointURL: srv.URL, DisableIMDS: true, Credentials: staticCreds(), MaxAttempts: 2,
	})
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
	})
	if _, err := client.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("GetCallerIdentity against a 500 server succeeded")
	}
	if have := hits.Load(); have != 2 {
		t.Errorf("attempts with AWS_MAX_ATTEMPTS=7 and MaxAttempts=2\nwant: 2\nhave: %d", have)
	}
}
