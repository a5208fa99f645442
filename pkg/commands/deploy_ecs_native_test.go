package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/moto"
)

// nativeService adds to f's cluster a service named name behind lb's
// blue target group, and gives it deploymentConfiguration config in ext
// (moto keeps none).
func nativeService(t *testing.T, f ecsFixture, lb *elbtest.Fixture, ext *ecsdeploytest.Server, name, config string) {
	t.Helper()
	addService(t, f, ext, name, config, ecstypes.LoadBalancer{TargetGroupArn: aws.String(lb.Blue), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)})
}

// addService adds to f's cluster a service named name, on the task
// definition and network of f's service, behind balancer, and gives it
// deploymentConfiguration config in ext.
func addService(t *testing.T, f ecsFixture, ext *ecsdeploytest.Server, name, config string, balancer ecstypes.LoadBalancer) {
	t.Helper()
	ctx := context.Background()
	out, err := f.ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(f.cluster), Services: []string{f.service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describing %s: %v", f.service, err)
	}
	web := out.Services[0]
	if _, err := f.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String(name), TaskDefinition: web.TaskDefinition,
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: web.NetworkConfiguration,
		LoadBalancers: []ecstypes.LoadBalancer{balancer},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ext.SetConfig(f.cluster, name, config); err != nil {
		t.Fatal(err)
	}
}

// wantCalls checks how many times ext was called with each action.
func wantCalls(t *testing.T, ext *ecsdeploytest.Server, want map[string]int) {
	t.Helper()
	for call, n := range want {
		if have := ext.Calls(call); have != n {
			t.Errorf("%s calls: want %d, have %d", call, n, have)
		}
	}
}

func noRefusals(t *testing.T, ext *ecsdeploytest.Server) {
	t.Helper()
	if r := ext.Refused(); len(r) > 0 {
		t.Errorf("calls the service deployments refused: %q", r)
	}
}

