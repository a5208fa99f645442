package commands_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/ferryimage/ferryimagetest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
)

// gatedService adds to f's cluster a service named name on ECS's
// BLUE_GREEN (given by ext: moto keeps no deploymentConfiguration), behind
// lb's blue target group with lb's rule as its test listener rule (moto
// keeps the load balancer's advancedConfiguration), as a service already
// set up for ECS's blue/green is: the flow gives no ECS input.
func gatedService(t *testing.T, f ecsFixture, lb *elbtest.Fixture, ext *ecsdeploytest.Server, name string) {
	t.Helper()
	addService(t, f, ext, name, `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1}`, ecstypes.LoadBalancer{
		TargetGroupArn: aws.String(lb.Blue), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{
			AlternateTargetGroupArn: aws.String(lb.Green), TestListenerRule: aws.String(lb.Rule),
			ProductionListenerRule: aws.String(lb.Rule), RoleArn: aws.String("arn:aws:iam::123456789012:role/ecs-blue-green"),
		},
	})
}

// decisions are the service deployments the -decide jobs acted on, by
// decision, in the order of the log.
func decisions(out string) map[string][]string {
	m := map[string][]string{}
	for _, d := range regexp.MustCompile(`decision (continue|rollback) for (arn:\S+)`).FindAllStringSubmatch(out, -1) {
		if !strings.Contains(d[0], "$") { // the script's own echo line, as gitlab-ci-local prints it
			m[d[1]] = append(m[d[1]], d[2])
		}
	}
	return m
}

