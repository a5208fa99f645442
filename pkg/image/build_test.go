package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

// srcTree writes the build sources below a new directory, with the given
// permissions and on-disk times, and returns the directory.
func srcTree(t *testing.T, execMode, fileMode os.FileMode, mtime time.Time) string {
	t.Helper()
	root := t.TempDir()
	files := []struct {
		path string
		body string
		mode os.FileMode
	}{
		{path: "app/bin/server", body: "#!/bin/sh\necho hi\n", mode: execMode},
		{path: "app/etc/config.yaml", body: "port: 8080\n", mode: fileMode},
		{path: "extra.txt", body: "extra\n", mode: fileMode},
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "app", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("bin/server", filepath.Join(root, "app", "run")); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// files are the build's files for a tree made by srcTree.
func files(root string) []image.File {
	return []image.File{
		{Src: filepath.Join(root, "app"), Dest: "/srv/app"},
		{Src: filepath.Join(root, "extra.txt"), Dest: "/opt/"},
	}
}

// layerEntry is what the test checks of one entry of the files layer.
type layerEntry struct {
	name  string
	typ   byte
	mode  int64
	body  string
	link  string
	owner string // uid:gid:uname:gname
}

// lastLayer reads the top layer of img.
func lastLayer(t *testing.T, img v1.Image) ([]layerEntry, []time.Time) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var (
		out    []layerEntry
		mtimes []time.Time
	)
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, mtimes
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, layerEntry{
			name: h.Name, typ: h.Typeflag, mode: h.Mode, body: string(b), link: h.Linkname,
			owner: strings.Join([]string{strconv.Itoa(h.Uid), strconv.Itoa(h.Gid), h.Uname, h.Gname}, ":"),
		})
		mtimes = append(mtimes, h.ModTime)
	}
}

