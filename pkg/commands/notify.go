package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/notify"
)

func notifyCommand() Command {
	inputs := []action.Input{
		{Name: "slack-webhook-url", Secret: true, Description: "Slack incoming webhook URL."},
		{Name: "slack-bot-token", Secret: true, Description: "Slack bot token (xoxb-…, scope chat:write), with slack-channel: posts with chat.postMessage, sets slack-ts, and edits in place with update-message."},
		{Name: "slack-channel", Description: "With slack-bot-token: the channel ID (C0123…). A #name works for new messages; editing needs the ID, which the slack-channel output gives."},
		{Name: "slack-api-url", Default: "https://slack.com/api", Description: "Slack Web API base URL (GovSlack: https://slack-gov.com/api)."},
		{Name: "teams-webhook-url", Secret: true, Description: "Microsoft Teams Workflows webhook URL (\"Post to a channel when a webhook request is received\"); receives an Adaptive Card."},
		{Name: "discord-webhook-url", Secret: true, Description: "Discord channel webhook URL."},
		{Name: "telegram-bot-token", Secret: true, Description: "Telegram bot token (123456:ABC…), with telegram-chat-id."},
		{Name: "telegram-chat-id", Description: "With telegram-bot-token: the chat ID (e.g. -1001234567890) or @channelusername."},
		{Name: "telegram-api-url", Default: "https://api.telegram.org", Description: "Telegram Bot API base URL, for a local Bot API server."},
		{Name: "google-chat-webhook-url", Secret: true, Description: "Google Chat space webhook URL; receives a card."},
		{Name: "webhook-url", Secret: true, Description: "Any URL that takes a JSON POST with every field of the context (see the README)."},
		{Name: "github-token", Secret: true, Description: "GitHub token: keeps one sticky comment per comment-key on the pull request (permission pull-requests: write) and, with github-environment, sets a deployment status (deployments: write)."},
		{Name: "github-environment", Description: "With github-token: the GitHub environment whose deployment of this commit gets the status; the newest such deployment is reused, else one is created."},
		{Name: "github-api-url", Description: "GitHub REST API URL. Default: GITHUB_API_URL, else https://api.github.com."},
		{Name: "gitlab-token", Secret: true, Description: "GitLab token with the api scope: keeps one sticky note per comment-key on the merge request."},
		{Name: "gitlab-api-url", Description: "GitLab API v4 URL. Default: CI_API_V4_URL, else https://gitlab.com/api/v4."},
		{Name: "comment-key", Description: "Tells this step's sticky comment from other notify steps'. Default: <workflow>/<job> on GitHub, the environment (or \"default\") elsewhere."},
		{Name: "status", Options: notify.Statuses(), ActionDefault: "${{ job.status }}", Description: "started, success, failure or cancelled. In action.yml it defaults to the job status; on GitLab, unset, it comes from CI_JOB_STATUS (after_script)."},
		{Name: "title", Description: "The title, literal text sent as written (one line). Default: title-template."},
		{Name: "title-template", Description: "Go template of the title over the context (see the README), instead of title. Default: " + notify.DefaultTitle},
		{Name: "message", Description: "The message, literal text sent as written: a commit message or a step's output arrives as it is. Default: message-template."},
		{Name: "message-template", Description: "Go template of the message over the context (see the README), instead of message. Default: the commit message."},
		{Name: "fields", Kind: action.Lines, Description: "Extra facts, key=value lines, e.g. the digest and task definition of earlier steps."},
		{Name: "update-message", Description: "Slack ts of a message to edit in place (the slack-ts output of the started step); needs slack-bot-token."},
		{Name: "repository", Description: "owner/name or group/project. Default: GITHUB_REPOSITORY or CI_PROJECT_PATH."},
		{Name: "ref", Description: "Branch or tag. Default: GITHUB_HEAD_REF or GITHUB_REF_NAME, CI_COMMIT_REF_NAME."},
		{Name: "sha", Description: "Commit SHA. Default: the pull request head or GITHUB_SHA, CI_COMMIT_SHA."},
		{Name: "actor", Description: "Who started the run. Default: GITHUB_ACTOR or GITLAB_USER_LOGIN."},
		{Name: "run-url", Description: "Link to the run. Default: the workflow run on GitHub, CI_PIPELINE_URL on GitLab."},
		{Name: "environment", Description: "Environment name shown in the message. Default on GitLab: CI_ENVIRONMENT_NAME."},
		{Name: "environment-url", Description: "Where the environment is reachable. Default on GitLab: CI_ENVIRONMENT_URL."},
		{Name: "pull-request", Kind: action.Int, Description: "Pull request number or merge request IID. Default: from GITHUB_EVENT_PATH or CI_MERGE_REQUEST_IID."},
		{Name: "commit-message", Description: "The commit message. Default: head_commit of the GitHub push event, CI_COMMIT_MESSAGE."},
		{Name: "fail-on-error", Kind: action.Bool, Default: "false", Description: "Fail the step when a notification fails. By default a failure is a warning, counted in the failed output, and the job goes on."},
	}
	return Command{
		Spec: action.Spec{
			Name:        "notify",
			Description: "Tell Slack, Teams, Discord, Telegram, Google Chat, a webhook, the pull or merge request and GitHub deployments how a deployment went.",
			Inputs:      append(inputs, timeoutInput("2m")),
			Outputs: []action.Output{
				{Name: "slack-ts", Description: "ts of the Slack message posted or edited with slack-bot-token; pass it to update-message."},
				{Name: "slack-channel", Description: "ID of the Slack channel of that message."},
				{Name: "sent", Description: "Number of destinations notified."},
				{Name: "failed", Description: "Number of destinations that failed."},
			},
		},
		Run: runNotify,
	}
}

