package registrytest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

const (
	user  = "AWS"
	token = "c2VjcmV0LXRva2Vu"
)

func TestAuthChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		path          string
		user, pass    string
		noAuth        bool
		wantStatus    int
		wantChallenge bool
		wantFailures  int
	}{
		{name: "no credentials", path: "/v2/", noAuth: true, wantStatus: http.StatusUnauthorized, wantChallenge: true},
		{name: "wrong password", path: "/v2/", user: user, pass: "nope", wantStatus: http.StatusUnauthorized, wantChallenge: true, wantFailures: 1},
		{name: "wrong user", path: "/v2/", user: "root", pass: token, wantStatus: http.StatusUnauthorized, wantChallenge: true, wantFailures: 1},
		{name: "right credentials", path: "/v2/", user: user, pass: token, wantStatus: http.StatusOK},
		{name: "manifest without credentials", path: "/v2/app/manifests/latest", noAuth: true, wantStatus: http.StatusUnauthorized, wantChallenge: true},
		{name: "unknown manifest with credentials", path: "/v2/app/manifests/latest", user: user, pass: token, wantStatus: http.StatusNotFound},
		{name: "outside the API", path: "/", noAuth: true, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := registrytest.New(t, registrytest.Options{Username: user, Password: token, Realm: "https://example.test/"})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.noAuth {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if have := resp.StatusCode; have != tt.wantStatus {
				t.Errorf("status: want %d, have %d", tt.wantStatus, have)
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			if want := `Basic realm="https://example.test/"`; tt.wantChallenge && challenge != want {
				t.Errorf("WWW-Authenticate: want %q, have %q", want, challenge)
			}
			if !tt.wantChallenge && challenge != "" {
				t.Errorf("WWW-Authenticate: want none, have %q", challenge)
			}
			st := s.Stats()
			if st.Requests != 1 || st.ByMethod[http.MethodGet] != 1 {
				t.Errorf("requests: want 1 GET, have %d (%v)", st.Requests, st.ByMethod)
			}
			if have := st.AuthFailures; have != tt.wantFailures {
				t.Errorf("auth failures: want %d, have %d", tt.wantFailures, have)
			}
		})
	}
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{})
	repo := mustRepo(t, s.Host+"/app")
	img := mustImage(t, 256, 2)
	if err := remote.Write(repo.Tag("v1"), img, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("anonymous push: %v", err)
	}
	if st := s.Stats(); st.AuthChallenges != 0 || st.AuthFailures != 0 {
		t.Errorf("anonymous server challenged: %+v", st)
	}
}

// TestGoContainerRegistryAuthenticates proves the challenge is the one
// go-containerregistry's transport answers: it pings, sees Basic, and sends
// the keychain's credentials; with the wrong ones it reports 401.
func TestGoContainerRegistryAuthenticates(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	repo := mustRepo(t, s.Host+"/app")
	img := mustImage(t, 256, 1)

	tests := []struct {
		name       string
		kc         authn.Keychain
		wantStatus int // 0: success
	}{
		{name: "server keychain", kc: s.Keychain()},
		{name: "anonymous", kc: authn.NewMultiKeychain(), wantStatus: http.StatusUnauthorized},
		{name: "wrong token", kc: keychain{s.Host, user, "expired"}, wantStatus: http.StatusUnauthorized},
	}
	t.Run("push", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				err := remote.Write(repo.Tag(strings.ReplaceAll(tt.name, " ", "-")), img,
					remote.WithContext(t.Context()), remote.WithAuthFromKeychain(tt.kc))
				if tt.wantStatus == 0 {
					if err != nil {
						t.Fatalf("want success, have %v", err)
					}
					return
				}
				var terr *transport.Error
				if !errors.As(err, &terr) || terr.StatusCode != tt.wantStatus {
					t.Fatalf("want HTTP %d, have %v", tt.wantStatus, err)
				}
			})
		}
	})
	if st := s.Stats(); st.AuthFailures == 0 || st.AuthChallenges == 0 {
		t.Errorf("want challenges and failures counted, have %+v", st)
	}
}

func TestSetCredentials(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	old := s.Keychain()
	s.SetCredentials(user, "rotated")
	repo := mustRepo(t, s.Host+"/app")
	img := mustImage(t, 128, 1)
	if err := remote.Write(repo.Tag("v1"), img, remote.WithContext(t.Context()), remote.WithAuthFromKeychain(old)); err == nil {
		t.Fatal("push with the old token: want an error, have none")
	}
	if err := remote.Write(repo.Tag("v1"), img, remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())); err != nil {
		t.Fatalf("push with the new token: %v", err)
	}
}

