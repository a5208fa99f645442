package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ferry-ci/ferry/internal/localstack"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// sourceDateEpoch fixes every timestamp of the daemonless build, so that
// the same binary gives the same digest in every run (and on every machine
// with the same Go).
const sourceDateEpoch = "1700000000"

// Step names, in the order of a run.
const (
	stepInfra    = "ferry deploy-cloudformation"
	stepBuild    = "go build examples/hello"
	stepPush     = "ferry build-push-ecr"
	stepDeploy   = "ferry deploy-ecs"
	stepTraffic  = "ferry redirect-traffic"
	stepSync     = "ferry sync-s3-cloudfront"
	stepNotify   = "ferry notify"
	helloPath    = "/hello" // the binary's path in the image
	helloTarget  = "linux/amd64"
	notifyStatus = "success"
)

var stepNames = []string{stepInfra, stepBuild, stepPush, stepDeploy, stepTraffic, stepSync, stepNotify}

// step is the outcome of one step of one run.
type step struct {
	Name   string
	Result string // one line
	Took   time.Duration
}

// jobRun is what one run of the job did.
type jobRun struct {
	N     int
	Steps []step
	Took  time.Duration

	// InfraStatus and the rest are deploy-cloudformation's outputs;
	// StackEvents and ChangeSets are what CloudFormation holds of the stack
	// after it (events, change sets listed).
	InfraStatus  string
	ChangeSetID  string
	StackStatus  string
	StackOutputs map[string]string
	StackEvents  int
	ChangeSets   int
	Emulated     bool // what moto skips was made after this run's creation

	Digest, ImageURI string
	PushBytes        int64 // bytes of blob uploads the registry received
	ManifestPuts     int
	DeployStatus     string
	TaskDefinition   string
	// PreviousStatus and PreviousTaskDefinition are run 1's deploy of the
	// base image, before the build's.
	PreviousStatus         string
	PreviousTaskDefinition string
	Revisions              int // of the family, after the deploy
	Presets                []string
	Changed                []bool // redirect-traffic's changed, per preset
	Weights                traffic.Weights
	SyncUploaded           int
	SyncBytes              int64
	Invalidation           string
	Notifications          int // the sink's total after notify

	// FerrySummary is the markdown the ferry steps appended to FERRY_SUMMARY.
	FerrySummary string
}

// job runs the steps against env.
type job struct {
	c    config
	e    *localstack.Stack
	work string // scratch directory of this demo
	logf func(string, ...any)
}

// runJob runs the job once; the returned run holds the steps done so far
// when it fails.
func (j *job) runJob(ctx context.Context, n int) (*jobRun, error) {
	r := &jobRun{N: n}
	started := time.Now()
	defer func() { r.Took = time.Since(started) }()
	summary := filepath.Join(j.work, fmt.Sprintf("ferry-summary-%d.md", n))
	for _, s := range []struct {
		name string
		do   func(context.Context, *jobRun, string) (string, error)
	}{
		{stepInfra, j.infra},
		{stepBuild, j.build},
		{stepPush, j.push},
		{stepDeploy, j.deploy},
		{stepTraffic, j.redirect},
		{stepSync, j.sync},
		{stepNotify, j.notify},
	} {
		t := time.Now()
		res, err := s.do(ctx, r, summary)
		took := time.Since(t)
		if err != nil {
			j.logf("run %d  %-26s FAILED after %s", n, s.name, seconds(took))
			return r, fmt.Errorf("run %d, %s: %w", n, s.name, err)
		}
		r.Steps = append(r.Steps, step{Name: s.name, Result: res, Took: took})
		j.logf("run %d  %-26s %6s  %s", n, s.name, seconds(took), res)
	}
	if b, err := os.ReadFile(summary); err == nil {
		r.FerrySummary = string(b)
	}
	return r, nil
}

