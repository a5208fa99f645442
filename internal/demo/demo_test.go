package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// TestDemo runs `make demo`'s flow on its own private stack and checks what
// it reports and writes: every step in both runs, the second run changing
// nothing, and the sink's two notifications carrying the digest.
func TestDemo(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	c := config{
		ferry:   actiontest.Binary(t),
		summary: filepath.Join(t.TempDir(), "out", "demo-summary.md"),
		root:    actiontest.Root(t),
		log:     &log,
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rep, err := demo(ctx, c)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo output:\n%s", log.String())
		}
	})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if len(rep.Runs) != 2 {
		t.Fatalf("runs: want 2, have %d", len(rep.Runs))
	}
	first, second := rep.Runs[0], rep.Runs[1]

	t.Run("every step ran twice", func(t *testing.T) {
		for _, r := range rep.Runs {
			var have []string
			for _, s := range r.Steps {
				have = append(have, s.Name)
			}
			if strings.Join(have, ",") != strings.Join(stepNames, ",") {
				t.Errorf("run %d steps:\nwant %q\nhave %q", r.N, stepNames, have)
			}
		}
	})

	t.Run("run 1 changed everything", func(t *testing.T) {
		if first.InfraStatus != "created" || first.StackStatus != "CREATE_COMPLETE" || first.ChangeSetID == "" || !first.Emulated {
			t.Errorf("deploy-cloudformation: want created, CREATE_COMPLETE through a change set, then the emulation; have %s, %s, change set %q, emulated %t",
				first.InfraStatus, first.StackStatus, first.ChangeSetID, first.Emulated)
		}
		if first.StackOutputs["ClusterName"] == "" || first.StackEvents == 0 {
			t.Errorf("deploy-cloudformation: want the stack's outputs and its events, have %v and %d events", first.StackOutputs, first.StackEvents)
		}
		if !strings.HasPrefix(first.Digest, "sha256:") || first.PushBytes == 0 {
			t.Errorf("build-push-ecr: want a digest and bytes uploaded, have %q and %d bytes", first.Digest, first.PushBytes)
		}
		// Two distinct images to one service: the base image, then the build.
		if first.PreviousStatus != "deployed" || !strings.HasSuffix(first.PreviousTaskDefinition, "task-definition/hello:2") {
			t.Errorf("deploy-ecs of the base image: want deployed hello:2, have %s %s", first.PreviousStatus, first.PreviousTaskDefinition)
		}
		if first.DeployStatus != "deployed" || !strings.HasSuffix(first.TaskDefinition, "task-definition/hello:3") || first.Revisions != 3 {
			t.Errorf("deploy-ecs of the build: want deployed hello:3 (3 revisions), have %s %s (%d)", first.DeployStatus, first.TaskDefinition, first.Revisions)
		}
		if want := traffic.PresetNames(); strings.Join(first.Presets, ",") != strings.Join(want, ",") {
			t.Errorf("redirect-traffic presets: want %q, have %q", want, first.Presets)
		}
		if first.Weights != (traffic.Weights{Green: 100}) {
			t.Errorf("weights after run 1: want blue=0 green=100, have %s", first.Weights)
		}
		if first.SyncUploaded == 0 || first.Invalidation == "" {
			t.Errorf("sync-s3-cloudfront: want files uploaded and an invalidation, have %d and %q", first.SyncUploaded, first.Invalidation)
		}
	})

	// Asserted here on the runs themselves, not only through check().
	t.Run("run 2 is idempotent", func(t *testing.T) {
		if second.InfraStatus != "unchanged" || second.ChangeSetID != "" || second.StackEvents != first.StackEvents ||
			second.ChangeSets != first.ChangeSets || second.Emulated {
			t.Errorf("deploy-cloudformation: want unchanged, no change set, %d events and %d change sets as after run 1, no emulation; have %s, change set %q, %d events, %d change sets, emulated %t",
				first.StackEvents, first.ChangeSets, second.InfraStatus, second.ChangeSetID, second.StackEvents, second.ChangeSets, second.Emulated)
		}
		if !maps.Equal(second.StackOutputs, first.StackOutputs) {
			t.Errorf("deploy-cloudformation outputs: want run 1's %v, have %v", first.StackOutputs, second.StackOutputs)
		}
		if second.Digest != first.Digest || second.PushBytes != 0 || second.ManifestPuts != 0 {
			t.Errorf("build-push-ecr: want %s with 0 bytes and 0 manifests, have %s with %d bytes and %d manifests",
				first.Digest, second.Digest, second.PushBytes, second.ManifestPuts)
		}
		if second.DeployStatus != "unchanged" || second.TaskDefinition != first.TaskDefinition || second.Revisions != first.Revisions {
			t.Errorf("deploy-ecs: want unchanged %s (%d revisions), have %s %s (%d)",
				first.TaskDefinition, first.Revisions, second.DeployStatus, second.TaskDefinition, second.Revisions)
		}
		if strings.Join(second.Presets, ",") != "green" || len(second.Changed) != 1 || second.Changed[0] {
			t.Errorf("redirect-traffic: want one run of preset green with changed=false, have %q %v", second.Presets, second.Changed)
		}
		if second.SyncUploaded != 0 || second.SyncBytes != 0 || second.Invalidation != "" {
			t.Errorf("sync-s3-cloudfront: want 0 files, 0 bytes, no invalidation; have %d, %d, %q", second.SyncUploaded, second.SyncBytes, second.Invalidation)
		}
	})

	t.Run("the sink received two notifications with the digest", func(t *testing.T) {
		if len(rep.Notifications) != 2 {
			t.Fatalf("notifications: want 2, have %d", len(rep.Notifications))
		}
		for i, n := range rep.Notifications {
			fields, _ := n["fields"].(map[string]any)
			if fields["digest"] != first.Digest || fields["task-definition"] != first.TaskDefinition || fields["weights"] != "blue=0 green=100" {
				t.Errorf("notification %d fields: want digest %s, task-definition %s, weights blue=0 green=100; have %v",
					i+1, first.Digest, first.TaskDefinition, fields)
			}
			if n["status"] != "success" {
				t.Errorf("notification %d status: want success, have %v", i+1, n["status"])
			}
		}
	})

	t.Run("summary file", func(t *testing.T) {
		b, err := os.ReadFile(c.summary)
		if err != nil {
			t.Fatal(err)
		}
		md := string(b)
		for _, name := range stepNames {
			row := "| " + name + " | "
			if strings.Count(md, row) != 1 {
				t.Errorf("summary: want one row %q, have %d", row, strings.Count(md, row))
			}
		}
		for _, want := range []string{
			"## Run 2 is idempotent\n\n**Yes.**",
			"| ferry deploy-cloudformation | created hello (CREATE_COMPLETE, ",
			"; emulated: distribution, alarm, IP targets |",
			"outputs), no change set |",
			"✅ deploy-cloudformation: created, then unchanged",
			"✅ deploy-cloudformation: no change set made or executed, no stack event",
			"| ferry deploy-ecs | deployed hello:2 (the base image), then deployed hello:3 (3 revisions) |",
			"| unchanged hello:3 (3 revisions) |",
			"| green, changed=false |",
			"| 0 uploaded (0 B), no invalidation |",
			"| " + short(first.Digest) + ", 0 B uploaded |",
			"✅ notify: the sink received 2 notifications with the digest",
			"total wall time",
			"## Around moto",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("summary lacks %q:\n%s", want, md)
			}
		}
		if strings.Contains(md, "❌") {
			t.Errorf("summary has a failed check:\n%s", md)
		}
	})
}

