package commands_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func trafficEnv(endpoint string) map[string]string {
	return merge(staticKeys(), map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint})
}

// TestRedirectTrafficGitHub switches two listeners at once through the
// action.yml, by target group names, then runs again as a no-op.
func TestRedirectTrafficGitHub(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	ruleBefore := f.DescribeRule(t, f.Rule)
	step := actiontest.GitHubStep{
		Action: "redirect-traffic",
		With: map[string]string{
			"listener-arn":      strings.Join(f.Listeners, "\n"),
			"blue-target-group": f.BlueName, "green-target-group": f.GreenName,
			"preset": "green-80",
		},
		Env: trafficEnv(endpoint),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	want := map[string]string{"blue-weight": "20", "green-weight": "80", "previous-blue-weight": "100", "previous-green-weight": "0", "changed": "true"}
	if !reflect.DeepEqual(res.Outputs, want) {
		t.Errorf("outputs:\nwant %v\nhave %v", want, res.Outputs)
	}
	for _, l := range f.Listeners {
		if have := f.Weights(t, l); have != (traffic.Weights{Blue: 20, Green: 80}) {
			t.Errorf("listener %s: want blue=20 green=80, have %s", l, have)
		}
	}
	if ruleAfter := f.DescribeRule(t, f.Rule); !reflect.DeepEqual(ruleBefore, ruleAfter) {
		t.Errorf("the rule changed although only listeners were named:\nbefore %+v\nafter  %+v", ruleBefore, ruleAfter)
	}
	for _, w := range []string{"| listener `" + f.Listeners[0] + "` | blue=100 green=0 | blue=20 green=80 | true |", "```mermaid\npie title Traffic split", `"green" : 80`} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}

	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["changed"] != "false" || res.Outputs["green-weight"] != "80" {
		t.Errorf("second run: want exit 0, changed=false, green 80; have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
}

// TestRedirectTrafficRuleAndWeights: custom weights on a rule keep its
// conditions and priority.
func TestRedirectTrafficRuleAndWeights(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	before := f.DescribeRule(t, f.Rule)
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"redirect-traffic", "--rule-arn", f.Rule, "--blue-target-group", f.Blue, "--green-target-group", f.Green,
			"--blue-weight", "3", "--green-weight", "1", "--output", "json"},
		Env: trafficEnv(endpoint),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || out["blue-weight"] != "3" || out["green-weight"] != "1" {
		t.Errorf("outputs: want blue 3 green 1, have %v (%v)", out, err)
	}
	after := f.DescribeRule(t, f.Rule)
	if have := f.Weights(t, f.Rule); have != (traffic.Weights{Blue: 3, Green: 1}) {
		t.Errorf("rule weights: want blue=3 green=1, have %s", have)
	}
	if !reflect.DeepEqual(before.Conditions, after.Conditions) || *before.Priority != *after.Priority {
		t.Errorf("rule conditions or priority changed:\nbefore %+v %s\nafter  %+v %s", before.Conditions, *before.Priority, after.Conditions, *after.Priority)
	}
}

// TestRedirectTrafficAlarmReverts walks steps; an alarm raised after the
// first step reverts to the starting weights and fails the run.
func TestRedirectTrafficAlarmReverts(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	listener := f.Listeners[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raised := make(chan traffic.Weights, 1)
	go func() {
		for ctx.Err() == nil {
			if w := f.Weights(t, listener); w.Green == 10 {
				f.SetAlarm(t, "ALARM")
				raised <- w
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	res := actiontest.Exec(ctx, t, actiontest.Run{
		Args: []string{"redirect-traffic", "--listener-arn", listener, "--blue-target-group", f.BlueName, "--green-target-group", f.GreenName,
			"--steps", "10,50,100", "--bake-time", "3s", "--alarms", f.Alarm},
		Env: trafficEnv(endpoint),
	})
	select {
	case <-raised:
	default:
		t.Fatalf("the walk never reached green=10; exit %d\n%s", res.Code, res.Stderr)
	}
	if res.Code != 1 {
		t.Errorf("exit code: want 1, have %d\n%s", res.Code, res.Stderr)
	}
	for _, w := range []string{f.Alarm, "ALARM", "reverted"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	if have := f.Weights(t, listener); have != (traffic.Weights{Blue: 100, Green: 0}) {
		t.Errorf("after the alarm: want the starting blue=100 green=0, have %s", have)
	}
	if !strings.Contains(res.Stdout, "changed=false") || !strings.Contains(res.Stdout, "blue-weight=100") {
		t.Errorf("outputs: want the reverted weights and changed=false, have:\n%s", res.Stdout)
	}
}

// TestRedirectTrafficUnhealthy: a group about to receive traffic without
// enough healthy targets exits 1 and the weights stay as they were. (The
// refusals of bad input, exit 2, are in TestBadInput.)
func TestRedirectTrafficUnhealthy(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := elbtest.New(t, endpoint)
	listener := f.Listeners[0]
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"redirect-traffic", "--listener-arn", listener, "--blue-target-group", f.Blue, "--green-target-group", f.Green,
			"--preset", "split", "--min-healthy-targets", "3"},
		Env: trafficEnv(endpoint),
	})
	if res.Code != 1 || !strings.Contains(res.Stderr, "not enough healthy targets") {
		t.Errorf("want exit 1 and not enough healthy targets, have %d:\n%s", res.Code, res.Stderr)
	}
	if have := f.Weights(t, listener); have != (traffic.Weights{Blue: 100, Green: 0}) {
		t.Errorf("weights changed to %s", have)
	}
}