// TestDeployECSNativeGate runs the CI gate through action.yml against moto
// with ECS's service deployments stood in: a deploy that pauses after the
// test traffic shift (outputs, test URL from moto's ELBv2), a decision that
// continues it, then a second deploy whose decision rolls it back.
func TestDeployECSNativeGate(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	ext := ecsdeploytest.New(t, endpoint, ecsdeploytest.Options{})
	f := newECSFixture(t, endpoint)
	lb := elbtest.New(t, endpoint)
	nativeService(t, f, lb, ext, "gate", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1}`)
	lbs, err := lb.ELB.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb.LoadBalancer}})
	if err != nil {
		t.Fatal(err)
	}
	wantURL := "http://" + aws.ToString(lbs.LoadBalancers[0].DNSName) + "/api/"

	pause := func(image string, addsHook bool) actiontest.Result {
		res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
			Action: "deploy-ecs",
			With: map[string]string{
				"cluster": f.cluster, "service": "gate", "timeout": "90s", "images": "web=" + image,
				"pause-at": "post-test-traffic-shift", "pause-timeout": "2h",
				"test-listener-rule": lb.Rule, "alternate-target-group": lb.Green,
			},
			Env: trafficEnv(ext.URL),
		})
		if res.Code != 0 || res.Outputs["status"] != "paused" {
			t.Fatalf("deploy: want exit 0 and status paused, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
		}
		if res.Outputs["hook-id"] == "" || !strings.Contains(res.Outputs["service-deployment-arn"], ":service-deployment/"+f.cluster+"/gate/") {
			t.Errorf("outputs: want a hook id and the service deployment, have %v", res.Outputs)
		}
		if res.Outputs["test-url"] != wantURL {
			t.Errorf("test-url: want %q, have %q", wantURL, res.Outputs["test-url"])
		}
		want := []string{"**Paused at POST_TEST_TRAFFIC_SHIFT**", "takes action ROLLBACK", wantURL}
		if addsHook { // the second deploy finds the hook in place
			want = append(want, "lifecycleHooks: + PAUSE at POST_TEST_TRAFFIC_SHIFT (after 120 minutes ECS takes action ROLLBACK)")
		}
		for _, w := range want {
			if !strings.Contains(res.Summary, w) {
				t.Errorf("summary: want %q in it, have:\n%s", w, res.Summary)
			}
		}
		return res
	}
	decide := func(decision, arn string) actiontest.Result {
		return actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
			Action: "deploy-ecs",
			With:   map[string]string{"cluster": f.cluster, "decision": decision, "service-deployment-arn": arn, "timeout": "90s"},
			Env:    trafficEnv(ext.URL),
		})
	}

	first := pause("public.ecr.aws/nginx/nginx:1.28", true)
	arn := first.Outputs["service-deployment-arn"]
	res := decide("continue", arn)
	if res.Code != 0 || res.Outputs["status"] != "deployed" || res.Outputs["task-definition-arn"] != first.Outputs["task-definition-arn"] {
		t.Errorf("continue: want exit 0, status deployed of %s, have %d %v\n%s", first.Outputs["task-definition-arn"], res.Code, res.Outputs, res.Stderr)
	}
	if st := ext.Status(arn); st != "SUCCESSFUL" {
		t.Errorf("service deployment after continue: want SUCCESSFUL, have %s", st)
	}
	if !strings.Contains(res.Stderr, "service deployment successful") || !strings.Contains(res.Summary, "| POST_TEST_TRAFFIC_SHIFT |") {
		t.Errorf("continue: want the success logged and the timeline in the summary, have:\n%s\n%s", res.Stderr, res.Summary)
	}

	second := pause("public.ecr.aws/nginx/nginx:1.29", false)
	arn2 := second.Outputs["service-deployment-arn"]
	res = decide("rollback", arn2)
	if res.Code != 0 || res.Outputs["status"] != "rolled-back" {
		t.Errorf("rollback: want exit 0 and status rolled-back, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	if st := ext.Status(arn2); st != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("service deployment after rollback: want ROLLBACK_SUCCESSFUL, have %s", st)
	}
	wantCalls(t, ext, map[string]int{"UpdateService": 2, "ContinueServiceDeployment": 2, "StopServiceDeployment": 0})
	noRefusals(t, ext)
}

// TestDeployECSNativeFailures: a service already on BLUE_GREEN (no input
// changes its strategy) whose deployment times out in the bake time is
// stopped with ECS's rollback, once, and never updated again; one whose
// alarm fires in the bake time is rolled back by ECS itself.
func TestDeployECSNativeFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, failAt, bake, timeout string
		stops                       int
		stderr                      []string
	}{
		{name: "timeout", bake: "600", timeout: "4s", stops: 1,
			stderr: []string{"the timeout ends before ECS's bake time does", "the bake time counts toward the timeout", "rolling back through ECS"}},
		{name: "alarm in bake", failAt: "BAKE_TIME", bake: "20", timeout: "90s", stops: 0,
			stderr: []string{"CloudWatch alarm fired during BAKE_TIME", "rolled back to the previous task definition by ECS"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			endpoint := moto.ForTest(t)
			ext := ecsdeploytest.New(t, endpoint, ecsdeploytest.Options{FailAt: tt.failAt})
			f := newECSFixture(t, endpoint)
			lb := elbtest.New(t, endpoint)
			nativeService(t, f, lb, ext, "bg", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":`+tt.bake+`,"maximumPercent":200}`)
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
				Action: "deploy-ecs",
				With:   map[string]string{"cluster": f.cluster, "service": "bg", "timeout": tt.timeout, "images": "web=public.ecr.aws/nginx/nginx:1.28"},
				Env:    trafficEnv(ext.URL),
			})
			if res.Code != 1 || res.Outputs["status"] != "rolled-back" {
				t.Errorf("want exit 1 and status rolled-back, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("log: want %q in it, have:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stderr, "deployment configuration") {
				t.Errorf("the deploy changed the deployment configuration:\n%s", res.Stderr)
			}
			if have := ext.Calls("StopServiceDeployment"); have != tt.stops {
				t.Errorf("StopServiceDeployment calls: want %d, have %d", tt.stops, have)
			}
			if have := ext.Calls("UpdateService"); have != 1 {
				t.Errorf("UpdateService calls: want 1 (the deploy; no rollback by update), have %d", have)
			}
			if st := ext.Status(res.Outputs["service-deployment-arn"]); st != "ROLLBACK_SUCCESSFUL" {
				t.Errorf("service deployment: want ROLLBACK_SUCCESSFUL, have %q", st)
			}
			noRefusals(t, ext)
		})
	}
}

// TestDeployECSNativeDryRun shows the deployment configuration change a
// deploy would make, and makes none.
func TestDeployECSNativeDryRun(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	ext := ecsdeploytest.New(t, endpoint, ecsdeploytest.Options{})
	f := newECSFixture(t, endpoint)
	lb := elbtest.New(t, endpoint)
	nativeService(t, f, lb, ext, "canary", `{"strategy":"ROLLING","maximumPercent":200}`)
	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
		Action: "deploy-ecs",
		With: map[string]string{"cluster": f.cluster, "service": "canary", "dry-run": "true",
			"ecs-strategy": "canary", "canary-percent": "10", "canary-bake-time": "5m", "ecs-bake-time": "8m"},
		Env: trafficEnv(ext.URL),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	for _, w := range []string{"Deployment configuration changes (strategy then CANARY)", "- strategy: ROLLING → CANARY",
		"- bakeTimeInMinutes: (unset) → 8", "- canaryConfiguration.canaryPercent: (unset) → 10", "- canaryConfiguration.canaryBakeTimeInMinutes: (unset) → 5"} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary: want %q in it, have:\n%s", w, res.Summary)
		}
	}
	if n := ext.Calls("UpdateService"); n != 0 {
		t.Errorf("UpdateService calls on a dry run: %d", n)
	}
}
