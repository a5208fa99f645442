package image

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
)

// FromDaemon reads the image ref (for example "app:dev") from a Docker
// daemon. A nil client means the default client from the environment
// (DOCKER_HOST, or /var/run/docker.sock).
//
// The image is saved from the daemon once, to a temporary file, and read from
// there afterwards. Its config is the one in the saved image (what a push
// sends), not the daemon's lossy "docker inspect" rendering of it.
func FromDaemon(ctx context.Context, ref string, client daemon.Client) (Artifact, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading image %q from the Docker daemon: parsing reference: %w", ref, err)
	}
	opts := []daemon.Option{daemon.WithContext(ctx), daemon.WithFileBufferedOpener()}
	if client != nil {
		opts = append(opts, daemon.WithClient(client))
	}
	img, err := daemon.Image(r, opts...)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading image %q from the Docker daemon: %w", ref, err)
	}
	// Saving the image now surfaces a failing save here rather than halfway
	// through a push.
	raw, err := img.RawConfigFile()
	if err != nil {
		return Artifact{}, fmt.Errorf("reading image %q from the Docker daemon: saving image: %w", ref, err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return Artifact{}, fmt.Errorf("reading image %q from the Docker daemon: parsing image config: %w", ref, err)
	}
	return Artifact{Image: &daemonImage{Image: img, config: cf}}, nil
}

// daemonImage is a daemon image whose ConfigFile is parsed from the saved raw
// config. go-containerregistry's daemon image rebuilds ConfigFile from
// "docker inspect", which drops fields (variant, container config), so
// anything built on top of it would not match what was saved.
type daemonImage struct {
	v1.Image
	config *v1.ConfigFile
}

// ConfigFile returns a copy of the config parsed from the saved image.
func (i *daemonImage) ConfigFile() (*v1.ConfigFile, error) {
	return i.config.DeepCopy(), nil
}
