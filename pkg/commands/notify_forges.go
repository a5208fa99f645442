package commands

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v84/github"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/notify"
)

// The forges' API clients stay here, in the wiring: pkg/notify reaches
// GitHub and GitLab through notify.Thread and notify.Deployments.

type githubTarget struct {
	token, apiURL, graphqlURL, owner, repo, environment string
	number                                              int
}

func planGitHub(rt *action.Runtime, c notify.Context) githubTarget {
	in := rt.Inputs()
	t := githubTarget{
		token:       in.String("github-token"),
		apiURL:      firstOf(in.String("github-api-url"), rt.Context().Forges.GitHubAPI, "https://api.github.com"),
		environment: in.String("github-environment"),
		number:      c.PullRequest,
	}
	t.graphqlURL = graphqlURL(t.apiURL)
	if g := rt.Context().Forges.GitHubGraphQL; !in.IsSet("github-api-url") && g != "" {
		t.graphqlURL = g
	}
	if t.token == "" {
		if t.environment != "" {
			in.Problem("github-token", "a token with deployments: write to set the status of github-environment", "none")
		}
		return t
	}
	if !ownerRepo.MatchString(c.Repository) {
		in.Problem("repository", "owner/name of the GitHub repository (github-token is set)", action.Quote(c.Repository))
	}
	t.owner, t.repo, _ = strings.Cut(c.Repository, "/")
	if t.environment != "" && c.SHA == "" {
		in.Problem("sha", "the commit to set the deployment status of (github-environment is set)", "none")
	}
	return t
}

