//go:build unix

package elbtest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func TestFixture(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	g := elbtest.New(t, endpoint)
	if f.Blue == g.Blue || f.BlueName == g.BlueName || f.Alarm == g.Alarm || f.Listeners[0] == g.Listeners[0] {
		t.Errorf("two fixtures share names: %q and %q", f.Prefix, g.Prefix)
	}
	ctx := context.Background()

	t.Run("listeners", func(t *testing.T) {
		if len(f.Listeners) != 2 {
			t.Fatalf("have %d listeners, want 2", len(f.Listeners))
		}
		for i, port := range []int32{80, 443} {
			l := f.DescribeListener(t, f.Listeners[i])
			if have := aws.ToInt32(l.Port); have != port {
				t.Errorf("listener %d: have port %d, want %d", i, have, port)
			}
			if have, want := f.Weights(t, f.Listeners[i]), (traffic.Weights{Blue: 100}); have != want {
				t.Errorf("listener %d: have weights %s, want %s", i, have, want)
			}
			sc := l.DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig
			if sc == nil || !aws.ToBool(sc.Enabled) || aws.ToInt32(sc.DurationSeconds) != elbtest.StickinessSeconds {
				t.Errorf("listener %d: have stickiness %+v, want enabled for %ds", i, sc, elbtest.StickinessSeconds)
			}
		}
	})

	t.Run("rule", func(t *testing.T) {
		r := f.DescribeRule(t, f.Rule)
		if have, want := aws.ToString(r.Priority), "10"; have != want {
			t.Errorf("have priority %q, want %q", have, want)
		}
		if len(r.Conditions) != 1 || aws.ToString(r.Conditions[0].Field) != "path-pattern" {
			t.Errorf("have conditions %+v, want one path-pattern", r.Conditions)
		}
		if have, want := f.Weights(t, f.Rule), (traffic.Weights{Blue: 100}); have != want {
			t.Errorf("have weights %s, want %s", have, want)
		}
	})

	t.Run("target health", func(t *testing.T) {
		tests := []struct {
			name  string
			arn   string
			want  types.TargetHealthStateEnum
			count int
		}{
			{"blue", f.Blue, types.TargetHealthStateEnumHealthy, 2},
			{"green", f.Green, types.TargetHealthStateEnumHealthy, 2},
			{"unhealthy", f.Unhealthy, types.TargetHealthStateEnumUnused, 1},
		}
		for _, tt := range tests {
			out, err := f.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tt.arn)})
			if err != nil {
				t.Fatalf("DescribeTargetHealth(%s): %v", tt.name, err)
			}
			if len(out.TargetHealthDescriptions) != tt.count {
				t.Errorf("%s: have %d targets, want %d", tt.name, len(out.TargetHealthDescriptions), tt.count)
			}
			for _, d := range out.TargetHealthDescriptions {
				if d.TargetHealth.State != tt.want {
					t.Errorf("%s: target %s is %s, want %s", tt.name, aws.ToString(d.Target.Id), d.TargetHealth.State, tt.want)
				}
			}
		}
	})

	t.Run("alarm", func(t *testing.T) {
		state := func() cwtypes.StateValue {
			out, err := f.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{f.Alarm}})
			if err != nil || len(out.MetricAlarms) != 1 {
				t.Fatalf("DescribeAlarms(%q): %v, %d alarms", f.Alarm, err, len(out.MetricAlarms))
			}
			return out.MetricAlarms[0].StateValue
		}
		if have := state(); have != cwtypes.StateValueOk {
			t.Errorf("have state %s, want OK", have)
		}
		g.SetAlarm(t, "ALARM") // the other fixture's alarm
		if have := state(); have != cwtypes.StateValueOk {
			t.Errorf("after setting another fixture's alarm: have state %s, want OK", have)
		}
		f.SetAlarm(t, "ALARM")
		if have := state(); have != cwtypes.StateValueAlarm {
			t.Errorf("after SetAlarm: have state %s, want ALARM", have)
		}
	})
}
