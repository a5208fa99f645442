package codedeploy_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/pkg/codedeploy"
)

// fake is CodeDeploy as far as a deployment goes (moto keeps every
// deployment at Created). It walks a script of statuses, one per
// GetDeployment, and fails the test on anything it does not expect.
type fake struct {
	t        *testing.T
	statuses []types.DeploymentStatus
	failure  *types.ErrorInformation
	created  *cd.CreateDeploymentInput
	gets     int
}

func (f *fake) CreateDeployment(_ context.Context, in *cd.CreateDeploymentInput, _ ...func(*cd.Options)) (*cd.CreateDeploymentOutput, error) {
	if f.created != nil {
		f.t.Error("CreateDeployment called twice")
	}
	f.created = in
	return &cd.CreateDeploymentOutput{DeploymentId: aws.String("d-TEST123")}, nil
}

func (f *fake) GetDeployment(_ context.Context, in *cd.GetDeploymentInput, _ ...func(*cd.Options)) (*cd.GetDeploymentOutput, error) {
	if aws.ToString(in.DeploymentId) != "d-TEST123" {
		f.t.Errorf("GetDeployment(%q): unknown deployment", aws.ToString(in.DeploymentId))
	}
	if f.gets >= len(f.statuses) {
		f.t.Fatalf("GetDeployment called %d times; the script has %d statuses", f.gets+1, len(f.statuses))
	}
	info := &types.DeploymentInfo{DeploymentId: in.DeploymentId, Status: f.statuses[f.gets]}
	f.gets++
	if info.Status == types.DeploymentStatusFailed {
		info.ErrorInformation = f.failure
		info.RollbackInfo = &types.RollbackInfo{RollbackDeploymentId: aws.String("d-ROLLBACK")}
	}
	return &cd.GetDeploymentOutput{DeploymentInfo: info}, nil
}

var request = codedeploy.Request{
	Application: "web", DeploymentGroup: "web-prod", Container: "web", ContainerPort: 8080,
	TaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42", Description: "ferry deploy-ecs",
}

func TestAppSpecGolden(t *testing.T) {
	t.Parallel()
	have, err := codedeploy.AppSpec(request)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "appspec.json"), []byte(have+"\n"))
	if _, err := codedeploy.AppSpec(codedeploy.Request{ContainerPort: 70000}); err == nil || !strings.Contains(err.Error(), "a task definition ARN, a container name, a container port from 1 to 65535, not 70000") {
		t.Errorf("incomplete request: want every missing part named, have %v", err)
	}
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		statuses   []types.DeploymentStatus
		wantErr    bool
		wantStatus types.DeploymentStatus
	}{
		{"succeeds", []types.DeploymentStatus{types.DeploymentStatusCreated, types.DeploymentStatusInProgress, types.DeploymentStatusBaking, types.DeploymentStatusSucceeded}, false, types.DeploymentStatusSucceeded},
		{"fails", []types.DeploymentStatus{types.DeploymentStatusInProgress, types.DeploymentStatusFailed}, true, types.DeploymentStatusFailed},
		{"stopped", []types.DeploymentStatus{types.DeploymentStatusQueued, types.DeploymentStatusStopped}, true, types.DeploymentStatusStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{t: t, statuses: tt.statuses, failure: &types.ErrorInformation{Code: types.ErrorCodeHealthConstraints, Message: aws.String("the new tasks failed the health checks")}}
			var slept []time.Duration
			d := codedeploy.New(f, codedeploy.Config{Sleep: func(_ context.Context, dur time.Duration) error { slept = append(slept, dur); return nil }})
			res, err := d.Deploy(context.Background(), request)
			if (err != nil) != tt.wantErr || res.Status != tt.wantStatus || res.DeploymentID != "d-TEST123" {
				t.Fatalf("want status %s (error %v), have %s, %v", tt.wantStatus, tt.wantErr, res.Status, err)
			}
			if f.gets != len(tt.statuses) {
				t.Errorf("GetDeployment calls: want %d, have %d", len(tt.statuses), f.gets)
			}
			if len(slept) != len(tt.statuses)-1 || (len(slept) > 1 && slept[1] <= slept[0]) {
				t.Errorf("waits: want %d growing delays, have %v", len(tt.statuses)-1, slept)
			}
			if got := aws.ToString(f.created.Revision.AppSpecContent.Content); !strings.Contains(got, request.TaskDefinition) {
				t.Errorf("the revision does not name the task definition:\n%s", got)
			}
			if tt.name == "fails" {
				if !errors.Is(err, codedeploy.ErrDeploymentFailed) || !strings.Contains(err.Error(), "HEALTH_CONSTRAINTS: the new tasks failed the health checks") || !res.RolledBack {
					t.Errorf("failure: want ErrDeploymentFailed with CodeDeploy's reason and the rollback noted, have %v %+v", err, res)
				}
			}
		})
	}
}

func TestDeployHonoursTheDeadline(t *testing.T) {
	t.Parallel()
	f := &fake{t: t, statuses: []types.DeploymentStatus{types.DeploymentStatusInProgress, types.DeploymentStatusInProgress}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	d := codedeploy.New(f, codedeploy.Config{PollMin: time.Second})
	_, err := d.Deploy(ctx, request)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "status InProgress") {
		t.Errorf("want the deadline with the last status, have %v", err)
	}
}
