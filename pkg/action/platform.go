package action

import "os"

// Platform is where ferry runs.
type Platform int

// The platforms ferry knows.
const (
	CLI    Platform = iota // a terminal or any other CI
	GitHub                 // GitHub Actions (GITHUB_ACTIONS=true)
	GitLab                 // GitLab CI (GITLAB_CI=true)
)

func (p Platform) String() string {
	switch p {
	case GitHub:
		return "github"
	case GitLab:
		return "gitlab"
	default:
		return "cli"
	}
}

// Detect tells the platform from the environment.
func Detect(getenv func(string) string) Platform {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return GitHub
	case getenv("GITLAB_CI") == "true":
		return GitLab
	default:
		return CLI
	}
}

// workspace is the directory relative paths in inputs resolve against:
// GITHUB_WORKSPACE or CI_PROJECT_DIR when it names a directory that exists,
// else the working directory (where a job starts anyway; some runners, such
// as gitlab-ci-local's shell executor, report a CI_PROJECT_DIR they did not
// create).
func workspace(p Platform, getenv func(string) string, dir string) string {
	var ws string
	switch p {
	case GitHub:
		ws = getenv("GITHUB_WORKSPACE")
	case GitLab:
		ws = getenv("CI_PROJECT_DIR")
	}
	if fi, err := os.Stat(ws); ws != "" && err == nil && fi.IsDir() {
		return ws
	}
	return dir
}
