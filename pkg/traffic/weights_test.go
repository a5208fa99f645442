package traffic_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

func TestPreset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    traffic.Weights
		wantErr string
	}{
		{name: "blue", want: traffic.Weights{Blue: 100, Green: 0}},
		{name: "blue-80", want: traffic.Weights{Blue: 80, Green: 20}},
		{name: "split", want: traffic.Weights{Blue: 50, Green: 50}},
		{name: "green-80", want: traffic.Weights{Blue: 20, Green: 80}},
		{name: "green", want: traffic.Weights{Blue: 0, Green: 100}},
		{name: " Green ", want: traffic.Weights{Blue: 0, Green: 100}},
		{name: "purple", wantErr: `unknown traffic preset "purple": expected one of blue, blue-80, split, green-80, green`},
		{name: "", wantErr: `unknown traffic preset ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := traffic.Preset(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Preset(%q) error = %v, want %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil || have != tt.want {
				t.Errorf("Preset(%q) = %s, %v; want %s", tt.name, have, err, tt.want)
			}
		})
	}
	if have, want := traffic.PresetNames(), []string{"blue", "blue-80", "split", "green-80", "green"}; !reflect.DeepEqual(have, want) {
		t.Errorf("PresetNames() = %q, want %q", have, want)
	}
}

func TestNewWeights(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		blue, green int
		want        traffic.Weights
		wantErr     []string
	}{
		{name: "percentages", blue: 70, green: 30, want: traffic.Weights{Blue: 70, Green: 30}},
		{name: "one zero", blue: 0, green: 1, want: traffic.Weights{Blue: 0, Green: 1}},
		{name: "largest", blue: 999, green: 999, want: traffic.Weights{Blue: 999, Green: 999}},
		{name: "negative", blue: -1, green: 10, wantErr: []string{`BlueWeight: expected 0 to 999, found -1`}},
		{name: "too large", blue: 10, green: 1000, wantErr: []string{`GreenWeight: expected 0 to 999, found 1000`}},
		{name: "both zero", blue: 0, green: 0, wantErr: []string{`BlueWeight and GreenWeight: expected at least one weight above 0, found both 0`}},
		{name: "both wrong", blue: -1, green: 1000, wantErr: []string{"found -1", "found 1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := traffic.NewWeights(tt.blue, tt.green)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("NewWeights(%d, %d) = %s, want an error", tt.blue, tt.green, have)
				}
				for _, part := range tt.wantErr {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("NewWeights(%d, %d) error = %q, want it to contain %q", tt.blue, tt.green, err, part)
					}
				}
				return
			}
			if err != nil || have != tt.want {
				t.Errorf("NewWeights(%d, %d) = %s, %v; want %s", tt.blue, tt.green, have, err, tt.want)
			}
		})
	}
}

func TestStepsFromPercentages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		items   []string
		want    []traffic.Weights
		wantErr []string
	}{
		{name: "three steps", items: []string{"10", "50", "100"}, want: []traffic.Weights{{90, 10}, {50, 50}, {0, 100}}},
		{name: "spaces and percent signs", items: []string{" 25% ", "100%"}, want: []traffic.Weights{{75, 25}, {0, 100}}},
		{name: "from zero", items: []string{"0", "100"}, want: []traffic.Weights{{100, 0}, {0, 100}}},
		{name: "one step", items: []string{"30"}, want: []traffic.Weights{{70, 30}}},
		{name: "none", items: nil, wantErr: []string{"found none"}},
		{name: "not increasing", items: []string{"10", "50", "50"}, wantErr: []string{`step 3: expected percentages that strictly increase, found "50" after "50"`}},
		{name: "decreasing", items: []string{"50", "10"}, wantErr: []string{`step 2: expected percentages that strictly increase, found "10" after "50"`}},
		{name: "above 100", items: []string{"10", "101"}, wantErr: []string{`step 2: expected a whole percentage 0 to 100, found "101"`}},
		{name: "negative", items: []string{"-5"}, wantErr: []string{`found "-5"`}},
		{name: "not a number", items: []string{"10", "half", "2.5"}, wantErr: []string{`found "half"`, `found "2.5"`}},
		{name: "empty item", items: []string{"10", ""}, wantErr: []string{`step 2: expected a whole percentage 0 to 100, found ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := traffic.StepsFromPercentages(tt.items)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("StepsFromPercentages(%q) = %v, want an error", tt.items, have)
				}
				for _, part := range tt.wantErr {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("StepsFromPercentages(%q) error = %q, want it to contain %q", tt.items, err, part)
					}
				}
				return
			}
			if err != nil || !reflect.DeepEqual(have, tt.want) {
				t.Errorf("StepsFromPercentages(%q) = %v, %v; want %v", tt.items, have, err, tt.want)
			}
		})
	}
}

func TestWeightsString(t *testing.T) {
	t.Parallel()
	if have, want := (traffic.Weights{Blue: 80, Green: 20}).String(), "blue=80 green=20"; have != want {
		t.Errorf("String() = %q, want %q", have, want)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const (
		listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
		rule     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
		blueARN  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/73e2d6bc24d8a067"
	)
	valid := traffic.Options{
		Listeners: []string{listener},
		Blue:      "web-blue",
		Green:     "web-green",
		Steps:     []traffic.Weights{{Blue: 0, Green: 100}},
	}
	tests := []struct {
		name    string
		edit    func(o *traffic.Options)
		wantErr []string
	}{
		{name: "valid", edit: func(*traffic.Options) {}},
		{name: "rule only, ARNs, every guard", edit: func(o *traffic.Options) {
			o.Listeners, o.Rules, o.Blue = nil, []string{rule}, blueARN
			o.BakeTime, o.Alarms, o.MinHealthyTargets, o.Stickiness = time.Minute, []string{"web-5xx", "web-latency"}, 2, 7*24*time.Hour
		}},
		{name: "GovCloud listener", edit: func(o *traffic.Options) {
			o.Listeners = []string{"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:listener/app/web/1/2"}
		}},
		{name: "nothing to change", edit: func(o *traffic.Options) { o.Listeners = nil }, wantErr: []string{
			`Listeners: expected at least one listener ARN, or a rule ARN in Rules, found none`,
		}},
		{name: "listener ARN malformed", edit: func(o *traffic.Options) { o.Listeners = []string{"x"} }, wantErr: []string{
			`Listeners: expected an ELBv2 listener ARN like "arn:aws:elasticloadbalancing:…:listener/app/…", found "x"`,
		}},
		{name: "network load balancer listener", edit: func(o *traffic.Options) {
			o.Listeners = []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/web/1/2"}
		}, wantErr: []string{`Listeners`}},
		{name: "rule ARN given as listener", edit: func(o *traffic.Options) { o.Listeners = []string{rule} }, wantErr: []string{`Listeners`}},
		{name: "listener ARN given as rule", edit: func(o *traffic.Options) { o.Rules = []string{listener} }, wantErr: []string{
			`Rules: expected an ELBv2 listener rule ARN like "arn:aws:elasticloadbalancing:…:listener-rule/app/…", found "` + listener + `"`,
		}},
		{name: "listener twice", edit: func(o *traffic.Options) { o.Listeners = []string{listener, listener} }, wantErr: []string{
			`Listeners: expected each ARN once, found "` + listener + `" twice`,
		}},
		{name: "groups missing", edit: func(o *traffic.Options) { o.Blue, o.Green = "", "" }, wantErr: []string{
			`Blue: expected a target group ARN like`, `Green: expected a target group ARN like`, "found none",
		}},
		{name: "group names malformed", edit: func(o *traffic.Options) {
			o.Blue, o.Green = "-web", strings.Repeat("g", 33)
		}, wantErr: []string{`Blue`, `found "-web"`, `Green`}},
		{name: "group ARN malformed", edit: func(o *traffic.Options) {
			o.Blue = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"
		}, wantErr: []string{`Blue`}},
		{name: "same group twice", edit: func(o *traffic.Options) { o.Green = o.Blue }, wantErr: []string{
			`Green: expected a target group other than the blue one, found "web-blue" in both`,
		}},
		{name: "no weights", edit: func(o *traffic.Options) { o.Steps = nil }, wantErr: []string{`Preset, BlueWeight, GreenWeight or Steps: expected a preset, custom weights or steps, found none`}},
		{name: "bad weights", edit: func(o *traffic.Options) { o.Steps = []traffic.Weights{{Blue: 0, Green: 0}} }, wantErr: []string{
			`BlueWeight and GreenWeight: expected weights 0 to 999, not both 0, found blue=0 green=0`,
		}},
		{name: "bad step", edit: func(o *traffic.Options) { o.Steps = []traffic.Weights{{Blue: 90, Green: 10}, {Blue: 0, Green: 1000}} }, wantErr: []string{
			`Steps: step 2: expected weights 0 to 999, not both 0, found blue=0 green=1000`,
		}},
		{name: "negative bake time", edit: func(o *traffic.Options) { o.BakeTime = -time.Second }, wantErr: []string{
			`BakeTime: expected a duration of 0 or more, found -1s`,
		}},
		{name: "alarms", edit: func(o *traffic.Options) { o.Alarms = []string{"a", "", "a", strings.Repeat("x", 256)} }, wantErr: []string{
			`Alarms: expected CloudWatch alarm names (1 to 255 characters), found ""`,
			`Alarms: expected each alarm once, found "a" twice`,
			`found "xxxx`,
		}},
		{name: "min healthy targets", edit: func(o *traffic.Options) { o.MinHealthyTargets = -1 }, wantErr: []string{
			`MinHealthyTargets: expected 0 to 1000, found -1`,
		}},
		{name: "stickiness too short", edit: func(o *traffic.Options) { o.Stickiness = 500 * time.Millisecond }, wantErr: []string{
			`Stickiness: expected whole seconds from 1s to 7d (168h), or 0 to leave stickiness as it is, found 500ms`,
		}},
		{name: "stickiness too long", edit: func(o *traffic.Options) { o.Stickiness = 7*24*time.Hour + time.Second }, wantErr: []string{`Stickiness`, "found 168h0m1s"}},
		{name: "stickiness not whole seconds", edit: func(o *traffic.Options) { o.Stickiness = 1500 * time.Millisecond }, wantErr: []string{`Stickiness`, "found 1.5s"}},
		{name: "everything at once", edit: func(o *traffic.Options) {
			*o = traffic.Options{Listeners: []string{"x"}, BakeTime: -1, MinHealthyTargets: -1, Stickiness: -1, Alarms: []string{""}}
		}, wantErr: []string{
			`Listeners`, `Blue`, `Green`, `Preset, BlueWeight, GreenWeight or Steps`,
			`BakeTime`, `Alarms`, `MinHealthyTargets`, `Stickiness`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := valid
			o.Listeners = append([]string(nil), valid.Listeners...)
			tt.edit(&o)
			err := o.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.wantErr)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("Validate() = %q\nwant it to contain %q", err, part)
				}
			}
		})
	}
}

func TestSentinelsAreDistinct(t *testing.T) {
	t.Parallel()
	all := []error{traffic.ErrAlarm, traffic.ErrUnhealthy, traffic.ErrForwardMismatch, traffic.ErrVerify, traffic.ErrReverted}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v is %v", a, b)
			}
		}
	}
}
