//go:build unix

package traffic_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func TestRunPresetsAndCustomWeights(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	custom, err := traffic.NewWeights(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		weights     traffic.Weights
		wantChanged bool
	}{
		{"blue", mustPreset(t, "blue"), false},
		{"blue-80", mustPreset(t, "blue-80"), true},
		{"split", mustPreset(t, "split"), true},
		{"green-80", mustPreset(t, "green-80"), true},
		{"green", mustPreset(t, "green"), true},
		{"custom 3:1", custom, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			s := traffic.New(rec, f.CloudWatch, traffic.Config{})
			have, err := s.Run(context.Background(), traffic.Options{
				Listeners:         f.Listeners[:1],
				Blue:              f.Blue,
				Green:             f.Green,
				Steps:             []traffic.Weights{tt.weights},
				MinHealthyTargets: 1,
				Alarms:            []string{f.Alarm},
			})
			if err != nil {
				t.Fatalf("Run(): %v", err)
			}
			want := traffic.Result{
				Start:   w(100, 0),
				Final:   tt.weights,
				Changed: tt.wantChanged,
				Changes: []traffic.Change{{ARN: f.Listeners[0], Kind: traffic.KindListener, Before: w(100, 0), After: tt.weights, Changed: tt.wantChanged}},
				Steps:   1,
			}
			if !reflect.DeepEqual(have, want) {
				t.Errorf("Run():\nhave %+v\nwant %+v", have, want)
			}
			if have := f.Weights(t, f.Listeners[0]); have != tt.weights {
				t.Errorf("listener weights: have %s, want %s", have, tt.weights)
			}
			if have := f.Weights(t, f.Listeners[1]); have != w(100, 0) {
				t.Errorf("listener not named: have %s, want it untouched at blue=100 green=0", have)
			}
			if have := f.Weights(t, f.Rule); have != w(100, 0) {
				t.Errorf("rule not named: have %s, want it untouched at blue=100 green=0", have)
			}
		})
	}
}

func TestRunSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	steps, err := traffic.StepsFromPercentages([]string{"10", "50", "100"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		resources func(f *elbtest.Fixture) (listeners, rules []string)
	}{
		{"one listener", func(f *elbtest.Fixture) ([]string, []string) { return f.Listeners[:1], nil }},
		{"one rule", func(f *elbtest.Fixture) ([]string, []string) { return nil, []string{f.Rule} }},
		{"two listeners", func(f *elbtest.Fixture) ([]string, []string) { return f.Listeners, nil }},
		{"two listeners and a rule", func(f *elbtest.Fixture) ([]string, []string) { return f.Listeners, []string{f.Rule} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			listeners, rules := tt.resources(f)
			s := traffic.New(rec, f.CloudWatch, traffic.Config{})
			start := time.Now()
			have, err := s.Run(context.Background(), traffic.Options{
				Listeners:         listeners,
				Rules:             rules,
				Blue:              f.BlueName,
				Green:             f.GreenName,
				Steps:             steps,
				BakeTime:          200 * time.Millisecond,
				Alarms:            []string{f.Alarm},
				MinHealthyTargets: 2,
			})
			if err != nil {
				t.Fatalf("Run(): %v", err)
			}
			if elapsed := time.Since(start); elapsed < 400*time.Millisecond {
				t.Errorf("Run() took %s, want at least two bakes of 200ms", elapsed)
			}
			if have.Steps != 3 || have.Start != w(100, 0) || have.Final != w(0, 100) || !have.Changed || have.Reverted {
				t.Errorf("Run() = %+v, want 3 steps from blue=100 green=0 to blue=0 green=100, changed", have)
			}
			arns := append(append([]string(nil), listeners...), rules...)
			if len(have.Changes) != len(arns) {
				t.Fatalf("have %d changes, want %d", len(have.Changes), len(arns))
			}
			for i, arn := range arns {
				kind := traffic.KindListener
				if i >= len(listeners) {
					kind = traffic.KindRule
				}
				want := traffic.Change{ARN: arn, Kind: kind, Before: w(100, 0), After: w(0, 100), Changed: true}
				if have.Changes[i] != want {
					t.Errorf("change %d: have %+v, want %+v", i, have.Changes[i], want)
				}
				if have := f.Weights(t, arn); have != w(0, 100) {
					t.Errorf("%s: have %s, want blue=0 green=100", arn, have)
				}
				if have, want := fmtWeights(rec.WrittenWeights(f, arn)), fmtWeights(steps); have != want {
					t.Errorf("%s: have writes %s, want %s", arn, have, want)
				}
			}
		})
	}
}

