package commands_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.yaml.in/yaml/v3"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/ferryimage/ferryimagetest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/commands"
)

// The hand-written GitLab components: the flows. Every other file in
// templates/ is generated from a command's declaration.
var gitlabFlows = []string{"github-flow.yml", "gitflow.yml"}

// TestGitLabTemplatesAreGeneratedOrFlows: templates/ holds the generated
// per-action components and the hand-written flows, nothing else; go
// generate renders no flow (it would overwrite it); and both flows deploy
// with the same job template, and gate with the same gate and decide ones.
func TestGitLabTemplatesAreGeneratedOrFlows(t *testing.T) {
	t.Parallel()
	root := actiontest.Root(t)
	generated, err := commands.Generated(root)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "templates"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		path := filepath.Join("templates", e.Name())
		_, isGenerated := generated[path]
		isFlow := slices.Contains(gitlabFlows, e.Name())
		switch {
		case isGenerated && isFlow:
			t.Errorf("%s is hand-written, but go generate renders it too", path)
		case !isGenerated && !isFlow:
			t.Errorf("%s is neither generated from a command nor a flow (a command removed?)", path)
		}
	}
	deploy := map[string]any{}
	for _, name := range gitlabFlows {
		data, err := os.ReadFile(filepath.Join(root, "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "DO NOT EDIT") {
			t.Errorf("templates/%s: a hand-written flow carries the generated-file header", name)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		var header, jobs map[string]any
		if err := dec.Decode(&header); err != nil {
			t.Fatalf("templates/%s: spec: %v", name, err)
		}
		if err := dec.Decode(&jobs); err != nil {
			t.Fatalf("templates/%s: jobs: %v", name, err)
		}
		for _, part := range []string{"deploy", "gate", "decide"} {
			key := ".ferry-" + strings.TrimSuffix(name, ".yml") + "-" + part
			if jobs[key] == nil {
				t.Fatalf("templates/%s: no %s job template", name, key)
			}
			deploy[name+" "+part] = jobs[key]
		}
	}
	for _, part := range []string{"deploy", "gate", "decide"} {
		if a, b := deploy[gitlabFlows[0]+" "+part], deploy[gitlabFlows[1]+" "+part]; !jsonEqual(t, a, b) {
			t.Errorf("the %s job templates of %s and %s differ: keep them in step", part, gitlabFlows[0], gitlabFlows[1])
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

// gitIn runs git in dir as the test's committer.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=ferry", "-c", "user.email=ferry@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// writeFile writes a file of the project, creating its directory.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// notification is what the generic webhook receives.
type notification struct {
	Status, Environment, EnvironmentURL string
	Fields                              map[string]string
}

func notifications(t *testing.T, s *sink) []notification {
	t.Helper()
	var out []notification
	for _, r := range s.Requests("/hook/") {
		var p struct {
			Status         string            `json:"status"`
			Environment    string            `json:"environment"`
			EnvironmentURL string            `json:"environment_url"`
			Fields         map[string]string `json:"fields"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, notification{p.Status, p.Environment, p.EnvironmentURL, p.Fields})
	}
	return out
}

// infraTemplate is the infrastructure the GitHub flow's pipeline deploys
// before the app: one SSM parameter carrying the Tier parameter.
const infraTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Tier:
    Type: String
Resources:
  Tier:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Ref Tier
Outputs:
  Tier:
    Value: !Ref Tier
`

// infraStacks maps each live stack in moto to its Tier parameter.
func infraStacks(t *testing.T, endpoint string) map[string]string {
	t.Helper()
	c := cloudformation.New(cloudformation.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	out := map[string]string{}
	p := cloudformation.NewDescribeStacksPaginator(c, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("describing the stacks: %v", err)
		}
		for _, st := range page.Stacks {
			if st.StackStatus == cfntypes.StackStatusDeleteComplete {
				continue
			}
			if st.StackStatus != cfntypes.StackStatusCreateComplete {
				t.Errorf("stack %s: want CREATE_COMPLETE, have %s", aws.ToString(st.StackName), st.StackStatus)
			}
			for _, param := range st.Parameters {
				if aws.ToString(param.ParameterKey) == "Tier" {
					out[aws.ToString(st.StackName)] = aws.ToString(param.ParameterValue)
				}
			}
		}
	}
	return out
}

// TestGitLabFlowGitHubFlow runs templates/github-flow.yml against moto and a
// registry: a merge request pipeline tests and builds (the user's job that
// writes image-tar) and pushes or deploys nothing; the default branch tests,
// pushes once, deploys the digest to staging and, as the manual job, the
// same digest to production, each environment with its scoped variables,
// notifying a webhook at the start and the end of each deploy.
func TestGitLabFlowGitHubFlow(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	// A private moto whose services run their desired count, so that each
	// rollout completes.
	endpoint := moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=1"}}).Endpoint
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	f := newECSFixture(t, endpoint, "staging-web", "production-web")
	s := newSink(t)
	img := randomImage(t, 2)
	want := digestOf(t, img)
	repo := uniqueRepo("github-flow")

	dir := gitlabProject(t, `stages: [build, test, push, deploy, production]
include:
  - local: templates/github-flow.yml
    inputs:
      image: `+image+`
      repository: `+repo+`
      container: web
      image-tar: image.tar
      test-command: test -s image.tar && echo "tests passed on $CI_COMMIT_REF_NAME"
      registry-endpoint: `+reg.Host+`
      timeout: 90s
      infra-template: infra/stack.yml
      infra-stack-name: not-used-where-INFRA_STACK_NAME-is-set
      infra-parameters: Tier=default

image-build:
  stage: build
  script:
    - cp "$TEST_IMAGE_TAR" image.tar
  artifacts:
    paths: [image.tar]
`)
	// CI/CD variables, the environment-scoped ones as GitLab scopes them.
	writeFile(t, dir, ".gitlab-ci-local-variables.yml", `AWS_ENDPOINT_URL: `+endpoint+`
ECS_CLUSTER: `+f.cluster+`
ECS_SERVICES:
  values:
    staging: staging-web
    production: production-web
APP_URL:
  values:
    staging: https://staging.example.com
    production: https://www.example.com
INFRA_STACK_NAME:
  values:
    staging: web-staging
    production: web-production
INFRA_PARAMETERS:
  values:
    production: Tier=production
FERRY_WEBHOOK_URL: `+s.URL+"/hook/"+webhookSecret+`
TEST_IMAGE_TAR: `+dockerSave(t, img)+`
`)
	// The infrastructure step's template: one SSM parameter holding the
	// Tier parameter, so that each environment's stack shows which
	// parameters it got.
	infra := filepath.Join(t.TempDir(), "stack.yml")
	if err := os.WriteFile(infra, []byte(infraTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	addToProject(t, dir, infra, "infra/stack.yml")
	// --shell-isolation gives each job its own copy of the project, so that
	// image.tar reaches ferry-test only as image-build's artifact; but
	// gitlab-ci-local 4.73.0 copies the project afresh before after_script
	// too, losing the files the script wrote (ferry.env, the dotenv report),
	// which GitLab keeps. The deploy jobs' after_script reads them, so the
	// pipelines that deploy run in the project directory itself (every job
	// starts by removing the files it reads).
	creds := []string{
		"--variable", "AWS_ACCESS_KEY_ID=testing", "--variable", "AWS_SECRET_ACCESS_KEY=testing", "--variable", "AWS_REGION=us-east-1"}

	t.Run("merge request", func(t *testing.T) {
		out, code := runGitLabArgs(t, dir, append(creds, "--shell-isolation", "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
			"--unset-variable", "CI_COMMIT_BRANCH", "--variable", "CI_MERGE_REQUEST_IID=7")...)
		if code != 0 {
			t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
		}
		wantJobs(t, out, "image-build", "ferry-test")
		if !strings.Contains(out, "tests passed on main") {
			t.Errorf("the test command did not run as written:\n%s", out)
		}
		if st := reg.Stats(); st.ManifestPuts != 0 || st.BlobUploadsStarted != 0 {
			t.Errorf("a merge request pipeline pushed: %+v", st)
		}
		if _, ok := describeRepo(t, endpoint, repo); ok {
			t.Errorf("a merge request pipeline created the repository %s", repo)
		}
		for _, svc := range []string{"staging-web", "production-web"} {
			if have := f.serviceTaskDefinition(t, svc); !strings.HasSuffix(have, ":1") {
				t.Errorf("a merge request pipeline deployed %s: %s", svc, have)
			}
		}
		if n := len(s.Requests("/hook/")); n != 0 {
			t.Errorf("a merge request pipeline notified %d times", n)
		}
		if stacks := infraStacks(t, endpoint); len(stacks) != 0 {
			t.Errorf("a merge request pipeline deployed infrastructure: %v", stacks)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("default branch", func(t *testing.T) {
		// Without --manual, production waits for someone.
		out, code := runGitLabArgs(t, dir, "--list")
		if code != 0 || !regexp.MustCompile(`(?m)^ferry-production\s.*\bmanual\b`).MatchString(out) {
			t.Errorf("want ferry-production listed as manual, have exit %d:\n%s", code, out)
		}

		out, code = runGitLabArgs(t, dir, append(creds, "--manual", "ferry-production")...)
		if code != 0 {
			t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
		}
		wantJobs(t, out, "image-build", "ferry-test", "ferry-build", "ferry-staging", "ferry-production")
		wantInImage(t, out, image, "ferry-build", "ferry-staging", "ferry-production")
		wantImage := motoRegistry + "/" + repo + "@" + want
		for _, svc := range []string{"staging-web", "production-web"} {
			if have := f.webImage(t, svc); have != wantImage {
				t.Errorf("%s runs %s, want %s", svc, have, wantImage)
			}
		}
		short := "sha-" + gitIn(t, dir, "rev-parse", "--short=7", "HEAD")
		if have, err := remoteDigest(t, reg, repo+":"+short); err != nil || have != want {
			t.Errorf("tag %s: want %s, have %s (%v)", short, want, have, err)
		}
		if _, err := remoteDigest(t, reg, repo+":main"); err == nil {
			t.Errorf("tag main pushed: a branch tag moves, which IMMUTABLE repositories refuse")
		}
		if strings.Contains(out, webhookSecret) {
			t.Errorf("the webhook URL reached the job log:\n%s", out)
		}
		// The infrastructure step ran in each deploy job: each
		// environment's stack (INFRA_STACK_NAME), with infra-parameters
		// and the environment's INFRA_PARAMETERS winning.
		wantStacks := map[string]string{"web-staging": "default", "web-production": "production"}
		if have := infraStacks(t, endpoint); !maps.Equal(have, wantStacks) {
			t.Errorf("infrastructure stacks (name → Tier): want %v, have %v", wantStacks, have)
		}

		got := notifications(t, s)
		wantSeq := []notification{
			{Status: "started", Environment: "staging", EnvironmentURL: "https://staging.example.com"},
			{Status: "success", Environment: "staging", EnvironmentURL: "https://staging.example.com"},
			{Status: "started", Environment: "production", EnvironmentURL: "https://www.example.com"},
			{Status: "success", Environment: "production", EnvironmentURL: "https://www.example.com"},
		}
		if len(got) != len(wantSeq) {
			t.Fatalf("notifications: want %d, have %d: %+v", len(wantSeq), len(got), got)
		}
		for i, w := range wantSeq {
			g := got[i]
			if g.Status != w.Status || g.Environment != w.Environment || g.EnvironmentURL != w.EnvironmentURL || g.Fields["image"] != wantImage {
				t.Errorf("notification %d: want %s %s %s image=%s, have %+v", i, w.Status, w.Environment, w.EnvironmentURL, wantImage, g)
			}
			if w.Status == "success" && (g.Fields["status"] != "deployed" || !strings.Contains(g.Fields["task-definition"], f.family+":")) {
				t.Errorf("notification %d: want the deploy's status and task definition in the fields, have %v", i, g.Fields)
			}
		}
	})
}

// TestGitLabFlowGitflow runs templates/gitflow.yml through git flow's
// branches with ferry's daemonless build: develop deploys to dev;
// release/1.2.0 to staging; main, after merging the release with a merge
// commit, builds nothing and promotes the release's digest to production,
// then the release job runs for v1.2.0.
func TestGitLabFlowGitflow(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	images := ferryimagetest.GitLab(t)
	image := images.Job
	endpoint := moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=1"}}).Endpoint
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	source := registrytest.New(t, registrytest.Options{}) // the base image's registry
	if err := remote.WriteIndex(mustRef(t, source.Host+"/base/runtime:1"), multiPlatformIndex(t)); err != nil {
		t.Fatal(err)
	}
	f := newECSFixture(t, endpoint, "dev-web", "staging-web", "production-web")
	repo := uniqueRepo("gitflow")

	dir := gitlabProject(t, `stages: [build, test, push, deploy, production]
include:
  - local: templates/gitflow.yml
    inputs:
      image: `+image+`
      release-image: `+image+`
      git-image: `+images.Helper+`
      repository: `+repo+`
      container: web
      base-image: `+source.Host+`/base/runtime:1
      files: app/hello.txt:/srv/hello.txt
      platforms: linux/amd64
      registry-endpoint: `+reg.Host+`
      timeout: 90s
`)
	writeFile(t, dir, ".gitlab-ci-local-variables.yml", `AWS_ENDPOINT_URL: `+endpoint+`
ECS_CLUSTER: `+f.cluster+`
ECS_SERVICES:
  values:
    dev: dev-web
    staging: staging-web
    production: production-web
`)
	commit := func(content, message string) {
		writeFile(t, dir, "app/hello.txt", content)
		gitIn(t, dir, "add", "app/hello.txt")
		gitIn(t, dir, "commit", "-qm", message)
	}
	run := func(t *testing.T, more ...string) string {
		t.Helper()
		// In the project directory: see TestGitLabFlowGitHubFlow.
		out, code := runGitLabArgs(t, dir, append([]string{
			"--variable", "AWS_ACCESS_KEY_ID=testing", "--variable", "AWS_SECRET_ACCESS_KEY=testing", "--variable", "AWS_REGION=us-east-1"}, more...)...)
		if code != 0 {
			t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
		}
		return out
	}
	imageOf := func(digest string) string { return motoRegistry + "/" + repo + "@" + digest }
	digestIn := func(t *testing.T, svc string) string {
		t.Helper()
		_, d, ok := strings.Cut(f.webImage(t, svc), "@")
		if !ok {
			t.Fatalf("%s does not run an image by digest: %s", svc, f.webImage(t, svc))
		}
		return d
	}

	gitIn(t, dir, "checkout", "-qb", "develop")
	commit("hello from develop\n", "feature: greet")
	var devDigest, releaseDigest string
	t.Run("develop", func(t *testing.T) {
		out := run(t)
		wantJobs(t, out, "ferry-build", "ferry-dev")
		wantInImage(t, out, image, "ferry-build", "ferry-dev")
		devDigest = digestIn(t, "dev-web")
		if have, err := remoteDigest(t, reg, repo+":sha-"+gitIn(t, dir, "rev-parse", "--short=7", "HEAD")); err != nil || have != devDigest {
			t.Errorf("tag sha-<short>: want %s, have %s (%v)", devDigest, have, err)
		}
		for _, svc := range []string{"staging-web", "production-web"} {
			if have := f.serviceTaskDefinition(t, svc); !strings.HasSuffix(have, ":1") {
				t.Errorf("develop deployed %s: %s", svc, have)
			}
		}
	})
	if t.Failed() {
		return
	}

	gitIn(t, dir, "checkout", "-qb", "release/1.2.0")
	commit("hello from 1.2.0\n", "release 1.2.0")
	releaseCommit := gitIn(t, dir, "rev-parse", "HEAD")
	t.Run("release branch", func(t *testing.T) {
		out := run(t)
		wantJobs(t, out, "ferry-build", "ferry-staging")
		releaseDigest = digestIn(t, "staging-web")
		if releaseDigest == devDigest {
			t.Errorf("the release build has the develop build's digest %s: the files did not change the image", devDigest)
		}
		if have := f.webImage(t, "dev-web"); have != imageOf(devDigest) {
			t.Errorf("a release branch deployed dev: %s", have)
		}
	})
	if t.Failed() {
		return
	}

	gitIn(t, dir, "checkout", "-q", "main")
	const title = "Merge branch 'release/1.2.0' into 'main'"
	gitIn(t, dir, "merge", "-q", "--no-ff", "-m", title, "release/1.2.0")
	t.Run("main", func(t *testing.T) {
		// gitlab-ci-local makes up the commit title; GitLab sets the real one.
		out := run(t, "--variable", "CI_COMMIT_TITLE="+title)
		wantJobs(t, out, "ferry-release-commit", "ferry-promote", "ferry-production", "ferry-release")
		wantInImage(t, out, image, "ferry-promote", "ferry-production", "ferry-release")
		wantInImage(t, out, images.Helper, "ferry-release-commit")
		if have := f.webImage(t, "production-web"); have != imageOf(releaseDigest) {
			t.Errorf("production runs %s, want the release's %s", have, imageOf(releaseDigest))
		}
		if have, err := remoteDigest(t, reg, repo+":1.2.0"); err != nil || have != releaseDigest {
			t.Errorf("tag 1.2.0: want %s, have %s (%v)", releaseDigest, have, err)
		}
		if want := "release v1.2.0 of " + releaseCommit + ": " + imageOf(releaseDigest); !strings.Contains(out, want) {
			t.Errorf("the release job: want %q in the log:\n%s", want, out)
		}
	})
}

// TestGitLabFlowsRejectBadInputs: GitLab itself refuses a flow without a
// required input or with one its regex or options rule out, before any job.
func TestGitLabFlowsRejectBadInputs(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	tests := []struct {
		name, flow, inputs, want string
	}{
		{"no repository", "github-flow", "      container: web\n", "`repository` input: required value has not been provided"},
		{"no container", "gitflow", "      repository: app/web\n", "`container` input: required value has not been provided"},
		{"repository outside the regex", "github-flow", "      repository: App/Web\n      container: web\n", "`repository` input: `App/Web` does not match required regex"},
		{"production-when outside the options", "github-flow", "      repository: app/web\n      container: web\n      production-when: always\n", "`production-when` input: `always` cannot be used because it is not in the list of allowed options"},
		{"version outside the regex", "gitflow", "      repository: app/web\n      container: web\n      version: latest\n", "`version` input: `latest` does not match required regex"},
		{"pause-at outside the options", "gitflow", "      repository: app/web\n      container: web\n      gate-command: ./smoke\n      pause-at: bake-time\n", "`pause-at` input: `bake-time` cannot be used because it is not in the list of allowed options"},
		{"pause-timeout outside the regex", "github-flow", "      repository: app/web\n      container: web\n      gate-command: ./smoke\n      pause-timeout: 2 hours\n", "`pause-timeout` input: `2 hours` does not match required regex"},
		{"infra-timeout outside the regex", "github-flow", "      repository: app/web\n      container: web\n      infra-timeout: soon\n", "`infra-timeout` input: `soon` does not match required regex"},
	}
	for _, tt := range tests {
		t.Run(tt.flow+" "+tt.name, func(t *testing.T) {
			t.Parallel()
			dir := gitlabProject(t, "include:\n  - local: templates/"+tt.flow+".yml\n    inputs:\n"+tt.inputs)
			out, code := runGitLabRejected(t, dir)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("want the pipeline refused with %q, have exit %d:\n%s", tt.want, code, out)
			}
			if strings.Contains(out, "starting shell") {
				t.Errorf("a job ran:\n%s", out)
			}
		})
	}
}

// ferryCall is a ferry command at the start of a shell line (after
// VAR=value assignments) in a job's script.
var ferryCall = regexp.MustCompile(`(?m)^\s*(?:[A-Z_][A-Z0-9_]*=\S*\s+)*ferry ([a-z][a-z0-9-]*)`)

var (
	ferryFlag      = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	componentInput = regexp.MustCompile(`\$\[\[\s*inputs\.([A-Za-z0-9_-]+)`)
)

// checkGitLabFlow returns what is wrong with one hand-written flow (its
// text): a $[[ inputs.X ]] the spec does not declare; a ferry command that
// does not exist or a flag that is not one of its inputs; and, in its
// deploy job template, an infrastructure step (deploy-cloudformation) that
// is missing, not optional (guarded by infra-template), not mode apply,
// without protect, or after the app's deploy-ecs.
func checkGitLabFlow(name, text string, specs map[string]map[string]bool) []string {
	var out []string
	dec := yaml.NewDecoder(strings.NewReader(text))
	var header struct {
		Spec struct {
			Inputs map[string]any `yaml:"inputs"`
		} `yaml:"spec"`
	}
	var jobs map[string]map[string]any
	if err := dec.Decode(&header); err != nil {
		return []string{name + ": spec: " + err.Error()}
	}
	if err := dec.Decode(&jobs); err != nil {
		return []string{name + ": jobs: " + err.Error()}
	}
	_, body, _ := strings.Cut(text, "\n---\n")
	for _, m := range componentInput.FindAllStringSubmatch(body, -1) {
		if _, ok := header.Spec.Inputs[m[1]]; !ok {
			out = append(out, fmt.Sprintf("%s: $[[ inputs.%s ]] is not declared in spec:inputs", name, m[1]))
		}
	}
	deployKey := ".ferry-" + strings.TrimSuffix(name, ".yml") + "-deploy"
	for _, job := range slices.Sorted(maps.Keys(jobs)) {
		infraAt, ecsAt := -1, -1
		for _, key := range []string{"before_script", "script", "after_script"} {
			items, _ := jobs[job][key].([]any)
			for i, item := range items {
				text, _ := item.(string)
				calls := ferryCall.FindAllStringSubmatchIndex(text, -1)
				for c, loc := range calls {
					command := text[loc[2]:loc[3]]
					end := len(text)
					if c+1 < len(calls) {
						end = calls[c+1][0]
					}
					args := text[loc[1]:end]
					where := fmt.Sprintf("%s: job %s %s[%d]: ferry %s", name, job, key, i, command)
					inputs, ok := specs[command]
					if !ok {
						out = append(out, where+": no such command")
						continue
					}
					for _, f := range ferryFlag.FindAllStringSubmatch(args, -1) {
						if !inputs[f[1]] && f[1] != "output" {
							out = append(out, fmt.Sprintf("%s: --%s is not an input of %s", where, f[1], command))
						}
					}
					if key != "script" {
						continue
					}
					switch command {
					case "deploy-ecs":
						ecsAt = i
					case "deploy-cloudformation":
						infraAt = i
						if !strings.Contains(text, `[ -n "$FERRY_FLOW_INFRA_TEMPLATE" ]`) {
							out = append(out, where+": the infrastructure step is not guarded by infra-template")
						}
						if !strings.Contains(args, "--mode apply") {
							out = append(out, where+": the infrastructure step is not --mode apply")
						}
						if !strings.Contains(args, "--protect ") {
							out = append(out, where+": the infrastructure step passes no --protect")
						}
					}
				}
			}
		}
		if job != deployKey {
			continue
		}
		switch {
		case infraAt < 0:
			out = append(out, fmt.Sprintf("%s: job %s has no infrastructure step (ferry deploy-cloudformation)", name, job))
		case ecsAt >= 0 && infraAt > ecsAt:
			out = append(out, fmt.Sprintf("%s: job %s: the infrastructure step comes after deploy-ecs", name, job))
		}
	}
	return out
}

// TestGitLabFlowsCallWhatExists: the hand-written flows use only the
// inputs they declare and the commands and flags ferry has, and deploy
// the optional infrastructure before the app (checkGitLabFlow); a flow
// with each mistake is caught.
func TestGitLabFlowsCallWhatExists(t *testing.T) {
	t.Parallel()
	specs := map[string]map[string]bool{}
	for _, s := range commands.Specs() {
		specs[s.Name] = map[string]bool{}
		for _, in := range s.Inputs {
			specs[s.Name][in.Name] = true
		}
	}
	root := actiontest.Root(t)
	for _, name := range gitlabFlows {
		data, err := os.ReadFile(filepath.Join(root, "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkGitLabFlow(name, string(data), specs) {
			t.Error(p)
		}
	}

	const bad = `spec:
  inputs:
    infra-template:
---
.ferry-bad-deploy:
  variables:
    FERRY_FLOW_INFRA_TEMPLATE: $[[ inputs.infra-template ]]
    FERRY_FLOW_TIMEOUT: $[[ inputs.timeout ]]
  script:
    - ferry deploy-ecs --cluster c --service s --tiemout 1m
    - |
      FERRY_DOTENV=x.env ferry deploy-cloudformation --stack-name s
        --template t --mode plan
    - ferry deploy-everything
`
	want := []string{
		"bad.yml: $[[ inputs.timeout ]] is not declared in spec:inputs",
		"bad.yml: job .ferry-bad-deploy script[0]: ferry deploy-ecs: --tiemout is not an input of deploy-ecs",
		"bad.yml: job .ferry-bad-deploy script[1]: ferry deploy-cloudformation: the infrastructure step is not guarded by infra-template",
		"bad.yml: job .ferry-bad-deploy script[1]: ferry deploy-cloudformation: the infrastructure step is not --mode apply",
		"bad.yml: job .ferry-bad-deploy script[1]: ferry deploy-cloudformation: the infrastructure step passes no --protect",
		"bad.yml: job .ferry-bad-deploy script[2]: ferry deploy-everything: no such command",
		"bad.yml: job .ferry-bad-deploy: the infrastructure step comes after deploy-ecs",
	}
	if have := checkGitLabFlow("bad.yml", bad, specs); !slices.Equal(have, want) {
		t.Errorf("bad flow: want\n%s\nhave\n%s", strings.Join(want, "\n"), strings.Join(have, "\n"))
	}
}
