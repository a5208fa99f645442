// Package ferryimage assembles ferry's two release images for one platform,
// daemonlessly, with ferry's own build (pkg/image) on an empty base:
//
//   - the action image (Action): the static binary at /ferry and the CA
//     certificates, entrypoint /ferry — what the GitHub container actions run;
//   - the GitLab job image (GitLab): the same binary at /usr/local/bin/ferry,
//     the CA certificates and busybox (a shell at /bin/sh and the core
//     utilities), no entrypoint — what the GitLab components run, since a
//     GitLab runner runs a job's script with a shell found in the image.
//
// Busybox comes from Debian's busybox-static package for the platform,
// unpacked with `dpkg-deb -R` (ReadBusybox); its applets are linked into
// /bin as the busybox image does. The same inputs and epoch give the same
// digests. internal/releaseimage (make image) builds both for every
// platform; the GitLab component tests build the GitLab image for the host.
package ferryimage
