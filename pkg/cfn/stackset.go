package cfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Defaults of [StackSetConfig].
const (
	StackSetDefaultPollInterval    = 5 * time.Second
	StackSetDefaultMaxPollInterval = 30 * time.Second
	StackSetDefaultRetryDelay      = 10 * time.Second
	StackSetDefaultMaxRetryDelay   = time.Minute
)

// ErrStackSetFailed: a stack set operation ended FAILED (more instances
// failed than the failure tolerance allows) or STOPPED. The
// [*StackSetOperationError] that matches it names the failed instances.
var ErrStackSetFailed = errors.New("stack set operation failed")

// stackSetAPI lists the CloudFormation calls the StackSet code makes;
// *cloudformation.Client satisfies it.
type stackSetAPI interface {
	cloudformation.ListStackInstancesAPIClient
	cloudformation.ListStackSetOperationResultsAPIClient
	DescribeStackSet(context.Context, *cloudformation.DescribeStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOutput, error)
	CreateStackSet(context.Context, *cloudformation.CreateStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackSetOutput, error)
	UpdateStackSet(context.Context, *cloudformation.UpdateStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateStackSetOutput, error)
	CreateStackInstances(context.Context, *cloudformation.CreateStackInstancesInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackInstancesOutput, error)
	DescribeStackSetOperation(context.Context, *cloudformation.DescribeStackSetOperationInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOperationOutput, error)
}

var _ stackSetAPI = (*cloudformation.Client)(nil)

// StackSetConfig configures a [StackSetDeployer]; zero values take the
// defaults.
type StackSetConfig struct {
	// Logger receives progress (info) and detail (debug); nil discards them.
	Logger *slog.Logger
	// PollInterval is the first wait between two DescribeStackSetOperation
	// calls; it grows by half up to MaxPollInterval, until the context ends.
	PollInterval, MaxPollInterval time.Duration
	// RetryDelay is the first wait after OperationInProgressException (the
	// set is busy with another operation); it doubles, with jitter, up to
	// MaxRetryDelay, until the context ends.
	RetryDelay, MaxRetryDelay time.Duration
}

// StackSetDeployer creates and updates stack sets and their instances. It
// holds no state between calls and is safe for concurrent use.
type StackSetDeployer struct {
	api stackSetAPI
	log *slog.Logger
	c   StackSetConfig
}

// NewStackSetDeployer returns a StackSetDeployer calling CloudFormation
// through client (a *cloudformation.Client from
// github.com/aws/aws-sdk-go-v2/service/cloudformation, in the
// administrator account's region).
func NewStackSetDeployer(client stackSetAPI, c StackSetConfig) *StackSetDeployer {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = StackSetDefaultPollInterval
	}
	if c.MaxPollInterval < c.PollInterval {
		c.MaxPollInterval = max(StackSetDefaultMaxPollInterval, c.PollInterval)
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = StackSetDefaultRetryDelay
	}
	if c.MaxRetryDelay < c.RetryDelay {
		c.MaxRetryDelay = max(StackSetDefaultMaxRetryDelay, c.RetryDelay)
	}
	return &StackSetDeployer{api: client, log: c.Logger, c: c}
}

// StackSetStatus is how a deploy ended.
type StackSetStatus string

// The statuses of a [StackSetResult].
const (
	StackSetCreated   StackSetStatus = "created"   // the stack set was created, with its instances
	StackSetUpdated   StackSetStatus = "updated"   // the set was updated, or instances added
	StackSetUnchanged StackSetStatus = "unchanged" // nothing to do: no operation was started
	StackSetFailed    StackSetStatus = "failed"    // an operation failed, or the wait was cut short
)

// StackSetInstanceResult is the result of an operation for one stack
// instance, as ListStackSetOperationResults gives it.
type StackSetInstanceResult struct {
	Account              string
	Region               string
	OrganizationalUnitID string // service-managed: the unit the account was reached through
	Status               string // PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED
	StatusReason         string
}

// String returns "111111111111/eu-west-1 FAILED: reason".
func (r StackSetInstanceResult) String() string {
	s := r.Account + "/" + r.Region + " " + r.Status
	if r.StatusReason != "" {
		s += ": " + r.StatusReason
	}
	return s
}

// StackSetOperation is one operation the deploy started and waited for.
type StackSetOperation struct {
	ID           string
	Action       string // CREATE or UPDATE
	Status       string // SUCCEEDED, FAILED, STOPPED; RUNNING (or another) when the wait was cut short
	StatusReason string
	Instances    []StackSetInstanceResult // sorted by account, then region
}

