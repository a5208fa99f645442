package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// maxDescribeTasks is how many tasks one DescribeTasks call takes.
const maxDescribeTasks = 100

// watch follows one rollout of a service to target, from prev.
//
// # Completion rules
//
// AWS rule: ECS answers UpdateService with the service as updated, and a
// rolling update (or a desired-count change) shows there a PRIMARY
// deployment of the new task definition. When the UpdateService response
// has a PRIMARY deployment with target (aws is true), only this rule
// applies: the rollout is done when the PRIMARY deployment has target and
// rolloutState COMPLETED, or, when ECS reports no rolloutState, when it is
// the only deployment and its runningCount equals its desiredCount.
//
// moto rule: moto's UpdateService sets the service's taskDefinition but
// keeps its single deployment, the one CreateService made, naming the
// task definition the service was CREATED with, however many updates
// followed (with forceNewDeployment it gets a new id); its counts are
// frozen at CreateService, so the service-level counts are the live ones.
// When — and only when — the UpdateService response has no PRIMARY
// deployment with target, the rollout is also done when all of these
// hold:
//   - the service's taskDefinition is target;
//   - there is exactly one deployment, PRIMARY;
//   - its id was seen in the DescribeServices before the update or in the
//     UpdateService response (it was not created after our update);
//   - its rolloutState is COMPLETED, or the service's runningCount equals
//     its desiredCount with nothing pending.
//
// The deployment's task definition is not asked for: it is the creation
// revision, which after a first deploy is neither prev nor target.
//
// On AWS the moto rule is never used: an UpdateService that changes the
// task definition or forces a deployment always returns the new PRIMARY
// deployment with target, and an update that does neither leaves the
// PRIMARY deployment on the task definition the service already runs,
// target. Nor could it match an AWS shape: there the service's
// taskDefinition is its PRIMARY deployment's, so a service on target whose
// PRIMARY deployment names another revision is moto's shape only. So an
// AWS rollout in progress cannot be taken for done.
//
// # Failure rules
//
//   - the PRIMARY deployment has target and rolloutState FAILED;
//   - the deployment circuit breaker rolled back: our deployment (aws) is
//     no longer PRIMARY, or the PRIMARY deployment names neither target nor
//     (moto rule) the pre-existing deployment, or the service's
//     taskDefinition is no longer target;
//   - MaxFailedTasks tasks of target stopped since the update: tasks
//     started by our deployment (when ECS named it), otherwise tasks of
//     target created at or after the update.
type watch struct {
	d          *Deployer
	svc        Service
	prev       string
	target     string
	started    time.Time
	aws        bool
	deployment string          // our deployment's id (aws), or ""
	known      map[string]bool // deployment ids seen before or in the update

	seenEvents map[string]bool
	events     []types.ServiceEvent
	seenTasks  map[string]bool // stopped task ARNs already described
	stopped    []TaskFailure

	lastCounts string
	lastLog    time.Time
}

func newWatch(d *Deployer, s Service, prev, target string, started time.Time, before, updated *types.Service) *watch {
	w := &watch{
		d: d, svc: s, prev: prev, target: target, started: started,
		known:      map[string]bool{},
		seenEvents: map[string]bool{},
		seenTasks:  map[string]bool{},
		lastLog:    started,
	}
	for _, s := range []*types.Service{before, updated} {
		if s == nil {
			continue
		}
		for _, dep := range s.Deployments {
			w.known[aws.ToString(dep.Id)] = true
		}
	}
	// Events already there before the update are not ours.
	if before != nil {
		for _, e := range before.Events {
			w.seenEvents[aws.ToString(e.Id)] = true
		}
	}
	if updated != nil {
		if p := primaryOf(updated); p != nil && aws.ToString(p.TaskDefinition) == target {
			w.aws = true
			w.deployment = aws.ToString(p.Id)
		}
	}
	return w
}

