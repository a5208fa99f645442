package ferryimage

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// BusyboxDir is where `make busybox` (and FetchBusybox) unpack the
// busybox-static package of a Debian architecture, below the repository
// root.
func BusyboxDir(root, arch string) string { return filepath.Join(root, "dist", "busybox", arch) }

// FetchBusybox makes sure BusyboxDir(root, arch) holds the unpacked
// package, running the repository's .github/scripts/fetch-busybox.sh (apt,
// Debian or Ubuntu) when it does not, and reads it.
func FetchBusybox(ctx context.Context, root, arch string) (Busybox, error) {
	dir := BusyboxDir(root, arch)
	if bb, err := ReadBusybox(dir); err == nil {
		return bb, nil
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, ".github", "scripts", "fetch-busybox.sh"), filepath.Dir(dir), arch)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return Busybox{}, fmt.Errorf("fetching busybox-static for %s: %w\n%s", arch, err, out)
	}
	return ReadBusybox(dir)
}
