package ecs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Results of a scripted rollout in [fakeECS].
const (
	complete = "complete" // rolloutState COMPLETED, old deployments drained
	fail     = "fail"     // rolloutState FAILED, nothing rolled back
	breaker  = "breaker"  // the circuit breaker rolls back to the previous revision
	never    = "never"    // stays IN_PROGRESS
)

// behaviour scripts the rollout of one task definition.
type behaviour struct {
	Result string
	// Ticks is how many DescribeServices calls after the update the result
	// takes; 0 means 2.
	Ticks int
	// At, when set, replaces Ticks: the result comes once this much real
	// time has passed since the update (benchmarks).
	At time.Duration
	// Crash: every tick one task of the revision stops, its container
	// exiting 1.
	Crash bool
	// ECS's own deployments (fake_native_test.go): how long each stage
	// without a length of its own lasts on the fake clock (0 means 1m),
	// the stage at whose start ECS rolls back (an alarm fired), and how
	// long a rollback takes (0 means 1m).
	StageTime    time.Duration
	FailAt       types.ServiceDeploymentLifecycleStage
	RollbackTime time.Duration
}

// fakeECS models ECS rolling deployments as AWS shows them: UpdateService
// adds a PRIMARY deployment (the former one becomes ACTIVE) whose
// rolloutState goes IN_PROGRESS → COMPLETED or FAILED over scripted polls,
// the circuit breaker adds a PRIMARY deployment of the previous revision,
// events are listed newest first. Calls it does not expect fail the test.
type fakeECS struct {
	t testing.TB

	mu         sync.Mutex
	clock      time.Time
	services   map[string]*fakeService // by cluster + "/" + name
	behaviours map[string]behaviour    // by task definition ARN
	tasks      map[string]types.Task   // by ARN: stopped service tasks, one-off tasks
	taskDefs   map[string]types.TaskDefinition
	// runTask scripts the one-off task RunTask starts: its containers as
	// they stop, and how many DescribeTasks calls it stays RUNNING.
	runContainers []types.Container
	runPolls      int
	runInputs     []*awsecs.RunTaskInput
	seq           int
	calls         map[string]int
	updates       []update
	// noticed is when DescribeServices first returned a finished rollout
	// of a service, and finishedAt when that rollout finished (At).
	noticed, finishedAt map[string]time.Time
	// pollTimes are the times of each service's DescribeServices calls:
	// on the fake clock, or real times once realTime is set.
	pollTimes map[string][]time.Time
	realTime  bool
	// listTasksCost is how far each ListTasks call moves the fake clock.
	listTasksCost time.Duration
	// sds are ECS's service deployments by ARN (fake_native_test.go);
	// unnamed makes UpdateService's response leave
	// currentServiceDeployment out, so the caller must list them.
	sds     map[string]*fakeSD
	unnamed bool
	// updateInputs are the UpdateService inputs, in order.
	updateInputs []*awsecs.UpdateServiceInput
}

type update struct {
	Service, TaskDefinition string
	DesiredCount            *int32
	Force                   bool
}

type fakeService struct {
	svc     types.Service
	rollout *rollout
}

type rollout struct {
	id, td, prev string
	b            behaviour
	ticks        int
	start        time.Time // real time of the update
}

func newFake(t testing.TB) *fakeECS {
	return &fakeECS{
		t:          t,
		clock:      time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		services:   map[string]*fakeService{},
		behaviours: map[string]behaviour{},
		tasks:      map[string]types.Task{},
		taskDefs:   map[string]types.TaskDefinition{},
		calls:      map[string]int{},
		noticed:    map[string]time.Time{},
		finishedAt: map[string]time.Time{},
		pollTimes:  map[string][]time.Time{},
		sds:        map[string]*fakeSD{},
	}
}

