// Package cdn invalidates what a sync changed in a CloudFront
// distribution, for the sync-s3-cloudfront action.
//
// [Invalidator.Origins] reads the distribution's configuration
// (GetDistributionConfig) to find the origins that serve the bucket and
// their origin paths: the object "site/docs/index.html" behind an origin
// with path "/site" is served at "/docs/index.html". It is called before
// the sync writes anything, so a wrong distribution id fails early
// ([ErrNoSuchDistribution]).
//
// [Paths] turns changed keys into invalidation paths: one per key as
// served, "/dir/" and "/dir" along with "/dir/index.html", percent-encoded
// where CloudFront asks, collapsed into "/dir/*" wildcards past a limit
// and into "/*" when that is not enough. It is a pure function.
//
// [Invalidator.Create] retries TooManyInvalidationsInProgress with growing,
// jittered waits and one caller reference, so a retry never creates a
// second invalidation. [Invalidator.Wait] polls GetInvalidation and
// compares the status without case: AWS says "Completed", the moto
// emulator "COMPLETED", on which the SDK's own waiter never returns.
//
// CloudFront is reached through a narrow, unexported interface that
// *Client of github.com/aws/aws-sdk-go-v2/service/cloudfront satisfies.
// The package is quiet: it logs to the optional *slog.Logger of [Config]
// and knows nothing about CI platforms.
package cdn
