package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// StatusPaused: the service deployment waits at a PAUSE hook for
// ContinueServiceDeployment ([Deployer.Decide]).
const StatusPaused Status = "paused"

// ErrNotPaused: a [Decision] found its service deployment not waiting at a
// PAUSE hook.
var ErrNotPaused = errors.New("the service deployment is not paused")

// StageSpan is one stage of a service deployment as seen while following
// it: its lifecycle stage (or, outside IN_PROGRESS, its status, e.g.
// ROLLBACK_IN_PROGRESS), when it was first seen and how long it lasted (0
// while it lasts). Times are those of the polls, PollMax apart.
type StageSpan struct {
	Stage    string
	Started  time.Time
	Duration time.Duration
}

// PausedHook is the PAUSE hook a service deployment waits at.
type PausedHook struct {
	ID    string
	Stage string
	// ExpiresAt is when ECS takes TimeoutAction if nobody has continued.
	ExpiresAt     time.Time
	TimeoutAction string
}

// follower follows one service deployment with DescribeServiceDeployments,
// at most one call per PollMax (12 a minute at the default 5s), and keeps
// its timeline.
type follower struct {
	d   *Deployer
	svc Service
	arn string
	// stopAtPause: return as soon as a PAUSE hook other than skipHook
	// awaits action; otherwise such a pause is logged and waited out.
	stopAtPause bool
	skipHook    string

	timeline  []StageSpan
	last      *types.ServiceDeployment
	logged    string // the awaiting hook last logged
	lastPhase string
	lastRead  time.Time // when the last DescribeServiceDeployments started
}

func terminal(s types.ServiceDeploymentStatus) bool {
	switch s {
	case types.ServiceDeploymentStatusSuccessful, types.ServiceDeploymentStatusRollbackSuccessful,
		types.ServiceDeploymentStatusRollbackFailed, types.ServiceDeploymentStatusStopped:
		return true
	}
	return false
}

func phaseOf(sd *types.ServiceDeployment) string {
	switch sd.Status {
	case types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusPending:
		if sd.LifecycleStage != "" {
			return string(sd.LifecycleStage)
		}
	}
	return string(sd.Status)
}

// observe records a new stage in the timeline and the log.
func (f *follower) observe(sd *types.ServiceDeployment) {
	f.last = sd
	if terminal(sd.Status) {
		f.close()
		return
	}
	phase := phaseOf(sd)
	if phase == f.lastPhase {
		return
	}
	now := f.d.now()
	f.close()
	f.timeline = append(f.timeline, StageSpan{Stage: phase, Started: now})
	f.lastPhase = phase
	f.d.log.Info("service deployment stage", "service", f.svc.Name, "cluster", f.svc.Cluster, "stage", phase,
		"status", string(sd.Status), "service_deployment", f.arn)
}

// close ends the open span, if any.
func (f *follower) close() {
	if n := len(f.timeline); n > 0 && f.timeline[n-1].Duration == 0 && f.lastPhase != "" {
		f.timeline[n-1].Duration = f.d.now().Sub(f.timeline[n-1].Started)
		f.lastPhase = ""
	}
}

// awaiting returns the PAUSE hook of sd that awaits action, if any.
func awaiting(sd *types.ServiceDeployment) *PausedHook {
	for _, h := range sd.LifecycleHookDetails {
		if h.Status == types.DeploymentLifecycleHookStatusAwaitingAction && h.TargetType == types.DeploymentLifecycleHookTargetTypePause {
			return &PausedHook{ID: aws.ToString(h.HookId), Stage: string(sd.LifecycleStage), ExpiresAt: aws.ToTime(h.ExpiresAt), TimeoutAction: string(h.TimeoutAction)}
		}
	}
	return nil
}

// describe reads the service deployment.
func (f *follower) describe(ctx context.Context) (*types.ServiceDeployment, error) {
	return f.d.describeServiceDeployment(ctx, f.arn)
}

func (d *Deployer) describeServiceDeployment(ctx context.Context, arn string) (*types.ServiceDeployment, error) {
	out, err := d.api.DescribeServiceDeployments(ctx, &awsecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("describing service deployment %q: %w", arn, err)
	}
	if len(out.Failures) > 0 {
		return nil, fmt.Errorf("describing service deployment %q: %s", arn, aws.ToString(out.Failures[0].Reason))
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, fmt.Errorf("describing service deployment %q: not found", arn)
	}
	return &out.ServiceDeployments[0], nil
}