// TestGitLabFlowGate runs templates/github-flow.yml with gate-command on
// the default branch, both services already on ECS's BLUE_GREEN, ECS's
// service deployments stood in by ecsdeploytest in front of moto
// (AWS_ENDPOINT_URL_ECS; every other service goes to moto itself). First
// the gate passes: each deploy pauses after the test traffic shift, the
// gate job (in the pipeline's default image: the shell here) sees the test
// listener's URL, the decide job continues and the service deployment ends
// SUCCESSFUL, staging before production. Then, for a new commit, the gate
// command fails: the decide job rolls staging's deployment back through
// ECS, fails, and production is not deployed.
func TestGitLabFlowGate(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=1"}}).Endpoint
	// A stand-in minute lasts 100ms: pause-timeout 48h gives the gate and
	// decide jobs (containers on a busy machine) about 5 minutes before
	// ECS's own timeout rolls the deployment back.
	ext := ecsdeploytest.New(t, endpoint, ecsdeploytest.Options{})
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	f := newECSFixture(t, endpoint)
	lb := elbtest.New(t, endpoint)
	for _, svc := range []string{"staging-web", "production-web"} {
		gatedService(t, f, lb, ext, svc)
	}
	lbs, err := lb.ELB.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb.LoadBalancer}})
	if err != nil {
		t.Fatal(err)
	}
	testURL := "http://" + aws.ToString(lbs.LoadBalancers[0].DNSName) + "/api/"
	repo := uniqueRepo("gate")

	dir := gitlabProject(t, `stages: [build, test, push, deploy, production]
include:
  - local: templates/github-flow.yml
    inputs:
      image: `+image+`
      repository: `+repo+`
      container: web
      image-tar: image.tar
      registry-endpoint: `+reg.Host+`
      timeout: 90s
      gate-command: echo "gate-command sees TEST_URL=$TEST_URL on $CI_ENVIRONMENT_NAME" && test "$GATE_VERDICT" = pass
      pause-timeout: 48h

image-build:
  stage: build
  script:
    - cp "$TEST_IMAGE_TAR" image.tar
  artifacts:
    paths: [image.tar]
`)
	writeFile(t, dir, ".gitlab-ci-local-variables.yml", `AWS_ENDPOINT_URL: `+endpoint+`
AWS_ENDPOINT_URL_ECS: `+ext.URL+`
ECS_CLUSTER: `+f.cluster+`
ECS_SERVICES:
  values:
    staging: staging-web
    production: production-web
`)
	// In the project directory: see TestGitLabFlowGitHubFlow.
	run := func(t *testing.T, more ...string) (string, int) {
		t.Helper()
		return runGitLabArgs(t, dir, append([]string{
			"--variable", "AWS_ACCESS_KEY_ID=testing", "--variable", "AWS_SECRET_ACCESS_KEY=testing", "--variable", "AWS_REGION=us-east-1",
			"--variable", "TEST_IMAGE_TAR=" + dockerSave(t, randomImage(t, 1))}, more...)...)
	}

	t.Run("gate passes", func(t *testing.T) {
		out, code := run(t, "--variable", "GATE_VERDICT=pass", "--manual", "ferry-production")
		if code != 0 {
			t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
		}
		wantJobs(t, out, "image-build", "ferry-build", "ferry-staging", "ferry-staging-gate", "ferry-staging-decide",
			"ferry-production", "ferry-production-gate", "ferry-production-decide")
		wantInImage(t, out, image, "ferry-staging", "ferry-staging-decide", "ferry-production", "ferry-production-decide")
		if n := strings.Count(out, "service deployment paused"); n != 2 {
			t.Errorf("want each deploy job to return paused (2), have %d:\n%s", n, out)
		}
		for _, env := range []string{"staging", "production"} {
			if want := "gate-command sees TEST_URL=" + testURL + " on " + env; !strings.Contains(out, want) {
				t.Errorf("want %q in the gate job's log:\n%s", want, out)
			}
		}
		d := decisions(out)
		if len(d["continue"]) != 2 || len(d["rollback"]) != 0 {
			t.Fatalf("decisions: want continue twice, have %v:\n%s", d, out)
		}
		for i, svc := range []string{"staging-web", "production-web"} {
			arn := d["continue"][i]
			if !strings.Contains(arn, "/"+f.cluster+"/"+svc+"/") {
				t.Errorf("decision %d: want %s's service deployment, have %s", i, svc, arn)
			}
			if st := ext.Status(arn); st != "SUCCESSFUL" {
				t.Errorf("%s: service deployment %s: want SUCCESSFUL, have %s", svc, arn, st)
			}
		}
		if !strings.Contains(out, "service deployment successful") {
			t.Errorf("want the decide job to follow the deployment to its end:\n%s", out)
		}
	})
	if t.Failed() {
		return
	}

	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "second")
	t.Run("gate fails", func(t *testing.T) {
		out, code := run(t, "--variable", "GATE_VERDICT=fail", "--manual", "ferry-production")
		if code == 0 {
			t.Fatalf("pipeline: want a failure, have exit 0:\n%s", out)
		}
		jobs := jobsRun(out)
		for job, want := range map[string]string{"ferry-staging": "PASS", "ferry-staging-gate": "FAIL", "ferry-staging-decide": "FAIL"} {
			if jobs[job] != want {
				t.Errorf("job %s: want %s, have %q (%v)", job, want, jobs[job], jobs)
			}
		}
		for _, job := range []string{"ferry-production", "ferry-production-gate", "ferry-production-decide"} {
			if _, ran := jobs[job]; ran {
				t.Errorf("job %s ran after a failed gate: %v", job, jobs)
			}
		}
		if want := "gate-command sees TEST_URL=" + testURL + " on staging"; !strings.Contains(out, want) {
			t.Errorf("want %q in the gate job's log:\n%s", want, out)
		}
		d := decisions(out)
		if len(d["rollback"]) != 1 || len(d["continue"]) != 0 {
			t.Fatalf("decisions: want one rollback, have %v:\n%s", d, out)
		}
		arn := d["rollback"][0]
		if !strings.Contains(arn, "/"+f.cluster+"/staging-web/") {
			t.Errorf("want staging-web's service deployment rolled back, have %s", arn)
		}
		if st := ext.Status(arn); st != "ROLLBACK_SUCCESSFUL" {
			t.Errorf("service deployment %s: want ROLLBACK_SUCCESSFUL, have %s", arn, st)
		}
		if !strings.Contains(out, "ECS rolled "+arn+" back") {
			t.Errorf("want the decide job to say the deployment was rolled back:\n%s", out)
		}
	})
	// Two gates continued, one rolled back (ContinueServiceDeployment with
	// ROLLBACK): never StopServiceDeployment, never a second UpdateService.
	wantCalls(t, ext, map[string]int{"UpdateService": 3, "ContinueServiceDeployment": 3, "StopServiceDeployment": 0})
	noRefusals(t, ext)
}

