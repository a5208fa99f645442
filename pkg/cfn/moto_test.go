//go:build unix

package cfn_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/cfn"
)

// calls counts the AWS operations a client sends, by name.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		c.mu.Lock()
		c.n[middleware.GetOperationName(ctx)]++
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

// take returns the counts so far and starts again.
func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// motoClients are a CloudFormation and an S3 client for a private moto
// patched to give change-set stacks their outputs (moto.PreludeChangeSets),
// counting the calls they send.
func motoClients(t *testing.T) (*cloudformation.Client, *s3.Client, *calls) {
	t.Helper()
	srv := moto.StartForTest(t, moto.Options{Prelude: moto.PreludeChangeSets})
	c := &calls{n: map[string]int{}}
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	cf := cloudformation.New(cloudformation.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), Credentials: creds,
		APIOptions: []func(*middleware.Stack) error{c.add}})
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), Credentials: creds, UsePathStyle: true,
		APIOptions: []func(*middleware.Stack) error{c.add}})
	return cf, s3c, c
}

const motoTemplate = `Parameters:
  Env:
    Type: String
    Default: dev
  Count:
    Type: Number
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub app-${Env}-${Count}
Outputs:
  TopicArn:
    Value: !Ref Topic
  TopicName:
    Value: !GetAtt Topic.TopicName
`

func wantCounts(t *testing.T, what string, have, want map[string]int) {
	t.Helper()
	if fmt.Sprint(have) != fmt.Sprint(want) {
		t.Errorf("%s: calls\nwant %v\nhave %v", what, want, have)
	}
}

