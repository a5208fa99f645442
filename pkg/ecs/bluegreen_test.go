package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

var (
	blue1, blue2   = tdARN("blue", 1), tdARN("app", 2)
	green1, green2 = tdARN("green", 1), tdARN("app", 2)
)

// fakeSwitch scripts the traffic side of a blue/green deploy: where the
// traffic is, and what each Run does. It records every Run's steps.
type fakeSwitch struct {
	mu      sync.Mutex
	current traffic.Weights
	// results answer the Runs in order; a Run past them fails the test.
	results []switchResult
	runs    []traffic.Options
	t       *testing.T
	cancel  context.CancelFunc // the deploy's context
}

// switchResult is what one Run returns. Without err the traffic ends on
// the run's last step; with err it ends on res.Final.
type switchResult struct {
	res traffic.Result
	err error
	// cancel cancels the deploy's context first (SIGTERM during the shift).
	cancel bool
}

func (s *fakeSwitch) Current(context.Context, traffic.Options) (traffic.Weights, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, nil
}

func (s *fakeSwitch) Run(_ context.Context, o traffic.Options) (traffic.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, o)
	if len(s.runs) > len(s.results) {
		s.t.Errorf("unexpected traffic Run %d: %+v", len(s.runs), o.Steps)
		return traffic.Result{}, errors.New("unexpected Run")
	}
	r := s.results[len(s.runs)-1]
	if r.cancel {
		s.cancel()
	}
	r.res.Start = s.current
	if r.err == nil {
		r.res.Final = o.Steps[len(o.Steps)-1]
		r.res.Changed = r.res.Final != s.current
	}
	s.current = r.res.Final
	return r.res, r.err
}

