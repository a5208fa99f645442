package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/awsauth"
)

// awsInputs are the inputs every AWS action has.
func awsInputs() []action.Input {
	return []action.Input{
		{Name: "aws-region", Description: "AWS region, e.g. eu-west-1. Falls back to AWS_REGION (or AWS_DEFAULT_REGION)."},
		{Name: "role-to-assume", Description: "ARN of an IAM role to assume. On GitHub with an OIDC token (the job needs `permissions: id-token: write`), on GitLab with the ID token in `web-identity-token-env`, with `role-chaining` (or on the command line) with the current credentials."},
		{Name: "role-session-name", Description: "Session name for the assumed role. Default: ferry-<repository>-<run or job id>."},
		{Name: "role-duration", Kind: action.Duration, Default: "1h", Description: "Lifetime of the assumed-role session, 15m to 12h."},
		{Name: "role-chaining", Kind: action.Bool, Default: "false", Description: "Assume `role-to-assume` with the credentials already configured (sts:AssumeRole) instead of an OIDC token."},
		{Name: "audience", Default: "sts.amazonaws.com", Description: "Audience (aud) of the OIDC token: asked of GitHub's token endpoint, and set on the GitLab component's id_tokens."},
		{Name: "web-identity-token-env", Default: "AWS_ID_TOKEN", Description: "GitLab (and command line): the environment variable holding the OIDC ID token, as filled by the job's `id_tokens:`."},
		{Name: "aws-endpoint-url", Description: "Base endpoint for every AWS service, for emulators and private endpoints. AWS_ENDPOINT_URL is honoured too."},
		{Name: "max-attempts", Kind: action.Int, Default: "5", Description: "Attempts per AWS request (and per registry request in build-push-ecr), first try included, with the SDK's adaptive retry."},
		{Name: "retry-max-backoff", Kind: action.Duration, Default: "20s", Description: "Longest wait between two attempts of one AWS (or registry) request; the waits grow with jitter up to it."},
	}
}

// timeoutInput is the deadline of a whole action run.
func timeoutInput(def string) action.Input {
	return action.Input{Name: "timeout", Kind: action.Duration, Default: def, Description: "Deadline for the whole run, e.g. 10m."}
}

// checkBakeTime refuses a progressive shift that cannot finish in time:
// its n steps wait bake-time between each two (not after the last), and
// those waits alone reach input timeout, so the run would end at its
// deadline mid-shift, after writes. Found before any, it is a usage error.
func checkBakeTime(in *action.Values, stepsInput string, n int) {
	if n < 2 || in.Failed("bake-time", "timeout") {
		return
	}
	bake, timeout := in.Duration("bake-time"), in.Duration("timeout")
	k := time.Duration(n - 1)
	if bake <= 0 || bake <= (timeout-1)/k { // (n-1) × bake < timeout, without overflow
		return
	}
	waits := "more than " + time.Duration(math.MaxInt64).String()
	if bake <= math.MaxInt64/k {
		waits = (k * bake).String()
	}
	s := "s"
	if n == 2 {
		s = ""
	}
	in.Add(fmt.Errorf("inputs %q, %q and %q: expected a timeout longer than the waits between the steps (%d steps, %d wait%s of bake-time %s: %s), found timeout %s",
		stepsInput, "bake-time", "timeout", n, n-1, s, bake, waits, timeout))
}

// awsOptions reads the AWS inputs and checks them, recording every problem in
// the runtime's inputs. It makes no AWS call.
func awsOptions(rt *action.Runtime, b Build) awsauth.Options {
	in := rt.Inputs()
	o := awsauth.Options{
		Region:          in.String("aws-region"),
		RoleToAssume:    in.String("role-to-assume"),
		RoleSessionName: in.String("role-session-name"),
		RoleDuration:    in.Duration("role-duration"),
		RoleChaining:    in.Bool("role-chaining"),
		EndpointURL:     in.String("aws-endpoint-url"),
		MaxAttempts:     in.Int("max-attempts"),
		MaxBackoff:      in.Duration("retry-max-backoff"),
		Version:         b.Version,
		OnSecret:        rt.Mask,
		DisableIMDS:     rt.Getenv("AWS_EC2_METADATA_DISABLED") == "true",
	}
	if o.RoleToAssume != "" && o.RoleSessionName == "" {
		o.RoleSessionName = defaultSessionName(rt)
	}
	if o.RoleToAssume != "" && !o.RoleChaining {
		o.WebIdentity = webIdentity(rt, in)
	}
	in.Add(inputNames(o.Validate(), awsAuthInputs))
	return o
}

