package ecs

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var (
	web1, web2 = tdARN("web", 1), tdARN("web", 2)
	api1, api2 = tdARN("api", 1), tdARN("api", 2)
)

// logRecorder keeps the messages of every record logged.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := r.Message
	r.Attrs(func(a slog.Attr) bool { s += " " + a.Key + "=" + a.Value.String(); return true })
	l.msgs = append(l.msgs, s)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if strings.Contains(m, sub) {
			out = append(out, m)
		}
	}
	return out
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	type want struct {
		status    []Status
		updates   []update
		errIs     []error
		errHas    string
		stopped   int
		minPolls  int // DescribeServices of "web", at least
		maxPolls  int // and at most (0: no bound)
		eventHas  string
		noErr     bool
		deployIDs bool
	}
	tests := []struct {
		name       string
		services   []Service
		behaviours map[string]behaviour
		opts       Options
		timeout    time.Duration
		want       want
	}{
		{
			name:       "success",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: complete, Ticks: 4}},
			opts:       Options{Wait: true, Rollback: true},
			want: want{
				status: []Status{StatusDeployed}, updates: []update{{Service: "web", TaskDefinition: web2}},
				noErr: true, minPolls: 5, maxPolls: 5, eventHas: "steady state", deployIDs: true,
			},
		},
		{
			name:       "failed rollout rolls back",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: fail, Ticks: 3}},
			opts:       Options{Wait: true, Rollback: true},
			want: want{
				status:  []Status{StatusRolledBack},
				updates: []update{{Service: "web", TaskDefinition: web2}, {Service: "web", TaskDefinition: web1}},
				errIs:   []error{ErrRolledBack, ErrDeploymentFailed}, errHas: "tasks failed to start", eventHas: "failed",
			},
		},
		{
			name:       "failed rollout without rollback",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: fail, Ticks: 2}},
			opts:       Options{Wait: true},
			want: want{
				status: []Status{StatusFailed}, updates: []update{{Service: "web", TaskDefinition: web2}},
				errIs: []error{ErrDeploymentFailed}, errHas: "rolloutState FAILED",
			},
		},
		{
			name:       "circuit breaker rollback detected",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: breaker, Ticks: 3}},
			opts:       Options{Wait: true, Rollback: true},
			want: want{
				status:  []Status{StatusRolledBack},
				updates: []update{{Service: "web", TaskDefinition: web2}, {Service: "web", TaskDefinition: web1}},
				errIs:   []error{ErrRolledBack, ErrDeploymentFailed}, errHas: "circuit breaker", eventHas: "Rolling back",
			},
		},
		{
			name:       "crash loop fails fast",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: complete, Ticks: 50, Crash: true}},
			opts:       Options{Wait: true, Rollback: true, MaxFailedTasks: 3},
			want: want{
				status:  []Status{StatusRolledBack},
				updates: []update{{Service: "web", TaskDefinition: web2}, {Service: "web", TaskDefinition: web1}},
				errIs:   []error{ErrRolledBack, ErrDeploymentFailed}, errHas: `exited 1: panic: boom`,
				stopped: 3, maxPolls: 1 + 3 + 3, // 1 before, 3 polls to fail, then the rollback's
			},
		},
		{
			name:       "timeout rolls back",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			behaviours: map[string]behaviour{web2: {Result: never}},
			opts:       Options{Wait: true, Rollback: true},
			timeout:    100 * time.Millisecond,
			want: want{
				status:  []Status{StatusRolledBack},
				updates: []update{{Service: "web", TaskDefinition: web2}, {Service: "web", TaskDefinition: web1}},
				errIs:   []error{ErrRolledBack, ErrDeploymentFailed, ErrTimeout},
			},
		},
		{
			name: "one of several fails: all roll back",
			services: []Service{
				{Cluster: "c", Name: "web", TaskDefinition: web2},
				{Cluster: "c", Name: "api", TaskDefinition: api2},
			},
			behaviours: map[string]behaviour{web2: {Result: complete, Ticks: 1}, api2: {Result: fail, Ticks: 6}},
			opts:       Options{Wait: true, Rollback: true},
			want: want{
				status: []Status{StatusRolledBack, StatusRolledBack},
				updates: []update{
					{Service: "web", TaskDefinition: web2}, {Service: "api", TaskDefinition: api2},
					{Service: "web", TaskDefinition: web1}, {Service: "api", TaskDefinition: api1},
				},
				errIs: []error{ErrRolledBack, ErrDeploymentFailed}, errHas: `service "api" in cluster "c" failed`,
			},
		},
		{
			name: "one fails while another still waits: its wait ends, both roll back",
			services: []Service{
				{Cluster: "c", Name: "web", TaskDefinition: web2},
				{Cluster: "c", Name: "api", TaskDefinition: api2},
			},
			behaviours: map[string]behaviour{web2: {Result: never}, api2: {Result: fail, Ticks: 2}, web1: {Result: complete, Ticks: 1}},
			opts:       Options{Wait: true, Rollback: true},
			timeout:    time.Minute, // a wait that never ends would hit this
			want: want{
				status: []Status{StatusRolledBack, StatusRolledBack},
				updates: []update{
					{Service: "web", TaskDefinition: web2}, {Service: "api", TaskDefinition: api2},
					{Service: "web", TaskDefinition: web1}, {Service: "api", TaskDefinition: api1},
				},
				errIs: []error{ErrRolledBack, ErrDeploymentFailed}, errHas: `service "api" in cluster "c" failed`,
			},
		},
		{
			name:       "unchanged",
			services:   []Service{{Cluster: "c", Name: "web", TaskDefinition: web1}},
			opts:       Options{Wait: true, Rollback: true},
			want:       want{status: []Status{StatusUnchanged}, noErr: true, maxPolls: 1},
			behaviours: map[string]behaviour{},
		},
		{
			name:     "same revision, desired count: updated",
			services: []Service{{Cluster: "c", Name: "web", TaskDefinition: web1, DesiredCount: aws.Int32(4)}},
			opts:     Options{Wait: true},
			want: want{
				status: []Status{StatusDeployed}, noErr: true,
				updates: []update{{Service: "web", TaskDefinition: web1, DesiredCount: aws.Int32(4)}},
			},
		},
		{
			name:     "no wait",
			services: []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}},
			opts:     Options{Rollback: true},
			want: want{
				status: []Status{StatusDeployed}, noErr: true, maxPolls: 1,
				updates: []update{{Service: "web", TaskDefinition: web2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addService("c", "web", web1, 2)
			f.addService("c", "api", api1, 2)
			f.behaviours = tt.behaviours
			logs := &logRecorder{}
			cfg := f.config()
			cfg.Logger = slog.New(logs)
			d := New(f, cfg)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			outs, err := d.Deploy(ctx, tt.services, tt.opts)

			if len(outs) != len(tt.services) {
				t.Fatalf("outcomes: want %d, have %d (err %v)", len(tt.services), len(outs), err)
			}
			for i, o := range outs {
				if o.Status != tt.want.status[i] {
					t.Errorf("service %q status: want %q, have %q (err %v)", o.Service, tt.want.status[i], o.Status, o.Err)
				}
				if o.Previous != tdARN(o.Service, 1) {
					t.Errorf("service %q previous: want %q, have %q", o.Service, tdARN(o.Service, 1), o.Previous)
				}
				if tt.want.deployIDs && o.DeploymentID == "" {
					t.Errorf("service %q: no deployment id", o.Service)
				}
			}
			if tt.want.noErr && err != nil {
				t.Errorf("error: want none, have %v", err)
			}
			for _, target := range tt.want.errIs {
				if !errors.Is(err, target) {
					t.Errorf("error: want one wrapping %q, have %v", target, err)
				}
			}
			if tt.want.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.want.errHas)) {
				t.Errorf("error: want one containing %q, have %v", tt.want.errHas, err)
			}
			ups := f.updateList()
			sortUpdates := func(u []update) {
				// Parallel services: compare the order within each phase.
				slices.SortStableFunc(u, func(a, b update) int {
					ra, rb := strings.HasSuffix(a.TaskDefinition, ":1"), strings.HasSuffix(b.TaskDefinition, ":1")
					if ra != rb && len(tt.services) > 1 {
						if ra {
							return 1
						}
						return -1
					}
					if len(tt.services) > 1 {
						return strings.Compare(a.Service, b.Service)
					}
					return 0
				})
			}
			wantUps := slices.Clone(tt.want.updates)
			sortUpdates(ups)
			sortUpdates(wantUps)
			if !slices.EqualFunc(ups, wantUps, func(a, b update) bool {
				return a.Service == b.Service && a.TaskDefinition == b.TaskDefinition && aws.ToInt32(a.DesiredCount) == aws.ToInt32(b.DesiredCount)
			}) {
				t.Errorf("UpdateService calls:\nwant %+v\nhave %+v", wantUps, ups)
			}
			if n := len(outs[0].Stopped); n != tt.want.stopped {
				t.Errorf("stopped tasks: want %d, have %d: %v", tt.want.stopped, n, outs[0].Stopped)
			}
			for _, s := range outs[0].Stopped {
				if len(s.Containers) != 1 || aws.ToInt32(s.Containers[0].ExitCode) != 1 || s.StoppedReason == "" {
					t.Errorf("stopped task: want exit code 1 and a reason, have %+v", s)
				}
			}
			polls := f.count("DescribeServices web")
			if polls < tt.want.minPolls || (tt.want.maxPolls > 0 && polls > tt.want.maxPolls) {
				t.Errorf("DescribeServices of web: want %d to %d, have %d", tt.want.minPolls, tt.want.maxPolls, polls)
			}
			if tt.want.eventHas != "" {
				found := false
				for _, e := range outs[len(outs)-1].Events {
					found = found || strings.Contains(aws.ToString(e.Message), tt.want.eventHas)
				}
				if !found {
					t.Errorf("events: want one containing %q, have %d: %v", tt.want.eventHas, len(outs[len(outs)-1].Events), messages(outs[len(outs)-1].Events))
				}
				if got := logs.matching(tt.want.eventHas); len(got) == 0 {
					t.Errorf("log: want the event %q logged", tt.want.eventHas)
				}
			}
			for _, o := range outs {
				for _, e := range o.Events {
					if aws.ToString(e.Id) == "old-event" {
						t.Errorf("events: the event from before the deploy is reported")
					}
				}
			}
		})
	}
}

