package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/cfn"
	"github.com/ferry-ci/ferry/pkg/notify"
)

func deployCloudFormation() Command {
	inputs := []action.Input{
		{Name: "stack-name", Required: true, Description: "The CloudFormation stack to create or update; with stack-set true, the StackSet."},
		{Name: "template", Description: "The template file (YAML or JSON), relative to the workspace. Required with mode plan and apply."},
		{Name: "template-bucket", Description: "S3 bucket the template is uploaded to when it is over CloudFormation's inline limit (51,200 bytes), under ferry/<stack>/<sha256>.template."},
		{Name: "parameters", Kind: action.Lines, Description: "Template parameters: lines Key=Value, or paths of JSON files in the AWS CLI's shape ([{\"ParameterKey\": …, \"ParameterValue\": …}]), as {\"Key\": \"Value\"}, or CodePipeline's {\"Parameters\": {…}}; later lines win. Parameters not given take the template's defaults."},
		{Name: "tags", Kind: action.Map, Description: "Stack tags as Key=Value lines. Unset: an existing stack keeps its tags."},
		{Name: "capabilities", Kind: action.List, Description: "Capabilities the template needs: CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND."},
		{Name: "role-arn", Description: "Service role CloudFormation deploys the stack with (the caller needs iam:PassRole on it). Unset: the stack's role, or the caller's credentials."},
		{Name: "notification-arns", Kind: action.List, Description: "SNS topic ARNs (at most 5) that receive the stack's events. Unset: the stack keeps its topics."},
		{Name: "termination-protection", Kind: action.Bool, Description: "Turn termination protection on (true) or off (false) after the deployment. Unset: leave it as it is."},
		{Name: "stack-policy", Description: "Stack policy: a JSON file relative to the workspace, or the JSON itself; set after the deployment when it differs. Unset: leave it as it is."},
		{Name: "rollback-alarms", Kind: action.List, Description: "CloudWatch alarm ARNs (at most 5) that roll the stack back when they go to ALARM during the deployment or the monitoring time."},
		{Name: "rollback-monitoring-time", Kind: action.Duration, Description: "How long CloudFormation watches rollback-alarms after the deployment, whole minutes up to 3h, e.g. 10m."},
		{Name: "mode", Options: cfn.Modes(), Default: string(cfn.ModeApply), Description: "plan: make and describe a change set and leave it for review; execute: run the change set named by change-set-name (made by a plan step); apply: both at once."},
		{Name: "change-set-name", Description: "With mode execute: the change set to run (a plan step's change-set-name output). Otherwise the name of the change set to make; default ferry-<run id>-<attempt>-<random>-<UTC time>, unique per run."},
		{Name: "comment", Kind: action.Bool, Default: "false", Description: "Keep the diff (the job summary) as one sticky comment on the pull or merge request, updated by every run for this stack: needs github-token (pull-requests: write) on GitHub, gitlab-token (api) on GitLab."},
		{Name: "github-token", Secret: true, Description: "With comment: a GitHub token allowed to comment on the pull request (GITHUB_TOKEN with pull-requests: write)."},
		{Name: "gitlab-token", Secret: true, Description: "With comment: a GitLab token with the api scope, to keep the note on the merge request."},
		{Name: "protect", Kind: action.List, Description: "Resource types, e.g. AWS::RDS::DBInstance, AWS::DynamoDB::Table, AWS::S3::Bucket: a change set that replaces (or may replace) or deletes one is refused before it runs (exit 1)."},
	}
	inputs = append(inputs, stackSetInputDecls()...)
	return Command{
		Spec: action.Spec{
			Name:        "deploy-cloudformation",
			Description: "Deploy a CloudFormation stack through a reviewed change set: compare first (an identical run is unchanged, no change set), diff in the log and summary, protect resource types from replacement, wait out busy stacks, stream events and name the root cause of a failure. With stack-set true, a StackSet across accounts (or organizational units) and regions, with per-instance results.",
			Inputs:      append(append(inputs, awsInputs()...), timeoutInput("60m")),
			Outputs: []action.Output{
				{Name: "status", Description: "created, updated, unchanged, planned (mode plan: a change set waits) or failed; for a StackSet created, updated, unchanged or failed."},
				{Name: "stack-id", Description: "The stack's ARN."},
				{Name: "stack-status", Description: "The stack's state at the end, e.g. UPDATE_COMPLETE."},
				{Name: "change-set-id", Description: "ARN of the change set made or executed; empty when the stack was already as asked."},
				{Name: "change-set-name", Description: "Name of the change set made or executed: give it to a later step with mode execute. Empty when none was made."},
				{Name: "changes", Description: "How many resources the change set adds, modifies or removes."},
				{Name: "stack-set-id", Description: "With stack-set true: the StackSet's id (name:uuid)."},
				{Name: "outputs", Description: "The stack's outputs as a JSON object. Each output is also an output of the step under its own name (on GitLab, in the dotenv report while it stays under GitLab's limits); on GitLab this one is in the file ferry-stack-outputs.json (an artifact).", File: stackOutputsFile},
			},
		},
		Run: runDeployCloudFormation,
	}
}

