package traffic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Errors callers branch on; Run wraps them.
var (
	// ErrAlarm: a CloudWatch alarm of Options.Alarms is in state ALARM.
	ErrAlarm = errors.New("alarm in state ALARM")
	// ErrUnhealthy: a target group about to receive traffic has fewer
	// healthy targets than Options.MinHealthyTargets.
	ErrUnhealthy = errors.New("not enough healthy targets")
	// ErrForwardMismatch: a listener or rule has no forward action naming
	// exactly the blue and the green target group. Nothing was written.
	ErrForwardMismatch = errors.New("forward action does not name exactly the blue and green target groups")
	// ErrVerify: the weights read back after a write are not those written.
	ErrVerify = errors.New("weights read back differ from those written")
	// ErrReverted: after an alarm or a failed health check, every listener
	// and rule was put back as found at the start, and that was verified.
	ErrReverted = errors.New("reverted to the actions found at the start")
)

// Resource kinds in [Change].
const (
	KindListener = "listener"
	KindRule     = "rule"
)

// restoreTimeout bounds putting resources back after a failure, which runs
// even when the caller's context is done.
const restoreTimeout = 2 * time.Minute

// maxAlarmNames is how many names one DescribeAlarms call takes.
const maxAlarmNames = 100

// elbAPI lists the ELBv2 calls this package makes; *elb.Client satisfies it.
type elbAPI interface {
	elb.DescribeListenersAPIClient
	elb.DescribeRulesAPIClient
	elb.DescribeTargetGroupsAPIClient
	elb.DescribeTargetHealthAPIClient
	ModifyListener(context.Context, *elb.ModifyListenerInput, ...func(*elb.Options)) (*elb.ModifyListenerOutput, error)
	ModifyRule(context.Context, *elb.ModifyRuleInput, ...func(*elb.Options)) (*elb.ModifyRuleOutput, error)
}

// alarmAPI lists the CloudWatch calls this package makes; *cloudwatch.Client
// satisfies it.
type alarmAPI interface {
	cloudwatch.DescribeAlarmsAPIClient
}

var (
	_ elbAPI   = (*elb.Client)(nil)
	_ alarmAPI = (*cloudwatch.Client)(nil)
)

// Config configures a [Switcher].
type Config struct {
	// Logger receives progress (info) and detail (debug) records; nil
	// discards them.
	Logger *slog.Logger
}

// Switcher shifts ALB traffic between a blue and a green target group. It
// holds no state between runs and is safe for concurrent use (on different
// listeners and rules).
type Switcher struct {
	elb elbAPI
	cw  alarmAPI
	log *slog.Logger
}

// New returns a Switcher calling ELBv2 through elbClient (an *elb.Client
// from github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2) and
// CloudWatch through cw (a *cloudwatch.Client); cw may be nil when no run
// names alarms.
func New(elbClient elbAPI, cw alarmAPI, c Config) *Switcher {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Switcher{elb: elbClient, cw: cw, log: log}
}

// Change is what Run did to one listener or rule.
type Change struct {
	ARN  string
	Kind string // KindListener or KindRule
	// Before are the weights found at the start; After the last verified
	// (in a dry run: the weights the last step would set).
	Before, After Weights
	// Changed: the resource was written and not put back as found (in a
	// dry run: it would be written).
	Changed bool
}

// Result reports a run. It is meaningful also when Run returns an error.
type Result struct {
	// Start and Final are the weights of the first resource (the first
	// listener, else the first rule): found at the start, and last
	// verified.
	Start, Final Weights
	// Changed: a write happened and stayed. Always false in a dry run.
	Changed bool
	// Changes has one element per listener, then per rule, in the order
	// of the options.
	Changes []Change
	// Steps counts the steps completed and verified.
	Steps int
	// Reverted: every resource was put back as found at the start (after
	// an alarm or a failed health check), and that was verified.
	Reverted bool
}

// group is the blue or the green target group.
type group struct {
	role  string // "blue" or "green"
	input string // as given: an ARN or a name
	arn   string
}

func (g group) String() string { return fmt.Sprintf("%s target group %q", g.role, g.input) }

