package traffic_test

import (
	"testing"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	name := func(f traffic.Field) string {
		return map[traffic.Field]string{traffic.Listeners: "l", traffic.Rules: "r", traffic.PresetName: "p", traffic.BlueWeight: "b", traffic.GreenWeight: "g", traffic.Steps: "s"}[f]
	}
	tests := []struct {
		name           string
		err            *traffic.FieldError
		wantError      string // Error: Go names
		wantMessageFor string // Message: the names of name
	}{
		{name: "one field",
			err:       &traffic.FieldError{Fields: []traffic.Field{traffic.BlueWeight}, Expected: "0 to 999", Found: "-1"},
			wantError: "BlueWeight: expected 0 to 999, found -1", wantMessageFor: `input "b": expected 0 to 999, found -1`},
		{name: "two fields, both at fault",
			err:       &traffic.FieldError{Fields: []traffic.Field{traffic.BlueWeight, traffic.GreenWeight}, Expected: "one above 0", Found: "both 0"},
			wantError: "BlueWeight and GreenWeight: expected one above 0, found both 0", wantMessageFor: `inputs "b" and "g": expected one above 0, found both 0`},
		{name: "alternatives",
			err:       &traffic.FieldError{Fields: []traffic.Field{traffic.PresetName, traffic.BlueWeight, traffic.Steps}, Any: true, Expected: "one", Found: "none"},
			wantError: "Preset, BlueWeight or Steps: expected one, found none", wantMessageFor: `inputs "p", "b" or "s": expected one, found none`},
		{name: "step",
			err:       &traffic.FieldError{Fields: []traffic.Field{traffic.Steps}, Step: 2, Expected: "x", Found: "y"},
			wantError: "Steps: step 2: expected x, found y", wantMessageFor: `input "s": step 2: expected x, found y`},
		{name: "reference to another field",
			err:       &traffic.FieldError{Fields: []traffic.Field{traffic.Listeners}, Expected: "a listener, or a rule in %s", Refs: []traffic.Field{traffic.Rules}, Found: "none"},
			wantError: "Listeners: expected a listener, or a rule in Rules, found none", wantMessageFor: `input "l": expected a listener, or a rule in input "r", found none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if have := tt.err.Error(); have != tt.wantError {
				t.Errorf("Error():\nhave %q\nwant %q", have, tt.wantError)
			}
			if have := tt.err.Message(name); have != tt.wantMessageFor {
				t.Errorf("Message():\nhave %q\nwant %q", have, tt.wantMessageFor)
			}
		})
	}
}
