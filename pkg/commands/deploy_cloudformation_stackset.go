package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/cfn"
)

// stackSetInputDecls are deploy-cloudformation's StackSet inputs.
func stackSetInputDecls() []action.Input {
	return []action.Input{
		{Name: "stack-set", Kind: action.Bool, Default: "false", Description: "Deploy a StackSet named stack-name instead of a stack: one template (template, parameters, tags, capabilities) with an instance in each of accounts (or organizational-units) × regions. Created, or updated when its template, parameters or settings differ, then missing instances added; every operation waited for, its per-instance results in the log and summary."},
		{Name: "accounts", Kind: action.List, Description: "With stack-set: the 12-digit AWS accounts to deploy to (self-managed permissions)."},
		{Name: "organizational-units", Kind: action.List, Description: "With stack-set: the organizational units (ou-…) or root (r-…) to deploy to (service-managed permissions), instead of accounts."},
		{Name: "regions", Kind: action.List, Description: "With stack-set: the regions to deploy to in each account or organizational unit, e.g. eu-west-1, us-east-1."},
		{Name: "max-concurrent", Description: "With stack-set: accounts deployed at a time per region, a number (2) or a percentage (25%). Unset: CloudFormation's default, 1."},
		{Name: "failure-tolerance", Description: "With stack-set: accounts that may fail per region before the operation stops there, a number (1) or a percentage (10%). Unset: none."},
		{Name: "region-order", Kind: action.List, Description: "With stack-set: regions (of regions) to deploy to first, in this order."},
		{Name: "region-concurrency", Options: []string{"sequential", "parallel"}, Description: "With stack-set: deploy to one region at a time (CloudFormation's default) or to all at once."},
		{Name: "concurrency-mode", Options: []string{"strict-failure-tolerance", "soft-failure-tolerance"}, Description: "With stack-set: how failure-tolerance bounds max-concurrent (CloudFormation's default: strict)."},
		{Name: "administration-role-arn", Description: "With stack-set and accounts: the role CloudFormation assumes in this account to deploy the instances (the caller needs iam:PassRole on it). Unset: AWSCloudFormationStackSetAdministrationRole."},
		{Name: "execution-role-name", Description: "With stack-set and accounts: the name of the role it assumes in each target account. Unset: AWSCloudFormationStackSetExecutionRole."},
		{Name: "auto-deployment", Options: []string{"enabled", "retain-stacks", "disabled"}, Description: "With stack-set and organizational-units: deploy to accounts that join the units (enabled: their instances deleted when they leave; retain-stacks: kept), or not (disabled). Unset: a new StackSet has it disabled, an existing one keeps its setting."},
		{Name: "call-as", Options: []string{"self", "delegated-admin"}, Description: "With stack-set: call as the organization's management account (self, the default) or as a delegated administrator (organizational units only)."},
	}
}

// stackSetInputs names pkg/cfn's StackSet fields as this action's inputs,
// for the problems StackSetPlan.Validate reports. StackSetFieldDescription
// has none: ferry sets no description (a StackSet keeps its own; one
// naming the run would differ on every run), so it is never at fault.
var stackSetInputs = map[cfn.StackSetField]string{
	cfn.StackSetFieldName:                "stack-name",
	cfn.StackSetFieldTemplate:            "template",
	cfn.StackSetFieldParameters:          "parameters",
	cfn.StackSetFieldTags:                "tags",
	cfn.StackSetFieldCapabilities:        "capabilities",
	cfn.StackSetFieldAdministrationRole:  "administration-role-arn",
	cfn.StackSetFieldExecutionRole:       "execution-role-name",
	cfn.StackSetFieldAutoDeployment:      "auto-deployment",
	cfn.StackSetFieldCallAs:              "call-as",
	cfn.StackSetFieldAccounts:            "accounts",
	cfn.StackSetFieldOrganizationalUnits: "organizational-units",
	cfn.StackSetFieldRegions:             "regions",
	cfn.StackSetFieldMaxConcurrent:       "max-concurrent",
	cfn.StackSetFieldFailureTolerance:    "failure-tolerance",
	cfn.StackSetFieldRegionOrder:         "region-order",
	cfn.StackSetFieldRegionConcurrency:   "region-concurrency",
	cfn.StackSetFieldConcurrencyMode:     "concurrency-mode",
}

