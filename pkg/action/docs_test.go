package action_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/pkg/action"
)

const image = "docker://ghcr.io/ferry-ci/ferry:v1.2.3"

// notifySpec is a second action, to render the root action.yml from: it
// shares aws-region (same default), timeout (another default) and the arn
// output with demo.
func notifySpec() action.Spec {
	return action.Spec{
		Name:        "notify",
		Description: "Post a deployment message to a webhook.",
		Inputs: []action.Input{
			{Name: "webhook-url", Description: "Where to post.", Required: true, Secret: true},
			{Name: "aws-region", Description: "AWS region of the deployment.", Default: "us-east-1"},
			{Name: "timeout", Description: "How long to try.", Kind: action.Duration, Default: "2m"},
			{Name: "status", Description: "Status to report.", ActionDefault: "${{ job.status }}", Options: []string{"success", "failure"}},
		},
		Outputs: []action.Output{
			{Name: "message-id", Description: "ID of the posted message."},
			{Name: "arn", Description: "ARN the message is about."},
		},
	}
}

// goldenFile compares have with testdata/name (-update rewrites it).
func goldenFile(t *testing.T, name string, have []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), have)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		render func() ([]byte, error)
	}{
		{"demo/action.yml", func() ([]byte, error) { return action.ActionYAML(demoSpec(), image) }},
		{"notify/action.yml", func() ([]byte, error) { return action.ActionYAML(notifySpec(), image) }},
		{"root/action.yml", func() ([]byte, error) {
			return action.RootActionYAML([]action.Spec{demoSpec(), notifySpec()}, image)
		}},
		{"demo/table.md", func() ([]byte, error) { return []byte(action.MarkdownTable(demoSpec())), nil }},
		{"notify/table.md", func() ([]byte, error) { return []byte(action.MarkdownTable(notifySpec())), nil }},
		{"demo/gitlab-component.yml", func() ([]byte, error) { return action.GitLabComponent(demoSpec()) }},
		{"notify/gitlab-component.yml", func() ([]byte, error) { return action.GitLabComponent(notifySpec()) }},
		{"demo/help.txt", func() ([]byte, error) {
			var b bytes.Buffer
			err := action.WriteHelp(&b, demoSpec())
			return b.Bytes(), err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			have, err := tt.render()
			if err != nil {
				t.Fatal(err)
			}
			goldenFile(t, tt.file, have)
		})
	}
}

func TestHelpMatchesWriteHelp(t *testing.T) {
	t.Parallel()
	s, err := tryStart(t, demoSpec(), run{args: []string{"--help"}})
	if !errors.Is(err, action.ErrHelp) {
		t.Fatalf("New: want ErrHelp, have %v", err)
	}
	goldenFile(t, "demo/help.txt", s.stdout.Bytes())
}

func TestGeneratedHeader(t *testing.T) {
	t.Parallel()
	for _, render := range []func() ([]byte, error){
		func() ([]byte, error) { return action.ActionYAML(demoSpec(), image) },
		func() ([]byte, error) { return action.RootActionYAML([]action.Spec{demoSpec()}, image) },
	} {
		b, err := render()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(action.Generated)) {
			t.Errorf("want the Generated header first, have:\n%s", b)
		}
	}
}

func TestActionYAMLContent(t *testing.T) {
	t.Parallel()
	b, err := action.ActionYAML(demoSpec(), image)
	if err != nil {
		t.Fatal(err)
	}
	f, err := action.ParseActionFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "ferry demo" || f.Runs.Using != "docker" || f.Runs.Image != image || strings.Join(f.Runs.Args, " ") != "demo" {
		t.Errorf("header and runs: want ferry demo, docker %s [demo]; have %q, %q %q %q", image, f.Name, f.Runs.Using, f.Runs.Image, f.Runs.Args)
	}
	for _, in := range demoSpec().Inputs {
		y, ok := f.Inputs[in.Name]
		if !ok {
			t.Errorf("input %q missing", in.Name)
			continue
		}
		if y.IsRequired() != in.Required || y.DefaultText() != in.Default {
			t.Errorf("input %q: want required %v default %q, have %v %q", in.Name, in.Required, in.Default, y.IsRequired(), y.DefaultText())
		}
		if strings.Contains(y.Description, "\n") {
			t.Errorf("input %q: description on several lines: %q", in.Name, y.Description)
		}
	}
	if len(f.Inputs) != len(demoSpec().Inputs) || len(f.Outputs) != len(demoSpec().Outputs) {
		t.Errorf("want %d inputs and %d outputs, have %d and %d", len(demoSpec().Inputs), len(demoSpec().Outputs), len(f.Inputs), len(f.Outputs))
	}
}