// wait polls until the rollout is done, fails, or ctx ends: the first
// DescribeServices PollMin after the update, the next ones PollMax apart,
// start to start, whatever time the calls in between took.
func (w *watch) wait(ctx context.Context, maxFailed int) error {
	d := w.d
	next := d.now().Add(d.pollMin)
	for {
		if err := d.sleep(ctx, max(0, next.Sub(d.now()))); err != nil {
			return w.ctxErr(ctx, err)
		}
		next = d.now().Add(d.pollMax)
		svc, err := d.describe(ctx, w.svc)
		if err != nil {
			return w.ctxErr(ctx, err)
		}
		w.observe(svc)
		done, failure := w.evaluate(svc)
		if failure != "" {
			return fmt.Errorf("%s: %w: %s", w.svc, ErrDeploymentFailed, failure)
		}
		if done {
			d.log.Info("rollout complete", "service", w.svc.Name, "cluster", w.svc.Cluster, "task_definition", w.target)
			return nil
		}
		if err := w.checkTasks(ctx); err != nil {
			return w.ctxErr(ctx, err)
		}
		if n := len(w.stopped); n >= maxFailed {
			return fmt.Errorf("%s: %w: %d tasks of task definition %q stopped (at most %d allowed); last: %s",
				w.svc, ErrDeploymentFailed, n, w.target, maxFailed-1, w.stopped[n-1])
		}
		if now := d.now(); now.Sub(w.lastLog) >= d.pollMax*heartbeatPolls {
			d.log.Info("still waiting for the rollout", "service", w.svc.Name, "cluster", w.svc.Cluster,
				"task_definition", w.target, "elapsed", now.Sub(w.started).Round(time.Second).String())
			w.lastLog = now
		}
	}
}

// ctxErr turns an error seen after ctx ended into a timeout or a
// cancellation.
func (w *watch) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w: task definition %q not rolled out after %s",
			w.svc, ErrDeploymentFailed, ErrTimeout, w.target, w.d.now().Sub(w.started).Round(time.Second))
	}
	return fmt.Errorf("%s: waiting for the rollout: %w", w.svc, cause)
}

// observe logs new events and changed counts.
func (w *watch) observe(svc *types.Service) {
	log := w.d.log
	var fresh []types.ServiceEvent
	for _, e := range svc.Events {
		id := aws.ToString(e.Id)
		if w.seenEvents[id] {
			continue
		}
		w.seenEvents[id] = true
		if e.CreatedAt != nil && e.CreatedAt.Before(w.started) {
			continue
		}
		fresh = append(fresh, e)
	}
	// ECS lists events newest first.
	slices.SortStableFunc(fresh, func(a, b types.ServiceEvent) int {
		return aws.ToTime(a.CreatedAt).Compare(aws.ToTime(b.CreatedAt))
	})
	for _, e := range fresh {
		log.Info("service event", "service", w.svc.Name, "cluster", w.svc.Cluster, "at", aws.ToTime(e.CreatedAt), "message", aws.ToString(e.Message))
		w.lastLog = w.d.now()
	}
	w.events = append(w.events, fresh...)

	running, pending, desired := svc.RunningCount, svc.PendingCount, svc.DesiredCount
	state := ""
	if p := primaryOf(svc); p != nil && (w.aws || aws.ToString(p.TaskDefinition) == w.target) {
		running, pending, desired = p.RunningCount, p.PendingCount, p.DesiredCount
		state = string(p.RolloutState)
	}
	counts := fmt.Sprintf("%d/%d/%d/%s/%d", running, pending, desired, state, len(svc.Deployments))
	if counts != w.lastCounts {
		w.lastCounts = counts
		log.Info("tasks", "service", w.svc.Name, "cluster", w.svc.Cluster, "running", running, "pending", pending,
			"desired", desired, "rollout_state", state, "deployments", len(svc.Deployments))
		w.lastLog = w.d.now()
	}
}

