// Package s3sync syncs a local directory to an S3 prefix by content, for
// the sync-s3-cloudfront action.
//
// `aws s3 sync` compares size and modification time, so a fresh CI
// checkout (every mtime new) uploads the whole site again, and an edit
// that keeps the size and the mtime's second is missed. This package
// compares content:
//
//   - the file's MD5 against the object's ETag when the ETag is an MD5 (a
//     single-part upload without SSE-KMS);
//   - otherwise the file's SHA-256 against the one ferry stores in the
//     object's metadata on upload ([MetaSHA256]), which holds for
//     multipart uploads, SSE-KMS and pre-compressed objects.
//
// Headers are part of the comparison: a file whose content is the same but
// whose Cache-Control or Content-Type rule changed is updated by copying
// the object onto itself (CopyObject, metadata REPLACE), not uploaded.
// Content-Types come from a built-in table ([DetectContentType]), never
// from the operating system's registry.
//
// # The manifest
//
// The listing shows each object's ETag, size and LastModified, but not its
// headers nor the stored SHA-256; reading those is one HeadObject per
// object, which would make a re-sync of thousands of files slow. After a
// successful sync ferry therefore writes a small manifest under the prefix
// ([ManifestName], gzip-compressed JSON) recording per key the ETag, size
// and LastModified it listed, the SHA-256 and the headers. An entry is
// trusted only while the listing still shows the same ETag, size and
// LastModified; any object written by other means (the console, the CLI,
// another tool) no longer matches and is read with HeadObject. A missing,
// unreadable or outdated manifest costs HeadObject calls, never a wrong
// result. The manifest never vouches against the listing: where the ETag
// is of MD5 form and the file is stored as is, the file's MD5 decides
// (HeadObject when they differ); the manifest's SHA-256 counts only for
// multipart and pre-compressed objects. What is read of it is bounded by
// the size of the listing. No manifest (any key whose name ends with
// [ManifestName], Options.ManifestKey included) is uploaded from the
// source, deleted, or counted as a site file, and nothing under another
// sync's prefix is deleted.
//
// # Plan, then apply
//
// [Syncer.Plan] reads only: it walks the source (skipping Options.Exclude),
// hashes every file, lists the prefix, reads the manifest and heads the
// objects the manifest does not vouch for, and returns the [Change]s. It
// fails with [ErrTooManyDeletes] when the deletions exceed
// Options.MaxDelete. [Syncer.Apply] makes the changes: everything but HTML
// first, then HTML, then (only when every write succeeded) the deletions,
// then the manifest; with at most Options.Concurrency requests in flight.
// Uploads carry Content-MD5, so S3 rejects a body that is not what was
// hashed; files above the multipart threshold are uploaded in parts.
//
// S3 is reached through a narrow, unexported interface that *Client of
// github.com/aws/aws-sdk-go-v2/service/s3 satisfies; [New] takes it. The
// package is quiet: it logs to the optional *slog.Logger of [Config] and
// knows nothing about CI platforms.
package s3sync