func messages(evs []types.ServiceEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

// An AWS-shaped rollout is not taken for done by the moto rule: the
// service's taskDefinition is the new one at once, but the PRIMARY
// deployment stays IN_PROGRESS for 8 polls.
func TestDeployWaitsForAWSRollout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addService("c", "web", web1, 2)
	f.behaviours[web2] = behaviour{Result: complete, Ticks: 8}
	outs, err := New(f, f.config()).Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2, DesiredCount: aws.Int32(2)}}, Options{Wait: true})
	if err != nil || outs[0].Status != StatusDeployed {
		t.Fatalf("want deployed, have %q: %v", outs[0].Status, err)
	}
	if have := f.count("DescribeServices web"); have != 1+8 {
		t.Errorf("DescribeServices: want 9 (1 before, 8 to finish), have %d", have)
	}
}

func TestDeployLogs(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addService("c", "web", web1, 3)
	f.behaviours[web2] = behaviour{Result: complete, Ticks: 30}
	logs := &logRecorder{}
	cfg := f.config()
	cfg.Logger = slog.New(logs)
	cfg.PollMin, cfg.PollMax = time.Second, 2*time.Second
	if _, err := New(f, cfg).Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}}, Options{Wait: true}); err != nil {
		t.Fatal(err)
	}
	// 3 tasks start, one event each, each logged once.
	if have := logs.matching("has started 1 tasks"); len(have) != 3 {
		t.Errorf("started events logged: want 3, have %d: %q", len(have), have)
	}
	if have := logs.matching("msg=tasks"); len(have) > 0 {
		t.Errorf("unexpected key msg in %q", have)
	}
	counts := logs.matching("running=")
	if len(counts) != 4 { // 1,2,3 running, then COMPLETED
		t.Errorf("count changes logged: want 4, have %d: %q", len(counts), counts)
	}
	// 26 quiet polls of 2s: heartbeats every 6s.
	if hb := logs.matching("still waiting"); len(hb) < 6 || len(hb) > 10 {
		t.Errorf("heartbeats: want 6 to 10, have %d", len(hb))
	}
}

