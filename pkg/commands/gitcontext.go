package commands

import (
	"context"
	"os/exec"
	"strings"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/image"
)

// gitContext reads the commit, branch and tag of the run: from the runner's
// variables on GitHub and GitLab, from git in the workspace on the command
// line. A field it cannot find stays empty.
func gitContext(ctx context.Context, rt *action.Runtime, dir string) image.GitContext {
	get := rt.Getenv
	switch rt.Platform() {
	case action.GitHub:
		g := image.GitContext{SHA: get("GITHUB_SHA")}
		switch {
		case get("GITHUB_HEAD_REF") != "": // pull requests: the source branch, not "123/merge"
			g.Branch = get("GITHUB_HEAD_REF")
		case get("GITHUB_REF_TYPE") == "tag":
			g.Tag = get("GITHUB_REF_NAME")
		case get("GITHUB_REF_TYPE") == "branch":
			g.Branch = get("GITHUB_REF_NAME")
		}
		return g
	case action.GitLab:
		g := image.GitContext{SHA: get("CI_COMMIT_SHA"), Tag: get("CI_COMMIT_TAG"), Branch: get("CI_COMMIT_BRANCH")}
		if g.Branch == "" && g.Tag == "" {
			g.Branch = get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
		}
		return g
	default:
		git := func(args ...string) string {
			cmd := exec.CommandContext(ctx, "git", args...)
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(out))
		}
		return image.GitContext{
			SHA:    git("rev-parse", "HEAD"),
			Branch: git("symbolic-ref", "--short", "-q", "HEAD"),
			Tag:    git("describe", "--tags", "--exact-match", "HEAD"),
		}
	}
}
