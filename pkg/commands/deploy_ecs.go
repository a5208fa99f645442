package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	codedeployapi "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	awsecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
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
		{Name: "strategy", Default: "rolling", Options: []string{"rolling", "blue-green"}, Description: "ferry's strategy: rolling updates the services in place (following ECS's own blue/green, linear or canary deployment when the service uses one, see ecs-strategy); blue-green is ferry's two-service blue/green: it deploys to whichever of blue-service and green-service has no traffic, then shifts the listener to it."},
		{Name: "ecs-strategy", Options: []string{"rolling", "blue-green", "linear", "canary"}, Description: "ECS's own deployment strategy, set on the service's deploymentConfiguration (with strategy rolling). Default: the service's, unchanged. Not ferry's two-service blue/green (strategy: blue-green)."},
		{Name: "ecs-bake-time", Kind: action.Duration, Description: "ECS blue-green, linear, canary: how long both revisions run after production traffic moved, in whole minutes (bakeTimeInMinutes). Counts toward timeout. Default: the service's."},
		{Name: "canary-percent", Description: "ecs-strategy canary: the share of production traffic the new revision gets first, 0.1 to 100."},
		{Name: "canary-bake-time", Kind: action.Duration, Description: "ecs-strategy canary: how long the canary step holds, in whole minutes."},
		{Name: "linear-step-percent", Description: "ecs-strategy linear: the share of production traffic each step moves, 3 to 100."},
		{Name: "linear-step-bake-time", Kind: action.Duration, Description: "ecs-strategy linear: how long each step holds, in whole minutes."},
		{Name: "deployment-alarms", Kind: action.List, Description: "CloudWatch alarms ECS watches during its deployment (and bake time), rolling back when one fires (deploymentConfiguration.alarms). Default: the service's."},
		{Name: "circuit-breaker", Kind: action.Bool, Description: "Turn the deployment circuit breaker (with rollback) on or off. Default: the service's."},
		{Name: "test-listener-rule", Description: "ECS blue/green: the ALB listener rule (ARN) ECS points at the new revision for test traffic; its listener gives output test-url."},
		{Name: "production-listener-rule", Description: "ECS blue/green: the ALB listener rule (ARN) of production traffic."},
		{Name: "alternate-target-group", Description: "ECS blue/green: the second target group (ARN) ECS puts the new revision behind."},
		{Name: "load-balancer-role", Description: "ECS blue/green: the IAM role (ARN) ECS assumes to change the listener rules."},
		{Name: "pause-at", Options: []string{"reconcile-service", "pre-scale-up", "post-scale-up", "post-test-traffic-shift", "pre-production-traffic-shift", "post-production-traffic-shift"}, Description: "The CI gate: add a PAUSE lifecycle hook at this stage (kept if the service has one) and return as soon as ECS waits there, with outputs service-deployment-arn, hook-id and test-url; a later step with decision continues or rolls back."},
		{Name: "pause-timeout", Kind: action.Duration, Description: "With pause-at: how long ECS waits for the decision before it takes pause-timeout-action, 1m to 336h. Default: ECS's, 24h."},
		{Name: "pause-timeout-action", Default: "rollback", Options: []string{"rollback", "continue"}, Description: "With pause-at: what ECS does when nobody decides in time; the safety net when the pipeline dies between the two steps."},
		{Name: "decision", Options: []string{"continue", "rollback"}, Description: "The gate's second step: continue or roll back the deployment paused at service-deployment-arn, then wait for its end. Nothing is rendered or registered."},
		{Name: "service-deployment-arn", Description: "With decision: the paused service deployment (output service-deployment-arn of the step that paused)."},
		{Name: "hook-id", Description: "With decision: the hook to act on. Default: the PAUSE hook that awaits action."},
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
				{Name: "status", Description: "deployed, unchanged, paused, rolled-back or failed."},
				{Name: "deployment-id", Description: "The ECS deployment of the first service, when ECS reported one."},
				{Name: "service-deployment-arn", Description: "ECS's service deployment of the first service, when its strategy is not rolling (give it to the decision step)."},
				{Name: "hook-id", Description: "With status paused: the PAUSE hook ECS waits at."},
				{Name: "test-url", Description: "With status paused: where the test listener sends requests to the new revision."},
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
	if in.IsSet("decision") {
		if in.Failed("decision") {
			return p // its problem is reported; the rest depends on it
		}
		return planDecision(in, p)
	}
	onlyWith(in, false, "decision as well", "no decision", "service-deployment-arn", "hook-id")
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
	if p.Strategy == ecs.Rolling {
		p.Native = planNative(in, len(p.Services))
	} else {
		why := "strategy blue-green (ferry's two-service blue/green; ECS's own strategies are for one service with strategy rolling)"
		if p.Strategy == ecs.CodeDeploy {
			why = "a CodeDeploy deployment group (CodeDeploy runs its own blue/green)"
		}
		onlyWith(in, false, "strategy rolling, without CodeDeploy", why, nativeInputs...)
		if in.String("pause-timeout-action") != "rollback" {
			in.Problem("pause-timeout-action", "strategy rolling, without CodeDeploy", why)
		}
	}
	return p
}

