package awsauth

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/smithy-go/logging"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Defaults and limits applied by [Options.Validate] and [Load].
const (
	DefaultRoleDuration = time.Hour
	MinRoleDuration     = 15 * time.Minute
	MaxRoleDuration     = 12 * time.Hour
	DefaultMaxAttempts  = 5
	// MaxMaxBackoff is the longest Options.MaxBackoff accepted.
	MaxMaxBackoff = 5 * time.Minute
)

// ErrNoRegion is returned (wrapped) by [Load] when no region is given and the
// SDK finds none either, as the Err of a [*FieldError] naming [Region]. No
// AWS call has been made then.
var ErrNoRegion = errors.New("no AWS region")

// ErrNoCredentials is returned (wrapped) by [Load] when no role is to be
// assumed and the default credential chain finds nothing: no environment
// variables, no profile, no container or instance role.
var ErrNoCredentials = errors.New("no AWS credentials found")

// noCredentialsHelp lists the ways to give credentials, in the words the
// user knows them by.
const noCredentialsHelp = "give them one of these ways: " +
	"GitHub OIDC (set role-to-assume and give the job `permissions: id-token: write`); " +
	"GitLab OIDC (declare `id_tokens` in the job and set role-to-assume); " +
	"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys); " +
	"AWS_PROFILE naming a profile in the shared config files; " +
	"an EC2 instance role or an ECS task role"

// TokenSource returns a web identity (OIDC) token. The caller decides where
// it comes from: the GitHub Actions token endpoint, a GitLab id_tokens
// variable, a file. It is called again on every credential refresh.
type TokenSource func(ctx context.Context) (string, error)

// Options are the AWS inputs shared by every ferry action. The zero value
// loads the SDK's defaults with the default credential chain.
type Options struct {
	// Region; "" lets the SDK look it up (AWS_REGION, AWS_DEFAULT_REGION, the
	// profile). Load fails when it is still empty.
	Region string

	// RoleToAssume is an IAM role ARN; "" uses the default credential chain
	// (or Credentials) as is.
	RoleToAssume string

	// RoleSessionName is required when RoleToAssume is set: 2 to 64
	// characters from letters, digits and +=,.@_- (the caller builds a
	// default, e.g. from the run id).
	RoleSessionName string

	// RoleDuration of the assumed-role session; 0 means one hour. Valid from
	// 15m to 12h, and no more than the role's own maximum session duration
	// (one hour when RoleChaining assumes a role from a role).
	RoleDuration time.Duration

	// RoleChaining assumes RoleToAssume with sts:AssumeRole using the current
	// (default chain) credentials instead of a web identity token.
	RoleChaining bool

	// WebIdentity supplies the OIDC token when RoleToAssume is set and
	// RoleChaining is not. When it is nil, the role is assumed with the
	// default-chain credentials, as with RoleChaining (a CLI convenience).
	WebIdentity TokenSource

	// EndpointURL is the base endpoint for every service (an emulator such as
	// moto). When empty, the SDK honours AWS_ENDPOINT_URL and
	// AWS_ENDPOINT_URL_<SERVICE> itself.
	EndpointURL string

	// MaxAttempts per request, first try included; 0 means 5. Requests use
	// the SDK's adaptive retry mode. It takes precedence over AWS_MAX_ATTEMPTS.
	MaxAttempts int

	// MaxBackoff caps the wait between two attempts of one request (the
	// waits grow with jitter up to it); 0 means the SDK's 20s.
	MaxBackoff time.Duration

	// Version of ferry; the user agent gets "ferry/<Version>" ("ferry" alone
	// when empty).
	Version string

	// HTTPClient sends every request, STS included; nil uses the SDK's. The
	// SDK refuses a client other than its own *awshttp.BuildableClient when
	// AWS_CA_BUNDLE is set.
	HTTPClient aws.HTTPClient

	// Credentials, when set, replace the default credential chain as the
	// base credentials: used as is without a role, and as the source
	// credentials for sts:AssumeRole with one. For callers that already hold
	// credentials, and for tests (the default chain reads the process
	// environment).
	Credentials aws.CredentialsProvider

	// DisableIMDS keeps the default chain and the SDK away from the EC2
	// instance metadata service (169.254.169.254), as AWS_EC2_METADATA_DISABLED
	// does.
	DisableIMDS bool

	// SharedConfigFiles and SharedCredentialsFiles replace the SDK's default
	// ~/.aws/config and ~/.aws/credentials (and AWS_CONFIG_FILE,
	// AWS_SHARED_CREDENTIALS_FILE) when non-nil.
	SharedConfigFiles      []string
	SharedCredentialsFiles []string

	// OnSecret is called with every secret derived at run time before it can
	// reach a log: the web identity token, and the secret access key and
	// session token of every credential retrieved or refreshed. Each value is
	// reported once; calls are never concurrent. nil ignores them.
	OnSecret func(string)

	// Logger receives debug records; nil discards them. Secrets are never
	// logged.
	Logger *slog.Logger
}

