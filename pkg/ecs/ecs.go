package ecs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Errors callers branch on; Deploy and RunTask wrap them.
var (
	// ErrDeploymentFailed: a rollout failed (rolloutState FAILED, the
	// deployment circuit breaker rolled it back, or too many of its tasks
	// stopped), or it did not finish in time.
	ErrDeploymentFailed = errors.New("deployment failed")
	// ErrRolledBack: the service was updated back to its previous task
	// definition and that rollout finished.
	ErrRolledBack = errors.New("rolled back to the previous task definition")
	// ErrNotRolledBack: the caller cancelled the context; the services
	// updated keep their new task definitions (no rollback is started).
	ErrNotRolledBack = errors.New("not rolled back: cancelled")
	// ErrTimeout: the context's deadline passed before the rollout finished.
	ErrTimeout = errors.New("timed out waiting for the deployment")
	// ErrTaskFailed: a one-off task's essential container exited non-zero
	// or without an exit code.
	ErrTaskFailed = errors.New("task failed")
)

// Defaults of [Config] and [Options].
const (
	DefaultPollMin         = 2 * time.Second // the first look after the update
	DefaultPollMax         = 5 * time.Second // later polls, start to start: ≤ 12 DescribeServices in any minute, a finished rollout noticed within 5 s
	DefaultMaxFailedTasks  = 3
	DefaultRollbackTimeout = 10 * time.Minute
	// heartbeatPolls: with nothing new for PollMax*heartbeatPolls, a
	// heartbeat record is logged.
	heartbeatPolls = 3
)

