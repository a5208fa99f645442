// Package image produces the container images ferry pushes: from the Docker
// daemon, a docker-save or OCI tarball, an OCI layout, a remote registry
// (promotion, digest unchanged), or a daemonless build that appends files to
// a base image for each requested platform. It yields an [Artifact] — an
// image or a multi-platform index — and never talks to ECR or pushes
// anything: pkg/publish delivers what this package produces.
//
// It also computes the default tags from a run's git context ([DefaultTags]),
// and parses the inputs that describe a build ([ParseFiles],
// [ParsePlatforms], [ValidateTag], [ParseReference], [EpochFromEnv]).
//
// The package is quiet: it prints nothing, and [Build] logs only to the
// *slog.Logger it is given.
package image
