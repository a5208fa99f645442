package publish_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/image"
	"github.com/ferry-ci/ferry/pkg/publish"
)

// TestPushRetries pushes through a fault proxy in front of the registry:
// throttling, 500 and 503 at random (40% of all requests), or a script.
// Each request that can be replayed is retried by itself, a streamed blob
// upload is started over, and nothing is retried more than Attempts times.
func TestPushRetries(t *testing.T) {
	t.Parallel()
	rates := faultproxy.Rates{Throttle: 0.3, ServerError: 0.05, Unavailable: 0.05}
	always := func(action string, f faultproxy.Fault) func(faultproxy.Call, int) faultproxy.Fault {
		return func(c faultproxy.Call, _ int) faultproxy.Fault {
			if c.Action == action {
				return f
			}
			return faultproxy.None
		}
	}
	tests := []struct {
		name     string
		opts     faultproxy.Options
		attempts int
		wantErr  string
		// wantCalls is how often the script's call was made (0: not
		// checked).
		// wantTags are the tags at the new digest after a failure (nil:
		// not checked); the others must not exist.
		wantTags  map[string]bool
		call      string
		wantCalls int
	}{
		{name: "random faults, seed 1", opts: faultproxy.Options{Rates: rates, Seed: 1}, attempts: 15},
		{name: "random faults, seed 2", opts: faultproxy.Options{Rates: rates, Seed: 2}, attempts: 15},
		{name: "random faults, seed 3", opts: faultproxy.Options{Rates: rates, Seed: 3}, attempts: 15},
		{
			name: "the first two blob bodies throttled", attempts: 3,
			opts: faultproxy.Options{Script: func(c faultproxy.Call, n int) faultproxy.Fault {
				if c.Action == "UploadLayerPart" && n < 2 {
					return faultproxy.Throttle
				}
				return faultproxy.None
			}},
		},
		{
			// The tags are written in order: v1 moved, latest did not.
			name: "second tag refused for good", attempts: 3,
			opts: faultproxy.Options{Script: func(c faultproxy.Call, _ int) faultproxy.Fault {
				if c.Action == "PutImage" && strings.HasSuffix(c.Path, "/manifests/latest") {
					return faultproxy.ServerError
				}
				return faultproxy.None
			}},
			wantErr: `writing tag "latest": `, call: "PutImage", wantCalls: 1 + 3,
			wantTags: map[string]bool{"v1": true},
		},
		{
			name: "first tag refused for good", attempts: 3, opts: faultproxy.Options{Script: always("PutImage", faultproxy.Unavailable)},
			wantErr: "no tag was written", call: "PutImage", wantCalls: 3,
			wantTags: map[string]bool{},
		},
		{
			name: "blob bodies throttled for good", attempts: 3, opts: faultproxy.Options{Script: always("UploadLayerPart", faultproxy.Throttle)},
			wantErr: "TOOMANYREQUESTS", call: "UploadLayerPart",
		},
		{
			name: "tag check unavailable for good", attempts: 4, opts: faultproxy.Options{Script: always("BatchGetImage", faultproxy.Unavailable)},
			wantErr: `checking tag "v1"`, call: "BatchGetImage", wantCalls: 2 * 4, // each tag's attempts
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
			p := faultproxy.New(t, s.URL, tt.opts)
			host := strings.TrimPrefix(p.URL, "http://")
			art := image.Artifact{Image: randomImage(t, 3)}
			tags := []string{"v1", "latest"}
			_, err := publish.Push(t.Context(), mustRepo(t, host+"/app"), art, tags, publish.Options{
				Keychain: keychain{host: host, user: user, pass: token},
				Retry:    publish.Retry{Attempts: tt.attempts, MaxBackoff: 2 * time.Millisecond},
			})
			t.Logf("faults injected: %v in %d calls", p.Faults(), len(p.Calls()))
			calls := 0
			for _, c := range p.Calls() {
				if c.Action == tt.call {
					calls++
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				direct := headTags(t, s, mustRepo(t, s.Host+"/app"), tags)
				want := mustDigest(t, art)
				for _, tag := range tags {
					if direct[tag] == nil || *direct[tag] != want {
						t.Errorf("tag %s: want %s, have %v", tag, want, direct[tag])
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want an error containing %q, have %v", tt.wantErr, err)
			}
			var terr *transport.Error
			if !errors.As(err, &terr) {
				t.Errorf("want a registry error, have %T", err)
			}
			if tt.wantCalls > 0 && calls != tt.wantCalls {
				t.Errorf("%s calls: want %d (the attempts, not multiplied by an outer retry), have %d", tt.call, tt.wantCalls, calls)
			}
			if blobs := 4; calls > tt.attempts*blobs {
				t.Errorf("%s calls: want at most %d attempts for each of %d blobs, have %d", tt.call, tt.attempts, blobs, calls)
			}
			if st := s.Stats(); st.ManifestPuts != 0 && tt.call != "PutImage" {
				t.Errorf("manifests written after a failed upload: %d", st.ManifestPuts)
			}
			if tt.wantTags != nil {
				direct := headTags(t, s, mustRepo(t, s.Host+"/app"), tags)
				for _, tag := range tags {
					if have := direct[tag] != nil; have != tt.wantTags[tag] {
						t.Errorf("tag %s written: want %v, have %v", tag, tt.wantTags[tag], have)
					}
				}
				if want := `tag "v1" now at the digest, tag "latest" unchanged`; len(tt.wantTags) == 1 && !strings.Contains(err.Error(), want) {
					t.Errorf("error: want it to say %q, have %q", want, err)
				}
			}
		})
	}
}
