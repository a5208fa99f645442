// Package localstack is the local AWS stack of make demo and the end-to-end
// suite: a private moto_server, an in-memory container registry behind ECR's
// Basic auth, a webhook sink, and the reference infrastructure
// (examples/infra/ferry-reference.yml) with what moto skips of it emulated.
package localstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/awsauth"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

const (
	// Region is where the stack lives.
	Region = "us-east-1"
	// baseRepo is where the demo pushes the scratch-like base image of the
	// daemonless build.
	baseRepo = "base/scratch"
	baseTag  = "1"
)

// Stack is the local stack: moto, the registry and the webhook sink, and the
// stack's resources in moto. Close stops every server it started.
type Stack struct {
	Moto             *moto.Server
	AWS              aws.Config
	Registry         *registrytest.Handler
	RegistryHost     string // 127.0.0.1:<port>
	RegistryUser     string // the registry's credentials: ECR's, from moto
	RegistryPassword string
	Sink             *Sink
	closers          []func() error

	Outputs      map[string]string // the stack's outputs
	Distribution string            // the CloudFront distribution moto did not create
	Alarm        string
	BaseImage    string // regHost/base/scratch:1
}

func (e *Stack) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	return errors.Join(errs...)
}

// serve runs h on a free loopback port until Close.
func (e *Stack) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.closers = append(e.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	return ln.Addr().String(), nil
}

// Start brings up moto, the registry and the sink. On error, what was
// started is stopped.
func Start(ctx context.Context, logf func(string, ...any)) (_ *Stack, err error) {
	e := &Stack{}
	defer func() {
		if err != nil {
			_ = e.Close()
		}
	}()
	if err := moto.EnsureInstalled(ctx); err != nil {
		return nil, err
	}
	// A private server: the preludes cannot be applied to a shared one.
	// PreludeChangeSets gives a stack made by a change set (ferry
	// deploy-cloudformation's way) its outputs, as CloudFormation does.
	// MOTO_ECS_SERVICE_RUNNING=1 makes moto report one running task per
	// service and its deployment COMPLETED, so that a rollout settles.
	e.Moto, err = moto.Start(ctx, moto.Options{
		Env:     []string{"MOTO_ECS_SERVICE_RUNNING=1"},
		Prelude: moto.PreludeWeightedListener + moto.PreludeChangeSets,
	})
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.Moto.Stop)
	logf("moto_server %s on %s (private; with moto.PreludeWeightedListener, moto.PreludeChangeSets and MOTO_ECS_SERVICE_RUNNING=1)", moto.Version, e.Moto.Endpoint)
	e.AWS = aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(e.Moto.Endpoint),
	}

	// moto has no registry: ECR's registry API is served by an in-memory
	// one behind the same Basic auth, AWS:<token>, with the token moto's
	// GetAuthorizationToken hands out; build-push-ecr reaches it through
	// registry-endpoint.
	if e.RegistryUser, e.RegistryPassword, err = ecrCredentials(ctx, ecr.NewFromConfig(e.AWS)); err != nil {
		return nil, err
	}
	e.Registry = registrytest.NewHandler(registrytest.Options{Username: e.RegistryUser, Password: e.RegistryPassword})
	if e.RegistryHost, err = e.serve(e.Registry); err != nil {
		return nil, fmt.Errorf("starting the registry: %w", err)
	}
	logf("registry   http://%s (in memory, Basic auth %s:<ECR token from moto>)", e.RegistryHost, e.RegistryUser)

	e.Sink = &Sink{}
	addr, err := e.serve(e.Sink)
	if err != nil {
		return nil, fmt.Errorf("starting the webhook sink: %w", err)
	}
	e.Sink.URL = "http://" + addr + "/hook"
	logf("webhook    %s (records what notify posts)", e.Sink.URL)
	return e, nil
}

// ecrCredentials decodes the user and password of moto's ECR token.
func ecrCredentials(ctx context.Context, c *ecr.Client) (string, string, error) {
	out, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", "", fmt.Errorf("getting an ECR token from moto: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return "", "", errors.New("getting an ECR token from moto: no authorization data")
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return "", "", fmt.Errorf("decoding moto's ECR token: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("decoding moto's ECR token: no user:password")
	}
	return user, pass, nil
}

// The reference stack as make demo and the end-to-end suite deploy it.
const (
	// StackName is the reference stack's name.
	StackName = "hello"
	// TemplatePath is the reference infrastructure, from the repository root.
	TemplatePath = "examples/infra/ferry-reference.yml"
	// Capability is the capability the template needs (it makes IAM roles).
	Capability = "CAPABILITY_IAM"
)

