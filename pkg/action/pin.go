package action

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// dockerScheme prefixes a runs.image that names a published image rather
// than a Dockerfile.
const dockerScheme = "docker://"

// digestRefRE is an image reference by digest: a registry host and
// repository path in lower case, then @sha256: and 64 hex digits.
var digestRefRE = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+@sha256:[0-9a-f]{64}$`)

// PinnedRef returns the image reference of a runs.image that pins a
// published image by digest (docker://<image>@sha256:<digest>), and false
// for anything else: a Dockerfile, or an image by tag.
func PinnedRef(runsImage string) (string, bool) {
	ref, ok := strings.CutPrefix(runsImage, dockerScheme)
	if !ok || !digestRefRE.MatchString(ref) {
		return "", false
	}
	return ref, true
}

// PinImage returns the action.yml data with runs.image set to
// docker://ref, every other byte unchanged, so that the runner pulls that
// image instead of building the Dockerfile. ref must name an image by
// digest, e.g. ghcr.io/ferry-ci/ferry@sha256:….
func PinImage(data []byte, ref string) ([]byte, error) {
	if !digestRefRE.MatchString(ref) {
		return nil, fmt.Errorf("pinning runs.image: want an image by digest (registry/repository@sha256:<64 hex>), have %q", ref)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing action.yml: %w", err)
	}
	value := runsImageNode(&doc)
	if value == nil {
		return nil, errors.New("action.yml has no runs.image to pin")
	}
	out, err := replaceScalar(data, value, dockerScheme+ref)
	if err != nil {
		return nil, fmt.Errorf("action.yml: runs.image: %w", err)
	}
	f, err := ParseActionFile(out)
	if err != nil {
		return nil, fmt.Errorf("pinning runs.image: %w", err)
	}
	if f.Runs.Image != dockerScheme+ref {
		return nil, fmt.Errorf("pinning runs.image: have %q after the edit, want %q", f.Runs.Image, dockerScheme+ref)
	}
	return out, nil
}

// replaceScalar returns data with the one-line scalar node value (read from
// data) replaced by the plain scalar v, every other byte unchanged.
func replaceScalar(data []byte, value *yaml.Node, v string) ([]byte, error) {
	if value.Kind != yaml.ScalarNode || strings.Contains(value.Value, "\n") {
		return nil, fmt.Errorf("line %d: not a one-line scalar", value.Line)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	i := value.Line - 1
	if i < 0 || i >= len(lines) {
		return nil, fmt.Errorf("on line %d, beyond the file", value.Line)
	}
	line := lines[i]
	start := value.Column - 1
	end := len(bytes.TrimRight(line, "\r\n"))
	if start < 0 || start > end {
		return nil, fmt.Errorf("line %d: at column %d, beyond the line", value.Line, value.Column)
	}
	var b bytes.Buffer
	for _, l := range lines[:i] {
		b.Write(l)
	}
	b.Write(line[:start])
	b.WriteString(v)
	b.Write(line[end:])
	for _, l := range lines[i+1:] {
		b.Write(l)
	}
	return b.Bytes(), nil
}

// runsImageNode returns the value node of runs.image, or nil.
func runsImageNode(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	runs := mappingValue(doc.Content[0], "runs")
	if runs == nil {
		return nil
	}
	return mappingValue(runs, "image")
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