// resource is a listener or a rule as Run handles it.
type resource struct {
	kind, arn string
	start     []types.Action // as read at the start
	cur       []types.Action // in place: start, or the last written and verified
	before    Weights        // at the start
	after     Weights        // last verified
	changed   bool           // written and not put back as found
}

func (r *resource) String() string { return fmt.Sprintf("%s %q", r.kind, r.arn) }

// run is the state of one Run.
type run struct {
	s          *Switcher
	o          Options
	blue       group
	green      group
	res        []*resource
	stickiness *types.TargetGroupStickinessConfig // to set, or nil

	written  bool // a write has happened during this run
	steps    int  // steps completed and verified
	reverted bool // reverted to the start, verified
}

// Run shifts the forward actions of o.Listeners and o.Rules to the weights
// of o.Steps, one step after another, and reports what it did.
//
// It validates o, resolves target group names, reads every listener and
// rule and checks their forward actions before the first write. Each step
// is checked first (alarms; health of the groups about to receive traffic),
// then written to every resource not already at its weights, each write
// read back and verified. A write that fails puts the resources already
// written in that step back as they were, so no step is half-applied. An
// alarm, or a failed health check after the first write, reverts every
// resource to the actions found at the start. When ctx ends, the last
// verified weights stay in place and the error says which.
func (s *Switcher) Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	if len(o.Alarms) > 0 && s.cw == nil {
		return Result{}, errors.New("alarms given, but no CloudWatch client")
	}
	r := &run{s: s, o: o}
	if err := r.resolveGroups(ctx); err != nil {
		return Result{}, err
	}
	if err := r.readAll(ctx); err != nil {
		return Result{}, err
	}
	if o.Stickiness > 0 {
		r.stickiness = &types.TargetGroupStickinessConfig{
			Enabled:         aws.Bool(true),
			DurationSeconds: aws.Int32(int32(o.Stickiness / time.Second)),
		}
	}
	if o.DryRun {
		return r.dryRun(ctx)
	}
	err := r.walk(ctx)
	return r.result(), err
}

// Current reads the weights in place on every listener and rule of o
// (checking, as Run does, that each forward action names exactly the two
// groups) and changes nothing. It returns the first resource's weights and
// fails when the resources disagree. o.Steps is not needed.
func (s *Switcher) Current(ctx context.Context, o Options) (Weights, error) {
	if len(o.Steps) == 0 {
		o.Steps = []Weights{{Blue: 1}} // Validate wants one; none is taken
	}
	if err := o.Validate(); err != nil {
		return Weights{}, err
	}
	r := &run{s: s, o: o}
	if err := r.resolveGroups(ctx); err != nil {
		return Weights{}, err
	}
	if err := r.readAll(ctx); err != nil {
		return Weights{}, err
	}
	first := r.res[0]
	for _, other := range r.res[1:] {
		if other.before != first.before {
			return Weights{}, fmt.Errorf("%s has %s but %s has %s: bring them in line with redirect-traffic first", first, first.before, other, other.before)
		}
	}
	return first.before, nil
}

// resolveGroups turns target group names into ARNs, with one
// DescribeTargetGroups call when a name is given.
func (r *run) resolveGroups(ctx context.Context) error {
	r.blue = group{role: "blue", input: r.o.Blue, arn: r.o.Blue}
	r.green = group{role: "green", input: r.o.Green, arn: r.o.Green}
	var names []string
	for _, g := range []*group{&r.blue, &r.green} {
		if !isARN(g.input) {
			names = append(names, g.input)
			g.arn = ""
		}
	}
	if len(names) > 0 {
		out, err := r.s.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: names})
		if err != nil {
			return fmt.Errorf("resolving target group names %s: %w", quoteList(names), err)
		}
		for _, tg := range out.TargetGroups {
			for _, g := range []*group{&r.blue, &r.green} {
				if g.arn == "" && aws.ToString(tg.TargetGroupName) == g.input {
					g.arn = aws.ToString(tg.TargetGroupArn)
				}
			}
		}
		var errs []error
		for _, g := range []*group{&r.blue, &r.green} {
			if g.arn == "" {
				errs = append(errs, fmt.Errorf("resolving %s: not found", g))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if r.blue.arn == r.green.arn {
		return fmt.Errorf("%s and %s are the same target group %q", r.blue, r.green, r.blue.arn)
	}
	r.s.log.DebugContext(ctx, "target groups", "blue", r.blue.arn, "green", r.green.arn)
	return nil
}

// readAll reads every listener and rule and checks its forward action, all
// before the first write; it reports every problem.
func (r *run) readAll(ctx context.Context) error {
	var errs []error
	add := func(kind, arn string) {
		res := &resource{kind: kind, arn: arn}
		actions, err := r.read(ctx, res)
		if err != nil {
			errs = append(errs, err)
			return
		}
		w, err := r.weightsOf(res, actions)
		if err != nil {
			errs = append(errs, err)
			return
		}
		res.start, res.cur, res.before, res.after = actions, actions, w, w
		r.res = append(r.res, res)
		r.s.log.DebugContext(ctx, "read forward weights", "kind", kind, "arn", arn, "weights", w.String())
	}
	for _, arn := range r.o.Listeners {
		add(KindListener, arn)
	}
	for _, arn := range r.o.Rules {
		add(KindRule, arn)
	}
	return errors.Join(errs...)
}

// read returns the actions of a listener (its default actions) or a rule.
func (r *run) read(ctx context.Context, res *resource) ([]types.Action, error) {
	switch res.kind {
	case KindListener:
		out, err := r.s.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{res.arn}})
		if err != nil {
			return nil, fmt.Errorf("describing %s: %w", res, err)
		}
		if len(out.Listeners) != 1 || aws.ToString(out.Listeners[0].ListenerArn) != res.arn {
			return nil, fmt.Errorf("describing %s: got %d listeners, want only that one", res, len(out.Listeners))
		}
		return out.Listeners[0].DefaultActions, nil
	default:
		out, err := r.s.elb.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{res.arn}})
		if err != nil {
			return nil, fmt.Errorf("describing %s: %w", res, err)
		}
		if len(out.Rules) != 1 || aws.ToString(out.Rules[0].RuleArn) != res.arn {
			return nil, fmt.Errorf("describing %s: got %d rules, want only that one", res, len(out.Rules))
		}
		return out.Rules[0].Actions, nil
	}
}

// forwardIndex returns the index of the forward action of actions, or an
// error wrapping ErrForwardMismatch when there is none or it does not name
// exactly the blue and the green group.
func (r *run) forwardIndex(res *resource, actions []types.Action) (int, error) {
	i := slices.IndexFunc(actions, func(a types.Action) bool { return a.Type == types.ActionTypeEnumForward })
	if i < 0 {
		kinds := make([]string, len(actions))
		for j, a := range actions {
			kinds[j] = string(a.Type)
		}
		return -1, fmt.Errorf("%s: %w: it has no forward action (actions: %s)", res, ErrForwardMismatch, strings.Join(kinds, ", "))
	}
	var arns []string
	if fc := actions[i].ForwardConfig; fc != nil {
		for _, tg := range fc.TargetGroups {
			arns = append(arns, aws.ToString(tg.TargetGroupArn))
		}
	} else if arn := aws.ToString(actions[i].TargetGroupArn); arn != "" {
		arns = append(arns, arn)
	}
	if len(arns) != 2 || !slices.Contains(arns, r.blue.arn) || !slices.Contains(arns, r.green.arn) {
		return -1, fmt.Errorf("%s: %w: it forwards to %s, not to blue %q and green %q", res, ErrForwardMismatch, quoteList(arns), r.blue.arn, r.green.arn)
	}
	return i, nil
}

// weightsOf returns the blue and green weights of the forward action.
func (r *run) weightsOf(res *resource, actions []types.Action) (Weights, error) {
	i, err := r.forwardIndex(res, actions)
	if err != nil {
		return Weights{}, err
	}
	var w Weights
	for _, tg := range actions[i].ForwardConfig.TargetGroups {
		// A group without a weight gets 1, as in CreateListener.
		weight := int32(1)
		if tg.Weight != nil {
			weight = *tg.Weight
		}
		if aws.ToString(tg.TargetGroupArn) == r.blue.arn {
			w.Blue = weight
		} else {
			w.Green = weight
		}
	}
	return w, nil
}

