package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/cdntest"
)

// actionsWorkflow uses each of ferry's five actions once, as a user writes
// them: inputs with hyphens, multi-line values, booleans and secrets, and a
// last step that reads every action's outputs (through env:, never inside
// run:) into a file the test reads.
const actionsWorkflow = `name: actions
on: push
permissions: {}
jobs:
  ship:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
      deployments: write
    steps:
      - uses: actions/checkout@1af3b93b6815bc44a9784bd300feb67ff0d1eeb3 # v6.0.0
      - name: Build and push
        id: push
        uses: ferry-ci/ferry/actions/build-push-ecr@v1
        with:
          aws-region: ${{ vars.AWS_REGION }}
          role-to-assume: ${{ vars.DEPLOY_ROLE_ARN }}
          repository: ${{ vars.REPOSITORY }}
          base-image: ${{ vars.BASE_IMAGE }}
          files: |
            app/hello.txt:/srv/hello.txt
          image-entrypoint: /srv/hello
          env: |
            GREETING=hello from e2e
            MODE=test
          tags: |
            e2e-${{ github.run_number }}
            edge
          tag-latest: false
          scan-on-push: true
      - name: Deploy
        id: deploy
        uses: ferry-ci/ferry/actions/deploy-ecs@v1
        with:
          aws-region: ${{ vars.AWS_REGION }}
          role-to-assume: ${{ vars.DEPLOY_ROLE_ARN }}
          cluster: ${{ vars.ECS_CLUSTER }}
          service: ${{ vars.ECS_SERVICE }}
          images: |
            hello=${{ steps.push.outputs.image-uri }}
          environment: |
            hello:GREETING=hello from e2e
          wait: true
          rollback: true
          timeout: 5m
      - name: Shift traffic
        id: traffic
        uses: ferry-ci/ferry/actions/redirect-traffic@v1
        with:
          aws-region: ${{ vars.AWS_REGION }}
          role-to-assume: ${{ vars.DEPLOY_ROLE_ARN }}
          listener-arn: ${{ vars.LISTENER_ARN }}
          blue-target-group: ${{ vars.BLUE_TARGET_GROUP }}
          green-target-group: ${{ vars.GREEN_TARGET_GROUP }}
          preset: green-80
          alarms: ${{ vars.ALARMS }}
          dry-run: false
      - name: Sync the site
        id: site
        uses: ferry-ci/ferry/actions/sync-s3-cloudfront@v1
        with:
          aws-region: ${{ vars.AWS_REGION }}
          role-to-assume: ${{ vars.DEPLOY_ROLE_ARN }}
          source: site
          bucket: ${{ vars.SITE_BUCKET }}
          prefix: ${{ vars.SITE_PREFIX }}
          distribution-id: ${{ vars.DISTRIBUTION_ID }}
          cache-control: |
            **/*.html=no-cache
            **=public, max-age=31536000, immutable
          delete: true
      - name: Notify
        id: notify
        uses: ferry-ci/ferry/actions/notify@v1
        with:
          status: success
          title: Shipped hello
          message: |
            Deployed ${{ steps.push.outputs.digest }}
            Weights: blue ${{ steps.traffic.outputs.blue-weight }}, green ${{ steps.traffic.outputs.green-weight }}
          fields: |
            revision=${{ steps.deploy.outputs.task-definition-arn }}
            files=${{ steps.site.outputs.uploaded }}
          webhook-url: ${{ secrets.WEBHOOK_URL }}
          github-token: ${{ secrets.GITHUB_TOKEN }}
          github-environment: e2e
      - name: Read the outputs
        env:
          DIGEST: ${{ steps.push.outputs.digest }}
          IMAGE_URI: ${{ steps.push.outputs.image-uri }}
          TASK_DEFINITION: ${{ steps.deploy.outputs.task-definition-arn }}
          DEPLOY_STATUS: ${{ steps.deploy.outputs.status }}
          GREEN: ${{ steps.traffic.outputs.green-weight }}
          CHANGED: ${{ steps.traffic.outputs.changed }}
          UPLOADED: ${{ steps.site.outputs.uploaded }}
          INVALIDATION: ${{ steps.site.outputs.invalidation-id }}
          SENT: ${{ steps.notify.outputs.sent }}
        run: env | grep -E '^(DIGEST|IMAGE_URI|TASK_DEFINITION|DEPLOY_STATUS|GREEN|CHANGED|UPLOADED|INVALIDATION|SENT)=' | sort > outputs.env
`

