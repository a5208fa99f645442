package traffic

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
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
	// action) and listener rules to change; at least one of the two is
	// non-empty. They change
	// together: every step is applied to all of them.
	Listeners, Rules []string

	// Blue and Green are the two target groups, each an ARN or a name. Names are
	// resolved with one DescribeTargetGroups call. The forward action of
	// every listener and rule must name exactly these two groups.
	Blue, Green string

	// Steps are the weights to set, in order: one element for a preset or
	// custom weights, several for a progressive shift.
	Steps []Weights

	// BakeTime is the wait between two steps, not after the last. Alarms
	// are polled during it.
	BakeTime time.Duration

	// Alarms are CloudWatch alarm names. One in state
	// ALARM before a step stops the shift; after the first write it also
	// reverts every listener and rule to the actions found at the start.
	Alarms []string

	// MinHealthyTargets is how many healthy targets a target group needs
	// before a step gives it traffic (its new weight is above 0). 0 skips
	// the health check.
	MinHealthyTargets int

	// Stickiness, when above 0, enables target group stickiness on the
	// forward action for this long (1s to 7d, whole seconds); 0 leaves the
	// stickiness as it is.
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

// Validate reports every problem with the options at once, each a
// [*FieldError]: the [Field] at fault, what was expected and what was found.
// The caller names the field as its user knows it.
func (o Options) Validate() error {
	var errs []error
	if len(o.Listeners) == 0 && len(o.Rules) == 0 {
		errs = append(errs, &FieldError{Fields: []Field{Listeners}, Expected: "at least one listener ARN, or a rule ARN in %s", Refs: []Field{Rules}, Found: "none"})
	}
	errs = append(errs, checkARNs(Listeners, "an ELBv2 listener ARN like \"arn:aws:elasticloadbalancing:…:listener/app/…\"", listenerARNRE, o.Listeners)...)
	errs = append(errs, checkARNs(Rules, "an ELBv2 listener rule ARN like \"arn:aws:elasticloadbalancing:…:listener-rule/app/…\"", ruleARNRE, o.Rules)...)

	blueErr, greenErr := checkGroup(BlueGroup, o.Blue), checkGroup(GreenGroup, o.Green)
	if blueErr != nil {
		errs = append(errs, blueErr)
	}
	if greenErr != nil {
		errs = append(errs, greenErr)
	}
	if blueErr == nil && greenErr == nil && o.Blue == o.Green {
		errs = append(errs, problem(GreenGroup, "a target group other than the blue one", fmt.Sprintf("%q in both", o.Green)))
	}

	// Steps come from a preset, custom weights (one step) or steps.
	if len(o.Steps) == 0 {
		errs = append(errs, &FieldError{Fields: []Field{PresetName, BlueWeight, GreenWeight, Steps}, Any: true, Expected: "a preset, custom weights or steps", Found: "none"})
	}
	for i, w := range o.Steps {
		if !w.valid() {
			e := &FieldError{Fields: []Field{BlueWeight, GreenWeight}, Expected: fmt.Sprintf("weights 0 to %d, not both 0", MaxWeight), Found: w.String()}
			if len(o.Steps) > 1 {
				e.Fields, e.Step = []Field{Steps}, i+1
			}
			errs = append(errs, e)
		}
	}

	if o.BakeTime < 0 {
		errs = append(errs, problem(BakeTime, "a duration of 0 or more", o.BakeTime.String()))
	}
	seen := make(map[string]bool, len(o.Alarms))
	for _, a := range o.Alarms {
		switch {
		case strings.TrimSpace(a) == "" || len(a) > maxAlarmName:
			errs = append(errs, problem(Alarms, fmt.Sprintf("CloudWatch alarm names (1 to %d characters)", maxAlarmName), strconv.Quote(a)))
		case seen[a]:
			errs = append(errs, problem(Alarms, "each alarm once", fmt.Sprintf("%q twice", a)))
		}
		seen[a] = true
	}
	if o.MinHealthyTargets < 0 || o.MinHealthyTargets > MaxMinHealthyTargets {
		errs = append(errs, problem(MinHealthyTargets, fmt.Sprintf("0 to %d", MaxMinHealthyTargets), strconv.Itoa(o.MinHealthyTargets)))
	}
	if o.Stickiness != 0 && (o.Stickiness < MinStickiness || o.Stickiness > MaxStickiness || o.Stickiness%time.Second != 0) {
		errs = append(errs, problem(Stickiness, "whole seconds from 1s to 7d (168h), or 0 to leave stickiness as it is", o.Stickiness.String()))
	}
	if o.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("alarm poll interval: expected a duration of 0 or more, found %s", o.PollInterval))
	}
	return errors.Join(errs...)
}

// checkARNs reports the ARNs of list that do not match re, and repeats.
func checkARNs(f Field, expected string, re *regexp.Regexp, list []string) []error {
	var errs []error
	seen := make(map[string]bool, len(list))
	for _, arn := range list {
		switch {
		case !re.MatchString(arn):
			errs = append(errs, problem(f, expected, strconv.Quote(arn)))
		case seen[arn]:
			errs = append(errs, problem(f, "each ARN once", fmt.Sprintf("%q twice", arn)))
		}
		seen[arn] = true
	}
	return errs
}

// checkGroup reports a target group that is neither an ARN nor a name.
func checkGroup(f Field, group string) error {
	const expected = `a target group ARN like "arn:aws:elasticloadbalancing:…:targetgroup/web-blue/…" or a name (1 to 32 letters, digits and hyphens)`
	switch {
	case group == "":
		return problem(f, expected, "none")
	case isARN(group) && !targetGroupARNRE.MatchString(group),
		!isARN(group) && (len(group) > 32 || !targetGroupNameRE.MatchString(group)):
		return problem(f, expected, strconv.Quote(group))
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