// stickinessOf returns the stickiness of the forward action of actions.
func stickinessOf(actions []types.Action) *types.TargetGroupStickinessConfig {
	for _, a := range actions {
		if a.Type == types.ActionTypeEnumForward && a.ForwardConfig != nil {
			return a.ForwardConfig.TargetGroupStickinessConfig
		}
	}
	return nil
}

// sameStickiness compares what ELBv2 acts on: enabled, and the duration
// when enabled.
func sameStickiness(a, b *types.TargetGroupStickinessConfig) bool {
	enabled := func(c *types.TargetGroupStickinessConfig) bool { return c != nil && aws.ToBool(c.Enabled) }
	if enabled(a) != enabled(b) {
		return false
	}
	return !enabled(a) || aws.ToInt32(a.DurationSeconds) == aws.ToInt32(b.DurationSeconds)
}

// atTarget reports whether res already has the weights w (and the wanted
// stickiness), so that it needs no write.
func (r *run) atTarget(res *resource, w Weights) bool {
	if res.after != w {
		return false
	}
	return r.stickiness == nil || sameStickiness(stickinessOf(res.cur), r.stickiness)
}

// actionsFor returns res's actions from the start with the forward weights
// w (and the wanted stickiness), ready to be written.
func (r *run) actionsFor(res *resource, w Weights) []types.Action {
	return r.writable(res.start, func(fc *types.ForwardActionConfig) {
		tgs := make([]types.TargetGroupTuple, len(fc.TargetGroups))
		for i, tg := range fc.TargetGroups {
			weight := w.Green
			if aws.ToString(tg.TargetGroupArn) == r.blue.arn {
				weight = w.Blue
			}
			tgs[i] = types.TargetGroupTuple{TargetGroupArn: tg.TargetGroupArn, Weight: aws.Int32(weight)}
		}
		fc.TargetGroups = tgs
		if r.stickiness != nil {
			sc := *r.stickiness
			fc.TargetGroupStickinessConfig = &sc
		}
	})
}

// writable copies actions as read, in a form ELBv2 accepts back: the
// forward action loses its top-level TargetGroupArn (ELBv2 rejects it next
// to a ForwardConfig of two groups) and gets edit applied to a copy of its
// ForwardConfig; an authenticate-oidc action read without its client secret
// (ELBv2 never returns it) keeps the existing one.
func (r *run) writable(actions []types.Action, edit func(*types.ForwardActionConfig)) []types.Action {
	out := make([]types.Action, len(actions))
	for i, a := range actions {
		switch {
		case a.Type == types.ActionTypeEnumForward && a.ForwardConfig != nil:
			fc := *a.ForwardConfig
			if edit != nil {
				edit(&fc)
			}
			a.ForwardConfig = &fc
			a.TargetGroupArn = nil
		case a.Type == types.ActionTypeEnumAuthenticateOidc && a.AuthenticateOidcConfig != nil &&
			aws.ToString(a.AuthenticateOidcConfig.ClientSecret) == "":
			oc := *a.AuthenticateOidcConfig
			oc.UseExistingClientSecret = aws.Bool(true)
			a.AuthenticateOidcConfig = &oc
		}
		out[i] = a
	}
	return out
}

// write replaces the actions of a listener (only its default actions) or a
// rule (only its actions: conditions, priority and transforms stay).
func (r *run) write(ctx context.Context, res *resource, actions []types.Action) error {
	var err error
	switch res.kind {
	case KindListener:
		_, err = r.s.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(res.arn), DefaultActions: actions})
	default:
		_, err = r.s.elb.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: aws.String(res.arn), Actions: actions})
	}
	if err != nil {
		return fmt.Errorf("modifying %s: %w", res, err)
	}
	return nil
}

