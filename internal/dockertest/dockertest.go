// Package dockertest is a fake Docker Engine on loopback for tests: it speaks
// the parts of the Engine HTTP API that reading an image from the daemon
// uses (ping, inspect, save), so the real Docker client — the one ferry uses
// when DOCKER_HOST points at it — is exercised end to end. It fails the test
// on any other request.
//
// For tests that need a real engine (containers: gitlab-ci-local's docker
// executor), RequireEngine is the one place that decides whether one
// answers (ferryimage.Load puts an image into it).
package dockertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Engine holds one image under one reference.
type Engine struct {
	// Host is the value for DOCKER_HOST, e.g. tcp://127.0.0.1:41234.
	Host  string
	saves atomic.Int32
}

// New serves img as ref (e.g. "app:dev") until the test ends.
func New(t testing.TB, ref string, img v1.Image) *Engine {
	t.Helper()
	r, saved, id := Save(t, ref, img)
	e := &Engine{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch p := req.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			w.Header().Set("Api-Version", "1.51")
			w.Header().Set("Ostype", "linux")
			_, _ = io.WriteString(w, "OK")
		case strings.HasSuffix(p, "/images/"+r.String()+"/json"):
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"Id": id.String()})
		case strings.HasSuffix(p, "/images/get"):
			if want, have := []string{r.Name()}, req.URL.Query()["names"]; !slices.Equal(want, have) {
				t.Errorf("docker save names: want %q, have %q", want, have)
			}
			e.saves.Add(1)
			w.Header().Set("Content-Type", "application/x-tar")
			_, _ = w.Write(saved)
		default:
			t.Errorf("fake Docker Engine: unexpected request %s %s", req.Method, req.URL)
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(srv.Close)
	e.Host = "tcp://" + strings.TrimPrefix(srv.URL, "http://")
	return e
}

// Save is what `docker save ref` prints for img, with the parsed reference
// and the image ID (its config digest) the daemon reports.
func Save(t testing.TB, ref string, img v1.Image) (name.Reference, []byte, v1.Hash) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	var saved bytes.Buffer
	if err := tarball.Write(r, img, &saved); err != nil {
		t.Fatal(err)
	}
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return r, saved.Bytes(), id
}

// Saves counts the images the engine exported.
func (e *Engine) Saves() int { return int(e.saves.Load()) }

// RequireEngine returns when a real Docker Engine answers the docker CLI
// (DOCKER_HOST or the default socket). Otherwise it fails the test under CI
// (CI set: the suite must run there, and make test starts an engine) and
// skips it elsewhere, saying how to get one.
func RequireEngine(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no Docker Engine answers: docker version: %v: %s", err, bytes.TrimSpace(out))
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (under CI a test that needs the engine fails instead of skipping)")
		return
	}
	t.Skip(msg + " (start dockerd, or run make test, to run this test)")
}