var (
	regionRE      = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)
	roleARNRE     = regexp.MustCompile(`^arn:[a-z][a-z0-9-]*:iam::[0-9]{12}:role/([\x21-\x7e]+/)?[\w+=,.@-]{1,64}$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// Validate reports every problem with the options at once, each a
// [*FieldError] naming the field at fault, what was expected and what was
// found.
func (o Options) Validate() error {
	var errs []error
	if o.Region != "" && !regionRE.MatchString(o.Region) {
		errs = append(errs, problem(Region, `a region name like "eu-west-1"`, strconv.Quote(o.Region)))
	}
	if o.RoleToAssume != "" && !roleARNRE.MatchString(o.RoleToAssume) {
		errs = append(errs, problem(RoleToAssume, `an IAM role ARN like "arn:aws:iam::123456789012:role/deploy"`, strconv.Quote(o.RoleToAssume)))
	}
	switch {
	case o.RoleToAssume != "" && o.RoleSessionName == "":
		errs = append(errs, &FieldError{Field: RoleSessionName, Expected: "a session name when %s is set", Found: "none", Refs: []Field{RoleToAssume}})
	case o.RoleSessionName != "" && !sessionNameRE.MatchString(o.RoleSessionName):
		errs = append(errs, problem(RoleSessionName, "2 to 64 characters from letters, digits and +=,.@_-",
			fmt.Sprintf("%q (%d characters)", o.RoleSessionName, utf8.RuneCountInString(o.RoleSessionName))))
	}
	if o.RoleDuration != 0 && (o.RoleDuration < MinRoleDuration || o.RoleDuration > MaxRoleDuration) {
		errs = append(errs, problem(RoleDuration, "a duration from 15m to 12h", o.RoleDuration.String()))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, problem(MaxAttempts, fmt.Sprintf("1 or more (0 means %d)", DefaultMaxAttempts), strconv.Itoa(o.MaxAttempts)))
	}
	if o.MaxBackoff < 0 || o.MaxBackoff > MaxMaxBackoff {
		errs = append(errs, problem(MaxBackoff, "a duration from 0s to "+MaxMaxBackoff.String(), o.MaxBackoff.String()))
	}
	if o.EndpointURL != "" {
		if u, err := url.Parse(o.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, problem(EndpointURL, `an absolute http or https URL like "http://127.0.0.1:5000"`, strconv.Quote(o.EndpointURL)))
		}
	}
	return errors.Join(errs...)
}

// Load validates the options and returns an aws.Config whose credentials
// have been retrieved once, so that a missing credential or a refused role
// is reported here rather than by the first call that needs them.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if err := o.Validate(); err != nil {
		return aws.Config{}, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxAttempts := o.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = DefaultMaxAttempts
	}
	duration := o.RoleDuration
	if duration == 0 {
		duration = DefaultRoleDuration
	}

	ua := awsmiddleware.AddUserAgentKey("ferry")
	if o.Version != "" {
		ua = awsmiddleware.AddUserAgentKeyValue("ferry", o.Version)
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = maxAttempts
					if o.MaxBackoff > 0 {
						so.MaxBackoff = o.MaxBackoff
						so.Backoff = retry.NewExponentialJitterBackoff(o.MaxBackoff)
					}
				})
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{ua}),
		// The SDK's own warnings (IMDS fallbacks, deprecations) go to the
		// caller's logger, which redacts, instead of straight to stderr.
		config.WithLogger(sdkLogger{log}),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if o.DisableIMDS {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if o.SharedConfigFiles != nil {
		opts = append(opts, config.WithSharedConfigFiles(o.SharedConfigFiles))
	}
	if o.SharedCredentialsFiles != nil {
		opts = append(opts, config.WithSharedCredentialsFiles(o.SharedCredentialsFiles))
	}

	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, &FieldError{Field: Region, Expected: "a region", Found: "none: set the %s input or AWS_REGION", Refs: []Field{Region}, Err: ErrNoRegion}
	}
	// Our retryer carries the attempt count; a non-zero RetryMaxAttempts
	// (from AWS_MAX_ATTEMPTS) would make every client override it.
	cfg.RetryMaxAttempts = 0
	cfg.RetryMode = aws.RetryModeAdaptive

	report := &reporter{fn: o.OnSecret}
	base := &defaultChainProvider{provider: cfg.Credentials, report: report}
	cfg.Credentials = aws.NewCredentialsCache(base)

	mode := "default chain"
	switch {
	case o.RoleToAssume == "":
	case o.RoleChaining || o.WebIdentity == nil:
		mode = "assume role"
		// Without source credentials STS would only say it could not sign.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			if pe := (*providerError)(nil); errors.As(err, &pe) {
				err = pe.err
			}
			return aws.Config{}, fmt.Errorf("assuming role %q with the current credentials: %w", o.RoleToAssume, err)
		}
		cfg.Credentials = aws.NewCredentialsCache(&assumeRoleProvider{
			provider: stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.RoleToAssume, func(ao *stscreds.AssumeRoleOptions) {
				ao.RoleSessionName = o.RoleSessionName
				ao.Duration = duration
			}),
			role:   o.RoleToAssume,
			report: report,
			log:    log,
		}, roleCacheOptions)
	default:
		mode = "web identity"
		cfg.Credentials = aws.NewCredentialsCache(&webIdentityProvider{
			client:   sts.NewFromConfig(cfg),
			role:     o.RoleToAssume,
			session:  o.RoleSessionName,
			duration: duration,
			token:    o.WebIdentity,
			report:   report,
			log:      log,
		}, roleCacheOptions)
	}
	log.DebugContext(ctx, "loaded AWS configuration",
		"region", cfg.Region, "credentials", mode, "role", o.RoleToAssume,
		"endpoint", aws.ToString(cfg.BaseEndpoint), "max_attempts", maxAttempts)

	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		// Drop the cache's "failed to refresh cached credentials" prefix:
		// our providers' errors say what was being done.
		if pe := (*providerError)(nil); errors.As(err, &pe) {
			return aws.Config{}, pe.err
		}
		return aws.Config{}, err
	}
	log.DebugContext(ctx, "retrieved AWS credentials",
		"source", creds.Source, "account", creds.AccountID, "can_expire", creds.CanExpire, "expires", creds.Expires)
	return cfg, nil
}

// roleCacheOptions refreshes assumed-role credentials a minute before they
// expire, so that no request is signed with credentials about to lapse.
func roleCacheOptions(o *aws.CredentialsCacheOptions) {
	o.ExpiryWindow = time.Minute
}

// providerError marks an error our providers worded, so that Load can
// return it without the prefix aws.CredentialsCache adds.
type providerError struct{ err error }

func (e *providerError) Error() string { return e.err.Error() }
func (e *providerError) Unwrap() error { return e.err }

// reporter hands each secret to OnSecret once.
type reporter struct {
	fn   func(string)
	mu   sync.Mutex
	seen map[string]struct{}
}

func (r *reporter) report(secrets ...string) {
	if r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = make(map[string]struct{})
	}
	for _, s := range secrets {
		if _, ok := r.seen[s]; ok || s == "" {
			continue
		}
		r.seen[s] = struct{}{}
		r.fn(s)
	}
}

// defaultChainProvider wraps the credentials the SDK resolved (the default
// chain, or Options.Credentials): it reports their secrets and turns "the
// chain fell through to the instance role and found none" into
// ErrNoCredentials with the ways to give credentials.
type defaultChainProvider struct {
	provider aws.CredentialsProvider
	report   *reporter
}

func (p *defaultChainProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.provider == nil {
		return aws.Credentials{}, &providerError{fmt.Errorf("%w; %s", ErrNoCredentials, noCredentialsHelp)}
	}
	creds, err := p.provider.Retrieve(ctx)
	if err != nil {
		// The SDK ends its chain with the instance role: when that is the
		// only source, nothing else was found.
		if slices.Equal(p.ProviderSources(), []aws.CredentialSource{aws.CredentialSourceIMDS}) {
			return aws.Credentials{}, &providerError{fmt.Errorf("%w; %s (the instance role lookup said: %w)", ErrNoCredentials, noCredentialsHelp, err)}
		}
		return aws.Credentials{}, &providerError{fmt.Errorf("retrieving credentials from the default chain: %w", err)}
	}
	p.report.report(creds.SecretAccessKey, creds.SessionToken)
	return creds, nil
}

// ProviderSources passes the SDK's credential-source metrics through.
func (p *defaultChainProvider) ProviderSources() []aws.CredentialSource {
	if s, ok := p.provider.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// assumeRoleProvider wraps stscreds' AssumeRoleProvider with our error
// wording and secret reporting.
type assumeRoleProvider struct {
	provider *stscreds.AssumeRoleProvider
	role     string
	report   *reporter
	log      *slog.Logger
}

func (p *assumeRoleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &providerError{fmt.Errorf("assuming role %q with the current credentials: %w", p.role, err)}
	}
	p.report.report(creds.SecretAccessKey, creds.SessionToken)
	p.log.DebugContext(ctx, "assumed role", "role", p.role, "expires", creds.Expires)
	return creds, nil
}

func (p *assumeRoleProvider) ProviderSources() []aws.CredentialSource {
	return p.provider.ProviderSources()
}

// webIdentityProvider assumes a role with a token from a TokenSource. It
// builds stscreds' WebIdentityRoleProvider on every retrieval so that the
// token source runs with the context of that retrieval (the SDK's
// IdentityTokenRetriever takes none), and its errors are worded as ours.
type webIdentityProvider struct {
	client   stscreds.AssumeRoleWithWebIdentityAPIClient
	role     string
	session  string
	duration time.Duration
	token    TokenSource
	report   *reporter
	log      *slog.Logger
}

func (p *webIdentityProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	token, err := p.token(ctx)
	if err != nil {
		return aws.Credentials{}, &providerError{fmt.Errorf("assuming role %q with web identity: getting the token: %w", p.role, err)}
	}
	if token == "" {
		return aws.Credentials{}, &providerError{fmt.Errorf("assuming role %q with web identity: the token source returned an empty token", p.role)}
	}
	p.report.report(token)
	provider := stscreds.NewWebIdentityRoleProvider(p.client, p.role, identityToken(token), func(wo *stscreds.WebIdentityRoleOptions) {
		wo.RoleSessionName = p.session
		wo.Duration = p.duration
	})
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &providerError{fmt.Errorf("assuming role %q with web identity: %w", p.role, err)}
	}
	p.report.report(creds.SecretAccessKey, creds.SessionToken)
	p.log.DebugContext(ctx, "assumed role with web identity", "role", p.role, "expires", creds.Expires)
	return creds, nil
}

func (p *webIdentityProvider) ProviderSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSTSAssumeRoleWebID}
}

// identityToken adapts a token already fetched from a TokenSource to the
// SDK's stscreds.IdentityTokenRetriever.
type identityToken string

func (t identityToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// sdkLogger hands the SDK's log lines to slog: warnings as warnings,
// everything else at debug level.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "aws sdk: "+fmt.Sprintf(format, v...))
}