// wait polls, first after first and then every PollMax start to start,
// until the deployment ends, pauses (with stopAtPause) or ctx ends; it
// returns the last read, and the hook when paused.
func (f *follower) wait(ctx context.Context, first time.Duration) (*types.ServiceDeployment, *PausedHook, error) {
	d := f.d
	next := d.now().Add(first)
	if !f.lastRead.IsZero() && next.Before(f.lastRead.Add(d.pollMax)) {
		next = f.lastRead.Add(d.pollMax) // never more than 60s/PollMax reads a minute
	}
	for {
		if err := d.sleep(ctx, max(0, next.Sub(d.now()))); err != nil {
			return f.last, nil, err
		}
		f.lastRead = d.now()
		next = f.lastRead.Add(d.pollMax)
		sd, err := f.describe(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return f.last, nil, ctx.Err()
			}
			return f.last, nil, err
		}
		f.observe(sd)
		if terminal(sd.Status) {
			return sd, nil, nil
		}
		if h := awaiting(sd); h != nil && h.ID != f.skipHook {
			if f.stopAtPause {
				return sd, h, nil
			}
			if f.logged != h.ID {
				f.logged = h.ID
				d.log.Warn("service deployment waits at a PAUSE hook; waiting for someone to continue it", "service", f.svc.Name,
					"cluster", f.svc.Cluster, "stage", h.Stage, "hook_id", h.ID, "expires_at", h.ExpiresAt, "timeout_action", h.TimeoutAction)
			}
		}
	}
}

// findServiceDeployment returns the service deployment the update at
// started created, for a response that did not name it.
func (d *Deployer) findServiceDeployment(ctx context.Context, s Service, started time.Time) (string, error) {
	in := &awsecs.ListServiceDeploymentsInput{
		Cluster: aws.String(s.Cluster), Service: aws.String(s.Name),
		Status:    []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress},
		CreatedAt: &types.CreatedAt{After: aws.Time(started.Add(-time.Minute))},
	}
	var newest string
	var at time.Time
	// ListServiceDeployments has no paginator in the SDK.
	for {
		out, err := d.api.ListServiceDeployments(ctx, in)
		if err != nil {
			return "", fmt.Errorf("listing the service deployments of %s: %w", s, err)
		}
		for _, b := range out.ServiceDeployments {
			if c := aws.ToTime(b.CreatedAt); newest == "" || c.After(at) {
				newest, at = aws.ToString(b.ServiceDeploymentArn), c
			}
		}
		if out.NextToken == nil {
			return newest, nil
		}
		in.NextToken = out.NextToken
	}
}

// followNative follows the service deployment an update started, for a
// service whose strategy (a) is not ROLLING.
func (dp *deploy) followNative(ctx, waitCtx context.Context, before, updated *types.Service, a applied) {
	d, s := dp.d, dp.svc
	arn := aws.ToString(updated.CurrentServiceDeployment)
	if arn == "" || arn == aws.ToString(before.CurrentServiceDeployment) {
		var err error
		if arn, err = d.findServiceDeployment(ctx, s, dp.out.Started); err != nil {
			dp.fail(err)
			return
		}
	}
	if arn == "" {
		// A configuration change without a new revision: ECS started no
		// service deployment.
		d.log.Info("no service deployment started", "service", s.Name, "cluster", s.Cluster)
		dp.out.Status, dp.out.Finished = StatusDeployed, d.now()
		return
	}
	dp.sd = arn
	dp.out.ServiceDeployment = arn
	if !dp.o.Wait {
		dp.out.Status, dp.out.Finished = StatusDeployed, d.now()
		return
	}
	bake := a.minDuration()
	d.log.Info("following the service deployment", "service", s.Name, "cluster", s.Cluster, "strategy", string(a.strategy()),
		"service_deployment", arn, "bake_time", bake.String(), "note", "the bake time is part of the deployment and counts toward the timeout")
	if dl, ok := waitCtx.Deadline(); ok && bake > 0 && s.Native.PauseAt == "" && dl.Sub(d.now()) < bake {
		d.log.Warn("the timeout ends before ECS's bake time does: the deploy will time out (and, with rollback, stop the deployment)",
			"service", s.Name, "timeout_left", dl.Sub(d.now()).Round(time.Second).String(), "bake_time", bake.String())
	}
	dp.follow = &follower{d: d, svc: s, arn: arn, stopAtPause: s.Native.PauseAt != ""}
	sd, hook, err := dp.follow.wait(waitCtx, d.pollMin)
	dp.finishNative(ctx, waitCtx, before, sd, hook, err, false)
}

