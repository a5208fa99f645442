package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	codedeployapi "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/awsauth"
	"github.com/ferry-ci/ferry/pkg/codedeploy"
	"github.com/ferry-ci/ferry/pkg/ecs"
	"github.com/ferry-ci/ferry/pkg/taskdef"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func deployECS() Command {
	inputs := []action.Input{
		{Name: "cluster", Required: true, Description: "ECS cluster name or ARN."},
		{Name: "service", Kind: action.List, Description: "Services to deploy (rolling); several deploy in parallel and all-or-nothing: if one fails, all roll back."},
		{Name: "task-definition", Description: "A task definition JSON file (the output of aws ecs describe-task-definition, or a register input), or an existing family, family:revision or ARN. Default: each service's current one."},
		{Name: "images", Kind: action.Lines, Description: "Container images, one container=image per line, e.g. web=123456789012.dkr.ecr.eu-west-1.amazonaws.com/app/web@sha256:…"},
		{Name: "environment", Kind: action.Lines, Description: "Environment variables to set, one container:KEY=VALUE per line."},
		{Name: "secrets", Kind: action.Lines, Description: "Secrets to set, one container:KEY=VALUE_FROM per line: a Secrets Manager or SSM parameter ARN, or the name of an SSM parameter in the same region (/prod/db-password)."},
		{Name: "desired-count", Kind: action.Int, Description: "Set the services' desired count with the update."},
		{Name: "force-new-deployment", Kind: action.Bool, Default: "false", Description: "Start a new deployment even when the task definition is unchanged."},
		{Name: "wait", Kind: action.Bool, Default: "true", Description: "Wait until the rollout finishes (or fails)."},
		{Name: "rollback", Kind: action.Bool, Default: "true", Description: "On failure, update the services back to their previous task definitions and wait for that."},
		{Name: "max-failed-tasks", Kind: action.Int, Default: "3", Description: "Fail fast once this many tasks of the new revision have stopped."},
		{Name: "run-task", Kind: action.Bool, Default: "false", Description: "Run a one-off task of the new revision to completion before updating the services (e.g. migrations); a non-zero exit fails the deploy before any service changes."},
		{Name: "run-task-command", Description: "With run-task: the command, as a JSON array or words separated by spaces. Default: the container's own."},
		{Name: "run-task-container", Description: "With run-task: the container whose command is replaced and whose exit code decides. Default: the essential container."},
		{Name: "dry-run", Kind: action.Bool, Default: "false", Description: "Print the rendered task definition and its diff against the one each service runs; change nothing."},
		{Name: "strategy", Default: "rolling", Options: []string{"rolling", "blue-green"}, Description: "rolling updates the services in place; blue-green deploys to whichever of blue-service and green-service has no traffic, then shifts the listener to it."},
		{Name: "blue-service", Description: "Blue/green: the blue service (behind blue-target-group)."},
		{Name: "green-service", Description: "Blue/green: the green service (behind green-target-group)."},
		{Name: "listener-arn", Kind: action.List, Description: "Blue/green: the ALB listeners whose forward action moves between the target groups."},
		{Name: "blue-target-group", Description: "Blue/green: the blue target group, ARN or name."},
		{Name: "green-target-group", Description: "Blue/green: the green target group, ARN or name."},
		{Name: "traffic-steps", Kind: action.List, Default: "100", Description: "Blue/green: percentages of traffic moved to the new service, walked in order with bake-time between them, e.g. 10,50,100."},
		{Name: "bake-time", Kind: action.Duration, Default: "5m", Description: "Blue/green: how long each traffic step holds, watching the alarms."},
		{Name: "alarms", Kind: action.List, Description: "Blue/green: CloudWatch alarms checked before and during each traffic step; any in ALARM reverts the traffic and rolls back."},
		{Name: "codedeploy-application", Description: "For a service whose deployment controller is CodeDeploy: the CodeDeploy application (with codedeploy-deployment-group)."},
		{Name: "codedeploy-deployment-group", Description: "The CodeDeploy deployment group (with codedeploy-application)."},
		{Name: "codedeploy-container", Description: "With CodeDeploy: the container the load balancer sends traffic to. Default: the first essential container with a port mapping."},
		{Name: "codedeploy-container-port", Kind: action.Int, Description: "With CodeDeploy: its port. Default: that container's first container port."},
	}
	return Command{
		Spec: action.Spec{
			Name:        "deploy-ecs",
			Description: "Render and register an ECS task definition, update services, wait, fail fast with diagnostics and roll back.",
			Inputs:      append(append(inputs, awsInputs()...), timeoutInput("15m")),
			Outputs: []action.Output{
				{Name: "task-definition-arn", Description: "The task definition deployed (of the first service)."},
				{Name: "previous-task-definition-arn", Description: "The task definition the first service ran before."},
				{Name: "status", Description: "deployed, unchanged, rolled-back or failed."},
				{Name: "deployment-id", Description: "The ECS deployment of the first service, when ECS reported one."},
			},
		},
		Run: runDeployECS,
	}
}