// infra deploys the reference stack with ferry deploy-cloudformation
// (mode apply): run 1 creates it, run 2 finds the deployed template,
// parameters and tags as asked and makes no change set. The stack's
// outputs feed the later steps; what moto skips of the template is made
// once, after the creation.
func (j *job) infra(ctx context.Context, r *jobRun, summary string) (string, error) {
	args := []string{
		"--stack-name", localstack.StackName,
		"--template", filepath.Join(j.c.root, localstack.TemplatePath),
		"--capabilities", localstack.Capability,
		"--timeout", "2m",
	}
	for _, p := range localstack.ReferenceParameters() {
		args = append(args, "--parameters", p)
	}
	out, err := j.ferry(ctx, summary, "deploy-cloudformation", args...)
	if err != nil {
		return "", err
	}
	r.InfraStatus, r.ChangeSetID, r.StackStatus = out["status"], out["change-set-id"], out["stack-status"]
	if err := json.Unmarshal([]byte(out["outputs"]), &r.StackOutputs); err != nil {
		return "", fmt.Errorf("reading output outputs %q: %w", out["outputs"], err)
	}
	if err := j.e.SetOutputs(r.StackOutputs); err != nil {
		return "", err
	}
	if r.StackEvents, r.ChangeSets, err = j.stackHistory(ctx); err != nil {
		return "", err
	}
	res := fmt.Sprintf("%s %s (%s, %d outputs), ", r.InfraStatus, localstack.StackName, r.StackStatus, len(r.StackOutputs))
	if r.ChangeSetID != "" {
		res += "by change set " + out["change-set-name"]
	} else {
		res += "no change set"
	}
	if r.InfraStatus == "created" && j.e.Distribution == "" {
		if err := j.e.EmulateSkipped(ctx, j.logf); err != nil {
			return "", err
		}
		r.Emulated = true
		res += "; emulated: distribution, alarm, IP targets"
	}
	return res, nil
}

// stackHistory counts the reference stack's events and the change sets
// CloudFormation lists for it.
func (j *job) stackHistory(ctx context.Context) (events, changeSets int, err error) {
	cf := cloudformation.NewFromConfig(j.e.AWS)
	p := cloudformation.NewDescribeStackEventsPaginator(cf, &cloudformation.DescribeStackEventsInput{StackName: aws.String(localstack.StackName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("describing the events of stack %q: %w", localstack.StackName, err)
		}
		events += len(page.StackEvents)
	}
	cp := cloudformation.NewListChangeSetsPaginator(cf, &cloudformation.ListChangeSetsInput{StackName: aws.String(localstack.StackName)})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("listing the change sets of stack %q: %w", localstack.StackName, err)
		}
		changeSets += len(page.Summaries)
	}
	return events, changeSets, nil
}

func (j *job) binPath() string { return filepath.Join(j.work, "hello", "hello") }

// build compiles examples/hello as ECS runs it: static, linux/amd64,
// reproducible (-trimpath, no VCS stamp).
func (j *job) build(ctx context.Context, r *jobRun, _ string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", j.binPath(), "./examples/hello")
	cmd.Dir = j.c.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	b, err := os.ReadFile(j.binPath())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%s, %s, sha256 %s…", helloTarget, byteSize(int64(len(b))), hex.EncodeToString(sum[:6])), nil
}

// push is the daemonless build: the binary as /hello on the scratch-like
// base, then the push to the stack's repository.
func (j *job) push(ctx context.Context, r *jobRun, summary string) (string, error) {
	j.e.Registry.ResetStats()
	out, err := j.ferry(ctx, summary, "build-push-ecr",
		"--repository", j.e.Outputs["RepositoryName"],
		"--registry-endpoint", j.e.RegistryHost,
		"--base-image", j.e.BaseImage,
		"--files", j.binPath()+":"+helloPath,
		"--image-entrypoint", `["`+helloPath+`"]`,
		"--env", "PORT=8080",
		"--tags", "demo",
	)
	if err != nil {
		return "", err
	}
	st := j.e.Registry.Stats()
	r.Digest, r.ImageURI = out["digest"], out["image-uri"]
	r.PushBytes, r.ManifestPuts = st.BlobUploadBytes, st.ManifestPuts
	if r.Digest == "" || r.ImageURI == "" {
		return "", fmt.Errorf("no digest or image-uri in the outputs: %v", out)
	}
	return fmt.Sprintf("%s, %s uploaded", short(r.Digest), byteSize(r.PushBytes)), nil
}

