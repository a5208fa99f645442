package cfn

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// Result is what a run did to the stack.
type Result struct {
	Status      Status
	StackID     string
	StackStatus string // the stack's state at the end ("" when there is no stack)
	// ChangeSetID and ChangeSetName are the change set made or executed
	// ("" when none was: the stack was already as asked).
	ChangeSetID, ChangeSetName string
	Changes                    []Change
	Outputs                    []Output
	// Settings are what changed besides the change set: "termination
	// protection on", "stack policy".
	Settings []string
	// TemplateURL is where the template was uploaded ("" when inline).
	TemplateURL string
	// Reason says why the stack is unchanged: "the deployed template,
	// parameters and settings are those asked for" or CloudFormation's "no
	// changes" answer.
	Reason string
}

// Protected returns the changes [Options.Protect] refuses.
func (r Result) Protected() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Protected {
			out = append(out, c)
		}
	}
	return out
}

// Deploy makes the stack as o asks, through a change set:
//
//  1. It reads the stack (DescribeStacks). One that another operation is
//     changing (*_IN_PROGRESS) is waited for; one left in
//     ROLLBACK_COMPLETE by a failed create is refused with how to proceed.
//  2. Mode plan or apply on an existing stack: when the deployed template
//     (GetTemplate), parameters, tags and the other settings given are those
//     asked for, nothing is made: [Unchanged].
//  3. Otherwise a change set is made (CreateChangeSet, named
//     o.ChangeSetName), waited for, and described ([Result.Changes]). A
//     change set CloudFormation finds empty is deleted: [Unchanged].
//  4. A change that replaces or deletes a resource of a type in o.Protect
//     refuses the change set ([ProtectedError]); mode plan stops here
//     ([Planned]).
//  5. The change set is executed and the stack waited for, its new events
//     going to [Config.Events]; on failure the error is a [*StackError]
//     naming the root cause. Then termination protection and the stack
//     policy are set when they differ.
//
// The Result tells what is in place whether or not Deploy succeeded.
func (d *Deployer) Deploy(ctx context.Context, o Options) (Result, error) {
	res := Result{Status: Failed}
	if err := o.Validate(); err != nil {
		return res, err
	}
	stack, err := d.ready(ctx, o.StackName)
	if err != nil {
		return res, err
	}
	creating := stack == nil || stack.StackStatus == types.StackStatusReviewInProgress
	if stack != nil {
		res.StackID, res.StackStatus = aws.ToString(stack.StackId), string(stack.StackStatus)
		if err := updatable(stack); err != nil {
			return res, err
		}
	}
	if o.Mode == ModeExecute {
		return d.executeNamed(ctx, o, stack, creating, res)
	}
	if !creating {
		same, why, err := d.unchanged(ctx, o, stack)
		if err != nil {
			return res, err
		}
		if same {
			d.log.Info("stack unchanged: no change set", "stack", o.StackName, "reason", why)
			res.Reason = why
			return d.finishUnchanged(ctx, o, stack, res)
		}
		d.log.Info("stack differs", "stack", o.StackName, "what", why)
	}
	res.ChangeSetName = o.ChangeSetName
	if res.ChangeSetName == "" {
		res.ChangeSetName = ChangeSetName("", d.c.Now())
	}
	cs, err := d.makeChangeSet(ctx, o, res.ChangeSetName, creating, &res)
	if errors.Is(err, errNoChanges) {
		res.ChangeSetID, res.ChangeSetName = "", ""
		if stack == nil {
			return res, fmt.Errorf("stack %q: CloudFormation found no changes in a new stack", o.StackName)
		}
		return d.finishUnchanged(ctx, o, stack, res)
	}
	if err != nil {
		return res, err
	}
	if cs.stackID != "" && cs.stackID != res.StackID {
		// A new stack (REVIEW_IN_PROGRESS until executed): the change set
		// names it, and it is the one to wait for.
		res.StackID = cs.stackID
		res.StackStatus = string(types.StackStatusReviewInProgress)
	}
	if p := res.Protected(); len(p) > 0 {
		return res, fmt.Errorf("stack %q: %w", o.StackName, &ProtectedError{ChangeSet: res.ChangeSetName, Changes: p})
	}
	if o.Mode == ModePlan {
		res.Status = Planned
		return res, nil
	}
	return d.run(ctx, o, res.ChangeSetID, creating, res)
}