// ReferenceParameters are the reference stack's parameters, as Key=Value
// lines (deploy-cloudformation's parameters input). One task each: the
// services run (on moto, MOTO_ECS_SERVICE_RUNNING says so) and deploy-ecs
// needs no desired-count, so that its second run can be "unchanged".
func ReferenceParameters() []string {
	return []string{"BlueDesiredCount=1", "GreenDesiredCount=1"}
}

// referenceOutputs are the outputs the demo and the end-to-end suite read.
var referenceOutputs = []string{"ClusterName", "GreenServiceName", "ListenerArn", "BlueTargetGroupArn", "GreenTargetGroupArn",
	"AlarmName", "RepositoryName", "BucketName", "SitePrefix"}

// CreateReferenceStack creates the reference stack through the SDK
// (CreateStack, then the SDK's waiter), reads its outputs, and emulates
// what moto skips of it (EmulateSkipped). make demo creates the stack with
// ferry deploy-cloudformation instead, then calls SetOutputs and
// EmulateSkipped itself.
func (e *Stack) CreateReferenceStack(ctx context.Context, root string, logf func(string, ...any)) error {
	body, err := os.ReadFile(filepath.Join(root, TemplatePath))
	if err != nil {
		return err
	}
	var params []cfntypes.Parameter
	for _, kv := range ReferenceParameters() {
		k, v, _ := strings.Cut(kv, "=")
		params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	cf := cfn.NewFromConfig(e.AWS)
	if _, err := cf.CreateStack(ctx, &cfn.CreateStackInput{
		StackName:    aws.String(StackName),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{Capability},
		Parameters:   params,
	}); err != nil {
		return fmt.Errorf("creating stack %q: %w", StackName, err)
	}
	waiter := cfn.NewStackCreateCompleteWaiter(cf, func(o *cfn.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
	})
	described, err := waiter.WaitForOutput(ctx, &cfn.DescribeStacksInput{StackName: aws.String(StackName)}, time.Minute)
	if err != nil {
		return fmt.Errorf("waiting for stack %q: %w", StackName, err)
	}
	outputs := map[string]string{}
	for _, o := range described.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if err := e.SetOutputs(outputs); err != nil {
		return err
	}
	logf("stack %q: CREATE_COMPLETE from %s (%d outputs)", StackName, TemplatePath, len(e.Outputs))
	return e.EmulateSkipped(ctx, logf)
}

// SetOutputs keeps the reference stack's outputs, however the stack was
// deployed; it fails naming every output the later steps need and the
// stack lacks.
func (e *Stack) SetOutputs(outputs map[string]string) error {
	var missing []string
	for _, k := range referenceOutputs {
		if outputs[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("stack %q: outputs %s missing", StackName, strings.Join(missing, ", "))
	}
	e.Outputs = outputs
	return nil
}

// EmulateSkipped makes what moto 5.2.1 skips of the reference template
// (examples/infra/infra_test.go lists it) through the APIs it does model:
// the CloudFront distribution, the 5xx alarm (in OK) and one IP target in
// each target group. Call it once, after the stack's creation and
// SetOutputs; it sets Distribution and Alarm.
func (e *Stack) EmulateSkipped(ctx context.Context, logf func(string, ...any)) error {
	if e.Outputs == nil {
		return errors.New("emulating what moto skips: the stack's outputs are not set (SetOutputs)")
	}
	var err error
	if e.Distribution, err = e.createDistribution(ctx); err != nil {
		return err
	}
	logf("emulated: CloudFront distribution %s for the bucket (moto has no AWS::CloudFront::Distribution)", e.Distribution)
	if err := e.createAlarm(ctx); err != nil {
		return err
	}
	logf("emulated: alarm %q in OK (moto has no AWS::CloudWatch::Alarm)", e.Alarm)
	targets, err := e.registerTargets(ctx)
	if err != nil {
		return err
	}
	logf("emulated: IP targets %s registered in the blue and green target groups: on AWS, ECS registers each task's IP;"+
		" moto's services are not behind their target groups, and the health gates want a healthy target", targets)
	return nil
}

func (e *Stack) createDistribution(ctx context.Context) (string, error) {
	bucket := e.Outputs["BucketName"]
	origin := "s3-" + bucket
	out, err := cloudfront.NewFromConfig(e.AWS).CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
		DistributionConfig: &cftypes.DistributionConfig{
			CallerReference:   aws.String("ferry-demo-" + bucket),
			Comment:           aws.String("hello static site (ferry demo)"),
			Enabled:           aws.Bool(true),
			DefaultRootObject: aws.String("index.html"),
			Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
				Id:             aws.String(origin),
				DomainName:     aws.String(bucket + ".s3." + Region + ".amazonaws.com"),
				OriginPath:     aws.String("/" + e.Outputs["SitePrefix"]),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
				TargetOriginId:       aws.String(origin),
				ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
				CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), // CachingOptimized, as in the template
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("creating the CloudFront distribution: %w", err)
	}
	return aws.ToString(out.Distribution.Id), nil
}

func (e *Stack) createAlarm(ctx context.Context) error {
	e.Alarm = e.Outputs["AlarmName"]
	cw := cloudwatch.NewFromConfig(e.AWS, awsauth.CloudWatchQuery)
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(e.Alarm),
		Namespace:          aws.String("AWS/ApplicationELB"),
		MetricName:         aws.String("HTTPCode_Target_5XX_Count"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String(e.Outputs["GreenTargetGroupArn"])}},
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(5),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData:   aws.String("notBreaching"),
	}); err != nil {
		return fmt.Errorf("creating alarm %q: %w", e.Alarm, err)
	}
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(e.Alarm), StateValue: cwtypes.StateValueOk, StateReason: aws.String("ferry demo"),
	}); err != nil {
		return fmt.Errorf("setting alarm %q to OK: %w", e.Alarm, err)
	}
	return nil
}

