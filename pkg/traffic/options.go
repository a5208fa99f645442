package traffic

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Limits of [Options].
const (
	// MinStickiness and MaxStickiness bound Options.Stickiness, as ELBv2
	// bounds target group stickiness (1 second to 7 days).
	MinStickiness = time.Second
	MaxStickiness = 7 * 24 * time.Hour

	// MaxMinHealthyTargets bounds Options.MinHealthyTargets: a target group
	// holds at most 1000 targets.
	MaxMinHealthyTargets = 1000

	// maxAlarmName is the longest CloudWatch alarm name.
	maxAlarmName = 255
)

// Options say which listeners and rules to shift between which target
// groups, in how many steps and under which guards.
type Options struct {
	// Listeners and Rules are the ARNs of the ALB listeners (their default
	// action) and listener rules to change (inputs "listener-arn" and
	// "rule-arn"); at least one of the two is non-empty. They change
	// together: every step is applied to all of them.
	Listeners, Rules []string

	// Blue and Green are the two target groups, each an ARN or a name
	// (inputs "blue-target-group" and "green-target-group"). Names are
	// resolved with one DescribeTargetGroups call. The forward action of
	// every listener and rule must name exactly these two groups.
	Blue, Green string

	// Steps are the weights to set, in order: one element for a preset or
	// custom weights, several for a progressive shift.
	Steps []Weights

	// BakeTime is the wait between two steps, not after the last (input
	// "bake-time"). Alarms are polled during it.
	BakeTime time.Duration

	// Alarms are CloudWatch alarm names (input "alarms"). One in state
	// ALARM before a step stops the shift; after the first write it also
	// reverts every listener and rule to the actions found at the start.
	Alarms []string

	// MinHealthyTargets is how many healthy targets a target group needs
	// before a step gives it traffic (its new weight is above 0) (input
	// "min-healthy-targets"). 0 skips the health check.
	MinHealthyTargets int

	// Stickiness, when above 0, enables target group stickiness on the
	// forward action for this long (1s to 7d, whole seconds; input
	// "stickiness-duration"); 0 leaves the stickiness as it is.
	Stickiness time.Duration

	// DryRun reads and checks everything, health and alarms included, and
	// returns the plan without writing anything.
	DryRun bool

	// PollInterval is how often alarms are polled during BakeTime; 0 means
	// BakeTime/5, at least 250ms and at most 15s.
	PollInterval time.Duration
}