// api lists the ECS calls this package makes; *awsecs.Client satisfies it.
type api interface {
	awsecs.DescribeServicesAPIClient
	awsecs.DescribeTasksAPIClient
	awsecs.ListTasksAPIClient
	UpdateService(context.Context, *awsecs.UpdateServiceInput, ...func(*awsecs.Options)) (*awsecs.UpdateServiceOutput, error)
	RunTask(context.Context, *awsecs.RunTaskInput, ...func(*awsecs.Options)) (*awsecs.RunTaskOutput, error)
	DescribeTaskDefinition(context.Context, *awsecs.DescribeTaskDefinitionInput, ...func(*awsecs.Options)) (*awsecs.DescribeTaskDefinitionOutput, error)
	// ECS's own deployments (strategies other than ROLLING).
	ListServiceDeployments(context.Context, *awsecs.ListServiceDeploymentsInput, ...func(*awsecs.Options)) (*awsecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(context.Context, *awsecs.DescribeServiceDeploymentsInput, ...func(*awsecs.Options)) (*awsecs.DescribeServiceDeploymentsOutput, error)
	StopServiceDeployment(context.Context, *awsecs.StopServiceDeploymentInput, ...func(*awsecs.Options)) (*awsecs.StopServiceDeploymentOutput, error)
	ContinueServiceDeployment(context.Context, *awsecs.ContinueServiceDeploymentInput, ...func(*awsecs.Options)) (*awsecs.ContinueServiceDeploymentOutput, error)
}

var _ api = (*awsecs.Client)(nil)

// Config configures a [Deployer].
type Config struct {
	// Logger receives progress: service events and count changes at Info,
	// detail at Debug. Nil discards everything.
	Logger *slog.Logger
	// PollMin is the delay between the update and the first
	// DescribeServices of the wait (0 means 2s), so that a rollout that
	// fails at once is reported within seconds. PollMax is the period of
	// the later polls, start to start (0 means 5s): a rollout that
	// finishes is noticed at most PollMax (plus one call) later, and no
	// 60-second window holds more than 60s/PollMax calls. The delay grows
	// from PollMin to PollMax in one step on purpose: any delay between
	// PollMin and PollMax after the first poll would put a 13th call into
	// some minute at a 5s period.
	PollMin, PollMax time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx.Err()); nil
	// means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Deployer rolls ECS services to new task definitions. It holds no state
// between calls and is safe for concurrent use.
type Deployer struct {
	api     api
	log     *slog.Logger
	pollMin time.Duration
	pollMax time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
}

// New returns a Deployer calling ECS through client (an *ecs.Client from
// github.com/aws/aws-sdk-go-v2/service/ecs).
func New(client api, c Config) *Deployer {
	d := &Deployer{api: client, log: c.Logger, pollMin: c.PollMin, pollMax: c.PollMax, now: c.Now, sleep: c.Sleep}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.pollMin <= 0 {
		d.pollMin = DefaultPollMin
	}
	if d.pollMax <= 0 {
		d.pollMax = DefaultPollMax
	}
	if d.pollMax < d.pollMin {
		d.pollMax = d.pollMin
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.sleep == nil {
		d.sleep = sleep
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Service is one service to deploy.
type Service struct {
	Cluster, Name string
	// TaskDefinition is the ARN of the task definition to deploy.
	TaskDefinition string
	// DesiredCount, when set, is written with the task definition.
	DesiredCount *int32
	// ForceNewDeployment starts a new deployment even when the task
	// definition is already in place.
	ForceNewDeployment bool
	// Native is what changes in the service's deploymentConfiguration;
	// the zero Native changes nothing.
	Native Native
}

func (s Service) String() string { return fmt.Sprintf("service %q in cluster %q", s.Name, s.Cluster) }

// Options say how to deploy.
type Options struct {
	// Wait for each rollout to finish (or fail) before returning. Without
	// it Deploy returns after the UpdateService calls, and nothing is
	// ever rolled back except after a failed UpdateService.
	Wait bool
	// Rollback updates every service that was updated back to its
	// previous task definition when any of them fails or times out, and
	// waits for that (when Wait).
	Rollback bool
	// MaxFailedTasks stopped tasks of the new revision fail the rollout
	// before ECS itself gives up; 0 means 3.
	MaxFailedTasks int
	// RollbackTimeout bounds each rollback, which runs after the caller's
	// context is done when the deploy timed out; 0 means 10 minutes.
	RollbackTimeout time.Duration
}

// Status is what happened to one service.
type Status string

// Statuses of [Outcome].
const (
	StatusDeployed   Status = "deployed"
	StatusUnchanged  Status = "unchanged"
	StatusRolledBack Status = "rolled-back"
	StatusFailed     Status = "failed"
)

// ContainerExit is how one container of a stopped task ended.
type ContainerExit struct {
	Name     string
	ExitCode *int32 // nil when the container never ran or was killed
	Reason   string
}

// TaskFailure is a stopped task of the deployed revision.
type TaskFailure struct {
	TaskARN, StoppedReason string
	Containers             []ContainerExit
}

func (f TaskFailure) String() string {
	s := fmt.Sprintf("task %q: %s", f.TaskARN, f.StoppedReason)
	for _, c := range f.Containers {
		if c.ExitCode != nil {
			s += fmt.Sprintf("; container %q exited %d", c.Name, *c.ExitCode)
		} else {
			s += fmt.Sprintf("; container %q has no exit code", c.Name)
		}
		if c.Reason != "" {
			s += ": " + c.Reason
		}
	}
	return s
}

// Outcome reports one service.
type Outcome struct {
	Service, Cluster string
	// Previous is the task definition found in place, Deployed the one
	// asked for.
	Previous, Deployed string
	// DeploymentID is the ECS deployment of Deployed, when ECS reported
	// one in the UpdateService response.
	DeploymentID string
	Status       Status
	// Started is when UpdateService was called, Finished when the outcome
	// was decided (after any rollback).
	Started, Finished time.Time
	// Events are the service events since Started, oldest first.
	Events []types.ServiceEvent
	// Stopped are the stopped tasks of Deployed seen while waiting.
	Stopped []TaskFailure
	// Strategy is the service's deployment strategy in effect for this
	// deploy; ConfigChanges what the deploy changed in its
	// deploymentConfiguration (one line each).
	Strategy      types.DeploymentStrategy
	ConfigChanges []string
	// ServiceDeployment is the ARN of ECS's service deployment that was
	// followed (strategies other than ROLLING), Timeline its stages.
	ServiceDeployment string
	Timeline          []StageSpan
	// Paused is the PAUSE hook the deployment waits at (StatusPaused);
	// TestListenerRule the service's test listener rule, TestURL where
	// it answers (set by [Deployer.Run] through Env.TestURL).
	Paused           *PausedHook
	TestListenerRule string
	TestURL          string
	Err              error
}

// deploy is the state of one service in one Deploy.
type deploy struct {
	d   *Deployer
	svc Service
	o   Options
	out Outcome

	prevDesired int32 // the service's desired count before the update
	updated     bool  // UpdateService succeeded
	failed      bool  // the rollout failed or timed out

	// ECS's service deployment, when followed: its ARN, whether it ended
	// (nothing left to stop), whether ECS ended it with its own rollback
	// (or it failed for good), and its follower.
	sd            string
	sdDone        bool
	ecsRolledBack bool
	follow        *follower
}

// Deploy updates every service to its task definition, in parallel, and
// with o.Wait waits for every rollout. It is all-or-nothing: with
// o.Rollback, when one service fails every service that was updated,
// including those whose rollout finished, is rolled back. It returns one
// Outcome per service, in order, and the errors of the outcomes joined.
func (d *Deployer) Deploy(ctx context.Context, services []Service, o Options) ([]Outcome, error) {
	if len(services) == 0 {
		return nil, errors.New("no services to deploy")
	}
	if o.MaxFailedTasks <= 0 {
		o.MaxFailedTasks = DefaultMaxFailedTasks
	}
	if o.RollbackTimeout <= 0 {
		o.RollbackTimeout = DefaultRollbackTimeout
	}
	var problems []error
	seen := map[string]bool{}
	for i, s := range services {
		if s.Native.PauseAt != "" && len(services) > 1 {
			problems = append(problems, fmt.Errorf("%s: a pause stage is for one service at a time, found %d services", s, len(services)))
		}
		if s.Cluster == "" || s.Name == "" || s.TaskDefinition == "" {
			problems = append(problems, fmt.Errorf("service %d: cluster, name and task definition are required, found cluster %q name %q task definition %q", i+1, s.Cluster, s.Name, s.TaskDefinition))
		}
		key := s.Cluster + "\x00" + s.Name
		if seen[key] {
			problems = append(problems, fmt.Errorf("%s: given twice", s))
		}
		seen[key] = true
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}

	deps := make([]*deploy, len(services))
	for i, s := range services {
		deps[i] = &deploy{d: d, svc: s, o: o, out: Outcome{Service: s.Name, Cluster: s.Cluster, Deployed: s.TaskDefinition}}
	}
	// waitCtx ends every wait as soon as one service fails, when the
	// others are going to be rolled back anyway.
	waitCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	var wg sync.WaitGroup
	for _, dp := range deps {
		wg.Go(func() {
			dp.run(ctx, waitCtx)
			if dp.failed && o.Rollback {
				abort(fmt.Errorf("%w: %s", errSibling, dp.svc))
			}
		})
	}
	wg.Wait()

	var culprit *deploy
	for _, dp := range deps {
		if dp.failed && !dp.aborted() {
			culprit = dp
			break
		}
	}
	switch {
	case culprit != nil && o.Rollback && cancelled(ctx):
		// The caller cancelled (SIGTERM): a rollback would be cancelled
		// too, and could not finish within a runner's grace period. Every
		// service keeps the task definition it was updated to, and ECS
		// goes on with that rollout; nothing new is started.
		for _, dp := range deps {
			if dp.updated && dp.out.Err != nil {
				dp.out.Err = fmt.Errorf("%w; %w: %s stays on task definition %q and ECS goes on with that rollout", dp.out.Err, ErrNotRolledBack, dp.svc, dp.svc.TaskDefinition)
			}
		}
	case culprit != nil && o.Rollback:
		for _, dp := range deps {
			if !dp.updated {
				continue
			}
			wg.Go(func() { dp.rollback(ctx, culprit) })
		}
		wg.Wait()
	}
	errs := make([]error, 0, len(deps))
	outs := make([]Outcome, len(deps))
	for i, dp := range deps {
		if dp.out.Finished.IsZero() {
			dp.out.Finished = d.now()
		}
		outs[i] = dp.out
		if dp.out.Err != nil {
			errs = append(errs, dp.out.Err)
		}
	}
	return outs, errors.Join(errs...)
}

// cancelled reports whether the caller cancelled ctx, rather than its
// deadline passing.
func cancelled(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled)
}

// errSibling is the cause of waits ended because another service failed.
var errSibling = errors.New("another service failed")

func (dp *deploy) aborted() bool { return errors.Is(dp.out.Err, errSibling) }

// run updates the service and waits for the rollout.
func (dp *deploy) run(ctx, waitCtx context.Context) {
	d, s := dp.d, dp.svc
	cur, err := d.describe(ctx, s)
	if err != nil {
		dp.fail(err)
		return
	}
	dp.out.Previous = aws.ToString(cur.TaskDefinition)
	dp.prevDesired = cur.DesiredCount
	a, err := s.Native.apply(cur)
	if err != nil {
		dp.fail(fmt.Errorf("%s: %w", s, err))
		return
	}
	dp.out.Strategy, dp.out.ConfigChanges, dp.out.TestListenerRule = a.strategy(), a.changes, a.testListenerRule()
	// Unchanged: the service runs our task definition and nothing else is
	// asked. On AWS the service's task definition is its PRIMARY
	// deployment's; moto leaves its single deployment naming the revision
	// the service was created with, so one deployment is enough there.
	if primary := primaryOf(cur); aws.ToString(cur.TaskDefinition) == s.TaskDefinition &&
		(primary == nil || aws.ToString(primary.TaskDefinition) == s.TaskDefinition || len(cur.Deployments) == 1) &&
		s.DesiredCount == nil && !s.ForceNewDeployment && len(a.changes) == 0 {
		dp.out.Status = StatusUnchanged
		if primary != nil {
			dp.out.DeploymentID = aws.ToString(primary.Id)
		}
		dp.out.Finished = d.now()
		d.log.Info("service already runs the task definition", "service", s.Name, "cluster", s.Cluster, "task_definition", s.TaskDefinition)
		return
	}

	dp.out.Started = d.now()
	in := &awsecs.UpdateServiceInput{
		Cluster:            aws.String(s.Cluster),
		Service:            aws.String(s.Name),
		TaskDefinition:     aws.String(s.TaskDefinition),
		DesiredCount:       s.DesiredCount,
		ForceNewDeployment: s.ForceNewDeployment,
	}
	if len(a.changes) > 0 {
		// Only what was given changed; the rest is the service's own.
		in.DeploymentConfiguration = a.config
		if a.lbChanged {
			in.LoadBalancers = a.loadBalancers
		}
		for _, c := range a.changes {
			d.log.Info("deployment configuration", "service", s.Name, "cluster", s.Cluster, "change", c)
		}
	}
	up, err := d.api.UpdateService(ctx, in)
	if err != nil {
		dp.fail(fmt.Errorf("updating %s to task definition %q: %w", s, s.TaskDefinition, err))
		return
	}
	dp.updated = true
	d.log.Info("service updated", "service", s.Name, "cluster", s.Cluster, "task_definition", s.TaskDefinition, "previous", dp.out.Previous)
	if a.strategy() != types.DeploymentStrategyRolling {
		dp.followNative(ctx, waitCtx, cur, up.Service, a)
		return
	}
	w := newWatch(d, s, dp.out.Previous, s.TaskDefinition, dp.out.Started, cur, up.Service)
	dp.out.DeploymentID = w.deployment
	if !dp.o.Wait {
		dp.out.Status = StatusDeployed
		dp.out.Finished = d.now()
		return
	}
	err = w.wait(waitCtx, dp.o.MaxFailedTasks)
	dp.out.Events = append(dp.out.Events, w.events...)
	dp.out.Stopped = append(dp.out.Stopped, w.stopped...)
	dp.out.Finished = d.now()
	if err != nil {
		dp.fail(err)
		return
	}
	dp.out.Status = StatusDeployed
}

func (dp *deploy) fail(err error) {
	dp.failed = true
	dp.out.Status = StatusFailed
	dp.out.Err = err
	dp.out.Finished = dp.d.now()
}

// rollbackContext is the context of a rollback. The caller's context may
// be over (a timeout): the rollback gets its own time (0 means
// DefaultRollbackTimeout), and is cancelled only when the caller's is.
func rollbackContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = DefaultRollbackTimeout
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), context.Canceled) {
			cancel()
		}
	})
	return rctx, func() { stop(); cancel() }
}

