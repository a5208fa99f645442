package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/awsauth"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func redirectTraffic() Command {
	inputs := []action.Input{
		{Name: "listener-arn", Kind: action.List, Description: "ALB listener ARNs whose default forward action changes; several (e.g. 80 and 443) change together."},
		{Name: "rule-arn", Kind: action.List, Description: "Listener rule ARNs whose forward action changes, instead of or besides listeners."},
		{Name: "blue-target-group", Required: true, Description: "The blue target group: ARN or name."},
		{Name: "green-target-group", Required: true, Description: "The green target group: ARN or name."},
		{Name: "preset", Options: traffic.PresetNames(), Description: "blue (100/0), blue-80 (80/20), split (50/50), green-80 (20/80) or green (0/100)."},
		{Name: "blue-weight", Kind: action.Int, Description: "Custom weight of blue, 0-999, with green-weight."},
		{Name: "green-weight", Kind: action.Int, Description: "Custom weight of green, 0-999, with blue-weight."},
		{Name: "steps", Kind: action.List, Description: "Progressive shift: green percentages walked in order, e.g. 10,50,100, with bake-time between steps."},
		{Name: "bake-time", Kind: action.Duration, Default: "5m", Description: "With steps: how long each step holds, watching the alarms, before the next."},
		{Name: "alarms", Kind: action.List, Description: "CloudWatch alarm names checked before each step and during bake time; any in ALARM reverts to the weights found at the start."},
		{Name: "min-healthy-targets", Kind: action.Int, Default: "1", Description: "A target group about to receive traffic needs at least this many healthy targets, or nothing changes."},
		{Name: "stickiness-duration", Kind: action.Duration, Description: "Enable target group stickiness on the forward action for this long (1s to 7d). Unset: leave it as it is."},
		{Name: "dry-run", Kind: action.Bool, Default: "false", Description: "Read and check everything, print the plan, change nothing."},
	}
	return Command{
		Spec: action.Spec{
			Name:        "redirect-traffic",
			Description: "Shift an ALB listener or rule between blue and green target groups: presets, custom weights, or progressive steps gated on target health and CloudWatch alarms, with revert.",
			Inputs:      append(append(inputs, awsInputs()...), timeoutInput("30m")),
			Outputs: []action.Output{
				{Name: "blue-weight", Description: "Weight of blue now in place (verified)."},
				{Name: "green-weight", Description: "Weight of green now in place (verified)."},
				{Name: "previous-blue-weight", Description: "Weight of blue found at the start."},
				{Name: "previous-green-weight", Description: "Weight of green found at the start."},
				{Name: "changed", Description: "true when the weights were changed, false when they already were as asked (or on a dry run)."},
			},
		},
		Run: runRedirectTraffic,
	}
}

// redirectTrafficInputs names the traffic options' fields as this action's
// inputs, for the problems pkg/traffic reports: the one place that knows
// which input a field comes from.
var redirectTrafficInputs = map[traffic.Field]string{
	traffic.Listeners:         "listener-arn",
	traffic.Rules:             "rule-arn",
	traffic.BlueGroup:         "blue-target-group",
	traffic.GreenGroup:        "green-target-group",
	traffic.PresetName:        "preset",
	traffic.BlueWeight:        "blue-weight",
	traffic.GreenWeight:       "green-weight",
	traffic.Steps:             "steps",
	traffic.BakeTime:          "bake-time",
	traffic.Alarms:            "alarms",
	traffic.MinHealthyTargets: "min-healthy-targets",
	traffic.Stickiness:        "stickiness-duration",
}

