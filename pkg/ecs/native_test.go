package ecs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// untilConfig is f's config whose sleeps end ctx, as its deadline would,
// once the fake clock has moved after past its time now: a timeout on the
// fake clock.
func (f *fakeECS) untilConfig(parent context.Context, after time.Duration) (context.Context, Config) {
	ctx, cancel := context.WithCancelCause(parent)
	limit := f.now().Add(after)
	cfg := f.config()
	inner := cfg.Sleep
	cfg.Sleep = func(c context.Context, d time.Duration) error {
		if err := inner(c, d); err != nil {
			return err
		}
		if !f.now().Before(limit) {
			cancel(context.DeadlineExceeded)
		}
		return c.Err()
	}
	return ctx, cfg
}

// timelineOf renders a timeline for the test log: stage +start (fake
// clock, from t0) duration.
func timelineOf(tl []StageSpan, t0 time.Time) string {
	var b strings.Builder
	for _, s := range tl {
		fmt.Fprintf(&b, "%s +%s %s; ", s.Stage, s.Started.Sub(t0), s.Duration)
	}
	return b.String()
}

func stagesOf(tl []StageSpan) []string {
	out := make([]string, len(tl))
	for i, s := range tl {
		out[i] = s.Stage
	}
	return out
}

var allStages = []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"}

