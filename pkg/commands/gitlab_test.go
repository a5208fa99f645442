package commands_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/ferryimage/ferryimagetest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// gitlabCILocal returns the pinned gitlab-ci-local that `make tools`
// installs. Under CI its absence fails the test; elsewhere it skips.
func gitlabCILocal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(actiontest.Root(t), "tools", "node_modules", ".bin", "gitlab-ci-local")
	_, err := os.Stat(bin)
	_, rsyncErr := exec.LookPath("rsync")
	if err == nil && rsyncErr == nil {
		return bin
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("gitlab-ci-local (%v) or rsync (%v) missing: run make tools", err, rsyncErr)
	}
	t.Skip("gitlab-ci-local or rsync not installed; run make tools")
	return ""
}

// gitlabProject makes a git repository holding the components and a
// .gitlab-ci.yml, as gitlab-ci-local needs.
func gitlabProject(t *testing.T, pipeline string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "templates"), os.DirFS(filepath.Join(actiontest.Root(t), "templates"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=ferry", "-c", "user.email=ferry@example.com", "commit", "-qm", "pipeline"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// runGitLab runs the pipeline (see runGitLabArgs), each of variables
// (NAME=value) given with --variable.
func runGitLab(t *testing.T, dir string, variables ...string) (string, int) {
	t.Helper()
	var args []string
	for _, v := range variables {
		args = append(args, "--variable", v)
	}
	return runGitLabArgs(t, dir, args...)
}

// runGitLabArgs runs gitlab-ci-local in dir with more arguments (--manual,
// --unset-variable, a job name…) as a GitLab runner with the docker
// executor would: every job with an image (the components' jobs: ferry's
// GitLab job image, ferryimagetest.GitLab) runs in a container of it, on
// the host's network so that it reaches moto, the registry and the sinks
// on loopback; ferry is not on the host's PATH. Jobs without an image (the
// tests' own check jobs) run in the shell. gitlab-ci-local copies files
// with a helper image (bash and rsync; its default lives on Docker Hub):
// the job image plus the host's bash and rsync (ferryimagetest.Refs). gitlab-ci-local does not set GITLAB_CI,
// which GitLab always sets, so the test does; the predefined variables
// tests override (a merge request pipeline, the real commit title) are
// named so that it does not warn.
func runGitLabArgs(t *testing.T, dir string, more ...string) (string, int) {
	t.Helper()
	helper := ferryimagetest.GitLab(t).Helper
	return gitlabCILocalRun(t, dir, append([]string{"--helper-image", helper, "--pull-policy", "if-not-present", "--network", "host"}, more...)...)
}

// runGitLabRejected runs a pipeline that GitLab refuses before any job
// starts (bad component inputs): no engine needed, and ferry is nowhere.
func runGitLabRejected(t *testing.T, dir string) (string, int) {
	t.Helper()
	return gitlabCILocalRun(t, dir, "--force-shell-executor")
}

func gitlabCILocalRun(t *testing.T, dir string, more ...string) (string, int) {
	t.Helper()
	bin := gitlabCILocal(t)
	args := append([]string{"--variable", "GITLAB_CI=true", "--variable", "AWS_EC2_METADATA_DISABLED=true"}, more...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	env := actiontest.BaseEnv(t)
	env["GCL_IGNORE_PREDEFINED_VARS"] = "GITLAB_CI,CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_COMMIT_TITLE,CI_MERGE_REQUEST_IID"
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("gitlab-ci-local: %v\n%s", err, out)
	}
	return string(out), code
}

// addToProject copies src (a file or a directory) to dst in the project
// and commits it: a job in a container sees only the project.
func addToProject(t *testing.T, dir, src, dst string) {
	t.Helper()
	target := filepath.Join(dir, dst)
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if st.IsDir() {
		err = os.CopyFS(target, os.DirFS(src))
	} else {
		var b []byte
		if b, err = os.ReadFile(src); err == nil {
			err = os.WriteFile(target, b, 0o644)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-qm", "add "+dst)
}

// jobsRun lists the jobs gitlab-ci-local reports as passed or failed.
func jobsRun(out string) map[string]string {
	jobs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(PASS|FAIL|WARN)\s+(\S+)`).FindAllStringSubmatch(out, -1) {
		jobs[m[2]] = m[1]
	}
	return jobs
}

// wantInImage fails t unless each job started in a container of image
// (gitlab-ci-local's "<job> starting <image> (<stage>)").
func wantInImage(t *testing.T, out, image string, jobs ...string) {
	t.Helper()
	started := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+)\s+starting (\S+) \(`).FindAllStringSubmatch(out, -1) {
		started[m[1]] = m[2]
	}
	for _, j := range jobs {
		if started[j] != image {
			t.Errorf("job %s: want it started in %s, have %q", j, image, started[j])
		}
	}
}

// wantJobs fails t unless exactly these jobs passed.
func wantJobs(t *testing.T, out string, want ...string) {
	t.Helper()
	have := jobsRun(out)
	ok := len(have) == len(want)
	for _, j := range want {
		ok = ok && have[j] == "PASS"
	}
	if !ok {
		t.Fatalf("jobs: want %v to pass and no other, have %v:\n%s", want, have, out)
	}
}

// TestGitLabComponentWhoami includes templates/whoami.yml with inputs, runs
// it, and checks in a later job that the outputs arrived as variables
// through the dotenv report.
func TestGitLabComponentWhoami(t *testing.T) {
	t.Parallel()
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.ForTest(t)
	tests := []struct {
		name      string
		inputs    string
		variables []string
		wantARN   string // shell pattern
	}{
		{
			name:      "static keys",
			inputs:    "",
			variables: []string{"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"},
			wantARN:   "arn:aws:sts::123456789012:user/moto",
		},
		{
			name:      "id_tokens web identity",
			inputs:    "      role-to-assume: " + deployRole + "\n",
			variables: []string{"AWS_ID_TOKEN=" + oidcToken},
			wantARN:   "arn:aws:sts::111111111111:assumed-role/deploy/ferry-fallback.group-fallback.project-*",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := gitlabProject(t, `stages: [deploy, verify]
include:
  - local: templates/whoami.yml
    inputs:
      image: `+image+`
      aws-region: us-east-1
      aws-endpoint-url: `+endpoint+`
`+tt.inputs+`
check:
  stage: verify
  needs: [ferry-whoami]
  script:
    - 'echo "got ARN=$ARN ACCOUNT=$ACCOUNT USER_ID=$USER_ID"'
    - 'case "$ARN" in `+tt.wantARN+`) ;; *) exit 1 ;; esac'
    - 'test -n "$USER_ID"'
`)
			out, code := runGitLab(t, dir, tt.variables...)
			if code != 0 || !strings.Contains(out, "PASS  ferry-whoami") || !strings.Contains(out, "PASS  check") {
				t.Fatalf("pipeline: want both jobs to pass, have exit %d:\n%s", code, out)
			}
			wantInImage(t, out, image, "ferry-whoami")
			wantInImage(t, out, "shell", "check")
			if strings.Contains(out, oidcToken) {
				t.Errorf("the ID token reached the job log:\n%s", out)
			}
		})
	}
}

func TestGitLabComponentRejectsBadInputs(t *testing.T) {
	t.Parallel()
	dir := gitlabProject(t, `include:
  - local: templates/whoami.yml
    inputs:
      max-attempts: many
`)
	out, code := runGitLabRejected(t, dir)
	if code == 0 || !strings.Contains(out, "`max-attempts` input: provided value is not a number") {
		t.Errorf("want the pipeline rejected for max-attempts, have exit %d:\n%s", code, out)
	}
}

// TestGitLabComponentRedirectTraffic runs templates/redirect-traffic.yml with
// a preset from its options list, reads the weights in a later job, and
// checks that a preset outside the list is refused by GitLab itself.
func TestGitLabComponentRedirectTraffic(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	include := func(preset string) string {
		return `stages: [deploy, verify]
include:
  - local: templates/redirect-traffic.yml
    inputs:
      image: ` + image + `
      aws-region: us-east-1
      aws-endpoint-url: ` + endpoint + `
      listener-arn: ` + f.Listeners[0] + `
      blue-target-group: ` + f.BlueName + `
      green-target-group: ` + f.GreenName + `
      preset: ` + preset + `
`
	}
	dir := gitlabProject(t, include("green")+`
check:
  stage: verify
  needs: [ferry-redirect-traffic]
  script:
    - 'echo "blue=$BLUE_WEIGHT green=$GREEN_WEIGHT changed=$CHANGED"'
    - 'test "$GREEN_WEIGHT" = 100 && test "$BLUE_WEIGHT" = 0 && test "$CHANGED" = true && test "$PREVIOUS_BLUE_WEIGHT" = 100'
`)
	out, code := runGitLab(t, dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	if code != 0 || !strings.Contains(out, "PASS  check") {
		t.Fatalf("pipeline: want both jobs to pass, have exit %d:\n%s", code, out)
	}
	if have := f.Weights(t, f.Listeners[0]); have != (traffic.Weights{Blue: 0, Green: 100}) {
		t.Errorf("listener weights: want blue=0 green=100, have %s", have)
	}

	out, code = runGitLabRejected(t, gitlabProject(t, include("purple")))
	if code == 0 || !strings.Contains(out, "`preset` input: `purple` cannot be used because it is not in the list of allowed options") {
		t.Errorf("preset purple: want the pipeline refused by the options list, have exit %d:\n%s", code, out)
	}
}

// TestGitLabComponentNotify includes templates/notify.yml with inputs and
// the webhook URL as a CI/CD variable (secrets are not component inputs),
// checks what the stand-in endpoint received and, in a later job, the
// counts from the dotenv report; a status outside the options is refused
// by GitLab itself.
func TestGitLabComponentNotify(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	s := newSink(t)
	include := func(status string) string {
		return `stages: [deploy, verify]
include:
  - local: templates/notify.yml
    inputs:
      image: ` + image + `
      status: ` + status + `
      environment: staging
      fields: "digest=sha256:4f53cda1"
      message-template: "{{ .CommitTitle }} by {{ .Actor }}"
`
	}
	dir := gitlabProject(t, include("success")+`
check:
  stage: verify
  needs: [ferry-notify]
  script:
    - 'echo "sent=$SENT failed=$FAILED"'
    - 'test "$SENT" = 1 && test "$FAILED" = 0'
`)
	out, code := runGitLab(t, dir, "FERRY_WEBHOOK_URL="+s.URL+"/hook/"+webhookSecret)
	if code != 0 || !strings.Contains(out, "PASS  check") {
		t.Fatalf("pipeline: want both jobs to pass, have exit %d:\n%s", code, out)
	}
	if strings.Contains(out, webhookSecret) {
		t.Errorf("the webhook URL reached the job log:\n%s", out)
	}
	reqs := s.Requests("/hook/")
	if len(reqs) != 1 {
		t.Fatalf("webhook: want 1 request, have %d", len(reqs))
	}
	var p struct {
		Status, Repository, SHA, Environment, Message string
		Fields                                        map[string]string
	}
	if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != "success" || p.Repository == "" || len(p.SHA) != 40 || p.Environment != "staging" || p.Fields["digest"] != "sha256:4f53cda1" || !strings.Contains(p.Message, " by ") || strings.Contains(p.Message, "{{") {
		t.Errorf("payload from the component: %s", reqs[0].Body)
	}

	out, code = runGitLabRejected(t, gitlabProject(t, include("succeeded")))
	if code == 0 || !strings.Contains(out, "`status` input: `succeeded` cannot be used because it is not in the list of allowed options") {
		t.Errorf("status succeeded: want the pipeline refused by the options list, have exit %d:\n%s", code, out)
	}
}

// TestGitLabComponentsBuildPushAndDeploy runs the generated build-push-ecr
// and deploy-ecs components in one pipeline: the push's IMAGE_URI reaches
// the deploy's images input through the dotenv report.
func TestGitLabComponentsBuildPushAndDeploy(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.ForTest(t)
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	f := newECSFixture(t, endpoint)
	img := randomImage(t, 2)
	repo := uniqueRepo("component")
	dir := gitlabProject(t, `stages: [build, deploy, verify]
include:
  - local: templates/build-push-ecr.yml
    inputs:
      image: `+image+`
      stage: build
      repository: `+repo+`
      image-tar: image.tar
      registry-endpoint: `+reg.Host+`
      aws-region: us-east-1
      aws-endpoint-url: `+endpoint+`
  - local: templates/deploy-ecs.yml
    inputs:
      image: `+image+`
      cluster: `+f.cluster+`
      service: `+f.service+`
      images: web=$IMAGE_URI
      desired-count: "1"
      timeout: 90s
      aws-region: us-east-1
      aws-endpoint-url: `+endpoint+`

check:
  stage: verify
  needs: [ferry-build-push-ecr, ferry-deploy-ecs]
  script:
    - 'echo "digest=$DIGEST tags=$TAGS status=$STATUS task-definition=$TASK_DEFINITION_ARN"'
    - 'test "$STATUS" = deployed && test "$TAGS" = "sha-$(echo $CI_COMMIT_SHA | cut -c1-7),main"'
`)
	addToProject(t, dir, dockerSave(t, img), "image.tar")
	out, code := runGitLab(t, dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	if code != 0 {
		t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
	}
	wantJobs(t, out, "ferry-build-push-ecr", "ferry-deploy-ecs", "check")
	wantInImage(t, out, image, "ferry-build-push-ecr", "ferry-deploy-ecs")
	if want, have := motoRegistry+"/"+repo+"@"+digestOf(t, img), f.webImage(t, f.service); have != want {
		t.Errorf("service runs %s, want %s", have, want)
	}
}

// TestGitLabComponentSync runs the sync-s3-cloudfront component: a site to
// a bucket prefix behind a distribution; a later job reads the counts from
// the dotenv report.
func TestGitLabComponentSync(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	f := newSiteFixture(t)
	dir := gitlabProject(t, `stages: [deploy, verify]
include:
  - local: templates/sync-s3-cloudfront.yml
    inputs:
      image: `+image+`
      source: site
      bucket: `+f.bucket+`
      prefix: site
      delete: true
      distribution-id: `+f.distribution+`
      aws-region: us-east-1
      aws-endpoint-url: `+f.endpoint+`

check:
  stage: verify
  needs: [ferry-sync-s3-cloudfront]
  script:
    - 'echo "uploaded=$UPLOADED deleted=$DELETED invalidation=$INVALIDATION_ID"'
    - 'test "$UPLOADED" = 5 && test -n "$INVALIDATION_ID"'
`)
	addToProject(t, dir, f.dir, "site")
	out, code := runGitLab(t, dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	if code != 0 {
		t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
	}
	wantJobs(t, out, "ferry-sync-s3-cloudfront", "check")
	wantInImage(t, out, image, "ferry-sync-s3-cloudfront")
	have := f.contents(t)
	for _, k := range []string{"site/index.html", "site/about/index.html", "site/assets/app.js", "site/assets/app.css", "site/robots.txt"} {
		if _, ok := have[k]; !ok {
			t.Errorf("%s: not in the bucket after the pipeline (have %d objects)", k, len(have))
		}
	}
}

// TestGitLabComponentDeployCloudFormation runs the deploy-cloudformation
// component: a stack created from a template in the project; a later job
// reads the status and a stack output, under its own name, from the
// dotenv report. The same pipeline again finds the stack unchanged.
func TestGitLabComponentDeployCloudFormation(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.StartForTest(t, moto.Options{Prelude: moto.PreludeChangeSets}).Endpoint
	dir := gitlabProject(t, `stages: [deploy, verify]
include:
  - local: templates/deploy-cloudformation.yml
    inputs:
      image: `+image+`
      stack-name: gl-component
      template: stack.yml
      parameters: Count=5
      tags: team=web
      aws-region: us-east-1
      aws-endpoint-url: `+endpoint+`
      timeout: 2m

check:
  stage: verify
  needs: [ferry-deploy-cloudformation]
  script:
    - 'echo "status=$STATUS stack-status=$STACK_STATUS topic=$TopicName"'
    - 'test "$STATUS" = "$WANT_STATUS" && test "$STACK_STATUS" = CREATE_COMPLETE && test "$TopicName" = app-dev-5'
    - 'case "$STACK_ID" in arn:aws:cloudformation:us-east-1:*:stack/gl-component/*) ;; *) exit 1 ;; esac'
`)
	addToProject(t, dir, writeTemp(t, "stack.yml", cfnTemplate), "stack.yml")
	for _, want := range []string{"created", "unchanged"} {
		out, code := runGitLab(t, dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "WANT_STATUS="+want)
		if code != 0 || !strings.Contains(out, "PASS  check") {
			t.Fatalf("pipeline (%s): want both jobs to pass, have exit %d:\n%s", want, code, out)
		}
		wantJobs(t, out, "ferry-deploy-cloudformation", "check")
		wantInImage(t, out, image, "ferry-deploy-cloudformation")
	}
}