// deployPlan is what deploy-ecs checked before its first AWS call.
type deployPlan struct {
	cluster    string
	services   []string
	file       string // a task definition file, or
	ref        string // an existing family, family:revision or ARN, or neither (each service's current)
	overrides  taskdef.Overrides
	desired    *int32
	command    []string
	blueGreen  *blueGreenPlan
	codeDeploy bool
}

// blueGreenPlan is the blue/green part of a deploy.
type blueGreenPlan struct {
	blue, green string // services
	traffic     traffic.Options
	percentages []traffic.Weights // toward green; mirrored when blue is the idle one
}

func planDeploy(rt *action.Runtime) deployPlan {
	in := rt.Inputs()
	p := deployPlan{cluster: in.String("cluster"), services: in.List("service")}
	bgInputs := []string{"blue-service", "green-service", "listener-arn", "blue-target-group", "green-target-group"}
	if in.IsSet("codedeploy-application") || in.IsSet("codedeploy-deployment-group") {
		p.codeDeploy = true
		for _, both := range []string{"codedeploy-application", "codedeploy-deployment-group"} {
			if !in.IsSet(both) {
				in.Problem(both, "codedeploy-application and codedeploy-deployment-group together", "only one of them")
			}
		}
		if in.String("strategy") == "blue-green" {
			in.Problem("strategy", "rolling with CodeDeploy (CodeDeploy runs its own blue/green)", "blue-green")
		}
		if n := len(in.List("service")); n != 1 {
			in.Problem("service", "exactly one service with CodeDeploy", fmt.Sprintf("%d", n))
		}
	} else {
		for _, only := range []string{"codedeploy-container", "codedeploy-container-port"} {
			if in.IsSet(only) {
				in.Problem(only, "codedeploy-application and codedeploy-deployment-group as well", "neither")
			}
		}
	}
	if in.String("strategy") == "blue-green" {
		var missing []string
		for _, name := range bgInputs {
			if !in.IsSet(name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			in.Problem(missing[0], "with strategy blue-green: "+strings.Join(bgInputs, ", "), "no "+strings.Join(missing, ", "))
		}
		if len(p.services) > 0 {
			in.Problem("service", "blue-service and green-service instead, with strategy blue-green", strings.Join(p.services, ", "))
		}
		if in.Bool("run-task") {
			in.Problem("run-task", "false with strategy blue-green (run the one-off task in a rolling step before it)", "true")
		}
		steps, err := traffic.StepsFromPercentages(in.List("traffic-steps"))
		if err != nil {
			in.Problem("traffic-steps", "percentages from 0 to 100, strictly increasing, ending at 100, e.g. 10,50,100", fmt.Sprintf("%s (%v)", action.Quote(strings.Join(in.List("traffic-steps"), ",")), err))
		} else if last := steps[len(steps)-1]; last.Blue != 0 {
			in.Problem("traffic-steps", "the last step at 100", strings.Join(in.List("traffic-steps"), ","))
		}
		checkBakeTime(in, "traffic-steps", len(steps))
		p.blueGreen = &blueGreenPlan{
			blue: in.String("blue-service"), green: in.String("green-service"), percentages: steps,
			traffic: traffic.Options{
				Listeners: in.List("listener-arn"), Blue: in.String("blue-target-group"), Green: in.String("green-target-group"),
				BakeTime: in.Duration("bake-time"), Alarms: in.List("alarms"), MinHealthyTargets: 1,
			},
		}
		p.services = nil
	} else {
		if len(p.services) == 0 {
			in.Problem("service", "one or more services (strategy rolling)", "none")
		}
		for _, name := range append(bgInputs, "alarms") {
			if in.IsSet(name) {
				in.Problem(name, "strategy: blue-green as well", "strategy rolling")
			}
		}
	}
	if td := in.String("task-definition"); td != "" {
		path := in.Path("task-definition")
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
			p.file = path
		} else if strings.HasSuffix(td, ".json") || strings.ContainsAny(td, `/\`) && !strings.HasPrefix(td, "arn:") {
			in.Problem("task-definition", "an existing file, or a family, family:revision or ARN", action.Quote(td)+" (no such file)")
		} else {
			p.ref = td
		}
	}
	var err error
	if p.overrides.Images, err = taskdef.ParseImages(in.Lines("images")); err != nil {
		in.AddFor("images", err)
	}
	if p.overrides.Environment, err = taskdef.ParseEnvironment(in.Lines("environment")); err != nil {
		in.AddFor("environment", err)
	}
	if p.overrides.Secrets, err = taskdef.ParseSecrets(in.Lines("secrets")); err != nil {
		in.AddFor("secrets", err)
	}
	if in.IsSet("desired-count") {
		n := in.Int("desired-count")
		if n < 0 || n > 5000 {
			in.Problem("desired-count", "0 to 5000", fmt.Sprint(n))
		}
		p.desired = aws.Int32(int32(n))
	}
	if n := in.Int("max-failed-tasks"); n < 1 {
		in.Problem("max-failed-tasks", "1 or more", fmt.Sprint(n))
	}
	if !in.Bool("run-task") {
		for _, only := range []string{"run-task-command", "run-task-container"} {
			if in.IsSet(only) {
				in.Problem(only, "run-task: true as well", "run-task false")
			}
		}
	}
	if p.command, err = splitCommand(in.String("run-task-command")); err != nil {
		in.Problem("run-task-command", `a JSON array such as ["migrate","up"] or words separated by spaces`, fmt.Sprintf("%s (%v)", action.Quote(in.String("run-task-command")), err))
	}
	return p
}

// rendered is one service's task definition, ready to register.
type rendered struct {
	service  string
	current  string                              // the task definition the service runs
	base     *awsecs.RegisterTaskDefinitionInput // what was rendered: a file, a ref, or current's
	running  *awsecs.RegisterTaskDefinitionInput // current's, when base is (else described by a dry run)
	rendered *awsecs.RegisterTaskDefinitionInput
	arn      string
	reused   bool
}

func runDeployECS(ctx context.Context, rt *action.Runtime, b Build) error {
	in := rt.Inputs()
	var plan deployPlan
	run, cancel, err := startAWS(ctx, rt, b, func() { plan = planDeploy(rt) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, timeout := run.ctx, run.cfg, run.timeout
	log := rt.Logger()
	client := awsecs.NewFromConfig(cfg)
	registrar := taskdef.NewRegistrar(client, log)
	if plan.blueGreen != nil {
		return runBlueGreen(ctx, rt, cfg, client, registrar, plan, timeout)
	}

	// Read and render everything before the first change.
	renders, err := render(ctx, rt, client, registrar, plan, "Task definitions", timeout)
	if err != nil {
		return err
	}
	if in.Bool("dry-run") {
		return dryRunDeploy(ctx, rt, registrar, renders, timeout)
	}

	end := rt.Group("Register")
	for i := range renders {
		r := &renders[i]
		if r.arn, r.reused, err = registrar.Register(ctx, r.rendered); err != nil {
			end()
			return timedOut(ctx, err, timeout)
		}
		log.Info("task definition", "service", r.service, "arn", r.arn, "reused", r.reused)
	}
	end()

	deployer := ecs.New(client, ecs.Config{Logger: log})
	if in.Bool("run-task") {
		end = rt.Group("One-off task")
		res, err := deployer.RunTask(ctx, ecs.OneOff{
			Cluster: plan.cluster, TaskDefinition: renders[0].arn, Container: in.String("run-task-container"),
			Command: plan.command, NetworkFrom: renders[0].service,
		})
		end()
		if err != nil {
			_ = rt.SetOutput("status", string(ecs.StatusFailed))
			return fmt.Errorf("one-off task before the deploy: %w", timedOut(ctx, err, timeout))
		}
		log.Info("one-off task finished", "task", res.TaskARN, "container", res.Container, "exit_code", res.ExitCode)
	}

	if plan.codeDeploy {
		return runCodeDeploy(ctx, rt, cfg, renders[0], timeout)
	}
	services := make([]ecs.Service, len(renders))
	for i, r := range renders {
		services[i] = ecs.Service{Cluster: plan.cluster, Name: r.service, TaskDefinition: r.arn, DesiredCount: plan.desired, ForceNewDeployment: in.Bool("force-new-deployment")}
	}
	end = rt.Group("Deploy " + strings.Join(plan.services, ", "))
	outcomes, deployErr := deployer.Deploy(ctx, services, ecs.Options{
		Wait: in.Bool("wait"), Rollback: in.Bool("rollback"), MaxFailedTasks: in.Int("max-failed-tasks"),
	})
	end()
	return reportDeploy(ctx, rt, renders, outcomes, deployErr, timeout)
}

// reportDeploy tells what a deploy did, whether or not it succeeded: the
// outputs from the first outcome, the failures (log and annotations) when
// err, and the job summary. It returns err, naming input timeout when the
// run's deadline ended it.
func reportDeploy(ctx context.Context, rt *action.Runtime, renders []rendered, outcomes []ecs.Outcome, err error, timeout time.Duration) error {
	if len(outcomes) > 0 {
		first := outcomes[0]
		if serr := setDeployOutputs(rt, first.Deployed, first.Previous, first.Status, first.DeploymentID); serr != nil {
			return errors.Join(err, serr)
		}
		if err != nil {
			reportFailures(rt, outcomes)
		}
		if serr := rt.Summary(deploySummary(renders, outcomes)); serr != nil {
			return errors.Join(err, serr)
		}
	}
	return timedOut(ctx, err, timeout)
}

// runBlueGreen deploys the new revision to the service that has no traffic,
// then shifts the listener to it. Any failure puts the traffic back where it
// was and rolls the idle service back to what it ran.
func runBlueGreen(ctx context.Context, rt *action.Runtime, cfg aws.Config, client *awsecs.Client, registrar *taskdef.Registrar, plan deployPlan, timeout time.Duration) error {
	in, log, bg := rt.Inputs(), rt.Logger(), plan.blueGreen
	sw := traffic.New(elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, awsauth.CloudWatchQuery), traffic.Config{Logger: log})
	pair := ecs.BlueGreen{Cluster: plan.cluster, Blue: bg.blue, Green: bg.green, Traffic: bg.traffic}
	pair.Traffic.Steps = bg.percentages
	side, err := ecs.PlanBlueGreen(ctx, sw, pair)
	switch {
	case errors.Is(err, traffic.ErrForwardMismatch):
		return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "blue-target-group" and "green-target-group": %w`, err))
	case err != nil:
		return timedOut(ctx, err, timeout)
	}
	log.Info("blue/green", "live", side.Live, "idle", side.Idle, "traffic", side.Start.String())

	// The new revision starts from what the live service runs, unless a
	// task definition is given.
	base := plan
	base.services = []string{side.Live}
	renders, err := render(ctx, rt, client, registrar, base, "Task definition for "+side.Idle, timeout)
	if err != nil {
		return err
	}
	if in.Bool("dry-run") {
		return dryRunDeploy(ctx, rt, registrar, renders, timeout)
	}
	arn, reused, err := registrar.Register(ctx, renders[0].rendered)
	if err != nil {
		return timedOut(ctx, err, timeout)
	}
	log.Info("task definition", "arn", arn, "reused", reused)

	deployer := ecs.New(client, ecs.Config{Logger: log})
	opts := ecs.Options{Rollback: in.Bool("rollback"), MaxFailedTasks: in.Int("max-failed-tasks")}
	end := rt.Group("Deploy " + side.Idle + " (no traffic), then move the traffic to it")
	res, err := deployer.DeployBlueGreen(ctx, sw, pair, side, arn, plan.desired, in.Bool("force-new-deployment"), opts)
	end()
	return reportDeploy(ctx, rt, renders, []ecs.Outcome{res.Outcome}, err, timeout)
}