const stackOutputsFile = "ferry-stack-outputs.json"

// cloudFormationInputs names the cfn options' fields as this action's
// inputs, for the problems pkg/cfn reports.
var cloudFormationInputs = map[cfn.Field]string{
	cfn.StackName:              "stack-name",
	cfn.Template:               "template",
	cfn.TemplateBucket:         "template-bucket",
	cfn.Parameters:             "parameters",
	cfn.Tags:                   "tags",
	cfn.Capabilities:           "capabilities",
	cfn.RoleARN:                "role-arn",
	cfn.NotificationARNs:       "notification-arns",
	cfn.StackPolicy:            "stack-policy",
	cfn.RollbackAlarms:         "rollback-alarms",
	cfn.RollbackMonitoringTime: "rollback-monitoring-time",
	cfn.ModeField:              "mode",
	cfn.ChangeSet:              "change-set-name",
	cfn.Protect:                "protect",
}

// planCloudFormation reads the inputs (and the files they name) into cfn
// options, recording every problem.
func planCloudFormation(rt *action.Runtime) cfn.Options {
	in := rt.Inputs()
	if !in.Failed("stack-set") {
		refuseStackSetInputs(rt)
	}
	o := cfn.Options{
		StackName:              in.String("stack-name"),
		TemplateBucket:         in.String("template-bucket"),
		Capabilities:           in.List("capabilities"),
		RoleARN:                in.String("role-arn"),
		NotificationARNs:       in.List("notification-arns"),
		RollbackAlarms:         in.List("rollback-alarms"),
		RollbackMonitoringTime: in.Duration("rollback-monitoring-time"),
		Mode:                   cfn.Mode(in.String("mode")),
		ChangeSetName:          in.String("change-set-name"),
		Protect:                in.List("protect"),
	}
	if in.IsSet("termination-protection") && !in.Failed("termination-protection") {
		tp := in.Bool("termination-protection")
		o.TerminationProtection = &tp
	}
	if in.IsSet("tags") {
		tags := in.Map("tags")
		o.Tags = []cfn.Tag{}
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			o.Tags = append(o.Tags, cfn.Tag{Key: k, Value: tags[k]})
		}
	}
	switch {
	case in.Failed("mode"):
		// reported; which inputs it needs is unknown
	case o.Mode == cfn.ModeExecute:
		if in.IsSet("template") {
			rt.Logger().Info("mode execute runs the change set as it was made: input template is not read")
		}
	case !in.IsSet("template"):
		in.Problem("template", "a template file (mode "+string(o.Mode)+")", "none")
	default:
		body, err := os.ReadFile(in.Path("template"))
		if err != nil {
			in.Problem("template", "a readable template file", fmt.Sprintf("%s (%v)", action.Quote(in.String("template")), errors.Unwrap(err)))
		} else {
			o.TemplateBody = string(body)
		}
	}
	if o.ChangeSetName == "" && o.Mode != cfn.ModeExecute {
		rc := rt.Context()
		id := rc.RunID
		if rc.JobID != "" {
			id = rc.JobID
		}
		if id != "" && rc.RunAttempt != "" {
			id += "-" + rc.RunAttempt
		}
		// Matrix jobs of one run, or runs from a terminal, may deploy one
		// stack within the same second: a random tail keeps them apart.
		var tail [3]byte
		_, _ = rand.Read(tail[:])
		o.ChangeSetName = cfn.ChangeSetName(strings.TrimPrefix(id+"-"+hex.EncodeToString(tail[:]), "-"), time.Now())
	}
	// The console shows where a change set comes from.
	o.Description = "ferry deploy-cloudformation"
	if u := rt.Context().RunURL; u != "" && len(u) < 900 {
		o.Description += ", run " + u
	}
	if p := in.String("stack-policy"); p != "" {
		if strings.HasPrefix(strings.TrimSpace(p), "{") {
			o.StackPolicy = p
		} else if body, err := os.ReadFile(in.Path("stack-policy")); err != nil {
			in.Problem("stack-policy", "a stack policy: a readable JSON file, or the JSON itself", fmt.Sprintf("%s (%v)", action.Quote(p), errors.Unwrap(err)))
		} else {
			o.StackPolicy = string(body)
		}
	}
	checkCommentToken(rt)
	o.Parameters = readParameters(rt)
	// A problem with an input already reported (one that failed to parse)
	// is dropped.
	in.Add(inputNames(o.Validate(), cloudFormationInputs))
	return o
}

