// Package e2e runs ferry the way its users run it: the release image,
// built by the release's own code and pushed to a loopback registry, as
// GitHub container actions of a copy of this repository pinned by the
// release script, under nektos/act (pinned in tools/go.mod) on a real Docker
// engine; the reusable flows chained as GitHub chains them; every AWS call
// to moto, the registry and the notification sinks on loopback.
//
// `make test` runs it inside `devstack exec -engine`, which starts dockerd
// when none answers. In CI (CI=true) a missing engine fails the suite;
// elsewhere the suite skips, saying why.
//
// What act does not do as GitHub does, and how the suite copes, is in the
// README's "End-to-end" section.
package e2e
