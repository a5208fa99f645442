package ferryimage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// busyboxCopyrightPath keeps busybox's licence (GPL-2) with the binary.
const busyboxCopyrightPath = "/usr/share/doc/busybox-static/copyright"

// RequiredApplets are what GitLab's runners and ferry's components need of
// the image's userland: sh for the job script (the runner's shell detection
// looks for /bin/sh), cp, tar, mkdir, cat, rm, … for the runner's and
// gitlab-ci-local's file handling, and what the flows' scripts call. Every
// one must be an applet of the busybox used.
var RequiredApplets = []string{
	"[", "cat", "chmod", "cp", "cut", "echo", "env", "grep", "gzip", "head", "id", "ls", "mkdir",
	"mktemp", "mv", "printf", "rm", "sed", "sh", "sleep", "tail", "tar", "test", "tr", "wc",
}

// Busybox is a busybox-static Debian package unpacked with `dpkg-deb -R
// PACKAGE DIR` (its files and DEBIAN/control).
type Busybox struct {
	Dir          string
	Version      string   // the package's Version
	Architecture string   // the package's Architecture, Debian's name
	Applets      []string // the applets compiled in, sorted
}

func (b Busybox) binary() string { return filepath.Join(b.Dir, "bin", "busybox") }
func (b Busybox) copyright() string {
	return filepath.Join(b.Dir, filepath.FromSlash(busyboxCopyrightPath))
}

// ReadBusybox reads the unpacked package at dir: its control fields, and the
// applet list from the binary.
func ReadBusybox(dir string) (Busybox, error) {
	b := Busybox{Dir: dir}
	control, err := os.ReadFile(filepath.Join(dir, "DEBIAN", "control"))
	if err != nil {
		return b, fmt.Errorf("busybox %q: want a busybox-static package unpacked with dpkg-deb -R: %w", dir, err)
	}
	fields := controlFields(control)
	if p := fields["Package"]; p != "busybox-static" {
		return b, fmt.Errorf("busybox %q: want the package busybox-static, have %q", dir, p)
	}
	b.Version, b.Architecture = fields["Version"], fields["Architecture"]
	if b.Version == "" || b.Architecture == "" {
		return b, fmt.Errorf("busybox %q: DEBIAN/control lacks Version or Architecture", dir)
	}
	if _, err := os.Stat(b.copyright()); err != nil {
		return b, fmt.Errorf("busybox %q: %w", dir, err)
	}
	bin, err := os.ReadFile(b.binary())
	if err != nil {
		return b, fmt.Errorf("busybox %q: %w", dir, err)
	}
	if b.Applets, err = Applets(bin); err != nil {
		return b, fmt.Errorf("busybox %q: %w", dir, err)
	}
	var missing []string
	for _, a := range RequiredApplets {
		if _, ok := slices.BinarySearch(b.Applets, a); !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("busybox %q: want the applets %q, have none of %q", dir, RequiredApplets, missing)
	}
	return b, nil
}

// controlFields parses the single-line fields of a Debian control file.
func controlFields(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

var appletRE = regexp.MustCompile(`^(\[|\[\[|[a-z0-9][a-z0-9_.-]*)$`)

// Applets reads the applet names compiled into a busybox binary, for any
// architecture, without running it: busybox keeps them as one sorted run
// of NUL-terminated strings that starts "[", "[[" (applet_names in
// include/applet_tables.h), the list `busybox --list` prints.
func Applets(bin []byte) ([]string, error) {
	start := []byte("\x00[\x00[[\x00")
	i := bytes.Index(bin, start)
	if i < 0 || bytes.Contains(bin[i+1:], start) {
		return nil, errors.New("no single applet table (\"[\", \"[[\", …) in the binary: not busybox?")
	}
	var names []string
	for rest := bin[i+1:]; ; {
		n := bytes.IndexByte(rest, 0)
		if n <= 0 {
			break
		}
		name := string(rest[:n])
		if !appletRE.MatchString(name) || (len(names) > 0 && name <= names[len(names)-1]) {
			break
		}
		names = append(names, name)
		rest = rest[n+1:]
	}
	if len(names) < len(RequiredApplets) {
		return nil, fmt.Errorf("applet table: want at least %d names, have %q", len(RequiredApplets), names)
	}
	return names, nil
}

// stage writes, below work, the tree the image holds besides the files:
// a link /bin/<applet> → busybox for each applet, /usr/bin/env for
// scripts' #!/usr/bin/env, /etc/passwd and /etc/group with root, and /tmp.
func (b Busybox) stage(work string) (string, error) {
	tree, err := os.MkdirTemp(work, "busybox-tree-")
	if err != nil {
		return "", err
	}
	for _, d := range []string{"bin", "usr/bin", "etc", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			return "", err
		}
	}
	for _, a := range b.Applets {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(tree, "bin", a)); err != nil {
			return "", fmt.Errorf("linking applet %q: %w", a, err)
		}
	}
	if err := os.Symlink(BusyboxPath, filepath.Join(tree, "usr", "bin", "env")); err != nil {
		return "", err
	}
	for name, body := range map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
	} {
		if err := os.WriteFile(filepath.Join(tree, name), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	return tree, nil
}

// DebianArch is Debian's architecture name for a Linux platform, as in a
// package's Architecture field.
func DebianArch(p v1.Platform) string {
	switch p.Architecture {
	case "386":
		return "i386"
	case "arm":
		if p.Variant == "v7" || p.Variant == "v8" {
			return "armhf"
		}
		return "armel"
	case "ppc64le":
		return "ppc64el"
	case "mips64le":
		return "mips64el"
	}
	return p.Architecture
}