// checkCommentToken reports a comment asked for without the token to
// keep it with.
func checkCommentToken(rt *action.Runtime) {
	in := rt.Inputs()
	if in.Bool("comment") && in.String("github-token") == "" && in.String("gitlab-token") == "" {
		name := "github-token"
		if rt.Platform() == action.GitLab {
			name = "gitlab-token"
		}
		in.Problem(name, "a token to keep the pull or merge request comment with (comment is true)", "none")
	}
}

// readParameters reads input parameters: Key=Value lines and JSON files,
// later ones winning. Each problem names its line.
func readParameters(rt *action.Runtime) []cfn.Parameter {
	in := rt.Inputs()
	var lists [][]cfn.Parameter
	var errs []error
	for i, line := range in.Lines("parameters") {
		if strings.Contains(line, "=") {
			p, err := cfn.ParseParameterLine(line)
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
				continue
			}
			lists = append(lists, []cfn.Parameter{p})
			continue
		}
		path := line
		if !filepath.IsAbs(path) {
			path = filepath.Join(rt.Workspace(), path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: expected Key=Value or a readable JSON file, found %s (%v)", i+1, action.Quote(line), errors.Unwrap(err)))
			continue
		}
		ps, err := cfn.ParseParameterFile(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: file %s: %w", i+1, action.Quote(line), err))
			continue
		}
		lists = append(lists, ps)
	}
	if len(errs) > 0 {
		in.AddFor("parameters", errors.Join(errs...))
	}
	return cfn.Merge(lists...)
}