func TestUploadBytes(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	repo := mustRepo(t, s.Host+"/app")
	img := mustImage(t, 4096, 3)
	opts := []remote.Option{remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())}

	want := blobBytes(t, img)
	if err := remote.Write(repo.Tag("v1"), img, opts...); err != nil {
		t.Fatal(err)
	}
	first := s.Stats()
	if have := first.BlobUploadBytes; have != want {
		t.Errorf("first push: want %d upload bytes (layers + config), have %d", want, have)
	}
	checks := []struct {
		what       string
		want, have int
	}{
		{"blobs committed", 4, first.BlobsCommitted},
		{"uploads started", 4, first.BlobUploadsStarted},
		{"blob HEADs", 4, first.BlobHeads},
		{"blob HEADs found", 0, first.BlobHeadsFound},
		{"mounts", 0, first.Mounts},
		{"manifest PUTs", 1, first.ManifestPuts},
	}
	for _, c := range checks {
		if c.want != c.have {
			t.Errorf("first push: %s: want %d, have %d", c.what, c.want, c.have)
		}
	}
	if first.MaxConcurrentUploads < 1 {
		t.Errorf("first push: want at least one upload in flight, have %d", first.MaxConcurrentUploads)
	}

	s.ResetStats()
	if err := remote.Write(repo.Tag("v1"), img, opts...); err != nil {
		t.Fatal(err)
	}
	second := s.Stats()
	if second.BlobUploadBytes != 0 || second.ManifestPuts != 0 || second.BlobsCommitted != 0 {
		t.Errorf("second push of the same image: want no bytes, blobs or manifests written, have %+v", second)
	}

	// A new tag of the same image: the blobs exist, only the manifest is put.
	s.ResetStats()
	if err := remote.Write(repo.Tag("v2"), img, opts...); err != nil {
		t.Fatal(err)
	}
	third := s.Stats()
	if third.BlobUploadBytes != 0 || third.BlobHeadsFound != 4 || third.ManifestPuts != 1 {
		t.Errorf("new tag of the same image: want 0 bytes, 4 blobs found, 1 manifest PUT; have %+v", third)
	}
}

func TestBlobsBelongToARepository(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token})
	opts := []remote.Option{remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())}
	src, dst, other := mustRepo(t, s.Host+"/team/src"), mustRepo(t, s.Host+"/team/dst"), mustRepo(t, s.Host+"/other")
	img := mustImage(t, 1024, 2)
	if err := remote.Write(src.Tag("v1"), img, opts...); err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	h, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, repo := range []name.Repository{dst, other} {
		if ok := blobExists(t, s, repo, h); ok {
			t.Errorf("blob %s pushed to %s: want absent from %s, have it", h, src, repo)
		}
	}

	// Promotion: the layers come from src in the same registry, so
	// go-containerregistry asks to mount them, and nothing is uploaded.
	pulled, err := remote.Image(src.Tag("v1"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.ResetStats()
	if err := remote.Write(dst.Tag("v1"), pulled, opts...); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Mounts != 3 || st.BlobUploadBytes != 0 || st.BlobsCommitted != 0 || st.BlobUploadsStarted != 0 {
		t.Errorf("promotion: want 3 mounts (2 layers + config) and nothing uploaded, have %+v", st)
	}
	if !blobExists(t, s, dst, h) {
		t.Errorf("mounted blob %s: want present in %s, have it absent", h, dst)
	}

	// A mount of a blob the source lacks starts an ordinary upload.
	s.ResetStats()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		s.URL+"/v2/"+other.RepositoryStr()+"/blobs/uploads/?mount="+h.String()+"&from=nowhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("mount from a repository without the blob: want 202, have %d", resp.StatusCode)
	}
	if st := s.Stats(); st.Mounts != 0 || st.BlobUploadsStarted != 1 {
		t.Errorf("failed mount: want 0 mounts and 1 upload started, have %+v", st)
	}

	// An image that did not come from the registry is uploaded.
	img2 := mustImage(t, 512, 1)
	s.ResetStats()
	if err := remote.Write(other.Tag("v1"), img2, opts...); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Mounts != 0 || st.BlobsCommitted != 2 {
		t.Errorf("fresh image: want 0 mounts and 2 blobs committed, have %+v", st)
	}
}

func TestImmutableTags(t *testing.T) {
	t.Parallel()
	s := registrytest.New(t, registrytest.Options{Username: user, Password: token, ImmutableTags: true})
	opts := []remote.Option{remote.WithContext(t.Context()), remote.WithAuthFromKeychain(s.Keychain())}
	repo := mustRepo(t, s.Host+"/app")
	a, b := mustImage(t, 128, 1), mustImage(t, 128, 1)
	if err := remote.Write(repo.Tag("v1"), a, opts...); err != nil {
		t.Fatal(err)
	}
	// remote.Put skips go-containerregistry's own existence check, so the
	// PUT reaches the server even for the same digest.
	for _, img := range []v1.Image{a, b} {
		err := remote.Put(repo.Tag("v1"), img, opts...)
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusBadRequest || len(terr.Errors) == 0 || terr.Errors[0].Code != "TAG_INVALID" {
			t.Errorf("PUT to an existing immutable tag: want 400 TAG_INVALID, have %v", err)
		}
	}
	if err := remote.Write(repo.Tag("v2"), b, opts...); err != nil {
		t.Errorf("new tag in an immutable repository: %v", err)
	}
	if have := s.Stats().TagsRefused; have != 2 {
		t.Errorf("tags refused: want 2, have %d", have)
	}
}

func blobExists(t *testing.T, s *registrytest.Server, repo name.Repository, h v1.Hash) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodHead, s.URL+"/v2/"+repo.RepositoryStr()+"/blobs/"+h.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// blobBytes is the compressed size of the image's layers and config.
func blobBytes(t *testing.T, img v1.Image) int64 {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustImage(t *testing.T, size, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type keychain struct{ host, user, pass string }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return &authn.Basic{Username: k.user, Password: k.pass}, nil
}
