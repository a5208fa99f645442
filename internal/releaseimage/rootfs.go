package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// unpack writes img's root filesystem (its layers flattened, as a runtime
// sees them) below dir. Only directories, regular files and symbolic links
// are expected in ferry's images; anything else, or a path leaving dir, is
// an error.
func unpack(img v1.Image, dir string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the root filesystem: %w", err)
		}
		name := filepath.Clean(filepath.FromSlash(strings.TrimPrefix(h.Name, "/")))
		if name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("root filesystem: %q leaves the root", h.Name)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("unpacking %q: %w", h.Name, err)
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("root filesystem: %q has tar type %q, which ferry's images do not hold", h.Name, h.Typeflag)
		}
	}
}

// errNeedRoot is returned by runInRoot when chroot is not possible.
var errNeedRoot = errors.New("chroot needs root")

// runInRoot runs argv in the root filesystem at dir through chroot(8), with
// only env in its environment, and returns its output.
func runInRoot(ctx context.Context, dir string, env []string, argv ...string) (string, error) {
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%w (this process runs as uid %d): run as root, or pass -run=false to skip the proof", errNeedRoot, os.Geteuid())
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		return "", fmt.Errorf("chroot(8) is not on PATH (coreutils): %w", err)
	}
	cmd := exec.CommandContext(ctx, chroot, append([]string{dir}, argv...)...)
	cmd.Env = append([]string{}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("chroot %s %s: %w\n%s", dir, strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}