func TestBuildSingleImage(t *testing.T) {
	t.Parallel()
	epoch := time.Unix(1700000000, 0).UTC()
	root := srcTree(t, 0o700, 0o600, time.Now())
	base := randomImage(t, "linux/amd64", types.DockerManifestSchema2, "PATH=/usr/bin", "FOO=1")
	baseLayers, err := base.Layers()
	if err != nil {
		t.Fatal(err)
	}

	a, err := image.Build(t.Context(), image.BuildOptions{
		Base:       image.Artifact{Image: base},
		Files:      files(root),
		Entrypoint: []string{"/srv/app/bin/server"},
		Cmd:        []string{"--port", "8080"},
		Env:        []string{"FOO=2", "BAR=3"},
		Workdir:    "/srv/app",
		Epoch:      epoch,
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if a.Image == nil || a.Index != nil {
		t.Fatalf("want an image, have %+v", a)
	}

	cf, err := a.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name       string
		want, have any
	}{
		{"entrypoint", []string{"/srv/app/bin/server"}, cf.Config.Entrypoint},
		{"cmd", []string{"--port", "8080"}, cf.Config.Cmd},
		{"env", []string{"PATH=/usr/bin", "FOO=2", "BAR=3"}, cf.Config.Env},
		{"workdir", "/srv/app", cf.Config.WorkingDir},
		{"created", epoch, cf.Created.Time.UTC()},
		{"os/arch", "linux/amd64", cf.OS + "/" + cf.Architecture},
		{"history created", epoch, cf.History[len(cf.History)-1].Created.Time.UTC()},
		{"history created by", "ferry build: add /srv/app /opt/", cf.History[len(cf.History)-1].CreatedBy},
		{"diff IDs", len(baseLayers) + 1, len(cf.RootFS.DiffIDs)},
	}
	for _, c := range checks {
		if !equal(c.want, c.have) {
			t.Errorf("%s: want %v, have %v", c.name, c.want, c.have)
		}
	}
	mt, err := a.Image.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	if mt != types.DockerManifestSchema2 {
		t.Errorf("media type: want %s, have %s", types.DockerManifestSchema2, mt)
	}

	entries, mtimes := lastLayer(t, a.Image)
	const root0 = "0:0::"
	want := []layerEntry{
		{name: "opt/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "opt/extra.txt", typ: tar.TypeReg, mode: 0o644, body: "extra\n", owner: root0},
		{name: "srv/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "srv/app/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "srv/app/bin/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "srv/app/bin/server", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\necho hi\n", owner: root0},
		{name: "srv/app/empty/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "srv/app/etc/", typ: tar.TypeDir, mode: 0o755, owner: root0},
		{name: "srv/app/etc/config.yaml", typ: tar.TypeReg, mode: 0o644, body: "port: 8080\n", owner: root0},
		{name: "srv/app/run", typ: tar.TypeSymlink, mode: 0o777, link: "bin/server", owner: root0},
	}
	if !slices.Equal(want, entries) {
		t.Errorf("layer entries:\nwant %+v\nhave %+v", want, entries)
	}
	for i, m := range mtimes {
		if !m.Equal(epoch) {
			t.Errorf("layer entry %q: want mtime %s, have %s", entries[i].name, epoch, m)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// TestBuildCompressionLevel: the best gzip level gives the same layer
// content (diff ID) in fewer bytes than the default, fastest one.
func TestBuildCompressionLevel(t *testing.T) {
	t.Parallel()
	base := randomImage(t, "linux/amd64", types.OCIManifestSchema1)
	dir := t.TempDir()
	text := bytes.Repeat([]byte("ferry ships containerised apps to AWS; "), 20000)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	layer := func(level int) v1.Layer {
		t.Helper()
		a, err := image.Build(t.Context(), image.BuildOptions{
			Base:             image.Artifact{Image: base},
			Files:            []image.File{{Src: filepath.Join(dir, "big.txt"), Dest: "/big.txt"}},
			CompressionLevel: level,
		})
		if err != nil {
			t.Fatal(err)
		}
		layers, err := a.Image.Layers()
		if err != nil {
			t.Fatal(err)
		}
		return layers[len(layers)-1]
	}
	fast, best := layer(0), layer(gzip.BestCompression)
	fastID, _ := fast.DiffID()
	bestID, _ := best.DiffID()
	if fastID != bestID {
		t.Errorf("diff ID: want the same content at both levels, have %s and %s", fastID, bestID)
	}
	fastSize, _ := fast.Size()
	bestSize, _ := best.Size()
	if bestSize >= fastSize {
		t.Errorf("compressed size: want level 9 below the default's %d bytes, have %d", fastSize, bestSize)
	}
}

func TestBuildReproducible(t *testing.T) {
	t.Parallel()
	base := randomImage(t, "linux/amd64", types.OCIManifestSchema1)
	rootA := srcTree(t, 0o700, 0o600, time.Now())
	rootB := srcTree(t, 0o755, 0o664, time.Unix(12345, 0)) // other modes and mtimes on disk

	build := func(root string, getenv func(string) string) v1.Hash {
		t.Helper()
		epoch, err := image.EpochFromEnv(getenv)
		if err != nil {
			t.Fatal(err)
		}
		a, err := image.Build(t.Context(), image.BuildOptions{
			Base:       image.Artifact{Image: base},
			Files:      files(root),
			Entrypoint: []string{"/srv/app/bin/server"},
			Epoch:      epoch,
		})
		if err != nil {
			t.Fatal(err)
		}
		return artifactDigest(t, a)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}

	first := build(rootA, env("1700000000"))
	tests := []struct {
		name string
		have v1.Hash
		same bool
	}{
		{name: "same inputs", have: build(rootA, env("1700000000")), same: true},
		{name: "same files elsewhere, other modes and mtimes on disk", have: build(rootB, env("1700000000")), same: true},
		{name: "other SOURCE_DATE_EPOCH", have: build(rootA, env("1700000001")), same: false},
		{name: "no SOURCE_DATE_EPOCH", have: build(rootA, env("")), same: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if same := tt.have == first; same != tt.same {
				t.Errorf("want same digest %v, have %s vs %s", tt.same, first, tt.have)
			}
		})
	}
}

func TestBuildMultiPlatform(t *testing.T) {
	t.Parallel()
	root := srcTree(t, 0o755, 0o644, time.Now())
	tests := []struct {
		name          string
		indexType     types.MediaType
		wantImageType types.MediaType
		wantLayerType types.MediaType
		platforms     []string // requested; empty: all
		wantPlatforms []string
	}{
		{
			name:          "OCI index, every platform",
			indexType:     types.OCIImageIndex,
			wantImageType: types.OCIManifestSchema1,
			wantLayerType: types.OCILayer,
			wantPlatforms: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"},
		},
		{
			name:          "Docker manifest list, every platform",
			indexType:     types.DockerManifestList,
			wantImageType: types.DockerManifestSchema2,
			wantLayerType: types.DockerLayer,
			wantPlatforms: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"},
		},
		{
			name:          "subset in requested order",
			indexType:     types.OCIImageIndex,
			wantImageType: types.OCIManifestSchema1,
			wantLayerType: types.OCILayer,
			platforms:     []string{"linux/arm64", "linux/amd64"},
			wantPlatforms: []string{"linux/arm64/v8", "linux/amd64"},
		},
		{
			name:          "one platform of an index stays an index",
			indexType:     types.DockerManifestList,
			wantImageType: types.DockerManifestSchema2,
			wantLayerType: types.DockerLayer,
			platforms:     []string{"linux/arm/v7"},
			wantPlatforms: []string{"linux/arm/v7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := platformIndex(t, tt.indexType, "linux/amd64", "linux/arm64/v8", "linux/arm/v7")
			var want []v1.Platform
			for _, p := range tt.platforms {
				want = append(want, platform(t, p))
			}
			a, err := image.Build(t.Context(), image.BuildOptions{
				Base:      image.Artifact{Index: base},
				Files:     files(root),
				Platforms: want,
				Epoch:     time.Unix(1700000000, 0),
			})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if a.Index == nil {
				t.Fatalf("want an index, have %+v", a)
			}
			if mt, err := a.Index.MediaType(); err != nil || mt != tt.indexType {
				t.Errorf("index media type: want %s, have %s (%v)", tt.indexType, mt, err)
			}
			if have := platformStrings(t, a); !slices.Equal(have, tt.wantPlatforms) {
				t.Errorf("platforms: want %q, have %q", tt.wantPlatforms, have)
			}

			baseByPlatform := map[string]v1.Image{}
			bm, err := base.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range bm.Manifests {
				img, err := base.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				baseByPlatform[d.Platform.String()] = img
			}

			m, err := a.Index.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var added []v1.Hash
			for _, d := range m.Manifests {
				if d.MediaType != tt.wantImageType {
					t.Errorf("%s: manifest media type: want %s, have %s", d.Platform, tt.wantImageType, d.MediaType)
				}
				img, err := a.Index.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if have := digestOf(t, img); have != d.Digest {
					t.Errorf("%s: descriptor digest %s, image digest %s", d.Platform, d.Digest, have)
				}
				layers, err := img.Layers()
				if err != nil {
					t.Fatal(err)
				}
				baseLayers, err := baseByPlatform[d.Platform.String()].Layers()
				if err != nil {
					t.Fatal(err)
				}
				if want, have := len(baseLayers)+1, len(layers); want != have {
					t.Fatalf("%s: layers: want %d, have %d", d.Platform, want, have)
				}
				for i, l := range baseLayers {
					if digestOf(t, l) != digestOf(t, layers[i]) {
						t.Errorf("%s: layer %d differs from the base's", d.Platform, i)
					}
				}
				top := layers[len(layers)-1]
				if mt, err := top.MediaType(); err != nil || mt != tt.wantLayerType {
					t.Errorf("%s: layer media type: want %s, have %s (%v)", d.Platform, tt.wantLayerType, mt, err)
				}
				added = append(added, digestOf(t, top))
				cf, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				cfPlatform := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
				if cfPlatform.String() != d.Platform.String() {
					t.Errorf("descriptor platform %s, config platform %s", d.Platform, cfPlatform.String())
				}
			}
			for _, h := range added[1:] {
				if h != added[0] {
					t.Errorf("files layer: want the same layer for every platform, have %s and %s", added[0], h)
				}
			}
		})
	}
}

func TestBuildPlatformErrors(t *testing.T) {
	t.Parallel()
	index := image.Artifact{Index: platformIndex(t, types.OCIImageIndex, "linux/amd64", "linux/arm64/v8", "linux/arm/v6", "linux/arm/v7")}
	single := image.Artifact{Image: randomImage(t, "linux/amd64", types.DockerManifestSchema2)}
	tests := []struct {
		name      string
		base      image.Artifact
		platforms []string
		want      []string
	}{
		{
			name:      "index lacks platform",
			base:      index,
			platforms: []string{"linux/amd64", "linux/s390x", "windows/amd64"},
			want:      []string{`platform not served by the base image: "linux/s390x", "windows/amd64"`, "it has linux/amd64, linux/arm64/v8, linux/arm/v6, linux/arm/v7"},
		},
		{
			name:      "ambiguous variant",
			base:      index,
			platforms: []string{"linux/arm"},
			want:      []string{`platform "linux/arm" matches several of its images`, "name the variant"},
		},
		{
			name:      "single image of another platform",
			base:      single,
			platforms: []string{"linux/arm64"},
			want:      []string{`platform not served by the base image: "linux/arm64"`, "single image for linux/amd64"},
		},
		{
			name:      "single image asked for two platforms",
			base:      single,
			platforms: []string{"linux/amd64", "linux/arm64"},
			want:      []string{`platform not served by the base image: "linux/arm64"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ps []v1.Platform
			for _, p := range tt.platforms {
				ps = append(ps, platform(t, p))
			}
			_, err := image.Build(t.Context(), image.BuildOptions{Base: tt.base, Platforms: ps})
			if err == nil {
				t.Fatal("want an error, have none")
			}
			if !errors.Is(err, image.ErrPlatformNotInBase) {
				t.Errorf("error %q does not wrap ErrPlatformNotInBase", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %q", w, err)
				}
			}
		})
	}
}

func TestBuildConfig(t *testing.T) {
	t.Parallel()
	baseLabels := map[string]string{"base": "yes", "kept": "yes"}
	base := withLabels(t, randomImage(t, "linux/amd64", types.DockerManifestSchema2, "PATH=/usr/bin"), baseLabels)
	tests := []struct {
		name           string
		opts           image.BuildOptions
		wantEntrypoint []string
		wantCmd        []string
		wantEnv        []string
		wantWorkdir    string
		wantLabels     map[string]string
		wantLayers     int // added
	}{
		{
			name:       "nothing: base config kept, no layer",
			opts:       image.BuildOptions{},
			wantCmd:    []string{"/base-cmd"},
			wantEnv:    []string{"PATH=/usr/bin"},
			wantLayers: 0,
		},
		{
			name:           "entrypoint alone clears the base cmd",
			opts:           image.BuildOptions{Entrypoint: []string{"/app"}},
			wantEntrypoint: []string{"/app"},
			wantEnv:        []string{"PATH=/usr/bin"},
		},
		{
			name:    "cmd alone",
			opts:    image.BuildOptions{Cmd: []string{"serve"}},
			wantCmd: []string{"serve"},
			wantEnv: []string{"PATH=/usr/bin"},
		},
		{
			name:    "env override and append, value with '='",
			opts:    image.BuildOptions{Env: []string{"PATH=/app/bin:/usr/bin", "OPTS=a=b", "EMPTY="}},
			wantCmd: []string{"/base-cmd"},
			wantEnv: []string{"PATH=/app/bin:/usr/bin", "OPTS=a=b", "EMPTY="},
		},
		{
			name:        "workdir",
			opts:        image.BuildOptions{Workdir: "/work"},
			wantCmd:     []string{"/base-cmd"},
			wantEnv:     []string{"PATH=/usr/bin"},
			wantWorkdir: "/work",
		},
		{
			name:       "labels",
			opts:       image.BuildOptions{Labels: map[string]string{"org.opencontainers.image.version": "v1.2.3", "base": "over"}},
			wantCmd:    []string{"/base-cmd"},
			wantEnv:    []string{"PATH=/usr/bin"},
			wantLabels: map[string]string{"org.opencontainers.image.version": "v1.2.3", "base": "over", "kept": "yes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.Base = image.Artifact{Image: base}
			a, err := image.Build(t.Context(), o)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			cf, err := a.Image.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cf.Config.Entrypoint, tt.wantEntrypoint) {
				t.Errorf("entrypoint: want %q, have %q", tt.wantEntrypoint, cf.Config.Entrypoint)
			}
			if !slices.Equal(cf.Config.Cmd, tt.wantCmd) {
				t.Errorf("cmd: want %q, have %q", tt.wantCmd, cf.Config.Cmd)
			}
			if !slices.Equal(cf.Config.Env, tt.wantEnv) {
				t.Errorf("env: want %q, have %q", tt.wantEnv, cf.Config.Env)
			}
			if cf.Config.WorkingDir != tt.wantWorkdir {
				t.Errorf("workdir: want %q, have %q", tt.wantWorkdir, cf.Config.WorkingDir)
			}
			wantLabels := tt.wantLabels
			if wantLabels == nil {
				wantLabels = baseLabels
			}
			if !maps.Equal(cf.Config.Labels, wantLabels) {
				t.Errorf("labels: want %v, have %v", wantLabels, cf.Config.Labels)
			}
			if want, have := time.Unix(0, 0).UTC(), cf.Created.Time.UTC(); !want.Equal(have) {
				t.Errorf("created (zero Epoch): want %s, have %s", want, have)
			}
			baseLayers, _ := base.Layers()
			layers, err := a.Image.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if want, have := len(baseLayers)+tt.wantLayers, len(layers); want != have {
				t.Errorf("layers: want %d, have %d", want, have)
			}
			if last := cf.History[len(cf.History)-1]; !last.EmptyLayer || last.CreatedBy != "ferry build: config" {
				t.Errorf("history: want an empty-layer ferry entry, have %+v", last)
			}
		})
	}
}

func withLabels(t *testing.T, img v1.Image, labels map[string]string) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = maps.Clone(labels)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	base := image.Artifact{Image: randomImage(t, "linux/amd64", types.DockerManifestSchema2)}
	root := srcTree(t, 0o755, 0o644, time.Now())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		opts image.BuildOptions
		want []string
		is   error
	}{
		{
			name: "no base",
			opts: image.BuildOptions{},
			want: []string{"base: artifact holds no image and no index"},
			is:   image.ErrEmptyArtifact,
		},
		{
			name: "every bad option at once",
			opts: image.BuildOptions{
				Base:    base,
				Files:   []image.File{{Src: "", Dest: "/x"}, {Src: "a", Dest: "rel"}},
				Env:     []string{"NOEQUALS", "=v"},
				Workdir: "rel",
				Labels:  map[string]string{"": "v"},

				CompressionLevel: 10,
			},
			want: []string{
				`file "/x": want a source path`,
				`file "a": want an absolute destination, have "rel"`,
				`env "NOEQUALS": want KEY=VALUE`,
				`env "=v": want KEY=VALUE`,
				`workdir "rel": want an absolute path`,
				`labels: want non-empty keys, have an empty one`,
				`compression level: want 1 to 9 (0 for 1), have 10`,
			},
		},
		{
			name: "missing source",
			opts: image.BuildOptions{Base: base, Files: []image.File{{Src: filepath.Join(root, "nope"), Dest: "/x"}}},
			want: []string{`adding "` + filepath.Join(root, "nope") + `" to "/x"`, "no such file"},
		},
		{
			name: "file to the root itself",
			opts: image.BuildOptions{Base: base, Files: []image.File{{Src: filepath.Join(root, "extra.txt"), Dest: "/."}}},
			want: []string{`want a file destination, have "/."`},
		},
		{
			name: "file where a directory goes",
			opts: image.BuildOptions{Base: base, Files: []image.File{
				{Src: filepath.Join(root, "extra.txt"), Dest: "/srv"},
				{Src: filepath.Join(root, "app"), Dest: "/srv/app"},
			}},
			want: []string{`"/srv" is both a directory and a file`},
		},
		{
			name: "special file",
			opts: image.BuildOptions{Base: base, Files: []image.File{{Src: fifo, Dest: "/fifo"}}},
			want: []string{"want a regular file, directory or symbolic link"},
		},
		{
			name: "cancelled",
			ctx:  cancelled,
			opts: image.BuildOptions{Base: base, Files: files(root)},
			is:   context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			_, err := image.Build(ctx, tt.opts)
			if err == nil {
				t.Fatal("want an error, have none")
			}
			for _, w := range append(tt.want, "building image") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %q", w, err)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error: want errors.Is %v, have %v", tt.is, err)
			}
		})
	}
}

func TestEpochFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    time.Time
		wantErr string
	}{
		{name: "unset", value: "", want: time.Unix(0, 0).UTC()},
		{name: "seconds", value: "1700000000", want: time.Unix(1700000000, 0).UTC()},
		{name: "spaces", value: " 42 ", want: time.Unix(42, 0).UTC()},
		{name: "zero", value: "0", want: time.Unix(0, 0).UTC()},
		{name: "not a number", value: "yesterday", wantErr: `SOURCE_DATE_EPOCH: want Unix seconds (a non-negative integer), have "yesterday"`},
		{name: "negative", value: "-1", wantErr: `have "-1"`},
		{name: "fraction", value: "1.5", wantErr: `have "1.5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := image.EpochFromEnv(func(k string) string {
				if k != "SOURCE_DATE_EPOCH" {
					t.Errorf("getenv(%q): want SOURCE_DATE_EPOCH only", k)
				}
				return tt.value
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error: want %q, have %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !have.Equal(tt.want) || have.Location() != time.UTC {
				t.Errorf("want %s, have %s", tt.want, have)
			}
		})
	}
}

func TestBuildLayerPaths(t *testing.T) {
	t.Parallel()
	root := srcTree(t, 0o755, 0o644, time.Now())
	other := filepath.Join(t.TempDir(), "other.txt")
	if err := os.WriteFile(other, []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := image.Artifact{Image: randomImage(t, "linux/amd64", types.DockerManifestSchema2)}
	extra := filepath.Join(root, "extra.txt")
	tests := []struct {
		name  string
		files []image.File
		want  []string // name, or name=body for regular files
	}{
		{
			name:  "file into a directory",
			files: []image.File{{Src: extra, Dest: "/opt/"}},
			want:  []string{"opt/", "opt/extra.txt=extra\n"},
		},
		{
			name:  "file renamed",
			files: []image.File{{Src: extra, Dest: "/opt/renamed.txt"}},
			want:  []string{"opt/", "opt/renamed.txt=extra\n"},
		},
		{
			name:  "file into the root",
			files: []image.File{{Src: extra, Dest: "/"}},
			want:  []string{"extra.txt=extra\n"},
		},
		{
			name:  "directory contents into the root",
			files: []image.File{{Src: filepath.Join(root, "app", "etc"), Dest: "/"}},
			want:  []string{"config.yaml=port: 8080\n"},
		},
		{
			name:  "deep destination gets every parent",
			files: []image.File{{Src: extra, Dest: "/a/b/c/d.txt"}},
			want:  []string{"a/", "a/b/", "a/b/c/", "a/b/c/d.txt=extra\n"},
		},
		{
			name:  "later file wins",
			files: []image.File{{Src: extra, Dest: "/x.txt"}, {Src: other, Dest: "/x.txt"}},
			want:  []string{"x.txt=other\n"},
		},
		{
			name:  "a link given as source is followed",
			files: []image.File{{Src: filepath.Join(root, "app", "run"), Dest: "/usr/bin/run"}},
			want:  []string{"usr/", "usr/bin/", "usr/bin/run=#!/bin/sh\necho hi\n"},
		},
		{
			name:  "directories merge",
			files: []image.File{{Src: filepath.Join(root, "app", "etc"), Dest: "/etc"}, {Src: extra, Dest: "/etc/"}},
			want:  []string{"etc/", "etc/config.yaml=port: 8080\n", "etc/extra.txt=extra\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := image.Build(t.Context(), image.BuildOptions{Base: base, Files: tt.files})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			entries, _ := lastLayer(t, a.Image)
			var have []string
			for _, e := range entries {
				if e.typ == tar.TypeReg {
					have = append(have, e.name+"="+e.body)
					continue
				}
				have = append(have, e.name)
			}
			if !slices.Equal(tt.want, have) {
				t.Errorf("entries:\nwant %q\nhave %q", tt.want, have)
			}
		})
	}
}
