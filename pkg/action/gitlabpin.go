package action

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// GitLabImageDefault returns the default of a GitLab component's image
// input (spec:inputs:image:default, in the file's first document).
func GitLabImageDefault(data []byte) (string, error) {
	n, err := gitlabImageDefaultNode(data)
	if err != nil {
		return "", err
	}
	return n.Value, nil
}

// PinnedGitLabRef returns the image a release commit's component pins by
// digest in its image input, and false for anything else: the unpinned
// default of a developer build (GitLabImage), or an image by tag.
func PinnedGitLabRef(data []byte) (string, bool) {
	v, err := GitLabImageDefault(data)
	if err != nil || !digestRefRE.MatchString(v) {
		return "", false
	}
	return v, true
}

// PinGitLabImage returns the GitLab component data with its image input's
// default set to ref, every other byte unchanged, so that the component's
// jobs run the published GitLab job image by digest. ref must name an
// image by digest, e.g. ghcr.io/ferry-ci/ferry@sha256:….
func PinGitLabImage(data []byte, ref string) ([]byte, error) {
	if !digestRefRE.MatchString(ref) {
		return nil, fmt.Errorf("pinning the image input: want an image by digest (registry/repository@sha256:<64 hex>), have %q", ref)
	}
	n, err := gitlabImageDefaultNode(data)
	if err != nil {
		return nil, err
	}
	out, err := replaceScalar(data, n, ref)
	if err != nil {
		return nil, fmt.Errorf("GitLab component: spec:inputs:image:default: %w", err)
	}
	if have, err := GitLabImageDefault(out); err != nil || have != ref {
		return nil, fmt.Errorf("pinning the image input: have %q after the edit (%v), want %q", have, err, ref)
	}
	return out, nil
}

// gitlabImageDefaultNode finds spec:inputs:image:default in the first
// YAML document of a component.
func gitlabImageDefaultNode(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parsing the GitLab component's spec: %w", err)
	}
	var n *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		n = doc.Content[0]
	}
	for _, key := range []string{"spec", "inputs", "image", "default"} {
		if n == nil {
			break
		}
		n = mappingValue(n, key)
	}
	if n == nil {
		return nil, errors.New("GitLab component: no spec:inputs:image:default")
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("GitLab component line %d: spec:inputs:image:default is not a scalar", n.Line)
	}
	return n, nil
}