// StackSetResult is what a deploy did.
type StackSetResult struct {
	Status     StackSetStatus
	StackSetID string
	// Changed names the settings found different from the deployed
	// set's ("template", "parameters", "tags", …, "outdated instances"),
	// which made the deploy update it.
	Changed    []string
	Operations []StackSetOperation
}

// Instances returns the instance results of every operation, in order.
func (r StackSetResult) Instances() []StackSetInstanceResult {
	var out []StackSetInstanceResult
	for _, op := range r.Operations {
		out = append(out, op.Instances...)
	}
	return out
}

// StackSetOperationError is an operation that did not succeed: it ended
// FAILED or STOPPED (then it matches [ErrStackSetFailed]), or the wait
// for it was cut short by the context (then Err is the context's error
// and the operation may still be running on AWS: see it with
// DescribeStackSetOperation and the operation id).
type StackSetOperationError struct {
	StackSet  string
	Operation StackSetOperation
	Err       error // the context's error when the wait was cut short; nil otherwise
}

// Failed returns the instances whose status is FAILED.
func (e *StackSetOperationError) Failed() []StackSetInstanceResult {
	var out []StackSetInstanceResult
	for _, r := range e.Operation.Instances {
		if r.Status == string(types.StackSetOperationResultStatusFailed) {
			out = append(out, r)
		}
	}
	return out
}

