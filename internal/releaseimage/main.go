package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ferry-ci/ferry/internal/ferryimage"
	"github.com/ferry-ci/ferry/pkg/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "releaseimage: cancelled")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "releaseimage:", err)
		os.Exit(1)
	}
}

// defaultMaxBytes is the size goal of one platform's image: 10 MB.
const defaultMaxBytes = 10_000_000

// config is the command line, parsed.
type config struct {
	options
	Out        string
	GitLabOut  string
	LoadGitLab string
	MaxBytes   int64
	Run        bool
}

func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("releaseimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Out, "out", "dist/image", "OCI layout directory to write the action image to (replaced if it is one)")
	fs.StringVar(&c.GitLabOut, "gitlab-out", "dist/gitlab-image", "OCI layout directory to write the GitLab job image to (replaced if it is one); empty builds no GitLab image")
	fs.StringVar(&c.LoadGitLab, "load-gitlab", "", "load the host platform's GitLab image into the local Docker Engine under this name (make image-load)")
	busybox := fs.String("busybox", "", "for the GitLab image: each platform's busybox-static package unpacked with dpkg-deb -R, as os/arch=DIR, comma separated (make busybox fetches them)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "platforms, comma separated, in index order")
	fs.StringVar(&c.Version, "version", "dev", "version: -X main.version and the version label")
	fs.StringVar(&c.Revision, "revision", "", "revision label, e.g. the commit SHA")
	fs.StringVar(&c.Source, "source", "https://github.com/ferry-ci/ferry", "source label: the repository URL")
	fs.StringVar(&c.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to copy to "+ferryimage.CACertsPath)
	fs.StringVar(&c.Root, "root", ".", "the ferry module to build")
	fs.Int64Var(&c.MaxBytes, "max-bytes", defaultMaxBytes, "fail when a platform's compressed image exceeds this many bytes")
	fs.BoolVar(&c.Run, "run", true, "unpack the host platform's root filesystem and run /ferry version in it with chroot (needs root)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	for _, s := range strings.Split(*platforms, ",") {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || p.OS == "" || p.Architecture == "" {
			errs = append(errs, fmt.Errorf("-platforms: want os/arch[/variant], have %q", s))
			continue
		}
		c.Platforms = append(c.Platforms, *p)
	}
	switch {
	case c.GitLabOut == "":
	case strings.TrimSpace(*busybox) == "":
		errs = append(errs, errors.New("-busybox: want os/arch=DIR for each platform (make busybox fetches them), have none; -gitlab-out= builds no GitLab image"))
	default:
		c.Busybox = map[string]string{}
		for _, s := range strings.Split(*busybox, ",") {
			k, dir, ok := strings.Cut(strings.TrimSpace(s), "=")
			p, err := v1.ParsePlatform(k)
			if !ok || dir == "" || err != nil || p.OS == "" || p.Architecture == "" {
				errs = append(errs, fmt.Errorf("-busybox: want os/arch=DIR, have %q", s))
				continue
			}
			c.Busybox[p.String()] = dir
		}
		for _, p := range c.Platforms {
			if _, ok := c.Busybox[p.String()]; !ok {
				errs = append(errs, fmt.Errorf("-busybox: want a package for %s, have none", p))
			}
		}
	}
	epoch, err := image.EpochFromEnv(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.Epoch = epoch
	if c.Version == "" {
		errs = append(errs, errors.New("-version: want a version, have none"))
	}
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("-max-bytes: want a positive size, have %d", c.MaxBytes))
	}
	if _, err := os.Stat(c.CACerts); err != nil {
		errs = append(errs, fmt.Errorf("-ca-certs: %w", err))
	}
	return c, errors.Join(errs...)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c, err := parseArgs(args, getenv, os.Stderr)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "releaseimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	c.WorkDir = work

	action, gitlab, err := assemble(ctx, c.options)
	if err != nil {
		return err
	}
	if err := publishLayout(stdout, "ferry "+c.Version, c.Out, c.Version, action, c.MaxBytes); err != nil {
		return err
	}
	if gitlab.Index != nil {
		if err := publishLayout(stdout, "ferry "+c.Version+" GitLab job image", c.GitLabOut, c.Version+"-gitlab", gitlab, c.MaxBytes); err != nil {
			return err
		}
	}
	if c.LoadGitLab != "" && gitlab.Index != nil {
		b, err := hostImage(gitlab.Images)
		if err != nil {
			return err
		}
		if err := ferryimage.Load(ctx, c.LoadGitLab, b.Image); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded the %s GitLab image into the local engine as %s\n", b.Platform, c.LoadGitLab)
	}
	if !c.Run {
		fmt.Fprintln(stdout, "not run: -run=false")
		return nil
	}
	if err := prove(ctx, stdout, action.Images, c.Version, work); err != nil {
		return err
	}
	if gitlab.Index != nil {
		return proveGitLab(ctx, stdout, gitlab.Images, c.Version, work)
	}
	return nil
}

