package dockertest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// recorder stands in for the test RequireEngine is given, recording
// whether it failed or skipped instead of stopping.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }

// TestRequireEngineWithoutEngine: no engine answers (DOCKER_HOST on a
// closed port): under CI the test fails, elsewhere it skips, both saying why.
func TestRequireEngineWithoutEngine(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	for _, ci := range []string{"true", ""} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			RequireEngine(r)
			have, other := r.skip, r.fatal
			if ci != "" {
				have, other = r.fatal, r.skip
			}
			if !strings.Contains(have, "no Docker Engine answers") || other != "" {
				t.Errorf("CI=%q: want one message saying no engine answers, have fatal %q, skip %q", ci, r.fatal, r.skip)
			}
		})
	}
}
