package image

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ParseFiles parses "src:dest" lines into Files: src is a file or directory
// on disk (relative to the working directory, or absolute), dest an absolute
// path in the image; a dest ending in "/" is a directory the file goes into.
// The line is split at its first ':'. Blank lines and lines starting with '#'
// are skipped. Every bad line is reported, joined with errors.Join.
func ParseFiles(lines []string) ([]File, error) {
	var (
		files []File
		errs  []error
	)
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f, err := parseFile(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d %q: %w", i+1, line, err))
			continue
		}
		files = append(files, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

func parseFile(line string) (File, error) {
	src, dest, ok := strings.Cut(line, ":")
	if !ok {
		return File{}, errors.New(`want "src:dest", have no ':'`)
	}
	src, dest = strings.TrimSpace(src), strings.TrimSpace(dest)
	var problems []string
	if src == "" {
		problems = append(problems, "want a source path before ':', have none")
	}
	switch {
	case dest == "":
		problems = append(problems, "want an absolute destination after ':', have none")
	case !path.IsAbs(dest):
		problems = append(problems, fmt.Sprintf("want an absolute destination (starting with '/'), have %q", dest))
	}
	if len(problems) > 0 {
		return File{}, errors.New(strings.Join(problems, "; "))
	}
	return File{Src: src, Dest: cleanDest(dest)}, nil
}

// cleanDest cleans an absolute in-image path, keeping a trailing '/'.
func cleanDest(dest string) string {
	c := path.Clean(dest)
	if strings.HasSuffix(dest, "/") && c != "/" {
		c += "/"
	}
	return c
}

// ParsePlatforms parses "os/arch" or "os/arch/variant" items (for example
// "linux/amd64", "linux/arm64/v8"). Blank items are skipped; a platform listed
// twice is an error. Every bad item is reported, joined with errors.Join.
func ParsePlatforms(items []string) ([]v1.Platform, error) {
	var (
		out  []v1.Platform
		errs []error
		seen = map[string]bool{}
	)
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parsePlatform(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("platform %q: %w", item, err))
			continue
		}
		if seen[p.String()] {
			errs = append(errs, fmt.Errorf("platform %q: listed more than once", item))
			continue
		}
		seen[p.String()] = true
		out = append(out, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("want os/arch or os/arch/variant (like linux/amd64), have %d part(s)", len(parts))
	}
	for _, part := range parts {
		if part == "" || strings.ContainsAny(part, " \t:") {
			return v1.Platform{}, fmt.Errorf("want os/arch or os/arch/variant (like linux/amd64), have an empty or malformed part %q", part)
		}
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, err
	}
	return *p, nil
}

// ValidateTag reports whether tag is a valid Docker tag
// ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): 1 to 128 letters, digits, '_', '.' or
// '-', not starting with '.' or '-'.
func ValidateTag(tag string) error {
	const want = "want 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"
	switch {
	case tag == "":
		return fmt.Errorf("tag %q: %s, have an empty tag", tag, want)
	case len(tag) > 128:
		return fmt.Errorf("tag %q: %s, have %d characters", tag, want, len(tag))
	case tag[0] == '.' || tag[0] == '-':
		return fmt.Errorf("tag %q: %s, have a leading %q", tag, want, tag[0])
	}
	pos := 0
	for _, r := range tag {
		pos++
		if !isTagChar(r) {
			return fmt.Errorf("tag %q: %s, have %q at position %d", tag, want, r, pos)
		}
	}
	return nil
}

func isTagChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'
}

// ParseReference parses an image reference such as "app:dev",
// "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.2.3" or
// "registry/app@sha256:…". A reference without a registry is Docker Hub's.
func ParseReference(s string) (name.Reference, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("image reference: want [registry/]repository[:tag|@digest], have an empty string")
	}
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: want [registry/]repository[:tag|@digest]: %w", s, err)
	}
	return r, nil
}
