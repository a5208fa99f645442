package engine_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ferry-ci/ferry/internal/engine"
)

// TestEnsureUsesARunningEngine: with an engine answering (make test starts
// one), Ensure uses it and Stop leaves it running.
func TestEnsureUsesARunningEngine(t *testing.T) {
	ctx := context.Background()
	if _, err := engine.Answers(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("in CI an engine must answer (make test starts one): %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	e, err := engine.Ensure(ctx, engine.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if e.Started || e.Version == "" {
		t.Fatalf("have Started=%v Version=%q, want an engine found running", e.Started, e.Version)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Answers(ctx); err != nil {
		t.Fatalf("Stop stopped an engine it did not start: %v", err)
	}
}

// TestNoDockerd: with no docker on PATH and no permission to install, the
// error says so.
func TestNoDockerd(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := engine.Ensure(context.Background(), engine.Options{Dir: t.TempDir()})
	if !errors.Is(err, engine.ErrNoEngine) {
		t.Fatalf("have %v, want ErrNoEngine", err)
	}
}
