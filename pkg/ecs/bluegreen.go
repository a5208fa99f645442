package ecs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

// ErrSplitTraffic: a blue/green deploy found traffic on both services.
var ErrSplitTraffic = errors.New("traffic is split between blue and green")

// Switch moves traffic between the two target groups of a blue/green
// pair; *traffic.Switcher satisfies it.
type Switch interface {
	Current(ctx context.Context, o traffic.Options) (traffic.Weights, error)
	Run(ctx context.Context, o traffic.Options) (traffic.Result, error)
}

var _ Switch = (*traffic.Switcher)(nil)

// BlueGreen is a blue/green pair: two services of one cluster, each behind
// one of the target groups of Traffic.
type BlueGreen struct {
	Cluster     string
	Blue, Green string
	// Traffic names the listeners or rules and the blue and green target
	// groups, with the bake time, alarms and health checks of each step.
	// Its Steps are the weights to walk when green is the new side (the
	// user's percentages toward green); they are mirrored when blue is.
	Traffic traffic.Options
}

// BlueGreenPlan says which side a blue/green deploy goes to.
type BlueGreenPlan struct {
	// Idle is the service without traffic, which gets the new revision;
	// Live the one serving now.
	Idle, Live string
	// Start is the traffic found; Steps walk it to Idle.
	Start traffic.Weights
	Steps []traffic.Weights
}

// PlanBlueGreen reads where the traffic is and picks the idle side. It
// changes nothing. Traffic on both sides is [ErrSplitTraffic]: a switch is
// halfway, and deploying to either side would hit live traffic.
func PlanBlueGreen(ctx context.Context, sw Switch, bg BlueGreen) (BlueGreenPlan, error) {
	current, err := sw.Current(ctx, bg.Traffic)
	if err != nil {
		return BlueGreenPlan{}, fmt.Errorf("reading the traffic of %q and %q: %w", bg.Blue, bg.Green, err)
	}
	p := BlueGreenPlan{Idle: bg.Green, Live: bg.Blue, Start: current, Steps: bg.Traffic.Steps}
	switch {
	case current.Green == 0:
	case current.Blue == 0:
		p.Idle, p.Live = bg.Blue, bg.Green
		p.Steps = make([]traffic.Weights, len(bg.Traffic.Steps))
		for i, w := range bg.Traffic.Steps {
			p.Steps[i] = traffic.Weights{Blue: w.Green, Green: w.Blue}
		}
	default:
		return p, fmt.Errorf("%w (%s): finish or revert the switch with redirect-traffic before a blue/green deploy", ErrSplitTraffic, current)
	}
	return p, nil
}

// BlueGreenOutcome reports a blue/green deploy: the idle service's
// outcome and where the traffic ended.
type BlueGreenOutcome struct {
	Outcome
	Traffic traffic.Result
	// TrafficRestored: the traffic had moved and was put back to Start.
	TrafficRestored bool
}

// BlueGreenRequest is one blue/green deploy of a pair.
type BlueGreenRequest struct {
	Pair BlueGreen
	// Plan is where the deploy goes ([PlanBlueGreen]).
	Plan BlueGreenPlan
	// TaskDefinition is the ARN the idle service gets; DesiredCount and
	// ForceNewDeployment apply to its update.
	TaskDefinition     string
	DesiredCount       *int32
	ForceNewDeployment bool
	Options            Options
}

// DeployBlueGreen rolls r.Plan.Idle to r.TaskDefinition and waits for it
// (failing fast as [Deployer.Deploy] does), then walks the traffic to it
// with sw, each step gated on target health and alarms. The live service
// is never touched. On any failure the traffic ends where it started and,
// with r.Options.Rollback, the idle service is rolled back to what it ran
// and waited for: Status is then [StatusRolledBack], else [StatusFailed].
func (d *Deployer) DeployBlueGreen(ctx context.Context, sw Switch, r BlueGreenRequest) (BlueGreenOutcome, error) {
	bg, p, taskDefinition, desired, force, o := r.Pair, r.Plan, r.TaskDefinition, r.DesiredCount, r.ForceNewDeployment, r.Options
	o.Wait = true // traffic moves only to a finished rollout
	idle := Service{Cluster: bg.Cluster, Name: p.Idle, TaskDefinition: taskDefinition, DesiredCount: desired, ForceNewDeployment: force}
	outs, err := d.Deploy(ctx, []Service{idle}, o)
	if len(outs) == 0 {
		return BlueGreenOutcome{Outcome: Outcome{Service: p.Idle, Cluster: bg.Cluster, Deployed: taskDefinition, Status: StatusFailed, Err: err}}, err
	}
	res := BlueGreenOutcome{Outcome: outs[0], Traffic: traffic.Result{Start: p.Start, Final: p.Start}}
	if err != nil {
		// The rollout failed; Deploy rolled the idle side back (with
		// o.Rollback) and no traffic moved.
		return res, err
	}

	t := bg.Traffic
	t.Steps = p.Steps
	d.log.Info("shifting traffic", "to", p.Idle, "from", p.Live, "steps", len(p.Steps))
	tr, terr := sw.Run(ctx, t)
	res.Traffic = tr
	if terr == nil {
		return res, nil
	}
	err = fmt.Errorf("shifting traffic to %q: %w", p.Idle, terr)
	// The switcher reverts by itself on alarms and failed health; after
	// any other failure that left weights changed, put them back.
	if tr.Changed && !tr.Reverted {
		back := bg.Traffic
		// Back to the side that served before: no alarm or health gate.
		back.Steps, back.Alarms, back.BakeTime, back.MinHealthyTargets = []traffic.Weights{p.Start}, nil, 0, 0
		if _, rerr := sw.Run(context.WithoutCancel(ctx), back); rerr != nil {
			err = errors.Join(err, fmt.Errorf("putting the traffic back to %s: %w", p.Start, rerr))
		} else {
			res.TrafficRestored = true
			res.Traffic.Final = p.Start
		}
	}
	res.Err = err
	res.Status = StatusFailed
	if !o.Rollback || res.Previous == "" || res.Previous == taskDefinition {
		return res, err
	}
	if cancelled(ctx) {
		// Cancelled (SIGTERM): the traffic is back where it was, which
		// takes a few calls; the idle side's rollback would take minutes.
		// It keeps the new revision, without traffic.
		res.Err = fmt.Errorf("%w; %w: %q keeps task definition %q, without traffic", err, ErrNotRolledBack, p.Idle, taskDefinition)
		return res, res.Err
	}
	back := idle
	back.TaskDefinition, back.ForceNewDeployment = res.Previous, false
	if desired != nil {
		back.DesiredCount = nil // keep the count the update set; the service has no traffic
	}
	rctx, cancel := rollbackContext(ctx, o.RollbackTimeout)
	defer cancel()
	d.log.Info("rolling back", "service", p.Idle, "cluster", bg.Cluster, "task_definition", res.Previous, "reason", err.Error())
	rb, rerr := d.Deploy(rctx, []Service{back}, Options{Wait: true, MaxFailedTasks: o.MaxFailedTasks})
	if len(rb) > 0 {
		res.Events = append(res.Events, rb[0].Events...)
		res.Finished = rb[0].Finished
	}
	if rerr != nil {
		res.Err = fmt.Errorf("%w; rollback failed: %w", err, rerr)
		return res, res.Err
	}
	res.Status = StatusRolledBack
	res.Err = fmt.Errorf("%w: %w", ErrRolledBack, err)
	return res, res.Err
}
