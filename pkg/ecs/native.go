package ecs

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Native is what a deploy changes in a service's deploymentConfiguration
// for ECS's own deployment strategies (ROLLING, BLUE_GREEN, LINEAR,
// CANARY). Only what is set changes: the zero Native changes nothing, and
// a service already on BLUE_GREEN keeps its strategy, its bake time and
// its hooks. Whatever the strategy in effect after the change, a deploy to
// a service whose strategy is not ROLLING follows ECS's service deployment
// (see [Deployer.Deploy]).
type Native struct {
	// Strategy, when set, replaces the service's.
	Strategy types.DeploymentStrategy
	// BakeTime is how long both revisions run after the production
	// traffic shifted (BLUE_GREEN, LINEAR, CANARY); whole minutes.
	BakeTime *time.Duration
	// CanaryPercent and CanaryBakeTime are the CANARY step: the share of
	// production traffic the new revision gets first, and how long that
	// holds before the rest moves.
	CanaryPercent  *float64
	CanaryBakeTime *time.Duration
	// LinearStepPercent and LinearStepBakeTime are the LINEAR steps.
	LinearStepPercent  *float64
	LinearStepBakeTime *time.Duration
	// Alarms, when not nil, are the CloudWatch alarms ECS watches during
	// the deployment (and the bake time), rolling back when one fires;
	// an empty list turns the alarms off.
	Alarms []string
	// CircuitBreaker, when set, turns the deployment circuit breaker (with
	// rollback) on or off.
	CircuitBreaker *bool
	// PauseAt, when set, adds a PAUSE lifecycle hook at that stage (kept
	// when the service has one there already); a deploy returns as soon
	// as the deployment waits there ([StatusPaused]). PauseTimeout and
	// PauseTimeoutAction are the hook's own timeout: what ECS does when
	// nobody continues (ECS's defaults are 24 hours and ROLLBACK).
	PauseAt            types.DeploymentLifecycleHookStage
	PauseTimeout       time.Duration
	PauseTimeoutAction types.DeploymentLifecycleHookAction
	// LoadBalancer, when set, is the advanced configuration ECS's
	// blue/green needs on the service's (first) load balancer.
	LoadBalancer *LoadBalancerConfig
}

// LoadBalancerConfig is the advanced configuration of an ALB load
// balancer of a service for ECS's blue/green: the listener rules ECS moves
// between the service's target group and the alternate one.
type LoadBalancerConfig struct {
	ProductionListenerRule, TestListenerRule, AlternateTargetGroup, Role string
}

// PausableStages are the lifecycle stages a PAUSE hook can wait at (ECS
// refuses PAUSE hooks at TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT).
func PausableStages() []types.DeploymentLifecycleHookStage {
	return []types.DeploymentLifecycleHookStage{
		types.DeploymentLifecycleHookStageReconcileService, types.DeploymentLifecycleHookStagePreScaleUp,
		types.DeploymentLifecycleHookStagePostScaleUp, types.DeploymentLifecycleHookStagePostTestTrafficShift,
		types.DeploymentLifecycleHookStagePreProductionTrafficShift, types.DeploymentLifecycleHookStagePostProductionTrafficShift,
	}
}

// Limits of ECS's API.
const (
	maxBakeTime     = 1440 * time.Minute
	maxPauseTimeout = 20160 * time.Minute
)

// IsZero reports whether n changes nothing.
func (n Native) IsZero() bool { return reflect.ValueOf(n).IsZero() }