// writeVerified writes actions to res, reads res back and compares the
// forward weights (and stickiness, when set) with want. written reports
// whether the write went through, whatever happened to the read-back.
func (r *run) writeVerified(ctx context.Context, res *resource, actions []types.Action, want Weights, stickiness *types.TargetGroupStickinessConfig) (written bool, err error) {
	r.written = true
	if err := r.write(ctx, res, actions); err != nil {
		return false, err
	}
	back, err := r.read(ctx, res)
	if err != nil {
		return true, fmt.Errorf("verifying: %w", err)
	}
	have, err := r.weightsOf(res, back)
	if err != nil {
		return true, fmt.Errorf("verifying: %w: %w", ErrVerify, err)
	}
	if have != want {
		return true, fmt.Errorf("verifying %s: %w: found %s, wrote %s", res, ErrVerify, have, want)
	}
	if stickiness != nil && !sameStickiness(stickinessOf(back), stickiness) {
		return true, fmt.Errorf("verifying %s: %w: the target group stickiness differs", res, ErrVerify)
	}
	return true, nil
}

// walk applies the steps in order.
func (r *run) walk(ctx context.Context) error {
	n := len(r.o.Steps)
	for i, w := range r.o.Steps {
		step := i + 1
		if err := ctx.Err(); err != nil {
			return r.stopped(n, err)
		}
		var todo []*resource
		for _, res := range r.res {
			if !r.atTarget(res, w) {
				todo = append(todo, res)
			}
		}
		if len(todo) == 0 {
			r.s.log.InfoContext(ctx, "traffic already at step", "step", step, "of", n, "weights", w.String())
			r.steps = step
			continue
		}
		if err := r.preflight(ctx, w); err != nil {
			return r.fail(ctx, n, fmt.Errorf("checking before step %d of %d (%s): %w", step, n, w, err))
		}
		if err := r.apply(ctx, todo, w); err != nil {
			return r.failedStep(ctx, n, w, err)
		}
		r.steps = step
		r.s.log.InfoContext(ctx, "traffic step verified", "step", step, "of", n, "weights", w.String(), "resources", len(todo))
		if step == n || r.o.BakeTime == 0 {
			continue
		}
		if err := r.bake(ctx); err != nil {
			return r.fail(ctx, n, fmt.Errorf("baking after step %d of %d (%s): %w", step, n, w, err))
		}
	}
	return nil
}

// apply writes w to every resource of todo and verifies each. When one
// fails, those already written in this step are put back as they were
// before it.
func (r *run) apply(ctx context.Context, todo []*resource, w Weights) error {
	prev := make([]resource, len(todo))
	for k, res := range todo {
		prev[k] = *res
	}
	for k, res := range todo {
		r.s.log.DebugContext(ctx, "writing forward weights", "kind", res.kind, "arn", res.arn, "weights", w.String())
		actions := r.actionsFor(res, w)
		if written, err := r.writeVerified(ctx, res, actions, w, r.stickiness); err != nil {
			// A resource whose write went through but was not verified
			// (another read, or no read: the context ended) is put back
			// too.
			n := k
			if written {
				n = k + 1
			}
			if rerr := r.putBack(ctx, todo[:n], prev[:n]); rerr != nil {
				return &stepError{err: err, restore: rerr}
			}
			return &stepError{err: err}
		}
		res.cur, res.after, res.changed = actions, w, true
	}
	return nil
}

// stepError is a step that failed; restore is the error putting it back.
type stepError struct{ err, restore error }

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// putBack writes to each resource of list the actions it had before the
// current step (prev), without the caller's cancellation, and verifies
// them.
func (r *run) putBack(ctx context.Context, list []*resource, prev []resource) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	var errs []error
	for k, res := range list {
		p := prev[k]
		r.s.log.InfoContext(ctx, "restoring forward weights", "kind", res.kind, "arn", res.arn, "weights", p.after.String())
		if _, err := r.writeVerified(ctx, res, r.writable(p.cur, nil), p.after, stickinessOf(p.cur)); err != nil {
			errs = append(errs, fmt.Errorf("restoring %s to %s: %w", res, p.after, err))
			continue
		}
		res.cur, res.after, res.changed = p.cur, p.after, p.changed
	}
	return errors.Join(errs...)
}

// revert writes the actions found at the start back to every resource
// written, without the caller's cancellation, and verifies them.
func (r *run) revert(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	var errs []error
	for _, res := range r.res {
		if !res.changed {
			continue
		}
		r.s.log.InfoContext(ctx, "reverting forward weights", "kind", res.kind, "arn", res.arn, "weights", res.before.String())
		_, err := r.writeVerified(ctx, res, r.writable(res.start, nil), res.before, stickinessOf(res.start))
		if err != nil {
			errs = append(errs, fmt.Errorf("reverting %s to %s: %w", res, res.before, err))
			continue
		}
		res.cur, res.after, res.changed = res.start, res.before, false
	}
	return errors.Join(errs...)
}

// failedStep reports a step whose writes failed: the resources written in
// it were put back (or not: se.restore), the previous step is in place.
func (r *run) failedStep(ctx context.Context, n int, w Weights, err error) error {
	step := r.steps + 1
	var se *stepError
	if errors.As(err, &se) && se.restore != nil {
		return fmt.Errorf("step %d of %d (%s): %w; putting the step back failed, weights may differ between resources: %w", step, n, w, se.err, se.restore)
	}
	if se != nil {
		err = se.err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s; step %d was put back: %w", r.inPlace(n), step, ctx.Err())
	}
	return fmt.Errorf("step %d of %d (%s): %w; put back, %s", step, n, w, err, r.inPlace(n))
}

// fail handles an error between steps: an alarm after the first write, or
// unhealthy groups after it, revert everything; anything else
// (cancellation, an API error) leaves the last verified weights in place.
func (r *run) fail(ctx context.Context, n int, err error) error {
	gate := errors.Is(err, ErrAlarm) || errors.Is(err, ErrUnhealthy)
	switch {
	case gate && !r.written:
		return err
	case gate:
		if rerr := r.revert(ctx); rerr != nil {
			return fmt.Errorf("%w; reverting failed, weights may differ between resources: %w", err, rerr)
		}
		r.reverted = true
		return fmt.Errorf("%w; %w: %s in place (verified)", err, ErrReverted, r.res[0].after)
	case ctx.Err() != nil:
		return r.stopped(n, ctx.Err())
	default:
		return fmt.Errorf("%w; %s", err, r.inPlace(n))
	}
}

// stopped reports a walk ended by cause, the context's error.
func (r *run) stopped(n int, cause error) error {
	return fmt.Errorf("%s: %w", r.inPlace(n), cause)
}

// inPlace says what a walk that stopped left in place.
func (r *run) inPlace(n int) string {
	if r.steps == 0 || !r.anyChanged() {
		return fmt.Sprintf("stopped before step %d of %d: nothing changed, %s in place", r.steps+1, n, r.res[0].after)
	}
	return fmt.Sprintf("stopped after step %d of %d: %s in place (verified)", r.steps, n, r.res[0].after)
}

func (r *run) anyChanged() bool {
	return slices.ContainsFunc(r.res, func(res *resource) bool { return res.changed })
}

// preflight checks the alarms and the health of the groups that w gives
// traffic.
func (r *run) preflight(ctx context.Context, w Weights) error {
	if err := r.checkAlarms(ctx); err != nil {
		return err
	}
	return r.checkHealth(ctx, w)
}