// runCodeDeploy hands the registered revision to CodeDeploy and waits.
func runCodeDeploy(ctx context.Context, rt *action.Runtime, cfg aws.Config, r rendered, timeout time.Duration) error {
	in := rt.Inputs()
	req := codedeploy.Request{
		Application: in.String("codedeploy-application"), DeploymentGroup: in.String("codedeploy-deployment-group"),
		TaskDefinition: r.arn, Container: in.String("codedeploy-container"), ContainerPort: int32(in.Int("codedeploy-container-port")),
		Description: "ferry deploy-ecs " + revision(r.arn),
	}
	for _, c := range r.rendered.ContainerDefinitions {
		if req.Container != "" && aws.ToString(c.Name) != req.Container {
			continue
		}
		if req.Container == "" && (c.Essential == nil || *c.Essential) && len(c.PortMappings) > 0 {
			req.Container = aws.ToString(c.Name)
		}
		if aws.ToString(c.Name) == req.Container && req.ContainerPort == 0 && len(c.PortMappings) > 0 {
			req.ContainerPort = aws.ToInt32(c.PortMappings[0].ContainerPort)
		}
	}
	if _, err := codedeploy.AppSpec(req); err != nil {
		return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "codedeploy-container" and "codedeploy-container-port": %w`, err))
	}
	end := rt.Group("CodeDeploy " + req.Application + "/" + req.DeploymentGroup)
	res, err := codedeploy.New(codedeployapi.NewFromConfig(cfg), codedeploy.Config{Logger: rt.Logger()}).Deploy(ctx, req)
	end()
	status := ecs.StatusDeployed
	switch {
	case err != nil && res.RolledBack:
		status = ecs.StatusRolledBack
	case err != nil:
		status = ecs.StatusFailed
	}
	if serr := setDeployOutputs(rt, r.arn, r.current, status, res.DeploymentID); serr != nil {
		return errors.Join(err, serr)
	}
	summary := fmt.Sprintf("### ferry deploy-ecs (CodeDeploy)\n\n| Service | Revision | Deployment | Result |\n|---|---|---|---|\n| %s | %s → %s | `%s` | **%s** |\n", r.service, revision(r.current), revision(r.arn), res.DeploymentID, status)
	if res.Error != "" {
		summary += "\nCodeDeploy: " + res.Error + "\n"
	}
	if serr := rt.Summary(summary); serr != nil {
		return errors.Join(err, serr)
	}
	return timedOut(ctx, err, timeout)
}

// setDeployOutputs sets the four outputs of deploy-ecs.
func setDeployOutputs(rt *action.Runtime, deployed, previous string, status ecs.Status, deploymentID string) error {
	return rt.SetOutputs(
		[2]string{"task-definition-arn", deployed},
		[2]string{"previous-task-definition-arn", previous},
		[2]string{"status", string(status)},
		[2]string{"deployment-id", deploymentID},
	)
}

// render reads and renders the task definitions of p's services in a log
// group; a container the task definition lacks is an input error.
func render(ctx context.Context, rt *action.Runtime, client *awsecs.Client, registrar *taskdef.Registrar, p deployPlan, title string, timeout time.Duration) ([]rendered, error) {
	end := rt.Group(title)
	renders, err := renderAll(ctx, client, registrar, p)
	end()
	if errors.Is(err, taskdef.ErrUnknownContainer) {
		return nil, action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "images", "environment" and "secrets": %w`, err))
	}
	if err != nil {
		return nil, timedOut(ctx, err, timeout)
	}
	return renders, nil
}