func TestRunNamesAndARNs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name        string
		blue, green func(f *elbtest.Fixture) string
		wantLookups int
	}{
		{"arns", func(f *elbtest.Fixture) string { return f.Blue }, func(f *elbtest.Fixture) string { return f.Green }, 0},
		{"names", func(f *elbtest.Fixture) string { return f.BlueName }, func(f *elbtest.Fixture) string { return f.GreenName }, 1},
		{"blue name, green arn", func(f *elbtest.Fixture) string { return f.BlueName }, func(f *elbtest.Fixture) string { return f.Green }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			s := traffic.New(rec, nil, traffic.Config{})
			have, err := s.Run(context.Background(), traffic.Options{
				Listeners: f.Listeners[:1],
				Blue:      tt.blue(f),
				Green:     tt.green(f),
				Steps:     []traffic.Weights{w(0, 100)},
			})
			if err != nil {
				t.Fatalf("Run(): %v", err)
			}
			if have.Final != w(0, 100) || f.Weights(t, f.Listeners[0]) != w(0, 100) {
				t.Errorf("have final %s, listener %s, want blue=0 green=100", have.Final, f.Weights(t, f.Listeners[0]))
			}
			if have := rec.Calls()["DescribeTargetGroups"]; have != tt.wantLookups {
				t.Errorf("have %d DescribeTargetGroups calls, want %d", have, tt.wantLookups)
			}
		})
	}

	t.Run("unknown name", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		_, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners: f.Listeners[:1],
			Blue:      f.BlueName,
			Green:     f.Prefix + "-nope",
			Steps:     []traffic.Weights{w(0, 100)},
		})
		wantErrContains(t, err, "resolving target group names", f.Prefix+"-nope")
		if writes := rec.Writes(); len(writes) != 0 {
			t.Errorf("have %d writes, want none", len(writes))
		}
	})
}

func TestRunCallCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name      string
		listeners int
		names     bool
		alarms    bool
		want      map[string]int
	}{
		{"one listener", 1, false, false, map[string]int{"DescribeListeners": 2, "ModifyListener": 1, "DescribeTargetHealth": 1}},
		{"two listeners", 2, false, false, map[string]int{"DescribeListeners": 4, "ModifyListener": 2, "DescribeTargetHealth": 1}},
		{"two listeners by group names, with an alarm", 2, true, true, map[string]int{"DescribeListeners": 4, "ModifyListener": 2, "DescribeTargetHealth": 1, "DescribeTargetGroups": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			cw := &alarmRecorder{Client: f.CloudWatch}
			o := traffic.Options{
				Listeners:         f.Listeners[:tt.listeners],
				Blue:              f.Blue,
				Green:             f.Green,
				Steps:             []traffic.Weights{mustPreset(t, "green")},
				MinHealthyTargets: 1,
			}
			if tt.names {
				o.Blue, o.Green = f.BlueName, f.GreenName
			}
			wantAlarmCalls := 0
			if tt.alarms {
				o.Alarms, wantAlarmCalls = []string{f.Alarm}, 1
			}
			if _, err := traffic.New(rec, cw, traffic.Config{}).Run(context.Background(), o); err != nil {
				t.Fatalf("Run(): %v", err)
			}
			if have := rec.Calls(); !maps.Equal(have, tt.want) {
				t.Errorf("ELBv2 calls:\nhave %v\nwant %v", have, tt.want)
			}
			if have := cw.Calls(); have != wantAlarmCalls {
				t.Errorf("have %d DescribeAlarms calls, want %d", have, wantAlarmCalls)
			}
			t.Logf("calls for a preset switch on %d listener(s): %v, DescribeAlarms %d", tt.listeners, rec.Calls(), cw.Calls())
		})
	}
}

func TestRunIdempotent(t *testing.T) {
	t.Parallel()
	f := newEnv(t).fixture(t)
	rec := newRecorder(t, f)
	cw := &alarmRecorder{Client: f.CloudWatch}
	o := traffic.Options{
		Listeners:         f.Listeners,
		Rules:             []string{f.Rule},
		Blue:              f.Blue,
		Green:             f.Green,
		Steps:             []traffic.Weights{w(100, 0)},
		MinHealthyTargets: 1,
		Alarms:            []string{f.Alarm},
	}
	have, err := traffic.New(rec, cw, traffic.Config{}).Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run(): %v", err)
	}
	if have.Changed || have.Steps != 1 || have.Final != w(100, 0) {
		t.Errorf("Run() = %+v, want unchanged, 1 step, blue=100 green=0", have)
	}
	for _, c := range have.Changes {
		if c.Changed || c.Before != c.After {
			t.Errorf("change %+v, want none", c)
		}
	}
	want := map[string]int{"DescribeListeners": 2, "DescribeRules": 1}
	if calls := rec.Calls(); !maps.Equal(calls, want) {
		t.Errorf("calls:\nhave %v\nwant %v (reads only)", calls, want)
	}
	if cw.Calls() != 0 {
		t.Errorf("have %d DescribeAlarms calls, want none when nothing changes", cw.Calls())
	}
}

