package commands

import (
	"context"
	"os/exec"
	"strings"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/image"
)

// gitContext is the commit, branch and tag of the run: from the run context
// on a CI platform, from git in the workspace on the command line. A field it
// cannot find stays empty.
func gitContext(ctx context.Context, rt *action.Runtime, dir string) image.GitContext {
	if rt.Platform() != action.CLI {
		rc := rt.Context()
		return image.GitContext{SHA: rc.SHA, Branch: rc.Branch, Tag: rc.Tag}
	}
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