// TestActionsAsUsesSteps runs each action as a `uses:` step of a workflow
// under act, from the release image, and reads the end state from moto,
// the registry, the sink and the fake GitHub API.
func TestActionsAsUsesSteps(t *testing.T) {
	r := need(t)
	s := newStack(t)
	dir := appRepo(t, "main", map[string]string{
		".github/workflows/actions.yml": actionsWorkflow,
		"app/hello.txt":                 "hello\n",
		"site/index.html":               "<!doctype html><title>hello</title>\n",
		"site/app.js":                   "console.log('hello')\n",
	})
	hook := s.Sink.URL + "/e2e-secret-path-0a1b2c3d4e5f"
	res := r.act(t, actRun{
		dir: dir, event: "push", workflow: ".github/workflows/actions.yml",
		vars: map[string]string{
			"AWS_REGION":         "us-east-1",
			"DEPLOY_ROLE_ARN":    "arn:aws:iam::123456789012:role/ferry-deploy",
			"REPOSITORY":         s.Outputs["RepositoryName"],
			"BASE_IMAGE":         s.BaseImage,
			"ECS_CLUSTER":        s.Outputs["ClusterName"],
			"ECS_SERVICE":        s.Outputs["GreenServiceName"],
			"LISTENER_ARN":       s.Outputs["ListenerArn"],
			"BLUE_TARGET_GROUP":  s.Outputs["BlueTargetGroupArn"],
			"GREEN_TARGET_GROUP": s.Outputs["GreenTargetGroupArn"],
			"ALARMS":             s.Alarm,
			"SITE_BUCKET":        s.Outputs["BucketName"],
			"SITE_PREFIX":        s.Outputs["SitePrefix"],
			"DISTRIBUTION_ID":    s.Distribution,
		},
		secrets: map[string]string{"WEBHOOK_URL": hook, "GITHUB_TOKEN": appToken},
		env:     s.env(),
	})
	res.mustSucceed(t)
	res.mustNotLeak(t, "e2e-secret-path-0a1b2c3d4e5f", appToken, s.oidc.Token)

	out := readEnvFile(t, filepath.Join(dir, "outputs.env"))
	ctx := context.Background()

	// build-push-ecr: the digest is in the registry under both tags.
	if !strings.HasPrefix(out["DIGEST"], "sha256:") || !strings.HasSuffix(out["IMAGE_URI"], "@"+out["DIGEST"]) {
		t.Errorf("build-push-ecr outputs: digest %q, image-uri %q", out["DIGEST"], out["IMAGE_URI"])
	}
	// deploy-ecs: the service runs a new revision carrying that image.
	ecs := awsecs.NewFromConfig(s.AWS)
	svc, err := ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{
		Cluster: aws.String(s.Outputs["ClusterName"]), Services: []string{s.Outputs["GreenServiceName"]},
	})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describing the service: %v", err)
	}
	if have := aws.ToString(svc.Services[0].TaskDefinition); have != out["TASK_DEFINITION"] {
		t.Errorf("service runs %s, deploy-ecs output task-definition-arn %s", have, out["TASK_DEFINITION"])
	}
	td, err := ecs.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(out["TASK_DEFINITION"])})
	if err != nil {
		t.Fatal(err)
	}
	if img := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); img != out["IMAGE_URI"] {
		t.Errorf("task definition image %q, want the pushed %q", img, out["IMAGE_URI"])
	}
	if out["DEPLOY_STATUS"] != "deployed" {
		t.Errorf("deploy-ecs status %q, want deployed", out["DEPLOY_STATUS"])
	}
	// redirect-traffic: the listener is at 20/80.
	w, err := s.Weights(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w.Blue != 20 || w.Green != 80 || out["GREEN"] != "80" || out["CHANGED"] != "true" {
		t.Errorf("weights %+v, outputs green-weight %q changed %q; want 20/80, changed", w, out["GREEN"], out["CHANGED"])
	}
	// sync-s3-cloudfront: both files under the prefix, one invalidation.
	objs, err := s3.NewFromConfig(s.AWS, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.Outputs["BucketName"]), Prefix: aws.String(s.Outputs["SitePrefix"] + "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, o := range objs.Contents {
		keys[aws.ToString(o.Key)] = true
	}
	for _, k := range []string{"index.html", "app.js"} {
		if !keys[s.Outputs["SitePrefix"]+"/"+k] {
			t.Errorf("bucket: %s/%s missing; have %v", s.Outputs["SitePrefix"], k, keys)
		}
	}
	if out["UPLOADED"] != "2" || out["INVALIDATION"] == "" {
		t.Errorf("sync outputs: uploaded %q invalidation-id %q", out["UPLOADED"], out["INVALIDATION"])
	}
	if inv := cdntest.Invalidations(t, s.Moto.Endpoint, s.Distribution); len(inv) != 1 {
		t.Errorf("invalidations: have %d, want 1", len(inv))
	}
	// notify: the sink got the message with the digest, GitHub a deployment.
	posts := s.Sink.Received()
	if len(posts) != 1 || !strings.Contains(toJSON(posts[0]), out["DIGEST"]) {
		t.Errorf("webhook sink: want 1 post naming %s, have %v", out["DIGEST"], posts)
	}
	deps, _ := s.github.snapshot()
	if len(deps) != 1 {
		t.Errorf("GitHub deployments: want 1 (environment e2e), have %v", deps)
	}
	if out["SENT"] != "2" {
		t.Errorf("notify output sent %q, want 2 (the webhook and the GitHub deployment)", out["SENT"])
	}
	if s.oidc.Calls() < 4 {
		t.Errorf("OIDC token requests: have %d, want one per AWS action (4)", s.oidc.Calls())
	}
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the workflow's last step wrote no %s: %v", filepath.Base(path), err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}
