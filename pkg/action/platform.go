package action

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

// workspace is the directory relative paths in inputs resolve against.
func workspace(p Platform, getenv func(string) string, dir string) string {
	switch {
	case p == GitHub && getenv("GITHUB_WORKSPACE") != "":
		return getenv("GITHUB_WORKSPACE")
	case p == GitLab && getenv("CI_PROJECT_DIR") != "":
		return getenv("CI_PROJECT_DIR")
	default:
		return dir
	}
}