func TestNativeDeploy(t *testing.T) {
	t.Parallel()
	pause := Native{PauseAt: types.DeploymentLifecycleHookStagePostTestTrafficShift, PauseTimeout: 2 * time.Hour}
	tests := []struct {
		name     string
		strategy types.DeploymentStrategy // the service's before the deploy
		native   Native
		b        behaviour
		unnamed  bool
		timeout  time.Duration // on the fake clock; 0: none
		rollback bool

		status    Status
		errIs     []error
		stages    []string
		updateCfg func(t *testing.T, c *types.DeploymentConfiguration)
		calls     map[string]int
		diagnosed bool
	}{
		{
			name: "already on BLUE_GREEN: every stage, strategy untouched", strategy: types.DeploymentStrategyBlueGreen,
			status: StatusDeployed, stages: allStages,
			updateCfg: func(t *testing.T, c *types.DeploymentConfiguration) {
				if c != nil {
					t.Errorf("UpdateService changed the deployment configuration: %+v", c)
				}
			},
			calls: map[string]int{"UpdateService": 1, "StopServiceDeployment": 0, "ListServiceDeployments": 0},
		},
		{
			name: "rolling service moved to LINEAR, the rest kept", strategy: types.DeploymentStrategyRolling,
			native: Native{Strategy: types.DeploymentStrategyLinear, BakeTime: aws.Duration(10 * time.Minute),
				LinearStepPercent: aws.Float64(25), LinearStepBakeTime: aws.Duration(2 * time.Minute)},
			status: StatusDeployed, stages: allStages,
			updateCfg: func(t *testing.T, c *types.DeploymentConfiguration) {
				want := &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(10),
					LinearConfiguration:      &types.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(2)},
					DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}, MaximumPercent: aws.Int32(200)}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("deployment configuration sent:\nwant %+v\nhave %+v", want, c)
				}
			},
			calls: map[string]int{"UpdateService": 1, "StopServiceDeployment": 0},
		},
		{
			name: "response names no deployment: listed", strategy: types.DeploymentStrategyCanary, unnamed: true,
			status: StatusDeployed, stages: allStages,
			calls: map[string]int{"UpdateService": 1, "ListServiceDeployments": 1},
		},
		{
			name: "alarm in bake: ECS rolls back", strategy: types.DeploymentStrategyBlueGreen, rollback: true,
			b:      behaviour{FailAt: types.ServiceDeploymentLifecycleStageBakeTime},
			status: StatusRolledBack, errIs: []error{ErrDeploymentFailed, ErrRolledBack},
			stages:    append(allStages[:8:8], "ROLLBACK_IN_PROGRESS"),
			calls:     map[string]int{"UpdateService": 1, "StopServiceDeployment": 0},
			diagnosed: true,
		},
		{
			name: "timeout in bake: one StopServiceDeployment, no UpdateService", strategy: types.DeploymentStrategyBlueGreen, rollback: true,
			timeout: 20 * time.Minute,
			status:  StatusRolledBack, errIs: []error{ErrDeploymentFailed, ErrTimeout, ErrRolledBack},
			stages: append(allStages[:8:8], "ROLLBACK_IN_PROGRESS"),
			calls:  map[string]int{"UpdateService": 1, "StopServiceDeployment": 1},
		},
		{
			name: "timeout without rollback: nothing stopped", strategy: types.DeploymentStrategyBlueGreen,
			timeout: 20 * time.Minute,
			status:  StatusFailed, errIs: []error{ErrDeploymentFailed, ErrTimeout},
			stages: allStages[:8],
			calls:  map[string]int{"UpdateService": 1, "StopServiceDeployment": 0},
		},
		{
			name: "pause at POST_TEST_TRAFFIC_SHIFT: returns paused", strategy: types.DeploymentStrategyBlueGreen, native: pause,
			status: StatusPaused, stages: allStages[:5],
			updateCfg: func(t *testing.T, c *types.DeploymentConfiguration) {
				if c == nil || c.Strategy != types.DeploymentStrategyBlueGreen || len(c.LifecycleHooks) != 1 ||
					c.LifecycleHooks[0].TargetType != types.DeploymentLifecycleHookTargetTypePause ||
					c.LifecycleHooks[0].TimeoutConfiguration == nil || aws.ToInt32(c.LifecycleHooks[0].TimeoutConfiguration.TimeoutInMinutes) != 120 {
					t.Errorf("deployment configuration sent: want the service's with one PAUSE hook (120 minutes), have %+v", c)
				}
			},
			calls: map[string]int{"UpdateService": 1, "StopServiceDeployment": 0, "ContinueServiceDeployment": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addNativeService("c", "web", web1, tt.strategy, 15)
			f.services["c/web"].svc.DeploymentConfiguration.DeploymentCircuitBreaker = &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}
			f.services["c/web"].svc.DeploymentConfiguration.MaximumPercent = aws.Int32(200)
			if tt.strategy == types.DeploymentStrategyRolling {
				f.services["c/web"].svc.DeploymentConfiguration.BakeTimeInMinutes = nil
			}
			f.behaviours[web2] = tt.b
			f.unnamed = tt.unnamed
			ctx, cfg := t.Context(), f.config()
			if tt.timeout > 0 {
				ctx, cfg = f.untilConfig(ctx, tt.timeout)
			}
			logs := &logRecorder{}
			cfg.Logger = slog.New(logs)
			outs, err := New(f, cfg).Deploy(ctx, []Service{{Cluster: "c", Name: "web", TaskDefinition: web2, Native: tt.native}},
				Options{Wait: true, Rollback: tt.rollback})
			o := outs[0]
			if o.Status != tt.status {
				t.Errorf("status: want %s, have %s (err %v)", tt.status, o.Status, err)
			}
			for _, target := range tt.errIs {
				if !errors.Is(err, target) {
					t.Errorf("error: want one wrapping %q, have %v", target, err)
				}
			}
			if tt.errIs == nil && err != nil {
				t.Errorf("error: want none, have %v", err)
			}
			if have := stagesOf(o.Timeline); strings.Join(have, " ") != strings.Join(tt.stages, " ") {
				t.Errorf("timeline:\nwant %v\nhave %v", tt.stages, have)
			}
			t.Logf("timeline: %s", timelineOf(o.Timeline, o.Started))
			t.Logf("calls: %v", f.calls)
			for call, n := range tt.calls {
				if have := f.count(call); have != n {
					t.Errorf("%s calls: want %d, have %d", call, n, have)
				}
			}
			if n := maxInWindow(f.pollTimes["sd:web"], time.Minute); n > 12 {
				t.Errorf("DescribeServiceDeployments: %d in one minute, want at most 12", n)
			}
			if tt.updateCfg != nil {
				tt.updateCfg(t, f.updateInputs[0].DeploymentConfiguration)
			}
			if o.ServiceDeployment == "" || !strings.Contains(o.ServiceDeployment, ":service-deployment/c/web/") {
				t.Errorf("service deployment: have %q", o.ServiceDeployment)
			}
			if tt.diagnosed && (len(o.Events) == 0 || len(o.Stopped) == 0) {
				t.Errorf("diagnostics: want events and stopped tasks, have %d events, %d stopped", len(o.Events), len(o.Stopped))
			}
			if tt.status == StatusPaused {
				if o.Paused == nil || o.Paused.ID == "" || o.Paused.Stage != "POST_TEST_TRAFFIC_SHIFT" || o.Paused.TimeoutAction != "ROLLBACK" {
					t.Errorf("paused hook: have %+v", o.Paused)
				}
				if o.TestListenerRule == "" {
					t.Error("no test listener rule")
				}
			}
			if len(logs.matching("service deployment stage")) != len(tt.stages) {
				t.Errorf("stage log records: want %d, have %q", len(tt.stages), logs.matching("service deployment stage"))
			}
		})
	}
}

