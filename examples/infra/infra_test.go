package infra_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"go.yaml.in/yaml/v3"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

const templatePath = "ferry-reference.yml"

// What moto 5.2.1 does with ferry-reference.yml, found by deploying it:
//
//   - It has no CloudFormation model for these types and skips them without
//     failing the stack (they are missing from DescribeStackResources; the
//     server logs "No Moto CloudFormation support for …").
//   - An output that refers to a skipped resource is left out of
//     DescribeStacks (DistributionId); an output naming an attribute of one
//     (!GetAtt SiteDistribution.DomainName) makes CreateStack or
//     DescribeStacks fail with HTTP 500, which is why the template has no
//     such output.
//   - Its AWS::ECS::Service ignores LoadBalancers, NetworkConfiguration and
//     LaunchType: the services exist, with the task definition and desired
//     count, but not behind the target groups. Its AWS::ECS::TaskDefinition
//     keeps Family, Memory, Volumes and ContainerDefinitions only (no
//     NetworkMode, RequiresCompatibilities, Cpu, ExecutionRoleArn,
//     RuntimePlatform).
//   - A Ref of a Number parameter arrives as a number where a string is
//     expected (a container environment value makes DescribeTaskDefinition
//     fail to deserialise), hence the template's !Sub "${ContainerPort}".
//   - Its AWS::ElasticLoadBalancingV2::Listener reads only a forward
//     action's TargetGroupArn: the weighted forward (ForwardConfig) fails
//     CreateStack with HTTP 500 (KeyError: 'TargetGroupArn'). See
//     moto.PreludeWeightedListener, and TestMotoListenerDefect.
var skippedByMoto = map[string]string{
	"GreenErrorsAlarm":        "AWS::CloudWatch::Alarm",
	"SiteOriginAccessControl": "AWS::CloudFront::OriginAccessControl",
	"IndexRewriteFunction":    "AWS::CloudFront::Function",
	"SiteDistribution":        "AWS::CloudFront::Distribution",
	"SiteBucketPolicy":        "AWS::S3::BucketPolicy",
}

// outputsDroppedByMoto are outputs that Ref a resource moto skips.
var outputsDroppedByMoto = []string{"DistributionId"}

// template is the part of ferry-reference.yml the test compares with
// what was created.
type template struct {
	Resources map[string]struct {
		Type string `yaml:"Type"`
	} `yaml:"Resources"`
	Outputs map[string]yaml.Node `yaml:"Outputs"`
}

