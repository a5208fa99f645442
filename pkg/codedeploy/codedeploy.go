package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// api lists the CodeDeploy calls this package makes.
type api interface {
	CreateDeployment(ctx context.Context, in *cd.CreateDeploymentInput, optFns ...func(*cd.Options)) (*cd.CreateDeploymentOutput, error)
	GetDeployment(ctx context.Context, in *cd.GetDeploymentInput, optFns ...func(*cd.Options)) (*cd.GetDeploymentOutput, error)
}

var _ api = (*cd.Client)(nil)

// ErrDeploymentFailed is wrapped when CodeDeploy reports the deployment
// Failed or Stopped.
var ErrDeploymentFailed = errors.New("CodeDeploy deployment failed")

// Config tunes the waiting. Zero values mean 3s growing to 15s.
type Config struct {
	Logger           *slog.Logger
	PollMin, PollMax time.Duration
	Sleep            func(ctx context.Context, d time.Duration) error // nil: a timer that honours ctx
}

// Deployer creates CodeDeploy deployments and waits for them.
type Deployer struct {
	api              api
	log              *slog.Logger
	pollMin, pollMax time.Duration
	sleep            func(ctx context.Context, d time.Duration) error
}

// New returns a Deployer; client is a *codedeploy.Client in production.
func New(client api, c Config) *Deployer {
	d := &Deployer{api: client, log: c.Logger, pollMin: c.PollMin, pollMax: c.PollMax, sleep: c.Sleep}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.pollMin <= 0 {
		d.pollMin = 3 * time.Second
	}
	if d.pollMax < d.pollMin {
		d.pollMax = max(15*time.Second, d.pollMin)
	}
	if d.sleep == nil {
		d.sleep = func(ctx context.Context, dur time.Duration) error {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return d
}

// Request is one deployment.
type Request struct {
	Application, DeploymentGroup string
	TaskDefinition               string // ARN
	Container                    string // the container the load balancer sends traffic to
	ContainerPort                int32
	Description                  string
}

// For fills in r's Container and ContainerPort from td, the task
// definition deployed: with no Container, the first essential container
// with a port mapping; with no ContainerPort, that container's first
// container port. A Container td lacks stays as it is (and [AppSpec]
// then asks for a port).
func (r Request) For(td *ecs.RegisterTaskDefinitionInput) Request {
	if td == nil {
		return r
	}
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		if r.Container != "" && name != r.Container {
			continue
		}
		if r.Container == "" && (c.Essential == nil || *c.Essential) && len(c.PortMappings) > 0 {
			r.Container = name
		}
		if name == r.Container && r.ContainerPort == 0 && len(c.PortMappings) > 0 {
			r.ContainerPort = aws.ToInt32(c.PortMappings[0].ContainerPort)
		}
	}
	return r
}

// AppSpec renders the ECS AppSpec CodeDeploy takes as the revision.
func AppSpec(r Request) (string, error) {
	var problems []string
	if r.TaskDefinition == "" {
		problems = append(problems, "a task definition ARN")
	}
	if r.Container == "" {
		problems = append(problems, "a container name")
	}
	if r.ContainerPort <= 0 || r.ContainerPort > 65535 {
		problems = append(problems, fmt.Sprintf("a container port from 1 to 65535, not %d", r.ContainerPort))
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("AppSpec needs %s", strings.Join(problems, ", "))
	}
	type lb struct {
		ContainerName string `json:"ContainerName"`
		ContainerPort int32  `json:"ContainerPort"`
	}
	type props struct {
		TaskDefinition   string `json:"TaskDefinition"`
		LoadBalancerInfo lb     `json:"LoadBalancerInfo"`
	}
	type target struct {
		Type       string `json:"Type"`
		Properties props  `json:"Properties"`
	}
	spec := struct {
		Version   string              `json:"version"`
		Resources []map[string]target `json:"Resources"`
	}{
		Version: "0.0",
		Resources: []map[string]target{{"TargetService": {
			Type:       "AWS::ECS::Service",
			Properties: props{TaskDefinition: r.TaskDefinition, LoadBalancerInfo: lb{ContainerName: r.Container, ContainerPort: r.ContainerPort}},
		}}},
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	return string(b), err
}

// Result is how a deployment ended.
type Result struct {
	DeploymentID string
	Status       types.DeploymentStatus
	Error        string // CodeDeploy's error code and message, when it failed
	RolledBack   bool   // CodeDeploy rolled the deployment back
}

// Deploy creates the deployment and waits until CodeDeploy reports it
// Succeeded (nil error) or Failed or Stopped (an error wrapping
// [ErrDeploymentFailed] with CodeDeploy's reason). The wait ends with ctx.
func (d *Deployer) Deploy(ctx context.Context, r Request) (Result, error) {
	spec, err := AppSpec(r)
	if err != nil {
		return Result{}, err
	}
	out, err := d.api.CreateDeployment(ctx, &cd.CreateDeploymentInput{
		ApplicationName:     aws.String(r.Application),
		DeploymentGroupName: aws.String(r.DeploymentGroup),
		Description:         aws.String(r.Description),
		Revision: &types.RevisionLocation{
			RevisionType:   types.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &types.AppSpecContent{Content: aws.String(spec)},
		},
	})
	if err != nil {
		return Result{}, fmt.Errorf("creating a CodeDeploy deployment in application %q, group %q: %w", r.Application, r.DeploymentGroup, err)
	}
	res := Result{DeploymentID: aws.ToString(out.DeploymentId)}
	d.log.Info("CodeDeploy deployment created", "deployment", res.DeploymentID, "application", r.Application, "group", r.DeploymentGroup)
	delay := d.pollMin
	var last types.DeploymentStatus
	for {
		got, err := d.api.GetDeployment(ctx, &cd.GetDeploymentInput{DeploymentId: out.DeploymentId})
		if err != nil {
			return res, fmt.Errorf("reading CodeDeploy deployment %q: %w", res.DeploymentID, err)
		}
		info := got.DeploymentInfo
		if info == nil {
			return res, fmt.Errorf("reading CodeDeploy deployment %q: no deployment info", res.DeploymentID)
		}
		res.Status = info.Status
		if res.Status != last {
			d.log.Info("CodeDeploy deployment", "deployment", res.DeploymentID, "status", string(res.Status))
			last = res.Status
		}
		switch res.Status {
		case types.DeploymentStatusSucceeded:
			return res, nil
		case types.DeploymentStatusFailed, types.DeploymentStatusStopped:
			if e := info.ErrorInformation; e != nil {
				res.Error = strings.TrimSpace(string(e.Code) + ": " + aws.ToString(e.Message))
			}
			res.RolledBack = info.RollbackInfo != nil && info.RollbackInfo.RollbackDeploymentId != nil
			return res, fmt.Errorf("deployment %q %s: %s: %w", res.DeploymentID, strings.ToLower(string(res.Status)), res.Error, ErrDeploymentFailed)
		}
		if err := d.sleep(ctx, delay); err != nil {
			return res, fmt.Errorf("waiting for CodeDeploy deployment %q (status %s): %w", res.DeploymentID, res.Status, err)
		}
		delay = min(delay*3/2, d.pollMax)
	}
}
