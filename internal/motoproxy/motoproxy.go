// Package motoproxy puts an HTTP reverse proxy on loopback in front of an
// AWS endpoint (moto_server): it can add latency to every request, counts
// requests and request-body bytes by method, and can fail chosen requests.
// The sync bench uses it to give moto a network's round trip, and tests
// use it to inject failures that moto cannot produce.
package motoproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a [Proxy].
type Options struct {
	// Delay is added before every request is forwarded.
	Delay time.Duration
	// Fail, when set, is asked about every request; a non-zero status is
	// returned to the client with an S3-style XML error instead of
	// forwarding the request.
	Fail func(r *http.Request) int
}

// Stats count what went through the proxy.
type Stats struct {
	Requests  int64
	BodyBytes int64            // request bodies (uploads)
	ByMethod  map[string]int64 // requests per method
	Failed    int64            // requests answered by Fail
}

// Proxy is a running proxy.
type Proxy struct {
	// Endpoint is the proxy's base URL, e.g. "http://127.0.0.1:41234".
	Endpoint string

	srv       *http.Server
	requests  atomic.Int64
	bodyBytes atomic.Int64
	failed    atomic.Int64
	mu        sync.Mutex
	byMethod  map[string]int64
}

// Start serves a proxy to target on a free loopback port.
func Start(target string, o Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, errors.New("motoproxy: target must be an absolute URL")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Endpoint: "http://" + ln.Addr().String(), byMethod: map[string]int64{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	rp.ErrorLog = nil
	p.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.requests.Add(1)
			p.mu.Lock()
			p.byMethod[r.Method]++
			p.mu.Unlock()
			r.Body = &countingReader{r: r.Body, n: &p.bodyBytes}
			if o.Delay > 0 {
				select {
				case <-time.After(o.Delay):
				case <-r.Context().Done():
					return
				}
			}
			if o.Fail != nil {
				if code := o.Fail(r); code != 0 {
					p.failed.Add(1)
					_, _ = io.Copy(io.Discard, r.Body)
					w.Header().Set("Content-Type", "application/xml")
					w.WriteHeader(code)
					_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>injected by motoproxy</Message></Error>`)
					return
				}
			}
			rp.ServeHTTP(w, r)
		}),
	}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	by := make(map[string]int64, len(p.byMethod))
	for k, v := range p.byMethod {
		by[k] = v
	}
	return Stats{Requests: p.requests.Load(), BodyBytes: p.bodyBytes.Load(), ByMethod: by, Failed: p.failed.Load()}
}

// Reset sets the counts to zero.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests.Store(0)
	p.bodyBytes.Store(0)
	p.failed.Store(0)
	p.byMethod = map[string]int64{}
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }
