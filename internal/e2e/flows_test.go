package e2e

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// exampleApp is the example app's repository as a user has it: the
// example caller workflow verbatim, the hello service with its Dockerfile,
// the static site. Its go.mod is the app's own (no dependencies), so that
// the Dockerfile's `go mod download` and the flow's test command need no
// network.
func exampleApp(t *testing.T, r *release, branch, workflow string) string {
	t.Helper()
	files := map[string]string{
		".github/workflows/flow.yml": readRepoFile(t, r, "examples/workflows/"+workflow),
		"go.mod":                     "module github.com/acme/hello\n\ngo 1.26\n",
		"go.sum":                     "",
		// What the flows' build step leaves in the workspace.
		".gitignore": "image.tar\n",
	}
	for _, dir := range []string{"examples/hello", "examples/site"} {
		err := filepath.WalkDir(filepath.Join(r.root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(r.root, p)
			b, err := os.ReadFile(p)
			files[rel] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return appRepo(t, branch, files)
}

// originInWorkspace makes a bare repository in the workspace (the job
// container sees it at the same path) and returns it with the environment
// that sends the jobs' git traffic for GitHub's remote there. act itself
// still names the repository after the remote (acme/hello): the setting
// reaches only the containers, as git's GIT_CONFIG_* variables.
func originInWorkspace(t *testing.T, dir string) (string, map[string]string) {
	t.Helper()
	origin := filepath.Join(dir, ".git", "e2e-origin.git")
	git(t, "", "init", "-q", "--bare", origin)
	return origin, map[string]string{
		"GIT_CONFIG_COUNT":   "1",
		"GIT_CONFIG_KEY_0":   "url." + origin + ".insteadOf",
		"GIT_CONFIG_VALUE_0": "https://github.com/acme/hello.git",
	}
}

// flowVars are the repository's and its environments' variables. act has
// no environment scope, so every environment gets the same ones: staging
// and production deploy to the same service.
func flowVars(s *stackEnv) map[string]string {
	return map[string]string{
		"AWS_REGION":      "us-east-1",
		"AWS_ACCOUNT_ID":  "123456789012",
		"BUILD_ROLE_ARN":  "arn:aws:iam::123456789012:role/ferry-build",
		"DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/ferry-deploy",
		"ECS_CLUSTER":     s.Outputs["ClusterName"],
		"ECS_SERVICES":    s.Outputs["GreenServiceName"],
		"SITE_BUCKET":     s.Outputs["BucketName"],
		"SITE_PREFIX":     s.Outputs["SitePrefix"],
		"DISTRIBUTION_ID": s.Distribution,
		"APP_URL":         s.Outputs["ServiceUrl"],
	}
}

// flowEnv is stackEnv.env plus the chat destination: the flows pass the
// webhook-url secret through, empty unless the caller maps it, and an
// empty input gives way to FERRY_WEBHOOK_URL.
func flowEnv(s *stackEnv) map[string]string {
	env := s.env()
	env["FERRY_WEBHOOK_URL"] = s.Sink.URL
	return env
}

func pushPayload(branch string) map[string]any {
	return map[string]any{
		"ref":        "refs/heads/" + branch,
		"repository": map[string]any{"full_name": "acme/hello", "name": "hello", "default_branch": "main", "owner": map[string]any{"login": "acme"}},
		"pusher":     map[string]any{"name": "e2e-user"},
	}
}

// running returns the task definition the service runs and its image.
func running(t *testing.T, s *stackEnv) (arn, image string) {
	t.Helper()
	ctx := context.Background()
	c := awsecs.NewFromConfig(s.AWS)
	svc, err := c.DescribeServices(ctx, &awsecs.DescribeServicesInput{
		Cluster: aws.String(s.Outputs["ClusterName"]), Services: []string{s.Outputs["GreenServiceName"]},
	})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describing the service: %v", err)
	}
	arn = aws.ToString(svc.Services[0].TaskDefinition)
	td, err := c.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cd := range td.TaskDefinition.ContainerDefinitions {
		if aws.ToString(cd.Name) == "hello" {
			return arn, aws.ToString(cd.Image)
		}
	}
	t.Fatalf("task definition %s has no container hello", arn)
	return "", ""
}

// inRegistry checks that image (…/repo@sha256:…, named as ECS pulls it)
// is in the registry that stands in for ECR, and returns its digest.
func inRegistry(t *testing.T, s *stackEnv, image string) string {
	t.Helper()
	repoAndDigest, digest, ok := strings.Cut(image, "@")
	if !ok || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("image %q: want a reference by digest", image)
	}
	if !strings.Contains(repoAndDigest, ".dkr.ecr.") {
		t.Errorf("image %q: want the ECR name ECS pulls, not the registry endpoint", image)
	}
	repo := repoAndDigest[strings.Index(repoAndDigest, "/")+1:]
	ref, err := name.NewDigest(s.RegistryHost+"/"+repo+"@"+digest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref, remote.WithAuth(&authn.Basic{Username: s.RegistryUser, Password: s.RegistryPassword})); err != nil {
		t.Errorf("%s is not in the registry: %v", ref, err)
	}
	return digest
}

// siteKeys lists the objects under the site prefix.
func siteKeys(t *testing.T, s *stackEnv) []string {
	t.Helper()
	out, err := s3.NewFromConfig(s.AWS, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: aws.String(s.Outputs["BucketName"]), Prefix: aws.String(s.Outputs["SitePrefix"] + "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// flowRig is one example app on its own stack, and what every run of its
// flow gets: the variables, secrets and environment of flowVars, flowEnv.
type flowRig struct {
	r                  *release
	s                  *stackEnv
	dir                string
	vars, env, secrets map[string]string
}

func newFlowRig(t *testing.T, branch, workflow string) *flowRig {
	t.Helper()
	r := need(t)
	s := newStack(t)
	return &flowRig{r: r, s: s, dir: exampleApp(t, r, branch, workflow),
		vars: flowVars(s), env: flowEnv(s), secrets: map[string]string{"GITHUB_TOKEN": appToken}}
}

// run runs the flow for event and returns the task definition the service
// runs after it and that image's digest, checked to be in the registry.
func (f *flowRig) run(t *testing.T, event string, payload map[string]any) (arn, digest string) {
	t.Helper()
	res := f.r.act(t, actRun{dir: f.dir, event: event, payload: payload, workflow: ".github/workflows/flow.yml",
		vars: f.vars, secrets: f.secrets, env: f.env})
	res.mustSucceed(t)
	res.mustNotLeak(t, appToken, f.s.oidc.Token)
	arn, image := running(t, f.s)
	return arn, inRegistry(t, f.s, image)
}

// TestGitHubFlow runs examples/workflows/github-flow.yml: two pushes to the
// default branch (each built once, deployed to staging, then production
// with the digest staging got; the second a different image to the same
// service), then a run by hand (workflow_dispatch) on the default branch,
// which deploys as a push does.
func TestGitHubFlow(t *testing.T) {
	f := newFlowRig(t, "main", "github-flow.yml")
	s, dir := f.s, f.dir

	var digests []string
	for i, change := range []string{"", "v2", "v3"} {
		if change != "" {
			// A new commit whose image differs.
			commitFiles(t, dir, map[string]string{"examples/hello/VERSION": change + "\n"}, "hello "+change)
		}
		event, payload := "push", pushPayload("main")
		if change == "v3" {
			event, payload = "workflow_dispatch", map[string]any{"ref": "refs/heads/main", "inputs": map[string]any{},
				"repository": payload["repository"]}
		}
		arn, digest := f.run(t, event, payload)
		digests = append(digests, digest)
		deps, _ := s.github.snapshot()
		t.Logf("run %d (%s): service runs %s (%s); %d notifications so far; site objects %d; deployments %v",
			i+1, event, shortARN(arn), digests[i][:19], len(s.Sink.Received()), len(siteKeys(t, s)), deps)
		sha := git(t, dir, "rev-parse", "HEAD")
		for _, envName := range []string{"staging", "production"} {
			if have := strings.Join(deps[envName+"@"+sha[:7]], ","); have != "in_progress,success" {
				t.Errorf("run %d (%s): deployment statuses of %s: have %q, want in_progress,success", i+1, event, envName, have)
			}
		}
	}
	if digests[0] == digests[1] || digests[1] == digests[2] {
		t.Errorf("deployed digests %v; want a new image each run", digests)
	}
	if posts := s.Sink.Received(); len(posts) != 12 {
		t.Errorf("webhook sink: have %d posts, want 12 (started and result, staging and production, three runs)", len(posts))
	}
	if keys := siteKeys(t, s); len(keys) < 5 {
		t.Errorf("site: have %v under %s/, want the example site's 5 files", keys, s.Outputs["SitePrefix"])
	}
}

// TestGitFlow runs examples/workflows/gitflow.yml for develop (build, push,
// deploy to dev), a release branch (build, push, deploy to staging), and
// the merge of that release into main: no build, the release's image
// promoted by digest to production and the release tagged.
func TestGitFlow(t *testing.T) {
	f := newFlowRig(t, "develop", "gitflow.yml")
	s, dir := f.s, f.dir
	origin, gitEnv := originInWorkspace(t, dir)
	for k, v := range gitEnv {
		f.env[k] = v
	}
	flow := func(branch string) (string, string) {
		t.Helper()
		return f.run(t, "push", pushPayload(branch))
	}

	devARN, devDigest := flow("develop")
	t.Logf("develop: service runs %s (%s)", shortARN(devARN), devDigest[:19])

	git(t, dir, "checkout", "-q", "-b", "release/1.4.0")
	commitFiles(t, dir, map[string]string{"examples/hello/CHANGELOG": "1.4.0\n"}, "release 1.4.0")
	releaseSHA := git(t, dir, "rev-parse", "HEAD")
	stagingARN, stagingDigest := flow("release/1.4.0")
	t.Logf("release/1.4.0: service runs %s (%s)", shortARN(stagingARN), stagingDigest[:19])
	if stagingDigest == devDigest {
		t.Errorf("the release branch deployed develop's digest %s; want its own build", devDigest)
	}

	git(t, dir, "checkout", "-q", "-b", "main", "develop")
	git(t, dir, "merge", "-q", "--no-ff", "-m", "Merge branch 'release/1.4.0'", "release/1.4.0")
	prodARN, prodDigest := flow("main")
	t.Logf("main: service runs %s; %d notifications in all", shortARN(prodARN), len(s.Sink.Received()))
	if prodDigest != stagingDigest {
		t.Errorf("production runs %s; want the release's digest %s, promoted, not rebuilt", prodDigest, stagingDigest)
	}
	deps, _ := s.github.snapshot()
	for key, want := range map[string]string{
		"dev@" + git(t, dir, "rev-parse", "develop")[:7]:     "in_progress,success",
		"staging@" + releaseSHA[:7]:                          "in_progress,success",
		"production@" + git(t, dir, "rev-parse", "main")[:7]: "in_progress,success",
	} {
		if have := strings.Join(deps[key], ","); have != want {
			t.Errorf("deployment %s: statuses %q, want %q (all: %v)", key, have, want, deps)
		}
	}
	if tag := git(t, "", "--git-dir", origin, "tag", "--list", "v1.4.0"); tag != "v1.4.0" {
		t.Errorf("the release tag v1.4.0 was not pushed (tags: %q)", git(t, "", "--git-dir", origin, "tag", "--list"))
	}
}

// TestRedirectTrafficDispatch runs examples/workflows/redirect-traffic-dispatch.yml
// as a person does from the Actions tab: workflow_dispatch with an
// environment and a preset chosen.
func TestRedirectTrafficDispatch(t *testing.T) {
	r := need(t)
	s := newStack(t)
	dir := appRepo(t, "main", map[string]string{
		".github/workflows/redirect.yml": readRepoFile(t, r, "examples/workflows/redirect-traffic-dispatch.yml"),
	})
	res := r.act(t, actRun{dir: dir, event: "workflow_dispatch", workflow: ".github/workflows/redirect.yml",
		inputs: map[string]string{"environment": "production", "preset": "blue-80", "dry-run": "false"},
		vars: map[string]string{
			"AWS_REGION":         "us-east-1",
			"DEPLOY_ROLE_ARN":    "arn:aws:iam::123456789012:role/ferry-deploy",
			"LISTENER_ARNS":      s.Outputs["ListenerArn"],
			"BLUE_TARGET_GROUP":  s.Outputs["BlueTargetGroupArn"],
			"GREEN_TARGET_GROUP": s.Outputs["GreenTargetGroupArn"],
			"ALARMS":             s.Alarm,
		},
		env: s.env(),
	})
	res.mustSucceed(t)
	w, err := s.Weights(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w.Blue != 80 || w.Green != 20 {
		t.Errorf("listener weights blue %d green %d; want blue-80: 80/20", w.Blue, w.Green)
	}
	if s.oidc.Calls() != 1 {
		t.Errorf("OIDC token requests: have %d, want 1", s.oidc.Calls())
	}
}

// TestGitHubFlowPullRequest runs examples/workflows/github-flow.yml for a
// pull request, twice (a second push to the branch): the preview
// environment gets each build, and the pull request one sticky comment,
// edited in place.
func TestGitHubFlowPullRequest(t *testing.T) {
	f := newFlowRig(t, "feature/greeting", "github-flow.yml")
	s, dir := f.s, f.dir
	var digests []string
	for i := range 2 {
		if i > 0 {
			commitFiles(t, dir, map[string]string{"examples/hello/NOTES": "review fixes\n"}, "review fixes")
		}
		sha := git(t, dir, "rev-parse", "HEAD")
		payload := map[string]any{
			"number": 7,
			"pull_request": map[string]any{
				"number": 7,
				"head":   map[string]any{"ref": "feature/greeting", "sha": sha},
				"base":   map[string]any{"ref": "main"},
			},
			"repository": map[string]any{"full_name": "acme/hello", "name": "hello", "default_branch": "main", "owner": map[string]any{"login": "acme"}},
		}
		arn, digest := f.run(t, "pull_request", payload)
		digests = append(digests, digest)
		_, comments := s.github.snapshot()
		t.Logf("pull request run %d: preview runs %s (%s); comments %d", i+1, shortARN(arn), digests[i][:19], len(comments))
	}
	if digests[0] == digests[1] {
		t.Errorf("the second preview deployed the same digest %s", digests[0])
	}
	_, comments := s.github.snapshot()
	if len(comments) != 1 || comments[0].Issue != 7 || comments[0].Edits < 1 {
		t.Fatalf("pull request comments: want one on #7, edited by the later runs; have %+v", comments)
	}
	if !strings.Contains(comments[0].Body, strings.TrimPrefix(digests[1], "sha256:")[:12]) && !strings.Contains(comments[0].Body, digests[1]) {
		t.Errorf("the sticky comment does not name the preview's digest %s:\n%s", digests[1], comments[0].Body)
	}
}

// shortARN is the family:revision of a task definition ARN.
func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