// ready reads the stack, waiting while another operation changes it. It
// returns nil when there is no stack.
func (d *Deployer) ready(ctx context.Context, name string) (*types.Stack, error) {
	out, err := d.cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading stack %q: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	stack := out.Stacks[0]
	if !busy(stack.StackStatus) {
		return &stack, nil
	}
	d.log.Info("stack busy with another operation: waiting", "stack", name, "status", stack.StackStatus)
	return d.waitStack(ctx, aws.ToString(stack.StackId), busy, nil)
}

// busy tells a stack another operation is changing: a change set waiting
// for review is not.
func busy(s types.StackStatus) bool {
	return strings.HasSuffix(string(s), "_IN_PROGRESS") && s != types.StackStatusReviewInProgress
}

// running tells a stack whose operation has not ended, once ferry executed
// a change set on it (a created stack reads REVIEW_IN_PROGRESS at first).
func running(s types.StackStatus) bool { return strings.HasSuffix(string(s), "_IN_PROGRESS") }

// notExist tells DescribeStacks' answer for a stack that does not exist.
func notExist(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist")
}

// updatable refuses a stack in a state no change set can leave.
func updatable(s *types.Stack) error {
	switch s.StackStatus {
	case types.StackStatusRollbackComplete, types.StackStatusRollbackFailed, types.StackStatusDeleteFailed,
		types.StackStatusUpdateRollbackFailed, types.StackStatusImportRollbackFailed:
		name := aws.ToString(s.StackName)
		return &StackError{Stack: name, Status: string(s.StackStatus), Reason: aws.ToString(s.StackStatusReason),
			Advice: advice(name, s.StackStatus), Found: true}
	}
	return nil
}

// advice is how to proceed from a stack's failed state.
func advice(name string, s types.StackStatus) string {
	switch s {
	case types.StackStatusRollbackComplete:
		return fmt.Sprintf("the stack's creation failed and was rolled back; a stack in ROLLBACK_COMPLETE cannot be updated: delete it (aws cloudformation delete-stack --stack-name %s) and run again", name)
	case types.StackStatusUpdateRollbackComplete:
		return "the update was rolled back: the stack is as it was before, and can be deployed again once the cause is fixed"
	case types.StackStatusUpdateRollbackFailed:
		return fmt.Sprintf("continue the rollback (aws cloudformation continue-update-rollback --stack-name %s, skipping the resources that cannot roll back), then run again", name)
	case types.StackStatusRollbackFailed, types.StackStatusDeleteFailed:
		return fmt.Sprintf("delete the stack (aws cloudformation delete-stack --stack-name %s, retaining the resources that fail to delete), then run again", name)
	}
	return ""
}

// waitStack polls the stack with the SDK's waiter until wait says its
// state is final, with the remaining deadline, calling onPoll after each
// DescribeStacks. It returns the stack as last described.
func (d *Deployer) waitStack(ctx context.Context, stackID string, wait func(types.StackStatus) bool, onPoll func(context.Context)) (*types.Stack, error) {
	var last *types.Stack
	w := cloudformation.NewStackUpdateCompleteWaiter(d.cf, func(o *cloudformation.StackUpdateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = d.c.PollInterval, d.c.MaxPollInterval
		o.Retryable = func(ctx context.Context, _ *cloudformation.DescribeStacksInput, out *cloudformation.DescribeStacksOutput, err error) (bool, error) {
			if err != nil {
				return false, err
			}
			if len(out.Stacks) == 0 {
				return false, fmt.Errorf("stack %q is gone", stackID)
			}
			last = &out.Stacks[0]
			if onPoll != nil {
				onPoll(ctx)
			}
			if wait(last.StackStatus) {
				d.log.Debug("stack in progress", "stack", aws.ToString(last.StackName), "status", last.StackStatus)
				return true, nil
			}
			return false, nil
		}
	})
	_, err := w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackID)}, remaining(ctx))
	if ctx.Err() != nil {
		status := "unknown"
		if last != nil {
			status = string(last.StackStatus)
		}
		return last, fmt.Errorf("waiting for stack %q (status %s): %w", stackID, status, ctx.Err())
	}
	if err != nil {
		return last, fmt.Errorf("waiting for stack %q: %w", stackID, err)
	}
	return last, nil
}

// remaining is the time left before ctx's deadline, a little more so that
// the deadline, not the waiter's own limit, ends a wait; a day without one.
func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl)+time.Second, time.Second)
	}
	return 24 * time.Hour
}