// TestMotoCreateThenUnchanged: a stack is created through a change set
// with its outputs; the identical second run reads the stack and its
// template and makes no change set, executes nothing; a new parameter
// value (from a file in the AWS CLI's shape, then in the key-value shape)
// updates it.
func TestMotoCreateThenUnchanged(t *testing.T) {
	t.Parallel()
	cf, _, c := motoClients(t)
	var events []cfn.Event
	d := cfn.New(cf, nil, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6, Events: func(b []cfn.Event) { events = append(events, b...) }})
	ctx := context.Background()
	params, err := cfn.ParseParameterFile([]byte(`[{"ParameterKey":"Count","ParameterValue":"1"}]`))
	if err != nil {
		t.Fatal(err)
	}
	o := cfn.Options{StackName: "moto-app", TemplateBody: motoTemplate, Parameters: params, Mode: cfn.ModeApply,
		Tags: []cfn.Tag{{Key: "team", Value: "web"}}, ChangeSetName: cfn.ChangeSetName("run-1", fixedNow())}
	res, err := d.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for _, out := range res.Outputs {
		outs[out.Key] = out.Value
	}
	if res.Status != cfn.Created || res.StackStatus != "CREATE_COMPLETE" || outs["TopicName"] != "app-dev-1" || !strings.HasPrefix(outs["TopicArn"], "arn:aws:sns:") {
		t.Errorf("create: want created, CREATE_COMPLETE, outputs TopicName and TopicArn, have %s %s %v", res.Status, res.StackStatus, outs)
	}
	if len(res.Changes) != 1 || res.Changes[0].Action != "Add" || res.Changes[0].LogicalID != "Topic" {
		t.Errorf("create: want one Add of Topic, have %+v", res.Changes)
	}
	if len(events) == 0 || events[len(events)-1].Status != "CREATE_COMPLETE" {
		t.Errorf("events: want the stack's, ending CREATE_COMPLETE, have %v", events)
	}
	created := c.take()
	wantCounts(t, "create", created, map[string]int{"DescribeStacks": 2, "CreateChangeSet": 1, "DescribeChangeSet": 2, "ExecuteChangeSet": 1, "DescribeStackEvents": 3})

	o.ChangeSetName = cfn.ChangeSetName("run-2", fixedNow())
	res, err = d.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Unchanged || res.ChangeSetID != "" || len(res.Outputs) != 2 {
		t.Errorf("identical run: want unchanged, no change set, the outputs, have %+v", res)
	}
	wantCounts(t, "identical run", c.take(), map[string]int{"DescribeStacks": 1, "GetTemplate": 1})

	params, err = cfn.ParseParameterFile([]byte(`{"Count": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	o.Parameters, o.ChangeSetName = params, cfn.ChangeSetName("run-3", fixedNow())
	res, err = d.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Updated || res.StackStatus != "UPDATE_COMPLETE" {
		t.Errorf("new value: want updated, have %s %s", res.Status, res.StackStatus)
	}
	if n := c.take()["ExecuteChangeSet"]; n != 1 {
		t.Errorf("new value: ExecuteChangeSet want 1, have %d", n)
	}
}

// TestMotoPlanThenExecute: mode plan makes the change set and leaves the
// stack in REVIEW_IN_PROGRESS; mode execute runs it by name.
func TestMotoPlanThenExecute(t *testing.T) {
	t.Parallel()
	cf, _, c := motoClients(t)
	d := cfn.New(cf, nil, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6})
	ctx := context.Background()
	o := cfn.Options{StackName: "moto-plan", TemplateBody: motoTemplate, Parameters: []cfn.Parameter{{Key: "Count", Value: "1"}},
		Mode: cfn.ModePlan, ChangeSetName: "ferry-plan-1"}
	plan, err := d.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Status != cfn.Planned || plan.StackStatus != "REVIEW_IN_PROGRESS" || plan.ChangeSetID == "" {
		t.Errorf("plan: want planned, REVIEW_IN_PROGRESS, a change set, have %+v", plan)
	}
	wantCounts(t, "plan", c.take(), map[string]int{"DescribeStacks": 1, "CreateChangeSet": 1, "DescribeChangeSet": 2})
	res, err := d.Deploy(ctx, cfn.Options{StackName: "moto-plan", Mode: cfn.ModeExecute, ChangeSetName: "ferry-plan-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Created || res.ChangeSetID != plan.ChangeSetID || len(res.Outputs) != 2 {
		t.Errorf("execute: want created by the plan's change set, with outputs, have %+v", res)
	}
	wantCounts(t, "execute", c.take(), map[string]int{"DescribeStacks": 2, "DescribeChangeSet": 2, "ExecuteChangeSet": 1, "DescribeStackEvents": 3})
}

// TestMotoFailure: moto fails a resource at once (a bucket whose name is
// taken): the run fails naming it and the stack's state; nothing else.
func TestMotoFailure(t *testing.T) {
	t.Parallel()
	cf, s3c, c := motoClients(t)
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("taken-name")}); err != nil {
		t.Fatal(err)
	}
	c.take()
	d := cfn.New(cf, nil, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6})
	res, err := d.Deploy(ctx, cfn.Options{StackName: "moto-fail", Mode: cfn.ModeApply, ChangeSetName: "ferry-fail-1",
		TemplateBody: "Resources:\n  Assets:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: taken-name\n"})
	if err == nil || !strings.Contains(err.Error(), "BucketAlreadyExists") || !strings.Contains(err.Error(), `"ferry-fail-1"`) {
		t.Fatalf("want the execution's failure, naming the bucket's error and the change set, have %v", err)
	}
	if res.Status != cfn.Failed || res.StackStatus != "REVIEW_IN_PROGRESS" {
		t.Errorf("result: want failed, the stack left REVIEW_IN_PROGRESS (moto), have %s %s", res.Status, res.StackStatus)
	}
}

// TestMotoTemplateThroughS3: a template over the inline limit goes to the
// bucket (by content: a rerun writes the same key) and CloudFormation
// reads it by URL; a ferry-reference-sized template below it goes inline.
func TestMotoTemplateThroughS3(t *testing.T) {
	t.Parallel()
	cf, s3c, c := motoClients(t)
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ferry-templates")}); err != nil {
		t.Fatal(err)
	}
	c.take()
	big := motoTemplate + "# " + strings.Repeat("padding to pass the inline limit ", cfn.MaxInlineTemplate/32) + "\n"
	d := cfn.New(cf, s3c, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6, Region: "us-east-1"})
	o := cfn.Options{StackName: "moto-big", TemplateBody: big, TemplateBucket: "ferry-templates", Mode: cfn.ModeApply,
		Parameters: []cfn.Parameter{{Key: "Count", Value: "1"}}, ChangeSetName: "ferry-big-1"}
	res, err := d.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Created || !strings.HasPrefix(res.TemplateURL, "https://ferry-templates.s3.us-east-1.amazonaws.com/ferry/moto-big/") {
		t.Errorf("want created from the uploaded template, have %s %q", res.Status, res.TemplateURL)
	}
	if n := c.take()["PutObject"]; n != 1 {
		t.Errorf("PutObject: want 1, have %d", n)
	}
	o.ChangeSetName = "ferry-big-2"
	if res, err := d.Deploy(ctx, o); err != nil || res.Status != cfn.Unchanged {
		t.Errorf("identical run: want unchanged, have %s, %v", res.Status, err)
	}
	wantCounts(t, "identical run", c.take(), map[string]int{"DescribeStacks": 1, "GetTemplate": 1})

	if _, err := d.Deploy(ctx, cfn.Options{StackName: "moto-big", TemplateBody: big, Mode: cfn.ModeApply}); !errors.As(err, new(*cfn.FieldError)) {
		t.Errorf("no bucket: want a FieldError, have %v", err)
	}
}

// TestMotoReferenceStack: examples/infra/ferry-reference.yml, the stack
// the demo deploys, is created (moto with its listener patch) and a second
// run is unchanged without a change set.
func TestMotoReferenceStack(t *testing.T) {
	t.Parallel()
	_, file, _, _ := runtime.Caller(0)
	body, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "examples", "infra", "ferry-reference.yml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := moto.StartForTest(t, moto.Options{Prelude: moto.PreludeWeightedListener + moto.PreludeChangeSets})
	c := &calls{n: map[string]int{}}
	cf := cloudformation.New(cloudformation.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""), APIOptions: []func(*middleware.Stack) error{c.add}})
	d := cfn.New(cf, nil, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6})
	o := cfn.Options{StackName: "ferry-reference", TemplateBody: string(body), Mode: cfn.ModeApply, Capabilities: []string{"CAPABILITY_IAM"},
		Parameters: []cfn.Parameter{{Key: "BlueDesiredCount", Value: "1"}, {Key: "GreenDesiredCount", Value: "1"}}, ChangeSetName: "ferry-ref-1"}
	res, err := d.Deploy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cfn.Created || len(res.Changes) < 10 || len(res.Outputs) < 5 {
		t.Errorf("create: want created, its resources added, its outputs, have %s, %d changes, %d outputs", res.Status, len(res.Changes), len(res.Outputs))
	}
	c.take()
	o.ChangeSetName = "ferry-ref-2"
	res, err = d.Deploy(context.Background(), o)
	if err != nil || res.Status != cfn.Unchanged {
		t.Fatalf("second run: want unchanged, have %s, %v", res.Status, err)
	}
	wantCounts(t, "second run", c.take(), map[string]int{"DescribeStacks": 1, "GetTemplate": 1})
}

func fixedNow() time.Time { return time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC) }

// TestMotoPlanThenApply: a plan's change set left unexecuted, then an
// apply: the new change set is the waiting stack's (as on AWS), the stack
// is created once, and the next run is unchanged.
func TestMotoPlanThenApply(t *testing.T) {
	t.Parallel()
	cf, _, c := motoClients(t)
	d := cfn.New(cf, nil, cfn.Config{PollInterval: 10e6, MaxPollInterval: 50e6})
	ctx := context.Background()
	o := cfn.Options{StackName: "moto-review", TemplateBody: motoTemplate, Parameters: []cfn.Parameter{{Key: "Count", Value: "5"}}, Mode: cfn.ModePlan, ChangeSetName: "ferry-review-1"}
	plan, err := d.Deploy(ctx, o)
	if err != nil || plan.Status != cfn.Planned {
		t.Fatalf("plan: want planned, have %s, %v", plan.Status, err)
	}
	o.Mode, o.ChangeSetName = cfn.ModeApply, "ferry-review-2"
	res, err := d.Deploy(ctx, o)
	if err != nil || res.Status != cfn.Created || res.StackID != plan.StackID {
		t.Fatalf("apply: want the planned stack created, have %s %s (planned %s), %v", res.Status, res.StackID, plan.StackID, err)
	}
	c.take()
	o.ChangeSetName = "ferry-review-3"
	res, err = d.Deploy(ctx, o)
	if err != nil || res.Status != cfn.Unchanged {
		t.Fatalf("third run: want unchanged, have %s, %v", res.Status, err)
	}
	wantCounts(t, "third run", c.take(), map[string]int{"DescribeStacks": 1, "GetTemplate": 1})
}
