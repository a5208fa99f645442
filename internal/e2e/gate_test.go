package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
)

// gateCommand is the caller's gate-command; failing adds an exit 3.
func gateCommand(failing bool) string {
	cmd := `echo "gate-command sees TEST_URL=$TEST_URL"`
	if failing {
		cmd += " && exit 3"
	}
	return cmd
}

// withGate is the example caller with gate-command in its with:.
func withGate(t *testing.T, caller, command string) string {
	t.Helper()
	const anchor = "      test-command: go test ./examples/hello/...\n"
	if !strings.Contains(caller, anchor) {
		t.Fatalf("the example caller has no %q line to add gate-command after:\n%s", anchor, caller)
	}
	return strings.Replace(caller, anchor, anchor+"      gate-command: '"+command+"'\n", 1)
}

// nativeBlueGreen puts the stack's green service on ECS's BLUE_GREEN
// behind ext, as a service set up for it is: a test listener rule (a new
// /api/* rule on the stack's listener) and the alternate target group in
// its load balancer's advancedConfiguration (moto keeps what UpdateService
// gives), the strategy in ext (moto keeps no deploymentConfiguration). It
// returns the test URL the rule answers at.
func nativeBlueGreen(t *testing.T, s *stackEnv, ext *ecsdeploytest.Server) string {
	t.Helper()
	ctx := context.Background()
	rule, err := elb.NewFromConfig(s.AWS).CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: aws.String(s.Outputs["ListenerArn"]), Priority: aws.Int32(10),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*"}}},
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(s.Outputs["GreenTargetGroupArn"]), Weight: aws.Int32(100)}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := aws.ToString(rule.Rules[0].RuleArn)
	cluster, service := s.Outputs["ClusterName"], s.Outputs["GreenServiceName"]
	// The template's load balancer of the service (moto's CloudFormation
	// does not pass it on to the service), with ECS's blue/green settings.
	lb := ecstypes.LoadBalancer{ContainerName: aws.String("hello"), ContainerPort: aws.Int32(8080), TargetGroupArn: aws.String(s.Outputs["GreenTargetGroupArn"])}
	lb.AdvancedConfiguration = &ecstypes.AdvancedConfiguration{
		AlternateTargetGroupArn: aws.String(s.Outputs["BlueTargetGroupArn"]),
		ProductionListenerRule:  aws.String(ruleARN), TestListenerRule: aws.String(ruleARN),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/ecs-blue-green"),
	}
	if _, err := awsecs.NewFromConfig(s.AWS).UpdateService(ctx, &awsecs.UpdateServiceInput{
		Cluster: aws.String(cluster), Service: aws.String(service), LoadBalancers: []ecstypes.LoadBalancer{lb},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ext.SetConfig(cluster, service, `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1}`); err != nil {
		t.Fatal(err)
	}
	return s.Outputs["ServiceUrl"] + "api/"
}

// serviceDeployments lists the green service's service deployments as ECS
// (the stand-in) reports them, newest first.
func serviceDeployments(t *testing.T, s *stackEnv, ext *ecsdeploytest.Server) []ecstypes.ServiceDeploymentBrief {
	t.Helper()
	cfg := s.AWS.Copy()
	cfg.BaseEndpoint = aws.String(ext.URL)
	out, err := awsecs.NewFromConfig(cfg).ListServiceDeployments(context.Background(), &awsecs.ListServiceDeploymentsInput{
		Cluster: aws.String(s.Outputs["ClusterName"]), Service: aws.String(s.Outputs["GreenServiceName"]),
	})
	if err != nil {
		t.Fatal(err)
	}
	list := out.ServiceDeployments
	slices.SortFunc(list, func(a, b ecstypes.ServiceDeploymentBrief) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	return list
}

// TestGitHubFlowGate runs examples/workflows/github-flow.yml with
// gate-command added by the caller, on a stack whose green service (the
// one ECS_SERVICES names) is on ECS's BLUE_GREEN: the ferry steps' ECS
// calls go to an ecsdeploytest stand-in in front of the stack's moto
// (AWS_ENDPOINT_URL_ECS, which the SDK honours; everything else goes to
// moto). A push to main: staging's deploy pauses after the test traffic
// shift, the gate command sees the test listener's URL, the deployment is
// continued and ends SUCCESSFUL. A second push whose gate command fails:
// the deployment is rolled back through ECS and the workflow fails before
// production.
func TestGitHubFlowGate(t *testing.T) {
	f := newFlowRig(t, "main", "github-flow.yml")
	s, dir := f.s, f.dir
	// A stand-in minute lasts 5s: the flows' pause-timeout of 1h leaves
	// the gate and decision steps (containers on a busy machine) 5 minutes
	// before ECS's own timeout would roll the deployment back; the bake
	// time (1 minute) lasts 5s.
	ext := ecsdeploytest.New(t, s.Moto.Endpoint, ecsdeploytest.Options{Minute: 5 * time.Second})
	testURL := nativeBlueGreen(t, s, ext)
	f.env["AWS_ENDPOINT_URL_ECS"] = ext.URL
	caller := readRepoFile(t, f.r, "examples/workflows/github-flow.yml")
	commitFiles(t, dir, map[string]string{".github/workflows/flow.yml": withGate(t, caller, gateCommand(false))}, "gate")

	t.Run("gate passes", func(t *testing.T) {
		res := f.r.act(t, actRun{dir: dir, event: "push", payload: pushPayload("main"), workflow: ".github/workflows/flow.yml",
			vars: f.vars, secrets: f.secrets, env: f.env, timeout: 12 * time.Minute})
		res.mustSucceed(t)
		res.mustNotLeak(t, appToken, s.oidc.Token)
		if !strings.Contains(res.log, "service deployment paused") {
			t.Errorf("the deploy step did not pause:\n%s", tailLines(res.log, 150))
		}
		if want := "gate-command sees TEST_URL=" + testURL; !strings.Contains(res.log, want) {
			t.Errorf("want %q in the log:\n%s", want, tailLines(res.log, 150))
		}
		sds := serviceDeployments(t, s, ext)
		if len(sds) == 0 || sds[0].Status != ecstypes.ServiceDeploymentStatusSuccessful {
			t.Fatalf("service deployments: want the newest SUCCESSFUL, have %+v", sds)
		}
		t.Logf("service deployments %d, newest %s %s; calls: UpdateService %d, ContinueServiceDeployment %d",
			len(sds), aws.ToString(sds[0].ServiceDeploymentArn), sds[0].Status, ext.Calls("UpdateService"), ext.Calls("ContinueServiceDeployment"))
		if n := ext.Calls("ContinueServiceDeployment"); n != len(sds) {
			t.Errorf("ContinueServiceDeployment calls: want one per service deployment (%d), have %d", len(sds), n)
		}
		_, image := running(t, s)
		inRegistry(t, s, image)
	})
	if t.Failed() {
		return
	}

	updates := ext.Calls("UpdateService")
	commitFiles(t, dir, map[string]string{
		".github/workflows/flow.yml": withGate(t, caller, gateCommand(true)),
		"examples/hello/VERSION":     "v2\n", // a new image, a new revision
	}, "failing gate")
	t.Run("gate fails", func(t *testing.T) {
		res := f.r.act(t, actRun{dir: dir, event: "push", payload: pushPayload("main"), workflow: ".github/workflows/flow.yml",
			vars: f.vars, secrets: f.secrets, env: f.env, timeout: 12 * time.Minute})
		if res.err == nil {
			t.Fatalf("act: want the workflow to fail, have success:\n%s", tailLines(res.log, 150))
		}
		if strings.Contains(res.err.Error(), "inputs GitHub would not pass") || strings.Contains(res.err.Error(), "did not finish") {
			t.Fatalf("act: %v", res.err)
		}
		if want := "gate-command sees TEST_URL=" + testURL; !strings.Contains(res.log, want) {
			t.Errorf("want %q in the log:\n%s", want, tailLines(res.log, 150))
		}
		sds := serviceDeployments(t, s, ext)
		if len(sds) == 0 || sds[0].Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful {
			t.Fatalf("service deployments: want the newest ROLLBACK_SUCCESSFUL, have %+v", sds)
		}
		if strings.Contains(res.log, "[production/") {
			t.Errorf("production ran after a failed gate:\n%s", tailLines(res.log, 150))
		}
		if n := ext.Calls("UpdateService") - updates; n != 1 {
			t.Errorf("UpdateService calls in the failing run: want 1 (staging; production never starts), have %d", n)
		}
		if n := ext.Calls("StopServiceDeployment"); n != 0 {
			t.Errorf("StopServiceDeployment calls: want 0 (the decision step rolls back at the hook), have %d", n)
		}
	})
	if r := ext.Refused(); len(r) > 0 {
		t.Errorf("calls the stand-in refused: %q", r)
	}
}