// stackOnlyInputs are the stack inputs a StackSet has no use for, each
// with what is expected instead.
var stackOnlyInputs = []struct{ name, expected string }{
	{"template-bucket", "no value with stack-set true (a StackSet's template is sent inline, up to 51,200 bytes)"},
	{"role-arn", "no value with stack-set true (a StackSet deploys with administration-role-arn and execution-role-name)"},
	{"notification-arns", "no value with stack-set true (a StackSet takes no notification topics)"},
	{"termination-protection", "no value with stack-set true (a StackSet has no termination protection)"},
	{"stack-policy", "no value with stack-set true (a StackSet has no stack policy)"},
	{"rollback-alarms", "no value with stack-set true (StackSet operations take no rollback configuration)"},
	{"rollback-monitoring-time", "no value with stack-set true (StackSet operations take no rollback configuration)"},
	{"change-set-name", "no value with stack-set true (a StackSet is deployed by operations, without a change set)"},
	{"protect", "no value with stack-set true (a StackSet has no change set to check for replacements)"},
}

// given renders the value of a String, Bool, Duration or List input (the
// kinds of the inputs refused by kind of deploy) for a problem's "found".
func given(in *action.Values, spec action.Spec, name string) string {
	decl, _ := spec.Input(name)
	switch decl.Kind {
	case action.Bool:
		return strconv.FormatBool(in.Bool(name))
	case action.Duration:
		return in.Duration(name).String()
	case action.List:
		return action.Quote(strings.Join(in.List(name), ", "))
	}
	return action.Quote(in.String(name))
}

// refuseStackSetInputs reports the StackSet inputs given to a stack's
// deployment: they would be ignored.
func refuseStackSetInputs(rt *action.Runtime) {
	in := rt.Inputs()
	for _, decl := range stackSetInputDecls() {
		if decl.Name == "stack-set" || !in.IsSet(decl.Name) || in.Failed(decl.Name) {
			continue
		}
		in.Problem(decl.Name, "no value without stack-set true (a StackSet setting; this run deploys a stack)", given(in, rt.Spec(), decl.Name))
	}
}

