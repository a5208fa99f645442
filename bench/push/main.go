// Command push measures `ferry build-push-ecr` against `crane push`,
// the anchor, in the same run: the same multi-layer OCI layout is pushed by
// each tool to a fresh in-memory registry (behind the same Basic auth ECR
// uses) several times, alternating which goes first, and it prints the
// median wall time of each, their ratio, and the bytes each uploaded.
//
//	go run ./bench/push -ferry bin/ferry -crane "$(go tool -modfile=tools/go.mod -n crane)"
//
// It is a bench script, not a test: nothing here fails on a number.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/push:", err)
		os.Exit(1)
	}
}

type config struct {
	ferry, crane string
	runs, layers int
	layerSize    int64
}

func run(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("bench/push", flag.ContinueOnError)
	fs.StringVar(&c.ferry, "ferry", "bin/ferry", "ferry binary")
	fs.StringVar(&c.crane, "crane", "crane", "crane binary (pinned in tools/go.mod)")
	fs.IntVar(&c.runs, "runs", 7, "pushes per tool")
	fs.IntVar(&c.layers, "layers", 8, "layers in the image")
	fs.Int64Var(&c.layerSize, "layer-size", 16<<20, "bytes of random content per layer (8 x 16 MiB: a typical service image)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench-push-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// The same image for both tools: random layers, written once as an OCI layout.
	img, err := random.Image(c.layerSize, int64(c.layers))
	if err != nil {
		return err
	}
	dir := filepath.Join(work, "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := lp.AppendImage(mutate.MediaType(img, "application/vnd.oci.image.manifest.v1+json")); err != nil {
		return err
	}

	if err := moto.EnsureInstalled(ctx); err != nil {
		return err
	}
	m, err := moto.Start(ctx, moto.Options{})
	if err != nil {
		return err
	}
	defer m.Stop()

	const user, password = "AWS", "123456789012-auth-token" // what moto's GetAuthorizationToken hands out
	var ferryTimes, craneTimes []time.Duration
	var ferryBytes, craneBytes []int64
	for i := range c.runs {
		order := []string{"ferry", "crane"}
		if i%2 == 1 {
			order = []string{"crane", "ferry"}
		}
		for _, tool := range order {
			took, bytes, err := pushOnce(ctx, c, tool, dir, work, m.Endpoint, user, password, i)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", tool, i+1, err)
			}
			if tool == "ferry" {
				ferryTimes, ferryBytes = append(ferryTimes, took), append(ferryBytes, bytes)
			} else {
				craneTimes, craneBytes = append(craneTimes, took), append(craneBytes, bytes)
			}
		}
	}
	fm, cm := median(ferryTimes), median(craneTimes)
	fmt.Printf("image: %d layers x %d bytes; %d pushes per tool to a fresh registry each\n", c.layers, c.layerSize, c.runs)
	fmt.Printf("ferry build-push-ecr  median %8.1f ms  uploaded %d bytes (median)\n", ms(fm), medianInt(ferryBytes))
	fmt.Printf("crane push            median %8.1f ms  uploaded %d bytes (median)\n", ms(cm), medianInt(craneBytes))
	fmt.Printf("ratio ferry/crane: %.2f (goal <= 1.10)\n", float64(fm)/float64(cm))
	return nil
}

// pushOnce serves a fresh registry, pushes with one tool and returns the
// wall time of the push and the blob bytes the registry received.
func pushOnce(ctx context.Context, c config, tool, dir, work, motoEndpoint, user, password string, i int) (time.Duration, int64, error) {
	reg := registrytest.NewHandler(registrytest.Options{Username: user, Password: password})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	srv := &http.Server{Handler: reg, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	host := ln.Addr().String()

	home := filepath.Join(work, fmt.Sprintf("home-%s-%d", tool, i))
	if err := os.MkdirAll(home, 0o755); err != nil {
		return 0, 0, err
	}
	env := append(os.Environ(), "HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, ".docker"))
	var cmd *exec.Cmd
	switch tool {
	case "ferry":
		env = append(env, moto.Env(motoEndpoint)...)
		cmd = exec.CommandContext(ctx, c.ferry, "build-push-ecr", "--repository", "bench/app", "--tags", "run",
			"--oci-layout", dir, "--registry-endpoint", host, "--aws-region", "us-east-1", "--aws-endpoint-url", motoEndpoint)
	default:
		login := exec.CommandContext(ctx, c.crane, "auth", "login", host, "-u", user, "-p", password)
		login.Env = env
		if out, err := login.CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("crane auth login: %v\n%s", err, out)
		}
		cmd = exec.CommandContext(ctx, c.crane, "push", dir, host+"/bench/app:run")
	}
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v\n%s", err, out)
	}
	if got := reg.Stats().ManifestPuts; got == 0 {
		return 0, 0, errors.New("the registry received no manifest")
	}
	if os.Getenv("BENCHPUSH_VERBOSE") != "" {
		fmt.Fprintf(os.Stderr, "%s: %s requests %d %v\n", tool, took, reg.Stats().Requests, reg.Stats().ByMethod)
	}
	return took, reg.Stats().BlobUploadBytes, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
