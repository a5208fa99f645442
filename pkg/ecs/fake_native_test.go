package ecs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// fakeSD is one of ECS's service deployments (strategies BLUE_GREEN,
// LINEAR, CANARY) as DescribeServiceDeployments shows it: IN_PROGRESS
// through the lifecycle stages on the fake clock, each PAUSE hook of the
// service's configuration holding its stage at AWAITING_ACTION until
// ContinueServiceDeployment or its timeout, then SUCCESSFUL; an alarm
// halfway through behaviour.FailAt, StopServiceDeployment(ROLLBACK) or a ROLLBACK action
// lead through ROLLBACK_REQUESTED / ROLLBACK_IN_PROGRESS to
// ROLLBACK_SUCCESSFUL, the service back on its previous revision.
type fakeSD struct {
	sd       types.ServiceDeployment
	svc      *fakeService
	prev     string
	b        behaviour
	stage    int       // index into stages
	since    time.Time // when the stage (or the rollback) started
	hooks    int       // hook ids handed out
	pausedAt time.Time
}

// stages are the lifecycle stages the fake walks (RECONCILE_SERVICE only
// happens with several active revisions, which the fake does not model).
var stages = []types.ServiceDeploymentLifecycleStage{
	types.ServiceDeploymentLifecycleStagePreScaleUp, types.ServiceDeploymentLifecycleStageScaleUp,
	types.ServiceDeploymentLifecycleStagePostScaleUp, types.ServiceDeploymentLifecycleStageTestTrafficShift,
	types.ServiceDeploymentLifecycleStagePostTestTrafficShift, types.ServiceDeploymentLifecycleStageProductionTrafficShift,
	types.ServiceDeploymentLifecycleStagePostProductionTrafficShift, types.ServiceDeploymentLifecycleStageBakeTime,
	types.ServiceDeploymentLifecycleStageCleanUp,
}

// checkConfig refuses what ECS refuses: PAUSE hooks at the two traffic
// shift stages, and unknown strategies.
func (f *fakeECS) checkConfig(c *types.DeploymentConfiguration) error {
	switch c.Strategy {
	case "", types.DeploymentStrategyRolling, types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
	default:
		return f.unexpected("UpdateService with strategy %q", c.Strategy)
	}
	for _, h := range c.LifecycleHooks {
		for _, st := range h.LifecycleStages {
			if h.TargetType == types.DeploymentLifecycleHookTargetTypePause &&
				(st == types.DeploymentLifecycleHookStageTestTrafficShift || st == types.DeploymentLifecycleHookStageProductionTrafficShift) {
				return f.unexpected("UpdateService with a PAUSE hook at %s", st)
			}
		}
	}
	return nil
}

