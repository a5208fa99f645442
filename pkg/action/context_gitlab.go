package action

import "strconv"

// gitlabContext maps GitLab CI's predefined variables
// (https://docs.gitlab.com/ci/variables/predefined_variables/).
func gitlabContext(getenv func(string) string) RunContext {
	iid, _ := strconv.Atoi(getenv("CI_MERGE_REQUEST_IID"))
	c := RunContext{
		Repository:     getenv("CI_PROJECT_PATH"),
		RepositoryURL:  getenv("CI_PROJECT_URL"),
		RefName:        getenv("CI_COMMIT_REF_NAME"),
		Branch:         getenv("CI_COMMIT_BRANCH"),
		Tag:            getenv("CI_COMMIT_TAG"),
		SHA:            getenv("CI_COMMIT_SHA"),
		Actor:          getenv("GITLAB_USER_LOGIN"),
		RunID:          getenv("CI_PIPELINE_ID"),
		RunNumber:      getenv("CI_PIPELINE_IID"),
		JobID:          getenv("CI_JOB_ID"),
		Job:            getenv("CI_JOB_NAME"),
		JobStatus:      getenv("CI_JOB_STATUS"),
		RunURL:         firstNonEmpty(getenv("CI_PIPELINE_URL"), getenv("CI_JOB_URL")),
		ServerURL:      getenv("CI_SERVER_URL"),
		APIURL:         getenv("CI_API_V4_URL"),
		GraphQLURL:     getenv("CI_API_GRAPHQL_URL"),
		PullRequest:    iid,
		Environment:    getenv("CI_ENVIRONMENT_NAME"),
		EnvironmentURL: getenv("CI_ENVIRONMENT_URL"),
		EventName:      getenv("CI_PIPELINE_SOURCE"),
		CommitMessage:  getenv("CI_COMMIT_MESSAGE"),
	}
	switch {
	case c.Tag != "":
		c.RefType, c.Ref = "tag", "refs/tags/"+c.Tag
	case c.Branch != "":
		c.RefType, c.Ref = "branch", "refs/heads/"+c.Branch
	case iid != 0:
		c.Ref = "refs/merge-requests/" + strconv.Itoa(iid) + "/head"
	}
	if c.Branch == "" && c.Tag == "" { // merge request pipelines: the source branch
		c.Branch = getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
	}
	if c.RepositoryURL != "" {
		c.commitPrefix = c.RepositoryURL + "/-/commit/"
	}
	return c
}
