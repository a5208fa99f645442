package e2e

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferry-ci/ferry/internal/ferryimage/ferryimagetest"
)

// The job image stands in for GitHub's ubuntu-latest, which is on a
// registry out of reach: assembled from this machine's files (Debian's
// busybox-static for the utilities, bash and git with the libraries ldd
// names, the static docker CLI, the Go toolchain, the CA bundle) and
// imported with `docker import`. It is also tagged golang:1.26 (when that
// tag is free or ours), the base the example app's Dockerfile builds on.
// The tag carries a hash of what went in, so that it is built once per
// machine.
const (
	jobRepo    = "ferry-e2e/runner"
	golangTag  = "golang:1.26"
	ownerLabel = "ferry.e2e"
)

// jobFile is one file of the job image: its path there, and the host file
// it comes from ("" for a directory, a "->" prefix for a symlink target).
type jobFile struct {
	path string
	from string
	data string // the content of a file made here (from is "")
}

func jobImage(ctx context.Context) (string, error) {
	files, err := jobFiles()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", f.path, f.from, f.data)
		if f.from != "" && !strings.HasPrefix(f.from, "->") {
			if fi, err := os.Stat(f.from); err == nil {
				fmt.Fprintf(h, "%d\x00%d\x00", fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	fmt.Fprintf(h, "%s\x00", primeRecipe)
	ref := jobRepo + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := run(ctx, "", nil, "docker", "image", "inspect", ref); err != nil {
		base := ref + "-files"
		if err := importImage(ctx, base, files); err != nil {
			return "", err
		}
		if err := primeGoCache(ctx, base, ref); err != nil {
			return "", err
		}
	}
	// golang:1.26 is ours to set only when free or set by us before.
	label, err := run(ctx, "", nil, "docker", "image", "inspect", "--format", "{{index .Config.Labels \""+ownerLabel+"\"}}", golangTag)
	if err != nil || strings.TrimSpace(label) == "true" {
		if out, err := run(ctx, "", nil, "docker", "tag", ref, golangTag); err != nil {
			return "", fmt.Errorf("docker tag %s %s: %w\n%s", ref, golangTag, err, out)
		}
	}
	return ref, nil
}

// primeRecipe is the Dockerfile's step that fills the Go build cache.
const primeRecipe = "RUN go build std && CGO_ENABLED=0 go build -trimpath std\n"

// primeGoCache builds the standard library into the image's Go build
// cache, as the flows' test command and the example Dockerfile build it
// (plain, and CGO_ENABLED=0 -trimpath), so that each of the suite's builds
// compiles only the app.
func primeGoCache(ctx context.Context, base, ref string) error {
	cmd := exec.CommandContext(ctx, "docker", "build", "--tag", ref, "-")
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = strings.NewReader("FROM " + base + "\n" + primeRecipe)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker build (priming the Go cache): %w\n%s", err, out)
	}
	return nil
}

func importImage(ctx context.Context, ref string, files []jobFile) error {
	cmd := exec.CommandContext(ctx, "docker", "import",
		"--change", "ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"--change", "ENV HOME=/root",
		// The docker CLI here has no buildx; Debian's engine builds with
		// the classic builder.
		"--change", "ENV DOCKER_BUILDKIT=0",
		// No network for Go: the example app has no dependencies.
		"--change", "ENV GOTOOLCHAIN=local",
		"--change", "ENV GOPROXY=off",
		"--change", "LABEL "+ownerLabel+"=true",
		"-", ref)
	pr, pw := io.Pipe()
	cmd.Stdin = pr
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	werr := writeTar(pw, files)
	pw.CloseWithError(werr)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("docker import: %w (%v)\n%s", err, werr, out)
	}
	return werr
}

func writeTar(w io.Writer, files []jobFile) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		hdr := &tar.Header{Name: strings.TrimPrefix(f.path, "/"), Uname: "root", Gname: "root"}
		switch {
		case f.data != "":
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, int64(len(f.data)), 0o644
		case f.from == "":
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			if f.path == "/tmp" {
				hdr.Mode = 0o1777
			}
		case strings.HasPrefix(f.from, "->"):
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, strings.TrimPrefix(f.from, "->"), 0o777
		default:
			fi, err := os.Stat(f.from)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, fi.Size(), int64(fi.Mode().Perm())
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if f.data != "" {
			if _, err := io.WriteString(tw, f.data); err != nil {
				return err
			}
			continue
		}
		if hdr.Typeflag == tar.TypeReg {
			src, err := os.Open(f.from)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// jobFiles lists the job image's files, parents first.
func jobFiles() ([]jobFile, error) {
	byPath := map[string]string{}
	dir := func(p string) {
		for d := p; d != "/" && d != "."; d = filepath.Dir(d) {
			if _, ok := byPath[d]; !ok {
				byPath[d] = ""
			}
		}
	}
	file := func(path, from string) {
		dir(filepath.Dir(path))
		byPath[path] = from
	}
	for _, d := range []string{"/tmp", "/root", "/etc/ssl/certs", "/var/run", "/usr/local/bin"} {
		dir(d)
	}

	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return nil, fmt.Errorf("busybox is not on PATH (apt-get install busybox-static): %w", err)
	}
	file("/bin/busybox", busybox)
	applets, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	for _, a := range strings.Fields(string(applets)) {
		if a == "busybox" {
			continue
		}
		file("/bin/"+a, "->busybox")
	}

	// bash and git, with the shared libraries they load.
	gitCore := "/usr/lib/git-core"
	var elves []string
	for _, name := range []string{"bash", "git"} {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("%s is not on PATH: %w", name, err)
		}
		elves = append(elves, p)
	}
	file("/bin/bash", elves[0])
	file("/usr/bin/git", elves[1])
	err = filepath.WalkDir(gitCore, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dir(p)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			file(p, "->"+target)
		default:
			file(p, p)
			if strings.HasPrefix(filepath.Base(p), "git-remote-") {
				elves = append(elves, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", gitCore, err)
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("the docker CLI is not on PATH: %w", err)
	}
	file("/usr/local/bin/docker", docker)
	elves = append(elves, docker)
	libs, err := ferryimagetest.SharedLibraries(context.Background(), elves...)
	if err != nil {
		return nil, err
	}
	for _, l := range libs {
		real, err := filepath.EvalSymlinks(l)
		if err != nil {
			return nil, err
		}
		file(l, real)
	}

	file("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt")

	// The Go toolchain of this machine, less its own tests and docs.
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	gr := strings.TrimSpace(string(goroot))
	err = filepath.WalkDir(gr, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(gr, p)
		if d.IsDir() && (rel == "test" || rel == "doc" || rel == "api" || rel == "misc" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		to := filepath.Join("/usr/local/go", rel)
		switch {
		case d.IsDir():
			dir(to)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			file(to, "->"+target)
		case d.Type().IsRegular():
			file(to, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading GOROOT %s: %w", gr, err)
	}

	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a parent sorts before its children
	files := make([]jobFile, 0, len(paths)+2)
	for _, p := range paths {
		files = append(files, jobFile{path: p, from: byPath[p]})
	}
	files = append(files,
		jobFile{path: "/etc/passwd", data: "root:x:0:0:root:/root:/bin/bash\n"},
		jobFile{path: "/etc/group", data: "root:x:0:\n"})
	return files, nil
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