// config returns a Config on the fake's clock whose Sleep advances that
// clock, after yielding a real millisecond so that real deadlines pass.
func (f *fakeECS) config() Config {
	return Config{
		Now: f.now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.clock = f.clock.Add(d)
			return nil
		},
	}
}

func (f *fakeECS) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}

// addService adds a stable service running td with desired tasks.
func (f *fakeECS) addService(cluster, name, td string, desired int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	created := f.clock.Add(-time.Hour)
	f.services[cluster+"/"+name] = &fakeService{svc: types.Service{
		ServiceName:    aws.String(name),
		ClusterArn:     aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/" + cluster),
		Status:         aws.String("ACTIVE"),
		TaskDefinition: aws.String(td),
		DesiredCount:   desired, RunningCount: desired,
		LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"},
		}},
		Deployments: []types.Deployment{{
			Id: aws.String(fmt.Sprintf("ecs-svc/%d", 1000+f.seq)), Status: aws.String("PRIMARY"),
			TaskDefinition: aws.String(td), RolloutState: types.DeploymentRolloutStateCompleted,
			DesiredCount: desired, RunningCount: desired, CreatedAt: aws.Time(created), UpdatedAt: aws.Time(created),
		}},
		Events: []types.ServiceEvent{{Id: aws.String("old-event"), CreatedAt: aws.Time(created), Message: aws.String("(service " + name + ") has reached a steady state.")}},
	}}
}

func (f *fakeECS) unexpected(format string, args ...any) error {
	f.t.Helper()
	err := fmt.Errorf("fake ECS: unexpected call: "+format, args...)
	f.t.Error(err)
	return err
}

func (f *fakeECS) service(cluster *string, name string) (*fakeService, error) {
	s, ok := f.services[aws.ToString(cluster)+"/"+name]
	if !ok {
		return nil, f.unexpected("service %q in cluster %q does not exist", name, aws.ToString(cluster))
	}
	return s, nil
}

func (f *fakeECS) event(s *fakeService, msg string) {
	f.seq++
	ev := types.ServiceEvent{Id: aws.String(fmt.Sprintf("ev-%d", f.seq)), CreatedAt: aws.Time(f.clock), Message: aws.String(fmt.Sprintf("(service %s) %s", aws.ToString(s.svc.ServiceName), msg))}
	s.svc.Events = append([]types.ServiceEvent{ev}, s.svc.Events...)
}

func snapshot(s types.Service) *types.Service {
	s.Deployments = slices.Clone(s.Deployments)
	s.Events = slices.Clone(s.Events)
	return &s
}

func (f *fakeECS) DescribeServices(_ context.Context, in *awsecs.DescribeServicesInput, _ ...func(*awsecs.Options)) (*awsecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeServices"]++
	out := &awsecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		s, err := f.service(in.Cluster, name)
		if err != nil {
			return nil, err
		}
		f.calls["DescribeServices "+name]++
		at := f.clock
		if f.realTime {
			at = time.Now()
		}
		f.pollTimes[name] = append(f.pollTimes[name], at)
		f.tick(s)
		if s.rollout == nil && f.noticed[name].IsZero() && !f.finishedAt[name].IsZero() {
			f.noticed[name] = time.Now()
		}
		out.Services = append(out.Services, *snapshot(s.svc))
	}
	return out, nil
}

