package ecs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/pkg/codedeploy"
	"github.com/ferry-ci/ferry/pkg/taskdef"
)

// Strategy is how a [Plan] reaches its services.
type Strategy string

const (
	// Rolling updates the services in place ([Deployer.Deploy]).
	Rolling Strategy = "rolling"
	// BlueGreenWeights deploys to the idle one of a pair of services and
	// walks ALB weights to it ([Deployer.DeployBlueGreen]).
	BlueGreenWeights Strategy = "blue-green"
	// CodeDeploy hands the new revision of the one service to a
	// CodeDeploy deployment group, which runs its own blue/green.
	CodeDeploy Strategy = "codedeploy"
)

// Plan is one deploy, complete before the first AWS call: what to render,
// where it goes and how. [Deployer.Run] carries it out.
type Plan struct {
	Strategy Strategy
	Cluster  string
	// Services are the services to update (Rolling) or the one service
	// of a CodeDeploy deployment group (CodeDeploy). BlueGreenWeights
	// uses BlueGreen instead.
	Services []string
	// TaskDefinitionFile is a task definition JSON file to render from;
	// TaskDefinitionRef an existing family, family:revision or ARN. With
	// neither, each service's current task definition is the base.
	TaskDefinitionFile, TaskDefinitionRef string
	Overrides                             taskdef.Overrides
	// DesiredCount and ForceNewDeployment apply to every update.
	DesiredCount       *int32
	ForceNewDeployment bool
	// Options are the wait, rollback and fail-fast rules of the updates.
	Options Options
	// Native is what changes in each service's deploymentConfiguration
	// (Rolling): ECS's own strategy, bake time, hooks. Services whose
	// strategy is then not ROLLING are followed through ECS's service
	// deployments.
	Native Native
	// Decision, when set, is the whole plan: continue or roll back a
	// paused service deployment ([Deployer.Decide]); nothing is rendered
	// or registered.
	Decision *Decision
	// OneOff, when set, runs once with the new revision before any
	// service changes (Rolling and CodeDeploy); its Cluster,
	// TaskDefinition and NetworkFrom are filled in by Run.
	OneOff *OneOff
	// BlueGreen is the pair of BlueGreenWeights; Traffic.Steps walk
	// toward green.
	BlueGreen BlueGreen
	// CodeDeploy is the deployment group of CodeDeploy; its Container and
	// ContainerPort may be empty (see [codedeploy.Request.For]), its
	// TaskDefinition and Description are filled in by Run.
	CodeDeploy codedeploy.Request
	// DryRun renders and describes but registers and changes nothing.
	DryRun bool
}

// Registry describes and registers task definitions; *taskdef.Registrar
// satisfies it.
type Registry interface {
	Describe(ctx context.Context, ref string) (*awsecs.RegisterTaskDefinitionInput, string, error)
	Register(ctx context.Context, rendered *awsecs.RegisterTaskDefinitionInput) (arn string, reused bool, err error)
}

var _ Registry = (*taskdef.Registrar)(nil)

// CodeDeployer runs CodeDeploy deployments; *codedeploy.Deployer
// satisfies it.
type CodeDeployer interface {
	Deploy(ctx context.Context, r codedeploy.Request) (codedeploy.Result, error)
}

var _ CodeDeployer = (*codedeploy.Deployer)(nil)

// Env is what [Deployer.Run] acts through besides ECS. Switch is needed by
// BlueGreenWeights, CodeDeploy by the CodeDeploy strategy.
type Env struct {
	Registry   Registry
	Switch     Switch
	CodeDeploy CodeDeployer
	// TestURL, when set, gives the URL a test listener rule answers at;
	// Run asks it for a deployment that paused.
	TestURL func(ctx context.Context, listenerRule string) (string, error)
	// Phase, when set, is called as each phase starts (e.g. "Register")
	// and the function it returns as it ends; a CI runtime opens a log
	// group.
	Phase func(title string) (end func())
}

func (e Env) phase(title string) func() {
	if e.Phase == nil {
		return func() {}
	}
	return e.Phase(title)
}

// Rendered is one service's task definition, ready to register.
type Rendered struct {
	Service string
	// Current is the task definition the service runs.
	Current string
	// Running is Current's content: described when it was the base, or
	// on a dry run; else nil.
	Running *awsecs.RegisterTaskDefinitionInput
	// TaskDefinition is what was rendered; ARN and Reused tell how it was
	// registered.
	TaskDefinition *awsecs.RegisterTaskDefinitionInput
	ARN            string
	Reused         bool
	// Strategy is the service's deployment strategy once the plan's
	// Native is applied, ConfigChanges what that changes (one line each).
	Strategy      types.DeploymentStrategy
	ConfigChanges []string
}