// TestGitLabFlowGateGitflow runs templates/gitflow.yml with gate-command
// on develop, dev-web on ECS's BLUE_GREEN behind the stand-in: ferry-dev
// pauses, ferry-dev-gate sees the test URL, ferry-dev-decide continues and
// the service deployment ends SUCCESSFUL.
func TestGitLabFlowGateGitflow(t *testing.T) {
	t.Parallel()
	gitlabCILocal(t)
	image := ferryimagetest.GitLab(t).Job
	endpoint := moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=1"}}).Endpoint
	ext := ecsdeploytest.New(t, endpoint, ecsdeploytest.Options{}) // pause-timeout 48h: about 5 minutes
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	f := newECSFixture(t, endpoint)
	lb := elbtest.New(t, endpoint)
	gatedService(t, f, lb, ext, "dev-web")
	lbs, err := lb.ELB.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb.LoadBalancer}})
	if err != nil {
		t.Fatal(err)
	}
	testURL := "http://" + aws.ToString(lbs.LoadBalancers[0].DNSName) + "/api/"

	dir := gitlabProject(t, `stages: [build, test, push, deploy, production]
include:
  - local: templates/gitflow.yml
    inputs:
      image: `+image+`
      repository: `+uniqueRepo("gate-gitflow")+`
      container: web
      image-tar: image.tar
      registry-endpoint: `+reg.Host+`
      timeout: 90s
      gate-command: echo "gate-command sees TEST_URL=$TEST_URL on $CI_ENVIRONMENT_NAME"
      pause-timeout: 48h

image-build:
  stage: build
  script:
    - cp "$TEST_IMAGE_TAR" image.tar
  artifacts:
    paths: [image.tar]
`)
	writeFile(t, dir, ".gitlab-ci-local-variables.yml", `AWS_ENDPOINT_URL: `+endpoint+`
AWS_ENDPOINT_URL_ECS: `+ext.URL+`
ECS_CLUSTER: `+f.cluster+`
ECS_SERVICES: dev-web
TEST_IMAGE_TAR: `+dockerSave(t, randomImage(t, 1))+`
`)
	gitIn(t, dir, "checkout", "-qb", "develop")
	out, code := runGitLabArgs(t, dir,
		"--variable", "AWS_ACCESS_KEY_ID=testing", "--variable", "AWS_SECRET_ACCESS_KEY=testing", "--variable", "AWS_REGION=us-east-1")
	if code != 0 {
		t.Fatalf("pipeline: want exit 0, have %d:\n%s", code, out)
	}
	wantJobs(t, out, "image-build", "ferry-build", "ferry-dev", "ferry-dev-gate", "ferry-dev-decide")
	if want := "gate-command sees TEST_URL=" + testURL + " on dev"; !strings.Contains(out, want) {
		t.Errorf("want %q in the gate job's log:\n%s", want, out)
	}
	d := decisions(out)
	if len(d["continue"]) != 1 || len(d["rollback"]) != 0 {
		t.Fatalf("decisions: want one continue, have %v:\n%s", d, out)
	}
	if st := ext.Status(d["continue"][0]); st != "SUCCESSFUL" {
		t.Errorf("service deployment %s: want SUCCESSFUL, have %s", d["continue"][0], st)
	}
	noRefusals(t, ext)
}