// notifyPlan is everything the inputs say, checked, before anything is sent.
type notifyPlan struct {
	message     notify.Message
	commentKey  string
	slackBot    bool
	webhooks    map[string]string // input name → URL
	telegram    [2]string         // token, chat ID
	github      githubTarget
	gitlab      gitlabTarget
	failOnError bool
}

var (
	telegramToken  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	telegramChatID = regexp.MustCompile(`^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})$`)
	slackTS        = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	ownerRepo      = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// webhookInputs are the destinations given by one secret URL.
var webhookInputs = []string{"slack-webhook-url", "teams-webhook-url", "discord-webhook-url", "google-chat-webhook-url", "webhook-url"}

func planNotify(rt *action.Runtime) notifyPlan {
	in := rt.Inputs()
	p := notifyPlan{webhooks: map[string]string{}, failOnError: in.Bool("fail-on-error")}

	for _, name := range webhookInputs {
		if u := in.String(name); u != "" {
			checkURL(in, name, true)
			maskURLParts(rt, u)
			p.webhooks[name] = u
		}
	}
	for _, name := range []string{"slack-api-url", "telegram-api-url", "github-api-url", "gitlab-api-url"} {
		checkURL(in, name, false)
	}
	together := func(a, b, why string) {
		switch {
		case in.IsSet(a) && !in.IsSet(b):
			in.Problem(b, "a value with "+a+" ("+why+")", "none")
		case in.IsSet(b) && !in.IsSet(a):
			in.Problem(a, "a value with "+b+" ("+why+")", "none")
		}
	}
	together("slack-bot-token", "slack-channel", "the Web API posts to a channel")
	together("telegram-bot-token", "telegram-chat-id", "a bot sends to a chat")
	p.slackBot = in.IsSet("slack-bot-token") && in.IsSet("slack-channel")
	if tok := in.String("telegram-bot-token"); tok != "" && !telegramToken.MatchString(tok) {
		in.Problem("telegram-bot-token", "a bot token as BotFather gives it, 123456:ABC…", "a secret value (not shown) of another shape")
	}
	if id := in.String("telegram-chat-id"); id != "" && !telegramChatID.MatchString(id) {
		in.Problem("telegram-chat-id", "a numeric chat ID or @channelusername", action.Quote(id))
	}
	p.telegram = [2]string{in.String("telegram-bot-token"), in.String("telegram-chat-id")}
	if ts := in.String("update-message"); ts != "" {
		switch {
		case !in.IsSet("slack-bot-token"):
			in.Problem("update-message", "slack-bot-token and slack-channel with it (only Slack's Web API edits messages)", "update-message alone")
		case !slackTS.MatchString(ts):
			in.Problem("update-message", "a Slack message ts such as 1700000000.000100 (the slack-ts output)", action.Quote(ts))
		}
	}
	if in.Int("pull-request") < 0 {
		in.Problem("pull-request", "a pull request number or merge request IID", strconv.Itoa(in.Int("pull-request")))
	}

	c := notifyContext(rt)
	fields, err := notify.ParseFields(in.Lines("fields"))
	in.AddFor("fields", err) // each line's problem says what was expected and found
	c.Fields = fields
	c.Status = notifyStatus(rt)
	p.commentKey = commentKey(rt, c)
	p.github = planGitHub(rt, c)
	p.gitlab = planGitLab(rt, c)

	if len(p.webhooks) == 0 && !p.slackBot && p.telegram[0] == "" && p.github.token == "" && p.gitlab.token == "" &&
		!in.IsSet("slack-channel") && !in.IsSet("telegram-chat-id") {
		var dests []string
		for _, name := range append(slices.Clone(webhookInputs), "slack-bot-token", "telegram-bot-token", "github-token") {
			dests = append(dests, strconv.Quote(name))
		}
		in.Add(fmt.Errorf("inputs %s or %q: expected at least one destination, found none", strings.Join(dests, ", "), "gitlab-token"))
	}
	// Title and message last: templates see the whole context, and a
	// problem in one is reported once, on the input it comes from.
	content := notify.Content{
		Title: in.String("title"), TitleTemplate: in.String("title-template"),
		Message: in.String("message"), MessageTemplate: in.String("message-template"),
	}
	for _, name := range []string{"title", "message"} {
		if in.IsSet(name) && in.IsSet(name+"-template") {
			in.Problem(name+"-template", "either "+name+" (literal text) or "+name+"-template, not both", "both")
		}
	}
	m, err := content.Render(c)
	for _, e := range flattenJoin(err) {
		var te *notify.TemplateError
		if errors.As(e, &te) {
			in.Problem(te.Which+"-template", "a Go template over the documented context (see the README)", te.Err.Error())
		}
	}
	if err == nil && m.Title == "" {
		in.Problem("title-template", "a template that renders some text (Slack, Discord and Teams need a title)", "an empty title")
	}
	p.message = m
	return p
}

func flattenJoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// checkURL records a problem when the input is not an absolute http(s) URL.
// Webhook URLs carry their secret in the URL: they must be https (http
// only to this machine, for tests and local relays).
func checkURL(in *action.Values, name string, secret bool) {
	raw := in.String(name)
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	ok := err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" && (!secret || loopback(u.Hostname())))
	if ok {
		return
	}
	found := action.Quote(raw)
	if secret {
		found = "a secret value (not shown)"
		if err == nil && u.Scheme == "http" && u.Host != "" {
			found += " with http://"
		}
	}
	expected := "an http or https URL"
	if secret {
		expected = "an https URL (http only to localhost)"
	}
	in.Problem(name, expected, found)
}

// maskURLParts masks a secret URL's path and query on their own too (the
// whole URL is masked already), should a library ever print one without
// the other.
func maskURLParts(rt *action.Runtime, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	for _, part := range []string{u.EscapedPath(), u.RawQuery} {
		if len(strings.Trim(part, "/")) >= 12 {
			rt.Mask(part)
		}
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// notifyStatus is the status input or, on GitLab without one, the job's
// status as after_script sees it.
func notifyStatus(rt *action.Runtime) notify.Status {
	in := rt.Inputs()
	if s := in.String("status"); s != "" || in.IsSet("status") {
		return notify.Status(s) // an unknown value is already a problem (Options)
	}
	found := "none"
	if rt.Platform() == action.GitLab {
		switch js := rt.Context().JobStatus; js {
		case "success":
			return notify.Success
		case "failed":
			return notify.Failure
		case "canceled", "canceling":
			return notify.Cancelled
		case "":
		default:
			found = fmt.Sprintf("none, and CI_JOB_STATUS is %q (the job's result is known in after_script only)", js)
		}
	}
	in.Problem("status", "one of "+strings.Join(notify.Statuses(), ", "), found)
	return ""
}

// notifyContext is the run's context as the platform tells it, each part
// overridden by its input.
func notifyContext(rt *action.Runtime) notify.Context {
	rc := rt.Context()
	c := notify.Context{
		Repository:     rc.Repository,
		Ref:            rc.RefName,
		SHA:            firstOf(rc.HeadSHA, rc.SHA),
		Actor:          rc.Actor,
		RunURL:         rc.RunURL,
		Environment:    rc.Environment,
		EnvironmentURL: rc.EnvironmentURL,
		CommitMessage:  rc.CommitMessage,
		PullRequest:    rc.PullRequest,
	}
	in := rt.Inputs()
	for name, field := range map[string]*string{
		"repository": &c.Repository, "ref": &c.Ref, "sha": &c.SHA, "actor": &c.Actor, "run-url": &c.RunURL,
		"environment": &c.Environment, "environment-url": &c.EnvironmentURL, "commit-message": &c.CommitMessage,
	} {
		if in.IsSet(name) {
			*field = in.String(name)
		}
	}
	if in.IsSet("pull-request") {
		c.PullRequest = in.Int("pull-request")
	}
	c.CommitMessage = strings.TrimRight(strings.ReplaceAll(c.CommitMessage, "\r\n", "\n"), "\n")
	if !in.IsSet("repository") {
		c.CommitURL = rc.CommitURL(c.SHA)
	}
	return c
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// commentKey tells the sticky comments of several notify steps apart.
func commentKey(rt *action.Runtime, c notify.Context) string {
	if k := rt.Inputs().String("comment-key"); k != "" {
		return k
	}
	if rc := rt.Context(); rc.Workflow != "" { // GitHub: one key per workflow job
		return rc.Workflow + "/" + rc.Job
	}
	return firstOf(c.Environment, "default")
}

func runNotify(ctx context.Context, rt *action.Runtime, b Build) error {
	in := rt.Inputs()
	plan := planNotify(rt)
	timeout := in.Duration("timeout")
	if err := in.Err(); err != nil {
		return err
	}
	signalled := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	dests, err := notifyDestinations(rt, b, plan)
	if err != nil {
		return err
	}
	if len(dests) == 0 {
		rt.Warn("nothing to notify: no pull or merge request for the comment, and no other destination")
		return rt.SetOutputs([2]string{"sent", "0"}, [2]string{"failed", "0"})
	}
	end := rt.Group(fmt.Sprintf("Notify %d destination%s: %s", len(dests), map[bool]string{true: "", false: "s"}[len(dests) == 1], plan.message.Status))
	results := notify.Send(ctx, plan.message, dests...)

	var sent, failed int
	var errs []error
	var sentTo, notSent []string
	outputs := [][2]string{}
	for _, r := range results {
		if r.Err != nil {
			failed++
			notSent = append(notSent, r.Destination)
			err := timedOut(ctx, r.Err, timeout)
			errs = append(errs, err)
			rt.Warn("notification failed: " + err.Error())
			continue
		}
		sent++
		sentTo = append(sentTo, r.Destination)
		rt.Logger().Info("notified", "destination", r.Destination, "action", r.Action, "requests", r.Requests)
		if r.Destination == (notify.SlackBot{}).Name() {
			outputs = append(outputs, [2]string{"slack-ts", r.ID}, [2]string{"slack-channel", r.Channel})
		}
	}
	end()
	outputs = append(outputs, [2]string{"sent", strconv.Itoa(sent)}, [2]string{"failed", strconv.Itoa(failed)})
	if err := rt.SetOutputs(outputs...); err != nil {
		return err
	}
	if err := rt.Summary(notifySummary(plan.message, results)); err != nil {
		return err
	}
	// Cancelled (SIGTERM): whatever fail-on-error says, the run ends as
	// cancelled, saying what was sent before.
	if signalled.Err() != nil {
		none := func(names []string) string {
			if len(names) == 0 {
				return "none"
			}
			return strings.Join(names, ", ")
		}
		return fmt.Errorf("notified: %s; not notified: %s: %w", none(sentTo), none(notSent), signalled.Err())
	}
	if failed > 0 && plan.failOnError {
		return fmt.Errorf("%d of %d notifications failed (fail-on-error is true): %w", failed, len(results), errors.Join(errs...))
	}
	return nil
}

func notifySummary(m notify.Message, results []notify.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ferry notify: %s %s\n\n| Destination | Result |\n|---|---|\n", m.Status.Emoji(), m.Status)
	for _, r := range results {
		res := r.Action
		if r.Err != nil {
			res = "❌ " + r.Err.Error()
		} else if r.Requests > 1 {
			res += fmt.Sprintf(" (%d messages)", r.Requests)
		}
		fmt.Fprintf(&b, "| %s | %s |\n", r.Destination, strings.ReplaceAll(strings.ReplaceAll(res, "|", `\|`), "\n", " "))
	}
	return b.String()
}

// notifyDestinations builds the destinations, in a fixed order, with one
// retrying HTTP client for all.
func notifyDestinations(rt *action.Runtime, b Build, p notifyPlan) ([]notify.Destination, error) {
	in := rt.Inputs()
	hc := (&notify.Retry{}).Client()
	var dests []notify.Destination
	if u := p.webhooks["slack-webhook-url"]; u != "" {
		dests = append(dests, notify.SlackWebhook{URL: u, Client: hc})
	}
	if p.slackBot {
		dests = append(dests, notify.SlackBot{BaseURL: in.String("slack-api-url"), Token: in.String("slack-bot-token"), Channel: in.String("slack-channel"), Update: in.String("update-message"), Client: hc})
	}
	if u := p.webhooks["teams-webhook-url"]; u != "" {
		dests = append(dests, notify.Teams{URL: u, Client: hc})
	}
	if u := p.webhooks["discord-webhook-url"]; u != "" {
		dests = append(dests, notify.Discord{URL: u, Client: hc})
	}
	if p.telegram[0] != "" {
		dests = append(dests, notify.Telegram{BaseURL: in.String("telegram-api-url"), Token: p.telegram[0], ChatID: p.telegram[1], Client: hc})
	}
	if u := p.webhooks["google-chat-webhook-url"]; u != "" {
		dests = append(dests, notify.GoogleChat{URL: u, Client: hc})
	}
	if u := p.webhooks["webhook-url"]; u != "" {
		dests = append(dests, notify.Webhook{URL: u, Client: hc})
	}
	ua := "ferry/" + b.Version
	if p.github.token != "" {
		gh, err := p.github.destinations(rt, hc, ua, p.commentKey, p.message)
		if err != nil {
			return nil, err
		}
		dests = append(dests, gh...)
	}
	if p.gitlab.token != "" {
		gl, err := p.gitlab.destinations(rt, hc, ua, p.commentKey, p.message)
		if err != nil {
			return nil, err
		}
		dests = append(dests, gl...)
	}
	return dests, nil
}