func (e *StackSetOperationError) Error() string {
	op := e.Operation
	var b strings.Builder
	fmt.Fprintf(&b, "%s operation %q of stack set %q", strings.ToLower(op.Action), op.ID, e.StackSet)
	if e.Err != nil {
		status := op.Status
		if status == "" {
			status = "in progress (its status not yet read)"
		}
		fmt.Fprintf(&b, ": still %s when the wait ended: %v", status, e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, " ended %s", op.Status)
	if op.StatusReason != "" {
		fmt.Fprintf(&b, " (%s)", op.StatusReason)
	}
	failed := e.Failed()
	if len(failed) > 0 {
		fmt.Fprintf(&b, "; %d failed instance(s): ", len(failed))
		for i, r := range failed {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(r.String())
		}
	}
	cancelled := 0
	for _, r := range op.Instances {
		if r.Status == string(types.StackSetOperationResultStatusCancelled) {
			cancelled++
		}
	}
	if cancelled > 0 {
		fmt.Fprintf(&b, "; %d cancelled", cancelled)
	}
	return b.String()
}

// Unwrap returns the context's error when the wait was cut short.
func (e *StackSetOperationError) Unwrap() error { return e.Err }

// Is matches [ErrStackSetFailed] when the operation ended FAILED or STOPPED.
func (e *StackSetOperationError) Is(target error) bool {
	return target == ErrStackSetFailed && e.Err == nil
}

// stackSetTarget is one stack instance target: an account (or an
// organizational unit) in a region.
type stackSetTarget struct{ unit, region string }

// Deploy makes the plan true: it checks the plan ([StackSetPlan.Validate])
// before any call, creates the stack set when it does not exist, or
// updates it when its template, parameters or settings differ from the
// plan's (or some of its planned instances are not CURRENT), then
// creates the instances the targets lack. An update leaves the set's
// instances in no target of the plan with the new template too: a stack
// set has one template. Each operation is waited for and its
// per-instance results are read. When nothing differs, no operation is
// started and the result is [StackSetUnchanged].
//
// While the set is busy with another operation, Deploy waits and retries
// until ctx ends. An operation that does not succeed is a
// [*StackSetOperationError]; the result then says [StackSetFailed] and
// holds the operations so far.
func (d *StackSetDeployer) Deploy(ctx context.Context, plan StackSetPlan) (StackSetResult, error) {
	if err := plan.Validate(); err != nil {
		return StackSetResult{}, err
	}
	run := stackSetRunID()
	callAs := types.CallAs(plan.callAs())
	desc, err := d.api.DescribeStackSet(ctx, &cloudformation.DescribeStackSetInput{StackSetName: aws.String(plan.Name), CallAs: callAs})
	var missing *types.StackSetNotFoundException
	if errors.As(err, &missing) {
		return d.create(ctx, plan, run)
	}
	if err != nil {
		return StackSetResult{}, fmt.Errorf("describing stack set %q: %w", plan.Name, err)
	}
	if desc.StackSet == nil {
		return StackSetResult{}, fmt.Errorf("describing stack set %q: CloudFormation returned no stack set", plan.Name)
	}
	res := StackSetResult{StackSetID: aws.ToString(desc.StackSet.StackSetId)}

	existing, outdated, err := d.instances(ctx, plan)
	if err != nil {
		return res, err
	}
	res.Changed = stackSetDiff(plan, desc.StackSet)
	if len(outdated) > 0 {
		res.Changed = append(res.Changed, "outdated instances")
		d.log.Info("stack set instances not current", "stack_set", plan.Name, "instances", outdated)
	}
	todo := stackSetMissing(plan, existing)
	if len(res.Changed) == 0 && len(todo) == 0 {
		d.log.Info("stack set unchanged", "stack_set", plan.Name)
		res.Status = StackSetUnchanged
		return res, nil
	}
	res.Status = StackSetUpdated
	if len(res.Changed) > 0 {
		d.log.Info("updating stack set", "stack_set", plan.Name, "changed", res.Changed)
		in := plan.updateInput()
		in.OperationId = aws.String(run + "-update")
		op, err := d.operate(ctx, plan, "UPDATE", func(ctx context.Context) (string, error) {
			out, err := d.api.UpdateStackSet(ctx, in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.OperationId), nil
		})
		res.Operations = append(res.Operations, op)
		if err != nil {
			res.Status = StackSetFailed
			return res, err
		}
	}
	return d.createInstances(ctx, plan, run, todo, res)
}

// create creates the stack set and the instances of every target.
func (d *StackSetDeployer) create(ctx context.Context, plan StackSetPlan, run string) (StackSetResult, error) {
	in := plan.createInput()
	in.ClientRequestToken = aws.String(run)
	out, err := d.api.CreateStackSet(ctx, in)
	if err != nil {
		return StackSetResult{}, fmt.Errorf("creating stack set %q: %w", plan.Name, err)
	}
	res := StackSetResult{Status: StackSetCreated, StackSetID: aws.ToString(out.StackSetId)}
	d.log.Info("stack set created", "stack_set", plan.Name, "stack_set_id", res.StackSetID)
	return d.createInstances(ctx, plan, run, stackSetMissing(plan, nil), res)
}

// createInstances creates the instances of todo, one operation for each
// group of units that lack the same regions (CreateStackInstances takes
// units × regions).
func (d *StackSetDeployer) createInstances(ctx context.Context, plan StackSetPlan, run string, todo []stackSetTarget, res StackSetResult) (StackSetResult, error) {
	for i, g := range stackSetGroups(todo) {
		in := &cloudformation.CreateStackInstancesInput{
			StackSetName:         aws.String(plan.Name),
			Regions:              g.regions,
			OperationId:          aws.String(fmt.Sprintf("%s-create-%d", run, i+1)),
			OperationPreferences: plan.preferences(),
			CallAs:               types.CallAs(plan.callAs()),
		}
		if plan.ServiceManaged() {
			in.DeploymentTargets = &types.DeploymentTargets{OrganizationalUnitIds: g.units}
		} else {
			in.Accounts = g.units
		}
		d.log.Info("creating stack instances", "stack_set", plan.Name, "targets", g.units, "regions", g.regions)
		op, err := d.operate(ctx, plan, "CREATE", func(ctx context.Context) (string, error) {
			out, err := d.api.CreateStackInstances(ctx, in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.OperationId), nil
		})
		res.Operations = append(res.Operations, op)
		if err != nil {
			res.Status = StackSetFailed
			return res, err
		}
	}
	return res, nil
}

// operate starts an operation with start, retrying while the set is busy
// with another one, waits for it and reads its per-instance results.
func (d *StackSetDeployer) operate(ctx context.Context, plan StackSetPlan, action string, start func(context.Context) (string, error)) (StackSetOperation, error) {
	op := StackSetOperation{Action: action}
	delay := d.c.RetryDelay
	for attempt := 1; ; attempt++ {
		id, err := start(ctx)
		var busy *types.OperationInProgressException
		if errors.As(err, &busy) {
			wait := delay/2 + mrand.N(delay/2+1)
			d.log.Info("stack set busy with another operation; retrying", "stack_set", plan.Name, "attempt", attempt, "wait", wait.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				return op, fmt.Errorf("starting the %s operation of stack set %q: still busy with another operation after %d attempts: %w", strings.ToLower(action), plan.Name, attempt, ctx.Err())
			case <-time.After(wait):
			}
			delay = min(delay*2, d.c.MaxRetryDelay)
			continue
		}
		if err != nil {
			return op, fmt.Errorf("starting the %s operation of stack set %q: %w", strings.ToLower(action), plan.Name, err)
		}
		op.ID = id
		break
	}
	d.log.Info("stack set operation started", "stack_set", plan.Name, "operation_id", op.ID, "action", action)
	if err := d.wait(ctx, plan, &op); err != nil {
		return op, err
	}
	results, err := d.results(ctx, plan, op.ID)
	if err != nil {
		return op, err
	}
	op.Instances = results
	for _, r := range results {
		if r.Status != string(types.StackSetOperationResultStatusSucceeded) {
			d.log.Warn("stack instance did not succeed", "stack_set", plan.Name, "operation_id", op.ID, "account", r.Account, "region", r.Region, "status", r.Status, "reason", r.StatusReason)
		}
	}
	d.log.Info("stack set operation ended", "stack_set", plan.Name, "operation_id", op.ID, "status", op.Status, "instances", len(results))
	if op.Status != string(types.StackSetOperationStatusSucceeded) {
		return op, &StackSetOperationError{StackSet: plan.Name, Operation: op}
	}
	return op, nil
}

// wait polls the operation until it is SUCCEEDED, FAILED or STOPPED (the
// SDK has no waiter for it), or ctx ends; op gets its last status.
func (d *StackSetDeployer) wait(ctx context.Context, plan StackSetPlan, op *StackSetOperation) error {
	poll := d.c.PollInterval
	for {
		out, err := d.api.DescribeStackSetOperation(ctx, &cloudformation.DescribeStackSetOperationInput{
			StackSetName: aws.String(plan.Name), OperationId: aws.String(op.ID), CallAs: types.CallAs(plan.callAs())})
		if err != nil {
			if ctx.Err() != nil {
				return &StackSetOperationError{StackSet: plan.Name, Operation: *op, Err: ctx.Err()}
			}
			return fmt.Errorf("describing operation %q of stack set %q: %w", op.ID, plan.Name, err)
		}
		if o := out.StackSetOperation; o != nil {
			op.Status = string(o.Status)
			op.StatusReason = aws.ToString(o.StatusReason)
		}
		switch types.StackSetOperationStatus(op.Status) {
		case types.StackSetOperationStatusSucceeded, types.StackSetOperationStatusFailed, types.StackSetOperationStatusStopped:
			return nil
		}
		d.log.Debug("stack set operation in progress", "stack_set", plan.Name, "operation_id", op.ID, "status", op.Status, "next_poll", poll)
		select {
		case <-ctx.Done():
			return &StackSetOperationError{StackSet: plan.Name, Operation: *op, Err: ctx.Err()}
		case <-time.After(poll):
		}
		poll = min(poll*3/2, d.c.MaxPollInterval)
	}
}

// results reads the per-instance results of an operation, sorted.
func (d *StackSetDeployer) results(ctx context.Context, plan StackSetPlan, id string) ([]StackSetInstanceResult, error) {
	var out []StackSetInstanceResult
	p := cloudformation.NewListStackSetOperationResultsPaginator(d.api, &cloudformation.ListStackSetOperationResultsInput{
		StackSetName: aws.String(plan.Name), OperationId: aws.String(id), CallAs: types.CallAs(plan.callAs())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("listing the results of operation %q of stack set %q: %w", id, plan.Name, err)
		}
		for _, s := range page.Summaries {
			out = append(out, StackSetInstanceResult{
				Account:              aws.ToString(s.Account),
				Region:               aws.ToString(s.Region),
				OrganizationalUnitID: aws.ToString(s.OrganizationalUnitId),
				Status:               string(s.Status),
				StatusReason:         aws.ToString(s.StatusReason),
			})
		}
	}
	slices.SortFunc(out, func(a, b StackSetInstanceResult) int {
		return strings.Compare(a.Account+"/"+a.Region, b.Account+"/"+b.Region)
	})
	return out, nil
}

// instances lists the set's instances: the targets that have one (an
// account, or the organizational unit it was reached through, in a
// region), and those of the plan's targets whose status is not CURRENT.
func (d *StackSetDeployer) instances(ctx context.Context, plan StackSetPlan) (map[stackSetTarget]bool, []string, error) {
	existing := map[stackSetTarget]bool{}
	var outdated []string
	planned := map[stackSetTarget]bool{}
	for _, t := range stackSetMissing(plan, nil) {
		planned[t] = true
	}
	p := cloudformation.NewListStackInstancesPaginator(d.api, &cloudformation.ListStackInstancesInput{
		StackSetName: aws.String(plan.Name), CallAs: types.CallAs(plan.callAs())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing the instances of stack set %q: %w", plan.Name, err)
		}
		for _, s := range page.Summaries {
			t := stackSetTarget{unit: aws.ToString(s.Account), region: aws.ToString(s.Region)}
			if plan.ServiceManaged() {
				t.unit = aws.ToString(s.OrganizationalUnitId)
			}
			existing[t] = true
			if planned[t] && s.Status != types.StackInstanceStatusCurrent {
				outdated = append(outdated, aws.ToString(s.Account)+"/"+t.region+" "+string(s.Status))
			}
		}
	}
	return existing, outdated, nil
}

// stackSetMissing returns the plan's targets that existing lacks, units
// in the plan's order, then regions.
func stackSetMissing(plan StackSetPlan, existing map[stackSetTarget]bool) []stackSetTarget {
	units := plan.Accounts
	if plan.ServiceManaged() {
		units = plan.OrganizationalUnits
	}
	var out []stackSetTarget
	for _, u := range units {
		for _, r := range plan.Regions {
			if t := (stackSetTarget{u, r}); !existing[t] {
				out = append(out, t)
			}
		}
	}
	return out
}

type stackSetGroup struct{ units, regions []string }

// stackSetGroups groups targets by the regions their unit lacks: one
// group per distinct set of regions, in the order first seen.
func stackSetGroups(todo []stackSetTarget) []stackSetGroup {
	var order []string
	regions := map[string][]string{}
	for _, t := range todo {
		if _, ok := regions[t.unit]; !ok {
			order = append(order, t.unit)
		}
		regions[t.unit] = append(regions[t.unit], t.region)
	}
	var groups []stackSetGroup
	index := map[string]int{}
	for _, u := range order {
		key := strings.Join(regions[u], ",")
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, stackSetGroup{regions: regions[u]})
		}
		groups[i].units = append(groups[i].units, u)
	}
	return groups
}