// TestCheck: a second run that changed anything fails, naming each thing.
func TestCheck(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const td = "arn:aws:ecs:us-east-1:123456789012:task-definition/hello:2"
	outputs := map[string]string{"ClusterName": "hello"}
	first := func() *jobRun {
		return &jobRun{InfraStatus: "created", ChangeSetID: "arn:cs", StackOutputs: outputs, StackEvents: 40, ChangeSets: 1,
			Digest: digest, PushBytes: 100, ManifestPuts: 1, DeployStatus: "deployed", TaskDefinition: td, Revisions: 2,
			Presets: traffic.PresetNames(), Changed: []bool{false, true, true, true, true}, Weights: traffic.Weights{Green: 100},
			SyncUploaded: 5, SyncBytes: 2600, Invalidation: "I1"}
	}
	idle := func() *jobRun {
		return &jobRun{InfraStatus: "unchanged", StackOutputs: outputs, StackEvents: 40, ChangeSets: 1,
			Digest: digest, DeployStatus: "unchanged", TaskDefinition: td, Revisions: 2,
			Presets: []string{"green"}, Changed: []bool{false}, Weights: traffic.Weights{Green: 100}}
	}
	posted := []map[string]any{{"fields": map[string]any{"digest": digest}}, {"fields": map[string]any{"digest": digest}}}
	tests := []struct {
		name   string
		change func(*jobRun)
		posts  []map[string]any
		want   string // in the error; "" for none
	}{
		{"idempotent", func(*jobRun) {}, posted, ""},
		{"stack updated", func(r *jobRun) { r.InfraStatus = "updated" }, posted, "created, then unchanged"},
		{"change set executed", func(r *jobRun) { r.ChangeSetID, r.StackEvents = "arn:cs2", 50 }, posted, "no change set made or executed"},
		{"change set left", func(r *jobRun) { r.ChangeSets = 2 }, posted, "no change set made or executed"},
		{"other outputs", func(r *jobRun) { r.StackOutputs = map[string]string{"ClusterName": "other"} }, posted, "the same 1 stack outputs"},
		{"another digest", func(r *jobRun) { r.Digest = "sha256:ff" }, posted, "the same digest"},
		{"bytes uploaded", func(r *jobRun) { r.PushBytes = 10 }, posted, "0 bytes uploaded"},
		{"new revision", func(r *jobRun) {
			r.DeployStatus, r.TaskDefinition, r.Revisions = "deployed", td[:len(td)-1]+"3", 3
		}, posted, "no new task-definition revision"},
		{"traffic changed", func(r *jobRun) { r.Changed = []bool{true} }, posted, "redirect-traffic: changed=false"},
		{"files uploaded", func(r *jobRun) { r.SyncUploaded, r.SyncBytes, r.Invalidation = 1, 10, "I2" }, posted, "no invalidation"},
		{"one notification", func(*jobRun) {}, posted[:1], "2 notifications"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := idle()
			tt.change(second)
			_, err := check(first(), second, tt.posts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("want no error, have %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("want an error naming %q, have %v", tt.want, err)
			}
		})
	}
}