// unchanged tells whether the stack already is as o asks: the same
// template, the same parameter values (given, or the template's defaults),
// and the same tags, role, notification topics and rollback configuration
// where o gives them. why says what differs, or that nothing does.
func (d *Deployer) unchanged(ctx context.Context, o Options, stack *types.Stack) (bool, string, error) {
	name := o.StackName
	out, err := d.cf.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: types.TemplateStageOriginal})
	if err != nil {
		return false, "", fmt.Errorf("reading the template of stack %q: %w", name, err)
	}
	if !sameTemplate(aws.ToString(out.TemplateBody), o.TemplateBody) {
		return false, "the template", nil
	}
	declared, err := templateParams(o.TemplateBody)
	if err != nil {
		return false, "the parameters (the template could not be read: " + err.Error() + ")", nil
	}
	want := map[string]string{}
	for k, p := range declared {
		switch {
		case p.NoEcho:
			return false, fmt.Sprintf("the parameters (%s is NoEcho: CloudFormation decides)", k), nil
		case p.Default != nil:
			want[k] = *p.Default
		case p.hasDefault:
			return false, fmt.Sprintf("the parameters (the default of %s is not a scalar)", k), nil
		}
	}
	for _, p := range o.Parameters {
		want[p.Key] = p.Value
	}
	have := map[string]string{}
	for _, p := range stack.Parameters {
		have[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if !maps.Equal(want, have) {
		return false, "the parameters", nil
	}
	if o.Tags != nil {
		want, have := map[string]string{}, map[string]string{}
		for _, t := range o.Tags {
			want[t.Key] = t.Value
		}
		for _, t := range stack.Tags {
			have[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !maps.Equal(want, have) {
			return false, "the tags", nil
		}
	}
	if o.RoleARN != "" && o.RoleARN != aws.ToString(stack.RoleARN) {
		return false, "the role", nil
	}
	if o.NotificationARNs != nil && !sameSet(o.NotificationARNs, stack.NotificationARNs) {
		return false, "the notification topics", nil
	}
	if len(o.RollbackAlarms) > 0 || o.RollbackMonitoringTime > 0 {
		rc := stack.RollbackConfiguration
		var arns []string
		minutes := int32(0)
		if rc != nil {
			for _, t := range rc.RollbackTriggers {
				arns = append(arns, aws.ToString(t.Arn))
			}
			minutes = aws.ToInt32(rc.MonitoringTimeInMinutes)
		}
		if !sameSet(o.RollbackAlarms, arns) || int32(o.RollbackMonitoringTime/time.Minute) != minutes {
			return false, "the rollback configuration", nil
		}
	}
	return true, "the deployed template, parameters and settings are those asked for", nil
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// finishUnchanged ends a run that changed no resource: the settings are
// set when they differ (not in mode plan), and the outputs read.
func (d *Deployer) finishUnchanged(ctx context.Context, o Options, stack *types.Stack, res Result) (Result, error) {
	res.Status = Unchanged
	if o.Mode != ModePlan {
		settings, err := d.settings(ctx, o, stack)
		res.Settings = settings
		if err != nil {
			return res, err
		}
		if len(settings) > 0 {
			res.Status = Updated
		}
	}
	res.Outputs = outputs(stack)
	return res, nil
}

// errNoChanges: CloudFormation found the change set empty (it is deleted).
var errNoChanges = errors.New("no changes")

// changeSet is a change set made.
type changeSet struct{ id, stackID string }

// makeChangeSet creates the change set, waits until CloudFormation has
// computed it, and describes it into res.
func (d *Deployer) makeChangeSet(ctx context.Context, o Options, name string, creating bool, res *Result) (changeSet, error) {
	in := &cloudformation.CreateChangeSetInput{
		StackName:        aws.String(o.StackName),
		ChangeSetName:    aws.String(name),
		ChangeSetType:    types.ChangeSetTypeUpdate,
		Description:      nonEmpty(o.Description),
		NotificationARNs: o.NotificationARNs,
		RoleARN:          nonEmpty(o.RoleARN),
	}
	if creating {
		in.ChangeSetType = types.ChangeSetTypeCreate
	}
	for _, c := range o.Capabilities {
		in.Capabilities = append(in.Capabilities, types.Capability(c))
	}
	for _, p := range o.Parameters {
		in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: aws.String(p.Key), ParameterValue: aws.String(p.Value)})
	}
	if o.Tags != nil {
		in.Tags = []types.Tag{}
		for _, t := range o.Tags {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
		}
	}
	if len(o.RollbackAlarms) > 0 || o.RollbackMonitoringTime > 0 {
		rc := &types.RollbackConfiguration{MonitoringTimeInMinutes: aws.Int32(int32(o.RollbackMonitoringTime / time.Minute))}
		for _, a := range o.RollbackAlarms {
			rc.RollbackTriggers = append(rc.RollbackTriggers, types.RollbackTrigger{Arn: aws.String(a), Type: aws.String("AWS::CloudWatch::Alarm")})
		}
		in.RollbackConfiguration = rc
	}
	if len(o.TemplateBody) > MaxInlineTemplate {
		url, err := d.uploadTemplate(ctx, o.TemplateBucket, o.StackName, o.TemplateBody)
		if err != nil {
			return changeSet{}, fmt.Errorf("stack %q: %w", o.StackName, err)
		}
		in.TemplateURL, res.TemplateURL = aws.String(url), url
	} else {
		in.TemplateBody = aws.String(o.TemplateBody)
	}
	in.ClientToken = aws.String(name) // a retry of this call makes no second change set
	var cs changeSet
	started := d.c.Now()
	out, err := d.cf.CreateChangeSet(ctx, in)
	var exists *types.AlreadyExistsException
	switch {
	case errors.As(err, &exists):
		// An earlier attempt of this call made it and its answer was lost
		// (then it is minutes old at most), or the name is taken.
		got, derr := d.cf.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(name), StackName: aws.String(o.StackName)})
		if derr != nil {
			return changeSet{}, fmt.Errorf("creating change set %q of stack %q: %w", name, o.StackName, errors.Join(err, derr))
		}
		if aws.ToTime(got.CreationTime).Before(started.Add(-2 * time.Minute)) {
			return changeSet{}, fmt.Errorf("creating change set %q of stack %q: a change set of that name exists since %s: %w", name, o.StackName,
				aws.ToTime(got.CreationTime).UTC().Format(time.RFC3339), ErrChangeSetExists)
		}
		cs = changeSet{id: aws.ToString(got.ChangeSetId), stackID: aws.ToString(got.StackId)}
	case err != nil:
		return changeSet{}, fmt.Errorf("creating change set %q of stack %q: %w", name, o.StackName, err)
	default:
		cs = changeSet{id: aws.ToString(out.Id), stackID: aws.ToString(out.StackId)}
	}
	res.ChangeSetID = cs.id
	d.log.Info("change set created", "stack", o.StackName, "change_set", name, "type", in.ChangeSetType)

	w := cloudformation.NewChangeSetCreateCompleteWaiter(d.cf, func(w *cloudformation.ChangeSetCreateCompleteWaiterOptions) {
		w.MinDelay, w.MaxDelay = d.c.PollInterval, d.c.MaxPollInterval
		w.Retryable = func(_ context.Context, _ *cloudformation.DescribeChangeSetInput, out *cloudformation.DescribeChangeSetOutput, err error) (bool, error) {
			if err != nil {
				return false, err
			}
			return out.Status == types.ChangeSetStatusCreatePending || out.Status == types.ChangeSetStatusCreateInProgress, nil
		}
	})
	described, err := w.WaitForOutput(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(cs.id), StackName: aws.String(o.StackName)}, remaining(ctx))
	if ctx.Err() != nil {
		return cs, fmt.Errorf("waiting for change set %q of stack %q: %w", name, o.StackName, ctx.Err())
	}
	if err != nil {
		return cs, fmt.Errorf("waiting for change set %q of stack %q: %w", name, o.StackName, err)
	}
	if described.Status == types.ChangeSetStatusFailed {
		reason := aws.ToString(described.StatusReason)
		if noChanges(reason) {
			d.log.Info("no changes: deleting the empty change set", "stack", o.StackName, "change_set", name)
			res.Reason = reason
			if _, err := d.cf.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.id), StackName: aws.String(o.StackName)}); err != nil {
				return cs, fmt.Errorf("deleting the empty change set %q of stack %q: %w", name, o.StackName, err)
			}
			return cs, errNoChanges
		}
		return cs, fmt.Errorf("change set %q of stack %q: %w: %s", name, o.StackName, ErrChangeSetFailed, reason)
	}
	changes, err := d.describeChanges(ctx, o.StackName, cs.id, o.Protect)
	if err != nil {
		return cs, err
	}
	res.Changes = changes
	if d.c.Planned != nil {
		d.c.Planned(name, changes)
	}
	return cs, nil
}

