package registrytest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
)

// Options configures a [Handler] or [Server].
type Options struct {
	// Username and Password are the only credentials the server accepts
	// (ECR's are "AWS" and an authorization token). An empty Username
	// serves anonymously: no request is challenged.
	Username, Password string

	// Realm is the realm of the Basic challenge; empty means "registrytest".
	Realm string

	// ImmutableTags refuses a manifest PUT to a tag that already exists,
	// whatever the digest, like an ECR repository with tag immutability.
	ImmutableTags bool

	// ImmutableTag, when set, decides per tag instead (ECR's
	// IMMUTABLE_WITH_EXCLUSION and MUTABLE_WITH_EXCLUSION): a PUT to an
	// existing tag it reports true for is refused.
	ImmutableTag func(tag string) bool
}

// Stats counts the traffic a [Handler] served since it started or since
// [Handler.ResetStats]. Apart from Requests, ByMethod and the two
// authentication counters, only requests that passed authentication count.
type Stats struct {
	// Requests is every request the server received, challenged or not.
	Requests int
	// ByMethod splits Requests by HTTP method.
	ByMethod map[string]int
	// AuthChallenges is the requests without credentials answered 401.
	AuthChallenges int
	// AuthFailures is the requests with wrong credentials answered 401.
	AuthFailures int

	// BlobHeads is the existence checks (HEAD /v2/<repo>/blobs/<digest>);
	// BlobHeadsFound those answered 200.
	BlobHeads, BlobHeadsFound int
	// BlobGets is the blob downloads (GET /v2/<repo>/blobs/<digest>).
	BlobGets int
	// BlobUploadsStarted is the POSTs to /v2/<repo>/blobs/uploads/ answered
	// 202: new upload sessions, including mount requests the registry could
	// not satisfy.
	BlobUploadsStarted int
	// Mounts is the POSTs with mount= answered 201: blobs mounted from
	// another repository, no bytes sent.
	Mounts int
	// BlobUploadBytes is the bytes of the request bodies sent to
	// /v2/<repo>/blobs/uploads/… (PATCH, PUT, and monolithic POST).
	BlobUploadBytes int64
	// BlobsCommitted is the uploads finished with ?digest= and answered 201.
	BlobsCommitted int
	// MaxConcurrentUploads is the most upload requests that carry a body
	// (PATCH, PUT, monolithic POST) the server was receiving at once.
	MaxConcurrentUploads int

	// ManifestHeads and ManifestGets count HEAD and GET of
	// /v2/<repo>/manifests/<reference>.
	ManifestHeads, ManifestGets int
	// ManifestPuts is every manifest PUT, refused ones included.
	ManifestPuts int
	// TagsRefused is the manifest PUTs refused by [Options.ImmutableTags]
	// or [Options.ImmutableTag].
	TagsRefused int
}

// Handler is the registry as an http.Handler, for a server the caller runs
// (a bench script, a dev stack). Its methods are safe for concurrent use.
type Handler struct {
	inner     http.Handler
	realm     string
	immutable func(tag string) bool // nil: every tag mutable

	putMu sync.Mutex // serializes manifest PUTs when tags are immutable

	mu       sync.Mutex
	user     string
	pass     string
	stats    Stats
	inflight int
	blobs    map[string]map[string]bool // repository → blob digest
	tags     map[string]map[string]bool // repository → tag
}

// NewHandler returns a registry with an empty in-memory store.
func NewHandler(o Options) *Handler {
	h := &Handler{
		inner:     registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		realm:     o.Realm,
		immutable: o.ImmutableTag,
		user:      o.Username,
		pass:      o.Password,
		blobs:     map[string]map[string]bool{},
		tags:      map[string]map[string]bool{},
		stats:     Stats{ByMethod: map[string]int{}},
	}
	if h.realm == "" {
		h.realm = "registrytest"
	}
	if h.immutable == nil && o.ImmutableTags {
		h.immutable = func(string) bool { return true }
	}
	return h
}

// Server is a [Handler] served on loopback for one test.
type Server struct {
	*Handler

	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL string
	// Host is the registry part of an image reference: 127.0.0.1:<port>.
	// go-containerregistry talks plain HTTP to a loopback registry.
	Host string
}

// New starts a registry for the test; it stops when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	h := NewHandler(o)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &Server{Handler: h, URL: hs.URL, Host: strings.TrimPrefix(hs.URL, "http://")}
}

// SetCredentials replaces the credentials the server accepts, as when a
// registry token is rotated. An empty user makes the server anonymous.
func (h *Handler) SetCredentials(user, pass string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.user, h.pass = user, pass
}

