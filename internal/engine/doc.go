// Package engine makes sure a Docker engine answers for the end-to-end
// tests, the way a user's runner has one: when `docker info` does not
// answer, it installs Debian's docker.io where it can (as root, with
// apt-get) and starts dockerd, and it stops only what it started.
//
// `go run ./internal/devstack exec -engine -- CMD` (what `make test` runs)
// uses it around the test run; tests ask [Answers] and, in CI, fail when no
// engine answers instead of skipping.
package engine
