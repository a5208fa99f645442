// Command pinimage points every action of this repository at a published
// image by digest, for a release commit:
//
//	go run ./internal/pinimage -image ghcr.io/ferry-ci/ferry@sha256:<digest> [-root DIR]
//
// It rewrites runs.image of the root action.yml and of each
// actions/<name>/action.yml to docker://<image> (every other byte stays as
// generated), then checks each file against its command's declaration as
// the contract test does. The runner then pulls that image instead of
// building the Dockerfile. The generated-files test accepts the pinned form
// (pkg/commands TestGeneratedFilesAcceptPinnedImages).
package main
