package main

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/moto"
)

// TestExecKilledTakesMotoAlong kills devstack exec with SIGKILL, which it
// cannot catch: the private moto must still go (Pdeathsig), not linger.
func TestExecKilledTakesMotoAlong(t *testing.T) {
	t.Parallel()
	bin := buildDevstack(t)
	marker := filepath.Join(t.TempDir(), "endpoint")
	cmd := exec.Command(bin, "exec", "--", "sh", "-c", `echo "$FERRY_MOTO_ENDPOINT" > "$0"; exec sleep 60`, marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // devstack and its command, not moto
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	endpoint := waitForFile(t, marker)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for moto.Ping(t.Context(), nil, endpoint) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("moto at %s still answers 10s after devstack was killed", endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