func TestRunVerifyFailure(t *testing.T) {
	t.Parallel()
	f := newEnv(t).fixture(t)
	rec := newRecorder(t, f)
	rec.lie = func(actions []types.Action) {
		for _, a := range actions {
			if a.ForwardConfig != nil {
				for i := range a.ForwardConfig.TargetGroups {
					a.ForwardConfig.TargetGroups[i].Weight = aws.Int32(7)
				}
			}
		}
	}
	have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
		Listeners: f.Listeners[:1],
		Blue:      f.Blue,
		Green:     f.Green,
		Steps:     []traffic.Weights{w(0, 100)},
	})
	if !errors.Is(err, traffic.ErrVerify) {
		t.Fatalf("Run() error = %v, want ErrVerify", err)
	}
	wantErrContains(t, err, "found blue=7 green=7, wrote blue=0 green=100", "put back", "nothing changed, blue=100 green=0 in place")
	if have.Changed || have.Final != w(100, 0) || have.Steps != 0 {
		t.Errorf("Run() = %+v, want unchanged at blue=100 green=0, 0 steps", have)
	}
	// The write went through in moto; the listener was put back.
	if have := f.Weights(t, f.Listeners[0]); have != w(100, 0) {
		t.Errorf("listener: have %s, want it put back to blue=100 green=0", have)
	}
	if have, want := fmtWeights(rec.WrittenWeights(f, f.Listeners[0])), fmtWeights([]traffic.Weights{w(0, 100), w(100, 0)}); have != want {
		t.Errorf("have writes %s, want %s", have, want)
	}
}

func TestRunLeavesTheRestUntouched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("rule conditions, priority and other actions", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		oidc := types.Action{
			Type:  types.ActionTypeEnumAuthenticateOidc,
			Order: aws.Int32(1),
			AuthenticateOidcConfig: &types.AuthenticateOidcActionConfig{
				Issuer:                aws.String("https://idp.example.com"),
				AuthorizationEndpoint: aws.String("https://idp.example.com/auth"),
				TokenEndpoint:         aws.String("https://idp.example.com/token"),
				UserInfoEndpoint:      aws.String("https://idp.example.com/userinfo"),
				ClientId:              aws.String("ferry"),
				ClientSecret:          aws.String("s3cret"),
				Scope:                 aws.String("openid email"),
			},
		}
		forward := elbtest.WeightedForward(f.Blue, f.Green, w(100, 0))
		forward.Order = aws.Int32(2)
		conditions := []types.RuleCondition{
			elbtest.PathPattern("/admin/*"),
			{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"admin.example.com"}}},
		}
		rule := f.AddRule(t, f.Listeners[0], 20, conditions, oidc, forward)
		before := f.DescribeRule(t, rule)
		fixtureRule := f.DescribeRule(t, f.Rule)

		rec := newRecorder(t, f)
		rec.stripSecrets = true // as AWS: DescribeRules never returns the secret
		if _, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Rules: []string{rule},
			Blue:  f.Blue,
			Green: f.Green,
			Steps: []traffic.Weights{w(20, 80)},
		}); err != nil {
			t.Fatalf("Run(): %v", err)
		}
		writes := rec.Writes()
		if len(writes) != 1 {
			t.Fatalf("have %d writes, want 1", len(writes))
		}
		if writes[0].Other {
			t.Errorf("ModifyRule set more than the actions")
		}
		sent := writes[0].Actions
		if len(sent) != 2 || sent[0].Type != types.ActionTypeEnumAuthenticateOidc || sent[1].Type != types.ActionTypeEnumForward {
			t.Fatalf("sent actions %+v, want authenticate-oidc then forward", sent)
		}
		if c := sent[0].AuthenticateOidcConfig; c.ClientSecret != nil || !aws.ToBool(c.UseExistingClientSecret) {
			t.Errorf("sent OIDC config without UseExistingClientSecret=true: %+v", c)
		}

		after := f.DescribeRule(t, rule)
		if have := f.Weights(t, rule); have != w(20, 80) {
			t.Errorf("rule weights: have %s, want blue=20 green=80", have)
		}
		if aws.ToString(after.Priority) != aws.ToString(before.Priority) || !reflect.DeepEqual(after.Conditions, before.Conditions) {
			t.Errorf("rule conditions or priority changed:\nhave %s %+v\nwant %s %+v", aws.ToString(after.Priority), after.Conditions, aws.ToString(before.Priority), before.Conditions)
		}
		if aws.ToInt32(after.Actions[0].Order) != 1 || aws.ToInt32(after.Actions[1].Order) != 2 {
			t.Errorf("action order changed")
		}
		if have, want := *after.Actions[0].AuthenticateOidcConfig, *before.Actions[0].AuthenticateOidcConfig; aws.ToString(have.Issuer) != aws.ToString(want.Issuer) ||
			aws.ToString(have.ClientId) != aws.ToString(want.ClientId) || aws.ToString(have.Scope) != aws.ToString(want.Scope) {
			t.Errorf("OIDC action changed:\nhave %+v\nwant %+v", have, want)
		}
		if have := f.DescribeRule(t, f.Rule); !reflect.DeepEqual(have, fixtureRule) {
			t.Errorf("the other rule changed:\nhave %+v\nwant %+v", have, fixtureRule)
		}
	})

	tests := []struct {
		name       string
		stickiness time.Duration
		want       int32
	}{
		{"listener stickiness kept", 0, elbtest.StickinessSeconds},
		{"listener stickiness set", time.Hour, 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			before := f.DescribeListener(t, f.Listeners[0])
			rec := newRecorder(t, f)
			if _, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
				Listeners:  f.Listeners[:1],
				Blue:       f.Blue,
				Green:      f.Green,
				Steps:      []traffic.Weights{w(50, 50)},
				Stickiness: tt.stickiness,
			}); err != nil {
				t.Fatalf("Run(): %v", err)
			}
			for _, wr := range rec.Writes() {
				if wr.Other {
					t.Errorf("ModifyListener set more than the default actions")
				}
			}
			after := f.DescribeListener(t, f.Listeners[0])
			sc := after.DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig
			if sc == nil || !aws.ToBool(sc.Enabled) || aws.ToInt32(sc.DurationSeconds) != tt.want {
				t.Errorf("have stickiness %+v, want enabled for %ds", sc, tt.want)
			}
			if aws.ToInt32(after.Port) != aws.ToInt32(before.Port) || after.Protocol != before.Protocol {
				t.Errorf("listener changed: have %d/%s, want %d/%s", aws.ToInt32(after.Port), after.Protocol, aws.ToInt32(before.Port), before.Protocol)
			}
			if have := f.Weights(t, f.Listeners[0]); have != w(50, 50) {
				t.Errorf("have %s, want blue=50 green=50", have)
			}
		})
	}

	t.Run("stickiness alone is a change", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners:  f.Listeners[:1],
			Blue:       f.Blue,
			Green:      f.Green,
			Steps:      []traffic.Weights{w(100, 0)},
			Stickiness: 10 * time.Minute,
		})
		if err != nil {
			t.Fatalf("Run(): %v", err)
		}
		if !have.Changed || len(rec.Writes()) != 1 {
			t.Errorf("Run() = %+v with %d writes, want one write and Changed", have, len(rec.Writes()))
		}
		sc := f.DescribeListener(t, f.Listeners[0]).DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig
		if aws.ToInt32(sc.DurationSeconds) != 600 {
			t.Errorf("have stickiness %+v, want 600s", sc)
		}
	})
}

func TestRunHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("refused before the first write", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		listener := f.AddListener(t, elbtest.WeightedForward(f.Blue, f.Unhealthy, w(100, 0)))
		rec := newRecorder(t, f)
		have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners:         []string{listener},
			Blue:              f.BlueName,
			Green:             f.UnhealthyName,
			Steps:             []traffic.Weights{w(50, 50)},
			MinHealthyTargets: 1,
		})
		if !errors.Is(err, traffic.ErrUnhealthy) || errors.Is(err, traffic.ErrReverted) {
			t.Fatalf("Run() error = %v, want ErrUnhealthy (and not ErrReverted)", err)
		}
		wantErrContains(t, err, `green target group "`+f.UnhealthyName+`" has 0 healthy of 1 targets (unused: 1), needs at least 1`)
		if have.Changed || have.Reverted || have.Final != w(100, 0) {
			t.Errorf("Run() = %+v, want unchanged at blue=100 green=0", have)
		}
		if n := len(rec.Writes()); n != 0 {
			t.Errorf("have %d writes, want none", n)
		}
		if have := rec.Calls()["DescribeTargetHealth"]; have != 2 {
			t.Errorf("have %d DescribeTargetHealth calls, want 2 (both groups get traffic)", have)
		}
		out, err := f.ELB.DescribeListeners(context.Background(), &elb.DescribeListenersInput{ListenerArns: []string{listener}})
		if err != nil {
			t.Fatal(err)
		}
		if have := out.Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups; aws.ToInt32(have[0].Weight) != 100 || aws.ToInt32(have[1].Weight) != 0 {
			t.Errorf("listener changed: %v/%v", aws.ToInt32(have[0].Weight), aws.ToInt32(have[1].Weight))
		}
	})

	t.Run("a group leaving traffic is not checked", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		listener := f.AddListener(t, elbtest.WeightedForward(f.Unhealthy, f.Green, w(100, 0)))
		rec := newRecorder(t, f)
		if _, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners:         []string{listener},
			Blue:              f.Unhealthy,
			Green:             f.Green,
			Steps:             []traffic.Weights{w(0, 100)},
			MinHealthyTargets: 2,
		}); err != nil {
			t.Fatalf("Run(): %v", err)
		}
		if have := rec.Calls()["DescribeTargetHealth"]; have != 1 {
			t.Errorf("have %d DescribeTargetHealth calls, want 1 (green only)", have)
		}
	})

	t.Run("failing at a later step reverts", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		s := traffic.New(rec, nil, traffic.Config{})
		results, done := runAsync(context.Background(), s, traffic.Options{
			Listeners:         f.Listeners,
			Blue:              f.Blue,
			Green:             f.Green,
			Steps:             []traffic.Weights{w(90, 10), w(50, 50), w(0, 100)},
			BakeTime:          time.Second,
			MinHealthyTargets: 2,
		})
		waitWeights(t, f, f.Listeners[1], w(90, 10), done, rec.ReadBack(f.Listeners[1]))
		// Green loses a target during the bake.
		if _, err := f.ELB.DeregisterTargets(context.Background(), &elb.DeregisterTargetsInput{
			TargetGroupArn: aws.String(f.Green),
			Targets:        []types.TargetDescription{{Id: aws.String("10.0.1.20"), Port: aws.Int32(8080)}},
		}); err != nil {
			t.Fatal(err)
		}
		out := <-results
		if !errors.Is(out.err, traffic.ErrUnhealthy) || !errors.Is(out.err, traffic.ErrReverted) {
			t.Fatalf("Run() error = %v, want ErrUnhealthy and ErrReverted", out.err)
		}
		wantErrContains(t, out.err, "checking before step 2 of 3", "has 1 healthy of 1 targets, needs at least 2", "blue=100 green=0 in place (verified)")
		if !out.res.Reverted || out.res.Changed || out.res.Final != w(100, 0) || out.res.Steps != 1 {
			t.Errorf("Run() = %+v, want reverted to blue=100 green=0 after 1 step", out.res)
		}
		for _, l := range f.Listeners {
			if have := f.Weights(t, l); have != w(100, 0) {
				t.Errorf("%s: have %s, want blue=100 green=0", l, have)
			}
			sc := f.DescribeListener(t, l).DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig
			if !aws.ToBool(sc.Enabled) || aws.ToInt32(sc.DurationSeconds) != elbtest.StickinessSeconds {
				t.Errorf("%s: stickiness not restored: %+v", l, sc)
			}
		}
	})
}

