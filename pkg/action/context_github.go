package action

import (
	"encoding/json"
	"os"
)

// githubContext maps GitHub Actions' default variables
// (https://docs.github.com/actions/reference/variables-reference) and the
// event payload at GITHUB_EVENT_PATH.
func githubContext(getenv func(string) string, debug func(string, ...any)) RunContext {
	c := RunContext{
		Repository: getenv("GITHUB_REPOSITORY"),
		Ref:        getenv("GITHUB_REF"),
		RefType:    getenv("GITHUB_REF_TYPE"),
		SHA:        getenv("GITHUB_SHA"),
		Actor:      getenv("GITHUB_ACTOR"),
		RunID:      getenv("GITHUB_RUN_ID"),
		RunNumber:  getenv("GITHUB_RUN_NUMBER"),
		RunAttempt: getenv("GITHUB_RUN_ATTEMPT"),
		Workflow:   getenv("GITHUB_WORKFLOW"),
		Job:        getenv("GITHUB_JOB"),
		ServerURL:  getenv("GITHUB_SERVER_URL"),
		APIURL:     getenv("GITHUB_API_URL"),
		GraphQLURL: getenv("GITHUB_GRAPHQL_URL"),
		EventName:  getenv("GITHUB_EVENT_NAME"),
		EventPath:  getenv("GITHUB_EVENT_PATH"),
	}
	headRef, refName := getenv("GITHUB_HEAD_REF"), getenv("GITHUB_REF_NAME")
	c.RefName = firstNonEmpty(headRef, refName)
	switch {
	case headRef != "": // pull requests: the source branch, not "123/merge"
		c.Branch = headRef
	case c.RefType == "tag":
		c.Tag = refName
	case c.RefType == "branch":
		c.Branch = refName
	}
	ev := githubEvent(c.EventPath, debug)
	c.PullRequest, c.HeadSHA, c.CommitMessage = ev.number, ev.headSHA, ev.commitMessage
	server := firstNonEmpty(c.ServerURL, "https://github.com")
	if c.Repository != "" {
		c.RepositoryURL = server + "/" + c.Repository
		c.commitPrefix = c.RepositoryURL + "/commit/"
		if c.RunID != "" {
			c.RunURL = c.RepositoryURL + "/actions/runs/" + c.RunID
		}
	}
	return c
}

type githubEventInfo struct {
	number        int
	headSHA       string
	commitMessage string
}

// githubEvent reads the pull request and head commit from the event
// payload: pull_request (and pull_request_target), issue_comment on a pull
// request, and push.
func githubEvent(path string, debug func(string, ...any)) githubEventInfo {
	if path == "" {
		return githubEventInfo{}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		debug("reading the event payload", "path", path, "error", err)
		return githubEventInfo{}
	}
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		HeadCommit *struct {
			Message string `json:"message"`
		} `json:"head_commit"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		debug("reading the event payload", "path", path, "error", err)
		return githubEventInfo{}
	}
	var info githubEventInfo
	switch {
	case ev.PullRequest != nil:
		info.number, info.headSHA = ev.PullRequest.Number, ev.PullRequest.Head.SHA
	case ev.Issue != nil && len(ev.Issue.PullRequest) > 0:
		info.number = ev.Issue.Number
	}
	if ev.HeadCommit != nil {
		info.commitMessage = ev.HeadCommit.Message
	}
	return info
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
