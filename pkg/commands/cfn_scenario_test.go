package commands_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
)

// ---- deploy-cloudformation

func cfnScenarios() []scenario {
	p := moto.PreludeChangeSets
	return []scenario{
		{name: "create with outputs and a stack policy", action: "deploy-cloudformation", motoPrelude: p, chaos: true, setup: cfnCreate},
		{name: "identical stack unchanged", action: "deploy-cloudformation", motoPrelude: p, setup: cfnUnchanged},
		{name: "template through S3, plan", action: "deploy-cloudformation", motoPrelude: p, setup: cfnPlanThroughS3},
		{name: "bucket name taken", action: "deploy-cloudformation", motoPrelude: p, leaks: true, setup: cfnFailure},
		{name: "StackSet across two accounts and two regions", action: "deploy-cloudformation", setup: cfnStackSetCreate},
		{name: "StackSet updated, a region added", action: "deploy-cloudformation", setup: cfnStackSetUpdate},
	}
}

// cfnClients are CloudFormation and S3 clients on moto itself, for
// fixtures and end states.
func cfnClients(endpoint string) (*cloudformation.Client, *s3.Client) {
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	return cloudformation.New(cloudformation.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds}),
		s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, UsePathStyle: true})
}

// stackOf reads a stack from moto.
func stackOf(t *testing.T, cf *cloudformation.Client, name string) cfntypes.Stack {
	t.Helper()
	out, err := cf.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describing stack %s: %v", name, err)
	}
	return out.Stacks[0]
}

// called counts the calls of one IAM action (service:Action) through the proxy.
func called(w *world, name string) int {
	n := 0
	for _, c := range w.aws.Calls() {
		if c.Name() == name {
			n++
		}
	}
	return n
}

const cfnPolicy = `{"Statement":[{"Effect":"Deny","Action":"Update:Replace","Principal":"*","Resource":"*"},{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}`

// cfnCreate: a new stack from a template and parameters, with tags and a
// stack policy. It ends CREATE_COMPLETE with its outputs as step outputs
// and the policy set, faults or not.
func cfnCreate(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	return run{
		with: map[string]string{"stack-name": "scenario-app", "template": writeTemp(t, "stack.yml", cfnTemplate), "parameters": "Count=1",
			"tags": "team=web", "stack-policy": cfnPolicy, "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "created", "stack-status": "CREATE_COMPLETE", "TopicName": "app-dev-1"})
			s := stackOf(t, cf, "scenario-app")
			if s.StackStatus != cfntypes.StackStatusCreateComplete || len(s.Tags) != 1 {
				t.Errorf("stack: want CREATE_COMPLETE with one tag, have %s %v", s.StackStatus, s.Tags)
			}
			out, err := cf.GetStackPolicy(context.Background(), &cloudformation.GetStackPolicyInput{StackName: aws.String("scenario-app")})
			var have, want any
			if err != nil || json.Unmarshal([]byte(aws.ToString(out.StackPolicyBody)), &have) != nil || json.Unmarshal([]byte(cfnPolicy), &want) != nil || !reflect.DeepEqual(have, want) {
				t.Errorf("stack policy: want the one given, have %v (%v)", out, err)
			}
			if n := called(w, "cloudformation:ExecuteChangeSet"); n < 1 {
				t.Errorf("ExecuteChangeSet: want it called, have %d", n)
			}
		},
	}
}

// cfnUnchanged: the stack is already as asked (made by CreateStack with
// the same template and parameters): the run reads it and its template,
// and changes nothing.
func cfnUnchanged(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	if _, err := cf.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String("scenario-same"), TemplateBody: aws.String(cfnTemplate),
		Parameters: []cfntypes.Parameter{{ParameterKey: aws.String("Count"), ParameterValue: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	return run{
		with: map[string]string{"stack-name": "scenario-same", "template": writeTemp(t, "stack.yml", cfnTemplate),
			"parameters": writeTemp(t, "params.json", `{"Count": "2"}`), "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "unchanged", "change-set-id": "", "TopicName": "app-dev-2"})
			if m := w.aws.Mutating(); len(m) > 0 {
				t.Errorf("an unchanged stack got changing calls: %v", m)
			}
		},
	}
}

// cfnPlanThroughS3: a template over the inline limit goes to the template
// bucket; mode plan leaves the change set for review and executes nothing.
func cfnPlanThroughS3(t *testing.T, w *world) run {
	cf, s3c := cfnClients(w.moto)
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("scenario-templates")}); err != nil {
		t.Fatal(err)
	}
	big := cfnTemplate + "# " + strings.Repeat("padding past the inline limit ", 52000/30) + "\n"
	return run{
		with: map[string]string{"stack-name": "scenario-big", "template": writeTemp(t, "big.yml", big), "template-bucket": "scenario-templates",
			"parameters": "Count=3", "mode": "plan", "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "planned", "stack-status": "REVIEW_IN_PROGRESS", "changes": "1"})
			if n := called(w, "cloudformation:ExecuteChangeSet"); n != 0 {
				t.Errorf("ExecuteChangeSet: want none in mode plan, have %d", n)
			}
			if s := stackOf(t, cf, "scenario-big"); s.StackStatus != cfntypes.StackStatusReviewInProgress {
				t.Errorf("stack: want REVIEW_IN_PROGRESS, have %s", s.StackStatus)
			}
			list, err := s3c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("scenario-templates"), Prefix: aws.String("ferry/scenario-big/")})
			if err != nil || len(list.Contents) != 1 {
				t.Errorf("template bucket: want the one template, have %v (%v)", list, err)
			}
		},
	}
}