// planStackSet reads the inputs into a StackSet plan, recording every
// problem: the stack inputs it has no use for, and the plan's own.
func planStackSet(rt *action.Runtime) cfn.StackSetPlan {
	in := rt.Inputs()
	for _, s := range stackOnlyInputs {
		if in.IsSet(s.name) && !in.Failed(s.name) {
			in.Problem(s.name, s.expected, given(in, rt.Spec(), s.name))
		}
	}
	if m := in.String("mode"); !in.Failed("mode") && m != string(cfn.ModeApply) {
		in.Problem("mode", "apply with stack-set true (a StackSet is deployed by operations, without a change set to plan or execute)", action.Quote(m))
	}
	p := cfn.StackSetPlan{
		Name:                  in.String("stack-name"),
		Capabilities:          in.List("capabilities"),
		AdministrationRoleARN: in.String("administration-role-arn"),
		ExecutionRoleName:     in.String("execution-role-name"),
		CallAs:                in.String("call-as"),
		Accounts:              in.List("accounts"),
		OrganizationalUnits:   in.List("organizational-units"),
		Regions:               in.List("regions"),
		Preferences: cfn.StackSetPreferences{
			RegionOrder:       in.List("region-order"),
			RegionConcurrency: in.String("region-concurrency"),
			ConcurrencyMode:   in.String("concurrency-mode"),
		},
	}
	if in.IsSet("tags") {
		p.Tags = in.Map("tags")
		if p.Tags == nil {
			p.Tags = map[string]string{}
		}
	}
	switch in.String("auto-deployment") {
	case "enabled":
		p.AutoDeployment = &cfn.StackSetAutoDeployment{Enabled: true}
	case "retain-stacks":
		p.AutoDeployment = &cfn.StackSetAutoDeployment{Enabled: true, RetainStacksOnAccountRemoval: true}
	case "disabled":
		p.AutoDeployment = &cfn.StackSetAutoDeployment{}
	}
	var err error
	if p.Preferences.MaxConcurrent, err = cfn.ParseStackSetAmount(cfn.StackSetFieldMaxConcurrent, in.String("max-concurrent")); err != nil {
		in.Add(inputNames(err, stackSetInputs))
	}
	if p.Preferences.FailureTolerance, err = cfn.ParseStackSetAmount(cfn.StackSetFieldFailureTolerance, in.String("failure-tolerance")); err != nil {
		in.Add(inputNames(err, stackSetInputs))
	}
	if !in.IsSet("template") {
		in.Problem("template", "a template file (stack-set true)", "none")
	} else if body, err := os.ReadFile(in.Path("template")); err != nil {
		in.Problem("template", "a readable template file", fmt.Sprintf("%s (%v)", action.Quote(in.String("template")), errors.Unwrap(err)))
	} else if len(body) > cfn.StackSetMaxTemplateBody {
		// pkg/cfn takes a larger one by URL; this action has no input for it.
		in.Problem("template", fmt.Sprintf("a template of at most %d bytes with stack-set true (a StackSet's template is sent inline; template-bucket is for stacks)", cfn.StackSetMaxTemplateBody),
			fmt.Sprintf("%d bytes", len(body)))
	} else {
		p.TemplateBody = string(body)
	}
	checkCommentToken(rt)
	if params := readParameters(rt); len(params) > 0 {
		p.Parameters = map[string]string{}
		for _, pa := range params {
			p.Parameters[pa.Key] = pa.Value
		}
	}
	// A problem with an input already reported is dropped.
	in.Add(inputNames(p.Validate(), stackSetInputs))
	return p
}