// registerTargets puts one IP target (in the stack's first subnet) in each
// target group; moto reports IP targets healthy.
func (e *Stack) registerTargets(ctx context.Context) (string, error) {
	c := elb.NewFromConfig(e.AWS)
	var ips []string
	for i, tg := range []string{e.Outputs["BlueTargetGroupArn"], e.Outputs["GreenTargetGroupArn"]} {
		ip := fmt.Sprintf("10.42.0.%d", 10*(i+1))
		if _, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{
			TargetGroupArn: aws.String(tg),
			Targets:        []elbtypes.TargetDescription{{Id: aws.String(ip), Port: aws.Int32(8080)}},
		}); err != nil {
			return "", fmt.Errorf("registering %s in %q: %w", ip, tg, err)
		}
		ips = append(ips, ip)
	}
	return strings.Join(ips, ", "), nil
}

// PushBase pushes the base of the daemonless build: an image with no layer
// (FROM scratch) for linux/amd64, the same bytes every time.
func (e *Stack) PushBase(ctx context.Context) error {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		OS: "linux", Architecture: "amd64",
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return err
	}
	e.BaseImage = e.RegistryHost + "/" + baseRepo + ":" + baseTag
	ref, err := name.ParseReference(e.BaseImage)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: e.RegistryUser, Password: e.RegistryPassword})); err != nil {
		return fmt.Errorf("pushing the base image %q: %w", e.BaseImage, err)
	}
	return nil
}

// Weights reads the listener's blue and green weights.
func (e *Stack) Weights(ctx context.Context) (traffic.Weights, error) {
	out, err := elb.NewFromConfig(e.AWS).DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{e.Outputs["ListenerArn"]}})
	if err != nil {
		return traffic.Weights{}, fmt.Errorf("describing the listener: %w", err)
	}
	for _, l := range out.Listeners {
		for _, a := range l.DefaultActions {
			if a.ForwardConfig == nil {
				continue
			}
			var w traffic.Weights
			for _, tg := range a.ForwardConfig.TargetGroups {
				switch aws.ToString(tg.TargetGroupArn) {
				case e.Outputs["BlueTargetGroupArn"]:
					w.Blue = aws.ToInt32(tg.Weight)
				case e.Outputs["GreenTargetGroupArn"]:
					w.Green = aws.ToInt32(tg.Weight)
				}
			}
			return w, nil
		}
	}
	return traffic.Weights{}, errors.New("the listener has no weighted forward action")
}

// sink is the webhook endpoint notify posts to; it keeps every payload.
type Sink struct {
	// URL is where notify posts, e.g. http://127.0.0.1:PORT/hook.
	URL string

	mu    sync.Mutex
	posts []map[string]any
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var payload map[string]any
	if err == nil {
		err = json.Unmarshal(body, &payload)
	}
	if err != nil {
		http.Error(w, "want a JSON object: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.posts = append(s.posts, payload)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Received returns the payloads posted so far.
func (s *Sink) Received() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.posts...)
}