// cfnFailure: moto fails the stack's bucket (its name is taken) when the
// change set runs: exit 1 naming the cause; moto leaves the stack in
// REVIEW_IN_PROGRESS.
func cfnFailure(t *testing.T, w *world) run {
	_, s3c := cfnClients(w.moto)
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("scenario-taken")}); err != nil {
		t.Fatal(err)
	}
	return run{
		with: map[string]string{"stack-name": "scenario-fail", "timeout": "2m",
			"template": writeTemp(t, "stack.yml", "Resources:\n  Assets:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: scenario-taken\n")},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "failed", "stack-status": "REVIEW_IN_PROGRESS"})
			if !strings.Contains(res.Stderr, "BucketAlreadyExists") || !strings.Contains(res.Summary, "**Failed**") {
				t.Errorf("want the cause in the log and the summary:\n%s\n%s", res.Stderr, res.Summary)
			}
		},
	}
}

// cfnSIGTERM: signalled while the stack is waited for, after the change
// set was executed. ferry stops waiting and cancels nothing: the stack
// operation is CloudFormation's (moto completes it at once), and the log
// says how to follow it.
func cfnSIGTERM(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	rv := newRendezvous()
	var executed atomic.Bool
	return run{
		with: map[string]string{"stack-name": "scenario-term", "template": writeTemp(t, "stack.yml", cfnTemplate), "parameters": "Count=4", "timeout": "2m"},
		script: rv.script(func(c faultproxy.Call, _ int) bool {
			if c.Name() == "cloudformation:ExecuteChangeSet" {
				executed.Store(true)
				return false
			}
			return executed.Load() && c.Name() == "cloudformation:DescribeStacks"
		}),
		start: rv.sigterm(t),
		code:  130,
		check: func(t *testing.T, res actiontest.Result) {
			cancelled(t, res)
			wantOutputs(t, res, map[string]string{"status": "failed"})
			if !strings.HasPrefix(res.Outputs["change-set-name"], "ferry-") {
				t.Errorf("output change-set-name: want the change set executed, have %q", res.Outputs["change-set-name"])
			}
			if s := stackOf(t, cf, "scenario-term"); s.StackStatus != cfntypes.StackStatusCreateComplete {
				t.Errorf("stack: want CloudFormation's operation left to finish (moto: CREATE_COMPLETE), have %s", s.StackStatus)
			}
			if want := "follow it with aws cloudformation describe-stack-events --stack-name scenario-term"; !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		},
	}
}

// stackSetInstances lists a StackSet's instances on moto as
// "account/region STATUS", sorted.
func stackSetInstances(t *testing.T, cf *cloudformation.Client, name string) []string {
	t.Helper()
	out, err := cf.ListStackInstances(context.Background(), &cloudformation.ListStackInstancesInput{StackSetName: aws.String(name)})
	if err != nil {
		t.Fatalf("listing the instances of stack set %s: %v", name, err)
	}
	var have []string
	for _, s := range out.Summaries {
		have = append(have, aws.ToString(s.Account)+"/"+aws.ToString(s.Region)+" "+string(s.Status))
	}
	slices.Sort(have)
	return have
}