// Validate reports every problem with n at once, each a [FieldError].
func (n Native) Validate() error {
	var errs []error
	switch n.Strategy {
	case "", types.DeploymentStrategyRolling, types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
	default:
		errs = append(errs, problem("ROLLING, BLUE_GREEN, LINEAR or CANARY", fmt.Sprintf("%q", n.Strategy), FieldStrategy))
	}
	minutes := func(f Field, d *time.Duration, limit time.Duration) {
		if d == nil {
			return
		}
		if *d < 0 || *d > limit || *d%time.Minute != 0 {
			errs = append(errs, problem(fmt.Sprintf("whole minutes from 0 to %s", fmtMinutes(limit)), d.String(), f))
		}
	}
	minutes(FieldBakeTime, n.BakeTime, maxBakeTime)
	minutes(FieldCanaryBakeTime, n.CanaryBakeTime, maxBakeTime)
	minutes(FieldLinearStepBakeTime, n.LinearStepBakeTime, maxBakeTime)
	if p := n.CanaryPercent; p != nil && (*p < 0.1 || *p > 100) {
		errs = append(errs, problem("a percentage from 0.1 to 100", fmt.Sprint(*p), FieldCanaryPercent))
	}
	if p := n.LinearStepPercent; p != nil && (*p < 3 || *p > 100) {
		errs = append(errs, problem("a percentage from 3 to 100", fmt.Sprint(*p), FieldLinearStepPercent))
	}
	only := func(s types.DeploymentStrategy, set bool, fields ...Field) {
		if set && n.Strategy != "" && n.Strategy != s {
			errs = append(errs, problem(fmt.Sprintf("only with strategy %s", s), fmt.Sprintf("strategy %s", n.Strategy), fields...))
		}
	}
	only(types.DeploymentStrategyCanary, n.CanaryPercent != nil || n.CanaryBakeTime != nil, canaryFields(n)...)
	only(types.DeploymentStrategyLinear, n.LinearStepPercent != nil || n.LinearStepBakeTime != nil, linearFields(n)...)
	if n.Strategy == types.DeploymentStrategyRolling {
		if n.BakeTime != nil {
			errs = append(errs, problem("BLUE_GREEN, LINEAR or CANARY (a rolling deployment has no bake time)", "strategy ROLLING", FieldBakeTime))
		}
		if n.PauseAt != "" {
			errs = append(errs, problem("BLUE_GREEN, LINEAR or CANARY (a rolling deployment has no lifecycle stages)", "strategy ROLLING", FieldPauseAt))
		}
		if n.LoadBalancer != nil {
			errs = append(errs, problem("BLUE_GREEN, LINEAR or CANARY (listener rules are for ECS's traffic shifts)", "strategy ROLLING", FieldTestListenerRule))
		}
	}
	if n.PauseAt != "" && !slices.Contains(PausableStages(), n.PauseAt) {
		names := make([]string, 0, 6)
		for _, s := range PausableStages() {
			names = append(names, string(s))
		}
		errs = append(errs, problem("a stage a PAUSE hook can wait at: "+strings.Join(names, ", "), string(n.PauseAt), FieldPauseAt))
	}
	if n.PauseAt == "" && (n.PauseTimeout != 0 || n.PauseTimeoutAction != "") {
		var fs []Field
		if n.PauseTimeout != 0 {
			fs = append(fs, FieldPauseTimeout)
		}
		if n.PauseTimeoutAction != "" {
			fs = append(fs, FieldPauseTimeoutAction)
		}
		errs = append(errs, problem("a pause stage as well", "none", fs...))
	}
	if t := n.PauseTimeout; t != 0 && (t < time.Minute || t > maxPauseTimeout || t%time.Minute != 0) {
		errs = append(errs, problem("whole minutes from 1m to 336h (14 days)", t.String(), FieldPauseTimeout))
	}
	switch n.PauseTimeoutAction {
	case "", types.DeploymentLifecycleHookActionRollback, types.DeploymentLifecycleHookActionContinue:
	default:
		errs = append(errs, problem("ROLLBACK or CONTINUE", fmt.Sprintf("%q", n.PauseTimeoutAction), FieldPauseTimeoutAction))
	}
	if lb := n.LoadBalancer; lb != nil {
		arn := func(f Field, v, kind, what string) {
			if v != "" && !(strings.HasPrefix(v, "arn:") && strings.Contains(v, ":elasticloadbalancing:") && strings.Contains(v, ":"+kind+"/")) {
				errs = append(errs, problem(fmt.Sprintf("the ARN of an ELBv2 %s (arn:aws:elasticloadbalancing:…:%s/…)", what, kind), fmt.Sprintf("%q", v), f))
			}
		}
		arn(FieldProductionRule, lb.ProductionListenerRule, "listener-rule", "listener rule")
		arn(FieldTestListenerRule, lb.TestListenerRule, "listener-rule", "listener rule")
		arn(FieldAlternateGroup, lb.AlternateTargetGroup, "targetgroup", "target group")
		if lb.Role != "" && !(strings.HasPrefix(lb.Role, "arn:") && strings.Contains(lb.Role, ":iam::") && strings.Contains(lb.Role, ":role/")) {
			errs = append(errs, problem("the ARN of an IAM role ECS assumes to change the listener rules", fmt.Sprintf("%q", lb.Role), FieldLoadBalancerRole))
		}
	}
	return errors.Join(errs...)
}