// runStackSet deploys a StackSet: deploy-cloudformation with stack-set true.
func runStackSet(ctx context.Context, rt *action.Runtime, b Build) error {
	var plan cfn.StackSetPlan
	run, cancel, err := startAWS(ctx, rt, b, func() { plan = planStackSet(rt) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, timeout := run.ctx, run.cfg, run.timeout
	targets := len(plan.Accounts)
	if plan.ServiceManaged() {
		targets = len(plan.OrganizationalUnits)
	}
	end := rt.Group(fmt.Sprintf("StackSet %s: %d targets × %d regions", plan.Name, targets, len(plan.Regions)))
	d := cfn.NewStackSetDeployer(cloudformation.NewFromConfig(cfg), cfn.StackSetConfig{Logger: rt.Logger()})
	res, runErr := d.Deploy(ctx, plan)
	end()
	if len(res.Operations) > 0 {
		end = rt.Group(fmt.Sprintf("StackSet %s: %d instance results", plan.Name, len(res.Instances())))
		writeInstances(rt, res)
		end()
	}

	var opErr *cfn.StackSetOperationError
	if errors.As(runErr, &opErr) && opErr.Err != nil {
		runErr = fmt.Errorf("%w; the operation goes on in CloudFormation: follow it with aws cloudformation describe-stack-set-operation --stack-set-name %s --operation-id %s",
			runErr, plan.Name, opErr.Operation.ID)
	}
	if err := rt.SetOutputs([2]string{"status", string(res.Status)}, [2]string{"stack-set-id", res.StackSetID}); err != nil {
		return errors.Join(runErr, err)
	}
	summary := stackSetSummary(plan, res, runErr)
	if err := rt.Summary(summary); err != nil {
		return errors.Join(runErr, err)
	}
	if rt.Inputs().Bool("comment") {
		postCloudFormationComment(ctx, rt, b, "stack-set/"+plan.Name, summary)
	}
	if runErr != nil {
		return timedOut(ctx, runErr, timeout)
	}
	rt.Logger().Info("stack set", "stack_set", plan.Name, "status", res.Status, "stack_set_id", res.StackSetID,
		"operations", len(res.Operations), "instances", len(res.Instances()))
	return nil
}

// writeInstances prints each operation's per-instance results in the log.
func writeInstances(rt *action.Runtime, res cfn.StackSetResult) {
	for _, op := range res.Operations {
		fmt.Fprintf(rt.Log(), "operation %s (%s): %s", op.ID, op.Action, dash(op.Status))
		if op.StatusReason != "" {
			fmt.Fprintf(rt.Log(), ": %s", op.StatusReason)
		}
		fmt.Fprintln(rt.Log())
		if len(op.Instances) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(rt.Log(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tREGION\tSTATUS\tREASON")
		for _, r := range op.Instances {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", instanceAccount(r), r.Region, r.Status, dash(r.StatusReason))
		}
		_ = tw.Flush()
	}
}

func instanceAccount(r cfn.StackSetInstanceResult) string {
	if r.OrganizationalUnitID != "" {
		return r.Account + " (" + r.OrganizationalUnitID + ")"
	}
	return r.Account
}

// stackSetSummary is the job summary of a StackSet deploy: what was done,
// then a table of the instance results of every operation.
func stackSetSummary(plan cfn.StackSetPlan, res cfn.StackSetResult, runErr error) string {
	var b strings.Builder
	status := res.Status
	if status == "" {
		status = cfn.StackSetFailed
	}
	fmt.Fprintf(&b, "### ferry deploy-cloudformation: stack set %s %s\n\n", mdCode(plan.Name), status)
	targets := fmt.Sprintf("%d accounts", len(plan.Accounts))
	if plan.ServiceManaged() {
		targets = fmt.Sprintf("%d organizational units", len(plan.OrganizationalUnits))
	}
	b.WriteString("| Stack set ID | Targets | Regions |\n|---|---|---|\n")
	id := "-"
	if res.StackSetID != "" {
		id = mdCode(res.StackSetID)
	}
	fmt.Fprintf(&b, "| %s | %s | %s |\n", id, targets, strings.Join(plan.Regions, ", "))
	if res.Status == cfn.StackSetUnchanged {
		b.WriteString("\nNo changes: the deployed template, parameters and settings are those asked for, and every target has a current instance.\n")
	}
	if len(res.Changed) > 0 {
		fmt.Fprintf(&b, "\nDifferent from the deployed set: %s.\n", strings.Join(res.Changed, ", "))
	}
	if runErr != nil {
		fmt.Fprintf(&b, "\n**Failed**: %s\n", mdCell(runErr.Error()))
	}
	if len(res.Operations) == 0 {
		return b.String()
	}
	b.WriteString("\n#### Operations\n\n| Operation | Action | Status | Reason |\n|---|---|---|---|\n")
	for _, op := range res.Operations {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(op.ID), op.Action, dash(op.Status), mdCell(op.StatusReason))
	}
	instances := res.Instances()
	if len(instances) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n#### Stack instances (%d)\n\n| Account | Region | Status | Reason |\n|---|---|---|---|\n", len(instances))
	for i, r := range instances {
		if i == summaryChanges {
			fmt.Fprintf(&b, "\n… and %d more (the log lists them all).\n", len(instances)-summaryChanges)
			break
		}
		st := r.Status
		if st != "SUCCEEDED" {
			st = "**" + st + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(instanceAccount(r)), r.Region, st, mdCell(r.StatusReason))
	}
	return b.String()
}
