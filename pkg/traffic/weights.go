package traffic

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxWeight is the largest weight ELBv2 accepts for a target group in a
// forward action.
const MaxWeight = 999

// Weights are the weights of the blue and the green target group in a
// weighted forward action. Each is 0 to [MaxWeight]; the share of traffic a
// group receives is its weight over the sum of both.
type Weights struct{ Blue, Green int32 }

// String returns the weights as "blue=80 green=20".
func (w Weights) String() string {
	return "blue=" + strconv.Itoa(int(w.Blue)) + " green=" + strconv.Itoa(int(w.Green))
}

// valid reports whether ELBv2 accepts w for a blue/green forward action.
func (w Weights) valid() bool {
	return w.Blue >= 0 && w.Blue <= MaxWeight && w.Green >= 0 && w.Green <= MaxWeight && (w.Blue > 0 || w.Green > 0)
}

// preset is a named set of weights.
type preset struct {
	name string
	w    Weights
}

// presets lists the named weights, from all blue to all green.
func presets() []preset {
	return []preset{
		{"blue", Weights{Blue: 100, Green: 0}},
		{"blue-80", Weights{Blue: 80, Green: 20}},
		{"split", Weights{Blue: 50, Green: 50}},
		{"green-80", Weights{Blue: 20, Green: 80}},
		{"green", Weights{Blue: 0, Green: 100}},
	}
}

// PresetNames returns the names [Preset] accepts, from all blue to all
// green: blue, blue-80, split, green-80, green.
func PresetNames() []string {
	ps := presets()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	return names
}

// Preset returns the weights of a named preset (see [PresetNames]); the
// name is matched case-insensitively.
func Preset(name string) (Weights, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, p := range presets() {
		if p.name == want {
			return p.w, nil
		}
	}
	return Weights{}, fmt.Errorf("unknown traffic preset %q: expected one of %s", name, strings.Join(PresetNames(), ", "))
}

// NewWeights returns custom weights: each 0 to [MaxWeight], not both 0.
// Each problem is a [*FieldError] naming [BlueWeight], [GreenWeight] or both.
func NewWeights(blue, green int) (Weights, error) {
	var errs []error
	if blue < 0 || blue > MaxWeight {
		errs = append(errs, problem(BlueWeight, fmt.Sprintf("0 to %d", MaxWeight), strconv.Itoa(blue)))
	}
	if green < 0 || green > MaxWeight {
		errs = append(errs, problem(GreenWeight, fmt.Sprintf("0 to %d", MaxWeight), strconv.Itoa(green)))
	}
	if blue == 0 && green == 0 {
		errs = append(errs, &FieldError{Fields: []Field{BlueWeight, GreenWeight}, Expected: "at least one weight above 0", Found: "both 0"})
	}
	if err := errors.Join(errs...); err != nil {
		return Weights{}, err
	}
	return Weights{Blue: int32(blue), Green: int32(green)}, nil
}

// StepsFromPercentages turns percentages of traffic for green, such as
// ["10", "50", "100"], into the weights of progressive steps: blue=90
// green=10, blue=50 green=50, blue=0 green=100. Each item is an integer 0
// to 100 (surrounding spaces and a trailing "%" are allowed), and the
// percentages must strictly increase. Every problem is reported.
func StepsFromPercentages(items []string) ([]Weights, error) {
	if len(items) == 0 {
		return nil, errors.New("steps: expected green percentages such as 10,50,100, found none")
	}
	var errs []error
	steps := make([]Weights, 0, len(items))
	last, lastItem := -1, ""
	for i, item := range items {
		s := strings.TrimSuffix(strings.TrimSpace(item), "%")
		pct, err := strconv.Atoi(strings.TrimSpace(s))
		switch {
		case err != nil || pct < 0 || pct > 100:
			errs = append(errs, fmt.Errorf("step %d: expected a whole percentage 0 to 100, found %q", i+1, item))
			continue
		case pct <= last:
			errs = append(errs, fmt.Errorf("step %d: expected percentages that strictly increase, found %q after %q", i+1, item, lastItem))
		}
		last, lastItem = pct, item
		steps = append(steps, Weights{Blue: int32(100 - pct), Green: int32(pct)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return steps, nil
}