// awsAuthInputs names pkg/awsauth's fields as the AWS inputs every AWS
// action shares (awsInputs), for the problems awsauth reports.
var awsAuthInputs = map[awsauth.Field]string{
	awsauth.Region:          "aws-region",
	awsauth.RoleToAssume:    "role-to-assume",
	awsauth.RoleSessionName: "role-session-name",
	awsauth.RoleDuration:    "role-duration",
	awsauth.MaxAttempts:     "max-attempts",
	awsauth.MaxBackoff:      "retry-max-backoff",
	awsauth.EndpointURL:     "aws-endpoint-url",
}

// webIdentity picks where the OIDC token comes from on this platform. A
// missing token is an input problem where one is needed (GitHub, GitLab); on
// the command line without one the role is assumed with the current
// credentials.
func webIdentity(rt *action.Runtime, in *action.Values) awsauth.TokenSource {
	audience := in.String("audience")
	switch rt.Platform() {
	case action.GitHub:
		if rt.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" || rt.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN") == "" {
			in.Problem("role-to-assume",
				"an OIDC token to assume it with: give the job `permissions: id-token: write`, or set role-chaining: true to assume it with credentials already configured",
				"no ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN in the environment")
			return nil
		}
		return func(ctx context.Context) (string, error) { return rt.GitHubIDToken(ctx, audience) }
	default:
		name := in.String("web-identity-token-env")
		token := strings.TrimSpace(rt.Getenv(name))
		if token != "" {
			rt.Mask(token)
			return func(context.Context) (string, error) { return token, nil }
		}
		if rt.Platform() == action.GitLab {
			in.Problem("web-identity-token-env",
				fmt.Sprintf("an ID token in $%s to assume role-to-assume with: add `id_tokens: {%s: {aud: %s}}` to the job, or set role-chaining: true", name, name, audience),
				fmt.Sprintf("$%s is empty", name))
		}
		return nil
	}
}

var sessionUnsafe = regexp.MustCompile(`[^\w+=,.@-]+`)

// defaultSessionName names the session after the run so CloudTrail shows
// which pipeline did what: ferry-<repository>-<run id> on GitHub,
// ferry-<project path>-<job id> on GitLab, ferry-cli elsewhere.
func defaultSessionName(rt *action.Runtime) string {
	rc := rt.Context()
	where, id := rc.Repository, rc.RunID
	if rc.JobID != "" { // GitLab: the job, which a retry renews, not the pipeline
		id = rc.JobID
	}
	if where == "" {
		return "ferry-cli"
	}
	tail := ""
	if id != "" {
		tail = "-" + sessionUnsafe.ReplaceAllString(id, "-")
	}
	head := "ferry-" + sessionUnsafe.ReplaceAllString(where, "-")
	if max := 64 - len(tail); len(head) > max {
		head = head[:max]
	}
	return head + tail
}

// loadAWS turns checked options into an aws.Config.
func loadAWS(ctx context.Context, rt *action.Runtime, o awsauth.Options) (aws.Config, error) {
	o.Logger = rt.Logger()
	cfg, err := awsauth.Load(ctx, o)
	err = inputNames(err, awsAuthInputs)
	if errors.Is(err, awsauth.ErrNoRegion) {
		return cfg, action.Usage(rt.Spec().Name, err) // found before any AWS call
	}
	return cfg, err
}

// awsRun is what an AWS command runs with once its inputs passed.
type awsRun struct {
	ctx     context.Context // ends at the deadline of input timeout
	cfg     aws.Config
	opts    awsauth.Options
	timeout time.Duration
}

// startAWS is how every AWS command starts: the shared AWS inputs are
// checked, then the command's own (plan records its problems in the
// runtime's inputs), and every problem is reported at once before
// anything runs; then the run gets its one deadline from input timeout
// and the AWS config is loaded. The caller defers cancel, never nil.
func startAWS(ctx context.Context, rt *action.Runtime, b Build, plan func()) (awsRun, context.CancelFunc, error) {
	in := rt.Inputs()
	opts := awsOptions(rt, b)
	plan()
	timeout := in.Duration("timeout")
	if err := in.Err(); err != nil {
		return awsRun{}, func() {}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	cfg, err := loadAWS(ctx, rt, opts)
	if err != nil {
		return awsRun{}, cancel, err
	}
	return awsRun{ctx: ctx, cfg: cfg, opts: opts, timeout: timeout}, cancel, nil
}

// timedOut names the timeout input when the run's own deadline ended it.
func timedOut(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("timed out after %s (input timeout): %w", timeout, err)
	}
	return err
}
