package ferryimage

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// appletTable is a binary holding applets as busybox stores them.
func appletTable(names ...string) []byte {
	return []byte("\x7fELF junk\x00more junk\x00" + strings.Join(names, "\x00") + "\x00\x00\x01trailing")
}

func TestApplets(t *testing.T) {
	t.Parallel()
	sorted := append([]string{"[", "[["}, slices.Sorted(slices.Values(append(slices.Clone(RequiredApplets[1:]), "zcat")))...)
	tests := []struct {
		name string
		bin  []byte
		want []string
		err  string
	}{
		{"table", appletTable(sorted...), sorted, ""},
		{"ends at the first name out of order", appletTable(append(slices.Clone(sorted), "abc", "def")...), sorted, ""},
		{"no table", []byte("\x00sh\x00cp\x00"), nil, "no single applet table"},
		{"two tables", append(appletTable(sorted...), appletTable(sorted...)...), nil, "no single applet table"},
		{"too short", appletTable("[", "[[", "sh"), nil, "want at least"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := Applets(tt.bin)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("want an error with %q, have %v (%q)", tt.err, err, have)
				}
				return
			}
			if err != nil || !slices.Equal(have, tt.want) {
				t.Errorf("want %q, have %q (%v)", tt.want, have, err)
			}
		})
	}
}

// fakeBusybox is an unpacked busybox-static package whose binary only
// carries the applet table.
func fakeBusybox(t *testing.T, arch string, applets ...string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"DEBIAN/control":                         "Package: busybox-static\nVersion: 1:1.35.0-4\nArchitecture: " + arch + "\nDescription: Standalone rescue shell\n tons of builtin utilities\n",
		"bin/busybox":                            string(appletTable(applets...)),
		"usr/share/doc/busybox-static/copyright": "GPL-2\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if name == "bin/busybox" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func allApplets() []string {
	return append([]string{"[", "[["}, slices.Sorted(slices.Values(RequiredApplets[1:]))...)
}

func TestReadBusybox(t *testing.T) {
	t.Parallel()
	bb, err := ReadBusybox(fakeBusybox(t, "arm64", allApplets()...))
	if err != nil {
		t.Fatal(err)
	}
	if bb.Version != "1:1.35.0-4" || bb.Architecture != "arm64" || !slices.Equal(bb.Applets, allApplets()) {
		t.Errorf("want version 1:1.35.0-4, arm64 and the applets, have %+v", bb)
	}
	_, err = ReadBusybox(fakeBusybox(t, "arm64", "[", "[[", "ash", "cat", "chmod", "cp", "cut", "echo", "env", "grep", "gzip", "head", "id", "ls", "mkdir", "mktemp", "mv", "printf", "rm", "sed", "sleep", "tail", "tar", "test", "tr", "wc"))
	if err == nil || !strings.Contains(err.Error(), `have none of ["sh"]`) {
		t.Errorf("busybox without sh: want an error naming sh, have %v", err)
	}
	if _, err := ReadBusybox(t.TempDir()); err == nil || !strings.Contains(err.Error(), "dpkg-deb -R") {
		t.Errorf("empty directory: want an error saying what is expected, have %v", err)
	}
}

// layerEntries lists the image's files as "path type[→link] mode".
func layerEntries(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		v := os.FileMode(h.Mode).Perm().String()
		if h.Typeflag == tar.TypeSymlink {
			v = "→" + h.Linkname
		}
		out["/"+strings.TrimSuffix(h.Name, "/")] = v
	}
}

func TestGitLab(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	bin := filepath.Join(work, "ferry")
	ca := filepath.Join(work, "ca.crt")
	if err := os.WriteFile(bin, []byte("ferry"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("certificates"), 0o644); err != nil {
		t.Fatal(err)
	}
	bb, err := ReadBusybox(fakeBusybox(t, "arm64", allApplets()...))
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{
		Platform: v1.Platform{OS: "linux", Architecture: "arm64"},
		Binary:   bin, CACerts: ca,
		Labels: map[string]string{"org.opencontainers.image.version": "v1.2.3"},
		Epoch:  time.Unix(1700000000, 0),
	}
	img, err := GitLab(t.Context(), in, bb, work)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || len(cf.Config.Entrypoint) != 0 || !slices.Equal(cf.Config.Cmd, []string{"sh"}) ||
		!slices.Contains(cf.Config.Env, "PATH="+GitLabPath) || cf.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" {
		t.Errorf("config: want arm64, no entrypoint, cmd sh, PATH and the labels, have %s %q %q %q %v",
			cf.Architecture, cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.Env, cf.Config.Labels)
	}
	if layers, _ := img.Layers(); len(layers) != 1 {
		t.Errorf("layers: want 1, have %d", len(layers))
	}
	have := layerEntries(t, img)
	for path, want := range map[string]string{
		"/bin/busybox":         "-rwxr-xr-x",
		"/bin/sh":              "→busybox",
		"/bin/[":               "→busybox",
		"/bin/tar":             "→busybox",
		"/usr/bin/env":         "→/bin/busybox",
		"/usr/local/bin/ferry": "-rwxr-xr-x",
		CACertsPath:            "-rw-r--r--",
		busyboxCopyrightPath:   "-rw-r--r--",
		"/etc/passwd":          "-rw-r--r--",
		"/etc/group":           "-rw-r--r--",
		"/tmp":                 "-rwxr-xr-x",
		"/root":                "-rwxr-xr-x",
	} {
		if have[path] != want {
			t.Errorf("%s: want %s, have %q", path, want, have[path])
		}
	}
	if n := len(have); n > len(allApplets())+20 {
		t.Errorf("entries: want the applets and a few files, have %d", n)
	}

	again, err := GitLab(t.Context(), in, bb, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := digest(t, img), digest(t, again); a != b {
		t.Errorf("reproducible: want %s twice, have %s", a, b)
	}

	in.Platform.Architecture = "amd64"
	if _, err := GitLab(t.Context(), in, bb, work); err == nil || !strings.Contains(err.Error(), `is built for "arm64", want "amd64"`) {
		t.Errorf("arm64 busybox in an amd64 image: want a refusal, have %v", err)
	}
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDebianArch(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{"linux/amd64": "amd64", "linux/arm64": "arm64", "linux/arm/v7": "armhf", "linux/arm/v6": "armel", "linux/386": "i386", "linux/ppc64le": "ppc64el", "linux/s390x": "s390x", "linux/riscv64": "riscv64"} {
		pl, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		if have := DebianArch(*pl); have != want {
			t.Errorf("%s: want %s, have %s", p, want, have)
		}
	}
}

// TestRealBusybox reads the host architecture's Debian package (fetched
// with make busybox's script when missing) and compares the applets read
// from the binary with what it prints for busybox --list.
func TestRealBusybox(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("busybox-static is a Linux package")
	}
	t.Parallel()
	arch := DebianArch(v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
	bb, err := FetchBusybox(t.Context(), actiontest.Root(t), arch)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("no busybox-static package (%v)", err)
	}
	out, err := exec.Command(filepath.Join(bb.Dir, "bin", "busybox"), "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(strings.Fields(string(out))))
	if !slices.Equal(bb.Applets, want) {
		t.Errorf("applets read from the binary:\nwant %q\nhave %q", want, bb.Applets)
	}
}