// nativeInputs are the inputs of ECS's own deployment strategies.
var nativeInputs = []string{"ecs-strategy", "ecs-bake-time", "canary-percent", "canary-bake-time", "linear-step-percent",
	"linear-step-bake-time", "deployment-alarms", "circuit-breaker", "test-listener-rule", "production-listener-rule",
	"alternate-target-group", "load-balancer-role", "pause-at", "pause-timeout"}

// givenDefaulted returns those of the inputs with defaults (every input has
// a value: a runner passes the defaults too) whose value is not the
// default, which only a user gives.
func givenDefaulted(in *action.Values) []string {
	var out []string
	for _, name := range []string{"force-new-deployment", "run-task", "dry-run"} {
		if in.Bool(name) {
			out = append(out, name)
		}
	}
	if in.String("strategy") != "rolling" {
		out = append(out, "strategy")
	}
	if in.String("pause-timeout-action") != "rollback" {
		out = append(out, "pause-timeout-action")
	}
	return out
}

// deployECSNativeInputs names the fields of ecs.Native and ecs.Decision as
// this action's inputs.
var deployECSNativeInputs = map[ecs.Field]string{
	ecs.FieldStrategy:           "ecs-strategy",
	ecs.FieldBakeTime:           "ecs-bake-time",
	ecs.FieldCanaryPercent:      "canary-percent",
	ecs.FieldCanaryBakeTime:     "canary-bake-time",
	ecs.FieldLinearStepPercent:  "linear-step-percent",
	ecs.FieldLinearStepBakeTime: "linear-step-bake-time",
	ecs.FieldAlarms:             "deployment-alarms",
	ecs.FieldPauseAt:            "pause-at",
	ecs.FieldPauseTimeout:       "pause-timeout",
	ecs.FieldPauseTimeoutAction: "pause-timeout-action",
	ecs.FieldTestListenerRule:   "test-listener-rule",
	ecs.FieldProductionRule:     "production-listener-rule",
	ecs.FieldAlternateGroup:     "alternate-target-group",
	ecs.FieldLoadBalancerRole:   "load-balancer-role",
	ecs.FieldServiceDeployment:  "service-deployment-arn",
	ecs.FieldHookID:             "hook-id",
}

// upperSnake turns an input's kebab-case option into ECS's enum spelling.
func upperSnake(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// planNative reads the inputs of ECS's own strategies: only those given
// change the service's deploymentConfiguration.
func planNative(in *action.Values, services int) ecs.Native {
	var n ecs.Native
	if in.IsSet("ecs-strategy") {
		n.Strategy = awsecstypes.DeploymentStrategy(upperSnake(in.String("ecs-strategy")))
	}
	duration := func(name string) *time.Duration {
		if !in.IsSet(name) || in.Failed(name) {
			return nil
		}
		return aws.Duration(in.Duration(name))
	}
	percent := func(name string) *float64 {
		if !in.IsSet(name) {
			return nil
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(in.String(name)), "%"), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			in.Problem(name, "a percentage such as 10 or 12.5", action.Quote(in.String(name)))
			return nil
		}
		return aws.Float64(v)
	}
	n.BakeTime = duration("ecs-bake-time")
	n.CanaryPercent, n.CanaryBakeTime = percent("canary-percent"), duration("canary-bake-time")
	n.LinearStepPercent, n.LinearStepBakeTime = percent("linear-step-percent"), duration("linear-step-bake-time")
	if in.IsSet("deployment-alarms") {
		n.Alarms = in.List("deployment-alarms")
	}
	if in.IsSet("circuit-breaker") && !in.Failed("circuit-breaker") {
		n.CircuitBreaker = aws.Bool(in.Bool("circuit-breaker"))
	}
	if in.IsSet("pause-at") && !in.Failed("pause-at") {
		n.PauseAt = awsecstypes.DeploymentLifecycleHookStage(upperSnake(in.String("pause-at")))
		if services > 1 {
			in.Problem("pause-at", "one service (the step returns with that service's deployment paused)", fmt.Sprintf("%d services", services))
		}
		if !in.Bool("wait") {
			in.Problem("pause-at", "wait: true (the step waits until ECS pauses there)", "wait false")
		}
	}
	if n.PauseAt != "" || (in.String("pause-timeout-action") != "rollback" && !in.Failed("pause-at")) {
		n.PauseTimeoutAction = awsecstypes.DeploymentLifecycleHookAction(upperSnake(in.String("pause-timeout-action")))
	}
	if d := duration("pause-timeout"); d != nil {
		n.PauseTimeout = *d
	}
	if in.IsSet("test-listener-rule") || in.IsSet("production-listener-rule") || in.IsSet("alternate-target-group") || in.IsSet("load-balancer-role") {
		n.LoadBalancer = &ecs.LoadBalancerConfig{
			TestListenerRule: in.String("test-listener-rule"), ProductionListenerRule: in.String("production-listener-rule"),
			AlternateTargetGroup: in.String("alternate-target-group"), Role: in.String("load-balancer-role"),
		}
	}
	in.Add(inputNames(n.Validate(), deployECSNativeInputs))
	checkECSBakeTime(in, n)
	return n
}