// Diff is the unified diff from what the service runs to what was
// rendered, "" when they are equal (Running must be set, as on a dry run).
func (r Rendered) Diff() (string, error) {
	return taskdef.DiffNamed(r.Running, r.TaskDefinition, Revision(r.Current)+" (running)", "rendered")
}

// Report is what [Deployer.Run] did, whether or not it succeeded.
type Report struct {
	// Rendered holds one entry per service (BlueGreenWeights: the live
	// service, whose task definition the idle one gets).
	Rendered []Rendered
	// Side is where a BlueGreenWeights deploy went.
	Side BlueGreenPlan
	// Outcomes are the services' outcomes (one for BlueGreenWeights and
	// CodeDeploy); empty when Run stopped before any service changed.
	Outcomes []Outcome
	// Status is StatusFailed when the one-off task failed (the error is
	// its own), else "".
	Status Status
	// CodeDeploy is CodeDeploy's result.
	CodeDeploy codedeploy.Result
}

// CodeDeployTargetError: the CodeDeploy container or port of a [Plan]
// does not fit the rendered task definition.
type CodeDeployTargetError struct{ Err error }

func (e *CodeDeployTargetError) Error() string { return e.Err.Error() }
func (e *CodeDeployTargetError) Unwrap() error { return e.Err }

// Run carries out p: it renders every task definition before the first
// change (an unknown container in p.Overrides is
// [taskdef.ErrUnknownContainer]), then, unless p.DryRun, registers them,
// runs the one-off task and deploys with p.Strategy. A dry run returns
// the renders with Running filled in and changes nothing.
func (d *Deployer) Run(ctx context.Context, p Plan, env Env) (Report, error) {
	var rep Report
	if p.Decision != nil {
		end := env.phase("Decide: " + string(p.Decision.Action) + " " + p.Decision.ServiceDeployment)
		out, err := d.Decide(ctx, *p.Decision, p.Options)
		end()
		rep.Outcomes = []Outcome{out}
		return rep, err
	}
	services, title := p.Services, "Task definitions"
	if p.Strategy == BlueGreenWeights {
		side, err := PlanBlueGreen(ctx, env.Switch, p.BlueGreen)
		if err != nil {
			return rep, err
		}
		d.log.Info("blue/green", "live", side.Live, "idle", side.Idle, "traffic", side.Start.String())
		rep.Side = side
		// The new revision starts from what the live service runs,
		// unless a task definition is given.
		services, title = []string{side.Live}, "Task definition for "+side.Idle
	}
	end := env.phase(title)
	renders, err := d.render(ctx, env.Registry, p, services)
	end()
	rep.Rendered = renders
	if err != nil {
		return rep, err
	}
	if p.DryRun {
		for i := range rep.Rendered {
			r := &rep.Rendered[i]
			if r.Running == nil {
				if r.Running, _, err = env.Registry.Describe(ctx, r.Current); err != nil {
					return rep, fmt.Errorf("service %q: %w", r.Service, err)
				}
			}
		}
		return rep, nil
	}

	end = func() {}
	if p.Strategy != BlueGreenWeights {
		end = env.phase("Register")
	}
	for i := range rep.Rendered {
		r := &rep.Rendered[i]
		if r.ARN, r.Reused, err = env.Registry.Register(ctx, r.TaskDefinition); err != nil {
			end()
			return rep, err
		}
		if p.Strategy == BlueGreenWeights {
			d.log.Info("task definition", "arn", r.ARN, "reused", r.Reused)
		} else {
			d.log.Info("task definition", "service", r.Service, "arn", r.ARN, "reused", r.Reused)
		}
	}
	end()

	if p.OneOff != nil {
		t := *p.OneOff
		t.Cluster, t.TaskDefinition, t.NetworkFrom = p.Cluster, rep.Rendered[0].ARN, rep.Rendered[0].Service
		end = env.phase("One-off task")
		res, err := d.RunTask(ctx, t)
		end()
		if err != nil {
			rep.Status = StatusFailed
			return rep, err
		}
		d.log.Info("one-off task finished", "task", res.TaskARN, "container", res.Container, "exit_code", res.ExitCode)
	}

	switch p.Strategy {
	case CodeDeploy:
		return d.runCodeDeploy(ctx, p, env, rep)
	case BlueGreenWeights:
		end = env.phase("Deploy " + rep.Side.Idle + " (no traffic), then move the traffic to it")
		res, err := d.DeployBlueGreen(ctx, env.Switch, BlueGreenRequest{Pair: p.BlueGreen, Plan: rep.Side,
			TaskDefinition: rep.Rendered[0].ARN, DesiredCount: p.DesiredCount, ForceNewDeployment: p.ForceNewDeployment, Options: p.Options})
		end()
		rep.Outcomes = []Outcome{res.Outcome}
		return rep, err
	}
	updates := make([]Service, len(rep.Rendered))
	for i, r := range rep.Rendered {
		updates[i] = Service{Cluster: p.Cluster, Name: r.Service, TaskDefinition: r.ARN, DesiredCount: p.DesiredCount, ForceNewDeployment: p.ForceNewDeployment, Native: p.Native}
	}
	end = env.phase("Deploy " + strings.Join(p.Services, ", "))
	rep.Outcomes, err = d.Deploy(ctx, updates, p.Options)
	end()
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		if o.Paused == nil || o.TestListenerRule == "" || env.TestURL == nil {
			continue
		}
		url, uerr := env.TestURL(ctx, o.TestListenerRule)
		if uerr != nil {
			// The deployment is paused all the same; the URL is a help.
			d.log.Warn("no test URL", "service", o.Service, "test_listener_rule", o.TestListenerRule, "error", uerr.Error())
			continue
		}
		o.TestURL = url
	}
	return rep, err
}