// stackSetDiff names the settings of the plan that differ from the
// deployed set's. Settings the plan leaves empty keep the deployed ones
// and are not compared; a template given by URL, and NoEcho parameters
// (which CloudFormation masks), cannot be compared and count as changed.
// Capabilities acknowledge, they do not change what is deployed, and are
// not compared.
func stackSetDiff(plan StackSetPlan, s *types.StackSet) []string {
	var changed []string
	if plan.TemplateURL != "" || plan.TemplateBody != aws.ToString(s.TemplateBody) {
		changed = append(changed, "template")
	}
	deployed := map[string]string{}
	for _, p := range s.Parameters {
		deployed[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if !maps.Equal(deployed, stackSetOrEmpty(plan.Parameters)) {
		changed = append(changed, "parameters")
	}
	if plan.Tags != nil {
		tags := map[string]string{}
		for _, t := range s.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !maps.Equal(tags, plan.Tags) {
			changed = append(changed, "tags")
		}
	}
	if plan.Description != "" && plan.Description != aws.ToString(s.Description) {
		changed = append(changed, "description")
	}
	if plan.AdministrationRoleARN != "" && plan.AdministrationRoleARN != aws.ToString(s.AdministrationRoleARN) {
		changed = append(changed, "administration role")
	}
	if plan.ExecutionRoleName != "" && plan.ExecutionRoleName != aws.ToString(s.ExecutionRoleName) {
		changed = append(changed, "execution role")
	}
	if model := plan.permissionModel(); s.PermissionModel != "" && s.PermissionModel != model {
		changed = append(changed, "permission model")
	}
	if a := plan.AutoDeployment; a != nil {
		var have StackSetAutoDeployment
		if s.AutoDeployment != nil {
			have = StackSetAutoDeployment{Enabled: aws.ToBool(s.AutoDeployment.Enabled), RetainStacksOnAccountRemoval: aws.ToBool(s.AutoDeployment.RetainStacksOnAccountRemoval)}
		}
		if have != *a {
			changed = append(changed, "auto-deployment")
		}
	}
	return changed
}

func stackSetOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (p StackSetPlan) permissionModel() types.PermissionModels {
	if p.ServiceManaged() {
		return types.PermissionModelsServiceManaged
	}
	return types.PermissionModelsSelfManaged
}

func (p StackSetPlan) parameters() []types.Parameter {
	out := make([]types.Parameter, 0, len(p.Parameters))
	for _, k := range stackSetKeys(p.Parameters) {
		out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(p.Parameters[k])})
	}
	return out
}