// deploy puts the image, by digest, into the green service (rolling). In
// run 1 the service first gets another image, the base image (standing in
// for the release before this one): so the build is the second distinct
// image deployed to the service, a rollout moto shows in its own shape
// (it keeps the deployment the service was created with), and run 2
// repeats the build's deploy, unchanged.
func (j *job) deploy(ctx context.Context, r *jobRun, summary string) (string, error) {
	deploy := func(image string) (map[string]string, error) {
		return j.ferry(ctx, summary, "deploy-ecs",
			"--cluster", j.e.Outputs["ClusterName"],
			"--service", j.e.Outputs["GreenServiceName"],
			"--images", "hello="+image,
			"--timeout", "2m",
		)
	}
	before := ""
	if r.N == 1 {
		out, err := deploy(j.e.BaseImage)
		if err != nil {
			return "", fmt.Errorf("deploying the base image first: %w", err)
		}
		r.PreviousStatus, r.PreviousTaskDefinition = out["status"], out["task-definition-arn"]
		before = fmt.Sprintf("%s %s (the base image), then ", r.PreviousStatus, shortARN(r.PreviousTaskDefinition))
	}
	out, err := deploy(r.ImageURI)
	if err != nil {
		return "", err
	}
	r.DeployStatus, r.TaskDefinition = out["status"], out["task-definition-arn"]
	list, err := awsecs.NewFromConfig(j.e.AWS).ListTaskDefinitions(ctx, &awsecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("hello")})
	if err != nil {
		return "", fmt.Errorf("listing the task definitions: %w", err)
	}
	r.Revisions = len(list.TaskDefinitionArns)
	return fmt.Sprintf("%s%s %s (%d revisions)", before, r.DeployStatus, shortARN(r.TaskDefinition), r.Revisions), nil
}

// redirectRule is how redirect walks the listener, in the log's words.
const redirectRule = "one redirect-traffic run per preset, from the one the listener is at now (asserted again: changed=false) up to green; traffic already on green is one run of preset green, which changes nothing"

// redirect walks the listener to green by presets (see redirectRule).
func (j *job) redirect(ctx context.Context, r *jobRun, summary string) (string, error) {
	now, err := j.e.Weights(ctx)
	if err != nil {
		return "", err
	}
	names := traffic.PresetNames()
	from := 0
	for i, n := range names {
		if w, _ := traffic.Preset(n); w == now {
			from = i
		}
	}
	r.Presets = names[from:]
	j.logf("       redirect-traffic: the listener is at %s; %s", now, redirectRule)
	changes := 0
	for _, p := range r.Presets {
		out, err := j.ferry(ctx, summary, "redirect-traffic",
			"--listener-arn", j.e.Outputs["ListenerArn"],
			"--blue-target-group", j.e.Outputs["BlueTargetGroupArn"],
			"--green-target-group", j.e.Outputs["GreenTargetGroupArn"],
			"--alarms", j.e.Alarm,
			"--preset", p,
		)
		if err != nil {
			return "", fmt.Errorf("preset %s: %w", p, err)
		}
		changed := out["changed"] == "true"
		r.Changed = append(r.Changed, changed)
		if changed {
			changes++
		}
		b, _ := strconv.Atoi(out["blue-weight"])
		g, _ := strconv.Atoi(out["green-weight"])
		r.Weights = traffic.Weights{Blue: int32(b), Green: int32(g)}
	}
	if changes == 0 {
		return strings.Join(r.Presets, " → ") + ", changed=false", nil
	}
	return fmt.Sprintf("%s, %d changed", strings.Join(r.Presets, " → "), changes), nil
}

// sync uploads examples/site under the stack's prefix and invalidates what
// changed.
func (j *job) sync(ctx context.Context, r *jobRun, summary string) (string, error) {
	out, err := j.ferry(ctx, summary, "sync-s3-cloudfront",
		"--source", filepath.Join(j.c.root, "examples", "site"),
		"--bucket", j.e.Outputs["BucketName"],
		"--prefix", j.e.Outputs["SitePrefix"],
		"--distribution-id", j.e.Distribution,
		"--cache-control", "**/*.html=no-cache",
	)
	if err != nil {
		return "", err
	}
	r.SyncUploaded, _ = strconv.Atoi(out["uploaded"])
	r.SyncBytes, _ = strconv.ParseInt(out["bytes-uploaded"], 10, 64)
	r.Invalidation = out["invalidation-id"]
	inv := "no invalidation"
	if r.Invalidation != "" {
		inv = "invalidation " + r.Invalidation
	}
	return fmt.Sprintf("%d uploaded (%s), %s", r.SyncUploaded, byteSize(r.SyncBytes), inv), nil
}

// notify posts the run's facts to the sink.
func (j *job) notify(ctx context.Context, r *jobRun, summary string) (string, error) {
	out, err := j.ferry(ctx, summary, "notify",
		"--webhook-url", j.e.Sink.URL,
		"--status", notifyStatus,
		"--repository", "ferry-ci/ferry",
		"--environment", "demo",
		"--title", "ferry demo, run "+strconv.Itoa(r.N),
		"--message", "hello deployed to green",
		"--fields", "digest="+r.Digest,
		"--fields", "task-definition="+r.TaskDefinition,
		"--fields", "weights="+r.Weights.String(),
		"--fail-on-error",
	)
	if err != nil {
		return "", err
	}
	r.Notifications = len(j.e.Sink.Received())
	return fmt.Sprintf("sent=%s (the sink has %d)", out["sent"], r.Notifications), nil
}