// renderAll resolves each service's base task definition (the input, or
// what the service runs) and renders the overrides into it.
func renderAll(ctx context.Context, client *awsecs.Client, registrar *taskdef.Registrar, p deployPlan) ([]rendered, error) {
	out, err := client.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(p.cluster), Services: p.services})
	if err != nil {
		return nil, fmt.Errorf("describing services %q in cluster %q: %w", p.services, p.cluster, err)
	}
	current := map[string]string{}
	for _, s := range out.Services {
		current[aws.ToString(s.ServiceName)] = aws.ToString(s.TaskDefinition)
	}
	var missing []string
	for _, name := range p.services {
		if _, ok := current[name]; !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cluster %q has no service %s", p.cluster, strings.Join(missing, ", "))
	}

	var shared *awsecs.RegisterTaskDefinitionInput
	switch {
	case p.file != "":
		data, err := os.ReadFile(p.file)
		if err != nil {
			return nil, err
		}
		if shared, err = taskdef.Parse(data); err != nil {
			return nil, fmt.Errorf("task definition file %q: %w", filepath.Base(p.file), err)
		}
	case p.ref != "":
		if shared, _, err = registrar.Describe(ctx, p.ref); err != nil {
			return nil, err
		}
	}
	var renders []rendered
	var errs []error
	for _, name := range p.services {
		r := rendered{service: name, current: current[name], base: shared}
		if r.base == nil {
			if r.base, _, err = registrar.Describe(ctx, r.current); err != nil {
				return nil, fmt.Errorf("service %q: %w", name, err)
			}
			r.running = r.base
		}
		if r.rendered, err = taskdef.Render(r.base, p.overrides); err != nil {
			errs = append(errs, fmt.Errorf("service %q: %w", name, err))
			continue
		}
		renders = append(renders, r)
	}
	return renders, errors.Join(errs...)
}