// evaluate applies the completion and failure rules to one read of the
// service.
func (w *watch) evaluate(svc *types.Service) (done bool, failure string) {
	primary := primaryOf(svc)
	if primary == nil {
		return false, ""
	}
	pTD := aws.ToString(primary.TaskDefinition)
	if pTD == w.target && primary.RolloutState == types.DeploymentRolloutStateFailed {
		return false, fmt.Sprintf("deployment %q of task definition %q: rolloutState FAILED: %s", aws.ToString(primary.Id), w.target, aws.ToString(primary.RolloutStateReason))
	}
	if w.aws {
		if id := aws.ToString(primary.Id); id != w.deployment {
			reason := "the deployment circuit breaker or another update replaced it"
			if pTD == w.prev {
				reason = "rolled back by the deployment circuit breaker"
			}
			for _, dep := range svc.Deployments {
				if aws.ToString(dep.Id) == w.deployment && dep.RolloutStateReason != nil {
					reason += ": " + aws.ToString(dep.RolloutStateReason)
				}
			}
			return false, fmt.Sprintf("deployment %q of task definition %q is no longer the primary deployment (now %q with %q): %s", w.deployment, w.target, id, pTD, reason)
		}
		if primary.RolloutState == types.DeploymentRolloutStateCompleted {
			return true, ""
		}
		if primary.RolloutState == "" && len(svc.Deployments) == 1 && primary.RunningCount == primary.DesiredCount {
			return true, ""
		}
		return false, ""
	}

	// Neither AWS's shape nor (yet) anything else: the moto rule.
	if td := aws.ToString(svc.TaskDefinition); td != w.target {
		return false, fmt.Sprintf("the service's task definition changed to %q while rolling out %q (rolled back by the deployment circuit breaker or another update)", td, w.target)
	}
	if pTD != w.target && !w.known[aws.ToString(primary.Id)] {
		return false, fmt.Sprintf("a new primary deployment %q of task definition %q replaced the rollout of %q (rolled back by the deployment circuit breaker or another update)", aws.ToString(primary.Id), pTD, w.target)
	}
	if pTD == w.target {
		// A deployment of ours after all: the AWS rule.
		if primary.RolloutState == types.DeploymentRolloutStateCompleted {
			return true, ""
		}
		if primary.RolloutState == "" && len(svc.Deployments) == 1 && primary.RunningCount == primary.DesiredCount {
			return true, ""
		}
		return false, ""
	}
	if len(svc.Deployments) != 1 || !w.known[aws.ToString(primary.Id)] {
		return false, ""
	}
	if primary.RolloutState == types.DeploymentRolloutStateCompleted ||
		(svc.RunningCount == svc.DesiredCount && svc.PendingCount == 0) {
		return true, ""
	}
	return false, ""
}

// checkTasks describes the tasks of the service stopped since the last
// check and records those of our revision.
func (w *watch) checkTasks(ctx context.Context) error {
	var fresh []string
	p := awsecs.NewListTasksPaginator(w.d.api, &awsecs.ListTasksInput{
		Cluster:       aws.String(w.svc.Cluster),
		ServiceName:   aws.String(w.svc.Name),
		DesiredStatus: types.DesiredStatusStopped,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing stopped tasks of %s: %w", w.svc, err)
		}
		for _, arn := range page.TaskArns {
			if !w.seenTasks[arn] {
				fresh = append(fresh, arn)
			}
		}
	}
	for chunk := range slices.Chunk(fresh, maxDescribeTasks) {
		out, err := w.d.api.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(w.svc.Cluster), Tasks: chunk})
		if err != nil {
			return fmt.Errorf("describing stopped tasks of %s: %w", w.svc, err)
		}
		for _, t := range out.Tasks {
			arn := aws.ToString(t.TaskArn)
			if aws.ToString(t.LastStatus) != "STOPPED" {
				continue // stopping: described again next time
			}
			w.seenTasks[arn] = true
			if !w.ours(t) {
				continue
			}
			f := failureOf(t)
			w.stopped = append(w.stopped, f)
			w.d.log.Info("task stopped", "service", w.svc.Name, "cluster", w.svc.Cluster, "task", arn, "reason", f.String())
			w.lastLog = w.d.now()
		}
		for _, f := range out.Failures {
			w.seenTasks[aws.ToString(f.Arn)] = true
		}
	}
	return nil
}

// ours: the task runs target and was started by our deployment (when known)
// or created at or after the update.
func (w *watch) ours(t types.Task) bool {
	if aws.ToString(t.TaskDefinitionArn) != w.target {
		return false
	}
	if w.deployment != "" && aws.ToString(t.StartedBy) != "" {
		return aws.ToString(t.StartedBy) == w.deployment
	}
	return t.CreatedAt != nil && !t.CreatedAt.Before(w.started)
}

func failureOf(t types.Task) TaskFailure {
	f := TaskFailure{TaskARN: aws.ToString(t.TaskArn), StoppedReason: aws.ToString(t.StoppedReason)}
	for _, c := range t.Containers {
		f.Containers = append(f.Containers, ContainerExit{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)})
	}
	return f
}
