package image_test

import (
	"archive/tar"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

// newRegistry starts go-containerregistry's registry on loopback and returns
// its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// platform parses "os/arch[/variant]" or fails the test.
func platform(t *testing.T, s string) v1.Platform {
	t.Helper()
	p, err := v1.ParsePlatform(s)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

// randomImage is a random two-layer image for platform p (empty: none) with
// manifest media type mt (Docker or OCI), its layers and config typed to
// match, and env in its config.
func randomImage(t *testing.T, p string, mt types.MediaType, env ...string) v1.Image {
	t.Helper()
	layerType, configType := types.DockerLayer, types.DockerConfigJSON
	if mt == types.OCIManifestSchema1 {
		layerType, configType = types.OCILayer, types.OCIConfigJSON
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, mt), configType)
	for range 2 {
		l, err := random.Layer(512, layerType)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "random"}}); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if p != "" {
		pl := platform(t, p)
		cf.OS, cf.Architecture, cf.Variant = pl.OS, pl.Architecture, pl.Variant
	}
	cf.Config.Env = env
	cf.Config.Cmd = []string{"/base-cmd"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// platformIndex is an index of media type mt holding one random image per
// platform, each descriptor naming its platform; the images' media type
// follows the index's (OCI index → OCI images, manifest list → Docker).
func platformIndex(t *testing.T, mt types.MediaType, platforms ...string) v1.ImageIndex {
	t.Helper()
	imgType := types.OCIManifestSchema1
	if mt == types.DockerManifestList {
		imgType = types.DockerManifestSchema2
	}
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		pl := platform(t, p)
		adds = append(adds, mutate.IndexAddendum{
			Add:        randomImage(t, p, imgType, "PATH=/usr/bin"),
			Descriptor: v1.Descriptor{Platform: &pl},
		})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt), adds...)
}

type digester interface{ Digest() (v1.Hash, error) }

func digestOf(t *testing.T, d digester) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func artifactDigest(t *testing.T, a image.Artifact) v1.Hash {
	t.Helper()
	h, err := a.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func platformStrings(t *testing.T, a image.Artifact) []string {
	t.Helper()
	ps, err := a.Platforms()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// tarEntry is one entry for writeTar.
type tarEntry struct {
	name string
	typ  byte
	body string
	link string
}

// writeTar writes entries to a new tar file and returns its path.
func writeTar(t *testing.T, entries ...tarEntry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// tarDir tars the directory dir (an OCI layout) with names relative to it,
// and returns the tar's path.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	var entries []tarEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			entries = append(entries, tarEntry{name: filepath.ToSlash(rel) + "/", typ: tar.TypeDir})
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		entries = append(entries, tarEntry{name: filepath.ToSlash(rel), body: string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return writeTar(t, entries...)
}

// tarEntries reads every entry of the tar file at p.
func tarEntries(t *testing.T, p string) []tarEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tarEntry
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{name: h.Name, typ: h.Typeflag, body: string(b), link: h.Linkname})
	}
}