// dryRunDeploy prints each rendered task definition and its diff against
// the one the service runs (described when the base was a file or a ref),
// and changes nothing.
func dryRunDeploy(ctx context.Context, rt *action.Runtime, registrar *taskdef.Registrar, renders []rendered, timeout time.Duration) error {
	var b strings.Builder
	b.WriteString("### ferry deploy-ecs (dry run: nothing changed)\n")
	for _, r := range renders {
		canon, err := taskdef.Canonical(r.rendered)
		if err != nil {
			return err
		}
		fmt.Fprintf(rt.Log(), "== service %s: rendered task definition\n%s\n", r.service, canon)
		fmt.Fprintf(&b, "\n#### %s\n\nNow running `%s`.\n", r.service, r.current)
		running := r.running
		if running == nil {
			if running, _, err = registrar.Describe(ctx, r.current); err != nil {
				return timedOut(ctx, fmt.Errorf("service %q: %w", r.service, err), timeout)
			}
		}
		diff, err := taskdef.DiffNamed(running, r.rendered, revision(r.current)+" (running)", "rendered")
		if err != nil {
			return err
		}
		if diff == "" {
			fmt.Fprintf(rt.Log(), "== service %s: no change to the task definition it runs (%s)\n", r.service, r.current)
			b.WriteString("\nNo change to the task definition it runs.\n")
		} else {
			fmt.Fprintf(rt.Log(), "== service %s: diff against %s (what it runs)\n%s\n", r.service, r.current, diff)
			fmt.Fprintf(&b, "\nDiff against what it runs:\n\n```diff\n%s\n```\n", diff)
		}
	}
	return rt.Summary(b.String())
}