// checkHealth counts the healthy targets of each group whose weight in w is
// above 0; every group short of Options.MinHealthyTargets is reported.
func (r *run) checkHealth(ctx context.Context, w Weights) error {
	if r.o.MinHealthyTargets == 0 {
		return nil
	}
	var short, errs []error
	for _, g := range []struct {
		group
		weight int32
	}{{r.blue, w.Blue}, {r.green, w.Green}} {
		if g.weight == 0 {
			continue
		}
		out, err := r.s.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(g.arn)})
		if err != nil {
			errs = append(errs, fmt.Errorf("describing the target health of %s: %w", g.group, err))
			continue
		}
		healthy, states := 0, map[types.TargetHealthStateEnum]int{}
		for _, d := range out.TargetHealthDescriptions {
			state := types.TargetHealthStateEnum("unknown")
			if d.TargetHealth != nil {
				state = d.TargetHealth.State
			}
			states[state]++
			if state == types.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
		r.s.log.DebugContext(ctx, "target health", "group", g.arn, "healthy", healthy, "targets", len(out.TargetHealthDescriptions))
		if healthy < r.o.MinHealthyTargets {
			short = append(short, fmt.Errorf("%s has %d healthy of %d targets%s, needs at least %d",
				g.group, healthy, len(out.TargetHealthDescriptions), describeStates(states), r.o.MinHealthyTargets))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(short) > 0 {
		return fmt.Errorf("%w: %w", ErrUnhealthy, errors.Join(short...))
	}
	return nil
}

// describeStates lists the states other than healthy, e.g. " (unused: 1)".
func describeStates(states map[types.TargetHealthStateEnum]int) string {
	var parts []string
	for state, count := range states {
		if state != types.TargetHealthStateEnumHealthy {
			parts = append(parts, fmt.Sprintf("%s: %d", state, count))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}

// checkAlarms returns an error wrapping ErrAlarm naming the alarms in state
// ALARM. An alarm that does not exist is an error too: a gate must not
// pass because of a typo.
func (r *run) checkAlarms(ctx context.Context) error {
	if len(r.o.Alarms) == 0 {
		return nil
	}
	states := make(map[string]cwtypes.StateValue, len(r.o.Alarms))
	for chunk := range slices.Chunk(r.o.Alarms, maxAlarmNames) {
		p := cloudwatch.NewDescribeAlarmsPaginator(r.s.cw, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describing alarms %s: %w", quoteList(chunk), err)
			}
			for _, a := range out.MetricAlarms {
				states[aws.ToString(a.AlarmName)] = a.StateValue
			}
			for _, a := range out.CompositeAlarms {
				states[aws.ToString(a.AlarmName)] = a.StateValue
			}
		}
	}
	var firing, missing []string
	for _, name := range r.o.Alarms {
		state, ok := states[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case state == cwtypes.StateValueAlarm:
			firing = append(firing, name)
		}
	}
	r.s.log.DebugContext(ctx, "alarms checked", "alarms", len(r.o.Alarms), "firing", len(firing))
	if len(missing) > 0 {
		return fmt.Errorf("CloudWatch alarms not found: %s", quoteList(missing))
	}
	if len(firing) > 0 {
		return fmt.Errorf("%w: %s", ErrAlarm, quoteList(firing))
	}
	return nil
}

// bake waits Options.BakeTime, polling the alarms.
func (r *run) bake(ctx context.Context) error {
	r.s.log.InfoContext(ctx, "baking", "for", r.o.BakeTime.String())
	timer := time.NewTimer(r.o.BakeTime)
	defer timer.Stop()
	var tick <-chan time.Time
	if len(r.o.Alarms) > 0 {
		ticker := time.NewTicker(r.o.pollInterval())
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-tick:
			if err := r.checkAlarms(ctx); err != nil {
				return err
			}
		}
	}
}

// dryRun checks what a run would check and returns the plan.
func (r *run) dryRun(ctx context.Context) (Result, error) {
	res := r.result()
	last := r.o.Steps[len(r.o.Steps)-1]
	var traffic Weights // the groups some writing step gives traffic
	writes := false
	for i := range res.Changes {
		res.Changes[i].After = last
	}
	for _, w := range r.o.Steps {
		for i, rr := range r.res {
			if !r.atTarget(rr, w) {
				res.Changes[i].Changed = true
				writes = true
				traffic.Blue, traffic.Green = max(traffic.Blue, w.Blue), max(traffic.Green, w.Green)
			}
		}
	}
	r.s.log.InfoContext(ctx, "dry run: nothing written", "weights", last.String(), "writes", writes)
	if !writes {
		return res, nil
	}
	if err := r.preflight(ctx, traffic); err != nil {
		return res, fmt.Errorf("dry run: checking before step 1 of %d: %w", len(r.o.Steps), err)
	}
	return res, nil
}

// result reports the run so far.
func (r *run) result() Result {
	var res Result
	for _, rr := range r.res {
		res.Changes = append(res.Changes, Change{ARN: rr.arn, Kind: rr.kind, Before: rr.before, After: rr.after, Changed: rr.changed})
		res.Changed = res.Changed || rr.changed
	}
	if len(r.res) > 0 {
		res.Start, res.Final = r.res[0].before, r.res[0].after
	}
	res.Steps, res.Reverted = r.steps, r.reverted
	return res
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
