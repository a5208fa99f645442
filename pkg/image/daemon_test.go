package image_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/ferry-ci/ferry/internal/dockertest"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/types"
	dockerimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/ferry-ci/ferry/pkg/image"
)

// fakeDaemon is a daemon.Client serving one image as "docker save" would.
// It answers Ping, ImageInspect and ImageSave, and fails the test on any
// other call or an unexpected image name.
type fakeDaemon struct {
	t          *testing.T
	inspectRef string // what ImageInspect must be asked for
	saveName   string // what ImageSave must be asked for
	saved      []byte // the "docker save" tarball
	configName v1.Hash
	inspectErr error
	saves      atomic.Int32
}

var _ daemon.Client = (*fakeDaemon)(nil)

// newFakeDaemon serves img as ref.
func newFakeDaemon(t *testing.T, ref string, img v1.Image) *fakeDaemon {
	t.Helper()
	r, saved, id := dockertest.Save(t, ref, img)
	return &fakeDaemon{t: t, inspectRef: r.String(), saveName: r.Name(), saved: saved, configName: id}
}

func (f *fakeDaemon) Ping(context.Context, client.PingOptions) (client.PingResult, error) {
	return client.PingResult{APIVersion: "1.51", OSType: "linux"}, nil
}

func (f *fakeDaemon) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if ref != f.inspectRef {
		f.t.Errorf("ImageInspect(%q): want %q", ref, f.inspectRef)
		return client.ImageInspectResult{}, errors.New("unexpected image")
	}
	if f.inspectErr != nil {
		return client.ImageInspectResult{}, f.inspectErr
	}
	return client.ImageInspectResult{InspectResponse: dockerimage.InspectResponse{ID: f.configName.String()}}, nil
}

func (f *fakeDaemon) ImageSave(_ context.Context, images []string, _ ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	if !slices.Equal(images, []string{f.saveName}) {
		f.t.Errorf("ImageSave(%q): want [%q]", images, f.saveName)
		return nil, errors.New("unexpected images")
	}
	f.saves.Add(1)
	return io.NopCloser(bytes.NewReader(f.saved)), nil
}

func (f *fakeDaemon) ImageLoad(context.Context, io.Reader, ...client.ImageLoadOption) (client.ImageLoadResult, error) {
	f.t.Error("unexpected call: ImageLoad")
	return nil, errors.New("unexpected call: ImageLoad")
}

func (f *fakeDaemon) ImageTag(context.Context, client.ImageTagOptions) (client.ImageTagResult, error) {
	f.t.Error("unexpected call: ImageTag")
	return client.ImageTagResult{}, errors.New("unexpected call: ImageTag")
}

func (f *fakeDaemon) ImageHistory(context.Context, string, ...client.ImageHistoryOption) (client.ImageHistoryResult, error) {
	f.t.Error("unexpected call: ImageHistory")
	return client.ImageHistoryResult{}, errors.New("unexpected call: ImageHistory")
}

func TestFromDaemon(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ref      string
		platform string
	}{
		{name: "short name", ref: "app:dev", platform: "linux/amd64"},
		{name: "variant kept", ref: "registry.example.com/team/app:1.2.3", platform: "linux/arm64/v8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := randomImage(t, tt.platform, types.DockerManifestSchema2)
			fake := newFakeDaemon(t, tt.ref, img)

			a, err := image.FromDaemon(t.Context(), tt.ref, fake)
			if err != nil {
				t.Fatalf("FromDaemon: %v", err)
			}
			if a.Image == nil || a.Index != nil {
				t.Fatalf("want an image, have %+v", a)
			}
			if want, have := digestOf(t, img), artifactDigest(t, a); want != have {
				t.Errorf("digest: want %s, have %s", want, have)
			}
			if want, have := []string{tt.platform}, platformStrings(t, a); !slices.Equal(want, have) {
				t.Errorf("platforms: want %q, have %q", want, have)
			}
			wantCfg, err := img.RawConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			haveCfg, err := a.Image.RawConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wantCfg, haveCfg) {
				t.Errorf("config: want %s, have %s", wantCfg, haveCfg)
			}
			if _, err := a.Image.Layers(); err != nil {
				t.Fatal(err)
			}
			if want, have := int32(1), fake.saves.Load(); want != have {
				t.Errorf("ImageSave calls: want %d, have %d", want, have)
			}
		})
	}
}

func TestFromDaemonErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ref        string
		inspectErr error
		want       []string
	}{
		{
			name:       "missing image",
			ref:        "app:missing",
			inspectErr: errors.New("No such image: app:missing"),
			want:       []string{`reading image "app:missing" from the Docker daemon`, "No such image"},
		},
		{
			name: "bad reference",
			ref:  "App:dev",
			want: []string{`reading image "App:dev" from the Docker daemon: parsing reference`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fake *fakeDaemon
			if tt.inspectErr != nil {
				fake = newFakeDaemon(t, tt.ref, randomImage(t, "linux/amd64", types.DockerManifestSchema2))
				fake.inspectErr = tt.inspectErr
			} else {
				fake = &fakeDaemon{t: t}
			}
			_, err := image.FromDaemon(t.Context(), tt.ref, fake)
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

// TestFromDaemonDefaultClient reads through the default client, which finds
// the daemon from DOCKER_HOST; here an httptest server speaking the Engine
// API's ping, inspect and save endpoints. Not parallel: it sets DOCKER_HOST.
func TestFromDaemonDefaultClient(t *testing.T) {
	img := randomImage(t, "linux/amd64", types.DockerManifestSchema2)
	engine := dockertest.New(t, "app:dev", img)
	t.Setenv("DOCKER_HOST", engine.Host)
	t.Setenv("DOCKER_API_VERSION", "")
	t.Setenv("DOCKER_TLS_VERIFY", "")
	t.Setenv("DOCKER_CERT_PATH", "")

	a, err := image.FromDaemon(t.Context(), "app:dev", nil)
	if err != nil {
		t.Fatalf("FromDaemon: %v", err)
	}
	if want, have := digestOf(t, img), artifactDigest(t, a); want != have {
		t.Errorf("digest: want %s, have %s", want, have)
	}
	if want, have := 1, engine.Saves(); want != have {
		t.Errorf("saves: want %d, have %d", want, have)
	}
}