// Keychain returns a keychain that answers the credentials the server
// accepts now with Basic authentication for [Server.Host], and anonymous
// access for any other registry. A later [Handler.SetCredentials] does not
// change it.
func (s *Server) Keychain() authn.Keychain {
	s.mu.Lock()
	defer s.mu.Unlock()
	return keychain{host: s.Host, user: s.user, pass: s.pass}
}

// Stats returns a snapshot of the counters.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stats
	st.ByMethod = maps.Clone(h.stats.ByMethod)
	return st
}

// ResetStats sets every counter to zero. The registry's content stays.
func (h *Handler) ResetStats() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stats = Stats{ByMethod: map[string]int{}}
}

type keychain struct{ host, user, pass string }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if k.user == "" || r.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return &authn.Basic{Username: k.user, Password: k.pass}, nil
}

// ServeHTTP authenticates and counts the request, and serves it from the
// in-memory registry, with the repository-scoped blobs, mounts and
// immutable tags that registry lacks.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.stats.Requests++
	h.stats.ByMethod[r.Method]++
	user, pass := h.user, h.pass
	h.mu.Unlock()

	if user != "" && (r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/")) {
		u, p, ok := r.BasicAuth()
		if !ok {
			h.count(func(st *Stats) { st.AuthChallenges++ })
			h.challenge(w, "authentication required")
			return
		}
		if subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			h.count(func(st *Stats) { st.AuthFailures++ })
			h.challenge(w, "invalid credentials")
			return
		}
	}

	rt := parse(r.URL.Path)
	switch rt.kind {
	case routeBlob:
		h.serveBlob(w, r, rt)
	case routeUploadStart:
		h.serveUploadStart(w, r, rt)
	case routeUpload:
		h.serveUpload(w, r, rt)
	case routeManifest:
		h.serveManifest(w, r, rt)
	default:
		h.inner.ServeHTTP(w, r)
	}
}

func (h *Handler) serveBlob(w http.ResponseWriter, r *http.Request, rt route) {
	switch r.Method {
	case http.MethodHead, http.MethodGet:
		head := r.Method == http.MethodHead
		h.count(func(st *Stats) {
			if head {
				st.BlobHeads++
			} else {
				st.BlobGets++
			}
		})
		if !h.hasBlob(rt.repo, rt.target) {
			writeError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry")
			return
		}
		rec := &recorder{ResponseWriter: w}
		h.inner.ServeHTTP(rec, r)
		if head && rec.code() == http.StatusOK {
			h.count(func(st *Stats) { st.BlobHeadsFound++ })
		}
	case http.MethodDelete:
		rec := &recorder{ResponseWriter: w}
		h.inner.ServeHTTP(rec, r)
		if rec.code() == http.StatusAccepted {
			h.mu.Lock()
			delete(h.blobs[rt.repo], rt.target)
			h.mu.Unlock()
		}
	default:
		h.inner.ServeHTTP(w, r)
	}
}

func (h *Handler) serveUploadStart(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodPost {
		h.inner.ServeHTTP(w, r)
		return
	}
	q := r.URL.Query()
	if mount, from := q.Get("mount"), q.Get("from"); mount != "" && from != "" && h.hasBlob(from, mount) {
		h.mu.Lock()
		h.addBlobLocked(rt.repo, mount)
		h.stats.Mounts++
		h.mu.Unlock()
		w.Header().Set("Location", "/v2/"+rt.repo+"/blobs/"+mount)
		w.Header().Set("Docker-Content-Digest", mount)
		w.WriteHeader(http.StatusCreated)
		return
	}
	if digest := q.Get("digest"); digest != "" {
		// A monolithic upload: the body is the blob.
		h.serveUploadBody(w, r, rt.repo, digest)
		return
	}
	rec := &recorder{ResponseWriter: w}
	h.inner.ServeHTTP(rec, r)
	if rec.code() == http.StatusAccepted {
		h.count(func(st *Stats) { st.BlobUploadsStarted++ })
	}
}

func (h *Handler) serveUpload(w http.ResponseWriter, r *http.Request, rt route) {
	switch r.Method {
	case http.MethodPatch:
		h.serveUploadBody(w, r, rt.repo, "")
	case http.MethodPut:
		h.serveUploadBody(w, r, rt.repo, r.URL.Query().Get("digest"))
	default:
		h.inner.ServeHTTP(w, r)
	}
}