// rollback updates the service back to its previous task definition and,
// with Wait, waits for that rollout. culprit is the service that failed
// (maybe dp itself).
func (dp *deploy) rollback(ctx context.Context, culprit *deploy) {
	d, s := dp.d, dp.svc
	why := dp.out.Err
	if dp != culprit {
		why = fmt.Errorf("%s failed", culprit.svc)
	}
	if dp.ecsRolledBack {
		return // ECS ended the service deployment itself
	}
	if dp.sd != "" && !dp.sdDone {
		// ECS's own deployment, still going: its instant rollback, never
		// a second deployment.
		dp.stopRollback(ctx, why)
		return
	}
	if dp.out.Previous == "" {
		dp.out.Status = StatusFailed
		dp.out.Err = fmt.Errorf("%w; not rolled back: no previous task definition", why)
		return
	}
	rctx, cancel := rollbackContext(ctx, dp.o.RollbackTimeout)
	defer cancel()

	in := &awsecs.UpdateServiceInput{
		Cluster:        aws.String(s.Cluster),
		Service:        aws.String(s.Name),
		TaskDefinition: aws.String(dp.out.Previous),
		// Same revision (a forced redeploy): force a new deployment.
		ForceNewDeployment: dp.out.Previous == dp.out.Deployed,
	}
	if s.DesiredCount != nil {
		in.DesiredCount = aws.Int32(dp.prevDesired)
	}
	before, err := d.describe(rctx, s)
	if err == nil {
		var up *awsecs.UpdateServiceOutput
		started := d.now()
		d.log.Info("rolling back", "service", s.Name, "cluster", s.Cluster, "task_definition", dp.out.Previous, "reason", why.Error())
		up, err = d.api.UpdateService(rctx, in)
		if err != nil {
			err = fmt.Errorf("updating %s back to task definition %q: %w", s, dp.out.Previous, err)
		} else if dp.o.Wait {
			w := newWatch(d, s, dp.out.Deployed, dp.out.Previous, started, before, up.Service)
			w.seenEvents = eventIDs(dp.out.Events)
			err = w.wait(rctx, dp.o.MaxFailedTasks)
			dp.out.Events = append(dp.out.Events, w.events...)
			if err != nil {
				err = fmt.Errorf("rolling back: %w", err)
			}
		}
	}
	dp.out.Finished = d.now()
	if err != nil {
		dp.out.Status = StatusFailed
		dp.out.Err = fmt.Errorf("%w; rollback failed: %w", why, err)
		return
	}
	dp.out.Status = StatusRolledBack
	if dp == culprit {
		dp.out.Err = fmt.Errorf("%w: %w", ErrRolledBack, why)
	} else {
		dp.out.Err = fmt.Errorf("%s: %w after %w", s, ErrRolledBack, why)
	}
}

func eventIDs(evs []types.ServiceEvent) map[string]bool {
	m := map[string]bool{}
	for _, e := range evs {
		m[aws.ToString(e.Id)] = true
	}
	return m
}

// describe reads one service.
func (d *Deployer) describe(ctx context.Context, s Service) (*types.Service, error) {
	out, err := d.api.DescribeServices(ctx, &awsecs.DescribeServicesInput{
		Cluster:  aws.String(s.Cluster),
		Services: []string{s.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("describing %s: %w", s, err)
	}
	if len(out.Failures) > 0 {
		return nil, fmt.Errorf("describing %s: %s", s, aws.ToString(out.Failures[0].Reason))
	}
	if len(out.Services) == 0 {
		return nil, fmt.Errorf("describing %s: not found", s)
	}
	if st := aws.ToString(out.Services[0].Status); st != "ACTIVE" {
		return nil, fmt.Errorf("describing %s: service is %s", s, st)
	}
	return &out.Services[0], nil
}

func primaryOf(s *types.Service) *types.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}
