package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/ferryimage"
	"github.com/ferry-ci/ferry/pkg/image"
)

// TestDockerfileAgrees keeps the Dockerfile's "action" stage and this
// assembly in step: the same two files at the same paths, the same
// entrypoint, on scratch.
func TestDockerfileAgrees(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join(actiontest.Root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stage string
	var dests []string
	var entry string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			stage = strings.Join(fields[1:], " ")
			dests, entry = nil, ""
		case "COPY":
			dests = append(dests, fields[len(fields)-1])
		case "ENTRYPOINT":
			entry = strings.Join(fields[1:], " ")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if stage != "scratch AS action" {
		t.Errorf("last stage: want %q, have %q", "scratch AS action", stage)
	}
	if want := []string{ferryimage.CACertsPath, ferryimage.ActionBinaryPath}; !slices.Equal(slices.Sorted(slices.Values(dests)), want) {
		t.Errorf("last stage COPY destinations: want %q, have %q", want, dests)
	}
	if want := `["` + strings.Join(ferryimage.ActionEntrypoint(), `", "`) + `"]`; entry != want {
		t.Errorf("last stage ENTRYPOINT: want %s, have %s", want, entry)
	}
}

func hostPlatform() v1.Platform { return v1.Platform{OS: "linux", Architecture: runtime.GOARCH} }

// TestAssemble runs the code path of `make image` for the host platform
// (one cross-compile): the image's files, config and labels, a second
// platform in the index, reproducibility, the layout, the size report and
// the run in the unpacked root filesystem (as root only).
func TestAssemble(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the release image is linux only")
	}
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	caBody := []byte("-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n")
	if err := os.WriteFile(ca, caBody, 0o600); err != nil {
		t.Fatal(err)
	}
	o := options{
		Root:      actiontest.Root(t),
		Platforms: []v1.Platform{hostPlatform()},
		Version:   "v0.0.0-releaseimage-test",
		Revision:  "0123456789abcdef0123456789abcdef01234567",
		Source:    "https://github.com/ferry-ci/ferry",
		CACerts:   ca,
		Epoch:     time.Unix(1700000000, 0).UTC(),
		WorkDir:   t.TempDir(),
	}
	arch := ferryimage.DebianArch(hostPlatform())
	bb, bbErr := ferryimage.FetchBusybox(t.Context(), o.Root, arch)
	if bbErr == nil {
		o.Busybox = map[string]string{hostPlatform().String(): bb.Dir}
	}
	action, gitlab, err := assemble(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	idx, images := action.Index, action.Images
	if len(images) != 1 {
		t.Fatalf("images: want 1, have %d", len(images))
	}
	img := images[0].Image

	t.Run("config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform: want linux/%s, have %s/%s", runtime.GOARCH, cf.OS, cf.Architecture)
		}
		if !slices.Equal(cf.Config.Entrypoint, []string{"/ferry"}) || len(cf.Config.Cmd) != 0 {
			t.Errorf("entrypoint and cmd: want [/ferry] and none, have %q and %q", cf.Config.Entrypoint, cf.Config.Cmd)
		}
		wantLabels := map[string]string{
			"org.opencontainers.image.title":       "ferry",
			"org.opencontainers.image.description": labels(o)["org.opencontainers.image.description"],
			"org.opencontainers.image.version":     o.Version,
			"org.opencontainers.image.revision":    o.Revision,
			"org.opencontainers.image.source":      o.Source,
			"org.opencontainers.image.created":     "2023-11-14T22:13:20Z",
		}
		if !maps.Equal(cf.Config.Labels, wantLabels) {
			t.Errorf("labels:\nwant %v\nhave %v", wantLabels, cf.Config.Labels)
		}
		if !cf.Created.Time.Equal(o.Epoch) {
			t.Errorf("created: want %s, have %s", o.Epoch, cf.Created.Time)
		}
		if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
			t.Errorf("media type: want %s, have %s", types.OCIManifestSchema1, mt)
		}
	})

	t.Run("one layer: the binary and the CA bundle", func(t *testing.T) {
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 1 {
			t.Fatalf("layers: want 1, have %d", len(layers))
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var have []string
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			have = append(have, h.Name+" "+os.FileMode(h.Mode).String())
			if !h.ModTime.Equal(o.Epoch) || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s: want root-owned at the epoch, have uid %d gid %d at %s", h.Name, h.Uid, h.Gid, h.ModTime)
			}
		}
		want := []string{
			"etc/ -rwxr-xr-x",
			"etc/ssl/ -rwxr-xr-x",
			"etc/ssl/certs/ -rwxr-xr-x",
			"etc/ssl/certs/ca-certificates.crt -rw-r--r--",
			"ferry -rwxr-xr-x",
		}
		if !slices.Equal(have, want) {
			t.Errorf("layer entries:\nwant %q\nhave %q", want, have)
		}
	})

	t.Run("reproducible", func(t *testing.T) {
		again, err := buildImage(t.Context(), o, hostPlatform(), images[0].Binary)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := img.Digest()
		if have, _ := again.Digest(); have != want {
			t.Errorf("image digest: want %s twice, have %s", want, have)
		}
		idx2, err := index(labels(o), images)
		if err != nil {
			t.Fatal(err)
		}
		want, _ = idx.Digest()
		if have, _ := idx2.Digest(); have != want {
			t.Errorf("index digest: want %s twice, have %s", want, have)
		}
	})

	t.Run("index of two platforms", func(t *testing.T) {
		// The assembly does not look inside the binary: the host's stands in
		// for the second platform's, which would take a second compile.
		other := v1.Platform{OS: "linux", Architecture: "riscv64"}
		img2, err := buildImage(t.Context(), o, other, images[0].Binary)
		if err != nil {
			t.Fatal(err)
		}
		two, err := index(labels(o), append(slices.Clone(images), built{Platform: other, Image: img2}))
		if err != nil {
			t.Fatal(err)
		}
		m, err := two.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		var have []string
		for _, d := range m.Manifests {
			have = append(have, d.Platform.String()+" "+string(d.MediaType))
		}
		want := []string{hostPlatform().String() + " " + string(types.OCIManifestSchema1), "linux/riscv64 " + string(types.OCIManifestSchema1)}
		if !slices.Equal(have, want) {
			t.Errorf("index manifests: want %q, have %q", want, have)
		}
		if m.MediaType != types.OCIImageIndex || m.Annotations["org.opencontainers.image.version"] != o.Version {
			t.Errorf("index: want an OCI index annotated with the version, have %s %v", m.MediaType, m.Annotations)
		}
	})

	t.Run("layout", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "image")
		for range 2 { // the second write replaces the first
			if err := writeLayout(dir, idx, o.Version); err != nil {
				t.Fatal(err)
			}
		}
		a, err := image.FromLayout(dir)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := idx.Digest()
		if have, _ := a.Digest(); have != want {
			t.Errorf("layout digest: want %s, have %s", want, have)
		}
		notLayout := t.TempDir()
		if err := os.WriteFile(filepath.Join(notLayout, "keep.txt"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := writeLayout(notLayout, idx, o.Version); err == nil || !strings.Contains(err.Error(), "not an OCI layout") {
			t.Errorf("writing over a directory that is not a layout: want a refusal, have %v", err)
		}
		if _, err := os.Stat(filepath.Join(notLayout, "keep.txt")); err != nil {
			t.Errorf("the directory that is not a layout was touched: %v", err)
		}
	})

	t.Run("size report", func(t *testing.T) {
		var b bytes.Buffer
		if err := report(&b, idx, images, defaultMaxBytes); err != nil {
			t.Fatalf("report within %d bytes: %v\n%s", defaultMaxBytes, err, b.String())
		}
		for _, want := range []string{hostPlatform().String(), " MB (", "total"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("report lacks %q:\n%s", want, b.String())
			}
		}
		err := report(io.Discard, idx, images, 1000)
		if err == nil || !strings.Contains(err.Error(), "over the 0.00 MB goal: "+hostPlatform().String()) {
			t.Errorf("report over the goal: want an error naming the platform, have %v", err)
		}
	})

	t.Run("root filesystem runs", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "rootfs")
		if err := unpack(img, root); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(root, ferryimage.CACertsPath)); err != nil || !bytes.Equal(b, caBody) {
			t.Errorf("%s: want the CA bundle, have %q (%v)", ferryimage.CACertsPath, b, err)
		}
		st, err := os.Stat(filepath.Join(root, ferryimage.ActionBinaryPath))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("%s: want an executable, have %v (%v)", ferryimage.ActionBinaryPath, st, err)
		}
		if os.Geteuid() != 0 {
			t.Skip("chroot needs root; the unpacked filesystem was checked, not run")
		}
		out, err := runInRoot(t.Context(), root, nil, "/ferry", "version")
		if err != nil {
			t.Fatal(err)
		}
		if want := "ferry " + o.Version + "\n"; out != want {
			t.Errorf("chroot /ferry version: want %q, have %q", want, out)
		}
	})

	t.Run("GitLab job image", func(t *testing.T) {
		if bbErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(bbErr)
			}
			t.Skipf("no busybox-static package for %s: %v", arch, bbErr)
		}
		if len(gitlab.Images) != 1 || gitlab.Index == nil {
			t.Fatalf("GitLab images: want 1 and an index, have %d", len(gitlab.Images))
		}
		img := gitlab.Images[0].Image
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.Labels["org.opencontainers.image.title"] != "ferry-gitlab" || !strings.Contains(cf.Config.Labels["org.opencontainers.image.description"], bb.Version) ||
			cf.Config.Labels["org.opencontainers.image.version"] != o.Version {
			t.Errorf("labels: want the title ferry-gitlab, the busybox version and the version, have %v", cf.Config.Labels)
		}
		var b bytes.Buffer
		if err := report(&b, gitlab.Index, gitlab.Images, defaultMaxBytes); err != nil {
			t.Errorf("report within %d bytes: %v\n%s", defaultMaxBytes, err, b.String())
		}
		if os.Geteuid() != 0 {
			t.Skip("chroot needs root; the image was built, not run")
		}
		var out bytes.Buffer
		if err := proveGitLab(t.Context(), &out, gitlab.Images, o.Version, t.TempDir()); err != nil {
			t.Fatal(err)
		}
		if want := "ferry " + o.Version + "\n"; !strings.HasSuffix(out.String(), want) {
			t.Errorf("sh -c ...; ferry version in the GitLab root filesystem: want output ending %q, have %q", want, out.String())
		}
	})
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(epoch string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return epoch
			}
			return ""
		}
	}
	c, err := parseArgs([]string{"-ca-certs", ca, "-version", "v1.2.3", "-busybox", "linux/amd64=bb/amd64, linux/arm64=bb/arm64"}, env("1700000000"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"linux/amd64": "bb/amd64", "linux/arm64": "bb/arm64"}; !maps.Equal(c.Busybox, want) || c.GitLabOut != "dist/gitlab-image" {
		t.Errorf("-busybox: want %v into dist/gitlab-image, have %v into %q", want, c.Busybox, c.GitLabOut)
	}
	if c, err := parseArgs([]string{"-ca-certs", ca, "-gitlab-out", ""}, env(""), io.Discard); err != nil || c.Busybox != nil {
		t.Errorf("-gitlab-out empty: want no GitLab image and no -busybox needed, have %v (%v)", c.Busybox, err)
	}
	if have := []string{c.Platforms[0].String(), c.Platforms[1].String()}; len(c.Platforms) != 2 || !slices.Equal(have, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("default platforms: want linux/amd64, linux/arm64; have %v", c.Platforms)
	}
	if !c.Epoch.Equal(time.Unix(1700000000, 0)) || c.Out != "dist/image" || c.MaxBytes != defaultMaxBytes || !c.Run {
		t.Errorf("defaults: have epoch %s, out %q, max %d, run %v", c.Epoch, c.Out, c.MaxBytes, c.Run)
	}

	_, err = parseArgs([]string{"-ca-certs", filepath.Join(ca, "nope"), "-version", "", "-platforms", "linux,linux/arm64", "-max-bytes", "0"}, env("soon"), io.Discard)
	for _, want := range []string{
		`-platforms: want os/arch[/variant], have "linux"`,
		"SOURCE_DATE_EPOCH: want Unix seconds",
		"-version: want a version, have none",
		"-max-bytes: want a positive size, have 0",
		"-ca-certs: ",
		"-busybox: want os/arch=DIR for each platform (make busybox fetches them), have none",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad flags: want an error with %q, have %v", want, err)
		}
	}
	_, err = parseArgs([]string{"-ca-certs", ca, "-busybox", "linux/amd64=bb/amd64,arm64"}, env(""), io.Discard)
	for _, want := range []string{
		`-busybox: want os/arch=DIR, have "arm64"`,
		"-busybox: want a package for linux/arm64, have none",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad flags: want an error with %q, have %v", want, err)
		}
	}
}