// cfnStackSetCreate: a self-managed StackSet with an administration role,
// deployed to two accounts in two regions, eu-west-1 first, in parallel:
// it ends with four CURRENT instances and its parameter value.
func cfnStackSetCreate(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	return run{
		with: map[string]string{"stack-set": "true", "stack-name": "scenario-baseline", "template": writeTemp(t, "baseline.yml", stackSetTemplate),
			"parameters": "Env=prod", "tags": "team=platform", "accounts": "111111111111, 222222222222", "regions": "us-east-1, eu-west-1",
			"administration-role-arn": "arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole",
			"max-concurrent":          "2", "failure-tolerance": "1", "region-order": "eu-west-1", "region-concurrency": "parallel", "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "created"})
			want := []string{"111111111111/eu-west-1 CURRENT", "111111111111/us-east-1 CURRENT", "222222222222/eu-west-1 CURRENT", "222222222222/us-east-1 CURRENT"}
			if have := stackSetInstances(t, cf, "scenario-baseline"); !slices.Equal(have, want) {
				t.Errorf("instances: want %v, have %v", want, have)
			}
			out, err := cf.DescribeStackSet(context.Background(), &cloudformation.DescribeStackSetInput{StackSetName: aws.String("scenario-baseline")})
			if err != nil || len(out.StackSet.Parameters) != 1 || aws.ToString(out.StackSet.Parameters[0].ParameterValue) != "prod" ||
				res.Outputs["stack-set-id"] != aws.ToString(out.StackSet.StackSetId) {
				t.Errorf("stack set: want Env=prod and output stack-set-id its id, have %+v (%v), output %q", out, err, res.Outputs["stack-set-id"])
			}
		},
	}
}

// cfnStackSetUpdate: a StackSet deployed to two accounts in us-east-1
// with Env=staging is asked for Env=prod in us-east-1 and eu-west-1: one
// UPDATE operation (every instance), then one CREATE for the two missing
// instances.
func cfnStackSetUpdate(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	ctx := context.Background()
	accounts := []string{"111111111111", "222222222222"}
	if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String("scenario-shared"), TemplateBody: aws.String(stackSetTemplate),
		Parameters: []cfntypes.Parameter{{ParameterKey: aws.String("Env"), ParameterValue: aws.String("staging")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String("scenario-shared"),
		Accounts: accounts, Regions: []string{"us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	return run{
		with: map[string]string{"stack-set": "true", "stack-name": "scenario-shared", "template": writeTemp(t, "baseline.yml", stackSetTemplate),
			"parameters": "Env=prod", "accounts": strings.Join(accounts, "\n"), "regions": "us-east-1\neu-west-1", "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "updated"})
			if n, m := called(w, "cloudformation:UpdateStackSet"), called(w, "cloudformation:CreateStackInstances"); n != 1 || m != 1 {
				t.Errorf("want one UpdateStackSet and one CreateStackInstances, have %d and %d", n, m)
			}
			if have := stackSetInstances(t, cf, "scenario-shared"); len(have) != 4 {
				t.Errorf("instances: want 4, have %v", have)
			}
			// moto's UPDATE operation lists no instance results (AWS lists
			// every instance it updated): the table holds the CREATE's.
			if !strings.Contains(res.Summary, "Different from the deployed set: parameters.") || !strings.Contains(res.Summary, "| `222222222222` | eu-west-1 | SUCCEEDED |") {
				t.Errorf("summary:\n%s", res.Summary)
			}
		},
	}
}

// cfnStackSetSIGTERM: signalled while a StackSet's CREATE operation is
// waited for. ferry stops waiting and stops nothing: the operation is
// CloudFormation's (moto completes it at once, four instances), and the
// log names it and how to follow it.
func cfnStackSetSIGTERM(t *testing.T, w *world) run {
	cf, _ := cfnClients(w.moto)
	rv := newRendezvous()
	return run{
		with: map[string]string{"stack-set": "true", "stack-name": "scenario-term-set", "template": writeTemp(t, "baseline.yml", stackSetTemplate),
			"parameters": "Env=prod", "accounts": "111111111111, 222222222222", "regions": "us-east-1, eu-west-1", "timeout": "2m"},
		script: rv.script(func(c faultproxy.Call, _ int) bool { return c.Name() == "cloudformation:DescribeStackSetOperation" }),
		start:  rv.sigterm(t),
		code:   130,
		check: func(t *testing.T, res actiontest.Result) {
			cancelled(t, res)
			wantOutputs(t, res, map[string]string{"status": "failed"})
			if have := stackSetInstances(t, cf, "scenario-term-set"); len(have) != 4 {
				t.Errorf("instances: want CloudFormation's operation left to finish (moto: 4 instances), have %v", have)
			}
			if want := `of stack set "scenario-term-set": still in progress (its status not yet read) when the wait ended: context canceled; the operation goes on in CloudFormation: ` +
				"follow it with aws cloudformation describe-stack-set-operation --stack-set-name scenario-term-set --operation-id "; !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		},
	}
}
