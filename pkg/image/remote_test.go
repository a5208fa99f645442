package image_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

func TestFromRemote(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	img := randomImage(t, "linux/amd64", types.DockerManifestSchema2)
	idx := platformIndex(t, types.OCIImageIndex, "linux/amd64", "linux/arm64/v8", "linux/arm/v7")
	list := platformIndex(t, types.DockerManifestList, "linux/amd64", "linux/arm64/v8")

	push := func(ref string, w remote.Taggable) {
		t.Helper()
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		switch v := w.(type) {
		case v1.ImageIndex:
			err = remote.WriteIndex(r, v)
		case v1.Image:
			err = remote.Write(r, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	push(host+"/app:img", img)
	push(host+"/app:idx", idx)
	push(host+"/app:list", list)

	tests := []struct {
		name      string
		ref       string
		want      remote.Taggable
		wantIndex bool
		platforms []string
	}{
		{name: "image by tag", ref: host + "/app:img", want: img, platforms: []string{"linux/amd64"}},
		{name: "image by digest", ref: host + "/app@" + digestOf(t, img).String(), want: img, platforms: []string{"linux/amd64"}},
		{name: "index by tag", ref: host + "/app:idx", want: idx, wantIndex: true, platforms: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}},
		{name: "index by digest", ref: host + "/app@" + digestOf(t, idx).String(), want: idx, wantIndex: true, platforms: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}},
		{name: "manifest list", ref: host + "/app:list", want: list, wantIndex: true, platforms: []string{"linux/amd64", "linux/arm64/v8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := image.FromRemote(t.Context(), tt.ref)
			if err != nil {
				t.Fatalf("FromRemote: %v", err)
			}
			if have := a.Index != nil; have != tt.wantIndex {
				t.Fatalf("index: want %v, have %v", tt.wantIndex, have)
			}
			var haveRaw []byte
			if a.Index != nil {
				haveRaw, err = a.Index.RawManifest()
			} else {
				haveRaw, err = a.Image.RawManifest()
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRaw, err := tt.want.RawManifest()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wantRaw, haveRaw) {
				t.Errorf("manifest: want %s, have %s", wantRaw, haveRaw)
			}
			if want, have := digestOf(t, tt.want.(digester)), artifactDigest(t, a); want != have {
				t.Errorf("digest: want %s, have %s", want, have)
			}
			if have := platformStrings(t, a); !slices.Equal(have, tt.platforms) {
				t.Errorf("platforms: want %q, have %q", tt.platforms, have)
			}
		})
	}
}

func TestFromRemoteErrors(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	tests := []struct {
		name string
		ref  string
		want []string
	}{
		{name: "missing", ref: host + "/app:missing", want: []string{`reading "` + host + `/app:missing" from its registry`}},
		{name: "bad reference", ref: "App:Bad Tag", want: []string{`image reference "App:Bad Tag"`}},
		{name: "empty reference", ref: "", want: []string{"have an empty string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := image.FromRemote(t.Context(), tt.ref)
			if err == nil {
				t.Fatal("want an error, have none")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error: want it to contain %q, have %q", w, err)
				}
			}
		})
	}
}
