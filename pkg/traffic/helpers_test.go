//go:build unix

package traffic_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// env is a moto server shared by the subtests of one test; each subtest
// builds its own fixture in it.
type env struct{ endpoint string }

func newEnv(t *testing.T) env { t.Helper(); return env{endpoint: moto.ForTest(t)} }

func (e env) fixture(t *testing.T) *elbtest.Fixture {
	t.Helper()
	return elbtest.New(t, e.endpoint)
}

// recorder passes every ELBv2 call to the moto client and records it. It
// checks what moto does not: ELBv2 rejects a forward action that carries
// both a TargetGroupArn and a ForwardConfig of two groups. Hooks inject
// what moto cannot do.
type recorder struct {
	*elb.Client
	t testing.TB

	// failModify, when set, is asked before each ModifyListener and
	// ModifyRule (n counts them from 1); an error is returned instead of
	// calling moto.
	failModify func(arn string, n int) error
	// lie, when set, changes what the first read of a resource after a
	// write returns, once.
	lie func(actions []types.Action)
	// beforeReadBack, when set, is called before the first read of a
	// resource after a write reaches moto.
	beforeReadBack func(arn string)
	// stripSecrets removes OIDC client secrets from what is read, as AWS
	// does.
	stripSecrets bool

	mu       sync.Mutex
	calls    map[string]int
	writes   []write
	dirty    map[string]bool // written, not read back since
	modifys  int
	readBack map[string]chan struct{}
}

// write is one ModifyListener or ModifyRule as sent.
type write struct {
	ARN     string
	Actions []types.Action
	// Other is true when the input set anything but the ARN and the
	// actions (port, protocol, certificates, conditions...).
	Other bool
}

func newRecorder(t testing.TB, f *elbtest.Fixture) *recorder {
	return &recorder{Client: f.ELB, t: t, calls: map[string]int{}, dirty: map[string]bool{}, readBack: map[string]chan struct{}{}}
}

// ReadBack returns a channel closed once arn has been written and read back
// (Run compares what it read, then bakes: no call can fail in between).
func (r *recorder) ReadBack(arn string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.readBack[arn]
	if !ok {
		ch = make(chan struct{})
		r.readBack[arn] = ch
	}
	return ch
}

func (r *recorder) count(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[op]++
}

// Calls returns the calls made so far, by operation.
func (r *recorder) Calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

// Writes returns the writes sent so far.
func (r *recorder) Writes() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]write(nil), r.writes...)
}

// WrittenWeights returns the forward weights of each write to arn.
func (r *recorder) WrittenWeights(f *elbtest.Fixture, arn string) []traffic.Weights {
	var ws []traffic.Weights
	for _, w := range r.Writes() {
		if w.ARN == arn {
			ws = append(ws, forwardWeights(f, w.Actions))
		}
	}
	return ws
}

func (r *recorder) modify(arn string, actions []types.Action, other bool) error {
	for _, a := range actions {
		if a.Type == types.ActionTypeEnumForward && a.TargetGroupArn != nil && a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 1 {
			r.t.Errorf("write to %q: a forward action has both TargetGroupArn and a ForwardConfig of %d groups, which ELBv2 rejects", arn, len(a.ForwardConfig.TargetGroups))
			return errors.New("ValidationError: you cannot specify both a target group ARN and a forward config with several target groups")
		}
	}
	r.mu.Lock()
	r.modifys++
	n := r.modifys
	r.writes = append(r.writes, write{ARN: arn, Actions: actions, Other: other})
	r.dirty[arn] = true
	r.mu.Unlock()
	if r.failModify != nil {
		return r.failModify(arn, n)
	}
	return nil
}

// read applies the read hooks to the actions of arn.
func (r *recorder) read(arn string, actions []types.Action) {
	r.mu.Lock()
	lie := r.lie
	if !r.dirty[arn] {
		lie = nil
	} else if ch, ok := r.readBack[arn]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	} else {
		ch := make(chan struct{})
		close(ch)
		r.readBack[arn] = ch
	}
	if lie != nil {
		r.lie = nil
	}
	delete(r.dirty, arn)
	r.mu.Unlock()
	if lie != nil {
		lie(actions)
	}
	if r.stripSecrets {
		for i := range actions {
			if c := actions[i].AuthenticateOidcConfig; c != nil {
				cc := *c
				cc.ClientSecret = nil
				actions[i].AuthenticateOidcConfig = &cc
			}
		}
	}
}

// readingBack calls beforeReadBack for the ARNs written and not read since.
func (r *recorder) readingBack(arns []string) {
	for _, arn := range arns {
		r.mu.Lock()
		dirty := r.dirty[arn]
		r.mu.Unlock()
		if dirty && r.beforeReadBack != nil {
			r.beforeReadBack(arn)
		}
	}
}