func TestDeployPollDelays(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addService("c", "web", web1, 2)
	f.behaviours[web2] = behaviour{Result: complete, Ticks: 8}
	var mu sync.Mutex
	var delays []time.Duration
	cfg := f.config()
	sleep := cfg.Sleep
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
		return sleep(ctx, d)
	}
	if _, err := New(f, cfg).Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}}, Options{Wait: true}); err != nil {
		t.Fatal(err)
	}
	// 8 polls to finish: the first look after 2s, then every 5s.
	want := []time.Duration{2 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	if !slices.Equal(delays, want) {
		t.Errorf("delays: want %v, have %v", want, delays)
	}
}

// TestPollScheduleBounds checks the two promises of the default schedule
// on the times the polls were made: no 60-second window holds more than 12
// DescribeServices, and no gap between two polls is longer than 5s (so a
// finished rollout waits at most 5s to be seen). It also checks that time
// spent between polls (listing stopped tasks) shortens the next sleep
// instead of adding to the period.
func TestPollScheduleBounds(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addService("c", "web", web1, 2)
	f.behaviours[web2] = behaviour{Result: complete, Ticks: 40}
	f.listTasksCost = 700 * time.Millisecond // each ListTasks moves the clock
	start := f.now()
	if _, err := New(f, f.config()).Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}}, Options{Wait: true}); err != nil {
		t.Fatal(err)
	}
	polls := f.pollTimes["web"][1:] // not the read before the update
	if len(polls) != 40 {
		t.Fatalf("polls: want 40, have %d", len(polls))
	}
	if first := polls[0].Sub(start); first != 2*time.Second {
		t.Errorf("first poll: want 2s after the update, have %s", first)
	}
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Sub(polls[i-1]); gap != 5*time.Second {
			t.Errorf("gap %d: want 5s start to start, have %s", i, gap)
		}
	}
	if have := maxInWindow(polls, time.Minute); have > 12 {
		t.Errorf("DescribeServices in one minute: want at most 12, have %d", have)
	}
}

