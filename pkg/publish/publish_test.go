package publish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/image"
	"github.com/ferry-ci/ferry/pkg/publish"
)

// ECR's registry credentials: the user is always AWS, the password a token.
const (
	user  = "AWS"
	token = "QVdTOmVjci10b2tlbi1mb3ItdGVzdHM="
)

var platforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
	{OS: "linux", Architecture: "arm", Variant: "v7"},
}

// allTags is an IMMUTABLE repository's rule: every tag.
func allTags(string) bool { return true }

func TestPush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		index     bool              // push a three-platform index, not an image
		before    map[string]string // tag → "same" (the artifact) or "other" (another image), pushed first
		tags      []string
		immutable func(tag string) bool // the server and the options; nil: mutable
		jobs      int

		wantTags      []string // nil: tags
		wantWritten   []string
		wantUnchanged []string
		wantUploaded  bool // every blob uploaded; otherwise none
		wantPuts      int  // manifest PUTs the server saw
		wantConflicts []string
	}{
		{
			name:         "new image",
			tags:         []string{"v1", "latest"},
			wantWritten:  []string{"v1", "latest"},
			wantUploaded: true,
			wantPuts:     2,
		},
		{
			name:         "new index",
			index:        true,
			tags:         []string{"v1", "latest"},
			wantWritten:  []string{"v1", "latest"},
			wantUploaded: true,
			wantPuts:     3 + 2, // the children by digest, the index by tag
		},
		{
			name:          "unchanged image",
			before:        map[string]string{"v1": "same", "latest": "same"},
			tags:          []string{"v1", "latest"},
			wantUnchanged: []string{"v1", "latest"},
		},
		{
			name:          "unchanged index",
			index:         true,
			before:        map[string]string{"v1": "same"},
			tags:          []string{"v1"},
			wantUnchanged: []string{"v1"},
		},
		{
			name:          "new tag for a pushed image",
			before:        map[string]string{"v1": "same"},
			tags:          []string{"v1", "v2"},
			wantWritten:   []string{"v2"},
			wantUnchanged: []string{"v1"},
			wantPuts:      1,
		},
		{
			name:         "mutable repository, tag points elsewhere",
			before:       map[string]string{"v1": "other"},
			tags:         []string{"v1"},
			wantWritten:  []string{"v1"},
			wantUploaded: true,
			wantPuts:     1,
		},
		{
			name:          "immutable repository, tags point elsewhere",
			before:        map[string]string{"v1": "other", "latest": "other", "stable": "same"},
			tags:          []string{"v2", "v1", "stable", "latest"},
			immutable:     allTags,
			wantConflicts: []string{"v1", "latest"},
		},
		{
			name:          "immutable but latest: latest moves, v1 conflicts",
			before:        map[string]string{"v1": "other", "latest": "other"},
			tags:          []string{"v2", "v1", "latest"},
			immutable:     func(tag string) bool { return tag != "latest" },
			wantConflicts: []string{"v1"},
		},
		{
			name:          "immutable but latest: only latest moves",
			before:        map[string]string{"latest": "other", "v1": "same"},
			tags:          []string{"v1", "latest"},
			immutable:     func(tag string) bool { return tag != "latest" },
			wantWritten:   []string{"latest"},
			wantUnchanged: []string{"v1"},
			wantPuts:      1,
		},
		{
			name:          "mutable but release-*: release-1 conflicts, dev moves",
			before:        map[string]string{"release-1": "other", "dev": "other"},
			tags:          []string{"dev", "release-1"},
			immutable:     func(tag string) bool { return strings.HasPrefix(tag, "release-") },
			wantConflicts: []string{"release-1"},
		},
		{
			name:          "immutable repository, tag already at the digest",
			before:        map[string]string{"v1": "same"},
			tags:          []string{"v1", "v2"},
			immutable:     allTags,
			wantWritten:   []string{"v2"},
			wantUnchanged: []string{"v1"},
			wantPuts:      1,
		},
		{
			name:         "one job",
			index:        true,
			tags:         []string{"v1"},
			jobs:         1,
			wantWritten:  []string{"v1"},
			wantUploaded: true,
			wantPuts:     3 + 1,
		},
		{
			name:         "two jobs",
			index:        true,
			tags:         []string{"v1"},
			jobs:         2,
			wantWritten:  []string{"v1"},
			wantUploaded: true,
			wantPuts:     3 + 1,
		},
		{
			name:         "repeated tags",
			tags:         []string{"v1", "v1"},
			wantTags:     []string{"v1"},
			wantWritten:  []string{"v1"},
			wantUploaded: true,
			wantPuts:     1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := registrytest.New(t, registrytest.Options{Username: user, Password: token, ImmutableTag: tt.immutable})
			repo := mustRepo(t, s.Host+"/team/app")
			art := image.Artifact{Image: randomImage(t, 3)}
			if tt.index {
				art = image.Artifact{Index: randomIndex(t)}
			}
			want := mustDigest(t, art)
			for tag, what := range tt.before {
				var tg remote.Taggable = randomImage(t, 1)
				if what == "same" {
					tg = taggable(art)
				}
				if err := remote.Push(repo.Tag(tag), tg, remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())); err != nil {
					t.Fatal(err)
				}
			}
			before := headTags(t, s, repo, tt.tags)
			s.ResetStats()

			res, err := publish.Push(t.Context(), repo, art, tt.tags, publish.Options{
				Keychain:  s.Keychain(),
				Jobs:      tt.jobs,
				Immutable: tt.immutable,
			})
			st := s.Stats()

			if tt.wantConflicts != nil {
				if !errors.Is(err, publish.ErrTagConflict) {
					t.Fatalf("want an error wrapping ErrTagConflict, have %v", err)
				}
				var cerr *publish.TagConflictError
				if !errors.As(err, &cerr) {
					t.Fatalf("want a *TagConflictError, have %T", err)
				}
				var have []string
				for _, c := range cerr.Conflicts {
					have = append(have, c.Tag)
					if c.Want != want || c.Current != *before[c.Tag] {
						t.Errorf("conflict on %q: want %s → %s, have %s → %s", c.Tag, *before[c.Tag], want, c.Current, c.Want)
					}
					if msg := fmt.Sprintf("tag %q points at %s, not %s", c.Tag, c.Current, want); !strings.Contains(err.Error(), msg) {
						t.Errorf("error: want it to contain %q, have %q", msg, err)
					}
				}
				if !slices.Equal(have, tt.wantConflicts) {
					t.Errorf("conflicting tags: want %q, have %q", tt.wantConflicts, have)
				}
				if prefix := fmt.Sprintf("pushing %q: ", repo.Digest(want.String())); !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("error: want prefix %q, have %q", prefix, err)
				}
				if w := writes(st); w != 0 {
					t.Errorf("server: want no PUT, POST or PATCH, have %d (%v)", w, st.ByMethod)
				}
				if after := headTags(t, s, repo, tt.tags); !equalTags(before, after) {
					t.Errorf("tags: want them as before the push, have them changed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}

			wantTags := tt.wantTags
			if wantTags == nil {
				wantTags = tt.tags
			}
			if have, want := res.Reference, repo.Digest(want.String()).String(); have != want {
				t.Errorf("reference: want %s, have %s", want, have)
			}
			if res.Digest != want {
				t.Errorf("digest: want %s, have %s", want, res.Digest)
			}
			for _, c := range []struct {
				what       string
				want, have []string
			}{
				{"tags", wantTags, res.Tags},
				{"written", tt.wantWritten, res.Written},
				{"unchanged", tt.wantUnchanged, res.Unchanged},
			} {
				if !slices.Equal(c.want, c.have) {
					t.Errorf("%s: want %q, have %q", c.what, c.want, c.have)
				}
			}
			for _, tag := range res.Tags {
				desc, err := remote.Get(repo.Tag(tag), remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain()))
				if err != nil {
					t.Fatalf("GET tag %q: %v", tag, err)
				}
				if desc.Digest != want {
					t.Errorf("GET tag %q: want %s, have %s", tag, want, desc.Digest)
				}
			}

			wantPlatforms := platforms[:1]
			if tt.index {
				wantPlatforms = platforms
				m, err := art.Index.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range m.Manifests {
					if _, err := remote.Image(repo.Digest(d.Digest.String()), remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())); err != nil {
						t.Errorf("child %s (%s): %v", d.Digest, d.Platform, err)
					}
				}
			}
			if !slices.EqualFunc(wantPlatforms, res.Platforms, v1.Platform.Equals) {
				t.Errorf("platforms: want %v, have %v", wantPlatforms, res.Platforms)
			}

			total, size := blobs(t, art)
			wantBlobs := publish.BlobCounts{Total: total}
			var wantBytes int64
			if tt.wantUploaded {
				wantBlobs.Uploaded, wantBytes = total, size
			}
			if res.Blobs != wantBlobs {
				t.Errorf("blobs: want %+v, have %+v", wantBlobs, res.Blobs)
			}
			if res.BytesUploaded != wantBytes || st.BlobUploadBytes != wantBytes {
				t.Errorf("bytes uploaded: want %d, have %d (server saw %d)", wantBytes, res.BytesUploaded, st.BlobUploadBytes)
			}
			if st.BlobsCommitted != res.Blobs.Uploaded {
				t.Errorf("blobs committed: client counted %d, server %d", res.Blobs.Uploaded, st.BlobsCommitted)
			}
			if st.ManifestPuts != tt.wantPuts {
				t.Errorf("manifest PUTs: want %d, have %d", tt.wantPuts, st.ManifestPuts)
			}
			if tt.wantPuts == 0 && writes(st) != 0 {
				t.Errorf("server: want no PUT, POST or PATCH, have %v", st.ByMethod)
			}
			if len(tt.wantUnchanged) > 0 && st.BlobHeads != 0 {
				t.Errorf("blob HEADs: the manifest is in the repository, want none, have %d", st.BlobHeads)
			}
			if st.TagsRefused != 0 {
				t.Errorf("tags refused by the server: want 0, have %d", st.TagsRefused)
			}
			jobs := orDefault(tt.jobs, publish.DefaultJobs)
			if st.MaxConcurrentUploads > jobs {
				t.Errorf("uploads at once: want at most %d, have %d", jobs, st.MaxConcurrentUploads)
			}
		})
	}
}