// finishNative sets the outcome of a followed service deployment.
// decidedRollback: the pipeline asked for the rollback (Decide), so a
// successful one is the expected end, not a failure.
func (dp *deploy) finishNative(ctx, waitCtx context.Context, before *types.Service, sd *types.ServiceDeployment, hook *PausedHook, err error, decidedRollback bool) {
	d, s := dp.d, dp.svc
	dp.out.Timeline = dp.follow.timeline
	dp.out.Finished = d.now()
	reason := ""
	if sd != nil {
		reason = aws.ToString(sd.StatusReason)
		if sd.Rollback != nil && aws.ToString(sd.Rollback.Reason) != "" {
			reason = aws.ToString(sd.Rollback.Reason)
		}
	}
	switch {
	case err != nil:
		dp.fail(dp.follow.ctxErr(waitCtx, err, dp.out.Started))
	case hook != nil:
		dp.out.Status, dp.out.Paused = StatusPaused, hook
		d.log.Info("service deployment paused", "service", s.Name, "cluster", s.Cluster, "stage", hook.Stage, "hook_id", hook.ID,
			"expires_at", hook.ExpiresAt, "timeout_action", hook.TimeoutAction)
		return
	case sd.Status == types.ServiceDeploymentStatusSuccessful:
		dp.sdDone = true
		dp.out.Status = StatusDeployed
		d.log.Info("service deployment successful", "service", s.Name, "cluster", s.Cluster, "service_deployment", dp.sd)
		return
	case sd.Status == types.ServiceDeploymentStatusRollbackSuccessful && decidedRollback:
		dp.sdDone = true
		dp.out.Status = StatusRolledBack
		d.log.Info("service deployment rolled back as decided", "service", s.Name, "cluster", s.Cluster, "service_deployment", dp.sd)
		return
	case sd.Status == types.ServiceDeploymentStatusRollbackSuccessful:
		dp.sdDone, dp.ecsRolledBack = true, true
		dp.fail(fmt.Errorf("%s: %w: %w by ECS: service deployment %q ended %s: %s", s, ErrDeploymentFailed, ErrRolledBack, dp.sd, sd.Status, orNone(reason)))
		dp.out.Status = StatusRolledBack
	default: // ROLLBACK_FAILED, STOPPED
		dp.sdDone, dp.ecsRolledBack = true, true
		dp.fail(fmt.Errorf("%s: %w: service deployment %q ended %s: %s", s, ErrDeploymentFailed, dp.sd, sd.Status, orNone(reason)))
	}
	dp.diagnose(ctx, before)
}

// ctxErr turns an error seen after ctx ended into a timeout or a
// cancellation.
func (f *follower) ctxErr(ctx context.Context, err error, started time.Time) error {
	if ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	stage := ""
	if f.last != nil {
		stage = " (at " + phaseOf(f.last) + ")"
	}
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w: service deployment %q not finished after %s%s; the bake time counts toward the timeout",
			f.svc, ErrDeploymentFailed, ErrTimeout, f.arn, f.d.now().Sub(started).Round(time.Second), stage)
	}
	return fmt.Errorf("%s: following service deployment %q: %w", f.svc, f.arn, cause)
}