// runCodeDeploy hands the registered revision to CodeDeploy and waits.
func (d *Deployer) runCodeDeploy(ctx context.Context, p Plan, env Env, rep Report) (Report, error) {
	r := rep.Rendered[0]
	req := p.CodeDeploy.For(r.TaskDefinition)
	req.TaskDefinition = r.ARN
	req.Description = "ferry deploy-ecs " + Revision(r.ARN)
	if _, err := codedeploy.AppSpec(req); err != nil {
		return rep, &CodeDeployTargetError{Err: err}
	}
	end := env.phase("CodeDeploy " + req.Application + "/" + req.DeploymentGroup)
	res, err := env.CodeDeploy.Deploy(ctx, req)
	end()
	status := StatusDeployed
	switch {
	case err != nil && res.RolledBack:
		status = StatusRolledBack
	case err != nil:
		status = StatusFailed
	}
	rep.CodeDeploy = res
	rep.Outcomes = []Outcome{{Service: r.Service, Cluster: p.Cluster, Previous: r.Current, Deployed: r.ARN, Status: status, DeploymentID: res.DeploymentID, Err: err}}
	return rep, err
}

// render resolves each service's base task definition (p's file or ref,
// or what the service runs) and renders p.Overrides into it.
func (d *Deployer) render(ctx context.Context, reg Registry, p Plan, services []string) ([]Rendered, error) {
	out, err := d.api.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(p.Cluster), Services: services})
	if err != nil {
		return nil, fmt.Errorf("describing services %q in cluster %q: %w", services, p.Cluster, err)
	}
	current := map[string]string{}
	described := map[string]*types.Service{}
	for i, s := range out.Services {
		current[aws.ToString(s.ServiceName)] = aws.ToString(s.TaskDefinition)
		described[aws.ToString(s.ServiceName)] = &out.Services[i]
	}
	var missing []string
	for _, name := range services {
		if _, ok := current[name]; !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cluster %q has no service %s", p.Cluster, strings.Join(missing, ", "))
	}

	var shared *awsecs.RegisterTaskDefinitionInput
	switch {
	case p.TaskDefinitionFile != "":
		data, err := os.ReadFile(p.TaskDefinitionFile)
		if err != nil {
			return nil, err
		}
		if shared, err = taskdef.Parse(data); err != nil {
			return nil, fmt.Errorf("task definition file %q: %w", filepath.Base(p.TaskDefinitionFile), err)
		}
	case p.TaskDefinitionRef != "":
		if shared, _, err = reg.Describe(ctx, p.TaskDefinitionRef); err != nil {
			return nil, err
		}
	}
	var renders []Rendered
	var errs []error
	for _, name := range services {
		r := Rendered{Service: name, Current: current[name]}
		if p.Strategy == Rolling {
			a, err := p.Native.apply(described[name])
			if err != nil {
				errs = append(errs, fmt.Errorf("service %q: %w", name, err))
				continue
			}
			r.Strategy, r.ConfigChanges = a.strategy(), a.changes
		}
		base := shared
		if base == nil {
			if base, _, err = reg.Describe(ctx, r.Current); err != nil {
				return nil, fmt.Errorf("service %q: %w", name, err)
			}
			r.Running = base
		}
		if r.TaskDefinition, err = taskdef.Render(base, p.Overrides); err != nil {
			errs = append(errs, fmt.Errorf("service %q: %w", name, err))
			continue
		}
		renders = append(renders, r)
	}
	return renders, errors.Join(errs...)
}

// Revision shortens a task definition ARN to family:revision.
func Revision(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