// TestPushPromotes pushes to one repository and promotes from there to
// another of the same registry: every blob is mounted, none uploaded.
func TestPushPromotes(t *testing.T) {
	t.Parallel()
	for _, index := range []bool{false, true} {
		t.Run(fmt.Sprintf("index=%v", index), func(t *testing.T) {
			t.Parallel()
			s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
			o := publish.Options{Keychain: s.Keychain()}
			build, release := mustRepo(t, s.Host+"/team/build"), mustRepo(t, s.Host+"/team/release")
			art := image.Artifact{Image: randomImage(t, 3)}
			if index {
				art = image.Artifact{Index: randomIndex(t)}
			}
			if _, err := publish.Push(t.Context(), build, art, []string{"sha-1234"}, o); err != nil {
				t.Fatal(err)
			}

			ropts := []remote.Option{remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())}
			var src image.Artifact
			var err error
			if index {
				src.Index, err = remote.Index(build.Tag("sha-1234"), ropts...)
			} else {
				src.Image, err = remote.Image(build.Tag("sha-1234"), ropts...)
			}
			if err != nil {
				t.Fatal(err)
			}
			s.ResetStats()
			res, err := publish.Push(t.Context(), release, src, []string{"v1.2.3"}, o)
			if err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			total, _ := blobs(t, art)
			if want := (publish.BlobCounts{Total: total, Mounted: total}); res.Blobs != want {
				t.Errorf("blobs: want %+v, have %+v", want, res.Blobs)
			}
			if res.BytesUploaded != 0 || st.BlobUploadBytes != 0 {
				t.Errorf("bytes uploaded: want 0, have %d (server saw %d)", res.BytesUploaded, st.BlobUploadBytes)
			}
			// An image's platform is in its config, which is read once; an
			// index names its platforms, and no blob is downloaded.
			wantGets := 1
			if index {
				wantGets = 0
			}
			if st.BlobGets != wantGets {
				t.Errorf("blob GETs: want %d, have %d", wantGets, st.BlobGets)
			}
			if st.Mounts != total {
				t.Errorf("server mounts: want %d, have %d", total, st.Mounts)
			}
			if want := mustDigest(t, art); res.Digest != want {
				t.Errorf("digest: want %s (unchanged by promotion), have %s", want, res.Digest)
			}
		})
	}
}

func TestPushErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tags     []string
		art      func(t *testing.T) image.Artifact
		keychain func(s *registrytest.Server) authn.Keychain
		jobs     int
		cancel   bool

		wantIs        error
		wantContains  []string
		wantNoTraffic bool
	}{
		{
			name:          "no tags",
			wantContains:  []string{`pushing to "127.0.0.1:`, `/app": no tags`},
			wantNoTraffic: true,
		},
		{
			name: "invalid tags",
			tags: []string{"ok", "", "bad tag", "-dash", "a:b", "a@b", strings.Repeat("x", 129)},
			wantContains: []string{
				`invalid tag ""`, `invalid tag "bad tag"`, `invalid tag "-dash"`, `invalid tag "a:b"`,
				`invalid tag "a@b"`, `invalid tag "` + strings.Repeat("x", 129) + `"`,
			},
			wantNoTraffic: true,
		},
		{
			name:          "empty artifact",
			tags:          []string{"v1"},
			art:           func(*testing.T) image.Artifact { return image.Artifact{} },
			wantIs:        image.ErrEmptyArtifact,
			wantNoTraffic: true,
		},
		{
			name:          "negative jobs",
			tags:          []string{"v1"},
			jobs:          -1,
			wantContains:  []string{"jobs must be 0"},
			wantNoTraffic: true,
		},
		{
			name:          "cancelled context",
			tags:          []string{"v1"},
			cancel:        true,
			wantIs:        context.Canceled,
			wantNoTraffic: true,
		},
		{
			name: "wrong credentials",
			tags: []string{"v1"},
			keychain: func(s *registrytest.Server) authn.Keychain {
				return keychain{host: s.Host, user: user, pass: "expired-token"}
			},
			wantIs:       publish.ErrDenied,
			wantContains: []string{`checking tag "v1": registry denied access:`, "401 Unauthorized"},
		},
		{
			name:         "no credentials",
			tags:         []string{"v1"},
			keychain:     func(*registrytest.Server) authn.Keychain { return nil },
			wantIs:       publish.ErrDenied,
			wantContains: []string{"401 Unauthorized"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
			repo := mustRepo(t, s.Host+"/app")
			art := image.Artifact{Image: randomImage(t, 1)}
			if tt.art != nil {
				art = tt.art(t)
			}
			kc := s.Keychain()
			if tt.keychain != nil {
				kc = tt.keychain(s)
			}
			ctx := t.Context()
			if tt.cancel {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			_, err := publish.Push(ctx, repo, art, tt.tags, publish.Options{Keychain: kc, Jobs: tt.jobs})
			if err == nil {
				t.Fatal("want an error, have none")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("want an error wrapping %v, have %v", tt.wantIs, err)
			}
			for _, want := range tt.wantContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error: want it to contain %q, have %q", want, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "pushing ") {
				t.Errorf("error: want it to start with %q, have %q", "pushing ", err)
			}
			st := s.Stats()
			if tt.wantNoTraffic && st.Requests != 0 {
				t.Errorf("want no request, have %d", st.Requests)
			}
			if w := writes(st); w != 0 {
				t.Errorf("want nothing written, have %v", st.ByMethod)
			}
		})
	}
}