// reportFailures puts the diagnostics of failed services in the log.
func reportFailures(rt *action.Runtime, outcomes []ecs.Outcome) {
	for _, o := range outcomes {
		if o.Err == nil {
			continue
		}
		end := rt.Group(fmt.Sprintf("Why %s failed", o.Service))
		for _, e := range o.Events {
			fmt.Fprintf(rt.Log(), "%s %s\n", aws.ToTime(e.CreatedAt).UTC().Format(time.RFC3339), aws.ToString(e.Message))
		}
		for _, f := range o.Stopped {
			fmt.Fprintf(rt.Log(), "%s\n", f)
		}
		end()
	}
}

func deploySummary(renders []rendered, outcomes []ecs.Outcome) string {
	images := map[string]string{}
	for _, r := range renders {
		var parts []string
		for _, c := range r.rendered.ContainerDefinitions {
			parts = append(parts, fmt.Sprintf("`%s`: `%s`", aws.ToString(c.Name), aws.ToString(c.Image)))
		}
		images[r.service] = strings.Join(parts, "<br>")
	}
	var b strings.Builder
	b.WriteString("### ferry deploy-ecs\n\n| Service | Revision | Images | Duration | Result |\n|---|---|---|---|---|\n")
	for _, o := range outcomes {
		d := o.Finished.Sub(o.Started).Round(time.Second)
		if o.Started.IsZero() {
			d = 0
		}
		fmt.Fprintf(&b, "| %s | %s → %s | %s | %s | **%s** |\n", o.Service, revision(o.Previous), revision(o.Deployed), images[o.Service], d, o.Status)
	}
	for _, o := range outcomes {
		if o.Err == nil {
			continue
		}
		fmt.Fprintf(&b, "\n#### %s: %s\n\n%s\n", o.Service, o.Status, o.Err)
		if len(o.Stopped) > 0 {
			b.WriteString("\nStopped tasks:\n\n")
			for _, f := range o.Stopped {
				fmt.Fprintf(&b, "- %s\n", f)
			}
		}
		if len(o.Events) > 0 {
			b.WriteString("\nService events:\n\n")
			for _, e := range o.Events {
				fmt.Fprintf(&b, "- %s %s\n", aws.ToTime(e.CreatedAt).UTC().Format(time.RFC3339), aws.ToString(e.Message))
			}
		}
	}
	return b.String()
}

// revision shortens a task definition ARN to family:revision.
func revision(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