// noChanges tells CloudFormation's reasons for an empty change set.
func noChanges(reason string) bool {
	return strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// describeChanges reads every page of the change set with the property
// values (IncludePropertyValues) and turns its resource changes into rows.
func (d *Deployer) describeChanges(ctx context.Context, stack, id string, protect []string) ([]Change, error) {
	p := cloudformation.NewDescribeChangeSetPaginator(d.cf, &cloudformation.DescribeChangeSetInput{
		ChangeSetName: aws.String(id), StackName: aws.String(stack), IncludePropertyValues: aws.Bool(true),
	})
	var changes []Change
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing change set %q of stack %q: %w", id, stack, err)
		}
		for _, c := range page.Changes {
			if c.ResourceChange != nil {
				changes = append(changes, toChange(c.ResourceChange, protect))
			}
		}
	}
	return changes, nil
}

// maxValue is how much of a property's value a detail shows.
const maxValue = 60

func toChange(rc *types.ResourceChange, protect []string) Change {
	c := Change{
		Action:      string(rc.Action),
		LogicalID:   aws.ToString(rc.LogicalResourceId),
		PhysicalID:  aws.ToString(rc.PhysicalResourceId),
		Type:        aws.ToString(rc.ResourceType),
		Replacement: string(rc.Replacement),
	}
	for _, det := range rc.Details {
		t := det.Target
		if t == nil {
			continue
		}
		s := string(t.Attribute)
		if n := aws.ToString(t.Name); n != "" {
			s += "." + n
		}
		switch t.RequiresRecreation {
		case types.RequiresRecreationAlways:
			s += " (replaces)"
		case types.RequiresRecreationConditionally:
			s += " (may replace)"
		}
		if det.ChangeSource == types.ChangeSourceParameterReference && aws.ToString(det.CausingEntity) != "" {
			s += " via parameter " + aws.ToString(det.CausingEntity)
		}
		if t.BeforeValue != nil || t.AfterValue != nil {
			s += fmt.Sprintf(": %s → %s", shortValue(t.BeforeValue), shortValue(t.AfterValue))
		}
		if !slices.Contains(c.Details, s) {
			c.Details = append(c.Details, s)
		}
	}
	if slices.Contains(protect, c.Type) {
		c.Protected = rc.Action == types.ChangeActionRemove ||
			rc.Action == types.ChangeActionModify && (rc.Replacement == types.ReplacementTrue || rc.Replacement == types.ReplacementConditional)
	}
	return c
}

