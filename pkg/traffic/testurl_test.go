//go:build unix

package traffic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

// TestRuleURL reads the URL of listener rules in moto: the fixture's rule
// (port 80, path /api/*) and a rule added on the port-443 HTTP listener.
func TestRuleURL(t *testing.T) {
	t.Parallel()
	f := newEnv(t).fixture(t)
	ctx := t.Context()
	lbs, err := f.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{f.LoadBalancer}})
	if err != nil {
		t.Fatal(err)
	}
	dns := aws.ToString(lbs.LoadBalancers[0].DNSName)
	if dns == "" {
		t.Fatal("moto gave the load balancer no DNS name")
	}
	test, err := f.ELB.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: aws.String(f.Listeners[1]), Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(f.Green)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rule, want string }{
		{rule: f.Rule, want: "http://" + dns + "/api/"},
		{rule: aws.ToString(test.Rules[0].RuleArn), want: "http://" + dns + ":443/"},
	} {
		have, err := traffic.RuleURL(ctx, f.ELB, tt.rule)
		if err != nil || have != tt.want {
			t.Errorf("RuleURL(%q): want %q, have %q (%v)", tt.rule, tt.want, have, err)
		}
	}
	_, err = traffic.RuleURL(ctx, f.ELB, f.Listeners[0])
	if !errors.Is(err, traffic.ErrNoURL) || !strings.Contains(err.Error(), "not a listener rule ARN") {
		t.Errorf("a listener ARN: want ErrNoURL, have %v", err)
	}
}
