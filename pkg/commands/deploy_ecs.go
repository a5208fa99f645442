package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// planDeploy reads the inputs into one complete plan, recording every
// problem; nothing reads an input after it.
func planDeploy(in *action.Values) ecs.Plan {
	p := ecs.Plan{
		Strategy: ecs.Rolling, Cluster: in.String("cluster"), Services: in.List("service"),
		ForceNewDeployment: in.Bool("force-new-deployment"), DryRun: in.Bool("dry-run"),
		Options: ecs.Options{Wait: in.Bool("wait"), Rollback: in.Bool("rollback"), MaxFailedTasks: in.Int("max-failed-tasks")},
	}
	bgInputs := []string{"blue-service", "green-service", "listener-arn", "blue-target-group", "green-target-group"}
	if in.IsSet("codedeploy-application") || in.IsSet("codedeploy-deployment-group") {
		p.Strategy = ecs.CodeDeploy
		p.CodeDeploy = codedeploy.Request{
			Application: in.String("codedeploy-application"), DeploymentGroup: in.String("codedeploy-deployment-group"),
			Container: in.String("codedeploy-container"), ContainerPort: int32(in.Int("codedeploy-container-port")),
		}
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
	}
	onlyWith(in, p.Strategy == ecs.CodeDeploy, "codedeploy-application and codedeploy-deployment-group as well", "neither", "codedeploy-container", "codedeploy-container-port")
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
		if len(p.Services) > 0 {
			in.Problem("service", "blue-service and green-service instead, with strategy blue-green", strings.Join(p.Services, ", "))
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
		p.Strategy, p.Services = ecs.BlueGreenWeights, nil
		p.BlueGreen = ecs.BlueGreen{
			Cluster: p.Cluster, Blue: in.String("blue-service"), Green: in.String("green-service"),
			Traffic: traffic.Options{
				Listeners: in.List("listener-arn"), Blue: in.String("blue-target-group"), Green: in.String("green-target-group"),
				BakeTime: in.Duration("bake-time"), Alarms: in.List("alarms"), MinHealthyTargets: 1, Steps: steps,
			},
		}
	} else if len(p.Services) == 0 {
		in.Problem("service", "one or more services (strategy rolling)", "none")
	}
	onlyWith(in, p.Strategy == ecs.BlueGreenWeights, "strategy: blue-green as well", "strategy rolling", append(bgInputs, "alarms")...)
	if td := in.String("task-definition"); td != "" {
		path := in.Path("task-definition")
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
			p.TaskDefinitionFile = path
		} else if strings.HasSuffix(td, ".json") || strings.ContainsAny(td, `/\`) && !strings.HasPrefix(td, "arn:") {
			in.Problem("task-definition", "an existing file, or a family, family:revision or ARN", action.Quote(td)+" (no such file)")
		} else {
			p.TaskDefinitionRef = td
		}
	}
	var err error
	if p.Overrides.Images, err = taskdef.ParseImages(in.Lines("images")); err != nil {
		in.AddFor("images", err)
	}
	if p.Overrides.Environment, err = taskdef.ParseEnvironment(in.Lines("environment")); err != nil {
		in.AddFor("environment", err)
	}
	if p.Overrides.Secrets, err = taskdef.ParseSecrets(in.Lines("secrets")); err != nil {
		in.AddFor("secrets", err)
	}
	if in.IsSet("desired-count") {
		n := in.Int("desired-count")
		if n < 0 || n > 5000 {
			in.Problem("desired-count", "0 to 5000", fmt.Sprint(n))
		}
		p.DesiredCount = aws.Int32(int32(n))
	}
	if n := in.Int("max-failed-tasks"); n < 1 {
		in.Problem("max-failed-tasks", "1 or more", fmt.Sprint(n))
	}
	onlyWith(in, in.Bool("run-task"), "run-task: true as well", "run-task false", "run-task-command", "run-task-container")
	command, err := splitCommand(in.String("run-task-command"))
	if err != nil {
		in.Problem("run-task-command", `a JSON array such as ["migrate","up"] or words separated by spaces`, fmt.Sprintf("%s (%v)", action.Quote(in.String("run-task-command")), err))
	}
	if in.Bool("run-task") {
		p.OneOff = &ecs.OneOff{Container: in.String("run-task-container"), Command: command}
	}
	return p
}

// onlyWith reports each of names that is set although ok is false.
func onlyWith(in *action.Values, ok bool, expected, found string, names ...string) {
	for _, name := range names {
		if !ok && in.IsSet(name) {
			in.Problem(name, expected, found)
		}
	}
}

func runDeployECS(ctx context.Context, rt *action.Runtime, b Build) error {
	var plan ecs.Plan
	run, cancel, err := startAWS(ctx, rt, b, func() { plan = planDeploy(rt.Inputs()) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, log := run.ctx, run.cfg, rt.Logger()
	client := awsecs.NewFromConfig(cfg)
	env := ecs.Env{Registry: taskdef.NewRegistrar(client, log), Phase: rt.Group}
	switch plan.Strategy {
	case ecs.BlueGreenWeights:
		env.Switch = traffic.New(elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, awsauth.CloudWatchQuery), traffic.Config{Logger: log})
	case ecs.CodeDeploy:
		env.CodeDeploy = codedeploy.New(codedeployapi.NewFromConfig(cfg), codedeploy.Config{Logger: log})
	}
	rep, err := ecs.New(client, ecs.Config{Logger: log}).Run(ctx, plan, env)
	return reportDeploy(ctx, rt, plan, rep, err, run.timeout)
}

// deployECSTrafficInputs names the fields of the blue-green traffic
// options as this action's inputs, for the problems pkg/traffic reports
// when the run checks them (a bad listener ARN, say). The other fields
// are not set from inputs: Rules and the weights stay empty, and
// MinHealthyTargets is 1.
var deployECSTrafficInputs = map[traffic.Field]string{
	traffic.Listeners:  "listener-arn",
	traffic.BlueGroup:  "blue-target-group",
	traffic.GreenGroup: "green-target-group",
	traffic.Steps:      "traffic-steps",
	traffic.BakeTime:   "bake-time",
	traffic.Alarms:     "alarms",
}

// reportDeploy tells what a deploy did, whether or not it succeeded: the
// outputs from the first outcome, the failures (log and annotations) when
// err, and the job summary. It returns err, naming the inputs at fault or
// input timeout when the run's deadline ended it.
func reportDeploy(ctx context.Context, rt *action.Runtime, plan ecs.Plan, rep ecs.Report, err error, timeout time.Duration) error {
	err = inputNames(err, deployECSTrafficInputs)
	var target *ecs.CodeDeployTargetError
	if len(rep.Outcomes) == 0 {
		// Stopped before any service changed.
		switch {
		case errors.Is(err, taskdef.ErrUnknownContainer):
			return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "images", "environment" and "secrets": %w`, err))
		case errors.Is(err, traffic.ErrForwardMismatch):
			return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "blue-target-group" and "green-target-group": %w`, err))
		case errors.As(err, &target):
			return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "codedeploy-container" and "codedeploy-container-port": %w`, err))
		case rep.Status == ecs.StatusFailed:
			_ = rt.SetOutput("status", string(rep.Status))
			return fmt.Errorf("one-off task before the deploy: %w", timedOut(ctx, err, timeout))
		case err == nil && plan.DryRun:
			return dryRunDeploy(rt, rep.Rendered)
		}
		return timedOut(ctx, err, timeout)
	}
	first := rep.Outcomes[0]
	if serr := rt.SetOutputs(
		[2]string{"task-definition-arn", first.Deployed},
		[2]string{"previous-task-definition-arn", first.Previous},
		[2]string{"status", string(first.Status)},
		[2]string{"deployment-id", first.DeploymentID},
	); serr != nil {
		return errors.Join(err, serr)
	}
	summary := codeDeploySummary(rep.CodeDeploy, first)
	if plan.Strategy != ecs.CodeDeploy {
		if err != nil {
			reportFailures(rt, rep.Outcomes)
		}
		summary = deploySummary(rep.Rendered, rep.Outcomes)
	}
	if serr := rt.Summary(summary); serr != nil {
		return errors.Join(err, serr)
	}
	return timedOut(ctx, err, timeout)
}

