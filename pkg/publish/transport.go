package publish

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
)

// counter is the base transport of one push. It watches the blob requests
// of the target repository and counts, client-side, the blobs found by a
// HEAD, mounted, and uploaded, and the bytes sent to the upload endpoints;
// and it lets at most jobs upload requests carry a body at once.
// go-containerregistry bounds its own parallelism per level, so an index
// could otherwise upload up to jobs² blobs at a time.
type counter struct {
	base    http.RoundTripper
	blobs   string // /v2/<repo>/blobs/
	uploads string // /v2/<repo>/blobs/uploads
	slots   chan struct{}

	sent atomic.Int64

	mu       sync.Mutex
	existing map[string]bool
	mounted  map[string]bool
	uploaded map[string]bool
}

func newCounter(base http.RoundTripper, repo name.Repository, jobs int) *counter {
	blobs := "/v2/" + repo.RepositoryStr() + "/blobs/"
	return &counter{
		base:     base,
		blobs:    blobs,
		uploads:  blobs + "uploads",
		slots:    make(chan struct{}, jobs),
		existing: map[string]bool{},
		mounted:  map[string]bool{},
		uploaded: map[string]bool{},
	}
}

// counts returns the blobs uploaded, found and mounted, and the bytes sent.
func (c *counter) counts() (uploaded, existing, mounted int, sent int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.uploaded), len(c.existing), len(c.mounted), c.sent.Load()
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	path := req.URL.Path
	if !strings.HasPrefix(path, c.blobs) {
		return c.base.RoundTrip(req)
	}
	if !strings.HasPrefix(path, c.uploads) {
		// HEAD /v2/<repo>/blobs/<digest>: an existence check.
		resp, err := c.base.RoundTrip(req)
		if err == nil && req.Method == http.MethodHead && resp.StatusCode == http.StatusOK {
			c.record(c.existing, path[len(c.blobs):])
		}
		return resp, err
	}

	q := req.URL.Query()
	if req.Body != nil && req.Body != http.NoBody {
		select {
		case c.slots <- struct{}{}:
		case <-req.Context().Done():
			req.Body.Close()
			return nil, req.Context().Err()
		}
		defer func() { <-c.slots }()
		r := req.Clone(req.Context())
		r.Body = &countingBody{rc: req.Body, n: &c.sent}
		if getBody := req.GetBody; getBody != nil {
			r.GetBody = func() (io.ReadCloser, error) {
				rc, err := getBody()
				if err != nil {
					return nil, err
				}
				return &countingBody{rc: rc, n: &c.sent}, nil
			}
		}
		req = r
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	switch {
	case req.Method == http.MethodPost && q.Get("mount") != "":
		c.record(c.mounted, q.Get("mount"))
	case (req.Method == http.MethodPut || req.Method == http.MethodPost) && q.Get("digest") != "":
		c.record(c.uploaded, q.Get("digest"))
	}
	return resp, nil
}

func (c *counter) record(set map[string]bool, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set[digest] = true
}

type countingBody struct {
	rc io.ReadCloser
	n  *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }
