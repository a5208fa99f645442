package action

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// GitLabImage is the image the components on main run by default: the
// GitLab job image (ferry with busybox: GitLab jobs need a shell for their
// script) of a developer build, which `make image-load` loads into the
// local engine.
// It names no registry anyone can publish to (localhost), so an engine that
// lacks it fails at pull instead of running someone else's image. A release
// commit pins every component to the published image by digest instead
// (internal/pinimage), as it pins each action.yml from the Dockerfile a
// developer build uses to the published action image.
const GitLabImage = "localhost/ferry-ci/ferry:dev-gitlab"

// GitLabComponent renders a GitLab CI/CD component (spec:inputs, then one
// job) that runs the action: every input becomes a typed component input
// passed as FERRY_<NAME>, the job requests an OIDC ID token in AWS_ID_TOKEN,
// and the outputs come back as a dotenv report. Secret inputs are left out:
// set them as masked CI/CD variables FERRY_<NAME> instead, since component
// inputs are not masked.
func GitLabComponent(s Spec) ([]byte, error) {
	inputs := mapping(
		"stage", mapping("default", scalar("deploy"), "description", scalar("Stage of the job.")),
		"job-name", mapping("default", scalar("ferry-"+s.Name), "description", scalar("Name of the job.")),
		"image", mapping("default", scalar(GitLabImage), "description", scalar("Image with ferry on PATH and a shell.")),
	)
	variables := mapping()
	hasAudience := false
	for _, in := range s.Inputs {
		if in.Secret {
			continue
		}
		if in.Name == "web-identity-token-env" {
			// The job's id_tokens entry names the variable; keep them together.
			appendPairs(variables, EnvName(in.Name), scalar("AWS_ID_TOKEN"))
			continue
		}
		hasAudience = hasAudience || in.Name == "audience"
		// A typed GitLab input needs a typed default; an optional bool or int
		// without one stays a string whose empty default means "unset".
		typed := in.Default != "" || in.Required
		fields := []any{}
		switch {
		case in.Kind == Bool && typed:
			fields = append(fields, "type", scalar("boolean"))
		case in.Kind == Int && typed:
			fields = append(fields, "type", scalar("number"))
		}
		if !in.Required {
			def := scalar(in.Default)
			switch {
			case in.Kind == Bool && typed:
				def = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: in.Default}
			case in.Kind == Int && typed:
				def = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: in.Default}
			}
			fields = append(fields, "default", def)
		}
		if len(in.Options) > 0 {
			options := in.Options
			if !in.Required && in.Default == "" {
				options = append([]string{""}, options...) // GitLab wants the default among the options
			}
			fields = append(fields, "options", sequence(options...))
		}
		fields = append(fields, "description", scalar(oneLine(in.Description)))
		appendPairs(inputs, in.Name, mapping(fields...))
		appendPairs(variables, EnvName(in.Name), scalar("$[[ inputs."+in.Name+" ]]"))
	}
	header := mapping("spec", mapping("inputs", inputs))

	job := mapping(
		"stage", scalar("$[[ inputs.stage ]]"),
		"image", mapping("name", scalar("$[[ inputs.image ]]"), "entrypoint", sequence("")),
	)
	if hasAudience {
		appendPairs(job, "id_tokens", mapping("AWS_ID_TOKEN", mapping("aud", scalar("$[[ inputs.audience ]]"))))
	}
	appendPairs(job, "variables", variables)
	appendPairs(job, "script", sequence("ferry "+s.Name))
	if len(s.Outputs) > 0 {
		artifacts := mapping("reports", mapping("dotenv", scalar("ferry.env")))
		var files []string
		for _, o := range s.Outputs {
			if o.File != "" {
				files = append(files, o.File)
			}
		}
		if len(files) > 0 {
			appendPairs(artifacts, "paths", sequence(files...))
		}
		appendPairs(artifacts, "when", scalar("always"))
		appendPairs(job, "artifacts", artifacts)
	}
	body := mapping("$[[ inputs.job-name ]]", job)

	head, err := encode(header)
	if err != nil {
		return nil, err
	}
	rest, err := encode(body)
	if err != nil {
		return nil, err
	}
	comment := fmt.Sprintf("# ferry %s: %s\n# Outputs (dotenv report ferry.env): %s.\n", s.Name, oneLine(s.Description), outputNames(s))
	return []byte(string(head) + comment + "---\n" + strings.TrimPrefix(string(rest), Generated)), nil
}

func outputNames(s Spec) string {
	if len(s.Outputs) == 0 {
		return "none"
	}
	var names, files []string
	for _, o := range s.Outputs {
		if o.File != "" {
			files = append(files, o.Name+" in "+o.File)
			continue
		}
		names = append(names, DotenvName("", o.Name))
	}
	if len(files) > 0 {
		return strings.Join(names, ", ") + "; artifacts: " + strings.Join(files, ", ")
	}
	return strings.Join(names, ", ")
}
