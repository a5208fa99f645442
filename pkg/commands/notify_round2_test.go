package commands_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// TestNotifyValuesAreData: message and title are literal text. A commit
// message holding "{{" (Helm, Vue, Jinja), passed as message the way every
// other notify action is used, is sent as written and the run exits 0;
// templates are opt-in through message-template and title-template.
func TestNotifyValuesAreData(t *testing.T) {
	t.Parallel()
	const helm = "chart: bump {{ .Values.image.tag }} and {{ template \"x\" }} {{ .Ref"
	tests := []struct {
		name           string
		with           map[string]string
		title, message string
	}{
		{"literal message and title", map[string]string{"message": helm, "title": "Release {{ version }}"}, "Release {{ version }}", helm},
		{"templates opt in", map[string]string{"message-template": "{{ .CommitTitle }} on {{ .Environment }}", "title-template": "{{ .Status.Emoji }} {{ .Ref }}"},
			"✅ v1.2.3", "fix: things on staging"},
		{"literal message, templated title", map[string]string{"message": helm, "title-template": "{{ .Ref }}"}, "v1.2.3", helm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink(t)
			with := merge(map[string]string{
				"webhook-url": s.URL + "/hook/" + webhookSecret, "status": "success",
				"ref": "v1.2.3", "environment": "staging", "commit-message": "fix: things\n\nbody",
			}, tt.with)
			res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with})
			if res.Code != 0 || res.Outputs["sent"] != "1" {
				t.Fatalf("want exit 0 and sent 1, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
			}
			var p struct{ Title, Message string }
			if err := json.Unmarshal(s.Requests("/hook/")[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || p.Message != tt.message {
				t.Errorf("want title %q message %q\nhave title %q message %q", tt.title, tt.message, p.Title, p.Message)
			}
		})
	}
}