// TestPushCancelledDuringUpload cancels the push when the first blob body
// leaves: the error says so.
func TestPushCancelledDuringUpload(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPatch {
			cancel()
		}
		return remote.DefaultTransport.RoundTrip(r)
	})
	repo := mustRepo(t, s.Host+"/app")
	_, err := publish.Push(ctx, repo, image.Artifact{Image: randomImage(t, 3)}, []string{"v1"},
		publish.Options{Keychain: s.Keychain(), Transport: base})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want an error wrapping context.Canceled, have %v", err)
	}
	if !strings.HasPrefix(err.Error(), `pushing "`+s.Host+`/app@sha256:`) {
		t.Errorf("error: want it to name the reference, have %q", err)
	}
	if st := s.Stats(); st.ManifestPuts != 0 {
		t.Errorf("manifest PUTs: want 0 after cancellation, have %d", st.ManifestPuts)
	}
}

func TestPushLogs(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	repo := mustRepo(t, s.Host+"/app")
	var buf strings.Builder
	logger := slogText(&buf)
	if _, err := publish.Push(t.Context(), repo, image.Artifact{Image: randomImage(t, 1)}, []string{"v1"},
		publish.Options{Keychain: s.Keychain(), Logger: logger}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`msg="tag checked"`, "tag=v1", "state=absent", "msg=pushed", "uploaded=2"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log: want %q in it, have %q", want, buf.String())
		}
	}
}

