package traffic

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// ruleURLAPI lists the ELBv2 calls [RuleURL] makes; *elb.Client
// satisfies it.
type ruleURLAPI interface {
	elb.DescribeRulesAPIClient
	elb.DescribeListenersAPIClient
	elb.DescribeLoadBalancersAPIClient
}

var _ ruleURLAPI = (*elb.Client)(nil)

// ErrNoURL: a listener rule's URL cannot be told (its listener is not
// HTTP or HTTPS, or its load balancer has no DNS name).
var ErrNoURL = errors.New("no URL for the listener rule")

// RuleURL returns the URL a listener rule of an Application Load Balancer
// answers at — the scheme and port of its listener, the DNS name of its
// load balancer and, when the rule has a path-pattern condition, the
// pattern's fixed start (/api/* gives /api/) — e.g. the test listener rule
// of an ECS blue/green deployment, where the new revision takes the test
// traffic. A host-header condition is not reflected: requests must then
// send that Host.
func RuleURL(ctx context.Context, client ruleURLAPI, ruleARN string) (string, error) {
	// arn:…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id> belongs
	// to arn:…:listener/app/<lb>/<lb-id>/<listener-id>.
	prefix, rest, ok := strings.Cut(ruleARN, ":listener-rule/")
	i := strings.LastIndex(rest, "/")
	if !ok || i < 0 {
		return "", fmt.Errorf("%w: %q is not a listener rule ARN", ErrNoURL, ruleARN)
	}
	listenerARN := prefix + ":listener/" + rest[:i]
	rules, err := client.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{ruleARN}})
	if err != nil {
		return "", fmt.Errorf("describing listener rule %q: %w", ruleARN, err)
	}
	path := "/"
	for _, r := range rules.Rules {
		for _, c := range r.Conditions {
			values := c.Values
			if c.PathPatternConfig != nil {
				values = c.PathPatternConfig.Values
			}
			if aws.ToString(c.Field) == "path-pattern" && len(values) > 0 {
				p, _, _ := strings.Cut(values[0], "*")
				if p, _, _ = strings.Cut(p, "?"); strings.HasPrefix(p, "/") {
					path = p
				}
			}
		}
	}
	ls, err := client.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{listenerARN}})
	if err != nil {
		return "", fmt.Errorf("describing listener %q: %w", listenerARN, err)
	}
	if len(ls.Listeners) == 0 {
		return "", fmt.Errorf("%w: listener %q not found", ErrNoURL, listenerARN)
	}
	l := ls.Listeners[0]
	scheme := strings.ToLower(string(l.Protocol))
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%w: listener %q speaks %s, not HTTP or HTTPS", ErrNoURL, listenerARN, l.Protocol)
	}
	lbs, err := client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(l.LoadBalancerArn)}})
	if err != nil {
		return "", fmt.Errorf("describing load balancer %q: %w", aws.ToString(l.LoadBalancerArn), err)
	}
	if len(lbs.LoadBalancers) == 0 || aws.ToString(lbs.LoadBalancers[0].DNSName) == "" {
		return "", fmt.Errorf("%w: load balancer %q has no DNS name", ErrNoURL, aws.ToString(l.LoadBalancerArn))
	}
	host := aws.ToString(lbs.LoadBalancers[0].DNSName)
	port := aws.ToInt32(l.Port)
	if !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) && port != 0 {
		host = fmt.Sprintf("%s:%d", host, port)
	}
	return scheme + "://" + host + path, nil
}