func (p StackSetPlan) tags() []types.Tag {
	if p.Tags == nil {
		return nil
	}
	out := make([]types.Tag, 0, len(p.Tags))
	for _, k := range stackSetKeys(p.Tags) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
	}
	return out
}

func (p StackSetPlan) capabilities() []types.Capability {
	var out []types.Capability
	for _, c := range p.Capabilities {
		out = append(out, types.Capability(c))
	}
	return out
}

func (p StackSetPlan) autoDeployment() *types.AutoDeployment {
	if p.AutoDeployment == nil {
		return nil
	}
	a := &types.AutoDeployment{Enabled: aws.Bool(p.AutoDeployment.Enabled)}
	if p.AutoDeployment.Enabled {
		a.RetainStacksOnAccountRemoval = aws.Bool(p.AutoDeployment.RetainStacksOnAccountRemoval)
	}
	return a
}

func stackSetString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (p StackSetPlan) createInput() *cloudformation.CreateStackSetInput {
	return &cloudformation.CreateStackSetInput{
		StackSetName:          aws.String(p.Name),
		TemplateBody:          stackSetString(p.TemplateBody),
		TemplateURL:           stackSetString(p.TemplateURL),
		Description:           stackSetString(p.Description),
		Parameters:            p.parameters(),
		Tags:                  p.tags(),
		Capabilities:          p.capabilities(),
		PermissionModel:       p.permissionModel(),
		AdministrationRoleARN: stackSetString(p.AdministrationRoleARN),
		ExecutionRoleName:     stackSetString(p.ExecutionRoleName),
		AutoDeployment:        p.autoDeployment(),
		CallAs:                types.CallAs(p.callAs()),
	}
}