func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type keychain struct{ host, user, pass string }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return &authn.Basic{Username: k.user, Password: k.pass}, nil
}

// headTags returns what each tag points at, nil for an absent one.
func headTags(t testing.TB, s *registrytest.Server, repo name.Repository, tags []string) map[string]*v1.Hash {
	t.Helper()
	out := map[string]*v1.Hash{}
	for _, tag := range tags {
		desc, err := remote.Head(repo.Tag(tag), remote.WithAuthFromKeychain(s.Keychain()))
		var terr *transport.Error
		switch {
		case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
			out[tag] = nil
		case err != nil:
			t.Fatal(err)
		default:
			out[tag] = &desc.Digest
		}
	}
	return out
}

func equalTags(a, b map[string]*v1.Hash) bool {
	return len(a) == len(b) && func() bool {
		for k, v := range a {
			w, ok := b[k]
			if !ok || (v == nil) != (w == nil) || (v != nil && *v != *w) {
				return false
			}
		}
		return true
	}()
}

// writes counts the requests that could change the registry.
func writes(st registrytest.Stats) int {
	return st.ByMethod[http.MethodPut] + st.ByMethod[http.MethodPost] + st.ByMethod[http.MethodPatch] + st.ByMethod[http.MethodDelete]
}

// blobs counts the distinct blobs of the artifact and their bytes.
func blobs(t testing.TB, art image.Artifact) (int, int64) {
	t.Helper()
	seen := map[v1.Hash]int64{}
	add := func(img v1.Image) {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		seen[m.Config.Digest] = m.Config.Size
		for _, l := range m.Layers {
			seen[l.Digest] = l.Size
		}
	}
	if art.Image != nil {
		add(art.Image)
	} else {
		m, err := art.Index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.Manifests {
			img, err := art.Index.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			add(img)
		}
	}
	var n int64
	for _, size := range seen {
		n += size
	}
	return len(seen), n
}

func taggable(art image.Artifact) remote.Taggable {
	if art.Index != nil {
		return art.Index
	}
	return art.Image
}

func mustDigest(t testing.TB, art image.Artifact) v1.Hash {
	t.Helper()
	d, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustRepo(t testing.TB, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// randomImage is an image of random layers for the first platform.
func randomImage(t testing.TB, layers int64) v1.Image {
	t.Helper()
	return platformImage(t, platforms[0], layers, 2048)
}

func platformImage(t testing.TB, p v1.Platform, layers, size int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// randomIndex is an index of one two-layer image per platform.
func randomIndex(t testing.TB) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		adds = append(adds, mutate.IndexAddendum{
			Add:        platformImage(t, p, 2, 2048),
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
