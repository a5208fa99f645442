package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

func TestFromTarballDockerSave(t *testing.T) {
	t.Parallel()
	img := randomImage(t, "linux/amd64", types.DockerManifestSchema2)
	tag, err := name.NewTag("app:dev")
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "app.tar")
	if err := tarball.WriteToFile(saved, tag, img); err != nil {
		t.Fatal(err)
	}
	// Newer "docker save" writes an OCI layout next to manifest.json.
	both := writeTar(t, append(tarEntries(t, saved),
		tarEntry{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		tarEntry{name: "index.json", body: `{"schemaVersion":2,"manifests":[]}`},
	)...)

	tests := []struct {
		name string
		path string
	}{
		{name: "docker save", path: saved},
		{name: "docker save with index.json", path: both},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := image.FromTarball(tt.path)
			if err != nil {
				t.Fatalf("FromTarball: %v", err)
			}
			if a.Image == nil {
				t.Fatalf("want an image, have %+v", a)
			}
			if want, have := digestOf(t, img), artifactDigest(t, a); want != have {
				t.Errorf("digest: want %s, have %s", want, have)
			}
		})
	}
}

func TestFromTarballOCIArchive(t *testing.T) {
	t.Parallel()
	img := randomImage(t, "linux/amd64", types.OCIManifestSchema1)
	idx := platformIndex(t, types.OCIImageIndex, "linux/amd64", "linux/arm64/v8")

	tests := []struct {
		name      string
		write     func(layout.Path) error
		want      v1.Hash
		wantIndex bool
		platforms []string
	}{
		{
			name:      "image",
			write:     func(p layout.Path) error { return p.AppendImage(img) },
			want:      digestOf(t, img),
			platforms: []string{"linux/amd64"},
		},
		{
			name:      "index",
			write:     func(p layout.Path) error { return p.AppendIndex(idx) },
			want:      digestOf(t, idx),
			wantIndex: true,
			platforms: []string{"linux/amd64", "linux/arm64/v8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p, err := layout.Write(dir, empty.Index)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.write(p); err != nil {
				t.Fatal(err)
			}
			a, err := image.FromTarball(tarDir(t, dir))
			if err != nil {
				t.Fatalf("FromTarball: %v", err)
			}
			if have := a.Index != nil; have != tt.wantIndex {
				t.Fatalf("index: want %v, have %v", tt.wantIndex, have)
			}
			if have := artifactDigest(t, a); have != tt.want {
				t.Errorf("digest: want %s, have %s", tt.want, have)
			}
			if have := platformStrings(t, a); !slices.Equal(have, tt.platforms) {
				t.Errorf("platforms: want %q, have %q", tt.platforms, have)
			}
			// Every blob is readable: the extracted layout is complete.
			if a.Index != nil {
				m, err := a.Index.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range m.Manifests {
					child, err := a.Index.Image(d.Digest)
					if err != nil {
						t.Fatal(err)
					}
					readLayers(t, child)
				}
			} else {
				readLayers(t, a.Image)
			}
		})
	}
}

// readLayers reads every layer of img and checks its digest.
func readLayers(t *testing.T, img v1.Image) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := digestOf(t, l); h != want {
			t.Errorf("layer: want digest %s, have %s", want, h)
		}
	}
}

func TestFromTarballErrors(t *testing.T) {
	t.Parallel()
	two := filepath.Join(t.TempDir(), "two.tar")
	tags := map[name.Tag]v1.Image{}
	for _, s := range []string{"app:one", "app:two"} {
		tag, err := name.NewTag(s)
		if err != nil {
			t.Fatal(err)
		}
		tags[tag] = randomImage(t, "linux/amd64", types.DockerManifestSchema2)
	}
	if err := tarball.MultiWriteToFile(two, tags); err != nil {
		t.Fatal(err)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte("not a tar")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(t.TempDir(), "image.tar.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	notTar := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notTar, []byte("just some text, not a tar\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	layoutFiles := []tarEntry{
		{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		{name: "index.json", body: `{"schemaVersion":2,"manifests":[]}`},
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{
			name: "two images",
			path: two,
			want: []string{"want exactly one image, have 2", "app:one", "app:two"},
		},
		{
			name: "parent directory",
			path: writeTar(t, append(layoutFiles, tarEntry{name: "blobs/../../evil", body: "x"})...),
			want: []string{`archive entry "blobs/../../evil"`, `".."`},
		},
		{
			name: "leading parent directory",
			path: writeTar(t, append(layoutFiles, tarEntry{name: "../evil", body: "x"})...),
			want: []string{`archive entry "../evil"`},
		},
		{
			name: "absolute path",
			path: writeTar(t, append(layoutFiles, tarEntry{name: "/tmp/evil", body: "x"})...),
			want: []string{`archive entry "/tmp/evil"`, "want a relative path"},
		},
		{
			name: "symlink",
			path: writeTar(t, append(layoutFiles, tarEntry{name: "blobs", typ: tar.TypeSymlink, link: "/etc"})...),
			want: []string{`archive entry "blobs"`, "want a regular file or a directory"},
		},
		{
			name: "compressed",
			path: gzPath,
			want: []string{"want an uncompressed tar", "decompress"},
		},
		{
			name: "neither format",
			path: writeTar(t, tarEntry{name: "hello.txt", body: "hi"}),
			want: []string{`want a "docker save" tarball (manifest.json) or an OCI archive`},
		},
		{
			name: "not a tar",
			path: notTar,
			want: []string{"want a tar file"},
		},
		{
			name: "empty OCI archive",
			path: writeTar(t, layoutFiles...),
			want: []string{"want exactly one descriptor, have 0"},
		},
		{
			name: "missing file",
			path: filepath.Join(t.TempDir(), "nope.tar"),
			want: []string{"reading tarball", "no such file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := image.FromTarball(tt.path)
			if err == nil {
				t.Fatal("want an error, have none")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %q", w, err)
				}
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error: want it to name %q, have %q", tt.path, err)
			}
		})
	}
}

// TestFromTarballOCIArchiveTempDir checks the extracted layout lives as long
// as the artifact and is removed after it. Not parallel: it sets TMPDIR.
func TestFromTarballOCIArchiveTempDir(t *testing.T) {
	src := t.TempDir()
	p, err := layout.Write(src, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := platformIndex(t, types.OCIImageIndex, "linux/amd64", "linux/arm64/v8")
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	archive := tarDir(t, src)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	extracted := func() int {
		t.Helper()
		ents, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}

	// An image taken out of the index keeps the directory alive on its own.
	child := func() v1.Image {
		a, err := image.FromTarball(archive)
		if err != nil {
			t.Fatal(err)
		}
		m, err := a.Index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		child, err := a.Index.Image(m.Manifests[1].Digest)
		if err != nil {
			t.Fatal(err)
		}
		return child
	}()
	runtime.GC()
	if want, have := 1, extracted(); want != have {
		t.Fatalf("while an image is in use: want %d extracted directory, have %d", want, have)
	}
	readLayers(t, child)
	runtime.KeepAlive(child)

	deadline := time.Now().Add(10 * time.Second)
	for extracted() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("extracted directory still there after the artifact was dropped")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