// diagnose reads the service's events since the update and the stopped
// tasks of the new revision, once, after a failure.
func (dp *deploy) diagnose(ctx context.Context, before *types.Service) {
	rctx, cancel := rollbackContext(ctx, dp.o.RollbackTimeout)
	defer cancel()
	w := newWatch(dp.d, dp.svc, dp.out.Previous, dp.svc.TaskDefinition, dp.out.Started, before, nil)
	w.seenEvents = eventIDs(dp.out.Events)
	if before != nil {
		for _, e := range before.Events {
			w.seenEvents[aws.ToString(e.Id)] = true
		}
	}
	if svc, err := dp.d.describe(rctx, dp.svc); err == nil {
		w.observe(svc)
	}
	if dp.svc.TaskDefinition != "" {
		_ = w.checkTasks(rctx) // diagnostics only: the failure is already reported
	}
	dp.out.Events = append(dp.out.Events, w.events...)
	dp.out.Stopped = append(dp.out.Stopped, w.stopped...)
}

// stopRollback stops the service deployment with ECS's rollback
// (StopServiceDeployment, ROLLBACK) and waits for it: never a new
// deployment.
func (dp *deploy) stopRollback(ctx context.Context, why error) {
	d, s := dp.d, dp.svc
	rctx, cancel := rollbackContext(ctx, dp.o.RollbackTimeout)
	defer cancel()
	d.log.Info("rolling back through ECS", "service", s.Name, "cluster", s.Cluster, "service_deployment", dp.sd, "reason", why.Error())
	_, err := d.api.StopServiceDeployment(rctx, &awsecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(dp.sd), StopType: types.StopServiceDeploymentStopTypeRollback,
	})
	if err != nil {
		err = fmt.Errorf("stopping service deployment %q with rollback: %w", dp.sd, err)
	} else if dp.o.Wait {
		if dp.follow == nil {
			dp.follow = &follower{d: d, svc: s, arn: dp.sd}
		}
		dp.follow.stopAtPause = false
		var sd *types.ServiceDeployment
		sd, _, err = dp.follow.wait(rctx, d.pollMin)
		dp.out.Timeline = dp.follow.timeline
		switch {
		case err != nil:
			err = fmt.Errorf("rolling back: %w", dp.follow.ctxErr(rctx, err, dp.out.Started))
		case sd.Status != types.ServiceDeploymentStatusRollbackSuccessful:
			err = fmt.Errorf("rolling back: service deployment %q ended %s: %s", dp.sd, sd.Status, orNone(aws.ToString(sd.StatusReason)))
		}
	}
	dp.out.Finished = d.now()
	if err != nil {
		dp.out.Status = StatusFailed
		dp.out.Err = fmt.Errorf("%w; rollback failed: %w", why, err)
		return
	}
	dp.out.Status = StatusRolledBack
	dp.out.Err = fmt.Errorf("%w: %w", ErrRolledBack, why)
}

// Decision is the second step of a gated deploy: what to do with a service
// deployment paused at a PAUSE hook.
type Decision struct {
	// ServiceDeployment is the ARN of the paused service deployment
	// (arn:…:service-deployment/cluster/service/id).
	ServiceDeployment string
	// HookID is the hook to act on; "" means the PAUSE hook that awaits
	// action.
	HookID string
	// Action is CONTINUE or ROLLBACK.
	Action types.DeploymentLifecycleHookAction
}

// Validate reports every problem with dec at once, each a [FieldError].
func (dec Decision) Validate() error {
	var errs []error
	if _, _, err := ServiceDeploymentService(dec.ServiceDeployment); err != nil {
		errs = append(errs, problem("the ARN of a service deployment, arn:aws:ecs:REGION:ACCOUNT:service-deployment/CLUSTER/SERVICE/ID", fmt.Sprintf("%q", dec.ServiceDeployment), FieldServiceDeployment))
	}
	if dec.HookID != "" && strings.ContainsAny(dec.HookID, " /:") {
		errs = append(errs, problem("a hook id as DescribeServiceDeployments lists it (ecs-pause-…)", fmt.Sprintf("%q", dec.HookID), FieldHookID))
	}
	return errors.Join(errs...)
}

// ServiceDeploymentService returns the cluster and service of a service
// deployment ARN.
func ServiceDeploymentService(arn string) (cluster, service string, err error) {
	_, rest, ok := strings.Cut(arn, ":service-deployment/")
	parts := strings.Split(rest, "/")
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":ecs:") || !ok || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", fmt.Errorf("not a service deployment ARN: %q", arn)
	}
	return parts[0], parts[1], nil
}

