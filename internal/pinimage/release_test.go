package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/action"
)

// gitEnv keeps the tests away from the machine's git configuration.
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=maintainer", "GIT_AUTHOR_EMAIL=maintainer@example.com",
	"GIT_COMMITTER_NAME=maintainer", "GIT_COMMITTER_EMAIL=maintainer@example.com",
	"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// releaseRepo is a remote holding a copy of the action.yml files, and what
// the release script needs to run against it.
type releaseRepo struct {
	remote, script, pinimage string
	work                     string // the maintainer's clone
}

// tag commits a change in the maintainer's clone, tags it and pushes both;
// it returns the commit.
func (r releaseRepo) tag(t *testing.T, tag string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.work, "CHANGES"), []byte(tag), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, r.work, "add", "CHANGES")
	git(t, r.work, "commit", "-q", "-m", tag)
	git(t, r.work, "tag", "-a", tag, "-m", tag)
	git(t, r.work, "push", "-q", "--follow-tags", r.remote, "main")
	return git(t, r.work, "rev-parse", "HEAD")
}

// checkout clones the remote (every tag) and detaches at rev, as the
// release job's checkout does.
func (r releaseRepo) checkout(t *testing.T, rev string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkout")
	git(t, filepath.Dir(dir), "clone", "-q", r.remote, dir)
	git(t, dir, "checkout", "-q", "--detach", rev)
	return dir
}

