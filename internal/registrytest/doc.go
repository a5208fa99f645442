// Package registrytest runs an OCI registry on loopback for tests, the way
// net/http/httptest runs an HTTP server: go-containerregistry's in-memory
// registry (pkg/registry) behind [httptest.NewServer], shaped like ECR where
// the difference matters to a client, and counting the traffic it serves.
//
// What it adds to the in-memory registry:
//
//   - Basic authentication like ECR's: with [Options.Username] set, every
//     request under /v2/ without an `Authorization: Basic …` header is
//     answered 401 with `WWW-Authenticate: Basic realm="…"`, so
//     go-containerregistry's transport pings, sees the Basic challenge and
//     retries with credentials; wrong credentials get 401 as well.
//   - Blobs belong to a repository: a blob pushed to repository A is not
//     found by a HEAD in repository B until it is pushed or mounted there.
//     The in-memory registry shares every blob across repositories.
//   - Cross-repository mounts: `POST /v2/B/blobs/uploads/?mount=<digest>&from=A`
//     answers 201 when A holds the blob; otherwise the registry starts a
//     normal upload (202), as the distribution spec allows.
//   - Immutable tags, optionally ([Options.ImmutableTags]): a manifest PUT to
//     a tag that already exists is refused with 400 TAG_INVALID, whatever the
//     digest: the strictest reading of ECR's tag immutability, so a client
//     that rewrites an unchanged tag is caught.
//   - Counters ([Handler.Stats]): requests, authentication failures, blob
//     existence checks, uploads, mounts, the bytes of upload bodies, blobs
//     committed, manifest requests, and the most uploads seen at once.
//
// The server stops when the test ends. It writes nothing to the test's
// output: the registry's own log is discarded.
package registrytest