func (f *fakeECS) startServiceDeployment(s *fakeService, td string, in *awsecs.UpdateServiceInput) (*awsecs.UpdateServiceOutput, error) {
	if td == "" {
		td = aws.ToString(s.svc.TaskDefinition)
	}
	if in.DesiredCount != nil {
		s.svc.DesiredCount = *in.DesiredCount
	}
	for _, sd := range f.sds {
		if sd.svc == s && !terminal(sd.sd.Status) {
			return nil, f.unexpected("UpdateService of %q while service deployment %q is %s", aws.ToString(s.svc.ServiceName), aws.ToString(sd.sd.ServiceDeploymentArn), sd.sd.Status)
		}
	}
	f.seq++
	name := aws.ToString(s.svc.ServiceName)
	cluster := aws.ToString(s.svc.ClusterArn)[len("arn:aws:ecs:us-east-1:123456789012:cluster/"):]
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service-deployment/%s/%s/sd%d", cluster, name, f.seq)
	cfg := *s.svc.DeploymentConfiguration
	b := f.behaviours[td]
	sd := &fakeSD{svc: s, prev: aws.ToString(s.svc.TaskDefinition), b: b, since: f.clock}
	sd.sd = types.ServiceDeployment{
		ServiceDeploymentArn: aws.String(arn), ClusterArn: s.svc.ClusterArn,
		ServiceArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/" + cluster + "/" + name),
		CreatedAt:  aws.Time(f.clock), StartedAt: aws.Time(f.clock), UpdatedAt: aws.Time(f.clock),
		Status:                  types.ServiceDeploymentStatusInProgress,
		DeploymentConfiguration: &cfg,
		TargetServiceRevision:   &types.ServiceRevisionSummary{Arn: aws.String(fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service-revision/%s/%s/%d", cluster, name, f.seq))},
	}
	f.sds[arn] = sd
	s.svc.TaskDefinition = aws.String(td)
	s.svc.CurrentServiceDeployment = aws.String(arn)
	f.enter(sd, 0, f.clock)
	out := snapshot(s.svc)
	if f.unnamed {
		out.CurrentServiceDeployment = nil
	}
	return &awsecs.UpdateServiceOutput{Service: out}, nil
}

// enter starts stage i at t: an alarm at b.FailAt rolls back, a PAUSE hook
// there waits.
func (f *fakeECS) enter(sd *fakeSD, i int, t time.Time) {
	sd.stage, sd.since = i, t
	st := stages[i]
	sd.sd.LifecycleStage = st
	sd.sd.UpdatedAt = aws.Time(t)
	for _, h := range sd.sd.DeploymentConfiguration.LifecycleHooks {
		if h.TargetType != types.DeploymentLifecycleHookTargetTypePause || !slices.Contains(h.LifecycleStages, types.DeploymentLifecycleHookStage(st)) {
			continue
		}
		minutes, action := int32(1440), types.DeploymentLifecycleHookActionRollback
		if tc := h.TimeoutConfiguration; tc != nil {
			if tc.TimeoutInMinutes != nil {
				minutes = *tc.TimeoutInMinutes
			}
			if tc.Action != "" {
				action = tc.Action
			}
		}
		sd.hooks++
		sd.pausedAt = t
		sd.sd.LifecycleHookDetails = append(sd.sd.LifecycleHookDetails, types.DeploymentLifecycleHookDetail{
			HookId: aws.String(fmt.Sprintf("ecs-pause-%d-%d", f.seq, sd.hooks)), Status: types.DeploymentLifecycleHookStatusAwaitingAction,
			TargetType: types.DeploymentLifecycleHookTargetTypePause, TimeoutAction: action,
			ExpiresAt: aws.Time(t.Add(time.Duration(minutes) * time.Minute)),
		})
	}
}

func (f *fakeECS) crashTask(sd *fakeSD, t time.Time) {
	f.seq++
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/c/%d", f.seq)
	f.tasks[arn] = types.Task{
		TaskArn: aws.String(arn), TaskDefinitionArn: sd.svc.svc.TaskDefinition, LastStatus: aws.String("STOPPED"), CreatedAt: aws.Time(t),
		Group: aws.String("service:" + aws.ToString(sd.svc.svc.ServiceName)), StoppedReason: aws.String("Essential container in task exited"),
		Containers: []types.Container{{Name: aws.String("app"), ExitCode: aws.Int32(1), Reason: aws.String("panic: boom")}},
	}
}

func (f *fakeECS) startRollback(sd *fakeSD, t time.Time, reason string) {
	sd.sd.Status = types.ServiceDeploymentStatusRollbackInProgress
	sd.sd.StatusReason = aws.String(reason)
	sd.sd.Rollback = &types.Rollback{Reason: aws.String(reason), StartedAt: aws.Time(t)}
	sd.since = t
	f.event(sd.svc, "service deployment "+aws.ToString(sd.sd.ServiceDeploymentArn)+" rolling back: "+reason)
}

// awaitingHook is the index of the hook awaiting action, or -1.
func (sd *fakeSD) awaitingHook() int {
	return slices.IndexFunc(sd.sd.LifecycleHookDetails, func(h types.DeploymentLifecycleHookDetail) bool {
		return h.Status == types.DeploymentLifecycleHookStatusAwaitingAction
	})
}

func (sd *fakeSD) stageLength() time.Duration {
	base := sd.b.StageTime
	if base == 0 {
		base = time.Minute
	}
	c := sd.sd.DeploymentConfiguration
	switch stages[sd.stage] {
	case types.ServiceDeploymentLifecycleStageBakeTime:
		return time.Duration(aws.ToInt32(c.BakeTimeInMinutes)) * time.Minute
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift:
		switch {
		case c.Strategy == types.DeploymentStrategyCanary && c.CanaryConfiguration != nil:
			return base + time.Duration(aws.ToInt32(c.CanaryConfiguration.CanaryBakeTimeInMinutes))*time.Minute
		case c.Strategy == types.DeploymentStrategyLinear && c.LinearConfiguration != nil:
			steps := int(100 / aws.ToFloat64(c.LinearConfiguration.StepPercent))
			return base + time.Duration(steps)*time.Duration(aws.ToInt32(c.LinearConfiguration.StepBakeTimeInMinutes))*time.Minute
		}
	}
	return base
}

// advance moves sd to the fake clock's now.
func (f *fakeECS) advance(sd *fakeSD) {
	now := f.clock
	for {
		switch sd.sd.Status {
		case types.ServiceDeploymentStatusRollbackRequested:
			sd.sd.Status = types.ServiceDeploymentStatusRollbackInProgress
		case types.ServiceDeploymentStatusRollbackInProgress:
			rb := sd.b.RollbackTime
			if rb == 0 {
				rb = time.Minute
			}
			end := sd.since.Add(rb)
			if now.Before(end) {
				return
			}
			sd.sd.Status = types.ServiceDeploymentStatusRollbackSuccessful
			sd.sd.FinishedAt, sd.sd.UpdatedAt = aws.Time(end), aws.Time(end)
			sd.svc.svc.TaskDefinition = aws.String(sd.prev)
			f.event(sd.svc, "service deployment "+aws.ToString(sd.sd.ServiceDeploymentArn)+" rolled back.")
			return
		case types.ServiceDeploymentStatusInProgress:
			if i := sd.awaitingHook(); i >= 0 {
				h := &sd.sd.LifecycleHookDetails[i]
				if now.Before(aws.ToTime(h.ExpiresAt)) {
					return
				}
				h.Status = types.DeploymentLifecycleHookStatusTimedOut
				if h.TimeoutAction == types.DeploymentLifecycleHookActionRollback {
					f.startRollback(sd, aws.ToTime(h.ExpiresAt), "lifecycle hook "+aws.ToString(h.HookId)+" timed out")
					continue
				}
				sd.since = aws.ToTime(h.ExpiresAt).Add(-sd.stageLength())
			}
			if st := stages[sd.stage]; sd.b.FailAt == st {
				// Halfway through the stage an alarm fires.
				at := sd.since.Add(sd.stageLength() / 2)
				if now.Before(at) {
					return
				}
				f.crashTask(sd, at)
				f.startRollback(sd, at, "CloudWatch alarm ferry-5xx fired during "+string(st))
				continue
			}
			end := sd.since.Add(sd.stageLength())
			if now.Before(end) {
				return
			}
			if sd.stage == len(stages)-1 {
				sd.sd.Status = types.ServiceDeploymentStatusSuccessful
				sd.sd.FinishedAt, sd.sd.UpdatedAt = aws.Time(end), aws.Time(end)
				f.event(sd.svc, "has reached a steady state.")
				return
			}
			f.enter(sd, sd.stage+1, end)
		default:
			return
		}
	}
}

func (f *fakeECS) serviceDeployment(arn string) (*fakeSD, error) {
	sd, ok := f.sds[arn]
	if !ok {
		return nil, f.unexpected("unknown service deployment %q", arn)
	}
	return sd, nil
}

func (f *fakeECS) DescribeServiceDeployments(_ context.Context, in *awsecs.DescribeServiceDeploymentsInput, _ ...func(*awsecs.Options)) (*awsecs.DescribeServiceDeploymentsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeServiceDeployments"]++
	if len(in.ServiceDeploymentArns) == 0 || len(in.ServiceDeploymentArns) > 20 {
		return nil, f.unexpected("DescribeServiceDeployments of %d ARNs", len(in.ServiceDeploymentArns))
	}
	out := &awsecs.DescribeServiceDeploymentsOutput{}
	for _, arn := range in.ServiceDeploymentArns {
		sd, err := f.serviceDeployment(arn)
		if err != nil {
			return nil, err
		}
		name := aws.ToString(sd.svc.svc.ServiceName)
		f.pollTimes["sd:"+name] = append(f.pollTimes["sd:"+name], f.clock)
		f.advance(sd)
		c := sd.sd
		c.LifecycleHookDetails = slices.Clone(c.LifecycleHookDetails)
		out.ServiceDeployments = append(out.ServiceDeployments, c)
	}
	return out, nil
}

func (f *fakeECS) ListServiceDeployments(_ context.Context, in *awsecs.ListServiceDeploymentsInput, _ ...func(*awsecs.Options)) (*awsecs.ListServiceDeploymentsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["ListServiceDeployments"]++
	s, err := f.service(in.Cluster, aws.ToString(in.Service))
	if err != nil {
		return nil, err
	}
	out := &awsecs.ListServiceDeploymentsOutput{}
	for _, sd := range f.sds {
		f.advance(sd)
		if sd.svc != s || (len(in.Status) > 0 && !slices.Contains(in.Status, sd.sd.Status)) {
			continue
		}
		if in.CreatedAt != nil && in.CreatedAt.After != nil && aws.ToTime(sd.sd.CreatedAt).Before(*in.CreatedAt.After) {
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, types.ServiceDeploymentBrief{
			ServiceDeploymentArn: sd.sd.ServiceDeploymentArn, ServiceArn: sd.sd.ServiceArn, ClusterArn: sd.sd.ClusterArn,
			CreatedAt: sd.sd.CreatedAt, StartedAt: sd.sd.StartedAt, Status: sd.sd.Status,
		})
	}
	return out, nil
}

func (f *fakeECS) StopServiceDeployment(_ context.Context, in *awsecs.StopServiceDeploymentInput, _ ...func(*awsecs.Options)) (*awsecs.StopServiceDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["StopServiceDeployment"]++
	sd, err := f.serviceDeployment(aws.ToString(in.ServiceDeploymentArn))
	if err != nil {
		return nil, err
	}
	f.advance(sd)
	if in.StopType != types.StopServiceDeploymentStopTypeRollback {
		return nil, f.unexpected("StopServiceDeployment with stop type %q", in.StopType)
	}
	if sd.sd.Status != types.ServiceDeploymentStatusInProgress && sd.sd.Status != types.ServiceDeploymentStatusPending {
		return nil, f.unexpected("StopServiceDeployment of %q, which is %s", aws.ToString(in.ServiceDeploymentArn), sd.sd.Status)
	}
	if i := sd.awaitingHook(); i >= 0 {
		sd.sd.LifecycleHookDetails[i].Status = types.DeploymentLifecycleHookStatusFailed
	}
	sd.sd.Status = types.ServiceDeploymentStatusRollbackRequested
	sd.sd.StatusReason = aws.String("StopServiceDeployment with ROLLBACK")
	sd.sd.Rollback = &types.Rollback{Reason: sd.sd.StatusReason, StartedAt: aws.Time(f.clock)}
	sd.since = f.clock
	return &awsecs.StopServiceDeploymentOutput{ServiceDeploymentArn: in.ServiceDeploymentArn}, nil
}

func (f *fakeECS) ContinueServiceDeployment(_ context.Context, in *awsecs.ContinueServiceDeploymentInput, _ ...func(*awsecs.Options)) (*awsecs.ContinueServiceDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["ContinueServiceDeployment"]++
	sd, err := f.serviceDeployment(aws.ToString(in.ServiceDeploymentArn))
	if err != nil {
		return nil, err
	}
	f.advance(sd)
	i := sd.awaitingHook()
	if sd.sd.Status != types.ServiceDeploymentStatusInProgress || i < 0 || aws.ToString(sd.sd.LifecycleHookDetails[i].HookId) != aws.ToString(in.HookId) {
		return nil, f.unexpected("ContinueServiceDeployment of %q hook %q: the deployment is %s and awaits no such hook", aws.ToString(in.ServiceDeploymentArn), aws.ToString(in.HookId), sd.sd.Status)
	}
	sd.sd.LifecycleHookDetails[i].Status = types.DeploymentLifecycleHookStatusSucceeded
	switch in.Action {
	case types.DeploymentLifecycleHookActionRollback:
		f.startRollback(sd, f.clock, "ContinueServiceDeployment with ROLLBACK")
	case "", types.DeploymentLifecycleHookActionContinue:
		sd.since = f.clock.Add(-sd.stageLength()) // the paused stage ends now
	default:
		return nil, f.unexpected("ContinueServiceDeployment with action %q", in.Action)
	}
	return &awsecs.ContinueServiceDeploymentOutput{ServiceDeploymentArn: in.ServiceDeploymentArn}, nil
}

// addNativeService adds a stable service running td on strategy with a
// bake time, its load balancer with a test listener rule.
func (f *fakeECS) addNativeService(cluster, name, td string, strategy types.DeploymentStrategy, bake int32) {
	f.addService(cluster, name, td, 2)
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[cluster+"/"+name]
	s.svc.DeploymentConfiguration = &types.DeploymentConfiguration{Strategy: strategy, BakeTimeInMinutes: aws.Int32(bake)}
	s.svc.LoadBalancers = []types.LoadBalancer{{
		TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"),
		ContainerName:  aws.String("app"), ContainerPort: aws.Int32(8080),
		AdvancedConfiguration: &types.AdvancedConfiguration{
			AlternateTargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2"),
			ProductionListenerRule:  aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/80/1"),
			TestListenerRule:        aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/8080/2"),
			RoleArn:                 aws.String("arn:aws:iam::123456789012:role/ecs-infrastructure"),
		},
	}}
}

// sdState is the state of a service deployment, for assertions.
func (f *fakeECS) sdState(arn string) (types.ServiceDeploymentStatus, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sd := f.sds[arn]
	if sd == nil {
		return "", time.Time{}
	}
	return sd.sd.Status, sd.pausedAt
}