func readTemplate(t *testing.T) (string, template) {
	t.Helper()
	body, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl template
	if err := yaml.Unmarshal(body, &tmpl); err != nil {
		t.Fatalf("parsing %s: %v", templatePath, err)
	}
	return string(body), tmpl
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// TestReferenceStackOnMoto creates the stack with its default parameters
// and checks what an action needs: every output, the weighted listener,
// the target groups, the services, the task definition and the repository;
// then ferry's traffic switcher moves the listener to green with the
// outputs as its inputs.
func TestReferenceStackOnMoto(t *testing.T) {
	t.Parallel()
	body, tmpl := readTemplate(t)
	// A private server: the prelude cannot be applied to a shared one.
	srv := moto.StartForTest(t, moto.Options{Prelude: moto.PreludeWeightedListener})
	cfg := awsConfig(srv.Endpoint)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	cf := cfn.NewFromConfig(cfg)
	const stack = "hello"
	if _, err := cf.CreateStack(ctx, &cfn.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(body),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	}); err != nil {
		t.Fatalf("creating stack %q: %v", stack, err)
	}
	waiter := cfn.NewStackCreateCompleteWaiter(cf, func(o *cfn.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 5*time.Second
	})
	described, err := waiter.WaitForOutput(ctx, &cfn.DescribeStacksInput{StackName: aws.String(stack)}, time.Minute)
	if err != nil {
		t.Fatalf("waiting for stack %q: %v", stack, err)
	}

	t.Run("resources", func(t *testing.T) {
		res, err := cf.DescribeStackResources(ctx, &cfn.DescribeStackResourcesInput{StackName: aws.String(stack)})
		if err != nil {
			t.Fatal(err)
		}
		created := map[string]cfntypes.StackResource{}
		for _, r := range res.StackResources {
			created[aws.ToString(r.LogicalResourceId)] = r
		}
		for _, id := range slices.Sorted(maps.Keys(tmpl.Resources)) {
			typ := tmpl.Resources[id].Type
			r, ok := created[id]
			if skipped, isSkipped := skippedByMoto[id]; isSkipped {
				if skipped != typ {
					t.Errorf("%s: the skip list says %s, the template has %s", id, skipped, typ)
				}
				if ok {
					t.Errorf("%s (%s): moto created it; take it off skippedByMoto and the docs", id, typ)
				}
				continue
			}
			if !ok {
				t.Errorf("%s (%s): want created, missing from the stack", id, typ)
				continue
			}
			if have := aws.ToString(r.ResourceType); have != typ {
				t.Errorf("%s: want type %s, have %s", id, typ, have)
			}
			if r.ResourceStatus != cfntypes.ResourceStatusCreateComplete {
				t.Errorf("%s: want %s, have %s", id, cfntypes.ResourceStatusCreateComplete, r.ResourceStatus)
			}
		}
	})

	outputs := map[string]string{}
	for _, o := range described.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	t.Run("outputs", func(t *testing.T) {
		for _, key := range slices.Sorted(maps.Keys(tmpl.Outputs)) {
			v, ok := outputs[key]
			switch {
			case slices.Contains(outputsDroppedByMoto, key):
				if ok {
					t.Errorf("output %s: moto now returns it (%q); take it off outputsDroppedByMoto", key, v)
				}
			case !ok || v == "":
				t.Errorf("output %s: want a value, have none", key)
			}
		}
		for key, want := range map[string]string{
			"ClusterName":          "hello",
			"BlueServiceName":      "hello-blue",
			"GreenServiceName":     "hello-green",
			"TaskDefinitionFamily": "hello",
			"RepositoryName":       "hello",
			"AlarmName":            "hello-green-5xx",
			"SitePrefix":           "site",
		} {
			if have := outputs[key]; have != want {
				t.Errorf("output %s: want %q, have %q", key, want, have)
			}
		}
		if have := outputs["ServiceUrl"]; !strings.HasPrefix(have, "http://") || !strings.HasSuffix(have, ".elb.amazonaws.com/") {
			t.Errorf("output ServiceUrl: want http://<alb>.elb.amazonaws.com/, have %q", have)
		}
	})

	elbClient := elb.NewFromConfig(cfg)
	blue, green := outputs["BlueTargetGroupArn"], outputs["GreenTargetGroupArn"]
	t.Run("listener forwards 100/0 to blue and green", func(t *testing.T) {
		out, err := elbClient.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{outputs["ListenerArn"]}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Listeners) != 1 {
			t.Fatalf("want 1 listener, have %d", len(out.Listeners))
		}
		l := out.Listeners[0]
		if aws.ToInt32(l.Port) != 80 || l.Protocol != elbtypes.ProtocolEnumHttp {
			t.Errorf("want HTTP on 80, have %s on %d", l.Protocol, aws.ToInt32(l.Port))
		}
		if len(l.DefaultActions) != 1 || l.DefaultActions[0].ForwardConfig == nil {
			t.Fatalf("want one weighted forward action, have %+v", l.DefaultActions)
		}
		var have []string
		for _, tg := range l.DefaultActions[0].ForwardConfig.TargetGroups {
			have = append(have, fmt.Sprintf("%s=%d", aws.ToString(tg.TargetGroupArn), aws.ToInt32(tg.Weight)))
		}
		want := []string{blue + "=100", green + "=0"}
		if !slices.Equal(have, want) {
			t.Errorf("forward (ARN=weight):\nwant %q\nhave %q", want, have)
		}
	})

	t.Run("target groups", func(t *testing.T) {
		out, err := elbClient.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{blue, green}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TargetGroups) != 2 {
			t.Fatalf("want 2 target groups, have %d", len(out.TargetGroups))
		}
		for _, tg := range out.TargetGroups {
			name := aws.ToString(tg.TargetGroupName)
			if name != "hello-blue" && name != "hello-green" {
				t.Errorf("target group name: want hello-blue or hello-green, have %q", name)
			}
			if tg.TargetType != elbtypes.TargetTypeEnumIp || aws.ToString(tg.HealthCheckPath) != "/healthz" || aws.ToInt32(tg.Port) != 8080 {
				t.Errorf("%s: want ip targets on 8080 checked on /healthz, have %s on %d checked on %q",
					name, tg.TargetType, aws.ToInt32(tg.Port), aws.ToString(tg.HealthCheckPath))
			}
		}
	})

	t.Run("subnets in two zones", func(t *testing.T) {
		out, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("tag:aws:cloudformation:stack-name"), Values: []string{stack}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		zones := map[string]bool{}
		for _, s := range out.Subnets {
			zones[aws.ToString(s.AvailabilityZone)] = true
		}
		if len(out.Subnets) != 2 || len(zones) != 2 {
			t.Errorf("want 2 subnets in 2 zones, have %d in %v", len(out.Subnets), slices.Sorted(maps.Keys(zones)))
		}
	})

	ecsClient := ecs.NewFromConfig(cfg)
	t.Run("services and task definition", func(t *testing.T) {
		out, err := ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{
			Cluster:  aws.String(outputs["ClusterName"]),
			Services: []string{outputs["BlueServiceName"], outputs["GreenServiceName"]},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Services) != 2 || len(out.Failures) != 0 {
			t.Fatalf("want both services, have %d (failures %+v)", len(out.Services), out.Failures)
		}
		for _, s := range out.Services {
			if aws.ToString(s.Status) != "ACTIVE" || s.DesiredCount != 0 {
				t.Errorf("service %s: want ACTIVE with desired count 0, have %s with %d", aws.ToString(s.ServiceName), aws.ToString(s.Status), s.DesiredCount)
			}
		}
		td, err := ecsClient.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(outputs["TaskDefinitionFamily"])})
		if err != nil {
			t.Fatal(err)
		}
		// moto keeps only the family, memory, volumes and containers (see
		// the top of this file): no network mode or compatibilities to check.
		d := td.TaskDefinition
		if len(d.ContainerDefinitions) != 1 {
			t.Fatalf("task definition: want 1 container, have %d", len(d.ContainerDefinitions))
		}
		c := d.ContainerDefinitions[0]
		wantImage := outputs["RepositoryUri"] + ":latest"
		if aws.ToString(c.Name) != "hello" || aws.ToString(c.Image) != wantImage ||
			len(c.PortMappings) != 1 || aws.ToInt32(c.PortMappings[0].ContainerPort) != 8080 {
			t.Errorf("container: want hello, %s, port 8080; have %s, %s, %+v", wantImage, aws.ToString(c.Name), aws.ToString(c.Image), c.PortMappings)
		}
	})

	t.Run("repository", func(t *testing.T) {
		out, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{outputs["RepositoryName"]}})
		if err != nil {
			t.Fatal(err)
		}
		if have := aws.ToString(out.Repositories[0].RepositoryUri); have != outputs["RepositoryUri"] {
			t.Errorf("repository URI: want %q (output), have %q", outputs["RepositoryUri"], have)
		}
		// The flows promote by digest and tag each commit once: a tag,
		// once written, names those bytes for good.
		if have := out.Repositories[0].ImageTagMutability; have != ecrtypes.ImageTagMutabilityImmutable {
			t.Errorf("repository tags: want IMMUTABLE, have %q", have)
		}
	})

	// The outputs are redirect-traffic's inputs: ferry reads the weights
	// and moves the listener to green. Nothing is registered in the target
	// groups (moto's ECS services are not behind them), so the health gate
	// is off.
	t.Run("ferry switches the listener", func(t *testing.T) {
		sw := traffic.New(elbClient, nil, traffic.Config{})
		o := traffic.Options{Listeners: []string{outputs["ListenerArn"]}, Blue: blue, Green: green}
		before, err := sw.Current(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if want := (traffic.Weights{Blue: 100}); before != want {
			t.Errorf("before: want %s, have %s", want, before)
		}
		o.Steps = []traffic.Weights{{Green: 100}}
		if _, err := sw.Run(ctx, o); err != nil {
			t.Fatal(err)
		}
		after, err := sw.Current(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if want := (traffic.Weights{Green: 100}); after != want {
			t.Errorf("after: want %s, have %s", want, after)
		}
	})
}

// TestMotoListenerDefect shows why moto.PreludeWeightedListener exists:
// without it, moto 5.2.1 fails to create the template's weighted listener.
// When this test fails, moto has been fixed: drop the prelude (and its uses
// here and in internal/demo).
func TestMotoListenerDefect(t *testing.T) {
	t.Parallel()
	body, _ := readTemplate(t)
	srv := moto.StartForTest(t, moto.Options{})
	cfg := awsConfig(srv.Endpoint)
	cfg.RetryMaxAttempts = 1
	_, err := cfn.NewFromConfig(cfg).CreateStack(t.Context(), &cfn.CreateStackInput{
		StackName:    aws.String("defect"),
		TemplateBody: aws.String(body),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	})
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("CreateStack on unpatched moto: want HTTP 500 (moto's listener handler cannot take ForwardConfig), have %v", err)
	}
}