// release runs the script in a fresh checkout of rev, with the action
// image and the GitLab image (none when empty), and returns its combined
// output and whether it succeeded.
func (r releaseRepo) release(t *testing.T, rev, tag, image, gitlabImage string) (string, bool) {
	t.Helper()
	dir := r.checkout(t, rev)
	cmd := exec.Command("bash", r.script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"TAG="+tag, "IMAGE="+image, "PINIMAGE="+r.pinimage,
		"GITHUB_OUTPUT="+filepath.Join(t.TempDir(), "output"))
	if gitlabImage != "" {
		cmd.Env = append(cmd.Env, "GITLAB_IMAGE="+gitlabImage)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// peeled returns the commit a remote tag names, or "".
func (r releaseRepo) peeled(t *testing.T, tag string) string {
	t.Helper()
	out := git(t, r.remote, "for-each-ref", "--format=%(*objectname)%(objectname)", "refs/tags/"+tag)
	if out == "" {
		return ""
	}
	// An annotated tag prints the commit then the tag object; a
	// lightweight tag only the commit.
	return out[:40]
}

// newReleaseRepo makes a remote whose main holds the action.yml files,
// with v1.2.2 and v1.2.3 tagged on two commits.
func newReleaseRepo(t *testing.T) (releaseRepo, map[string]string) {
	t.Helper()
	root := actiontest.Root(t)
	bin := filepath.Join(t.TempDir(), "pinimage")
	build := exec.Command("go", "build", "-o", bin, "./internal/pinimage")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	r := releaseRepo{
		remote:   filepath.Join(t.TempDir(), "remote.git"),
		script:   filepath.Join(root, ".github", "scripts", "release-tags.sh"),
		pinimage: bin,
	}
	git(t, filepath.Dir(r.remote), "init", "-q", "--bare", r.remote)

	r.work = copyActions(t)
	git(t, r.work, "init", "-q", "-b", "main")
	git(t, r.work, "add", ".")
	git(t, r.work, "commit", "-q", "-m", "first")
	commits := map[string]string{}
	for _, tag := range []string{"v1.2.2", "v1.2.3"} {
		commits[tag] = r.tag(t, tag)
	}
	return r, commits
}

// TestReleaseScript runs .github/scripts/release-tags.sh as the release
// workflow does, against a local remote: the release commit, the tag
// moves and their guards.
func TestReleaseScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	t.Parallel()
	r, commits := newReleaseRepo(t)
	source := commits["v1.2.3"]

	out, ok := r.release(t, source, "v1.2.3", digestA, gitlabA)
	if !ok {
		t.Fatalf("release v1.2.3 failed:\n%s", out)
	}
	release := r.peeled(t, "v1.2.3")
	t.Run("release commit", func(t *testing.T) {
		if release == source || release == "" {
			t.Fatalf("v1.2.3: want a release commit on top of %s, have %q", source, release)
		}
		if parent := git(t, r.remote, "rev-parse", release+"^"); parent != source {
			t.Errorf("release commit's parent: want the source %s, have %s", source, parent)
		}
		changed := strings.Fields(git(t, r.remote, "diff", "--name-only", source, release))
		want := strings.Fields(git(t, r.remote, "ls-tree", "-r", "--name-only", source))
		want = slices.DeleteFunc(want, func(p string) bool {
			return filepath.Base(p) != "action.yml" && filepath.Dir(p) != "templates"
		})
		actions := slices.DeleteFunc(slices.Clone(want), func(p string) bool { return filepath.Dir(p) == "templates" })
		if !slices.Equal(changed, want) || len(actions) == 0 || len(actions) == len(want) {
			t.Errorf("files changed: want every action.yml and GitLab component %q, have %q", want, changed)
		}
		diff := git(t, r.remote, "diff", source, release)
		if strings.Count(diff, "\n+  image: docker://"+digestA) != len(actions) {
			t.Errorf("diff: want one pinned runs.image per action.yml:\n%s", diff)
		}
		if n := strings.Count(diff, "\n+      default: "+gitlabA); n != len(want)-len(actions) {
			t.Errorf("diff: want one pinned image default per component (%d), have %d:\n%s", len(want)-len(actions), n, diff)
		}
		if n := strings.Count(diff, "\n-      default: "+action.GitLabImage); n != len(want)-len(actions) {
			t.Errorf("diff: want the developer build's image %s replaced in each component, have %d:\n%s", action.GitLabImage, n, diff)
		}
		if n := strings.Count(diff, "\n+") - strings.Count(diff, "\n+++"); n != len(want) {
			t.Errorf("diff: want one added line per file (%d), have %d", len(want), n)
		}
		if who := git(t, r.remote, "log", "-1", "--format=%an <%ae> %cI", release); who != "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> 2026-01-02T03:04:05+00:00" {
			t.Errorf("release commit author and date: have %q", who)
		}
		if v1 := r.peeled(t, "v1"); v1 != release {
			t.Errorf("v1: want the release commit %s, have %q", release, v1)
		}
		if !strings.Contains(out, "release commit "+release) {
			t.Errorf("output lacks the release commit:\n%s", out)
		}
	})

	t.Run("run again: nothing changes", func(t *testing.T) {
		before := git(t, r.remote, "for-each-ref", "refs/tags")
		out, ok := r.release(t, source, "v1.2.3", digestA, gitlabA)
		if !ok {
			t.Fatalf("second run failed:\n%s", out)
		}
		if after := git(t, r.remote, "for-each-ref", "refs/tags"); after != before {
			t.Errorf("tags changed on a second run:\nbefore %s\nafter  %s", before, after)
		}
		for _, want := range []string{"v1.2.3 already names the release commit", "v1 already names the release commit", "release commit " + release} {
			if !strings.Contains(out, want) {
				t.Errorf("second run: output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("an older patch leaves v1", func(t *testing.T) {
		out, ok := r.release(t, commits["v1.2.2"], "v1.2.2", digestB, gitlabB)
		if !ok {
			t.Fatalf("release v1.2.2 failed:\n%s", out)
		}
		if have := r.peeled(t, "v1.2.2"); have == commits["v1.2.2"] {
			t.Errorf("v1.2.2: want moved to its release commit, still at the source")
		}
		if v1 := r.peeled(t, "v1"); v1 != release {
			t.Errorf("v1: want still v1.2.3's release commit, have %s", v1)
		}
		if !strings.Contains(out, "v1 stays: v1.2.3 is newer than v1.2.2") {
			t.Errorf("output lacks why v1 stays:\n%s", out)
		}
	})

	t.Run("a pre-release leaves v1", func(t *testing.T) {
		out, ok := r.release(t, r.tag(t, "v1.3.0-rc.1"), "v1.3.0-rc.1", digestB, gitlabB)
		if !ok {
			t.Fatalf("release v1.3.0-rc.1 failed:\n%s", out)
		}
		if v1 := r.peeled(t, "v1"); v1 != release {
			t.Errorf("v1: want still v1.2.3's release commit, have %s", v1)
		}
	})

	t.Run("a tag moved by someone else stops the release", func(t *testing.T) {
		// v1.4.0 is re-pointed after it was pushed and before its release
		// job checks it.
		source := r.tag(t, "v1.4.0")
		git(t, r.remote, "tag", "-f", "v1.4.0", commits["v1.2.2"])
		before := git(t, r.remote, "for-each-ref", "refs/tags")
		out, ok := r.release(t, source, "v1.4.0", digestB, gitlabB)
		if ok {
			t.Fatalf("release succeeded although v1.4.0 no longer names its source:\n%s", out)
		}
		if !strings.Contains(out, "remote v1.4.0 names "+commits["v1.2.2"]+", neither the source commit") {
			t.Errorf("output lacks the reason:\n%s", out)
		}
		if after := git(t, r.remote, "for-each-ref", "refs/tags"); after != before {
			t.Errorf("tags changed by a refused release:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("no GitLab image", func(t *testing.T) {
		source := r.tag(t, "v1.5.0")
		before := git(t, r.remote, "for-each-ref", "refs/tags")
		out, ok := r.release(t, source, "v1.5.0", digestA, "")
		if ok || !strings.Contains(out, "GITLAB_IMAGE: want the GitLab job image by digest") {
			t.Errorf("no GITLAB_IMAGE: want a refusal, have ok=%v:\n%s", ok, out)
		}
		if after := git(t, r.remote, "for-each-ref", "refs/tags"); after != before {
			t.Errorf("tags changed by a refused release:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("not a version", func(t *testing.T) {
		out, ok := r.release(t, source, "v1", digestA, gitlabA)
		if ok || !strings.Contains(out, `TAG: want vMAJOR.MINOR.PATCH[-PRERELEASE], have "v1"`) {
			t.Errorf("TAG v1: want a refusal, have ok=%v:\n%s", ok, out)
		}
	})
}