// checkECSBakeTime refuses an ECS bake time given with the deploy that
// alone reaches input timeout: the bake time is part of ECS's deployment,
// so the run would time out (and stop the deployment) every time. With
// pause-at the step returns before the bake; the decision step's timeout
// is the one that must cover it.
func checkECSBakeTime(in *action.Values, n ecs.Native) {
	if n.BakeTime == nil || n.PauseAt != "" || !in.Bool("wait") || in.Failed("timeout") {
		return
	}
	bake, what := *n.BakeTime, "ecs-bake-time "+n.BakeTime.String()
	if n.CanaryBakeTime != nil {
		bake += *n.CanaryBakeTime
		what += " + canary-bake-time " + n.CanaryBakeTime.String()
	}
	if timeout := in.Duration("timeout"); bake >= timeout {
		in.Add(fmt.Errorf("inputs %q and %q: expected a timeout longer than ECS's bake time, which is part of the deployment (or pause-at, whose decision step waits for it), found %s and timeout %s",
			"ecs-bake-time", "timeout", what, timeout))
	}
}

// planDecision reads the gate's second step: nothing but the paused
// service deployment and what to do with it.
func planDecision(in *action.Values, p ecs.Plan) ecs.Plan {
	dec := &ecs.Decision{
		ServiceDeployment: in.String("service-deployment-arn"), HookID: in.String("hook-id"),
		Action: awsecstypes.DeploymentLifecycleHookAction(upperSnake(in.String("decision"))),
	}
	if !in.IsSet("service-deployment-arn") {
		in.Problem("service-deployment-arn", "the paused service deployment (output service-deployment-arn of the step that paused), with decision", "none")
	} else if err := dec.Validate(); err != nil {
		in.Add(inputNames(err, deployECSNativeInputs))
	} else {
		cluster, service, _ := ecs.ServiceDeploymentService(dec.ServiceDeployment)
		if c := p.Cluster; c != cluster && !strings.HasSuffix(c, ":cluster/"+cluster) {
			in.Problem("service-deployment-arn", fmt.Sprintf("a service deployment of cluster %s (input cluster)", action.Quote(c)), fmt.Sprintf("one of cluster %s", action.Quote(cluster)))
		}
		if len(p.Services) > 0 && (len(p.Services) != 1 || p.Services[0] != service) {
			in.Problem("service", fmt.Sprintf("nothing, or the service of service-deployment-arn (%s), with decision", service), strings.Join(p.Services, ", "))
		}
		p.Services = []string{service}
	}
	// Inputs with defaults (traffic-steps, bake-time, max-failed-tasks)
	// are left alone unless they differ: a runner passes the defaults.
	deployOnly := []string{"task-definition", "images", "environment", "secrets", "desired-count",
		"run-task-command", "run-task-container", "blue-service", "green-service",
		"listener-arn", "blue-target-group", "green-target-group", "alarms",
		"codedeploy-application", "codedeploy-deployment-group", "codedeploy-container", "codedeploy-container-port"}
	for _, name := range append(append(deployOnly, nativeInputs...), givenDefaulted(in)...) {
		if in.IsSet(name) {
			in.Problem(name, "nothing with decision (the deployment is under way; the decision step only continues or rolls it back)", "decision "+in.String("decision"))
		}
	}
	p.Decision = dec
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
	if plan.Native.PauseAt != "" {
		elbClient := elb.NewFromConfig(cfg)
		env.TestURL = func(ctx context.Context, rule string) (string, error) { return traffic.RuleURL(ctx, elbClient, rule) }
	}
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
	err = inputNames(inputNames(err, deployECSTrafficInputs), deployECSNativeInputs)
	var target *ecs.CodeDeployTargetError
	if len(rep.Outcomes) == 0 {
		// Stopped before any service changed.
		switch {
		case errors.Is(err, taskdef.ErrUnknownContainer):
			return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "images", "environment" and "secrets": %w`, err))
		case errors.Is(err, ecs.ErrNoLoadBalancer):
			return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "test-listener-rule", "production-listener-rule", "alternate-target-group" and "load-balancer-role": %w`, err))
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
		[2]string{"service-deployment-arn", first.ServiceDeployment},
		[2]string{"hook-id", pausedHookID(first)},
		[2]string{"test-url", first.TestURL},
	); serr != nil {
		return errors.Join(err, serr)
	}
	logTimelines(rt, rep.Outcomes)
	summary := codeDeploySummary(rep.CodeDeploy, first)
	if plan.Strategy != ecs.CodeDeploy {
		if err != nil {
			reportFailures(rt, rep.Outcomes)
		}
		summary = deploySummary(rep.Rendered, rep.Outcomes) + nativeSummary(rep.Outcomes)
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
		if len(r.ConfigChanges) > 0 {
			fmt.Fprintf(rt.Log(), "== service %s: deployment configuration changes (strategy then %s)\n", r.Service, r.Strategy)
			fmt.Fprintf(&b, "\nDeployment configuration changes (strategy then %s):\n\n", r.Strategy)
			for _, c := range r.ConfigChanges {
				fmt.Fprintf(rt.Log(), "  %s\n", c)
				fmt.Fprintf(&b, "- %s\n", c)
			}
		} else if r.Strategy != "" && r.Strategy != awsecstypes.DeploymentStrategyRolling {
			fmt.Fprintf(rt.Log(), "== service %s: deployment configuration unchanged (strategy %s: ferry follows ECS's service deployment)\n", r.Service, r.Strategy)
			fmt.Fprintf(&b, "\nDeployment configuration unchanged (strategy %s: ferry follows ECS's service deployment).\n", r.Strategy)
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

func pausedHookID(o ecs.Outcome) string {
	if o.Paused == nil {
		return ""
	}
	return o.Paused.ID
}

// logTimelines puts the stages of each followed service deployment in the
// log.
func logTimelines(rt *action.Runtime, outcomes []ecs.Outcome) {
	for _, o := range outcomes {
		if len(o.Timeline) == 0 {
			continue
		}
		fmt.Fprintf(rt.Log(), "Service deployment %s of %s (%s):\n", o.ServiceDeployment, o.Service, strategyName(o.Strategy))
		for _, s := range o.Timeline {
			fmt.Fprintf(rt.Log(), "  %-30s %s  %s\n", s.Stage, s.Started.UTC().Format(time.RFC3339), spanDuration(s))
		}
	}
}

func strategyName(s awsecstypes.DeploymentStrategy) string {
	if s == "" {
		return "ECS strategy ROLLING"
	}
	return "ECS strategy " + string(s)
}

func spanDuration(s ecs.StageSpan) string {
	if s.Duration == 0 {
		return "(still there)"
	}
	return s.Duration.Round(time.Second).String()
}

// nativeSummary is the part of the job summary about ECS's own
// deployments: the configuration changed, the stage timeline, and, when
// paused, how to go on.
func nativeSummary(outcomes []ecs.Outcome) string {
	var b strings.Builder
	for _, o := range outcomes {
		if o.ServiceDeployment == "" && len(o.ConfigChanges) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n#### %s: %s\n", o.Service, strategyName(o.Strategy))
		if o.ServiceDeployment != "" {
			fmt.Fprintf(&b, "\nService deployment `%s`.\n", o.ServiceDeployment)
		}
		if len(o.ConfigChanges) > 0 {
			b.WriteString("\nDeployment configuration changed:\n\n")
			for _, c := range o.ConfigChanges {
				fmt.Fprintf(&b, "- %s\n", c)
			}
		}
		if len(o.Timeline) > 0 {
			b.WriteString("\n| Stage | Started | Duration |\n|---|---|---|\n")
			for _, s := range o.Timeline {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Stage, s.Started.UTC().Format(time.RFC3339), spanDuration(s))
			}
		}
		if h := o.Paused; h != nil {
			fmt.Fprintf(&b, "\n**Paused at %s** (hook `%s`). Unless a step with `decision: continue` or `decision: rollback` and this `service-deployment-arn` acts first, ECS takes action %s at %s.\n",
				h.Stage, h.ID, h.TimeoutAction, h.ExpiresAt.UTC().Format(time.RFC3339))
			if o.TestURL != "" {
				fmt.Fprintf(&b, "\nThe new revision takes test traffic at %s.\n", o.TestURL)
			}
		}
	}
	return b.String()
}
