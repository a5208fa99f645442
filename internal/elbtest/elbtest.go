// Package elbtest builds an Application Load Balancer with a blue and a green
// target group in moto, for the tests of pkg/traffic and of the actions that
// shift traffic.
//
// [New] creates, under names unique to the fixture (the moto server may be
// shared by every package and by earlier runs):
//
//   - a VPC with two subnets in two availability zones and a security group;
//   - an internet-facing ALB in those subnets;
//   - a blue and a green target group (target type ip), each with two
//     registered IP targets, which moto reports healthy;
//   - a third target group, "unhealthy", whose only target is a stopped EC2
//     instance, which moto reports unused: no healthy target;
//   - two HTTP listeners, on port 80 and on port 443 (an HTTPS listener
//     would need a certificate), whose default action is a weighted forward
//     blue=100 green=0 with target group stickiness enabled for 300s;
//   - a rule on the port-80 listener, priority 10, with a path-pattern
//     condition and a weighted forward blue=100 green=0 (no stickiness);
//   - a CloudWatch metric alarm in state OK.
//
// The fixture talks to moto through the real SDK clients, in us-east-1 with
// the static credentials "testing". Nothing is deleted at cleanup; unique
// names keep fixtures apart, and nothing here ever resets the server.
package elbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ferry-ci/ferry/pkg/awsauth"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// Region is where every fixture lives.
const Region = "us-east-1"

// StickinessSeconds is the stickiness duration of the fixture listeners'
// forward actions.
const StickinessSeconds = 300

// RulePriority and RulePath describe the fixture's rule.
const (
	RulePriority = 10
	RulePath     = "/api/*"
)

// ami is one of the images moto loads by default.
const ami = "ami-03cf127a"

// callTimeout bounds each AWS call the fixture makes.
const callTimeout = 30 * time.Second

// Fixture is an ALB with a blue and a green target group in moto.
type Fixture struct {
	EC2        *ec2.Client
	ELB        *elb.Client
	CloudWatch *cloudwatch.Client

	// Prefix starts every name the fixture gives, e.g. "ft-1a2b3c4d".
	Prefix string

	VPC           string
	Subnets       []string // two, in two availability zones
	SecurityGroup string
	LoadBalancer  string // ARN

	// Listeners are the ARNs of the port-80 and port-443 listeners, in that
	// order; their default action forwards blue=100 green=0, sticky 300s.
	Listeners []string
	// Rule is the ARN of the rule on Listeners[0].
	Rule string

	// Blue, Green and Unhealthy are target group ARNs; the *Name fields hold
	// their names.
	Blue, Green, Unhealthy             string
	BlueName, GreenName, UnhealthyName string
	// Instance is the stopped EC2 instance registered in Unhealthy.
	Instance string

	// Alarm is the name of a CloudWatch metric alarm, in state OK.
	Alarm string

	nextPort int32
}

// Clients returns real SDK clients for the moto server at endpoint.
func Clients(endpoint string) (*ec2.Client, *elb.Client, *cloudwatch.Client) {
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	return ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, awsauth.CloudWatchQuery)
}

// New creates the fixture in the moto server at endpoint (see
// internal/moto.ForTest). It fails t on any error.
func New(t testing.TB, endpoint string) *Fixture {
	t.Helper()
	f := &Fixture{Prefix: "ft-" + randomHex(t, 4), nextPort: 8000}
	f.EC2, f.ELB, f.CloudWatch = Clients(endpoint)
	f.BlueName, f.GreenName, f.UnhealthyName = f.Prefix+"-blue", f.Prefix+"-green", f.Prefix+"-unhealthy"
	f.Alarm = f.Prefix + "-errors"

	f.network(t)
	f.balancer(t)
	f.Blue = f.ipGroup(t, f.BlueName, "10.0.1.10", "10.0.2.10")
	f.Green = f.ipGroup(t, f.GreenName, "10.0.1.20", "10.0.2.20")
	f.Unhealthy = f.stoppedInstanceGroup(t)

	sticky := WeightedForward(f.Blue, f.Green, traffic.Weights{Blue: 100, Green: 0})
	sticky.ForwardConfig.TargetGroupStickinessConfig = &types.TargetGroupStickinessConfig{
		Enabled:         aws.Bool(true),
		DurationSeconds: aws.Int32(StickinessSeconds),
	}
	f.Listeners = []string{
		f.listener(t, 80, sticky),
		f.listener(t, 443, sticky),
	}
	f.Rule = f.AddRule(t, f.Listeners[0], RulePriority,
		[]types.RuleCondition{PathPattern(RulePath)},
		WeightedForward(f.Blue, f.Green, traffic.Weights{Blue: 100, Green: 0}))
	f.alarm(t)
	return f
}

