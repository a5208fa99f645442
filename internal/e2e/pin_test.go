package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenPinFails: the suite catches a release whose action.yml does
// not match what the workflows pass. A copy of the pinned release with one
// input renamed in one action.yml fails the run that uses it, naming the
// input, where the real release passes (TestRedirectTrafficDispatch). The
// runner still hands ferry INPUT_PRESET (GitHub with a warning, act
// silently), so the suite's own check of the inputs is what fails it.
func TestBrokenPinFails(t *testing.T) {
	r := need(t)
	s := newStack(t)
	broken := t.TempDir()
	if out, err := run(t.Context(), "", gitEnv(), "git", "clone", "-q", r.pinned, broken); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	p := filepath.Join(broken, "actions", "redirect-traffic", "action.yml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\n  preset:\n") {
		t.Fatalf("%s declares no input preset", p)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "\n  preset:\n", "\n  weights-preset:\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := appRepo(t, "main", map[string]string{
		".github/workflows/redirect.yml": readRepoFile(t, r, "examples/workflows/redirect-traffic-dispatch.yml"),
	})
	res := r.act(t, actRun{dir: dir, event: "workflow_dispatch", workflow: ".github/workflows/redirect.yml", pinned: broken,
		inputs: map[string]string{"environment": "production", "preset": "blue-80"},
		vars: map[string]string{
			"AWS_REGION": "us-east-1", "DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/ferry-deploy",
			"LISTENER_ARNS": s.Outputs["ListenerArn"], "BLUE_TARGET_GROUP": s.Outputs["BlueTargetGroupArn"],
			"GREEN_TARGET_GROUP": s.Outputs["GreenTargetGroupArn"],
		},
		env: s.env(),
	})
	if res.err == nil {
		t.Fatalf("the run with a renamed input passed; want it to fail\n%s", tailLines(res.log, 40))
	}
	want := "redirect-traffic.yml job switch step #1: ferry-ci/ferry/actions/redirect-traffic@v1: unexpected input(s) preset"
	if !strings.Contains(res.err.Error(), want) {
		t.Errorf("error: want it to contain %q, have:\n%v", want, res.err)
	}
}

// TestReleasePinned: the checkout the suite runs as ferry-ci/ferry@v1 is
// the release script's work: every action.yml runs the pushed action image
// and every GitLab component defaults to the pushed GitLab image, both by
// digest.
func TestReleasePinned(t *testing.T) {
	r := need(t)
	for pattern, want := range map[string]string{
		"action.yml":           "docker://" + r.image,
		"actions/*/action.yml": "docker://" + r.image,
		"templates/*.yml":      r.gitlab,
	} {
		files, err := filepath.Glob(filepath.Join(r.pinned, pattern))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", pattern, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), want) {
				t.Errorf("%s does not name %s", f, want)
			}
		}
	}
	if !strings.Contains(r.image, "@sha256:") || !strings.Contains(r.gitlab, "@sha256:") {
		t.Errorf("images not by digest: %s, %s", r.image, r.gitlab)
	}
}