func shortValue(v *string) string {
	if v == nil {
		return "(none)"
	}
	s := strings.Join(strings.Fields(*v), " ")
	if r := []rune(s); len(r) > maxValue {
		s = string(r[:maxValue-1]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// executeNamed runs mode execute: the named change set, made by an earlier
// run (mode plan), checked against o.Protect again.
func (d *Deployer) executeNamed(ctx context.Context, o Options, stack *types.Stack, creating bool, res Result) (Result, error) {
	res.ChangeSetName = o.ChangeSetName
	if stack == nil {
		return res, fmt.Errorf("change set %q of stack %q: %w (there is no such stack)", o.ChangeSetName, o.StackName, ErrNoSuchChangeSet)
	}
	out, err := d.cf.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(o.ChangeSetName), StackName: aws.String(o.StackName)})
	var missing *types.ChangeSetNotFoundException
	if errors.As(err, &missing) || notExist(err) {
		return res, fmt.Errorf("change set %q of stack %q: %w", o.ChangeSetName, o.StackName, ErrNoSuchChangeSet)
	}
	if err != nil {
		return res, fmt.Errorf("reading change set %q of stack %q: %w", o.ChangeSetName, o.StackName, err)
	}
	res.ChangeSetID = aws.ToString(out.ChangeSetId)
	if out.Status != types.ChangeSetStatusCreateComplete || out.ExecutionStatus != types.ExecutionStatusAvailable {
		reason := aws.ToString(out.StatusReason)
		if reason != "" {
			reason = ": " + reason
		}
		return res, fmt.Errorf("change set %q of stack %q is %s, execution %s%s: %w", o.ChangeSetName, o.StackName, out.Status, out.ExecutionStatus, reason, ErrChangeSetNotExecutable)
	}
	res.Changes, err = d.describeChanges(ctx, o.StackName, res.ChangeSetID, o.Protect)
	if err != nil {
		return res, err
	}
	if d.c.Planned != nil {
		d.c.Planned(o.ChangeSetName, res.Changes)
	}
	if p := res.Protected(); len(p) > 0 {
		return res, fmt.Errorf("stack %q: %w", o.StackName, &ProtectedError{ChangeSet: o.ChangeSetName, Changes: p})
	}
	return d.run(ctx, o, res.ChangeSetID, creating, res)
}

// run executes the change set and waits for the stack, streaming its
// events; then it sets termination protection and the stack policy.
func (d *Deployer) run(ctx context.Context, o Options, changeSetID string, creating bool, res Result) (Result, error) {
	events := &eventStream{d: d, stack: o.StackName}
	if err := events.baseline(ctx); err != nil {
		d.log.Warn("reading the stack's events", "stack", o.StackName, "error", err)
	}
	if _, err := d.cf.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{
		ChangeSetName: aws.String(changeSetID), StackName: aws.String(o.StackName),
		ClientRequestToken: aws.String(res.ChangeSetName),
	}); err != nil {
		err = fmt.Errorf("executing change set %q of stack %q: %w", res.ChangeSetName, o.StackName, err)
		// The stack's state after the refusal, for the report.
		if out, derr := d.cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(o.StackName)}); derr == nil && len(out.Stacks) > 0 {
			res.StackStatus = string(out.Stacks[0].StackStatus)
		}
		return res, err
	}
	d.log.Info("change set executing", "stack", o.StackName, "change_set", res.ChangeSetName)
	stackID := res.StackID
	if stackID == "" {
		stackID = o.StackName
	}
	stack, err := d.waitStack(ctx, stackID, running, events.poll)
	if stack != nil {
		res.StackStatus = string(stack.StackStatus)
	}
	if err != nil && ctx.Err() != nil {
		return res, fmt.Errorf("%w; the stack operation goes on in CloudFormation: follow it with aws cloudformation describe-stack-events --stack-name %s", err, o.StackName)
	}
	if err != nil {
		return res, err
	}
	events.poll(ctx)
	want, status := types.StackStatusUpdateComplete, Updated
	if creating {
		want, status = types.StackStatusCreateComplete, Created
	}
	if stack.StackStatus != want {
		name := aws.ToString(stack.StackName)
		return res, &StackError{Stack: name, Status: string(stack.StackStatus), Reason: aws.ToString(stack.StackStatusReason),
			RootCause: events.rootCause(), Advice: advice(name, stack.StackStatus)}
	}
	res.Status = status
	res.Outputs = outputs(stack)
	settings, err := d.settings(ctx, o, stack)
	res.Settings = settings
	return res, err
}

