package publish

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Defaults of [Retry], the same as the AWS calls of an action.
const (
	DefaultAttempts   = 5
	DefaultMaxBackoff = 20 * time.Second
	// firstBackoff is the longest wait before the second attempt; the
	// waits double from there up to Retry.MaxBackoff.
	firstBackoff = 100 * time.Millisecond
)

// Retry says how a push retries what the registry refuses for a while:
// 408, 429 and 5xx answers, and connections that break.
//
// Each request that can be sent again as it was — one without a body, or
// whose body can be read again (a manifest) — is retried by itself. A blob
// upload streams its body once; when it fails, the whole upload of that
// blob starts again (existence check, upload session, bytes, commit), up to
// Attempts times. The waits grow exponentially with full jitter, up to
// MaxBackoff, and end early when the push's context does.
type Retry struct {
	// Attempts per request (and per blob upload), first try included; 0
	// means DefaultAttempts; 1 never retries.
	Attempts int
	// MaxBackoff caps the wait between two attempts; 0 means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultAttempts
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = DefaultMaxBackoff
	}
	return r
}

// backoff is the wait before attempt n+1 (n ≥ 1): a random duration up to
// firstBackoff·2^(n-1), capped at MaxBackoff.
func (r Retry) backoff(n int) time.Duration {
	ceiling := float64(firstBackoff) * math.Pow(2, float64(n-1))
	ceiling = math.Min(ceiling, float64(r.MaxBackoff))
	return time.Duration(rand.Float64() * ceiling)
}

// remoteBackoff is go-containerregistry's retry of whole blob uploads and
// manifest writes: Attempts tries with waits from firstBackoff growing to
// about MaxBackoff. (Its Cap would also end the retries, so the growth
// factor is chosen instead.)
func (r Retry) remoteBackoff() remote.Backoff {
	d := min(firstBackoff, r.MaxBackoff)
	factor := 1.0
	if r.Attempts > 2 && r.MaxBackoff > d {
		factor = math.Min(2, math.Pow(float64(r.MaxBackoff)/float64(d), 1/float64(r.Attempts-2)))
	}
	return remote.Backoff{Duration: d, Factor: factor, Jitter: 0.1, Steps: r.Attempts}
}

// remotePredicate decides go-containerregistry's retries of whole blob
// uploads and manifest writes. A request that [retrying] could send again
// by itself has had its attempts already: retrying the upload around it
// would multiply them. A streamed blob body that failed, or a connection
// that broke, restarts the upload.
func remotePredicate(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.Request != nil && replayable(terr.Request) {
			return false
		}
		return terr.Temporary()
	}
	return brokenConnection(err)
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retryStatus are the answers worth another attempt.
var retryStatus = map[int]bool{
	http.StatusRequestTimeout:      true,
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

// retrying is the transport that retries single requests.
type retrying struct {
	base  http.RoundTripper
	retry Retry
}

func (t *retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	if !replayable(req) || t.retry.Attempts <= 1 {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	for n := 1; ; n++ {
		try := req
		if n > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(ctx)
			try.Body = body
		}
		resp, err := t.base.RoundTrip(try)
		if n >= t.retry.Attempts || !retryable(ctx, resp, err) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		timer := time.NewTimer(t.retry.backoff(n))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// retryable reports whether an attempt that ended with resp or err is
// worth another: a retryable status, or a connection that broke, while ctx
// still runs.
func retryable(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err == nil {
		return retryStatus[resp.StatusCode]
	}
	return brokenConnection(err)
}

// brokenConnection reports an error of a connection that broke or timed
// out, rather than one the registry answered.
func brokenConnection(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &ne) && ne.Timeout())
}
