package notify

import (
	"errors"
	"strings"
	"testing"
	"text/template"
)

// templateContext is a context with every field set, a hostile commit
// message and two fields.
func templateContext() Context {
	return Context{
		Repository: "acme/shop", Ref: "main", SHA: "0123456789abcdef0123456789abcdef01234567", Actor: "octocat",
		RunURL: "https://github.com/acme/shop/actions/runs/1", Environment: "production", EnvironmentURL: "https://shop.example",
		Status: Failure, CommitMessage: "Fix \"quotes\" & <tags> `code` 🚀\n\nbody {{ .SHA }}", CommitURL: "https://github.com/acme/shop/commit/0123",
		PullRequest: 7, Fields: Fields{{Key: "digest", Value: "sha256:ab"}, {Key: "task-definition", Value: "web:42"}},
	}
}

// stdlib runs text under text/template, as a reference.
func stdlib(text string, c Context) (string, error) {
	tpl, err := template.New("t").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tpl.Execute(&b, c)
	return b.String(), err
}

var templateCorpus = []string{
	DefaultTitle, DefaultMessage,
	"plain text", "", "{{/* a comment */}}x",
	"{{ .Repository }}@{{ .ShortSHA }} by {{ .Actor }} on {{ .Ref }}",
	"{{ .Status }} {{ .Status.Emoji }} {{ .Status.Phrase }}",
	"{{ .CommitTitle }}|{{ .CommitMessage }}",
	`{{ .Fields.Get "digest" }} {{ .Fields.Get "missing" }}`,
	"{{ range .Fields }}{{ .Key }}={{ .Value }};{{ end }}",
	"{{ range $i, $f := .Fields }}{{ $i }}:{{ $f.Key }} {{ end }}",
	"{{ range .Fields }}{{ $.Repository }}/{{ .Key }} {{ else }}none{{ end }}",
	`{{ if eq .Status "failure" }}bad{{ else if eq .Status "success" }}good{{ else }}other{{ end }}`,
	`{{ if and .Environment (ne .Status "started") }}done in {{ .Environment }}{{ end }}`,
	`{{ or .EnvironmentURL .RunURL }} {{ and .Ref .SHA }} {{ not .PullRequest }}`,
	`{{ with .Fields.Get "digest" }}image {{ . }}{{ else }}no image{{ end }}`,
	`{{ with .Fields.Get "none" }}x{{ else with .Actor }}by {{ . }}{{ end }}`,
	`{{ $env := .Environment }}{{ $env }} {{ $env = "x" }}{{ $env }}`,
	`{{ printf "%s#%d" .Repository .PullRequest }} {{ print .Status 1 true }} {{ println "a" }}`,
	`{{ len .Fields }} {{ len .SHA }} {{ (index .Fields 1).Value }} {{ index .Fields 0 }}`,
	`{{ .Repository | printf "%q" }} {{ "x" | eq "x" "y" }}`,
	`{{ if gt .PullRequest 5 }}big{{ end }} {{ lt "a" "b" }} {{ le 1 1 }} {{ ge 2 3 }}`,
	`{{ or 0 "" .Actor }} {{ and 1 0 .Nope }} {{ or 1 .Nope }}`,
	`{{- .Ref -}}  {{- " trimmed " -}}`,
	`{{ range 3 }}{{ . }}{{ end }}`,
	`{{ $.Status.Emoji }}{{ $x := .Fields }}{{ range $x }}{{ .Key }}{{ end }}`,
	// errors, in both
	"{{ .Nope }}", "{{ .Status.Nope }}", "{{ .Fields.Get }}", `{{ .Ref "x" }}`, "{{ $nope }}",
	"{{ index .Fields 9 }}", "{{ len 3 }}", `{{ lt true false }}`, `{{ eq .PullRequest "7" }}`, "{{ if }}", "{{ .Ref ",
	"{{ nil }}", "{{ range .Ref }}{{ end }}",
}

// TestTemplateMatchesTextTemplate: on every template of the corpus,
// ferry's evaluator prints what text/template prints, and fails where it
// fails.
func TestTemplateMatchesTextTemplate(t *testing.T) {
	t.Parallel()
	c := templateContext()
	for _, c2 := range []Context{c, {Status: Started}} {
		for _, text := range templateCorpus {
			want, wantErr := stdlib(text, c2)
			have, haveErr := renderTemplate("t", text, c2)
			if (wantErr != nil) != (haveErr != nil) {
				t.Errorf("%q: text/template error %v, ferry's %v", text, wantErr, haveErr)
				continue
			}
			if wantErr == nil && have != want {
				t.Errorf("%q:\ntext/template: %q\nferry:         %q", text, want, have)
			}
		}
	}
}

// TestTemplateUnsupported: what ferry does not run is refused by name.
func TestTemplateUnsupported(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`{{ define "x" }}y{{ end }}{{ template "x" }}`, `{{ block "x" . }}y{{ end }}`,
		`{{ html .Ref }}`, `{{ urlquery .Ref }}`, `{{ range .Fields }}{{ break }}{{ end }}`,
	} {
		_, err := renderTemplate("t", text, templateContext())
		if !errors.Is(err, ErrTemplateUnsupported) && (err == nil || !strings.Contains(err.Error(), "not supported")) {
			t.Errorf("%q: want a 'not supported' error, have %v", text, err)
		}
	}
}

// FuzzTemplate: any template either is refused as unsupported by ferry, or
// gives exactly text/template's output, or fails in both.
func FuzzTemplate(f *testing.F) {
	for _, text := range templateCorpus {
		f.Add(text)
	}
	c := templateContext()
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "range") && strings.Contains(text, "99999") {
			t.Skip() // long loops prove nothing
		}
		have, haveErr := renderTemplate("t", text, c)
		if errors.Is(haveErr, ErrTemplateUnsupported) || (haveErr != nil && strings.Contains(haveErr.Error(), "not supported")) {
			return
		}
		want, wantErr := stdlib(text, c)
		if (wantErr != nil) != (haveErr != nil) {
			t.Fatalf("%q: text/template error %v, ferry's %v", text, wantErr, haveErr)
		}
		if wantErr == nil && have != want {
			t.Fatalf("%q:\ntext/template: %q\nferry:         %q", text, want, have)
		}
	})
}
