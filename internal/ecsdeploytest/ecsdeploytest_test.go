package ecsdeploytest_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
)

// TestServiceDeployments reads a stood-in service deployment through the
// SDK: it pauses at its hook, refuses a continue with the wrong hook id,
// continues with the right one, and succeeds. Nothing here reaches the
// upstream.
func TestServiceDeployments(t *testing.T) {
	t.Parallel()
	s := ecsdeploytest.New(t, "http://127.0.0.1:1", ecsdeploytest.Options{Stage: 20 * time.Millisecond, Minute: 10 * time.Millisecond})
	if err := s.SetConfig("c", "web", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":2,"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"],"timeoutConfiguration":{"timeoutInMinutes":60,"action":"ROLLBACK"}}]}`); err != nil {
		t.Fatal(err)
	}
	c := awsecs.New(awsecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	ctx := context.Background()
	arn := s.Start("c", "web")
	var sd types.ServiceDeployment
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := c.DescribeServiceDeployments(ctx, &awsecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
		if err != nil {
			t.Fatal(err)
		}
		sd = out.ServiceDeployments[0]
		if len(sd.LifecycleHookDetails) > 0 || time.Now().After(deadline) {
			break
		}
	}
	h := sd.LifecycleHookDetails[0]
	if sd.Status != types.ServiceDeploymentStatusInProgress || sd.LifecycleStage != types.ServiceDeploymentLifecycleStagePostScaleUp ||
		h.Status != types.DeploymentLifecycleHookStatusAwaitingAction || h.TargetType != types.DeploymentLifecycleHookTargetTypePause || h.TimeoutAction != types.DeploymentLifecycleHookActionRollback {
		t.Fatalf("want IN_PROGRESS at POST_SCALE_UP, a PAUSE hook awaiting action, have %s at %s, %+v", sd.Status, sd.LifecycleStage, h)
	}
	if _, err := c.ContinueServiceDeployment(ctx, &awsecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String("other")}); err == nil {
		t.Error("a continue with another hook id was accepted")
	}
	if len(s.Refused()) != 1 {
		t.Errorf("refused: want the one continue, have %q", s.Refused())
	}
	if _, err := c.ContinueServiceDeployment(ctx, &awsecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: h.HookId}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.Status(arn) != "SUCCESSFUL"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("want SUCCESSFUL after the continue, have %s", s.Status(arn))
		}
	}
	list, err := c.ListServiceDeployments(ctx, &awsecs.ListServiceDeploymentsInput{Cluster: aws.String("c"), Service: aws.String("web")})
	if err != nil || len(list.ServiceDeployments) != 1 || aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn) != arn {
		t.Errorf("list: want the one deployment, have %+v (%v)", list, err)
	}
	if n := s.Calls("ContinueServiceDeployment"); n != 2 {
		t.Errorf("ContinueServiceDeployment calls: want 2, have %d", n)
	}
}
