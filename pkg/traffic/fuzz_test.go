package traffic

import (
	"strings"
	"testing"
)

// FuzzPreset: any name either is a preset, case and spaces aside, or the
// error lists the presets. Valid weights always come out.
func FuzzPreset(f *testing.F) {
	for _, s := range []string{"blue", " GREEN-80 ", "split", "purple", "", "blue-8\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		w, err := Preset(name)
		if err != nil {
			if !strings.Contains(err.Error(), "blue-80") {
				t.Errorf("error does not list the presets: %v", err)
			}
			return
		}
		if !w.valid() || w.Blue+w.Green != 100 {
			t.Errorf("preset %q gives %s", name, w)
		}
	})
}

// FuzzNewWeights: accepted weights are within bounds and not both 0;
// refused ones are outside them.
func FuzzNewWeights(f *testing.F) {
	f.Add(100, 0)
	f.Add(0, 0)
	f.Add(-1, 1000)
	f.Add(999, 999)
	f.Fuzz(func(t *testing.T, blue, green int) {
		w, err := NewWeights(blue, green)
		inRange := blue >= 0 && blue <= MaxWeight && green >= 0 && green <= MaxWeight && blue+green > 0
		if (err == nil) != inRange {
			t.Fatalf("NewWeights(%d, %d): err %v, in range %v", blue, green, err, inRange)
		}
		if err == nil && (int(w.Blue) != blue || int(w.Green) != green || !w.valid()) {
			t.Errorf("NewWeights(%d, %d) = %s", blue, green, w)
		}
	})
}

// FuzzStepsFromPercentages: accepted steps add up to 100 each and move
// strictly toward green; a refusal names a step or the missing steps.
func FuzzStepsFromPercentages(f *testing.F) {
	for _, s := range []string{"10,50,100", "100", "50%, 100%", "0", "50,50", "101", "-1", "", "1,,2", " 7 ,x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		items := strings.Split(text, ",")
		steps, err := StepsFromPercentages(items)
		if err != nil {
			if !strings.Contains(err.Error(), "step") {
				t.Errorf("error names no step: %v", err)
			}
			return
		}
		if len(steps) != len(items) {
			t.Fatalf("%d items gave %d steps", len(items), len(steps))
		}
		for i, w := range steps {
			if w.Blue+w.Green != 100 || w.Blue < 0 || w.Green < 0 {
				t.Errorf("step %d: %s", i+1, w)
			}
			if i > 0 && w.Green <= steps[i-1].Green {
				t.Errorf("step %d does not increase: %s after %s", i+1, w, steps[i-1])
			}
		}
	})
}