func TestBlueGreen(t *testing.T) {
	t.Parallel()
	toGreen := []traffic.Weights{{Blue: 90, Green: 10}, {Blue: 0, Green: 100}}
	errAlarm := errors.New(`alarm "app-5xx" is in ALARM`)
	tests := []struct {
		name        string
		start       traffic.Weights
		behaviours  map[string]behaviour
		switches    []switchResult
		rollback    bool
		wantIdle    string
		wantStatus  Status
		wantUpdates []update
		wantSteps   [][]traffic.Weights // of each traffic Run
		wantFinal   traffic.Weights
		wantErr     []error
		wantErrHas  string
	}{
		{
			name:        "green idle: deploy green, then shift to it",
			start:       traffic.Weights{Blue: 100},
			behaviours:  map[string]behaviour{green2: {Result: complete, Ticks: 3}},
			switches:    []switchResult{{}},
			rollback:    true,
			wantIdle:    "green",
			wantStatus:  StatusDeployed,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}},
			wantSteps:   [][]traffic.Weights{toGreen},
			wantFinal:   traffic.Weights{Green: 100},
		},
		{
			name:        "blue idle: steps mirrored toward blue",
			start:       traffic.Weights{Green: 100},
			behaviours:  map[string]behaviour{blue2: {Result: complete, Ticks: 2}},
			switches:    []switchResult{{}},
			rollback:    true,
			wantIdle:    "blue",
			wantStatus:  StatusDeployed,
			wantUpdates: []update{{Service: "blue", TaskDefinition: blue2}},
			wantSteps:   [][]traffic.Weights{{{Blue: 10, Green: 90}, {Blue: 100, Green: 0}}},
			wantFinal:   traffic.Weights{Blue: 100},
		},
		{
			name:        "idle rollout fails: no traffic moves, idle rolled back",
			start:       traffic.Weights{Blue: 100},
			behaviours:  map[string]behaviour{green2: {Result: fail, Ticks: 2}},
			rollback:    true,
			wantIdle:    "green",
			wantStatus:  StatusRolledBack,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}, {Service: "green", TaskDefinition: green1}},
			wantFinal:   traffic.Weights{Blue: 100},
			wantErr:     []error{ErrRolledBack, ErrDeploymentFailed},
		},
		{
			name:       "alarm during the shift: switcher reverts, idle rolled back",
			start:      traffic.Weights{Blue: 100},
			behaviours: map[string]behaviour{green2: {Result: complete, Ticks: 2}},
			switches: []switchResult{{
				res: traffic.Result{Final: traffic.Weights{Blue: 100}, Reverted: true, Steps: 1},
				err: errAlarm,
			}},
			rollback:    true,
			wantIdle:    "green",
			wantStatus:  StatusRolledBack,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}, {Service: "green", TaskDefinition: green1}},
			wantSteps:   [][]traffic.Weights{toGreen},
			wantFinal:   traffic.Weights{Blue: 100},
			wantErr:     []error{ErrRolledBack, errAlarm},
		},
		{
			name:       "shift fails halfway without revert: traffic put back, idle rolled back",
			start:      traffic.Weights{Blue: 100},
			behaviours: map[string]behaviour{green2: {Result: complete, Ticks: 2}},
			switches: []switchResult{
				{res: traffic.Result{Final: traffic.Weights{Blue: 90, Green: 10}, Changed: true, Steps: 1}, err: errors.New("verifying listener: weights read back 50/50")},
				{}, // the put-back
			},
			rollback:    true,
			wantIdle:    "green",
			wantStatus:  StatusRolledBack,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}, {Service: "green", TaskDefinition: green1}},
			wantSteps:   [][]traffic.Weights{toGreen, {{Blue: 100}}},
			wantFinal:   traffic.Weights{Blue: 100},
			wantErr:     []error{ErrRolledBack},
			wantErrHas:  "read back 50/50",
		},
		{
			name:       "cancelled during the shift: traffic put back, idle keeps the new revision",
			start:      traffic.Weights{Blue: 100},
			behaviours: map[string]behaviour{green2: {Result: complete, Ticks: 2}},
			switches: []switchResult{
				{res: traffic.Result{Final: traffic.Weights{Blue: 90, Green: 10}, Changed: true, Steps: 1}, err: context.Canceled, cancel: true},
				{}, // the put-back, not cancelled
			},
			rollback:    true,
			wantIdle:    "green",
			wantStatus:  StatusFailed,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}},
			wantSteps:   [][]traffic.Weights{toGreen, {{Blue: 100}}},
			wantFinal:   traffic.Weights{Blue: 100},
			wantErr:     []error{context.Canceled, ErrNotRolledBack},
		},
		{
			name:       "alarm without rollback: traffic back, idle left on the new revision",
			start:      traffic.Weights{Blue: 100},
			behaviours: map[string]behaviour{green2: {Result: complete, Ticks: 2}},
			switches: []switchResult{{
				res: traffic.Result{Final: traffic.Weights{Blue: 100}, Reverted: true},
				err: errAlarm,
			}},
			wantIdle:    "green",
			wantStatus:  StatusFailed,
			wantUpdates: []update{{Service: "green", TaskDefinition: green2}},
			wantSteps:   [][]traffic.Weights{toGreen},
			wantFinal:   traffic.Weights{Blue: 100},
			wantErr:     []error{errAlarm},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addService("c", "blue", blue1, 2)
			f.addService("c", "green", green1, 2)
			for td, b := range tc.behaviours {
				f.behaviours[td] = b
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			sw := &fakeSwitch{current: tc.start, results: tc.switches, t: t, cancel: cancel}
			pair := BlueGreen{Cluster: "c", Blue: "blue", Green: "green", Traffic: traffic.Options{
				Listeners: []string{"arn:listener"}, Blue: "tg-blue", Green: "tg-green", Steps: toGreen, Alarms: []string{"app-5xx"}, MinHealthyTargets: 1,
			}}
			plan, err := PlanBlueGreen(t.Context(), sw, pair)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Idle != tc.wantIdle {
				t.Fatalf("idle: want %q, have %q", tc.wantIdle, plan.Idle)
			}
			res, err := New(f, f.config()).DeployBlueGreen(ctx, sw, BlueGreenRequest{Pair: pair, Plan: plan, TaskDefinition: tdARN("app", 2), Options: Options{Rollback: tc.rollback}})
			if res.Status != tc.wantStatus {
				t.Errorf("status: want %s, have %s (err %v)", tc.wantStatus, res.Status, err)
			}
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("error: want %v in it, have %v", want, err)
				}
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Errorf("error: want none, have %v", err)
			}
			if tc.wantErrHas != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrHas)) {
				t.Errorf("error: want %q in it, have %v", tc.wantErrHas, err)
			}
			if !slices.Equal(f.updates, tc.wantUpdates) {
				t.Errorf("updates: want %+v, have %+v", tc.wantUpdates, f.updates)
			}
			var steps [][]traffic.Weights
			for _, r := range sw.runs {
				steps = append(steps, r.Steps)
			}
			if fmt.Sprint(steps) != fmt.Sprint(tc.wantSteps) {
				t.Errorf("traffic runs: want %v, have %v", tc.wantSteps, steps)
			}
			if sw.current != tc.wantFinal {
				t.Errorf("traffic at the end: want %s, have %s", tc.wantFinal, sw.current)
			}
			// The put-back goes to the side that served: no gates.
			if len(sw.runs) == 2 && (len(sw.runs[1].Alarms) > 0 || sw.runs[1].MinHealthyTargets != 0) {
				t.Errorf("put-back gated: alarms %v, min healthy %d", sw.runs[1].Alarms, sw.runs[1].MinHealthyTargets)
			}
		})
	}
}

func TestPlanBlueGreenRefusesSplitTraffic(t *testing.T) {
	t.Parallel()
	sw := &fakeSwitch{current: traffic.Weights{Blue: 50, Green: 50}, t: t}
	_, err := PlanBlueGreen(t.Context(), sw, BlueGreen{Cluster: "c", Blue: "blue", Green: "green"})
	if !errors.Is(err, ErrSplitTraffic) || !strings.Contains(err.Error(), "50") {
		t.Errorf("want ErrSplitTraffic naming the weights, have %v", err)
	}
	if len(sw.runs) != 0 {
		t.Errorf("traffic runs: want 0, have %d", len(sw.runs))
	}
}