func runDeployCloudFormation(ctx context.Context, rt *action.Runtime, b Build) error {
	if rt.Inputs().Bool("stack-set") {
		return runStackSet(ctx, rt, b)
	}
	var o cfn.Options
	run, cancel, err := startAWS(ctx, rt, b, func() { o = planCloudFormation(rt) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, timeout := run.ctx, run.cfg, run.timeout
	var s3c *s3.Client
	if o.TemplateBucket != "" {
		s3c = s3.NewFromConfig(cfg, func(so *s3.Options) {
			so.UsePathStyle = cfg.BaseEndpoint != nil || rt.Getenv("AWS_ENDPOINT_URL_S3") != ""
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		})
	}
	end := rt.Group(fmt.Sprintf("Stack %s: compare and plan (mode %s)", o.StackName, o.Mode))
	events := false // the events group is open
	d := cfn.New(cloudformation.NewFromConfig(cfg), s3c, cfn.Config{
		Logger: rt.Logger(),
		Region: cfg.Region,
		Planned: func(name string, changes []cfn.Change) {
			end()
			end = rt.Group(fmt.Sprintf("Change set %s: %d changes", name, len(changes)))
			writeChanges(rt, changes)
			end()
			end = func() {}
		},
		Events: func(batch []cfn.Event) {
			if !events {
				end()
				end, events = rt.Group(fmt.Sprintf("Stack %s: events", o.StackName)), true
			}
			for _, e := range batch {
				fmt.Fprintln(rt.Log(), e)
			}
		},
	})
	res, runErr := d.Deploy(ctx, o)
	end()

	if err := setStackOutputs(rt, res); err != nil {
		return errors.Join(runErr, err)
	}
	summary := cloudFormationSummary(o, res, runErr)
	if err := rt.Summary(summary); err != nil {
		return errors.Join(runErr, err)
	}
	if rt.Inputs().Bool("comment") {
		postCloudFormationComment(ctx, rt, b, o.StackName, summary)
	}
	if errors.Is(runErr, cfn.ErrNoSuchChangeSet) {
		// Found by reading, before any write.
		return action.Usage(rt.Spec().Name, fmt.Errorf(`input "change-set-name": %w`, runErr))
	}
	if runErr != nil {
		return timedOut(ctx, runErr, timeout)
	}
	rt.Logger().Info("stack", "stack", o.StackName, "status", res.Status, "stack_status", res.StackStatus, "change_set", res.ChangeSetName, "changes", len(res.Changes))
	return nil
}

// writeChanges prints the change set's rows in the log.
func writeChanges(rt *action.Runtime, changes []cfn.Change) {
	if len(changes) == 0 {
		fmt.Fprintln(rt.Log(), "no resource changes")
		return
	}
	tw := tabwriter.NewWriter(rt.Log(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tLOGICAL ID\tTYPE\tPHYSICAL ID\tREPLACEMENT\tWHAT CHANGES")
	for _, c := range changes {
		repl := c.Replacement
		if c.Protected {
			repl += " (protected: refused)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Action, c.LogicalID, c.Type, dash(c.PhysicalID), dash(repl), dash(strings.Join(c.Details, "; ")))
	}
	_ = tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// setStackOutputs sets the outputs, the stack's own ones under their
// names. A stack output that cannot be a step output (its name is one of
// ferry's, or GitLab's dotenv report is full) is named in a warning: it is
// in output outputs all the same.
func setStackOutputs(rt *action.Runtime, res cfn.Result) error {
	values := map[string]string{}
	for _, out := range res.Outputs {
		values[out.Key] = out.Value
	}
	js, err := json.Marshal(values)
	if err != nil {
		return err
	}
	if err := rt.SetOutputs(
		[2]string{"status", string(res.Status)},
		[2]string{"stack-id", res.StackID},
		[2]string{"stack-status", res.StackStatus},
		[2]string{"change-set-id", res.ChangeSetID},
		[2]string{"change-set-name", res.ChangeSetName},
		[2]string{"changes", fmt.Sprint(len(res.Changes))},
		[2]string{"outputs", string(js)},
	); err != nil {
		return err
	}
	var left []string
	for _, out := range res.Outputs {
		err := rt.SetExtraOutput(out.Key, out.Value)
		switch {
		case errors.Is(err, action.ErrDotenvFull):
			left = append(left, out.Key)
		case err != nil:
			rt.Warn(fmt.Sprintf("stack output %q is not a step output of its own (%v): read it from output outputs", out.Key, err))
		}
	}
	if len(left) > 0 {
		rt.Warn(fmt.Sprintf("stack outputs %s are not in the GitLab dotenv report, which would pass GitLab's limits (%d bytes, %d variables): read them from %s",
			strings.Join(left, ", "), action.DotenvMaxBytes, action.DotenvMaxVariables, stackOutputsFile))
	}
	return nil
}

// summaryChanges is how many change rows the job summary lists.
const summaryChanges = 200

func cloudFormationSummary(o cfn.Options, res cfn.Result, runErr error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ferry deploy-cloudformation: stack %s %s\n\n", mdCode(o.StackName), res.Status)
	b.WriteString("| Stack status | Mode | Change set |\n|---|---|---|\n")
	cs := "none"
	if res.ChangeSetName != "" {
		cs = mdCode(res.ChangeSetName)
	}
	fmt.Fprintf(&b, "| %s | %s | %s |\n", dash(res.StackStatus), o.Mode, cs)
	switch {
	case res.Status == cfn.Unchanged && res.Reason != "":
		fmt.Fprintf(&b, "\nNo changes: %s.\n", strings.TrimSuffix(res.Reason, "."))
	case res.Status == cfn.Planned:
		fmt.Fprintf(&b, "\nThe change set waits for review: run it with `mode: execute` and `change-set-name: %s`.\n", res.ChangeSetName)
	}
	if len(res.Settings) > 0 {
		fmt.Fprintf(&b, "\nSettings changed: %s.\n", strings.Join(res.Settings, ", "))
	}
	if runErr != nil {
		fmt.Fprintf(&b, "\n**Failed**: %s\n", mdCell(runErr.Error()))
	}
	if len(res.Changes) == 0 && (res.Status == cfn.Created || res.Status == cfn.Updated || res.Status == cfn.Planned) && res.ChangeSetName != "" {
		b.WriteString("\nThe change set lists no resource changes.\n")
	}
	if len(res.Changes) > 0 {
		fmt.Fprintf(&b, "\n#### Changes (%d)\n\n| Action | Logical ID | Type | Physical ID | Replacement | What changes |\n|---|---|---|---|---|---|\n", len(res.Changes))
		for i, c := range res.Changes {
			if i == summaryChanges {
				fmt.Fprintf(&b, "\n… and %d more (the log lists them all).\n", len(res.Changes)-summaryChanges)
				break
			}
			repl := c.Replacement
			switch {
			case c.Protected:
				repl = "**" + repl + "** (protected: refused)"
			case repl == "True" || repl == "Conditional":
				repl = "**" + repl + "**"
			}
			physical := ""
			if c.PhysicalID != "" {
				physical = mdCode(c.PhysicalID)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Action, mdCode(c.LogicalID), c.Type, physical, repl, mdCell(strings.Join(c.Details, "<br>")))
		}
	}
	if len(res.Outputs) > 0 {
		b.WriteString("\n<details><summary>Stack outputs (" + fmt.Sprint(len(res.Outputs)) + ")</summary>\n\n| Output | Value |\n|---|---|\n")
		for _, out := range res.Outputs {
			fmt.Fprintf(&b, "| %s | %s |\n", mdCode(out.Key), mdCode(out.Value))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

// mdCell keeps text in one table cell: no pipes, no line breaks.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// maxCommentBytes keeps a comment under GitHub's 65,536 characters.
const maxCommentBytes = 60000

// postCloudFormationComment keeps the summary as the sticky comment of key
// (the stack's name, or "stack-set/" and the StackSet's) on the run's pull
// or merge request (pkg/notify's Comment: found by its marker among the
// token's own comments, edited, created only when there is none). A
// failure to comment is a warning: the stack is what the run is about.
func postCloudFormationComment(ctx context.Context, rt *action.Runtime, b Build, key, summary string) {
	rc := rt.Context()
	if rc.PullRequest == 0 {
		rt.Logger().Info("no pull or merge request: no comment")
		return
	}
	if ctx.Err() != nil {
		rt.Warn("no comment: the run was cancelled or timed out")
		return
	}
	in := rt.Inputs()
	if len(summary) > maxCommentBytes {
		summary = strings.ToValidUTF8(summary[:maxCommentBytes], "") + "\n\n… (cut: the job summary has it all)\n"
	}
	if rc.RunURL != "" {
		summary += fmt.Sprintf("\n[View run](%s)\n", rc.RunURL)
	}
	hc := (&notify.Retry{}).Client()
	ua := "ferry/" + b.Version
	key = "deploy-cloudformation/" + key
	var (
		dests []notify.Destination
		err   error
	)
	if token := in.String("github-token"); token != "" {
		owner, repo, _ := strings.Cut(rc.Repository, "/")
		t := githubTarget{token: token, apiURL: firstOf(rc.Forges.GitHubAPI, "https://api.github.com"), owner: owner, repo: repo, number: rc.PullRequest}
		t.graphqlURL = firstOf(rc.Forges.GitHubGraphQL, graphqlURL(t.apiURL))
		dests, err = t.destinations(rt, hc, ua, key, notify.Message{})
	} else {
		t := gitlabTarget{token: in.String("gitlab-token"), apiURL: firstOf(rc.Forges.GitLabAPI, "https://gitlab.com/api/v4"), project: rc.Repository, iid: int64(rc.PullRequest)}
		dests, err = t.destinations(rt, hc, ua, key, notify.Message{})
	}
	if err != nil {
		rt.Warn(fmt.Sprintf("no comment: %v", err))
		return
	}
	for _, d := range dests {
		c, ok := d.(notify.Comment)
		if !ok {
			continue
		}
		r, err := c.Put(ctx, summary)
		if err != nil {
			rt.Warn(fmt.Sprintf("%s: %v", c.Name(), notify.Scrub(err)))
			continue
		}
		rt.Logger().Info("comment", "destination", c.Name(), "id", r.ID, "action", r.Action)
	}
}
