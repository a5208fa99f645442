// Package ecr manages Amazon ECR repositories and authenticates to ECR
// registries for the build-push-ecr action.
//
// [Client.EnsureRepository] makes sure the target repository exists before
// anything is pushed: it describes the repository, creates it when asked to
// (with scan-on-push and tag mutability set at creation), and keeps an
// optional "keep the newest N images" lifecycle policy in place, writing it
// only when the policy in ECR differs from the one wanted. Settings of an
// existing repository are reported, never changed.
//
// [Client.Keychain] gives go-containerregistry an [authn.Keychain] for ECR:
// a registry host such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com gets
// Basic credentials from ecr:GetAuthorizationToken for that account and
// region, a configured endpoint override (a private endpoint, or a test
// registry) gets the token of a configured account, and every other host is
// passed to a fallback keychain. Tokens are fetched once per host and kept
// for the life of the keychain; nothing is written to ~/.docker and no
// docker login is run. Every password and token obtained goes to
// Options.OnSecret first, so the caller can mask it.
//
// AWS is reached through a narrow, unexported interface that *ecr.Client
// from github.com/aws/aws-sdk-go-v2/service/ecr satisfies; [New] takes it.
//
// The package is quiet: it prints nothing and logs only debug records to the
// optional *slog.Logger in [Options]. It knows nothing about CI platforms.
package ecr