func (f *Fixture) network(t testing.TB) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	vpc, err := f.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock:         aws.String("10.0.0.0/16"),
		TagSpecifications: tags(ec2types.ResourceTypeVpc, f.Prefix),
	})
	if err != nil {
		t.Fatalf("elbtest: CreateVpc: %v", err)
	}
	f.VPC = aws.ToString(vpc.Vpc.VpcId)
	for i, az := range []string{Region + "a", Region + "b"} {
		sn, err := f.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:            aws.String(f.VPC),
			CidrBlock:        aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]),
			AvailabilityZone: aws.String(az),
		})
		if err != nil {
			t.Fatalf("elbtest: CreateSubnet in %s: %v", az, err)
		}
		f.Subnets = append(f.Subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg, err := f.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String(f.Prefix + "-alb"),
		Description: aws.String("ferry elbtest ALB"),
		VpcId:       aws.String(f.VPC),
	})
	if err != nil {
		t.Fatalf("elbtest: CreateSecurityGroup: %v", err)
	}
	f.SecurityGroup = aws.ToString(sg.GroupId)
}

func (f *Fixture) balancer(t testing.TB) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	out, err := f.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name:           aws.String(f.Prefix + "-alb"),
		Type:           types.LoadBalancerTypeEnumApplication,
		Scheme:         types.LoadBalancerSchemeEnumInternetFacing,
		Subnets:        f.Subnets,
		SecurityGroups: []string{f.SecurityGroup},
	})
	if err != nil {
		t.Fatalf("elbtest: CreateLoadBalancer: %v", err)
	}
	f.LoadBalancer = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
}

func (f *Fixture) targetGroup(ctx context.Context, t testing.TB, name string, kind types.TargetTypeEnum) string {
	t.Helper()
	out, err := f.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name:            aws.String(name),
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(8080),
		VpcId:           aws.String(f.VPC),
		TargetType:      kind,
		HealthCheckPath: aws.String("/healthz"),
	})
	if err != nil {
		t.Fatalf("elbtest: CreateTargetGroup %q: %v", name, err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// ipGroup creates a target group of type ip with the given targets.
func (f *Fixture) ipGroup(t testing.TB, name string, ips ...string) string {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	arn := f.targetGroup(ctx, t, name, types.TargetTypeEnumIp)
	targets := make([]types.TargetDescription, len(ips))
	for i, ip := range ips {
		targets[i] = types.TargetDescription{Id: aws.String(ip), Port: aws.Int32(8080)}
	}
	if _, err := f.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: targets}); err != nil {
		t.Fatalf("elbtest: RegisterTargets in %q: %v", name, err)
	}
	return arn
}

// stoppedInstanceGroup creates a target group of type instance whose one
// target is a stopped instance. moto refuses to register a stopped
// instance, so it is registered while running and stopped afterwards.
func (f *Fixture) stoppedInstanceGroup(t testing.TB) string {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	arn := f.targetGroup(ctx, t, f.UnhealthyName, types.TargetTypeEnumInstance)
	run, err := f.EC2.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId:           aws.String(ami),
		InstanceType:      ec2types.InstanceTypeT3Micro,
		MinCount:          aws.Int32(1),
		MaxCount:          aws.Int32(1),
		SubnetId:          aws.String(f.Subnets[0]),
		SecurityGroupIds:  []string{f.SecurityGroup},
		TagSpecifications: tags(ec2types.ResourceTypeInstance, f.UnhealthyName),
	})
	if err != nil {
		t.Fatalf("elbtest: RunInstances: %v", err)
	}
	f.Instance = aws.ToString(run.Instances[0].InstanceId)
	if _, err := f.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(arn),
		Targets:        []types.TargetDescription{{Id: aws.String(f.Instance), Port: aws.Int32(8080)}},
	}); err != nil {
		t.Fatalf("elbtest: RegisterTargets %q in %q: %v", f.Instance, f.UnhealthyName, err)
	}
	if _, err := f.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{f.Instance}}); err != nil {
		t.Fatalf("elbtest: StopInstances %q: %v", f.Instance, err)
	}
	return arn
}

func (f *Fixture) listener(t testing.TB, port int32, actions ...types.Action) string {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	out, err := f.ELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(f.LoadBalancer),
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(port),
		DefaultActions:  actions,
	})
	if err != nil {
		t.Fatalf("elbtest: CreateListener on port %d: %v", port, err)
	}
	return aws.ToString(out.Listeners[0].ListenerArn)
}

// AddListener creates another HTTP listener on the fixture's ALB, on the
// next free port from 8000, with the given default actions, and returns its
// ARN. It is not safe for concurrent use.
func (f *Fixture) AddListener(t testing.TB, actions ...types.Action) string {
	t.Helper()
	port := f.nextPort
	f.nextPort++
	return f.listener(t, port, actions...)
}

// AddRule creates a rule on listener and returns its ARN.
func (f *Fixture) AddRule(t testing.TB, listener string, priority int32, conditions []types.RuleCondition, actions ...types.Action) string {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	out, err := f.ELB.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: aws.String(listener),
		Priority:    aws.Int32(priority),
		Conditions:  conditions,
		Actions:     actions,
	})
	if err != nil {
		t.Fatalf("elbtest: CreateRule on %q: %v", listener, err)
	}
	return aws.ToString(out.Rules[0].RuleArn)
}