// settings sets termination protection and the stack policy where o gives
// them and the stack's differ, and says what it changed.
func (d *Deployer) settings(ctx context.Context, o Options, stack *types.Stack) ([]string, error) {
	var changed []string
	name := o.StackName
	if tp := o.TerminationProtection; tp != nil && *tp != aws.ToBool(stack.EnableTerminationProtection) {
		if _, err := d.cf.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(name), EnableTerminationProtection: tp,
		}); err != nil {
			return changed, fmt.Errorf("setting termination protection of stack %q: %w", name, err)
		}
		changed = append(changed, map[bool]string{true: "termination protection on", false: "termination protection off"}[*tp])
	}
	if o.StackPolicy != "" {
		out, err := d.cf.GetStackPolicy(ctx, &cloudformation.GetStackPolicyInput{StackName: aws.String(name)})
		if err != nil {
			return changed, fmt.Errorf("reading the stack policy of stack %q: %w", name, err)
		}
		if !samePolicy(aws.ToString(out.StackPolicyBody), o.StackPolicy) {
			if _, err := d.cf.SetStackPolicy(ctx, &cloudformation.SetStackPolicyInput{StackName: aws.String(name), StackPolicyBody: aws.String(o.StackPolicy)}); err != nil {
				return changed, fmt.Errorf("setting the stack policy of stack %q: %w", name, err)
			}
			changed = append(changed, "stack policy")
		}
	}
	for _, s := range changed {
		d.log.Info("stack setting changed", "stack", name, "setting", s)
	}
	return changed, nil
}

func outputs(s *types.Stack) []Output {
	if s == nil {
		return nil
	}
	out := make([]Output, 0, len(s.Outputs))
	for _, o := range s.Outputs {
		out = append(out, Output{Key: aws.ToString(o.OutputKey), Value: aws.ToString(o.OutputValue),
			Description: aws.ToString(o.Description), ExportName: aws.ToString(o.ExportName)})
	}
	return out
}