// tick advances the rollout of s by one poll.
func (f *fakeECS) tick(s *fakeService) {
	r := s.rollout
	if r == nil {
		return
	}
	r.ticks++
	p := &s.svc.Deployments[0] // PRIMARY first
	if p.RunningCount < p.DesiredCount {
		p.RunningCount++
		f.event(s, fmt.Sprintf("has started 1 tasks: (task %d).", f.seq))
	}
	if r.b.Crash {
		f.seq++
		arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/c/%d", f.seq)
		f.tasks[arn] = types.Task{
			TaskArn: aws.String(arn), TaskDefinitionArn: aws.String(r.td), StartedBy: aws.String(r.id),
			LastStatus: aws.String("STOPPED"), CreatedAt: aws.Time(f.clock), Group: aws.String("service:" + aws.ToString(s.svc.ServiceName)),
			StoppedReason: aws.String("Essential container in task exited"),
			Containers:    []types.Container{{Name: aws.String("app"), ExitCode: aws.Int32(1), Reason: aws.String("panic: boom")}},
		}
		if p.RunningCount > 0 {
			p.RunningCount--
		}
	}
	due := r.ticks >= max(r.b.Ticks, 1)
	if r.b.Ticks == 0 {
		due = r.ticks >= 2
	}
	if r.b.At > 0 {
		due = time.Since(r.start) >= r.b.At
	}
	if !due {
		return
	}
	name := aws.ToString(s.svc.ServiceName)
	switch r.b.Result {
	case complete:
		p.RolloutState = types.DeploymentRolloutStateCompleted
		p.RolloutStateReason = aws.String("ECS deployment " + r.id + " completed.")
		p.RunningCount = p.DesiredCount
		s.svc.RunningCount = p.DesiredCount
		s.svc.Deployments = s.svc.Deployments[:1]
		f.event(s, "has reached a steady state.")
		s.rollout = nil
		if r.b.At > 0 {
			f.finishedAt[name] = r.start.Add(r.b.At)
		}
	case fail:
		p.RolloutState = types.DeploymentRolloutStateFailed
		p.RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
		f.event(s, "deployment "+r.id+" failed: tasks failed to start.")
		s.rollout = nil
	case breaker:
		p.Status = aws.String("ACTIVE")
		p.RolloutState = types.DeploymentRolloutStateFailed
		p.RolloutStateReason = aws.String("ECS deployment circuit breaker: rolling back to deploymentId " + r.id + ".")
		f.event(s, "deployment "+r.id+" deployment failed: tasks failed to start. Rolling back.")
		s.rollout = nil
		f.deploy(s, r.prev, p.DesiredCount)
	case never:
	default:
		f.t.Errorf("fake ECS: unknown result %q", r.b.Result)
	}
}

// deploy adds a PRIMARY deployment of td.
func (f *fakeECS) deploy(s *fakeService, td string, desired int32) {
	for i := range s.svc.Deployments {
		if aws.ToString(s.svc.Deployments[i].Status) == "PRIMARY" {
			s.svc.Deployments[i].Status = aws.String("ACTIVE")
		}
	}
	f.seq++
	id := fmt.Sprintf("ecs-svc/%d", 5000+f.seq)
	dep := types.Deployment{
		Id: aws.String(id), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(td),
		RolloutState: types.DeploymentRolloutStateInProgress, RolloutStateReason: aws.String("ECS deployment " + id + " in progress."),
		DesiredCount: desired, CreatedAt: aws.Time(f.clock), UpdatedAt: aws.Time(f.clock),
	}
	s.svc.Deployments = append([]types.Deployment{dep}, s.svc.Deployments...)
	s.svc.TaskDefinition = aws.String(td)
	b, ok := f.behaviours[td]
	if !ok {
		b = behaviour{Result: complete}
	}
	prev := ""
	if len(s.svc.Deployments) > 1 {
		prev = aws.ToString(s.svc.Deployments[1].TaskDefinition)
	}
	s.rollout = &rollout{id: id, td: td, prev: prev, b: b, start: time.Now()}
}