func codeDeploySummary(res codedeploy.Result, o ecs.Outcome) string {
	summary := fmt.Sprintf("### ferry deploy-ecs (CodeDeploy)\n\n| Service | Revision | Deployment | Result |\n|---|---|---|---|\n| %s | %s → %s | `%s` | **%s** |\n", o.Service, ecs.Revision(o.Previous), ecs.Revision(o.Deployed), o.DeploymentID, o.Status)
	if res.Error != "" {
		summary += "\nCodeDeploy: " + res.Error + "\n"
	}
	return summary
}

// dryRunDeploy prints each rendered task definition and its diff against
// the one the service runs, and changes nothing.
func dryRunDeploy(rt *action.Runtime, renders []ecs.Rendered) error {
	var b strings.Builder
	b.WriteString("### ferry deploy-ecs (dry run: nothing changed)\n")
	for _, r := range renders {
		canon, err := taskdef.Canonical(r.TaskDefinition)
		if err != nil {
			return err
		}
		fmt.Fprintf(rt.Log(), "== service %s: rendered task definition\n%s\n", r.Service, canon)
		fmt.Fprintf(&b, "\n#### %s\n\nNow running `%s`.\n", r.Service, r.Current)
		diff, err := r.Diff()
		if err != nil {
			return err
		}
		if diff == "" {
			fmt.Fprintf(rt.Log(), "== service %s: no change to the task definition it runs (%s)\n", r.Service, r.Current)
			b.WriteString("\nNo change to the task definition it runs.\n")
		} else {
			fmt.Fprintf(rt.Log(), "== service %s: diff against %s (what it runs)\n%s\n", r.Service, r.Current, diff)
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

func deploySummary(renders []ecs.Rendered, outcomes []ecs.Outcome) string {
	images := map[string]string{}
	for _, r := range renders {
		var parts []string
		for _, c := range r.TaskDefinition.ContainerDefinitions {
			parts = append(parts, fmt.Sprintf("`%s`: `%s`", aws.ToString(c.Name), aws.ToString(c.Image)))
		}
		images[r.Service] = strings.Join(parts, "<br>")
	}
	var b strings.Builder
	b.WriteString("### ferry deploy-ecs\n\n| Service | Revision | Images | Duration | Result |\n|---|---|---|---|---|\n")
	for _, o := range outcomes {
		d := o.Finished.Sub(o.Started).Round(time.Second)
		if o.Started.IsZero() {
			d = 0
		}
		fmt.Fprintf(&b, "| %s | %s → %s | %s | %s | **%s** |\n", o.Service, ecs.Revision(o.Previous), ecs.Revision(o.Deployed), images[o.Service], d, o.Status)
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
