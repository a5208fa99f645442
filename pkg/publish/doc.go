// Package publish delivers an [image.Artifact] to a registry repository
// under a set of tags and answers with the digest reference that deploys
// take: the "deliver" half of build-push-ecr, separate from producing the
// image (pkg/image), as ko separates pkg/build from pkg/publish.
//
// [Push] is careful with tags before it writes anything:
//
//   - Every tag is checked with a HEAD first. A tag that already points at
//     the artifact's digest is left alone: no PUT at all, so a repository
//     with immutable tags never sees a write to an existing tag, not even an
//     identical one. A tag that points elsewhere is overwritten, unless
//     [Options.Immutable] reports it immutable (ECR's IMMUTABLE, or its
//     _WITH_EXCLUSION settings with their filters): then every such tag is
//     reported at once in an error wrapping [ErrTagConflict], and nothing
//     is written.
//   - The blobs are pushed once, in parallel ([Options.Jobs]), with the
//     first tag that needs writing; the other tags follow one after another,
//     in the order given, as the manifest alone. A push that fails leaves a
//     known state, which its error states: the tags before the failing one
//     point at the digest, it and those after it are unchanged (blobs may
//     have been uploaded; they are content-addressed and harmless). Blobs
//     the repository holds are skipped; layers read with remote.Image from
//     another repository of the same registry are mounted, not uploaded.
//   - Throttling (429), 408 and 5xx answers and broken connections are
//     retried ([Options.Retry]): a request that can be sent again as it was
//     by itself, a streamed blob upload by starting it over; never more
//     than Retry.Attempts times, waiting up to Retry.MaxBackoff.
//   - The [Result] counts what happened on the wire: blobs found, mounted
//     and uploaded, and the bytes sent.
//
// The package is quiet: it logs only to [Options.Logger], and nothing when
// that is nil. It knows nothing of ECR or of the CI platform: credentials
// come in as an authn.Keychain.
package publish