func canaryFields(n Native) []Field {
	var fs []Field
	if n.CanaryPercent != nil {
		fs = append(fs, FieldCanaryPercent)
	}
	if n.CanaryBakeTime != nil {
		fs = append(fs, FieldCanaryBakeTime)
	}
	return fs
}

func linearFields(n Native) []Field {
	var fs []Field
	if n.LinearStepPercent != nil {
		fs = append(fs, FieldLinearStepPercent)
	}
	if n.LinearStepBakeTime != nil {
		fs = append(fs, FieldLinearStepBakeTime)
	}
	return fs
}

func fmtMinutes(d time.Duration) string { return fmt.Sprintf("%dm", int(d/time.Minute)) }

// ErrNoLoadBalancer: listener rules were given for a service without a
// load balancer.
var ErrNoLoadBalancer = errors.New("the service has no load balancer")

// applied is a service's deployment configuration and load balancers with
// a [Native] merged in.
type applied struct {
	config        *types.DeploymentConfiguration
	loadBalancers []types.LoadBalancer
	// changes describe what changed, one line each ("" when nothing did);
	// lbChanged says whether the load balancers did.
	changes   []string
	lbChanged bool
}

// strategy is the strategy in effect after the merge.
func (a applied) strategy() types.DeploymentStrategy {
	if a.config == nil || a.config.Strategy == "" {
		return types.DeploymentStrategyRolling
	}
	return a.config.Strategy
}

// minDuration is the least time a deployment with this configuration
// takes: the bake time and the canary or linear bakes.
func (a applied) minDuration() time.Duration {
	c := a.config
	if c == nil || a.strategy() == types.DeploymentStrategyRolling {
		return 0
	}
	d := time.Duration(aws.ToInt32(c.BakeTimeInMinutes)) * time.Minute
	switch a.strategy() {
	case types.DeploymentStrategyCanary:
		if c.CanaryConfiguration != nil {
			d += time.Duration(aws.ToInt32(c.CanaryConfiguration.CanaryBakeTimeInMinutes)) * time.Minute
		}
	case types.DeploymentStrategyLinear:
		if l := c.LinearConfiguration; l != nil && aws.ToFloat64(l.StepPercent) > 0 {
			steps := int(100 / aws.ToFloat64(l.StepPercent))
			d += time.Duration(steps) * time.Duration(aws.ToInt32(l.StepBakeTimeInMinutes)) * time.Minute
		}
	}
	return d
}

// testListenerRule is the test listener rule of the service's load
// balancers, or "".
func (a applied) testListenerRule() string {
	for _, lb := range a.loadBalancers {
		if lb.AdvancedConfiguration != nil && aws.ToString(lb.AdvancedConfiguration.TestListenerRule) != "" {
			return aws.ToString(lb.AdvancedConfiguration.TestListenerRule)
		}
	}
	return ""
}