// TestDecide runs the gate's two steps: a deploy that pauses, then a
// decision that continues or rolls back.
func TestDecide(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		action  types.DeploymentLifecycleHookAction
		hookID  bool // give the hook id (else found)
		status  Status
		stages  []string
		finalTD string
		sdState types.ServiceDeploymentStatus
	}{
		{action: types.DeploymentLifecycleHookActionContinue, status: StatusDeployed, stages: allStages[4:], finalTD: web2, sdState: types.ServiceDeploymentStatusSuccessful},
		{action: types.DeploymentLifecycleHookActionRollback, hookID: true, status: StatusRolledBack, stages: []string{"POST_TEST_TRAFFIC_SHIFT", "ROLLBACK_IN_PROGRESS"}, finalTD: web1, sdState: types.ServiceDeploymentStatusRollbackSuccessful},
	} {
		t.Run(string(tt.action), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addNativeService("c", "web", web1, types.DeploymentStrategyBlueGreen, 60)
			d := New(f, f.config())
			outs, err := d.Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2,
				Native: Native{PauseAt: types.DeploymentLifecycleHookStagePostTestTrafficShift}}}, Options{Wait: true, Rollback: true})
			if err != nil || outs[0].Status != StatusPaused {
				t.Fatalf("first step: want paused, have %s (err %v)", outs[0].Status, err)
			}
			dec := Decision{ServiceDeployment: outs[0].ServiceDeployment, Action: tt.action}
			if tt.hookID {
				dec.HookID = outs[0].Paused.ID
			}
			f.mu.Lock()
			f.clock = f.clock.Add(17 * time.Minute) // the pipeline's tests run
			f.mu.Unlock()
			before := f.count("DescribeServiceDeployments")
			o, err := d.Decide(t.Context(), dec, Options{Wait: true, Rollback: true})
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			if o.Status != tt.status {
				t.Errorf("status: want %s, have %s", tt.status, o.Status)
			}
			if have := stagesOf(o.Timeline); strings.Join(have, " ") != strings.Join(tt.stages, " ") {
				t.Errorf("timeline:\nwant %v\nhave %v", tt.stages, have)
			}
			t.Logf("first step: %s", timelineOf(outs[0].Timeline, outs[0].Started))
			t.Logf("decision: %s", timelineOf(o.Timeline, o.Started))
			t.Logf("calls: %v", f.calls)
			if n := f.count("ContinueServiceDeployment"); n != 1 {
				t.Errorf("ContinueServiceDeployment calls: want 1, have %d", n)
			}
			if n := f.count("UpdateService"); n != 1 {
				t.Errorf("UpdateService calls: want 1 (the first step's), have %d", n)
			}
			if n := f.count("StopServiceDeployment"); n != 0 {
				t.Errorf("StopServiceDeployment calls: want 0, have %d", n)
			}
			if st, _ := f.sdState(dec.ServiceDeployment); st != tt.sdState {
				t.Errorf("service deployment: want %s, have %s", tt.sdState, st)
			}
			if td := aws.ToString(f.services["c/web"].svc.TaskDefinition); td != tt.finalTD {
				t.Errorf("service's task definition: want %s, have %s", tt.finalTD, td)
			}
			if o.Deployed != web2 || o.Service != "web" || o.Cluster != "c" {
				t.Errorf("outcome: want web in c deploying %s, have %s in %s deploying %s", web2, o.Service, o.Cluster, o.Deployed)
			}
			if f.count("DescribeServiceDeployments") == before {
				t.Error("the decision did not follow the deployment")
			}
		})
	}
}

func TestDecideRefuses(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addNativeService("c", "web", web1, types.DeploymentStrategyBlueGreen, 5)
	d := New(f, f.config())
	outs, err := d.Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2}}, Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	// Over: nothing awaits action.
	_, err = d.Decide(t.Context(), Decision{ServiceDeployment: outs[0].ServiceDeployment, Action: types.DeploymentLifecycleHookActionContinue}, Options{Wait: true})
	if !errors.Is(err, ErrNotPaused) || !strings.Contains(err.Error(), "SUCCESSFUL") {
		t.Errorf("error: want ErrNotPaused naming SUCCESSFUL, have %v", err)
	}
	if n := f.count("ContinueServiceDeployment"); n != 0 {
		t.Errorf("ContinueServiceDeployment calls: want 0, have %d", n)
	}
	_, err = d.Decide(t.Context(), Decision{ServiceDeployment: "arn:aws:ecs:us-east-1:1:service/c/web", Action: types.DeploymentLifecycleHookActionContinue}, Options{})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Fields[0] != FieldServiceDeployment {
		t.Errorf("error: want a FieldError of %s, have %v", FieldServiceDeployment, err)
	}
}