func (f *fakeECS) UpdateService(_ context.Context, in *awsecs.UpdateServiceInput, _ ...func(*awsecs.Options)) (*awsecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["UpdateService"]++
	name := aws.ToString(in.Service)
	s, err := f.service(in.Cluster, name)
	if err != nil {
		return nil, err
	}
	td := aws.ToString(in.TaskDefinition)
	f.updates = append(f.updates, update{Service: name, TaskDefinition: td, DesiredCount: in.DesiredCount, Force: in.ForceNewDeployment})
	f.updateInputs = append(f.updateInputs, in)
	if in.DeploymentConfiguration != nil {
		if err := f.checkConfig(in.DeploymentConfiguration); err != nil {
			return nil, err
		}
		s.svc.DeploymentConfiguration = in.DeploymentConfiguration
	}
	if in.LoadBalancers != nil {
		s.svc.LoadBalancers = in.LoadBalancers
	}
	if c := s.svc.DeploymentConfiguration; c != nil && c.Strategy != "" && c.Strategy != types.DeploymentStrategyRolling {
		return f.startServiceDeployment(s, td, in)
	}
	desired := s.svc.DesiredCount
	if in.DesiredCount != nil {
		desired = *in.DesiredCount
		s.svc.DesiredCount = desired
	}
	primary := primaryOf(&s.svc)
	if td == "" {
		td = aws.ToString(s.svc.TaskDefinition)
	}
	if td != aws.ToString(primary.TaskDefinition) || in.ForceNewDeployment {
		f.deploy(s, td, desired)
	} else {
		primary.DesiredCount = desired
	}
	return &awsecs.UpdateServiceOutput{Service: snapshot(s.svc)}, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *awsecs.ListTasksInput, _ ...func(*awsecs.Options)) (*awsecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["ListTasks"]++
	f.clock = f.clock.Add(f.listTasksCost)
	if in.DesiredStatus != types.DesiredStatusStopped || in.ServiceName == nil {
		return nil, f.unexpected("ListTasks %+v", in)
	}
	out := &awsecs.ListTasksOutput{}
	for arn, t := range f.tasks {
		if aws.ToString(t.Group) == "service:"+aws.ToString(in.ServiceName) {
			out.TaskArns = append(out.TaskArns, arn)
		}
	}
	slices.Sort(out.TaskArns)
	return out, nil
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *awsecs.DescribeTasksInput, _ ...func(*awsecs.Options)) (*awsecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeTasks"]++
	if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
		return nil, f.unexpected("DescribeTasks of %d tasks", len(in.Tasks))
	}
	out := &awsecs.DescribeTasksOutput{}
	for _, arn := range in.Tasks {
		t, ok := f.tasks[arn]
		if !ok {
			return nil, f.unexpected("DescribeTasks of unknown task %q", arn)
		}
		if aws.ToString(t.Group) == "oneoff" {
			if f.runPolls > 0 {
				f.runPolls--
			} else {
				t.LastStatus = aws.String("STOPPED")
				t.StoppedReason = aws.String("Essential container in task exited")
				t.Containers = f.runContainers
				f.tasks[arn] = t
			}
		}
		out.Tasks = append(out.Tasks, t)
	}
	return out, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *awsecs.DescribeTaskDefinitionInput, _ ...func(*awsecs.Options)) (*awsecs.DescribeTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeTaskDefinition"]++
	td, ok := f.taskDefs[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, f.unexpected("DescribeTaskDefinition of %q", aws.ToString(in.TaskDefinition))
	}
	return &awsecs.DescribeTaskDefinitionOutput{TaskDefinition: &td}, nil
}

func (f *fakeECS) RunTask(_ context.Context, in *awsecs.RunTaskInput, _ ...func(*awsecs.Options)) (*awsecs.RunTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["RunTask"]++
	if f.runContainers == nil {
		return nil, f.unexpected("RunTask of %q", aws.ToString(in.TaskDefinition))
	}
	f.runInputs = append(f.runInputs, in)
	f.seq++
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/c/run-%d", f.seq)
	t := types.Task{TaskArn: aws.String(arn), TaskDefinitionArn: in.TaskDefinition, LastStatus: aws.String("PROVISIONING"), Group: aws.String("oneoff")}
	f.tasks[arn] = t
	return &awsecs.RunTaskOutput{Tasks: []types.Task{t}}, nil
}

func (f *fakeECS) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

func (f *fakeECS) updateList() []update {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.updates)
}