// Decide continues or rolls back a service deployment paused at a PAUSE
// hook (ContinueServiceDeployment) and, with o.Wait, follows it to its
// end: SUCCESSFUL is [StatusDeployed]; a ROLLBACK that ECS completes is
// [StatusRolledBack] without an error (it was asked for); a later PAUSE
// hook that awaits action returns [StatusPaused] again. When the deadline
// of ctx passes first and o.Rollback, the deployment is stopped with
// ECS's rollback (StopServiceDeployment), as [Deployer.Deploy] does.
func (d *Deployer) Decide(ctx context.Context, dec Decision, o Options) (Outcome, error) {
	if o.RollbackTimeout <= 0 {
		o.RollbackTimeout = DefaultRollbackTimeout
	}
	if err := dec.Validate(); err != nil {
		return Outcome{Status: StatusFailed, Err: err}, err
	}
	cluster, name, _ := ServiceDeploymentService(dec.ServiceDeployment)
	dp := &deploy{d: d, svc: Service{Cluster: cluster, Name: name}, o: o, sd: dec.ServiceDeployment,
		out: Outcome{Service: name, Cluster: cluster, ServiceDeployment: dec.ServiceDeployment, Started: d.now()}}
	fail := func(err error) (Outcome, error) {
		dp.fail(err)
		return dp.out, err
	}
	sd, err := d.describeServiceDeployment(ctx, dec.ServiceDeployment)
	if err != nil {
		return fail(err)
	}
	hook := awaiting(sd)
	if sd.Status != types.ServiceDeploymentStatusInProgress || hook == nil || (dec.HookID != "" && dec.HookID != hook.ID) {
		what := fmt.Sprintf("status %s at %s", sd.Status, orNone(string(sd.LifecycleStage)))
		if hook != nil {
			what += fmt.Sprintf(", hook %q awaits action", hook.ID)
		}
		if dec.HookID != "" {
			return fail(fmt.Errorf("%w: service deployment %q has no hook %q awaiting action (%s)", ErrNotPaused, dec.ServiceDeployment, dec.HookID, what))
		}
		return fail(fmt.Errorf("%w: service deployment %q (%s)", ErrNotPaused, dec.ServiceDeployment, what))
	}
	cur, err := d.describe(ctx, dp.svc)
	if err != nil {
		return fail(err)
	}
	dp.svc.TaskDefinition = aws.ToString(cur.TaskDefinition)
	dp.out.Deployed = dp.svc.TaskDefinition
	dp.follow = &follower{d: d, svc: dp.svc, arn: dec.ServiceDeployment, stopAtPause: true, skipHook: hook.ID, lastRead: dp.out.Started}
	dp.follow.observe(sd)
	d.log.Info("deciding", "service", name, "cluster", cluster, "service_deployment", dec.ServiceDeployment, "hook_id", hook.ID,
		"stage", hook.Stage, "action", string(dec.Action))
	if _, err := d.api.ContinueServiceDeployment(ctx, &awsecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(dec.ServiceDeployment), HookId: aws.String(hook.ID), Action: dec.Action,
	}); err != nil {
		return fail(fmt.Errorf("continuing service deployment %q with %s: %w", dec.ServiceDeployment, dec.Action, err))
	}
	if !o.Wait {
		dp.out.Status, dp.out.Finished = StatusDeployed, d.now()
		if dec.Action == types.DeploymentLifecycleHookActionRollback {
			dp.out.Status = StatusRolledBack
		}
		return dp.out, nil
	}
	rollback := dec.Action == types.DeploymentLifecycleHookActionRollback
	if rollback {
		dp.follow.stopAtPause = false
	}
	last, paused, err := dp.follow.wait(ctx, d.pollMin)
	dp.finishNative(ctx, ctx, cur, last, paused, err, rollback)
	if dp.failed && o.Rollback && !dp.ecsRolledBack && !rollback {
		if cancelled(ctx) {
			dp.out.Err = fmt.Errorf("%w; %w: service deployment %q goes on", dp.out.Err, ErrNotRolledBack, dp.sd)
		} else {
			dp.stopRollback(ctx, dp.out.Err)
		}
	}
	if dp.out.Finished.IsZero() {
		dp.out.Finished = d.now()
	}
	return dp.out, dp.out.Err
}