func TestRunAlarms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("alarm during the walk reverts", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		s := traffic.New(rec, f.CloudWatch, traffic.Config{})
		results, done := runAsync(context.Background(), s, traffic.Options{
			Listeners: f.Listeners[:1],
			Rules:     []string{f.Rule},
			Blue:      f.Blue,
			Green:     f.Green,
			Steps:     []traffic.Weights{w(90, 10), w(50, 50), w(0, 100)},
			BakeTime:  time.Second,
			Alarms:    []string{f.Alarm},
		})
		waitWeights(t, f, f.Rule, w(90, 10), done, rec.ReadBack(f.Rule))
		f.SetAlarm(t, "ALARM")
		out := <-results
		if !errors.Is(out.err, traffic.ErrAlarm) || !errors.Is(out.err, traffic.ErrReverted) {
			t.Fatalf("Run() error = %v, want ErrAlarm and ErrReverted", out.err)
		}
		wantErrContains(t, out.err, "baking after step 1 of 3", `"`+f.Alarm+`"`, "blue=100 green=0 in place (verified)")
		want := traffic.Result{
			Start: w(100, 0), Final: w(100, 0), Steps: 1, Reverted: true,
			Changes: []traffic.Change{
				{ARN: f.Listeners[0], Kind: traffic.KindListener, Before: w(100, 0), After: w(100, 0)},
				{ARN: f.Rule, Kind: traffic.KindRule, Before: w(100, 0), After: w(100, 0)},
			},
		}
		if !reflect.DeepEqual(out.res, want) {
			t.Errorf("Run():\nhave %+v\nwant %+v", out.res, want)
		}
		for _, arn := range []string{f.Listeners[0], f.Rule} {
			if have := f.Weights(t, arn); have != w(100, 0) {
				t.Errorf("%s: have %s, want blue=100 green=0", arn, have)
			}
			if have, want := fmtWeights(rec.WrittenWeights(f, arn)), fmtWeights([]traffic.Weights{w(90, 10), w(100, 0)}); have != want {
				t.Errorf("%s: have writes %s, want %s", arn, have, want)
			}
		}
	})

	t.Run("alarm before the first write", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		f.SetAlarm(t, "ALARM")
		rec := newRecorder(t, f)
		have, err := traffic.New(rec, f.CloudWatch, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners: f.Listeners,
			Blue:      f.Blue,
			Green:     f.Green,
			Steps:     []traffic.Weights{w(0, 100)},
			Alarms:    []string{f.Alarm},
		})
		if !errors.Is(err, traffic.ErrAlarm) || errors.Is(err, traffic.ErrReverted) {
			t.Fatalf("Run() error = %v, want ErrAlarm and not ErrReverted", err)
		}
		if have.Changed || have.Reverted || len(rec.Writes()) != 0 {
			t.Errorf("Run() = %+v with %d writes, want nothing written", have, len(rec.Writes()))
		}
	})

	t.Run("alarm that does not exist", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		_, err := traffic.New(rec, f.CloudWatch, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners: f.Listeners[:1],
			Blue:      f.Blue,
			Green:     f.Green,
			Steps:     []traffic.Weights{w(0, 100)},
			Alarms:    []string{f.Alarm, f.Prefix + "-missing"},
		})
		wantErrContains(t, err, "alarms not found", f.Prefix+"-missing")
		if errors.Is(err, traffic.ErrAlarm) || len(rec.Writes()) != 0 {
			t.Errorf("Run() error %v with %d writes, want a plain error and nothing written", err, len(rec.Writes()))
		}
	})
}

func TestRunForwardMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		other func(t *testing.T, f *elbtest.Fixture) (listeners, rules []string)
		want  []string
	}{
		{
			name: "listener forwarding to another group",
			other: func(t *testing.T, f *elbtest.Fixture) ([]string, []string) {
				third := f.AddTargetGroup(t, "third")
				return []string{f.AddListener(t, elbtest.WeightedForward(f.Blue, third, w(100, 0)))}, nil
			},
			want: []string{"forwards to", "-third/"},
		},
		{
			name: "listener forwarding to one group",
			other: func(t *testing.T, f *elbtest.Fixture) ([]string, []string) {
				return []string{f.AddListener(t, types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(f.Blue)})}, nil
			},
			want: []string{"forwards to", "-blue/"},
		},
		{
			name: "rule without a forward action",
			other: func(t *testing.T, f *elbtest.Fixture) ([]string, []string) {
				return nil, []string{f.AddRule(t, f.Listeners[0], 30, []types.RuleCondition{elbtest.PathPattern("/down")}, types.Action{
					Type:                types.ActionTypeEnumFixedResponse,
					FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("503"), ContentType: aws.String("text/plain")},
				})}
			},
			want: []string{"has no forward action (actions: fixed-response)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			otherListeners, otherRules := tt.other(t, f)
			rec := newRecorder(t, f)
			listeners := append(f.Listeners[:1:1], otherListeners...)
			rules := append([]string{f.Rule}, otherRules...)
			have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
				Listeners: listeners,
				Rules:     rules,
				Blue:      f.Blue,
				Green:     f.Green,
				Steps:     []traffic.Weights{w(0, 100)},
			})
			if !errors.Is(err, traffic.ErrForwardMismatch) {
				t.Fatalf("Run() error = %v, want ErrForwardMismatch", err)
			}
			bad := append(otherListeners, otherRules...)
			wantErrContains(t, err, append(tt.want, bad[0])...)
			if have.Changed || len(rec.Writes()) != 0 {
				t.Errorf("Run() = %+v with %d writes, want nothing written anywhere", have, len(rec.Writes()))
			}
			for _, arn := range []string{f.Listeners[0], f.Rule} {
				if have := f.Weights(t, arn); have != w(100, 0) {
					t.Errorf("%s: have %s, want it untouched", arn, have)
				}
			}
		})
	}
}

func TestRunWriteFailureRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	injected := errors.New("injected: throttled")
	tests := []struct {
		name      string
		steps     []traffic.Weights
		failAt    int // the nth write fails
		wantFinal traffic.Weights
		wantSteps int
		wantMsg   string
	}{
		{"second listener of one step", []traffic.Weights{w(0, 100)}, 2, w(100, 0), 0, "nothing changed, blue=100 green=0 in place"},
		{"second listener of step 2", []traffic.Weights{w(90, 10), w(0, 100)}, 4, w(90, 10), 1, "stopped after step 1 of 2: blue=90 green=10 in place (verified)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			rec.failModify = func(arn string, n int) error {
				if n == tt.failAt {
					return injected
				}
				return nil
			}
			have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
				Listeners: f.Listeners,
				Blue:      f.Blue,
				Green:     f.Green,
				Steps:     tt.steps,
			})
			if !errors.Is(err, injected) {
				t.Fatalf("Run() error = %v, want the injected error", err)
			}
			wantErrContains(t, err, "modifying listener "+`"`+f.Listeners[1]+`"`, tt.wantMsg)
			if have.Final != tt.wantFinal || have.Steps != tt.wantSteps || have.Reverted {
				t.Errorf("Run() = %+v, want final %s after %d steps", have, tt.wantFinal, tt.wantSteps)
			}
			for _, l := range f.Listeners {
				if have := f.Weights(t, l); have != tt.wantFinal {
					t.Errorf("%s: have %s, want %s", l, have, tt.wantFinal)
				}
				sc := f.DescribeListener(t, l).DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig
				if !aws.ToBool(sc.Enabled) || aws.ToInt32(sc.DurationSeconds) != elbtest.StickinessSeconds {
					t.Errorf("%s: stickiness not kept: %+v", l, sc)
				}
			}
			// The first listener got the failed step and was put back.
			ws := rec.WrittenWeights(f, f.Listeners[0])
			if len(ws) < 2 || ws[len(ws)-1] != tt.wantFinal {
				t.Errorf("first listener: have writes %s, want the last to put back %s", fmtWeights(ws), tt.wantFinal)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		cancel  bool // cancel once step 1 is in place
		wantErr error
	}{
		{"cancelled mid-bake", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, true, context.Canceled},
		{"deadline mid-bake", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 4*time.Second)
		}, false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := e.fixture(t)
			rec := newRecorder(t, f)
			ctx, cancel := tt.ctx()
			defer cancel()
			results, done := runAsync(ctx, traffic.New(rec, f.CloudWatch, traffic.Config{}), traffic.Options{
				Listeners: f.Listeners,
				Blue:      f.Blue,
				Green:     f.Green,
				Steps:     []traffic.Weights{w(90, 10), w(50, 50), w(0, 100)},
				BakeTime:  time.Minute,
				Alarms:    []string{f.Alarm},
			})
			waitWeights(t, f, f.Listeners[1], w(90, 10), done, rec.ReadBack(f.Listeners[1]))
			if tt.cancel {
				cancel()
			}
			out := <-results
			if !errors.Is(out.err, tt.wantErr) {
				t.Fatalf("Run() error = %v, want %v", out.err, tt.wantErr)
			}
			wantErrContains(t, out.err, "stopped after step 1 of 3: blue=90 green=10 in place (verified)")
			if out.res.Final != w(90, 10) || out.res.Steps != 1 || !out.res.Changed || out.res.Reverted {
				t.Errorf("Run() = %+v, want blue=90 green=10 after 1 step, changed", out.res)
			}
			for _, l := range f.Listeners {
				if have := f.Weights(t, l); have != w(90, 10) {
					t.Errorf("%s: have %s, want blue=90 green=10", l, have)
				}
			}
		})
	}
}

func TestRunCancelledWhileVerifying(t *testing.T) {
	t.Parallel()
	f := newEnv(t).fixture(t)
	rec := newRecorder(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The second listener is written, then the context ends before it is
	// read back: both listeners go back as found.
	rec.beforeReadBack = func(arn string) {
		if arn == f.Listeners[1] {
			cancel()
		}
	}
	have, err := traffic.New(rec, nil, traffic.Config{}).Run(ctx, traffic.Options{
		Listeners: f.Listeners,
		Blue:      f.Blue,
		Green:     f.Green,
		Steps:     []traffic.Weights{w(0, 100)},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run() error = %v, want context.Canceled", err)
	}
	wantErrContains(t, err, "stopped before step 1 of 1: nothing changed, blue=100 green=0 in place; step 1 was put back")
	if have.Changed || have.Final != w(100, 0) || have.Steps != 0 {
		t.Errorf("Run() = %+v, want unchanged at blue=100 green=0", have)
	}
	for _, l := range f.Listeners {
		if have := f.Weights(t, l); have != w(100, 0) {
			t.Errorf("%s: have %s, want blue=100 green=0", l, have)
		}
	}
}

func TestRunDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		rec := newRecorder(t, f)
		cw := &alarmRecorder{Client: f.CloudWatch}
		have, err := traffic.New(rec, cw, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners:         f.Listeners,
			Rules:             []string{f.Rule},
			Blue:              f.BlueName,
			Green:             f.GreenName,
			Steps:             []traffic.Weights{w(90, 10), w(0, 100)},
			BakeTime:          time.Hour,
			Alarms:            []string{f.Alarm},
			MinHealthyTargets: 2,
			DryRun:            true,
		})
		if err != nil {
			t.Fatalf("Run(): %v", err)
		}
		want := traffic.Result{
			Start: w(100, 0), Final: w(100, 0),
			Changes: []traffic.Change{
				{ARN: f.Listeners[0], Kind: traffic.KindListener, Before: w(100, 0), After: w(0, 100), Changed: true},
				{ARN: f.Listeners[1], Kind: traffic.KindListener, Before: w(100, 0), After: w(0, 100), Changed: true},
				{ARN: f.Rule, Kind: traffic.KindRule, Before: w(100, 0), After: w(0, 100), Changed: true},
			},
		}
		if !reflect.DeepEqual(have, want) {
			t.Errorf("Run():\nhave %+v\nwant %+v", have, want)
		}
		calls := rec.Calls()
		if calls["ModifyListener"]+calls["ModifyRule"] != 0 {
			t.Errorf("dry run wrote: %v", calls)
		}
		if calls["DescribeTargetHealth"] != 2 || cw.Calls() != 1 {
			t.Errorf("dry run checked health %d times and alarms %d times, want 2 and 1", calls["DescribeTargetHealth"], cw.Calls())
		}
		for _, arn := range []string{f.Listeners[0], f.Listeners[1], f.Rule} {
			if have := f.Weights(t, arn); have != w(100, 0) {
				t.Errorf("%s: have %s, want untouched", arn, have)
			}
		}
	})

	t.Run("refusal", func(t *testing.T) {
		t.Parallel()
		f := e.fixture(t)
		listener := f.AddListener(t, elbtest.WeightedForward(f.Blue, f.Unhealthy, w(100, 0)))
		rec := newRecorder(t, f)
		have, err := traffic.New(rec, nil, traffic.Config{}).Run(context.Background(), traffic.Options{
			Listeners:         []string{listener},
			Blue:              f.Blue,
			Green:             f.Unhealthy,
			Steps:             []traffic.Weights{w(0, 100)},
			MinHealthyTargets: 1,
			DryRun:            true,
		})
		if !errors.Is(err, traffic.ErrUnhealthy) {
			t.Fatalf("Run() error = %v, want ErrUnhealthy", err)
		}
		if len(have.Changes) != 1 || have.Changes[0].After != w(0, 100) || len(rec.Writes()) != 0 {
			t.Errorf("Run() = %+v with %d writes, want the plan and no write", have, len(rec.Writes()))
		}
	})
}

