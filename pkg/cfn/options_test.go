package cfn_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

// TestParseParameterFile: the three shapes in use give the same
// parameters; values that are not strings become text.
func TestParseParameterFile(t *testing.T) {
	t.Parallel()
	want := []cfn.Parameter{{Key: "Env", Value: "prod"}, {Key: "Count", Value: "2"}}
	sorted := []cfn.Parameter{{Key: "Count", Value: "2"}, {Key: "Env", Value: "prod"}}
	for _, tc := range []struct {
		name, file string
		want       []cfn.Parameter
	}{
		{"aws cli", `[{"ParameterKey":"Env","ParameterValue":"prod"},{"ParameterKey":"Count","ParameterValue":"2"}]`, want},
		{"key value", `{"Env":"prod","Count":2}`, sorted},
		{"codepipeline", `{"Parameters":{"Env":"prod","Count":"2"},"Tags":{"team":"web"}}`, sorted},
		{"list", `{"Subnets":["subnet-1","subnet-2"],"Public":true}`, []cfn.Parameter{{Key: "Public", Value: "true"}, {Key: "Subnets", Value: "subnet-1,subnet-2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			have, err := cfn.ParseParameterFile([]byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(have, tc.want) {
				t.Errorf("want %+v, have %+v", tc.want, have)
			}
		})
	}
	for file, want := range map[string]string{
		`Env=prod`:                 "expected JSON",
		`[{"ParameterValue":"x"}]`: "item 1: expected a ParameterKey",
		`[{"ParameterKey":"A","UsePreviousValue":true}]`: `parameter "A": expected a ParameterValue, found UsePreviousValue`,
		`{"A":null}`:         `parameter "A": expected a value, found null`,
		`{"A":{"nested":1}}`: `parameter "A": expected a string, number, boolean or list`,
	} {
		if _, err := cfn.ParseParameterFile([]byte(file)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error with %q, have %v", file, want, err)
		}
	}
	merged := cfn.Merge(want, []cfn.Parameter{{Key: "Env", Value: "dev"}, {Key: "Extra", Value: "1"}})
	if w := []cfn.Parameter{{Key: "Env", Value: "dev"}, {Key: "Count", Value: "2"}, {Key: "Extra", Value: "1"}}; !reflect.DeepEqual(merged, w) {
		t.Errorf("Merge: want %+v, have %+v", w, merged)
	}
}

// TestValidateReportsEveryProblem: each field's problem, all at once,
// before any call.
func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	o := cfn.Options{
		StackName: "1app", TemplateBody: strings.Repeat("#", cfn.MaxInlineTemplate+1), Mode: cfn.ModeApply,
		Parameters:       []cfn.Parameter{{Key: "a-b", Value: "x"}},
		Tags:             []cfn.Tag{{Key: "aws:owner", Value: "x"}},
		Capabilities:     []string{"CAPABILITY_ROOT"},
		RoleARN:          "cfn-role",
		NotificationARNs: []string{"arn:aws:sqs:us-east-1:123456789012:q"},
		StackPolicy:      `{"Statement": [`,
		RollbackAlarms:   []string{"api-5xx"}, RollbackMonitoringTime: 90 * time.Second,
		Protect: []string{"RDS::DBInstance"},
	}
	err := o.Validate()
	if err == nil {
		t.Fatal("want problems, have none")
	}
	for _, f := range []cfn.Field{cfn.StackName, cfn.TemplateBucket, cfn.Parameters, cfn.Tags, cfn.Capabilities, cfn.RoleARN,
		cfn.NotificationARNs, cfn.StackPolicy, cfn.RollbackAlarms, cfn.RollbackMonitoringTime, cfn.Protect} {
		if !strings.Contains(err.Error(), string(f)+": expected") {
			t.Errorf("no problem with %s in:\n%v", f, err)
		}
	}
	ok := cfn.Options{StackName: "app", Mode: cfn.ModeExecute, ChangeSetName: "ferry-1"}
	if err := ok.Validate(); err != nil {
		t.Errorf("execute without a template: want valid, have %v", err)
	}
	ok.ChangeSetName = ""
	if err := ok.Validate(); err == nil || !strings.Contains(err.Error(), "ChangeSetName: expected the name of the change set to execute") {
		t.Errorf("execute without a change set: have %v", err)
	}
}

// TestChangeSetName: unique per run and time, within CloudFormation's
// rules whatever the run id holds.
func TestChangeSetName(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 5, 6, 7, 0, time.UTC)
	for id, want := range map[string]string{
		"12345678-2": "ferry-12345678-2-20261204-050607",
		"":           "ferry-20261204-050607",
		"a_b/c d":    "ferry-a-b-c-d-20261204-050607",
		"--":         "ferry-20261204-050607",
	} {
		if have := cfn.ChangeSetName(id, now); have != want {
			t.Errorf("ChangeSetName(%q): want %q, have %q", id, want, have)
		}
	}
	long := cfn.ChangeSetName(strings.Repeat("x", 300), now)
	if len(long) > 128 || (cfn.Options{StackName: "a", Mode: cfn.ModeExecute, ChangeSetName: long}).Validate() != nil {
		t.Errorf("long id: %d characters, %q", len(long), long)
	}
}