// publishLayout writes r to the OCI layout dir and prints its digest and
// sizes; it fails when a platform's image exceeds maxBytes.
func publishLayout(w io.Writer, title, dir, refName string, r release, maxBytes int64) error {
	if err := writeLayout(dir, r.Index, refName); err != nil {
		return err
	}
	digest, err := r.Index.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: OCI layout %s, index %s\n", title, dir, digest)
	return report(w, r.Index, r.Images, maxBytes)
}

// report prints each platform's compressed size and the total, and fails
// when one exceeds maxBytes.
func report(w io.Writer, idx v1.ImageIndex, images []built, maxBytes int64) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "platform\tdigest\tcompressed\tbinary\n")
	var total int64
	var over []string
	for _, b := range images {
		s, err := imageSize(b.Image)
		if err != nil {
			return fmt.Errorf("%s: %w", b.Platform, err)
		}
		d, err := b.Image.Digest()
		if err != nil {
			return err
		}
		st, err := os.Stat(b.Binary)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s (%d bytes)\t%s\n", b.Platform, d.String()[:19], megabytes(s.Total()), s.Total(), megabytes(st.Size()))
		total += s.Total()
		if s.Total() > maxBytes {
			over = append(over, fmt.Sprintf("%s is %s", b.Platform, megabytes(s.Total())))
		}
	}
	n, err := idx.Size()
	if err != nil {
		return err
	}
	total += n
	fmt.Fprintf(tw, "total\t(index and %d images)\t%s (%d bytes)\t\n", len(images), megabytes(total), total)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(over) > 0 {
		return fmt.Errorf("over the %s goal: %s", megabytes(maxBytes), strings.Join(over, ", "))
	}
	return nil
}

// hostImage returns the image for the platform this process runs on.
func hostImage(images []built) (built, error) {
	for _, b := range images {
		if b.Platform.OS == runtime.GOOS && b.Platform.Architecture == runtime.GOARCH {
			return b, nil
		}
	}
	return built{}, fmt.Errorf("no image for this host (%s/%s) to run", runtime.GOOS, runtime.GOARCH)
}

// prove unpacks the host platform's root filesystem and runs /ferry
// version in it; the output must name want.
func prove(ctx context.Context, w io.Writer, images []built, want, work string) error {
	b, err := hostImage(images)
	if err != nil {
		return err
	}
	root := filepath.Join(work, "rootfs")
	if err := unpack(b.Image, root); err != nil {
		return err
	}
	out, err := runInRoot(ctx, root, nil, append(ferryimage.ActionEntrypoint(), "version")...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, want) {
		return fmt.Errorf("chroot /ferry version: want output naming %q, have %q", want, out)
	}
	fmt.Fprintf(w, "ran %s in its unpacked root filesystem with chroot: %s", b.Platform, out)
	return nil
}

// gitlabProof is what a GitLab job's shell needs of the image: sh at
// /bin/sh, the core utilities, ferry on PATH.
const gitlabProof = `set -e; mkdir -p /tmp/proof; cp /etc/passwd /tmp/proof/; tar -C /tmp -cf /tmp/proof.tar proof; ` +
	`test "$(tar -tf /tmp/proof.tar | wc -l)" -ge 2; grep -q "^root:" /tmp/proof/passwd; ferry version`

// proveGitLab unpacks the host platform's GitLab image and runs a job-like
// script in it with /bin/sh and the image's PATH: it must end with
// ferry version naming want.
func proveGitLab(ctx context.Context, w io.Writer, images []built, want, work string) error {
	b, err := hostImage(images)
	if err != nil {
		return err
	}
	root := filepath.Join(work, "gitlab-rootfs")
	if err := unpack(b.Image, root); err != nil {
		return err
	}
	out, err := runInRoot(ctx, root, []string{"PATH=" + ferryimage.GitLabPath}, "/bin/sh", "-c", gitlabProof)
	if err != nil {
		return err
	}
	if !strings.Contains(out, want) {
		return fmt.Errorf("chroot /bin/sh -c ...; ferry version: want output naming %q, have %q", want, out)
	}
	fmt.Fprintf(w, "ran sh, cp, tar and ferry in %s's unpacked GitLab root filesystem with chroot: %s", b.Platform, out)
	return nil
}
