//go:build unix

package cfn_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go/middleware"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/cfn"
)

// stackSetCalls counts the CloudFormation requests a client sends, by
// operation, as they go out (paginated pages each count).
type stackSetCalls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *stackSetCalls) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("stackSetCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// take returns the calls counted since the last take.
func (c *stackSetCalls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func stackSetMotoClient(endpoint string, calls *stackSetCalls) *cloudformation.Client {
	return cloudformation.New(cloudformation.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		APIOptions:   []func(*middleware.Stack) error{calls.add},
	})
}

var stackSetSeq atomic.Int64

const stackSetMotoTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Env:
    Value: !Ref Env
`

// TestStackSetAgainstMoto: a self-managed stack set across two accounts
// and two regions is created (one CREATE operation, four instance
// results), updated with a new parameter value (one UPDATE operation),
// left unchanged by an identical deploy (no operation at all), and given
// a third region (one CREATE operation for the two missing instances, no
// update).
func TestStackSetAgainstMoto(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	calls := &stackSetCalls{n: map[string]int{}}
	client := stackSetMotoClient(endpoint, calls)
	d := cfn.NewStackSetDeployer(client, cfn.StackSetConfig{PollInterval: 10 * time.Millisecond, RetryDelay: 10 * time.Millisecond})

	accounts := []string{"111111111111", "222222222222"}
	plan := cfn.StackSetPlan{
		Name:         fmt.Sprintf("ferry-test-%d-%d", time.Now().UnixNano()%1e9, stackSetSeq.Add(1)),
		TemplateBody: stackSetMotoTemplate,
		Parameters:   map[string]string{"Env": "staging"},
		Tags:         map[string]string{"team": "platform"},
		Accounts:     accounts,
		Regions:      []string{"us-east-1", "eu-west-1"},
		Preferences: cfn.StackSetPreferences{
			MaxConcurrent:     cfn.StackSetAmount{Percentage: 100},
			FailureTolerance:  cfn.StackSetAmount{Count: 1},
			RegionOrder:       []string{"eu-west-1", "us-east-1"},
			RegionConcurrency: "parallel",
		},
	}

	// Create.
	res, err := d.Deploy(ctx, plan)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if res.Status != cfn.StackSetCreated || res.StackSetID == "" || len(res.Operations) != 1 {
		t.Fatalf("create: want created with one operation, have %+v", res)
	}
	wantInstances := func(regions ...string) []cfn.StackSetInstanceResult {
		var out []cfn.StackSetInstanceResult
		for _, a := range accounts {
			for _, r := range slices.Sorted(slices.Values(regions)) {
				out = append(out, cfn.StackSetInstanceResult{Account: a, Region: r, Status: "SUCCEEDED"})
			}
		}
		return out
	}
	op := res.Operations[0]
	if op.Action != "CREATE" || op.Status != "SUCCEEDED" || op.ID == "" {
		t.Errorf("create operation: %+v", op)
	}
	if !reflect.DeepEqual(stackSetWithoutReasons(op.Instances), wantInstances("us-east-1", "eu-west-1")) {
		t.Errorf("create: per-instance results\nwant %+v\nhave %+v", wantInstances("us-east-1", "eu-west-1"), op.Instances)
	}
	stackSetWantCalls(t, "create", calls.take(), map[string]int{
		"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1,
		"DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1,
	})

	// Update: a new parameter value.
	plan.Parameters = map[string]string{"Env": "production"}
	res, err = d.Deploy(ctx, plan)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if res.Status != cfn.StackSetUpdated || !reflect.DeepEqual(res.Changed, []string{"parameters"}) || len(res.Operations) != 1 {
		t.Fatalf("update: want updated (parameters) with one operation, have %+v", res)
	}
	if op := res.Operations[0]; op.Action != "UPDATE" || op.Status != "SUCCEEDED" {
		t.Errorf("update operation: %+v", op)
	}
	// The update names no targets (every instance of the set): AWS lists
	// the four instances; moto lists the targets named, here none.
	for _, r := range res.Operations[0].Instances {
		if r.Status != "SUCCEEDED" || !slices.Contains(accounts, r.Account) {
			t.Errorf("update: instance result %+v", r)
		}
	}
	desc, err := client.DescribeStackSet(ctx, &cloudformation.DescribeStackSetInput{StackSetName: aws.String(plan.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if p := desc.StackSet.Parameters; len(p) != 1 || aws.ToString(p[0].ParameterValue) != "production" {
		t.Errorf("update: deployed parameters %+v", p)
	}
	calls.take()

	// Unchanged: no operation, two reads.
	res, err = d.Deploy(ctx, plan)
	if err != nil || res.Status != cfn.StackSetUnchanged || len(res.Operations) != 0 || len(res.Changed) != 0 {
		t.Fatalf("identical deploy: want unchanged without operations, have %+v %v", res, err)
	}
	stackSetWantCalls(t, "unchanged", calls.take(), map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1})

	// A third region: only the missing instances are created.
	plan.Regions = append(plan.Regions, "ap-southeast-2")
	res, err = d.Deploy(ctx, plan)
	if err != nil {
		t.Fatalf("new region: %v", err)
	}
	if res.Status != cfn.StackSetUpdated || len(res.Changed) != 0 || len(res.Operations) != 1 || res.Operations[0].Action != "CREATE" {
		t.Fatalf("new region: want one CREATE operation and no update, have %+v", res)
	}
	if have := stackSetWithoutReasons(res.Operations[0].Instances); !reflect.DeepEqual(have, wantInstances("ap-southeast-2")) {
		t.Errorf("new region: per-instance results\nwant %+v\nhave %+v", wantInstances("ap-southeast-2"), have)
	}
	stackSetWantCalls(t, "new region", calls.take(), map[string]int{
		"DescribeStackSet": 1, "ListStackInstances": 1, "CreateStackInstances": 1,
		"DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1,
	})
	list, err := client.ListStackInstances(ctx, &cloudformation.ListStackInstancesInput{StackSetName: aws.String(plan.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Summaries) != 6 {
		t.Errorf("want 6 stack instances, have %d", len(list.Summaries))
	}
}

func stackSetWithoutReasons(rs []cfn.StackSetInstanceResult) []cfn.StackSetInstanceResult {
	out := slices.Clone(rs)
	for i := range out {
		out[i].StatusReason = "" // moto writes an account gate message
	}
	return out
}

func stackSetWantCalls(t *testing.T, step string, have, want map[string]int) {
	t.Helper()
	if !maps.Equal(have, want) {
		t.Errorf("%s: calls\nwant %v\nhave %v", step, want, have)
	}
}