func (t githubTarget) destinations(rt *action.Runtime, hc *http.Client, ua, key string, m notify.Message) ([]notify.Destination, error) {
	c := github.NewClient(hc).WithAuthToken(t.token)
	base, err := url.Parse(strings.TrimSuffix(t.apiURL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("github-api-url: %w", err)
	}
	c.BaseURL, c.UserAgent = base, ua
	var dests []notify.Destination
	if t.number > 0 {
		dests = append(dests, notify.Comment{Platform: "github", Key: key, Thread: githubThread{c, t.graphqlURL, t.owner, t.repo, t.number}})
	} else {
		rt.Logger().Info("no pull request: no GitHub comment (set pull-request to comment on one)")
	}
	if t.environment != "" {
		dests = append(dests, notify.Deployment{Environment: t.environment, API: githubDeployments{c, t.owner, t.repo}})
	}
	return dests, nil
}

// graphqlURL is GitHub's GraphQL endpoint beside a REST API URL:
// https://api.github.com/graphql, or https://HOST/api/graphql for GitHub
// Enterprise Server's https://HOST/api/v3.
func graphqlURL(apiURL string) string {
	u := strings.TrimSuffix(apiURL, "/")
	if base, ok := strings.CutSuffix(u, "/api/v3"); ok {
		return base + "/api/graphql"
	}
	return u + "/graphql"
}

// githubThread is the comments of one pull request.
type githubThread struct {
	c           *github.Client
	graphql     string // the GraphQL endpoint, to ask who the token is
	owner, repo string
	number      int
}

// self is the login of the token's identity. GraphQL's viewer answers for
// every kind of token: a user's (octocat), GITHUB_TOKEN
// (github-actions[bot]) and another GitHub App's installation token
// (<app>[bot]); REST's GET /user refuses the last two.
func (g githubThread) self(ctx context.Context) (string, error) {
	req, err := g.c.NewRequest(http.MethodPost, g.graphql, map[string]string{"query": "query { viewer { login } }"})
	if err != nil {
		return "", fmt.Errorf("asking GitHub who the token is: %w", err)
	}
	var answer struct {
		Data struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if _, err := g.c.Do(ctx, req, &answer); err != nil {
		return "", fmt.Errorf("asking GitHub who the token is: %w", forgeError(err, "read access"))
	}
	if answer.Data.Viewer.Login == "" {
		msg := "no login in the answer"
		if len(answer.Errors) > 0 {
			msg = notify.Excerpt(answer.Errors[0].Message)
		}
		return "", fmt.Errorf("asking GitHub who the token is: %s", msg)
	}
	return answer.Data.Viewer.Login, nil
}

func (g githubThread) Notes(ctx context.Context) ([]notify.Note, error) {
	self, err := g.self(ctx)
	if err != nil {
		return nil, err
	}
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var notes []notify.Note
	for {
		comments, resp, err := g.c.Issues.ListComments(ctx, g.owner, g.repo, g.number, opts)
		if err != nil {
			return nil, forgeError(err, "pull-requests: write")
		}
		for _, c := range comments {
			notes = append(notes, notify.Note{ID: c.GetID(), Body: c.GetBody(), Mine: strings.EqualFold(c.GetUser().GetLogin(), self)})
		}
		if resp.NextPage == 0 {
			return notes, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g githubThread) Create(ctx context.Context, body string) (notify.Note, error) {
	c, _, err := g.c.Issues.CreateComment(ctx, g.owner, g.repo, g.number, &github.IssueComment{Body: &body})
	if err != nil {
		return notify.Note{}, forgeError(err, "pull-requests: write")
	}
	return notify.Note{ID: c.GetID(), Body: c.GetBody()}, nil
}

func (g githubThread) Update(ctx context.Context, id int64, body string) (notify.Note, error) {
	c, _, err := g.c.Issues.EditComment(ctx, g.owner, g.repo, id, &github.IssueComment{Body: &body})
	if err != nil {
		return notify.Note{}, forgeError(err, "pull-requests: write")
	}
	return notify.Note{ID: c.GetID(), Body: c.GetBody()}, nil
}

// githubDeployments is the deployments API of one repository.
type githubDeployments struct {
	c           *github.Client
	owner, repo string
}

func (g githubDeployments) Find(ctx context.Context, sha, environment string) (int64, error) {
	list, _, err := g.c.Repositories.ListDeployments(ctx, g.owner, g.repo, &github.DeploymentsListOptions{
		SHA: sha, Environment: environment, ListOptions: github.ListOptions{PerPage: 1}, // newest first
	})
	if err != nil {
		return 0, forgeError(err, "deployments: write")
	}
	if len(list) == 0 {
		return 0, nil
	}
	return list[0].GetID(), nil
}

func (g githubDeployments) Create(ctx context.Context, sha, environment, description string) (int64, error) {
	d, _, err := g.c.Repositories.CreateDeployment(ctx, g.owner, g.repo, &github.DeploymentRequest{
		Ref:              &sha,
		Environment:      &environment,
		Description:      &description,
		AutoMerge:        github.Ptr(false),
		RequiredContexts: &[]string{}, // the deployment reports; it does not wait for checks
	})
	if err != nil {
		return 0, forgeError(err, "deployments: write")
	}
	return d.GetID(), nil
}

func (g githubDeployments) SetStatus(ctx context.Context, id int64, s notify.DeploymentStatus) error {
	req := &github.DeploymentStatusRequest{State: &s.State, Description: &s.Description}
	if s.LogURL != "" {
		req.LogURL = &s.LogURL
	}
	if s.EnvironmentURL != "" {
		req.EnvironmentURL = &s.EnvironmentURL
	}
	_, _, err := g.c.Repositories.CreateDeploymentStatus(ctx, g.owner, g.repo, id, req)
	return forgeError(err, "deployments: write")
}

type gitlabTarget struct {
	token, apiURL, project string
	iid                    int64
}

func planGitLab(rt *action.Runtime, c notify.Context) gitlabTarget {
	in := rt.Inputs()
	t := gitlabTarget{
		token:   in.String("gitlab-token"),
		apiURL:  firstOf(in.String("gitlab-api-url"), rt.Context().Forges.GitLabAPI, "https://gitlab.com/api/v4"),
		project: c.Repository,
		iid:     int64(c.PullRequest),
	}
	if t.token != "" && !strings.Contains(t.project, "/") {
		in.Problem("repository", "the GitLab project path, group/project (gitlab-token is set)", action.Quote(t.project))
	}
	return t
}

func (t gitlabTarget) destinations(rt *action.Runtime, hc *http.Client, ua, key string, _ notify.Message) ([]notify.Destination, error) {
	if t.iid == 0 {
		rt.Logger().Info("no merge request: no GitLab note (set pull-request to the merge request IID to comment on one)")
		return nil, nil
	}
	c, err := gitlab.NewClient(t.token,
		gitlab.WithBaseURL(t.apiURL),
		gitlab.WithHTTPClient(hc),
		gitlab.WithoutRetries(), // hc retries, honouring Retry-After within the deadline
		gitlab.WithUserAgent(ua),
		gitlab.WithURLWarningLogger(rt.Logger()),
	)
	if err != nil {
		return nil, action.Usage(rt.Spec().Name, fmt.Errorf(`input "gitlab-api-url": %w`, err))
	}
	return []notify.Destination{notify.Comment{Platform: "gitlab", Key: key, Thread: gitlabThread{c, t.project, t.iid}}}, nil
}

// gitlabThread is the notes of one merge request.
type gitlabThread struct {
	c       *gitlab.Client
	project string
	iid     int64
}

func (g gitlabThread) Notes(ctx context.Context) ([]notify.Note, error) {
	self, _, err := g.c.Users.CurrentUser(gitlab.WithContext(ctx)) // a project access token's bot user
	if err != nil {
		return nil, fmt.Errorf("asking GitLab who the token is: %w", forgeError(err, "api"))
	}
	opts := &gitlab.ListMergeRequestNotesOptions{ListOptions: gitlab.ListOptions{PerPage: 100, Page: 1}}
	var notes []notify.Note
	for {
		list, resp, err := g.c.Notes.ListMergeRequestNotes(g.project, g.iid, opts, gitlab.WithContext(ctx))
		if err != nil {
			return nil, forgeError(err, "api")
		}
		for _, n := range list {
			if !n.System {
				notes = append(notes, notify.Note{ID: n.ID, Body: n.Body, Mine: n.Author.ID == self.ID})
			}
		}
		if resp.NextPage == 0 {
			return notes, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g gitlabThread) Create(ctx context.Context, body string) (notify.Note, error) {
	n, _, err := g.c.Notes.CreateMergeRequestNote(g.project, g.iid, &gitlab.CreateMergeRequestNoteOptions{Body: &body}, gitlab.WithContext(ctx))
	if err != nil {
		return notify.Note{}, forgeError(err, "api")
	}
	return notify.Note{ID: n.ID, Body: n.Body}, nil
}

func (g gitlabThread) Update(ctx context.Context, id int64, body string) (notify.Note, error) {
	n, _, err := g.c.Notes.UpdateMergeRequestNote(g.project, g.iid, id, &gitlab.UpdateMergeRequestNoteOptions{Body: &body}, gitlab.WithContext(ctx))
	if err != nil {
		return notify.Note{}, forgeError(err, "api")
	}
	return notify.Note{ID: n.ID, Body: n.Body}, nil
}

// forgeError shortens an API client's error to the status and the forge's
// message, with the permission to check on 401, 403 and 404 (GitHub answers
// 404 for what the token may not see).
func forgeError(err error, permission string) error {
	if err == nil {
		return nil
	}
	status, msg := 0, ""
	var ge *github.ErrorResponse
	var le *gitlab.ErrorResponse
	switch {
	case errors.As(err, &ge) && ge.Response != nil:
		status, msg = ge.Response.StatusCode, ge.Message
	case errors.As(err, &le) && le.Response != nil:
		status, msg = le.Response.StatusCode, le.Message
	default:
		return notify.Scrub(err)
	}
	out := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	if msg = notify.Excerpt(msg); msg != "" {
		out += ": " + msg
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound {
		out += fmt.Sprintf(" (does the token have %s?)", permission)
	}
	return errors.New(out)
}