func TestRootInputs(t *testing.T) {
	t.Parallel()
	inputs := action.RootInputs([]action.Spec{demoSpec(), notifySpec()})
	byName := map[string]action.Input{}
	var order []string
	for _, in := range inputs {
		byName[in.Name] = in
		order = append(order, in.Name)
	}
	wantOrder := "aws-region cluster dry-run max-attempts timeout tags labels strategy token context webhook-url status"
	if have := strings.Join(order, " "); have != wantOrder {
		t.Errorf("order: want %q, have %q", wantOrder, have)
	}
	tests := []struct {
		name, def, desc string
	}{
		{"aws-region", "us-east-1", "AWS region to deploy to. Used by: demo, notify."},
		{"timeout", "", "How long the whole action may take. Used by: demo, notify."},
		{"cluster", "", "ECS cluster name. Used by: demo."},
		{"webhook-url", "", "Where to post. Used by: notify."},
		{"token", "", "API token for the notification webhook. Used by: demo."},
	}
	for _, tt := range tests {
		in := byName[tt.name]
		if in.Required {
			t.Errorf("%s: want not required in the root action", tt.name)
		}
		if in.Default != tt.def || in.Description != tt.desc {
			t.Errorf("%s: want default %q description %q, have %q %q", tt.name, tt.def, tt.desc, in.Default, in.Description)
		}
	}
	// The callers' specs are not changed.
	if in, _ := demoSpec().Input("cluster"); !in.Required {
		t.Errorf("RootInputs changed the spec it was given")
	}
}

func TestSpliceCommandTable(t *testing.T) {
	t.Parallel()
	specs := []action.Spec{demoSpec(), {Name: "other", Description: "Does | another thing."}}
	before := "# ferry\n\n" + action.CommandsBegin + "\n| stale | row |\n" + action.CommandsEnd + "\n\n## Set up\n"
	have, err := action.SpliceCommandTable(before, specs)
	if err != nil {
		t.Fatal(err)
	}
	want := "# ferry\n\n" + action.CommandsBegin + "\n\n| Command | What it does |\n|---|---|\n" +
		"| [`demo`](actions/demo/README.md) | " + strings.ReplaceAll(demoSpec().Description, "|", `\|`) + " |\n" +
		"| [`other`](actions/other/README.md) | Does \\| another thing. |\n\n" + action.CommandsEnd + "\n\n## Set up\n"
	if have != want {
		t.Errorf("SpliceCommandTable:\nwant %q\nhave %q", want, have)
	}
	if again, err := action.SpliceCommandTable(have, specs); err != nil || again != have {
		t.Errorf("SpliceCommandTable twice: want no change, have %q (%v)", again, err)
	}
	if out, err := action.SpliceCommandTable("# ferry\n", specs); err == nil || out != "" || !strings.Contains(err.Error(), "markers") {
		t.Errorf("no markers: want an error about the markers and no text, have %q, %v", out, err)
	}
}

func TestSpliceTable(t *testing.T) {
	t.Parallel()
	spec := demoSpec()
	before := "# ferry demo\n\nIntro | with a pipe.\n\n" + action.TableBegin + "\nold table\n| stale | row |\n" + action.TableEnd + "\n\n## IAM policy\n\n```json\n{}\n```\n"
	have, err := action.SpliceTable(before, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := "# ferry demo\n\nIntro | with a pipe.\n\n" + action.TableBegin + "\n\n" + action.MarkdownTable(spec) + "\n" + action.TableEnd + "\n\n## IAM policy\n\n```json\n{}\n```\n"
	if have != want {
		t.Errorf("SpliceTable:\nwant %q\nhave %q", want, have)
	}
	again, err := action.SpliceTable(have, spec)
	if err != nil || again != have {
		t.Errorf("SpliceTable twice: want no change, have %q (%v)", again, err)
	}
	goldenFile(t, "demo/README.md", []byte(have))

	for _, bad := range []struct{ name, readme string }{
		{"no markers", "# ferry demo\n\nno table here\n"},
		{"begin only", action.TableBegin + "\n"},
		{"end only", action.TableEnd + "\n"},
		{"end before begin", action.TableEnd + "\n" + action.TableBegin + "\n"},
	} {
		if out, err := action.SpliceTable(bad.readme, spec); err == nil || out != "" || !strings.Contains(err.Error(), "markers") {
			t.Errorf("%s: want an error about the markers and no text, have %q, %v", bad.name, out, err)
		}
	}
}

func TestMarkdownTableCells(t *testing.T) {
	t.Parallel()
	table := action.MarkdownTable(demoSpec())
	for _, want := range []string{
		"| `cluster` | string | **yes** |  | ECS cluster name. |\n",
		"| `timeout` | duration | no | `10m` | How long the whole action may take. |\n",
		"| `strategy` | string | no | `rolling` | How to roll out \\| rolling or canary. One of `rolling`, `canary`. |\n",
		"| `token` | string | no |  | API token for the notification webhook. *Secret: masked, never logged.* |\n",
		"| `user-id` | Unique ID of the caller. |\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
