package image_test

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

func TestFromLayout(t *testing.T) {
	t.Parallel()
	img := randomImage(t, "linux/arm64/v8", types.OCIManifestSchema1)
	dockerImg := randomImage(t, "linux/amd64", types.DockerManifestSchema2)
	idx := platformIndex(t, types.OCIImageIndex, "linux/amd64", "linux/arm64/v8", "linux/arm/v7")
	list := platformIndex(t, types.DockerManifestList, "linux/amd64", "linux/arm64/v8")

	tests := []struct {
		name      string
		write     func(layout.Path) error
		want      v1.Hash
		wantIndex bool
		platforms []string
	}{
		{
			name:      "OCI image",
			write:     func(p layout.Path) error { return p.AppendImage(img) },
			want:      digestOf(t, img),
			platforms: []string{"linux/arm64/v8"},
		},
		{
			name:      "Docker image",
			write:     func(p layout.Path) error { return p.AppendImage(dockerImg) },
			want:      digestOf(t, dockerImg),
			platforms: []string{"linux/amd64"},
		},
		{
			name:      "OCI index",
			write:     func(p layout.Path) error { return p.AppendIndex(idx) },
			want:      digestOf(t, idx),
			wantIndex: true,
			platforms: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"},
		},
		{
			name:      "Docker manifest list",
			write:     func(p layout.Path) error { return p.AppendIndex(list) },
			want:      digestOf(t, list),
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
			a, err := image.FromLayout(dir)
			if err != nil {
				t.Fatalf("FromLayout: %v", err)
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
		})
	}
}

func TestFromLayoutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(t *testing.T, p layout.Path)
		want  []string
	}{
		{
			name: "two descriptors",
			write: func(t *testing.T, p layout.Path) {
				if err := p.AppendImage(randomImage(t, "linux/amd64", types.OCIManifestSchema1),
					layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "app:one"})); err != nil {
					t.Fatal(err)
				}
				if err := p.AppendImage(randomImage(t, "linux/amd64", types.OCIManifestSchema1)); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"want exactly one descriptor, have 2", `org.opencontainers.image.ref.name "app:one"`, "sha256:"},
		},
		{
			name:  "no descriptor",
			write: func(*testing.T, layout.Path) {},
			want:  []string{"want exactly one descriptor, have 0: none"},
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
			tt.write(t, p)
			_, err = image.FromLayout(dir)
			if err == nil {
				t.Fatal("want an error, have none")
			}
			for _, w := range append(tt.want, "reading OCI layout", dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %q", w, err)
				}
			}
		})
	}

	t.Run("not a layout", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, err := image.FromLayout(dir)
		if err == nil || !strings.Contains(err.Error(), "index.json") {
			t.Errorf("error: want one naming index.json, have %v", err)
		}
	})
}