// updateInput updates the set and, naming no targets, every instance of
// it: a stack set has one template.
func (p StackSetPlan) updateInput() *cloudformation.UpdateStackSetInput {
	return &cloudformation.UpdateStackSetInput{
		StackSetName:          aws.String(p.Name),
		TemplateBody:          stackSetString(p.TemplateBody),
		TemplateURL:           stackSetString(p.TemplateURL),
		Description:           stackSetString(p.Description),
		Parameters:            p.parameters(),
		Tags:                  p.tags(),
		Capabilities:          p.capabilities(),
		PermissionModel:       p.permissionModel(),
		AdministrationRoleARN: stackSetString(p.AdministrationRoleARN),
		ExecutionRoleName:     stackSetString(p.ExecutionRoleName),
		AutoDeployment:        p.autoDeployment(),
		OperationPreferences:  p.preferences(),
		CallAs:                types.CallAs(p.callAs()),
	}
}

func stackSetInt32(n int) *int32 {
	if n == 0 {
		return nil
	}
	return aws.Int32(int32(n))
}

func (p StackSetPlan) preferences() *types.StackSetOperationPreferences {
	pr := p.Preferences
	out := &types.StackSetOperationPreferences{
		MaxConcurrentCount:         stackSetInt32(pr.MaxConcurrent.Count),
		MaxConcurrentPercentage:    stackSetInt32(pr.MaxConcurrent.Percentage),
		FailureToleranceCount:      stackSetInt32(pr.FailureTolerance.Count),
		FailureTolerancePercentage: stackSetInt32(pr.FailureTolerance.Percentage),
		RegionOrder:                pr.RegionOrder,
		RegionConcurrencyType:      types.RegionConcurrencyType(p.regionConcurrency()),
		ConcurrencyMode:            types.ConcurrencyMode(p.concurrencyMode()),
	}
	if pr.MaxConcurrent == (StackSetAmount{}) && pr.FailureTolerance == (StackSetAmount{}) && len(pr.RegionOrder) == 0 &&
		out.RegionConcurrencyType == "" && out.ConcurrencyMode == "" {
		return nil
	}
	return out
}

// stackSetRunID returns "ferry-" and 12 random hex digits: the client
// request token of a create, and the prefix of this run's operation ids,
// so that a retried call is never taken for a second operation and an
// operation can be traced to the run.
func stackSetRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "ferry-" + hex.EncodeToString(b)
}
