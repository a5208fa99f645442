// Command releaseimage assembles ferry's two release images without Docker,
// with ferry's own daemonless build (internal/ferryimage, pkg/image): for
// each platform a static binary cross-compiled from this checkout, then
//
//   - the action image: the binary and the CA certificates on an empty
//     (scratch) base, entrypoint /ferry — the same image the Dockerfile's
//     last stage ("action") describes; a test keeps the two in step;
//
//   - the GitLab job image: the same binary at /usr/local/bin/ferry, the CA
//     certificates and busybox from Debian's busybox-static package of the
//     platform (-busybox, fetched by make busybox), no entrypoint.
//
//     go run ./internal/releaseimage -busybox linux/amd64=DIR,linux/arm64=DIR [flags]   (make image)
//
// It writes one OCI image layout per image (-out, -gitlab-out) whose
// index.json names one OCI index (one image per platform), prints each
// platform's compressed size (manifest, config and layers: what a pull
// downloads) and the total, and fails when a platform exceeds -max-bytes.
// Then it proves the images run: the host platform's root filesystems are
// unpacked into a temporary directory, `chroot DIR /ferry version` must
// name the version, and so must a script of sh, mkdir, cp, tar and ferry
// version in the GitLab one. chroot needs root; -run=false skips the proof.
//
// The same sources, busybox packages and SOURCE_DATE_EPOCH give the same
// digests: every timestamp in the images is the epoch, and the binary is
// built with -trimpath. The release workflow (.github/workflows/release.yml)
// pushes both layouts with crane and pins the actions and the GitLab
// components to their digests.
package main