// TestNativeHookTimeout: the pipeline never decides; ECS's own hook
// timeout rolls the deployment back, which a later decision reports.
func TestNativeHookTimeout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addNativeService("c", "web", web1, types.DeploymentStrategyBlueGreen, 5)
	d := New(f, f.config())
	outs, err := d.Deploy(t.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: web2,
		Native: Native{PauseAt: types.DeploymentLifecycleHookStagePostScaleUp, PauseTimeout: 30 * time.Minute}}}, Options{Wait: true})
	if err != nil || outs[0].Status != StatusPaused {
		t.Fatalf("want paused, have %s (%v)", outs[0].Status, err)
	}
	f.mu.Lock()
	f.clock = f.clock.Add(3 * time.Hour)
	f.mu.Unlock()
	_, err = d.Decide(t.Context(), Decision{ServiceDeployment: outs[0].ServiceDeployment, Action: types.DeploymentLifecycleHookActionContinue}, Options{Wait: true})
	if !errors.Is(err, ErrNotPaused) || !strings.Contains(err.Error(), "ROLLBACK_SUCCESSFUL") {
		t.Errorf("error: want ErrNotPaused naming ROLLBACK_SUCCESSFUL, have %v", err)
	}
}

func TestNativeValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		n      Native
		fields []Field
	}{
		{name: "zero", n: Native{}},
		{name: "canary", n: Native{Strategy: types.DeploymentStrategyCanary, CanaryPercent: aws.Float64(10), CanaryBakeTime: aws.Duration(5 * time.Minute), BakeTime: aws.Duration(time.Hour)}},
		{name: "bad strategy", n: Native{Strategy: "RED_BLACK"}, fields: []Field{FieldStrategy}},
		{name: "bake not whole minutes", n: Native{BakeTime: aws.Duration(90 * time.Second)}, fields: []Field{FieldBakeTime}},
		{name: "bake too long", n: Native{BakeTime: aws.Duration(25 * time.Hour)}, fields: []Field{FieldBakeTime}},
		{name: "canary percent", n: Native{CanaryPercent: aws.Float64(0)}, fields: []Field{FieldCanaryPercent}},
		{name: "linear step", n: Native{LinearStepPercent: aws.Float64(2)}, fields: []Field{FieldLinearStepPercent}},
		{name: "canary with linear", n: Native{Strategy: types.DeploymentStrategyLinear, CanaryPercent: aws.Float64(10)}, fields: []Field{FieldCanaryPercent}},
		{name: "pause at a traffic shift", n: Native{PauseAt: types.DeploymentLifecycleHookStageTestTrafficShift}, fields: []Field{FieldPauseAt}},
		{name: "pause with rolling", n: Native{Strategy: types.DeploymentStrategyRolling, PauseAt: types.DeploymentLifecycleHookStagePreScaleUp}, fields: []Field{FieldPauseAt}},
		{name: "timeout without pause", n: Native{PauseTimeout: time.Hour}, fields: []Field{FieldPauseTimeout}},
		{name: "pause timeout too long", n: Native{PauseAt: types.DeploymentLifecycleHookStagePreScaleUp, PauseTimeout: 15 * 24 * time.Hour}, fields: []Field{FieldPauseTimeout}},
		{name: "bad rule", n: Native{LoadBalancer: &LoadBalancerConfig{TestListenerRule: "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/1/2"}}, fields: []Field{FieldTestListenerRule}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.n.Validate()
			var have []Field
			for _, e := range flattenErr(err) {
				var fe *FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("not a FieldError: %v", e)
				}
				have = append(have, fe.Fields...)
			}
			if !reflect.DeepEqual(have, tt.fields) {
				t.Errorf("fields at fault: want %v, have %v (%v)", tt.fields, have, err)
			}
		})
	}
}

func flattenErr(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestRunPausedTestURL: Run asks Env.TestURL for the paused deployment's
// test listener rule.
func TestRunPausedTestURL(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.addNativeService("c", "web", web1, types.DeploymentStrategyBlueGreen, 5)
	reg := &fakeRegistry{t: t}
	var asked string
	rep, err := New(f, f.config()).Run(t.Context(), Plan{Strategy: Rolling, Cluster: "c", Services: []string{"web"},
		Native:  Native{PauseAt: types.DeploymentLifecycleHookStagePostTestTrafficShift},
		Options: Options{Wait: true, Rollback: true}}, Env{Registry: reg, TestURL: func(_ context.Context, rule string) (string, error) {
		asked = rule
		return "http://lb-1.example:8080/", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Outcomes[0]
	if o.Status != StatusPaused || o.TestURL != "http://lb-1.example:8080/" || !strings.Contains(asked, "listener-rule/app/lb/1/8080/2") {
		t.Errorf("want paused with the test URL of the test listener rule, have %s %q (asked %q)", o.Status, o.TestURL, asked)
	}
	if rep.Rendered[0].Strategy != types.DeploymentStrategyBlueGreen || len(rep.Rendered[0].ConfigChanges) != 1 {
		t.Errorf("render: want BLUE_GREEN with one change, have %s %q", rep.Rendered[0].Strategy, rep.Rendered[0].ConfigChanges)
	}
}