// planTraffic reads the inputs into traffic options, recording every problem.
func planTraffic(in *action.Values) traffic.Options {
	o := traffic.Options{
		Listeners:         in.List("listener-arn"),
		Rules:             in.List("rule-arn"),
		Blue:              in.String("blue-target-group"),
		Green:             in.String("green-target-group"),
		BakeTime:          in.Duration("bake-time"),
		Alarms:            in.List("alarms"),
		MinHealthyTargets: in.Int("min-healthy-targets"),
		Stickiness:        in.Duration("stickiness-duration"),
		DryRun:            in.Bool("dry-run"),
	}
	var given []string
	for _, name := range []string{"preset", "blue-weight", "green-weight", "steps"} {
		if in.IsSet(name) {
			given = append(given, name)
		}
	}
	weights := in.IsSet("blue-weight") || in.IsSet("green-weight")
	modes := 0
	for _, set := range []bool{in.IsSet("preset"), weights, in.IsSet("steps")} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0:
		in.Problem("preset", "one of preset, blue-weight with green-weight, or steps", "none of them")
	case modes > 1:
		in.Problem(given[1], "one of preset, blue-weight with green-weight, or steps", strings.Join(given, " and "))
	case in.IsSet("preset"):
		// The runtime checked the name against the input's options.
		if w, err := traffic.Preset(in.String("preset")); err == nil {
			o.Steps = []traffic.Weights{w}
		}
	case weights:
		if !in.IsSet("blue-weight") || !in.IsSet("green-weight") {
			missing := "green-weight"
			if !in.IsSet("blue-weight") {
				missing = "blue-weight"
			}
			in.Problem(missing, "blue-weight and green-weight together", "only one of them")
			break
		}
		if in.Failed("blue-weight", "green-weight") {
			break
		}
		w, err := traffic.NewWeights(in.Int("blue-weight"), in.Int("green-weight"))
		if err != nil {
			in.Add(inputNames(err, redirectTrafficInputs)) // each problem names the weight at fault
			break
		}
		o.Steps = []traffic.Weights{w}
	default:
		steps, err := traffic.StepsFromPercentages(in.List("steps"))
		if err != nil {
			in.Problem("steps", "green percentages from 0 to 100, strictly increasing, e.g. 10,50,100", fmt.Sprintf("%s (%v)", action.Quote(strings.Join(in.List("steps"), ",")), err))
			break
		}
		o.Steps = steps
	}
	// The domain checks the steps again; a problem with the inputs they
	// came from is reported above, once.
	in.Add(inputNames(o.Validate(), redirectTrafficInputs))
	checkBakeTime(in, "steps", len(o.Steps))
	return o
}

func runRedirectTraffic(ctx context.Context, rt *action.Runtime, b Build) error {
	var plan traffic.Options
	run, cancel, err := startAWS(ctx, rt, b, func() { plan = planTraffic(rt.Inputs()) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, timeout := run.ctx, run.cfg, run.timeout
	sw := traffic.New(elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, awsauth.CloudWatchQuery), traffic.Config{Logger: rt.Logger()})
	title := fmt.Sprintf("Traffic to %s", describeSteps(plan.Steps))
	if plan.DryRun {
		title += " (dry run)"
	}
	end := rt.Group(title)
	res, runErr := sw.Run(ctx, plan)
	end()

	// Outputs and summary tell what is in place, whether or not the run succeeded.
	if len(res.Changes) > 0 {
		final := res.Final
		if plan.DryRun {
			final = res.Start
		}
		if err := rt.SetOutputs(
			[2]string{"blue-weight", fmt.Sprint(final.Blue)},
			[2]string{"green-weight", fmt.Sprint(final.Green)},
			[2]string{"previous-blue-weight", fmt.Sprint(res.Start.Blue)},
			[2]string{"previous-green-weight", fmt.Sprint(res.Start.Green)},
			[2]string{"changed", strconv.FormatBool(res.Changed)},
		); err != nil {
			return errors.Join(runErr, err)
		}
		if err := rt.Summary(trafficSummary(plan, res, runErr)); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if errors.Is(runErr, traffic.ErrForwardMismatch) {
		// Found by reading, before any write: the inputs name other groups.
		return action.Usage(rt.Spec().Name, fmt.Errorf(`inputs "blue-target-group" and "green-target-group": %w`, runErr))
	}
	if runErr != nil {
		return timedOut(ctx, runErr, timeout)
	}
	rt.Logger().Info("traffic", "blue", res.Final.Blue, "green", res.Final.Green, "changed", res.Changed, "steps", res.Steps)
	return nil
}

func describeSteps(steps []traffic.Weights) string {
	var parts []string
	for _, w := range steps {
		parts = append(parts, w.String())
	}
	return strings.Join(parts, " → ")
}

func trafficSummary(o traffic.Options, r traffic.Result, runErr error) string {
	var b strings.Builder
	b.WriteString("### ferry redirect-traffic")
	if o.DryRun {
		b.WriteString(" (dry run: nothing changed)")
	}
	b.WriteString("\n\n| Resource | Before | After | Changed |\n|---|---|---|---|\n")
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "| %s `%s` | %s | %s | %t |\n", c.Kind, c.ARN, c.Before, c.After, c.Changed)
	}
	switch {
	case r.Reverted:
		fmt.Fprintf(&b, "\n**Reverted** to the weights found at the start (%s): %v\n", r.Start, runErr)
	case runErr != nil:
		fmt.Fprintf(&b, "\n**Stopped** after %d of %d steps with %s in place: %v\n", r.Steps, len(o.Steps), r.Final, runErr)
	}
	shown := r.Final
	if o.DryRun && len(o.Steps) > 0 {
		shown = o.Steps[len(o.Steps)-1]
	}
	fmt.Fprintf(&b, "\n```mermaid\npie title Traffic split%s\n    \"blue\" : %d\n    \"green\" : %d\n```\n", map[bool]string{true: " (planned)", false: ""}[o.DryRun], shown.Blue, shown.Green)
	return b.String()
}