// serveUploadBody serves a request that carries blob bytes; digest is set
// when the request finishes the upload.
func (h *Handler) serveUploadBody(w http.ResponseWriter, r *http.Request, repo, digest string) {
	done := func() {}
	if r.ContentLength != 0 { // a body, of known size or chunked
		h.mu.Lock()
		h.inflight++
		h.stats.MaxConcurrentUploads = max(h.stats.MaxConcurrentUploads, h.inflight)
		h.mu.Unlock()
		done = sync.OnceFunc(func() {
			h.mu.Lock()
			h.inflight--
			h.mu.Unlock()
		})
	}
	// The upload stops counting as in flight before the client can see the
	// answer, so a client that waits for answers is never seen over its limit.
	rec := &recorder{ResponseWriter: w, beforeHeader: done}
	body := &countingReader{r: r.Body}
	r.Body = body
	h.inner.ServeHTTP(rec, r)
	done()

	h.mu.Lock()
	defer h.mu.Unlock()
	h.stats.BlobUploadBytes += body.n
	if digest != "" && rec.code() == http.StatusCreated {
		h.stats.BlobsCommitted++
		h.addBlobLocked(repo, digest)
	}
}

func (h *Handler) serveManifest(w http.ResponseWriter, r *http.Request, rt route) {
	isTag := !strings.Contains(rt.target, ":")
	switch r.Method {
	case http.MethodHead:
		h.count(func(st *Stats) { st.ManifestHeads++ })
		h.inner.ServeHTTP(w, r)
	case http.MethodGet:
		h.count(func(st *Stats) { st.ManifestGets++ })
		h.inner.ServeHTTP(w, r)
	case http.MethodPut:
		h.count(func(st *Stats) { st.ManifestPuts++ })
		if h.immutable != nil && isTag && h.immutable(rt.target) {
			h.putMu.Lock()
			defer h.putMu.Unlock()
			h.mu.Lock()
			exists := h.tags[rt.repo][rt.target]
			if exists {
				h.stats.TagsRefused++
			}
			h.mu.Unlock()
			if exists {
				writeError(w, http.StatusBadRequest, "TAG_INVALID", fmt.Sprintf(
					"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.",
					rt.target, rt.repo))
				return
			}
		}
		rec := &recorder{ResponseWriter: w}
		h.inner.ServeHTTP(rec, r)
		if isTag && rec.code() == http.StatusCreated {
			h.mu.Lock()
			if h.tags[rt.repo] == nil {
				h.tags[rt.repo] = map[string]bool{}
			}
			h.tags[rt.repo][rt.target] = true
			h.mu.Unlock()
		}
	case http.MethodDelete:
		rec := &recorder{ResponseWriter: w}
		h.inner.ServeHTTP(rec, r)
		if isTag && rec.code() == http.StatusAccepted {
			h.mu.Lock()
			delete(h.tags[rt.repo], rt.target)
			h.mu.Unlock()
		}
	default:
		h.inner.ServeHTTP(w, r)
	}
}

func (h *Handler) count(f func(*Stats)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.stats)
}

func (h *Handler) hasBlob(repo, digest string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.blobs[repo][digest]
}

func (h *Handler) addBlobLocked(repo, digest string) {
	if h.blobs[repo] == nil {
		h.blobs[repo] = map[string]bool{}
	}
	h.blobs[repo][digest] = true
}

func (h *Handler) challenge(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", h.realm))
	writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", msg)
}

// writeError answers in the distribution spec's error format.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type item struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []item `json:"errors"`
	}{[]item{{code, msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type routeKind int

const (
	routeOther       routeKind = iota
	routeBlob                  // /v2/<repo>/blobs/<digest>
	routeUploadStart           // /v2/<repo>/blobs/uploads/
	routeUpload                // /v2/<repo>/blobs/uploads/<id>
	routeManifest              // /v2/<repo>/manifests/<reference>
)

type route struct {
	kind   routeKind
	repo   string
	target string // digest, upload id or manifest reference
}

func parse(p string) route {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return route{}
	}
	e := strings.Split(strings.Trim(rest, "/"), "/")
	n := len(e)
	join := func(k int) string { return strings.Join(e[:n-k], "/") }
	switch {
	case n >= 3 && e[n-2] == "blobs" && e[n-1] == "uploads":
		return route{kind: routeUploadStart, repo: join(2)}
	case n >= 4 && e[n-3] == "blobs" && e[n-2] == "uploads":
		return route{kind: routeUpload, repo: join(3), target: e[n-1]}
	case n >= 3 && e[n-2] == "blobs":
		return route{kind: routeBlob, repo: join(2), target: e[n-1]}
	case n >= 3 && e[n-2] == "manifests":
		return route{kind: routeManifest, repo: join(2), target: e[n-1]}
	}
	return route{}
}

// recorder remembers the status of the answer and can run a function just
// before the status is sent.
type recorder struct {
	http.ResponseWriter
	status       int
	beforeHeader func()
}

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return
	}
	r.status = code
	if r.beforeHeader != nil {
		r.beforeHeader()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// countingReader counts the bytes read through it. The handler reads the
// body on one goroutine and the count is read after it returns.
type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }
