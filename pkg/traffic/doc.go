// Package traffic shifts the traffic of an Application Load Balancer
// between a blue and a green target group, for the redirect-traffic action
// and for blue/green deployments.
//
// A [Switcher] changes only the weights of the weighted forward action of
// the listeners (their default action) and listener rules it is given, in
// one step ([Preset], custom [Weights]) or in progressive steps
// ([StepsFromPercentages]) with a bake time between them. Everything else
// (other actions and their order, rule conditions and priorities, listener
// ports, protocols and certificates, target group stickiness unless asked
// for) is written back exactly as read.
//
// [Switcher.Run] works read–check–write–verify:
//
//   - it reads every listener and rule, and checks that each forward action
//     names exactly the blue and the green group, before writing anything
//     ([ErrForwardMismatch]);
//   - a resource already at the wanted weights is not written, so a run
//     that changes nothing makes reads only;
//   - before each step it checks the CloudWatch alarms ([ErrAlarm]) and that
//     each group about to receive traffic has enough healthy targets
//     ([ErrUnhealthy]), and it polls the alarms during the bake time;
//   - every write is read back and compared ([ErrVerify]);
//   - a write that fails puts back the resources already written in that
//     step, so a step is never half-applied;
//   - an alarm, or a failed health check after the first write, reverts
//     every resource to the actions found at the start ([ErrReverted]);
//   - when the context ends, the last verified weights stay in place and
//     the error says which.
//
// A preset switch of n listeners costs n DescribeListeners, n
// ModifyListener and n verifying DescribeListeners, plus one
// DescribeTargetGroups when groups are given by name, one
// DescribeTargetHealth per group about to receive traffic (when
// Options.MinHealthyTargets > 0) and one DescribeAlarms (when alarms are
// given).
//
// [RuleURL] tells the URL a listener rule answers at (the scheme and port
// of its listener, the DNS name of its load balancer, the fixed start of a
// path pattern): the test URL of ECS's own blue/green deployments.
//
// AWS is reached through narrow, unexported interfaces that *Client of
// github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2 and of
// .../service/cloudwatch satisfy; [New] takes them.
//
// The package is quiet: it prints nothing and logs to the optional
// *slog.Logger of [Config]. It knows nothing about CI platforms.
package traffic