// maxInWindow is the largest number of times in any half-open window of
// length w; times are sorted.
func maxInWindow(times []time.Time, w time.Duration) int {
	most, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

func TestDeployValidates(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, err := New(f, f.config()).Deploy(t.Context(), []Service{
		{Cluster: "c", Name: "web"},
		{Cluster: "c", Name: "api", TaskDefinition: api2},
		{Cluster: "c", Name: "api", TaskDefinition: api2},
	}, Options{})
	if err == nil || !strings.Contains(err.Error(), "task definition") || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("want both problems, have %v", err)
	}
	if n := f.count("DescribeServices"); n != 0 {
		t.Errorf("calls before validation: %d", n)
	}
}

func TestRunTask(t *testing.T) {
	t.Parallel()
	migrate := tdARN("migrate", 3)
	tests := []struct {
		name       string
		task       OneOff
		containers []types.Container
		wantCode   int32
		wantErr    string
	}{
		{
			name:       "success",
			task:       OneOff{Cluster: "c", TaskDefinition: migrate, Command: []string{"migrate", "up"}, NetworkFrom: "web"},
			containers: []types.Container{{Name: aws.String("sidecar"), ExitCode: aws.Int32(137)}, {Name: aws.String("app"), ExitCode: aws.Int32(0)}},
		},
		{
			name:       "non-zero exit",
			task:       OneOff{Cluster: "c", TaskDefinition: migrate, Container: "app"},
			containers: []types.Container{{Name: aws.String("app"), ExitCode: aws.Int32(2), Reason: aws.String("migration 42 failed")}},
			wantCode:   2,
			wantErr:    `": Essential container in task exited; container "app" exited 2: migration 42 failed`,
		},
		{
			name:       "no exit code",
			task:       OneOff{Cluster: "c", TaskDefinition: migrate},
			containers: []types.Container{{Name: aws.String("app"), Reason: aws.String("CannotPullContainerError: pull access denied")}},
			wantErr:    `container "app" has no exit code`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addService("c", "web", web1, 2)
			f.taskDefs[migrate] = types.TaskDefinition{ContainerDefinitions: []types.ContainerDefinition{
				{Name: aws.String("sidecar"), Essential: aws.Bool(false)},
				{Name: aws.String("app")},
			}}
			f.runContainers = tt.containers
			f.runPolls = 1
			cfg := f.config()
			cfg.PollMin, cfg.PollMax = time.Millisecond, 5*time.Millisecond
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			res, err := New(f, cfg).RunTask(ctx, tt.task)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("want no error, have %v", err)
			}
			if tt.wantErr != "" {
				if !errors.Is(err, ErrTaskFailed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error: want ErrTaskFailed with %q, have %v", tt.wantErr, err)
				}
			}
			if res.ExitCode != tt.wantCode || res.Container != "app" {
				t.Errorf("result: want app exit %d, have %s exit %d", tt.wantCode, res.Container, res.ExitCode)
			}
			in := f.runInputs[0]
			if tt.task.NetworkFrom != "" {
				if in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || in.LaunchType != types.LaunchTypeFargate {
					t.Errorf("network: want the service's, have %+v %q", in.NetworkConfiguration, in.LaunchType)
				}
			}
			if len(tt.task.Command) > 0 {
				if o := in.Overrides.ContainerOverrides[0]; aws.ToString(o.Name) != "app" || !slices.Equal(o.Command, tt.task.Command) {
					t.Errorf("override: want app %q, have %s %q", tt.task.Command, aws.ToString(o.Name), o.Command)
				}
			}
		})
	}
}
