package commands

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/pkg/ecs"
	"github.com/ferry-ci/ferry/pkg/s3sync"
)

// TestDeploySummaryGolden renders the job summary of a deploy where one of
// two services crash-looped and both were rolled back.
func TestDeploySummaryGolden(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	td := func(family string, rev int) string {
		return fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task-definition/%s:%d", family, rev)
	}
	container := func(name, image string) types.ContainerDefinition {
		return types.ContainerDefinition{Name: aws.String(name), Image: aws.String(image)}
	}
	renders := []ecs.Rendered{
		{Service: "web", TaskDefinition: &awsecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{container("web", "app/web@sha256:ab12"), container("log-router", "fluent-bit:3")}}},
		{Service: "worker", TaskDefinition: &awsecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{container("worker", "app/web@sha256:ab12")}}},
	}
	exit1 := int32(1)
	outcomes := []ecs.Outcome{
		{Service: "web", Previous: td("web", 41), Deployed: td("web", 42), Status: ecs.StatusRolledBack, Started: start, Finished: start.Add(3*time.Minute + 12*time.Second),
			Err: fmt.Errorf("service \"web\": 3 tasks of the new revision stopped: %w", errors.Join(ecs.ErrDeploymentFailed, ecs.ErrRolledBack)),
			Events: []types.ServiceEvent{
				{CreatedAt: aws.Time(start.Add(5 * time.Second)), Message: aws.String("(service web) has started 2 tasks: (task 1a2b) (task 3c4d).")},
				{CreatedAt: aws.Time(start.Add(70 * time.Second)), Message: aws.String("(service web) deregistered 1 targets in (target-group web-blue)")},
			},
			Stopped: []ecs.TaskFailure{{TaskARN: "arn:aws:ecs:eu-west-1:123456789012:task/prod/1a2b", StoppedReason: "Essential container in task exited",
				Containers: []ecs.ContainerExit{{Name: "web", ExitCode: &exit1, Reason: "panic: DATABASE_URL is not set"}, {Name: "log-router"}}}},
		},
		{Service: "worker", Previous: td("worker", 7), Deployed: td("worker", 8), Status: ecs.StatusRolledBack, Started: start, Finished: start.Add(2 * time.Minute),
			Err: fmt.Errorf("rolled back after service \"web\" failed: %w", ecs.ErrRolledBack)},
	}
	have := deploySummary(renders, outcomes)
	golden.Check(t, filepath.Join("testdata", "deploy-failure-summary.md"), []byte(have))
}

// TestSyncSummaryGolden renders the job summary of a sync whose upload
// failed after some writes, with more changed files than the summary
// lists.
func TestSyncSummaryGolden(t *testing.T) {
	t.Parallel()
	si := syncInputs{sync: s3sync.Options{Source: "/home/runner/work/site/dist", Bucket: "www-example", Prefix: "prod"}, distribution: "E2QWRUHAPOMQZL"}
	var res s3sync.Result
	for i := range 103 {
		c := s3sync.Change{Op: s3sync.OpUpload, Key: fmt.Sprintf("prod/assets/img-%03d.png", i), Reason: "new"}
		if i == 0 {
			c = s3sync.Change{Op: s3sync.OpUpdateMetadata, Key: "prod/fonts/inter.woff2", Reason: `cache-control none → "public, max-age=31536000, immutable"`}
		}
		res.Applied = append(res.Applied, c)
	}
	res.Uploaded, res.MetadataUpdated, res.Unchanged, res.BytesUploaded, res.DeletesSkipped = 102, 1, 4870, 3<<20+512<<10, 2
	paths := []string{"/assets/*", "/fonts/inter.woff2"}
	runErr := errors.New(`1 of 109 writes failed: uploading "dist/index.html" to s3://www-example/prod/index.html: AccessDenied`)
	have := syncSummary(si, "s3://www-example/prod/", res, paths, "I2J0I21PCUYOIK", runErr)
	golden.Check(t, filepath.Join("testdata", "sync-failure-summary.md"), []byte(have))
}

// TestNativeSummaryGolden renders the job summaries of a deploy to a
// service on ECS's BLUE_GREEN: one paused at the gate after its
// configuration changed, and one whose alarm fired in the bake time (ECS
// rolled back), with the stage timelines.
func TestNativeSummaryGolden(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	td := func(rev int) string {
		return fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:%d", rev)
	}
	sd := "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/Ezx1"
	span := func(stage string, at, d time.Duration) ecs.StageSpan {
		return ecs.StageSpan{Stage: stage, Started: start.Add(at), Duration: d}
	}
	renders := []ecs.Rendered{{Service: "web", TaskDefinition: &awsecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("app/web@sha256:ab12")}}}}}
	paused := ecs.Outcome{Service: "web", Previous: td(41), Deployed: td(42), Status: ecs.StatusPaused, Started: start, Finished: start.Add(2*time.Minute + 7*time.Second),
		Strategy: types.DeploymentStrategyBlueGreen, ServiceDeployment: sd,
		ConfigChanges: []string{"strategy: ROLLING → BLUE_GREEN", "bakeTimeInMinutes: (unset) → 60",
			"lifecycleHooks: + PAUSE at POST_TEST_TRAFFIC_SHIFT (after 120 minutes ECS takes action ROLLBACK)"},
		Timeline: []ecs.StageSpan{span("PRE_SCALE_UP", 2*time.Second, 5*time.Second), span("SCALE_UP", 7*time.Second, 65*time.Second),
			span("POST_SCALE_UP", 72*time.Second, 10*time.Second), span("TEST_TRAFFIC_SHIFT", 82*time.Second, 40*time.Second),
			span("POST_TEST_TRAFFIC_SHIFT", 122*time.Second, 0)},
		Paused:  &ecs.PausedHook{ID: "ecs-pause-e7tK9G", Stage: "POST_TEST_TRAFFIC_SHIFT", ExpiresAt: start.Add(122*time.Second + 2*time.Hour), TimeoutAction: "ROLLBACK"},
		TestURL: "http://prod-alb-123.eu-west-1.elb.amazonaws.com:8080/",
	}
	rolledBack := ecs.Outcome{Service: "web", Previous: td(41), Deployed: td(42), Status: ecs.StatusRolledBack, Started: start, Finished: start.Add(34 * time.Minute),
		Strategy: types.DeploymentStrategyBlueGreen, ServiceDeployment: sd,
		Err: fmt.Errorf(`service "web" in cluster "prod": %w: %w by ECS: service deployment %q ended ROLLBACK_SUCCESSFUL: CloudWatch alarm web-5xx fired`, ecs.ErrDeploymentFailed, ecs.ErrRolledBack, sd),
		Timeline: []ecs.StageSpan{span("POST_TEST_TRAFFIC_SHIFT", 0, 7*time.Second), span("PRODUCTION_TRAFFIC_SHIFT", 7*time.Second, 60*time.Second),
			span("POST_PRODUCTION_TRAFFIC_SHIFT", 67*time.Second, 5*time.Second), span("BAKE_TIME", 72*time.Second, 30*time.Minute),
			span("ROLLBACK_IN_PROGRESS", 30*time.Minute+72*time.Second, 150*time.Second)},
	}
	var have strings.Builder
	for _, o := range []ecs.Outcome{paused, rolledBack} {
		have.WriteString(deploySummary(renders, []ecs.Outcome{o}) + nativeSummary([]ecs.Outcome{o}) + "\n---\n\n")
	}
	golden.Check(t, filepath.Join("testdata", "deploy-native-summary.md"), []byte(have.String()))
}