var (
	// ELBv2 ARNs of application load balancers; the partition and region
	// vary, the resource ids are opaque.
	listenerARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[^/\s]+/[^/\s]+/[^/\s]+$`)
	ruleARNRE        = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule/app/[^/\s]+/[^/\s]+/[^/\s]+/[^/\s]+$`)
	targetGroupARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[^/\s]+/[^/\s]+$`)
	// targetGroupNameRE: up to 32 letters, digits and hyphens, neither
	// first nor last a hyphen (the length is checked apart).
	targetGroupNameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
)

// Validate reports every problem with the options at once, each naming the
// input as the user knows it, what was expected and what was found.
func (o Options) Validate() error {
	var errs []error
	if len(o.Listeners) == 0 && len(o.Rules) == 0 {
		errs = append(errs, errors.New(`input "listener-arn": expected at least one listener ARN, or a rule ARN in input "rule-arn", found none`))
	}
	errs = append(errs, checkARNs("listener-arn", "an ELBv2 listener ARN like \"arn:aws:elasticloadbalancing:…:listener/app/…\"", listenerARNRE, o.Listeners)...)
	errs = append(errs, checkARNs("rule-arn", "an ELBv2 listener rule ARN like \"arn:aws:elasticloadbalancing:…:listener-rule/app/…\"", ruleARNRE, o.Rules)...)

	blueErr, greenErr := checkGroup("blue-target-group", o.Blue), checkGroup("green-target-group", o.Green)
	errs = append(errs, blueErr, greenErr) // errors.Join drops nils
	if blueErr == nil && greenErr == nil && o.Blue == o.Green {
		errs = append(errs, fmt.Errorf(`input "green-target-group": expected a target group other than the blue one, found %q in both`, o.Green))
	}

	// Steps come from input "preset", inputs "blue-weight" and
	// "green-weight" (one step), or input "steps".
	if len(o.Steps) == 0 {
		errs = append(errs, errors.New(`inputs "preset", "blue-weight", "green-weight" or "steps": expected a preset, custom weights or steps, found none`))
	}
	for i, w := range o.Steps {
		if !w.valid() {
			what := `inputs "blue-weight" and "green-weight"`
			if len(o.Steps) > 1 {
				what = fmt.Sprintf(`input "steps": step %d`, i+1)
			}
			errs = append(errs, fmt.Errorf("%s: expected weights 0 to %d, not both 0, found %s", what, MaxWeight, w))
		}
	}

	if o.BakeTime < 0 {
		errs = append(errs, fmt.Errorf(`input "bake-time": expected a duration of 0 or more, found %s`, o.BakeTime))
	}
	seen := make(map[string]bool, len(o.Alarms))
	for _, a := range o.Alarms {
		switch {
		case strings.TrimSpace(a) == "" || len(a) > maxAlarmName:
			errs = append(errs, fmt.Errorf(`input "alarms": expected CloudWatch alarm names (1 to %d characters), found %q`, maxAlarmName, a))
		case seen[a]:
			errs = append(errs, fmt.Errorf(`input "alarms": expected each alarm once, found %q twice`, a))
		}
		seen[a] = true
	}
	if o.MinHealthyTargets < 0 || o.MinHealthyTargets > MaxMinHealthyTargets {
		errs = append(errs, fmt.Errorf(`input "min-healthy-targets": expected 0 to %d, found %d`, MaxMinHealthyTargets, o.MinHealthyTargets))
	}
	if o.Stickiness != 0 && (o.Stickiness < MinStickiness || o.Stickiness > MaxStickiness || o.Stickiness%time.Second != 0) {
		errs = append(errs, fmt.Errorf(`input "stickiness-duration": expected whole seconds from 1s to 7d (168h), or 0 to leave stickiness as it is, found %s`, o.Stickiness))
	}
	if o.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("alarm poll interval: expected a duration of 0 or more, found %s", o.PollInterval))
	}
	return errors.Join(errs...)
}

// checkARNs reports the ARNs of list that do not match re, and repeats.
func checkARNs(input, expected string, re *regexp.Regexp, list []string) []error {
	var errs []error
	seen := make(map[string]bool, len(list))
	for _, arn := range list {
		switch {
		case !re.MatchString(arn):
			errs = append(errs, fmt.Errorf("input %q: expected %s, found %q", input, expected, arn))
		case seen[arn]:
			errs = append(errs, fmt.Errorf("input %q: expected each ARN once, found %q twice", input, arn))
		}
		seen[arn] = true
	}
	return errs
}

// checkGroup reports a target group that is neither an ARN nor a name.
func checkGroup(input, group string) error {
	const expected = `a target group ARN like "arn:aws:elasticloadbalancing:…:targetgroup/web-blue/…" or a name (1 to 32 letters, digits and hyphens)`
	switch {
	case group == "":
		return fmt.Errorf("input %q: expected %s, found none", input, expected)
	case isARN(group) && !targetGroupARNRE.MatchString(group),
		!isARN(group) && (len(group) > 32 || !targetGroupNameRE.MatchString(group)):
		return fmt.Errorf("input %q: expected %s, found %q", input, expected, group)
	}
	return nil
}

func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }

// pollInterval is how often alarms are polled during a bake.
func (o Options) pollInterval() time.Duration {
	if o.PollInterval > 0 {
		return o.PollInterval
	}
	return min(max(o.BakeTime/5, 250*time.Millisecond), 15*time.Second)
}
