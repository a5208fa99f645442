// Command pinimage points every action and every GitLab component of this
// repository at the published images by digest, for a release commit:
//
//	go run ./internal/pinimage -image ghcr.io/ferry-ci/ferry@sha256:<digest> \
//	    -gitlab-image ghcr.io/ferry-ci/ferry@sha256:<digest> [-root DIR]
//
// It rewrites runs.image of the root action.yml and of each
// actions/<name>/action.yml to docker://<image>, and the default of the
// image input of each templates/*.yml to <gitlab-image> (every other byte
// stays as generated or written), then checks each generated file against
// its command's declaration as the contract test does. The runner then
// pulls the action image instead of building the Dockerfile, and GitLab
// jobs the published GitLab job image instead of a developer build's
// (action.GitLabImage). The generated-files test accepts the pinned form
// (pkg/commands TestGeneratedFilesAcceptPinnedImages).
package main
