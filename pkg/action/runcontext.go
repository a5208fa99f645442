package action

import "sync"

// RunContext is what the platform tells about the run: which repository,
// commit and ref it is for, who started it, where to see it, and the pull
// or merge request and environment it belongs to. The runtime builds it once,
// platform by platform (context_github.go, context_gitlab.go,
// context_cli.go), so the commands never read the runner's variables
// themselves: a new CI platform is a new file here and a case in [Detect].
// A field the platform does not provide stays empty.
type RunContext struct {
	Platform Platform

	Repository    string // owner/name on GitHub, group/project on GitLab
	RepositoryURL string // the repository's web page
	Ref           string // the full ref: refs/heads/main, refs/tags/v1, refs/pull/7/merge
	// RefName is the branch or tag the run is for; for a pull or merge
	// request, its source branch.
	RefName string
	RefType string // "branch", "tag" or "" (neither, such as a merge request)
	// Branch and Tag are what the commit is on, for image tags: the source
	// branch of a pull or merge request, a branch, or a tag; at most one is
	// set on GitHub.
	Branch, Tag string
	SHA         string // the commit the run checked out (for a pull request on GitHub, the merge commit)
	HeadSHA     string // the pull request's head commit, when the event names it
	Actor       string // who started the run

	RunID      string // the workflow run or pipeline
	RunNumber  string // the run's number within the repository
	RunAttempt string // the attempt of this run, from 1
	JobID      string // the job, where the platform gives jobs an ID of their own (GitLab)
	Workflow   string // the workflow's name (GitHub)
	Job        string // the job's name within the workflow or pipeline
	JobStatus  string // the job's result as the platform words it, known in GitLab's after_script only
	RunURL     string // where to see the run

	ServerURL  string // the forge the run is on
	APIURL     string // its REST API
	GraphQLURL string // its GraphQL API

	PullRequest    int    // the pull request number or merge request IID, 0 for none
	Environment    string // the deployment environment the job names
	EnvironmentURL string // where that environment is reachable

	EventName     string // what started the run: push, pull_request, merge_request_event, …
	EventPath     string // the event payload file (GitHub)
	Workspace     string // the directory relative paths resolve against ([Runtime.Workspace])
	CommitMessage string // the head commit's message

	// Forges are the API endpoints of the forges as the environment names
	// them, on every platform: a job may report to a forge it does not run
	// on, and a terminal may name either.
	Forges Forges

	commitPrefix string // the commit page's URL without the SHA
}

// Forges holds the API endpoints the environment names for each forge.
type Forges struct {
	GitHubAPI     string // GITHUB_API_URL
	GitHubGraphQL string // GITHUB_GRAPHQL_URL
	GitLabAPI     string // CI_API_V4_URL
}

// CommitURL is the web page of commit sha in the run's repository, or ""
// when the platform does not tell where the repository lives.
func (c RunContext) CommitURL(sha string) string {
	if c.commitPrefix == "" || sha == "" {
		return ""
	}
	return c.commitPrefix + sha
}

// runContext builds the run context for platform p from the environment.
// debug reports what could not be read (an event payload, say); it does not
// fail the run.
func runContext(p Platform, getenv func(string) string, workspace string, debug func(msg string, args ...any)) RunContext {
	var c RunContext
	switch p {
	case GitHub:
		c = githubContext(getenv, debug)
	case GitLab:
		c = gitlabContext(getenv)
	default:
		c = cliContext(getenv)
	}
	c.Platform = p
	c.Workspace = workspace
	c.Forges = Forges{
		GitHubAPI:     getenv("GITHUB_API_URL"),
		GitHubGraphQL: getenv("GITHUB_GRAPHQL_URL"),
		GitLabAPI:     getenv("CI_API_V4_URL"),
	}
	return c
}

// runContextOnce builds the context on first use: reading the event payload
// is work only some commands need.
type runContextOnce struct {
	once sync.Once
	ctx  RunContext
}

// Context is the run's context on this platform, built on first use.
func (rt *Runtime) Context() RunContext {
	rt.runCtx.once.Do(func() {
		rt.runCtx.ctx = runContext(rt.platform, rt.getenv, rt.base, rt.logger.Debug)
	})
	return rt.runCtx.ctx
}
