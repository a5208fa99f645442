package iampolicy_test

import (
	"slices"
	"testing"

	"github.com/ferry-ci/ferry/internal/iampolicy"
)

const readme = "# x\n\n## IAM policy\n\n```json\n" + `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"},
    {"Sid": "Write", "Effect": "Allow", "Action": ["ecs:UpdateService", "elasticloadbalancing:Modify?istener"], "Resource": ["arn:aws:ecs:*"]}
  ]
}` + "\n```\n\n## Inputs\n\n```json\n{}\n```\n"

func TestFromMarkdown(t *testing.T) {
	p, err := iampolicy.FromMarkdown([]byte(readme), "## IAM policy")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ecs:Describe*", "ecs:UpdateService", "elasticloadbalancing:Modify?istener"}
	if have := p.Actions(); !slices.Equal(have, want) {
		t.Errorf("actions: want %q, have %q", want, have)
	}
	tests := []struct {
		action string
		want   bool
	}{
		{"ecs:DescribeServices", true},
		{"ECS:describetasks", true},
		{"ecs:UpdateService", true},
		{"ecs:UpdateServicePrimaryTaskSet", false},
		{"elasticloadbalancing:ModifyListener", true},
		{"elasticloadbalancing:ModifyRule", false},
		{"ecs:RegisterTaskDefinition", false},
		{"ecr:DescribeServices", false},
	}
	for _, tt := range tests {
		if have := p.Allows(tt.action); have != tt.want {
			t.Errorf("Allows(%q): want %v, have %v", tt.action, tt.want, have)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"deny":         `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
		"no action":    `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		"no statement": `{"Version":"2012-10-17"}`,
		"bad action":   `{"Statement":[{"Effect":"Allow","Action":"UpdateService","Resource":"*"}]}`,
		"action type":  `{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`,
	} {
		if _, err := iampolicy.Parse([]byte(doc)); err == nil {
			t.Errorf("%s: want an error, have none", name)
		}
	}
	if _, err := iampolicy.FromMarkdown([]byte("# x\n"), "## IAM policy"); err == nil {
		t.Error("no heading: want an error")
	}
}