func TestRunValidatesFirst(t *testing.T) {
	t.Parallel()
	// A fake that fails on any call: invalid options make none.
	s := traffic.New(failingELB{t}, nil, traffic.Config{})
	_, err := s.Run(context.Background(), traffic.Options{Listeners: []string{"x"}})
	wantErrContains(t, err, `Listeners`, `Blue`)

	_, err = s.Run(context.Background(), traffic.Options{
		Listeners: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef"},
		Blue:      "web-blue",
		Green:     "web-green",
		Steps:     []traffic.Weights{w(0, 100)},
		Alarms:    []string{"high-5xx"},
	})
	wantErrContains(t, err, "no CloudWatch client")
}

// failingELB fails the test on any call.
type failingELB struct{ t *testing.T }

func (f failingELB) fail(op string) error {
	f.t.Helper()
	f.t.Errorf("unexpected ELBv2 call %s", op)
	return errors.New("fake ELBv2: unexpected call " + op)
}

func (f failingELB) DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error) {
	return nil, f.fail("DescribeListeners")
}

func (f failingELB) DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error) {
	return nil, f.fail("DescribeRules")
}

func (f failingELB) DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error) {
	return nil, f.fail("DescribeTargetGroups")
}

func (f failingELB) DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	return nil, f.fail("DescribeTargetHealth")
}

func (f failingELB) ModifyListener(context.Context, *elb.ModifyListenerInput, ...func(*elb.Options)) (*elb.ModifyListenerOutput, error) {
	return nil, f.fail("ModifyListener")
}

func (f failingELB) ModifyRule(context.Context, *elb.ModifyRuleInput, ...func(*elb.Options)) (*elb.ModifyRuleOutput, error) {
	return nil, f.fail("ModifyRule")
}

func mustPreset(t *testing.T, name string) traffic.Weights {
	t.Helper()
	p, err := traffic.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCurrent(t *testing.T) {
	t.Parallel()
	f := newEnv(t).fixture(t)
	sw := traffic.New(f.ELB, f.CloudWatch, traffic.Config{})
	w, err := sw.Current(t.Context(), traffic.Options{Listeners: f.Listeners, Blue: f.BlueName, Green: f.GreenName})
	if err != nil || w != (traffic.Weights{Blue: 100, Green: 0}) {
		t.Fatalf("Current: want blue=100 green=0, have %s (%v)", w, err)
	}
	if _, err := sw.Run(t.Context(), traffic.Options{Listeners: f.Listeners[:1], Blue: f.Blue, Green: f.Green, Steps: []traffic.Weights{{Blue: 50, Green: 50}}, MinHealthyTargets: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Current(t.Context(), traffic.Options{Listeners: f.Listeners, Blue: f.Blue, Green: f.Green}); err == nil || !strings.Contains(err.Error(), "bring them in line") {
		t.Errorf("listeners that disagree: want an error, have %v", err)
	}
	if _, err := sw.Current(t.Context(), traffic.Options{Listeners: f.Listeners[:1], Blue: f.Blue, Green: f.Unhealthy}); !errors.Is(err, traffic.ErrForwardMismatch) {
		t.Errorf("a group the forward action does not name: want ErrForwardMismatch, have %v", err)
	}
}