// ferry runs one action on the command line and returns its outputs.
func (j *job) ferry(ctx context.Context, summary string, action string, args ...string) (map[string]string, error) {
	home := filepath.Join(j.work, "home")
	empty := filepath.Join(j.work, "empty")
	cmd := exec.CommandContext(ctx, j.c.ferry, append(append([]string{action}, args...), "--output", "json")...)
	cmd.Dir = j.work
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
		// Nothing from this machine's AWS set-up, and never the instance
		// metadata address.
		"AWS_CONFIG_FILE=" + empty,
		"AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=" + localstack.Region,
		"AWS_ENDPOINT_URL=" + j.e.Moto.Endpoint,
		"SOURCE_DATE_EPOCH=" + sourceDateEpoch,
		"FERRY_SUMMARY=" + summary,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("ferry %s: %w\n%s", action, err, indent(lastLines(stderr.String(), 30)))
	}
	out := map[string]string{}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("ferry %s: reading the JSON outputs: %w\n%s", action, err, stdout.String())
	}
	return out, nil
}

// check compares the second run with the first: it must have changed
// nothing. It returns one line per check, and an error naming every
// failed one.
func check(first, second *jobRun, notifications []map[string]any) ([]string, error) {
	var lines []string
	var failed []string
	expect := func(ok bool, what string) {
		mark := "✅"
		if !ok {
			mark = "❌"
			failed = append(failed, what)
		}
		lines = append(lines, mark+" "+what)
	}
	expect(first.InfraStatus == "created" && second.InfraStatus == "unchanged", fmt.Sprintf("deploy-cloudformation: created, then unchanged (have %q, then %q)", first.InfraStatus, second.InfraStatus))
	expect(second.ChangeSetID == "" && second.StackEvents == first.StackEvents && second.ChangeSets == first.ChangeSets,
		fmt.Sprintf("deploy-cloudformation: no change set made or executed, no stack event (change set %q; %d events, %d change sets; then %d, %d)",
			second.ChangeSetID, first.StackEvents, first.ChangeSets, second.StackEvents, second.ChangeSets))
	expect(maps.Equal(second.StackOutputs, first.StackOutputs) && len(second.StackOutputs) > 0, fmt.Sprintf("deploy-cloudformation: the same %d stack outputs", len(second.StackOutputs)))
	expect(second.Digest == first.Digest, fmt.Sprintf("build-push-ecr: the same digest (%s, then %s)", short(first.Digest), short(second.Digest)))
	expect(second.PushBytes == 0 && second.ManifestPuts == 0, fmt.Sprintf("build-push-ecr: 0 bytes uploaded and no manifest written (have %d bytes, %d manifests)", second.PushBytes, second.ManifestPuts))
	expect(second.DeployStatus == "unchanged", fmt.Sprintf("deploy-ecs: status unchanged (have %q)", second.DeployStatus))
	expect(second.TaskDefinition == first.TaskDefinition && second.Revisions == first.Revisions,
		fmt.Sprintf("deploy-ecs: no new task-definition revision (%s, %d revisions; then %s, %d)", shortARN(first.TaskDefinition), first.Revisions, shortARN(second.TaskDefinition), second.Revisions))
	expect(!slices.Contains(second.Changed, true) && len(second.Changed) > 0, fmt.Sprintf("redirect-traffic: changed=false (presets %s)", strings.Join(second.Presets, ", ")))
	expect(second.Weights == traffic.Weights{Green: 100}, fmt.Sprintf("redirect-traffic: traffic on green (have %s)", second.Weights))
	expect(second.SyncUploaded == 0 && second.SyncBytes == 0, fmt.Sprintf("sync-s3-cloudfront: 0 files, 0 bytes uploaded (have %d, %d)", second.SyncUploaded, second.SyncBytes))
	expect(second.Invalidation == "", fmt.Sprintf("sync-s3-cloudfront: no invalidation (have %q)", second.Invalidation))
	withDigest := 0
	for _, n := range notifications {
		if f, _ := n["fields"].(map[string]any); f != nil && f["digest"] == first.Digest {
			withDigest++
		}
	}
	expect(len(notifications) == 2 && withDigest == 2, fmt.Sprintf("notify: the sink received 2 notifications with the digest (have %d, %d with it)", len(notifications), withDigest))
	if len(failed) > 0 {
		return lines, fmt.Errorf("the second run was not idempotent:\n  - %s", strings.Join(failed, "\n  - "))
	}
	return lines, nil
}

func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12] + "…"
	}
	return digest
}

func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