// apply merges n into the service's current configuration; it changes
// nothing in svc.
func (n Native) apply(svc *types.Service) (applied, error) {
	a := applied{loadBalancers: slices.Clone(svc.LoadBalancers)}
	cfg := types.DeploymentConfiguration{}
	if svc.DeploymentConfiguration != nil {
		cfg = *svc.DeploymentConfiguration
		cfg.LifecycleHooks = slices.Clone(cfg.LifecycleHooks)
	}
	before := cfg
	change := func(format string, args ...any) { a.changes = append(a.changes, fmt.Sprintf(format, args...)) }
	if n.Strategy != "" && n.Strategy != before.Strategy {
		cfg.Strategy = n.Strategy
		change("strategy: %s → %s", orUnset(string(before.Strategy)), n.Strategy)
	}
	setMinutes := func(name string, dst **int32, d *time.Duration) {
		if d == nil {
			return
		}
		m := int32(*d / time.Minute)
		if *dst != nil && **dst == m {
			return
		}
		old := "(unset)"
		if *dst != nil {
			old = fmt.Sprint(**dst)
		}
		*dst = aws.Int32(m)
		change("%s: %s → %d", name, old, m)
	}
	setPercent := func(name string, dst **float64, p *float64) {
		if p == nil || (*dst != nil && **dst == *p) {
			return
		}
		old := "(unset)"
		if *dst != nil {
			old = fmt.Sprint(**dst)
		}
		*dst = aws.Float64(*p)
		change("%s: %s → %v", name, old, *p)
	}
	setMinutes("bakeTimeInMinutes", &cfg.BakeTimeInMinutes, n.BakeTime)
	if n.CanaryPercent != nil || n.CanaryBakeTime != nil {
		c := types.CanaryConfiguration{}
		if cfg.CanaryConfiguration != nil {
			c = *cfg.CanaryConfiguration
		}
		setPercent("canaryConfiguration.canaryPercent", &c.CanaryPercent, n.CanaryPercent)
		setMinutes("canaryConfiguration.canaryBakeTimeInMinutes", &c.CanaryBakeTimeInMinutes, n.CanaryBakeTime)
		cfg.CanaryConfiguration = &c
	}
	if n.LinearStepPercent != nil || n.LinearStepBakeTime != nil {
		l := types.LinearConfiguration{}
		if cfg.LinearConfiguration != nil {
			l = *cfg.LinearConfiguration
		}
		setPercent("linearConfiguration.stepPercent", &l.StepPercent, n.LinearStepPercent)
		setMinutes("linearConfiguration.stepBakeTimeInMinutes", &l.StepBakeTimeInMinutes, n.LinearStepBakeTime)
		cfg.LinearConfiguration = &l
	}
	if n.Alarms != nil {
		want := &types.DeploymentAlarms{AlarmNames: slices.Clone(n.Alarms), Enable: len(n.Alarms) > 0, Rollback: len(n.Alarms) > 0}
		if !reflect.DeepEqual(cfg.Alarms, want) {
			old := "(none)"
			if cfg.Alarms != nil && cfg.Alarms.Enable {
				old = strings.Join(cfg.Alarms.AlarmNames, ", ")
			}
			cfg.Alarms = want
			change("alarms: %s → %s", old, orNone(strings.Join(n.Alarms, ", ")))
		}
	}
	if n.CircuitBreaker != nil {
		want := &types.DeploymentCircuitBreaker{Enable: *n.CircuitBreaker, Rollback: *n.CircuitBreaker}
		if !reflect.DeepEqual(cfg.DeploymentCircuitBreaker, want) {
			cfg.DeploymentCircuitBreaker = want
			change("deploymentCircuitBreaker: enable and rollback %t", *n.CircuitBreaker)
		}
	}
	if n.PauseAt != "" {
		timeout := &types.DeploymentLifecycleHookTimeoutConfiguration{Action: n.PauseTimeoutAction}
		if n.PauseTimeout > 0 {
			timeout.TimeoutInMinutes = aws.Int32(int32(n.PauseTimeout / time.Minute))
		}
		i := slices.IndexFunc(cfg.LifecycleHooks, func(h types.DeploymentLifecycleHook) bool {
			return h.TargetType == types.DeploymentLifecycleHookTargetTypePause && slices.Contains(h.LifecycleStages, n.PauseAt)
		})
		switch {
		case i < 0:
			cfg.LifecycleHooks = append(cfg.LifecycleHooks, types.DeploymentLifecycleHook{
				TargetType: types.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []types.DeploymentLifecycleHookStage{n.PauseAt},
				TimeoutConfiguration: timeout,
			})
			change("lifecycleHooks: + PAUSE at %s (%s)", n.PauseAt, describeTimeout(timeout))
		case n.PauseTimeout > 0 || n.PauseTimeoutAction != "":
			h := &cfg.LifecycleHooks[i]
			merged := types.DeploymentLifecycleHookTimeoutConfiguration{}
			if h.TimeoutConfiguration != nil {
				merged = *h.TimeoutConfiguration
			}
			if timeout.TimeoutInMinutes != nil {
				merged.TimeoutInMinutes = timeout.TimeoutInMinutes
			}
			if timeout.Action != "" {
				merged.Action = timeout.Action
			}
			if !reflect.DeepEqual(h.TimeoutConfiguration, &merged) {
				h.TimeoutConfiguration = &merged
				change("lifecycleHooks: PAUSE at %s now %s", n.PauseAt, describeTimeout(&merged))
			}
		}
	}
	if lb := n.LoadBalancer; lb != nil {
		if len(a.loadBalancers) == 0 {
			return a, fmt.Errorf("%w: expected a service behind a load balancer for %s, found none", ErrNoLoadBalancer, describeLB(lb))
		}
		first := &a.loadBalancers[0]
		adv := types.AdvancedConfiguration{}
		if first.AdvancedConfiguration != nil {
			adv = *first.AdvancedConfiguration
		}
		old := adv
		set := func(dst **string, v string) {
			if v != "" {
				*dst = aws.String(v)
			}
		}
		set(&adv.ProductionListenerRule, lb.ProductionListenerRule)
		set(&adv.TestListenerRule, lb.TestListenerRule)
		set(&adv.AlternateTargetGroupArn, lb.AlternateTargetGroup)
		set(&adv.RoleArn, lb.Role)
		if !reflect.DeepEqual(old, adv) {
			first.AdvancedConfiguration = &adv
			a.lbChanged = true
			change("loadBalancers[0].advancedConfiguration: %s", describeLB(lb))
		}
	}
	if len(a.changes) > 0 || svc.DeploymentConfiguration != nil {
		a.config = &cfg
	}
	return a, nil
}

func describeTimeout(t *types.DeploymentLifecycleHookTimeoutConfiguration) string {
	minutes, action := "1440", "ROLLBACK" // ECS's defaults
	if t != nil && t.TimeoutInMinutes != nil {
		minutes = fmt.Sprint(*t.TimeoutInMinutes)
	}
	if t != nil && t.Action != "" {
		action = string(t.Action)
	}
	return fmt.Sprintf("after %s minutes ECS takes action %s", minutes, action)
}

func describeLB(lb *LoadBalancerConfig) string {
	var parts []string
	for _, kv := range [][2]string{{"productionListenerRule", lb.ProductionListenerRule}, {"testListenerRule", lb.TestListenerRule},
		{"alternateTargetGroupArn", lb.AlternateTargetGroup}, {"roleArn", lb.Role}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

func orUnset(s string) string {
	if s == "" {
		return "(unset: ROLLING)"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
