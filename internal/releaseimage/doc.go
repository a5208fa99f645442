// Command releaseimage assembles ferry's release image without Docker, with
// ferry's own daemonless build (pkg/image): for each platform a static
// binary cross-compiled from this checkout and the CA certificates, on an
// empty (scratch) base, entrypoint /ferry — the same image the Dockerfile's
// last stage ("action") describes; a test keeps the two in step.
//
//	go run ./internal/releaseimage [flags]      (make image)
//
// It writes an OCI image layout whose index.json names one OCI index (one
// image per platform), prints each platform's compressed size (manifest,
// config and layers: what a pull downloads) and the total, and fails when a
// platform exceeds -max-bytes. Then it proves the image runs: the host
// platform's root filesystem is unpacked into a temporary directory and
// `chroot DIR /ferry version` must name the version. chroot needs root;
// -run=false skips the proof.
//
// The same sources and SOURCE_DATE_EPOCH give the same digests: every
// timestamp in the image is the epoch, and the binary is built with
// -trimpath. The release workflow (.github/workflows/release.yml) pushes
// the layout with crane and pins the actions to its digest.
package main