// AddTargetGroup creates another target group of type ip with two healthy
// targets and returns its ARN.
func (f *Fixture) AddTargetGroup(t testing.TB, suffix string) string {
	t.Helper()
	return f.ipGroup(t, f.Prefix+"-"+suffix, "10.0.1.30", "10.0.2.30")
}

func (f *Fixture) alarm(t testing.TB) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	if _, err := f.CloudWatch.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(f.Alarm),
		Namespace:          aws.String("AWS/ApplicationELB"),
		MetricName:         aws.String("HTTPCode_Target_5XX_Count"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(f.Prefix + "-alb")}},
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(10),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatalf("elbtest: PutMetricAlarm %q: %v", f.Alarm, err)
	}
	// moto creates alarms in OK; say so anyway, the tests rely on it.
	f.SetAlarm(t, string(cwtypes.StateValueOk))
}

// SetAlarm sets the state of the fixture's alarm: OK, ALARM or
// INSUFFICIENT_DATA. It is safe for concurrent use.
func (f *Fixture) SetAlarm(t testing.TB, state string) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	if _, err := f.CloudWatch.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName:   aws.String(f.Alarm),
		StateValue:  cwtypes.StateValue(state),
		StateReason: aws.String("set by elbtest"),
	}); err != nil {
		t.Errorf("elbtest: SetAlarmState %q to %s: %v", f.Alarm, state, err)
	}
}

// DescribeListener reads a listener. It is safe for concurrent use.
func (f *Fixture) DescribeListener(t testing.TB, arn string) types.Listener {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	out, err := f.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil {
		t.Fatalf("elbtest: DescribeListeners %q: %v", arn, err)
	}
	if len(out.Listeners) != 1 {
		t.Fatalf("elbtest: DescribeListeners %q gave %d listeners, want 1", arn, len(out.Listeners))
	}
	return out.Listeners[0]
}

// DescribeRule reads a rule, such as f.Rule. It is safe for concurrent use.
func (f *Fixture) DescribeRule(t testing.TB, ruleARN string) types.Rule {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	out, err := f.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{ruleARN}})
	if err != nil {
		t.Fatalf("elbtest: DescribeRules %q: %v", ruleARN, err)
	}
	if len(out.Rules) != 1 {
		t.Fatalf("elbtest: DescribeRules %q gave %d rules, want 1", ruleARN, len(out.Rules))
	}
	return out.Rules[0]
}

// Weights reads the blue and green weights of the forward action of a
// listener or a rule (told apart by the ARN). A forward action that does
// not name both fixture groups fails t. It is safe for concurrent use.
func (f *Fixture) Weights(t testing.TB, arn string) traffic.Weights {
	t.Helper()
	var actions []types.Action
	if isRule(arn) {
		actions = f.DescribeRule(t, arn).Actions
	} else {
		actions = f.DescribeListener(t, arn).DefaultActions
	}
	for _, a := range actions {
		if a.Type != types.ActionTypeEnumForward || a.ForwardConfig == nil {
			continue
		}
		var w traffic.Weights
		var blue, green bool
		for _, tg := range a.ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case f.Blue:
				w.Blue, blue = aws.ToInt32(tg.Weight), true
			case f.Green:
				w.Green, green = aws.ToInt32(tg.Weight), true
			}
		}
		if !blue || !green {
			t.Fatalf("elbtest: the forward action of %q does not name both %q and %q", arn, f.BlueName, f.GreenName)
		}
		return w
	}
	t.Fatalf("elbtest: %q has no forward action", arn)
	return traffic.Weights{}
}

// WeightedForward returns a forward action to blue and green with weights w.
func WeightedForward(blue, green string, w traffic.Weights) types.Action {
	return types.Action{
		Type: types.ActionTypeEnumForward,
		ForwardConfig: &types.ForwardActionConfig{
			TargetGroups: []types.TargetGroupTuple{
				{TargetGroupArn: aws.String(blue), Weight: aws.Int32(w.Blue)},
				{TargetGroupArn: aws.String(green), Weight: aws.Int32(w.Green)},
			},
		},
	}
}

// PathPattern returns a path-pattern rule condition.
func PathPattern(patterns ...string) types.RuleCondition {
	return types.RuleCondition{
		Field:             aws.String("path-pattern"),
		PathPatternConfig: &types.PathPatternConditionConfig{Values: patterns},
	}
}

func isRule(arn string) bool { return strings.Contains(arn, ":listener-rule/") }

func tags(kind ec2types.ResourceType, name string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{
		ResourceType: kind,
		Tags:         []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}},
	}}
}

func callContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("elbtest: %v", err)
	}
	return hex.EncodeToString(b)
}
