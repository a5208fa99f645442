package cfn_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

const (
	stackSetTemplateV1 = `{"Resources":{"Handle":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`
	stackSetTemplateV2 = `{"Resources":{"Handle":{"Type":"AWS::CloudFormation::WaitConditionHandle"},"Other":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`
)

func stackSetPlan() cfn.StackSetPlan {
	return cfn.StackSetPlan{
		Name:         "web",
		TemplateBody: stackSetTemplateV1,
		Parameters:   map[string]string{"Env": "prod"},
		Accounts:     []string{"111111111111", "222222222222"},
		Regions:      []string{"us-east-1", "eu-west-1"},
	}
}

func stackSetFastConfig() cfn.StackSetConfig {
	return cfn.StackSetConfig{PollInterval: time.Millisecond, MaxPollInterval: 4 * time.Millisecond, RetryDelay: time.Millisecond, MaxRetryDelay: 4 * time.Millisecond}
}

// TestStackSetPlanValidate: every problem at once, each against its field.
func TestStackSetPlanValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*cfn.StackSetPlan)
		want []string // Error() of each problem, in order
	}{
		{"valid self-managed", func(*cfn.StackSetPlan) {}, nil},
		{"valid service-managed", func(p *cfn.StackSetPlan) {
			p.Accounts = nil
			p.OrganizationalUnits = []string{"ou-ab12-cdefgh34", "r-ab12"}
			p.AutoDeployment = &cfn.StackSetAutoDeployment{Enabled: true, RetainStacksOnAccountRemoval: true}
			p.CallAs = "delegated-admin"
			p.Preferences = cfn.StackSetPreferences{MaxConcurrent: cfn.StackSetAmount{Percentage: 50}, FailureTolerance: cfn.StackSetAmount{Count: 2},
				RegionOrder: []string{"eu-west-1"}, RegionConcurrency: "Parallel", ConcurrencyMode: "soft"}
		}, nil},
		{"nothing", func(p *cfn.StackSetPlan) { *p = cfn.StackSetPlan{} }, []string{
			`StackSetName: expected a stack set name: a letter, then letters, digits and hyphens, at most 128, found none`,
			`StackSetTemplate: expected a template, found none`,
			`StackSetAccounts or StackSetOrganizationalUnits: expected the accounts or the organizational units to deploy to, found neither`,
			`StackSetRegions: expected the regions to deploy to, such as us-east-1, found none`,
		}},
		{"targets", func(p *cfn.StackSetPlan) {
			p.Accounts = []string{"1234", "111111111111", "111111111111"}
			p.OrganizationalUnits = []string{"ou-x"}
			p.Regions = []string{"us-east-1", "Europe", "us-east-1"}
			p.AdministrationRoleARN = "arn:aws:iam::123456789012:role/Admin"
		}, []string{
			`StackSetAccounts or StackSetOrganizationalUnits: expected accounts (self-managed) or organizational units (service-managed), not both, found both`,
			`StackSetAccounts: expected 12-digit AWS account ids, found "1234"`,
			`StackSetAccounts: expected each value once, found "111111111111" twice`,
			`StackSetOrganizationalUnits: expected organizational unit ids ("ou-…") or a root id ("r-…"), found "ou-x"`,
			`StackSetRegions: expected AWS regions such as eu-west-1, found "Europe"`,
			`StackSetRegions: expected each value once, found "us-east-1" twice`,
			`StackSetAdministrationRole: expected no administration role with organizational units (service-managed permissions), found "arn:aws:iam::123456789012:role/Admin"`,
		}},
		{"template both", func(p *cfn.StackSetPlan) { p.TemplateURL = "https://b.s3.amazonaws.com/t.yml" }, []string{
			`StackSetTemplate: expected a template body or a template URL, not both, found both`}},
		{"template too large", func(p *cfn.StackSetPlan) { p.TemplateBody = strings.Repeat("#", cfn.StackSetMaxTemplateBody+1) }, []string{
			`StackSetTemplate: expected a template body of at most 51200 bytes (larger ones go through an S3 URL), found 51201 bytes`}},
		{"template URL not https", func(p *cfn.StackSetPlan) { p.TemplateBody, p.TemplateURL = "", "s3://b/t.yml" }, []string{
			`StackSetTemplate: expected an https:// URL of the template in S3, found "s3://b/t.yml"`}},
		{"parameters tags capabilities", func(p *cfn.StackSetPlan) {
			p.Parameters = map[string]string{"Env": "prod", "bad-key": "x"}
			p.Tags = map[string]string{"aws:owner": "x", "team": strings.Repeat("v", 257)}
			p.Capabilities = []string{"CAPABILITY_IAM", "IAM"}
		}, []string{
			`StackSetParameters: expected parameter names of letters and digits, found "bad-key"`,
			`StackSetTags: expected tag keys of 1 to 128 characters, not starting with "aws:", found "aws:owner"`,
			`StackSetTags: expected tag values of at most 256 characters, found 257 characters for "team"`,
			`StackSetCapabilities: expected one of CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND, found "IAM"`,
		}},
		{"self-managed roles and auto-deployment", func(p *cfn.StackSetPlan) {
			p.AdministrationRoleARN = "AdminRole"
			p.ExecutionRoleName = "arn:aws:iam::111111111111:role/Exec"
			p.AutoDeployment = &cfn.StackSetAutoDeployment{RetainStacksOnAccountRemoval: true}
			p.CallAs = "delegated-admin"
		}, []string{
			`StackSetAdministrationRole: expected an IAM role ARN such as arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole, found "AdminRole"`,
			`StackSetExecutionRole: expected an IAM role name (not an ARN) such as AWSCloudFormationStackSetExecutionRole, found "arn:aws:iam::111111111111:role/Exec"`,
			`StackSetAutoDeployment: expected automatic deployment only with organizational units (service-managed permissions), found accounts`,
			`StackSetAutoDeployment: expected retaining stacks on account removal only with automatic deployment enabled, found automatic deployment disabled`,
			`StackSetCallAs: expected self with accounts (a delegated administrator deploys to organizational units), found "delegated-admin"`,
		}},
		{"preferences", func(p *cfn.StackSetPlan) {
			p.CallAs = "admin"
			p.Preferences = cfn.StackSetPreferences{
				MaxConcurrent:     cfn.StackSetAmount{Count: 2, Percentage: 50},
				FailureTolerance:  cfn.StackSetAmount{Count: -1, Percentage: 101},
				RegionOrder:       []string{"eu-west-1", "eu-west-1", "ap-south-1"},
				RegionConcurrency: "all-at-once",
				ConcurrencyMode:   "lenient",
			}
		}, []string{
			`StackSetCallAs: expected self or delegated-admin, found "admin"`,
			`StackSetMaxConcurrent: expected a count or a percentage, not both, found 2 and 50%`,
			`StackSetFailureTolerance: expected a count or a percentage, not both, found -1 and 101%`,
			`StackSetFailureTolerance: expected a count of at least 0, found -1`,
			`StackSetFailureTolerance: expected a percentage of 0 to 100, found 101%`,
			`StackSetRegionOrder: expected each region once, found "eu-west-1" twice`,
			`StackSetRegionOrder: expected regions among those deployed to (us-east-1, eu-west-1), found "ap-south-1"`,
			`StackSetRegionConcurrency: expected sequential or parallel, found "all-at-once"`,
			`StackSetConcurrencyMode: expected strict-failure-tolerance or soft-failure-tolerance, found "lenient"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := stackSetPlan()
			tt.edit(&p)
			err := p.Validate()
			var have []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var fe *cfn.StackSetFieldError
					if !errors.As(e, &fe) {
						t.Errorf("problem %q is not a *StackSetFieldError", e)
					}
					have = append(have, e.Error())
				}
			}
			if !reflect.DeepEqual(have, tt.want) {
				t.Errorf("problems:\nhave %q\nwant %q", have, tt.want)
			}
		})
	}
}

func TestStackSetFieldErrorMessage(t *testing.T) {
	t.Parallel()
	names := map[cfn.StackSetField]string{cfn.StackSetFieldAccounts: "accounts", cfn.StackSetFieldOrganizationalUnits: "organizational-units"}
	for _, f := range cfn.StackSetFields() {
		if _, ok := names[f]; !ok {
			names[f] = strings.ToLower(strings.TrimPrefix(string(f), "StackSet"))
		}
	}
	if len(names) != len(cfn.StackSetFields()) {
		t.Errorf("StackSetFields lists a field twice: %q", cfn.StackSetFields())
	}
	p := stackSetPlan()
	p.Accounts = nil
	p.Preferences.MaxConcurrent = cfn.StackSetAmount{Count: 1, Percentage: 10}
	var msgs []string
	for _, e := range p.Validate().(interface{ Unwrap() []error }).Unwrap() {
		msgs = append(msgs, e.(*cfn.StackSetFieldError).Message(func(f cfn.StackSetField) string { return names[f] }))
	}
	want := []string{
		`inputs "accounts" or "organizational-units": expected the accounts or the organizational units to deploy to, found neither`,
		`input "maxconcurrent": expected a count or a percentage, not both, found 1 and 10%`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages:\nhave %q\nwant %q", msgs, want)
	}
}

func TestParseStackSetAmount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want cfn.StackSetAmount
		err  string
	}{
		{"", cfn.StackSetAmount{}, ""},
		{"3", cfn.StackSetAmount{Count: 3}, ""},
		{" 25% ", cfn.StackSetAmount{Percentage: 25}, ""},
		{"100%", cfn.StackSetAmount{Percentage: 100}, ""},
		{"101%", cfn.StackSetAmount{}, `StackSetMaxConcurrent: expected a number of accounts such as 2 or a percentage such as 25%, found "101%"`},
		{"-1", cfn.StackSetAmount{}, `StackSetMaxConcurrent: expected a number of accounts such as 2 or a percentage such as 25%, found "-1"`},
		{"half", cfn.StackSetAmount{}, `StackSetMaxConcurrent: expected a number of accounts such as 2 or a percentage such as 25%, found "half"`},
	} {
		have, err := cfn.ParseStackSetAmount(cfn.StackSetFieldMaxConcurrent, tt.in)
		if have != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("ParseStackSetAmount(%q) = %+v, %v; want %+v, %s", tt.in, have, err, tt.want, tt.err)
		}
		if err == nil && tt.in != "" && have.String() != strings.TrimSpace(tt.in) {
			t.Errorf("%+v.String() = %q, want %q", have, have.String(), strings.TrimSpace(tt.in))
		}
	}
}

// stackSetScenario is one deploy against the fake.
type stackSetScenario struct {
	name    string
	setup   func(*stackSetFake)
	edit    func(*cfn.StackSetPlan)
	timeout time.Duration // 0: none
	status  cfn.StackSetStatus
	errIs   error  // the error matches it; nil: no error
	errHas  string // the error says it
	calls   map[string]int
	check   func(*testing.T, *stackSetFake, cfn.StackSetResult, error)
}

func stackSetScenarios() []stackSetScenario {
	return []stackSetScenario{
		{
			name:   "create across two accounts and two regions",
			status: cfn.StackSetCreated,
			edit: func(p *cfn.StackSetPlan) {
				p.Tags = map[string]string{"team": "platform"}
				p.Capabilities = []string{"CAPABILITY_NAMED_IAM"}
				p.Preferences = cfn.StackSetPreferences{MaxConcurrent: cfn.StackSetAmount{Percentage: 50}, FailureTolerance: cfn.StackSetAmount{Count: 1},
					RegionOrder: []string{"eu-west-1"}, RegionConcurrency: "parallel", ConcurrencyMode: "soft-failure-tolerance"}
			},
			calls: map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				c := f.creates[0]
				if c.PermissionModel != types.PermissionModelsSelfManaged || len(c.Capabilities) != 1 || len(c.Tags) != 1 || aws.ToString(c.TemplateBody) != stackSetTemplateV1 {
					t.Errorf("CreateStackSet input: %+v", c)
				}
				in := f.instCalls[0]
				if !reflect.DeepEqual(in.Accounts, []string{"111111111111", "222222222222"}) || !reflect.DeepEqual(in.Regions, []string{"us-east-1", "eu-west-1"}) {
					t.Errorf("CreateStackInstances targets: %q × %q", in.Accounts, in.Regions)
				}
				pr := in.OperationPreferences
				if pr == nil || aws.ToInt32(pr.MaxConcurrentPercentage) != 50 || pr.MaxConcurrentCount != nil || aws.ToInt32(pr.FailureToleranceCount) != 1 ||
					!reflect.DeepEqual(pr.RegionOrder, []string{"eu-west-1"}) || pr.RegionConcurrencyType != types.RegionConcurrencyTypeParallel || pr.ConcurrencyMode != types.ConcurrencyModeSoftFailureTolerance {
					t.Errorf("operation preferences: %+v", pr)
				}
				want := []cfn.StackSetInstanceResult{
					{Account: "111111111111", Region: "eu-west-1", Status: "SUCCEEDED"}, {Account: "111111111111", Region: "us-east-1", Status: "SUCCEEDED"},
					{Account: "222222222222", Region: "eu-west-1", Status: "SUCCEEDED"}, {Account: "222222222222", Region: "us-east-1", Status: "SUCCEEDED"},
				}
				if !reflect.DeepEqual(res.Instances(), want) {
					t.Errorf("instances:\nhave %+v\nwant %+v", res.Instances(), want)
				}
				if id := res.Operations[0].ID; !strings.HasPrefix(id, aws.ToString(f.creates[0].ClientRequestToken)+"-create-") {
					t.Errorf("operation id %q does not carry the run id %q", id, aws.ToString(f.creates[0].ClientRequestToken))
				}
			},
		},
		{
			name: "unchanged: identical template and parameters, instances current, listed over two pages",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod"}, stackSetAccounts, stackSetRegions)
				f.pageSize = 3
			},
			status: cfn.StackSetUnchanged,
			calls:  map[string]int{"DescribeStackSet": 1, "ListStackInstances": 2},
		},
		{
			name: "update: a new template; the operation queued then running a while",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod"}, stackSetAccounts, stackSetRegions)
				f.statuses = []types.StackSetOperationStatus{types.StackSetOperationStatusQueued, "RUNNING", "RUNNING", "RUNNING"}
			},
			edit:   func(p *cfn.StackSetPlan) { p.TemplateBody = stackSetTemplateV2 },
			status: cfn.StackSetUpdated,
			calls:  map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1, "UpdateStackSet": 1, "DescribeStackSetOperation": 5, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				if !reflect.DeepEqual(res.Changed, []string{"template"}) || len(res.Instances()) != 4 || res.Operations[0].Action != "UPDATE" {
					t.Errorf("result: %+v", res)
				}
			},
		},
		{
			name: "busy with another operation: waited for and retried with the same operation id",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod"}, stackSetAccounts, stackSetRegions)
				f.busy = 3
			},
			edit:   func(p *cfn.StackSetPlan) { p.Parameters["Env"] = "staging" },
			status: cfn.StackSetUpdated,
			calls:  map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1, "UpdateStackSet": 4, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, _ cfn.StackSetResult, _ error) {
				for _, u := range f.updates[1:] {
					if aws.ToString(u.OperationId) != aws.ToString(f.updates[0].OperationId) {
						t.Errorf("retry with operation id %q, want %q", aws.ToString(u.OperationId), aws.ToString(f.updates[0].OperationId))
					}
				}
			},
		},
		{
			name: "busy until the deadline",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod"}, stackSetAccounts, stackSetRegions)
				f.busy = 1 << 30
			},
			edit:    func(p *cfn.StackSetPlan) { p.Parameters["Env"] = "staging" },
			timeout: 50 * time.Millisecond,
			status:  cfn.StackSetFailed,
			errIs:   context.DeadlineExceeded,
			errHas:  `starting the update operation of stack set "web": still busy with another operation after`,
			check: func(t *testing.T, f *stackSetFake, _ cfn.StackSetResult, _ error) {
				if c := f.Calls(); c["UpdateStackSet"] < 3 || c["DescribeStackSetOperation"] != 0 {
					t.Errorf("want several UpdateStackSet attempts and no operation, have %v", c)
				}
			},
		},
		{
			name: "failure past the tolerance: the failed instance named with its reason, the next region cancelled",
			setup: func(f *stackSetFake) {
				f.fail["222222222222/us-east-1"] = "Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'."
			},
			status: cfn.StackSetFailed,
			errIs:  cfn.ErrStackSetFailed,
			errHas: `; 1 failed instance(s): 222222222222/us-east-1 FAILED: Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role`,
			calls:  map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, err error) {
				var oe *cfn.StackSetOperationError
				if !errors.As(err, &oe) || len(oe.Failed()) != 1 || oe.Operation.Status != "FAILED" || oe.Operation.ID == "" {
					t.Fatalf("want a *StackSetOperationError with one failed instance, have %#v", err)
				}
				if !strings.HasSuffix(err.Error(), "; 2 cancelled") {
					t.Errorf("error does not count the cancelled instances: %v", err)
				}
				if len(res.Operations) != 1 || len(res.Instances()) != 4 {
					t.Errorf("result: %+v", res)
				}
			},
		},
		{
			name:   "stopped by someone after the first region: ErrStackSetFailed, the rest cancelled",
			setup:  func(f *stackSetFake) { f.stopAt = "eu-west-1" },
			status: cfn.StackSetFailed,
			errIs:  cfn.ErrStackSetFailed,
			errHas: `ended STOPPED; 2 cancelled`,
			calls:  map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
		},
		{
			name: "a failure within the tolerance: success, the failed instance in the results; the next deploy updates it",
			setup: func(f *stackSetFake) {
				f.fail["111111111111/eu-west-1"] = "Resource handler returned message: \"Rate exceeded\""
			},
			edit:   func(p *cfn.StackSetPlan) { p.Preferences.FailureTolerance = cfn.StackSetAmount{Count: 1} },
			status: cfn.StackSetCreated,
			calls:  map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				if r := res.Instances()[0]; r.Status != "FAILED" || !strings.Contains(r.StatusReason, "Rate exceeded") {
					t.Errorf("first instance: %+v", r)
				}
				delete(f.fail, "111111111111/eu-west-1")
				p := stackSetPlan()
				p.Preferences.FailureTolerance = cfn.StackSetAmount{Count: 1}
				res, err := cfn.NewStackSetDeployer(f, stackSetFastConfig()).Deploy(context.Background(), p)
				if err != nil || res.Status != cfn.StackSetUpdated || !reflect.DeepEqual(res.Changed, []string{"outdated instances"}) || f.Calls()["UpdateStackSet"] != 1 {
					t.Errorf("next deploy: want an update of the outdated instance, have %+v %v, calls %v", res, err, f.Calls())
				}
			},
		},
		{
			name: "the wait cut short by the context: the operation id given, still running",
			setup: func(f *stackSetFake) {
				f.statuses = slices.Repeat([]types.StackSetOperationStatus{types.StackSetOperationStatusRunning}, 1000)
			},
			timeout: 50 * time.Millisecond,
			status:  cfn.StackSetFailed,
			errIs:   context.DeadlineExceeded,
			errHas:  `create operation "ferry-`,
			check: func(t *testing.T, f *stackSetFake, _ cfn.StackSetResult, err error) {
				var oe *cfn.StackSetOperationError
				if !errors.As(err, &oe) || oe.Operation.Status != "RUNNING" || errors.Is(err, cfn.ErrStackSetFailed) || !strings.Contains(err.Error(), "still RUNNING when the wait ended") {
					t.Errorf("want a *StackSetOperationError still RUNNING, not ErrStackSetFailed, have %v", err)
				}
				if c := f.Calls(); c["DescribeStackSetOperation"] < 3 || c["ListStackSetOperationResults"] != 0 {
					t.Errorf("want several polls and no results, have %v", c)
				}
			},
		},
		{
			name: "instances missing in a shape that is no rectangle: one operation per group, no update",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod"}, []string{"111111111111"}, []string{"us-east-1"})
			},
			status: cfn.StackSetUpdated,
			calls:  map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1, "CreateStackInstances": 2, "DescribeStackSetOperation": 2, "ListStackSetOperationResults": 2},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				have := [][2][]string{{f.instCalls[0].Accounts, f.instCalls[0].Regions}, {f.instCalls[1].Accounts, f.instCalls[1].Regions}}
				want := [][2][]string{{{"111111111111"}, {"eu-west-1"}}, {{"222222222222"}, {"us-east-1", "eu-west-1"}}}
				if !reflect.DeepEqual(have, want) {
					t.Errorf("CreateStackInstances targets:\nhave %q\nwant %q", have, want)
				}
				if len(res.Instances()) != 3 || len(res.Changed) != 0 {
					t.Errorf("result: %+v", res)
				}
			},
		},
		{
			name: "a NoEcho parameter (masked) and a template URL cannot be compared: update",
			setup: func(f *stackSetFake) {
				f.deployed(stackSetTemplateV1, map[string]string{"Env": "prod", "Token": "****"}, stackSetAccounts, stackSetRegions)
			},
			edit: func(p *cfn.StackSetPlan) {
				p.Parameters["Token"] = "s3cr3t"
				p.TemplateBody, p.TemplateURL = "", "https://b.s3.amazonaws.com/web.yml"
			},
			status: cfn.StackSetUpdated,
			calls:  map[string]int{"DescribeStackSet": 1, "ListStackInstances": 1, "UpdateStackSet": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				if !reflect.DeepEqual(res.Changed, []string{"template", "parameters"}) || aws.ToString(f.updates[0].TemplateURL) == "" {
					t.Errorf("result %+v, update %+v", res, f.updates[0])
				}
			},
		},
		{
			name: "service-managed with organizational units, as a delegated administrator",
			setup: func(f *stackSetFake) {
				f.callAs = types.CallAsDelegatedAdmin
				f.units = map[string][]string{"ou-ab12-cdefgh34": {"333333333333", "444444444444"}}
			},
			edit: func(p *cfn.StackSetPlan) {
				p.Accounts = nil
				p.OrganizationalUnits = []string{"ou-ab12-cdefgh34"}
				p.AutoDeployment = &cfn.StackSetAutoDeployment{Enabled: true}
				p.CallAs = "DELEGATED_ADMIN"
			},
			status: cfn.StackSetCreated,
			calls:  map[string]int{"DescribeStackSet": 1, "CreateStackSet": 1, "CreateStackInstances": 1, "DescribeStackSetOperation": 1, "ListStackSetOperationResults": 1},
			check: func(t *testing.T, f *stackSetFake, res cfn.StackSetResult, _ error) {
				c := f.creates[0]
				if c.PermissionModel != types.PermissionModelsServiceManaged || c.AutoDeployment == nil || !aws.ToBool(c.AutoDeployment.Enabled) || aws.ToBool(c.AutoDeployment.RetainStacksOnAccountRemoval) {
					t.Errorf("CreateStackSet: %+v", c)
				}
				if len(res.Instances()) != 4 || res.Instances()[0].OrganizationalUnitID != "ou-ab12-cdefgh34" {
					t.Errorf("instances: %+v", res.Instances())
				}
				// Deployed: the same plan again is unchanged (targets are units).
				p := stackSetPlan()
				p.Accounts, p.OrganizationalUnits, p.CallAs = nil, []string{"ou-ab12-cdefgh34"}, "delegated-admin"
				p.AutoDeployment = &cfn.StackSetAutoDeployment{Enabled: true}
				again, err := cfn.NewStackSetDeployer(f, stackSetFastConfig()).Deploy(context.Background(), p)
				if err != nil || again.Status != cfn.StackSetUnchanged {
					t.Errorf("second deploy: want unchanged, have %+v %v", again, err)
				}
			},
		},
	}
}

var (
	stackSetAccounts = []string{"111111111111", "222222222222"}
	stackSetRegions  = []string{"us-east-1", "eu-west-1"}
)

// TestStackSetScenarios: each scenario deploys once against the fake and
// compares the status, the error and the calls made.
func TestStackSetScenarios(t *testing.T) {
	t.Parallel()
	for _, sc := range stackSetScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			f := newStackSetFake(t)
			if sc.setup != nil {
				sc.setup(f)
			}
			p := stackSetPlan()
			if sc.edit != nil {
				sc.edit(&p)
			}
			ctx := context.Background()
			if sc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, sc.timeout)
				defer cancel()
			}
			res, err := cfn.NewStackSetDeployer(f, stackSetFastConfig()).Deploy(ctx, p)
			if res.Status != sc.status {
				t.Errorf("status %q, want %q (error %v)", res.Status, sc.status, err)
			}
			switch {
			case sc.errIs == nil && err != nil:
				t.Errorf("unexpected error: %v", err)
			case sc.errIs != nil && !errors.Is(err, sc.errIs):
				t.Errorf("error %v, want one matching %v", err, sc.errIs)
			case sc.errHas != "" && (err == nil || !strings.Contains(err.Error(), sc.errHas)):
				t.Errorf("error %v, want it to say %q", err, sc.errHas)
			}
			if sc.calls != nil && !maps.Equal(f.Calls(), sc.calls) {
				t.Errorf("calls\nhave %v\nwant %v", f.Calls(), sc.calls)
			}
			if sc.check != nil && !t.Failed() { // the details, once the status, the error and the calls hold
				sc.check(t, f, res, err)
			}
			t.Logf("calls: %v", f.Calls())
		})
	}
}

// TestStackSetInvalidPlanMakesNoCall: a plan with problems is refused
// before the first call, with every problem.
func TestStackSetInvalidPlanMakesNoCall(t *testing.T) {
	t.Parallel()
	f := newStackSetFake(t)
	_, err := cfn.NewStackSetDeployer(f, stackSetFastConfig()).Deploy(context.Background(),
		cfn.StackSetPlan{Name: "web", TemplateBody: "{}", Accounts: []string{"1234"}})
	var fe *cfn.StackSetFieldError
	if !errors.As(err, &fe) {
		t.Fatalf("want field problems, have %v", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("want 2 problems (accounts, regions), have %d: %v", n, err)
	}
	if c := f.Calls(); len(c) != 0 {
		t.Errorf("want no call, have %v", c)
	}
}
