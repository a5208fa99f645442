package ferryimage

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Load puts img into the local Docker Engine as ref, with the docker CLI
// (docker load of what `docker save ref` would print), unless the engine
// already holds ref as that image.
func Load(ctx context.Context, ref string, img v1.Image) error {
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	have, _ := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if strings.TrimSpace(string(have)) == id.String() {
		return nil
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	var saved bytes.Buffer
	if err := tarball.Write(r, img, &saved); err != nil {
		return fmt.Errorf("saving %s: %w", ref, err)
	}
	cmd := exec.CommandContext(ctx, "docker", "load", "--quiet")
	cmd.Stdin = &saved
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker load %s: %w\n%s", ref, err, out)
	}
	return nil
}
