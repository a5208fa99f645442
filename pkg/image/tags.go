package image

import (
	"fmt"
	"regexp"
	"strings"
)

// GitContext is what DefaultTags needs to know about a run: the commit, and
// the branch or git tag it runs for (either may be empty). "refs/heads/" and
// "refs/tags/" prefixes are dropped.
type GitContext struct {
	SHA    string
	Branch string
	Tag    string
}

// DefaultTags returns the image tags for a run, in this order, without
// duplicates:
//
//   - "sha-" and the first 7 characters of the commit SHA, always;
//   - on a branch, the branch name made tag-safe ("feature/x" → "feature-x");
//   - on a semver git tag vMAJOR.MINOR.PATCH ("v" optional), "MAJOR.MINOR.PATCH",
//     "MAJOR.MINOR" and "MAJOR" — but only the full version for a pre-release
//     or build ("v1.2.3-rc.1" → "1.2.3-rc.1"), and no bare "0" for major 0;
//   - on any other git tag, the tag made tag-safe;
//   - "latest" when latest is true.
//
// A SHA that is not at least 7 hex digits, or a branch or git tag with
// nothing tag-safe left, is an error.
func DefaultTags(g GitContext, latest bool) ([]string, error) {
	sha := strings.ToLower(strings.TrimSpace(g.SHA))
	if len(sha) < 7 || strings.Trim(sha, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("commit SHA %q: want at least 7 hex digits", g.SHA)
	}
	tags := []string{"sha-" + sha[:7]}

	if b := strings.TrimPrefix(strings.TrimSpace(g.Branch), "refs/heads/"); b != "" {
		t := sanitizeTag(b)
		if t == "" {
			return nil, fmt.Errorf("branch %q: no tag-safe characters left", g.Branch)
		}
		tags = append(tags, t)
	}

	if gt := strings.TrimPrefix(strings.TrimSpace(g.Tag), "refs/tags/"); gt != "" {
		if v, ok := parseSemver(gt); ok {
			tags = append(tags, v.tags()...)
		} else {
			t := sanitizeTag(gt)
			if t == "" {
				return nil, fmt.Errorf("git tag %q: no tag-safe characters left", g.Tag)
			}
			tags = append(tags, t)
		}
	}

	if latest {
		tags = append(tags, "latest")
	}
	return dedupe(tags), nil
}

// sanitizeTag makes s a Docker tag: every run of characters outside
// [A-Za-z0-9_.-] becomes one '-', runs of '-' collapse, leading '.' and '-'
// are dropped, and the result is cut to 128 characters. It returns "" when
// nothing is left.
func sanitizeTag(s string) string {
	var b strings.Builder
	var last rune
	for _, r := range s {
		if !isTagChar(r) {
			r = '-'
		}
		if r == '-' && last == '-' {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	t := strings.TrimLeft(b.String(), ".-")
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}

// semver is a parsed vMAJOR.MINOR.PATCH[-pre][+build] git tag.
type semver struct {
	major, minor, patch string
	pre, build          string
}

// parseSemver parses a semver 2.0.0 version with an optional leading 'v'.
func parseSemver(s string) (semver, bool) {
	re := regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
		`(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?` +
		`(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$`)
	m := re.FindStringSubmatch(s)
	if m == nil {
		return semver{}, false
	}
	return semver{major: m[1], minor: m[2], patch: m[3], pre: m[4], build: m[5]}, true
}

// tags returns the image tags for a version: the full version, and for a
// release also MAJOR.MINOR and (unless major is 0) MAJOR. Build metadata
// ('+' is not allowed in tags) is kept after a '-'.
func (v semver) tags() []string {
	full := v.major + "." + v.minor + "." + v.patch
	if v.pre != "" {
		full += "-" + v.pre
	}
	if v.build != "" {
		full += "-" + v.build
	}
	if v.pre != "" || v.build != "" {
		return []string{sanitizeTag(full)}
	}
	out := []string{full, v.major + "." + v.minor}
	if v.major != "0" {
		out = append(out, v.major)
	}
	return out
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
