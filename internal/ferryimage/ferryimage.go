package ferryimage

import (
	"compress/gzip"
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/pkg/image"
)

// The action image's layout, as the Dockerfile's "action" stage has it
// (internal/releaseimage TestDockerfileAgrees).
const (
	ActionBinaryPath = "/ferry"
	CACertsPath      = "/etc/ssl/certs/ca-certificates.crt"
)

// ActionEntrypoint is the action image's entrypoint.
func ActionEntrypoint() []string { return []string{ActionBinaryPath} }

// The GitLab job image's layout: ferry on PATH, busybox in /bin.
const (
	GitLabBinaryPath = "/usr/local/bin/ferry"
	BusyboxPath      = "/bin/busybox"
	// GitLabPath is the image's PATH, the usual one of Linux images.
	GitLabPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Inputs are what both images are made of, for one platform.
type Inputs struct {
	Platform v1.Platform
	Binary   string            // a static ferry built for Platform
	CACerts  string            // the CA bundle copied to CACertsPath
	Labels   map[string]string // OCI labels
	Epoch    time.Time         // every timestamp in the image
}

// Scratch is an empty OCI image for p: no layers, only the platform.
func Scratch(p v1.Platform) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	return mutate.ConfigFile(img, cf)
}

// Action is the GitHub container action's image: the binary and the CA
// bundle on scratch, entrypoint /ferry; one layer.
func Action(ctx context.Context, in Inputs) (v1.Image, error) {
	return build(ctx, in, image.BuildOptions{
		Files: []image.File{
			{Src: in.Binary, Dest: ActionBinaryPath},
			{Src: in.CACerts, Dest: CACertsPath},
		},
		Entrypoint: ActionEntrypoint(),
	})
}

// GitLab is the GitLab job image: busybox (bb, read by ReadBusybox for the
// same platform) with its applets linked in /bin, ferry at
// /usr/local/bin/ferry, the CA bundle, a root user in /etc/passwd and a /tmp;
// no entrypoint, command sh, PATH set; one layer. work is a directory for the
// links' staging tree.
func GitLab(ctx context.Context, in Inputs, bb Busybox, work string) (v1.Image, error) {
	if want := DebianArch(in.Platform); bb.Architecture != want {
		return nil, fmt.Errorf("%s: busybox %s is built for %q, want %q", in.Platform, bb.Dir, bb.Architecture, want)
	}
	tree, err := bb.stage(work)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Platform, err)
	}
	return build(ctx, in, image.BuildOptions{
		Files: []image.File{
			{Src: tree, Dest: "/"},
			{Src: bb.binary(), Dest: BusyboxPath},
			{Src: bb.copyright(), Dest: busyboxCopyrightPath},
			{Src: in.Binary, Dest: GitLabBinaryPath},
			{Src: in.CACerts, Dest: CACertsPath},
		},
		Cmd: []string{"sh"},
		Env: []string{"PATH=" + GitLabPath},
	})
}

func build(ctx context.Context, in Inputs, o image.BuildOptions) (v1.Image, error) {
	base, err := Scratch(in.Platform)
	if err != nil {
		return nil, fmt.Errorf("scratch base for %s: %w", in.Platform, err)
	}
	o.Base = image.Artifact{Image: base}
	o.Labels = in.Labels
	o.Epoch = in.Epoch
	// Release images are built once and pulled by every job: the best gzip
	// level saves about 1 MB of ferry's 8.6 MB at level 1.
	o.CompressionLevel = gzip.BestCompression
	a, err := image.Build(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Platform, err)
	}
	return a.Image, nil
}