func (r *recorder) DescribeListeners(ctx context.Context, in *elb.DescribeListenersInput, optFns ...func(*elb.Options)) (*elb.DescribeListenersOutput, error) {
	r.count("DescribeListeners")
	r.readingBack(in.ListenerArns)
	out, err := r.Client.DescribeListeners(ctx, in, optFns...)
	if err == nil {
		for _, l := range out.Listeners {
			r.read(aws.ToString(l.ListenerArn), l.DefaultActions)
		}
	}
	return out, err
}

func (r *recorder) DescribeRules(ctx context.Context, in *elb.DescribeRulesInput, optFns ...func(*elb.Options)) (*elb.DescribeRulesOutput, error) {
	r.count("DescribeRules")
	r.readingBack(in.RuleArns)
	out, err := r.Client.DescribeRules(ctx, in, optFns...)
	if err == nil {
		for _, rule := range out.Rules {
			r.read(aws.ToString(rule.RuleArn), rule.Actions)
		}
	}
	return out, err
}

func (r *recorder) DescribeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, optFns ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error) {
	r.count("DescribeTargetGroups")
	return r.Client.DescribeTargetGroups(ctx, in, optFns...)
}

func (r *recorder) DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, optFns ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	r.count("DescribeTargetHealth")
	return r.Client.DescribeTargetHealth(ctx, in, optFns...)
}

func (r *recorder) ModifyListener(ctx context.Context, in *elb.ModifyListenerInput, optFns ...func(*elb.Options)) (*elb.ModifyListenerOutput, error) {
	r.count("ModifyListener")
	other := in.Port != nil || in.Protocol != "" || in.Certificates != nil || in.SslPolicy != nil || in.AlpnPolicy != nil || in.MutualAuthentication != nil
	if err := r.modify(aws.ToString(in.ListenerArn), in.DefaultActions, other); err != nil {
		return nil, err
	}
	return r.Client.ModifyListener(ctx, in, optFns...)
}

func (r *recorder) ModifyRule(ctx context.Context, in *elb.ModifyRuleInput, optFns ...func(*elb.Options)) (*elb.ModifyRuleOutput, error) {
	r.count("ModifyRule")
	other := in.Conditions != nil || in.Transforms != nil || in.ResetTransforms != nil
	if err := r.modify(aws.ToString(in.RuleArn), in.Actions, other); err != nil {
		return nil, err
	}
	return r.Client.ModifyRule(ctx, in, optFns...)
}

// alarmRecorder counts DescribeAlarms calls made to moto.
type alarmRecorder struct {
	*cloudwatch.Client
	mu    sync.Mutex
	calls int
}

func (a *alarmRecorder) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	a.mu.Lock()
	a.calls++
	a.mu.Unlock()
	return a.Client.DescribeAlarms(ctx, in, optFns...)
}

func (a *alarmRecorder) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// forwardWeights reads the fixture's blue and green weights from actions.
func forwardWeights(f *elbtest.Fixture, actions []types.Action) traffic.Weights {
	var w traffic.Weights
	for _, a := range actions {
		if a.ForwardConfig == nil {
			continue
		}
		for _, tg := range a.ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case f.Blue:
				w.Blue = aws.ToInt32(tg.Weight)
			case f.Green:
				w.Green = aws.ToInt32(tg.Weight)
			}
		}
	}
	return w
}

// waitWeights polls arn until it has the weights want and, when readBack
// is given, Run has read it back.
func waitWeights(t *testing.T, f *elbtest.Fixture, arn string, want traffic.Weights, done <-chan struct{}, readBack ...<-chan struct{}) {
	t.Helper()
	for _, ch := range readBack {
		select {
		case <-ch:
		case <-done:
			t.Fatalf("Run returned before %q was read back", arn)
		case <-time.After(20 * time.Second):
			t.Fatalf("%q was not read back in 20s", arn)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if have := f.Weights(t, arn); have == want {
			return
		}
		select {
		case <-done:
			t.Fatalf("Run returned before %q reached %s", arn, want)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not reach %s in 20s", arn, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outcome is what Run returned.
type outcome struct {
	res traffic.Result
	err error
}

// runAsync runs s.Run in a goroutine; done closes when it returns.
func runAsync(ctx context.Context, s *traffic.Switcher, o traffic.Options) (<-chan outcome, <-chan struct{}) {
	out := make(chan outcome, 1)
	done := make(chan struct{})
	go func() {
		res, err := s.Run(ctx, o)
		out <- outcome{res, err}
		close(done)
	}()
	return out, done
}

func wantErrContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("have no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("have error %q, want it to contain %q", err, p)
		}
	}
}

func w(blue, green int32) traffic.Weights { return traffic.Weights{Blue: blue, Green: green} }

func fmtWeights(ws []traffic.Weights) string { return fmt.Sprint(ws) }
