package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Policy is an IAM policy document.
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid      string
	Effect   string
	Action   Strings
	Resource Strings
}

// Strings is an IAM element that is a string or a list of strings.
type Strings []string

// UnmarshalJSON reads a string or a list of strings.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, found %s", b)
	}
	*s = many
	return nil
}

// Parse reads a policy document and checks that every statement allows
// something: this package models Allow statements only.
func Parse(data []byte) (Policy, error) {
	var p Policy
	if err := json.Unmarshal(data, &p); err != nil {
		return Policy{}, fmt.Errorf("parsing the IAM policy: %w", err)
	}
	if len(p.Statement) == 0 {
		return Policy{}, errors.New("parsing the IAM policy: no statement")
	}
	for i, st := range p.Statement {
		if st.Effect != "Allow" {
			return Policy{}, fmt.Errorf("parsing the IAM policy: statement %d (%q): effect %q, want Allow", i+1, st.Sid, st.Effect)
		}
		if len(st.Action) == 0 {
			return Policy{}, fmt.Errorf("parsing the IAM policy: statement %d (%q) has no Action", i+1, st.Sid)
		}
		for _, a := range st.Action {
			if !actionPattern.MatchString(a) {
				return Policy{}, fmt.Errorf("parsing the IAM policy: statement %d (%q): action %q is not service:Action", i+1, st.Sid, a)
			}
		}
	}
	return p, nil
}

var actionPattern = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*?]+$`)

// jsonBlock is a fenced ```json block of a Markdown file.
var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)\n```")

// FromMarkdown parses the first ```json block after the heading that
// starts with heading (e.g. "## IAM policy").
func FromMarkdown(md []byte, heading string) (Policy, error) {
	text := string(md)
	i := strings.Index(text, "\n"+heading)
	if i < 0 && !strings.HasPrefix(text, heading) {
		return Policy{}, fmt.Errorf("no heading %q", heading)
	}
	m := jsonBlock.FindStringSubmatch(text[i+1:])
	if m == nil {
		return Policy{}, fmt.Errorf("no ```json block after %q", heading)
	}
	return Parse([]byte(m[1]))
}

// Actions returns every action pattern of the policy, in order, once each.
func (p Policy) Actions() []string {
	var out []string
	for _, st := range p.Statement {
		for _, a := range st.Action {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Allows reports whether some statement allows action ("service:Action").
func (p Policy) Allows(action string) bool {
	for _, pattern := range p.Actions() {
		if Match(pattern, action) {
			return true
		}
	}
	return false
}

// Match reports whether an IAM action pattern (with * and ?, compared
// without regard to case, as IAM does) matches action.
func Match(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}
