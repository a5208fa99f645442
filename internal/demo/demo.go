package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-ci/ferry/internal/localstack"
)

// emulated is what the demo does around moto 5.2.1, and why; the log and
// the summary both say it.
var emulated = []string{
	"moto runs with moto.PreludeWeightedListener: its CloudFormation listener handler fails on a weighted forward (HTTP 500); the prelude takes the action as given, as AWS does.",
	"moto runs with MOTO_ECS_SERVICE_RUNNING=1, so that a service reports its task running and its deployment COMPLETED.",
	"The container registry is an in-memory one on loopback (moto has none), behind ECR's Basic auth AWS:<token> with the token moto's GetAuthorizationToken hands out; build-push-ecr reaches it with registry-endpoint.",
	"moto runs with moto.PreludeChangeSets: its ExecuteChangeSet leaves a stack created through a change set without outputs; the prelude gives the stack its template's outputs, as AWS does.",
	"moto 5.2.1's change sets list every resource as Add, even for an identical template: deploy-cloudformation compares the deployed template, parameters and tags first, so run 2 makes no change set on moto as on AWS.",
	"moto skips AWS::CloudFront::Distribution and AWS::CloudWatch::Alarm: once run 1's deploy-cloudformation has created the stack, the demo creates the distribution (origin: the bucket, origin path /site) and the 5xx alarm (in OK) through their APIs.",
	"moto's ECS services are not behind their target groups: the demo registers one IP target in each (on AWS, ECS registers each task's IP), which moto reports healthy, so redirect-traffic's health gate passes.",
	"The daemonless build's base is an empty linux/amd64 image (FROM scratch) the demo pushes to the registry first.",
}

// report is what a demo run did.
type report struct {
	Setup         time.Duration // servers and the base image
	Runs          []*jobRun
	Checks        []string
	Notifications []map[string]any
	Total         time.Duration
	Err           error
}

// demo runs everything: it starts the stack, runs the job twice, checks the
// second run, prints the table and writes the summary. The servers are
// stopped before it returns.
func demo(ctx context.Context, c config) (rep *report, err error) {
	started := time.Now()
	logf := func(format string, args ...any) { fmt.Fprintf(c.log, format+"\n", args...) }
	rep = &report{}

	work, err := os.MkdirTemp("", "ferry-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(filepath.Join(work, "home"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(work, "empty"), nil, 0o600); err != nil {
		return nil, err
	}

	logf("== local stack")
	e, err := localstack.Start(ctx, logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := e.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stopping the local stack: %w", cerr)
		}
	}()
	if err := e.PushBase(ctx); err != nil {
		return nil, err
	}
	logf("emulated: base image %s: empty, linux/amd64 (FROM scratch)", e.BaseImage)
	rep.Setup = time.Since(started)
	logf("set up in %s", seconds(rep.Setup))

	j := &job{c: c, e: e, work: work, logf: logf}
	for n := 1; n <= 2; n++ {
		logf("== run %d", n)
		r, err := j.runJob(ctx, n)
		rep.Runs = append(rep.Runs, r)
		if err != nil {
			rep.Err = err
			break
		}
	}
	rep.Notifications = e.Sink.Received()
	if rep.Err == nil {
		rep.Checks, rep.Err = check(rep.Runs[0], rep.Runs[1], rep.Notifications)
	}
	rep.Total = time.Since(started)
	if errors.Is(rep.Err, context.Canceled) {
		return rep, rep.Err
	}

	printTable(c.log, rep)
	if werr := writeSummary(c.summary, rep); werr != nil {
		return rep, errors.Join(rep.Err, fmt.Errorf("writing the summary: %w", werr))
	}
	logf("summary: %s", c.summary)
	return rep, rep.Err
}

// cell is the result and time of step name in run r, or "—".
func cell(r *jobRun, name string) (string, string) {
	if r == nil {
		return "—", ""
	}
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Result, seconds(s.Took)
		}
	}
	return "—", ""
}

func runAt(rep *report, i int) *jobRun {
	if i < len(rep.Runs) {
		return rep.Runs[i]
	}
	return nil
}

func runTook(r *jobRun) string {
	if r == nil {
		return ""
	}
	return seconds(r.Took)
}

func printTable(w io.Writer, rep *report) {
	fmt.Fprintln(w, "\n== summary")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRUN 1\tTIME\tRUN 2\tTIME")
	r1, r2 := runAt(rep, 0), runAt(rep, 1)
	for _, name := range stepNames {
		a, at := cell(r1, name)
		b, bt := cell(r2, name)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, a, at, b, bt)
	}
	fmt.Fprintf(tw, "total\t\t%s\t\t%s\n", runTook(r1), runTook(r2))
	_ = tw.Flush()
	fmt.Fprintln(w)
	for _, l := range rep.Checks {
		fmt.Fprintln(w, l)
	}
	verdict := "run 2 is idempotent"
	if rep.Err != nil {
		verdict = "FAILED: " + rep.Err.Error()
	}
	fmt.Fprintf(w, "\nset-up %s, run 1 %s, run 2 %s, total %s (goal: under 2 minutes); %s\n",
		seconds(rep.Setup), runTook(r1), runTook(r2), seconds(rep.Total), verdict)
}

func writeSummary(path string, rep *report) error {
	var b strings.Builder
	r1, r2 := runAt(rep, 0), runAt(rep, 1)
	b.WriteString("# ferry demo\n\n")
	b.WriteString("ferry's main job, run twice on one local stack (a private moto_server, an in-memory registry, a webhook sink) " +
		"with the reference infrastructure (`examples/infra/ferry-reference.yml`): deploy that stack with deploy-cloudformation (run 1 creates it, run 2 finds it unchanged), build the hello app daemonlessly, push it, " +
		"deploy it to the green service (run 1 deploys the base image there first, so that the build is the service's second distinct image), " +
		"walk the traffic to green, sync the static site and invalidate, notify.\n\n")
	b.WriteString("| Step | Run 1 | Time | Run 2 | Time |\n|---|---|--:|---|--:|\n")
	for _, name := range stepNames {
		a, at := cell(r1, name)
		c, ct := cell(r2, name)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, mdCell(a), at, mdCell(c), ct)
	}
	fmt.Fprintf(&b, "| **total** | | %s | | %s |\n\n", runTook(r1), runTook(r2))
	fmt.Fprintf(&b, "Set-up (servers, base image) %s; total wall time %s.\n\n", seconds(rep.Setup), seconds(rep.Total))

	b.WriteString("## Run 2 is idempotent\n\n")
	if rep.Err != nil {
		fmt.Fprintf(&b, "**Failed:** %s\n\n", mdCell(rep.Err.Error()))
	} else {
		b.WriteString("**Yes.**\n\n")
	}
	for _, l := range rep.Checks {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	fmt.Fprintf(&b, "\nThe traffic rule: %s.\n", redirectRule)
	b.WriteString("\n## Around moto\n\n")
	for _, l := range emulated {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, r := range rep.Runs {
		if r == nil || r.FerrySummary == "" {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary>ferry's step summaries, run %d</summary>\n\n%s\n</details>\n", r.N, strings.TrimSpace(r.FerrySummary))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
