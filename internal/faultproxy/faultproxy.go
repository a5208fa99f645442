package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what the proxy does to one call instead of, or after,
// forwarding it.
type Fault int

const (
	// None forwards the call.
	None Fault = iota
	// Throttle answers with the protocol's own throttling error:
	// ThrottlingException (JSON protocols), Throttling (query and
	// CloudFront XML), SlowDown (S3), TOOMANYREQUESTS (registry).
	Throttle
	// ServerError answers 500 InternalError in the protocol's shape.
	ServerError
	// Unavailable answers 503 ServiceUnavailable in the protocol's shape.
	Unavailable
	// Reset closes the connection with a TCP RST before the call reaches
	// the upstream.
	Reset
	// ResetAfter forwards the call, then resets the connection instead of
	// answering: the upstream applied the call, the client never learns.
	ResetAfter
	// Forbidden answers 403 AccessDenied: a failure no retry mends.
	Forbidden
)

func (f Fault) String() string {
	switch f {
	case None:
		return "none"
	case Throttle:
		return "throttle"
	case ServerError:
		return "500"
	case Unavailable:
		return "503"
	case Reset:
		return "reset"
	case ResetAfter:
		return "reset-after"
	case Forbidden:
		return "403"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Call is one request the proxy saw.
type Call struct {
	// Service is the IAM service prefix (ecs, ecr, elasticloadbalancing,
	// cloudwatch, s3, cloudfront, sts, codedeploy…), or "registry" for the
	// OCI distribution API.
	Service string
	// Action is the API action (UpdateService, PutObject…); for the
	// registry the ECR IAM action the request needs (PutImage,
	// UploadLayerPart…).
	Action       string
	Method, Path string
	// Body is the request body when it is at most maxBody bytes (every
	// AWS API call; not blob uploads), so a script can tell the calls of
	// one action apart (which service an UpdateService names).
	Body           []byte
	Fault          Fault
	Status         int // the status the client got; 0 after a reset
	At             time.Time
	UpstreamStatus int // the upstream's status, when the call was forwarded
}

// Name is "service:Action", as IAM writes it.
func (c Call) Name() string { return c.Service + ":" + c.Action }

// Mutating reports whether the call may change state: anything but
// Describe*, List*, Get*, Head*, BatchGet*, BatchCheck*, the registry's
// reads and STS.
func (c Call) Mutating() bool {
	if c.Service == "sts" {
		return false
	}
	for _, p := range []string{"Describe", "List", "Get", "Head", "BatchGet", "BatchCheck"} {
		if strings.HasPrefix(c.Action, p) {
			return false
		}
	}
	return true
}

// maxBody is the largest request body a Call keeps.
const maxBody = 16 << 10

// Rates inject faults at random: each call draws once. They add up to at
// most 1.
type Rates struct {
	Throttle, ServerError, Unavailable, Reset float64
}

// Options configure a [Proxy].
type Options struct {
	// Rates of random faults; Seed makes the draws repeatable.
	Rates Rates
	Seed  uint64
	// Script, when set, decides the fault of each call first; a None
	// falls through to Rates. It sees the call's service, action, method
	// and path, and how many calls of that service:action came before.
	Script func(c Call, n int) Fault
	// Latency is added to every call before it is forwarded.
	Latency time.Duration
	// Spare lists "service:Action" names never faulted (e.g. the STS call
	// that gets credentials, when a test is about another service).
	Spare []string
}

// Proxy is a reverse proxy that injects faults and records calls.
type Proxy struct {
	URL string

	upstream  *url.URL
	rp        *httputil.ReverseProxy
	srv       *httptest.Server
	bodyBytes int64
	mu        sync.Mutex
	opts      Options
	rng       *rand.Rand
	calls     []Call
	counts    map[string]int
}

// New starts a proxy to upstream on loopback, stopped when t ends.
func New(t testing.TB, upstream string, o Options) *Proxy {
	t.Helper()
	p, err := NewProxy(upstream, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Serve starts a proxy to upstream on loopback outside a test (a bench);
// Close stops it.
func Serve(upstream string, o Options) (*Proxy, error) {
	p, err := NewProxy(upstream, o)
	if err != nil {
		return nil, err
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	return p, nil
}

// Close stops a proxy started by [Serve].
func (p *Proxy) Close() {
	if p.srv != nil {
		p.srv.Close()
	}
}

// Stats count what went through the proxy since it started or since
// [Proxy.Reset].
type Stats struct {
	Requests  int
	BodyBytes int64          // request bodies (uploads)
	ByMethod  map[string]int // requests per HTTP method
	Faulted   int            // calls answered with a fault
}

// Stats returns the counts of the calls recorded.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{ByMethod: map[string]int{}, BodyBytes: p.bodyBytes}
	for _, c := range p.calls {
		st.Requests++
		st.ByMethod[c.Method]++
		if c.Fault != None {
			st.Faulted++
		}
	}
	return st
}

// NewProxy returns the proxy handler, for callers that serve it
// themselves (set URL then).
func NewProxy(upstream string, o Options) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy upstream: want an absolute URL, found %q", upstream)
	}
	p := &Proxy{upstream: u, counts: map[string]int{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // SigV4 signed the client's host
		},
		// A client that went away (a cancelled run) is no news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.Set(o)
	return p, nil
}

// Set replaces the options (rates, script, latency) from the next call on.
func (p *Proxy) Set(o Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts = o
	p.rng = rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
}

// Calls returns every call so far, in order.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Mutating returns the calls that may change state, faulted or not.
func (p *Proxy) Mutating() []Call {
	var out []Call
	for _, c := range p.Calls() {
		if c.Mutating() {
			out = append(out, c)
		}
	}
	return out
}

// Faults counts the calls that got each fault.
func (p *Proxy) Faults() map[Fault]int {
	out := map[Fault]int{}
	for _, c := range p.Calls() {
		if c.Fault != None {
			out[c.Fault]++
		}
	}
	return out
}

// Reset forgets the calls recorded so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.counts, p.bodyBytes = nil, map[string]int{}, 0
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "fault proxy: reading the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := Classify(r, body)
	c.At = time.Now()
	if len(body) <= maxBody {
		c.Body = body
	}

	p.mu.Lock()
	o := p.opts
	n := p.counts[c.Name()]
	p.counts[c.Name()]++
	fault := None
	spared := false
	for _, s := range o.Spare {
		spared = spared || s == c.Name()
	}
	if !spared {
		if o.Script != nil {
			fault = o.Script(c, n)
		}
		if fault == None {
			x := p.rng.Float64()
			for _, f := range []struct {
				rate  float64
				fault Fault
			}{{o.Rates.Throttle, Throttle}, {o.Rates.ServerError, ServerError}, {o.Rates.Unavailable, Unavailable}, {o.Rates.Reset, Reset}} {
				if x < f.rate {
					fault = f.fault
					break
				}
				x -= f.rate
			}
		}
	}
	c.Fault = fault
	idx := len(p.calls)
	p.calls = append(p.calls, c)
	p.bodyBytes += int64(len(body))
	p.mu.Unlock()

	if o.Latency > 0 {
		select {
		case <-time.After(o.Latency):
		case <-r.Context().Done():
			return
		}
	}
	record := func(status, upstream int) {
		p.mu.Lock()
		p.calls[idx].Status, p.calls[idx].UpstreamStatus = status, upstream
		p.mu.Unlock()
	}
	switch fault {
	case Throttle, ServerError, Unavailable, Forbidden:
		status := writeFault(w, c, fault)
		record(status, 0)
	case Reset:
		reset(w)
		record(0, 0)
	case ResetAfter:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		reset(w)
		record(0, rec.Code)
	default:
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		p.rp.ServeHTTP(sw, r)
		record(sw.status, sw.status)
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// reset closes the client's connection with an RST (linger 0).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeFault answers with the error fault would get from the service, in
// its protocol's shape, and returns the status.
func writeFault(w http.ResponseWriter, c Call, f Fault) int {
	status, code, msg := http.StatusBadRequest, "Throttling", "Rate exceeded"
	switch f {
	case ServerError:
		status, code, msg = http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
	case Unavailable:
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable. Please try again."
	case Forbidden:
		status, code, msg = http.StatusForbidden, "AccessDenied", "Access Denied"
	}
	h := w.Header()
	h.Set("X-Amzn-Requestid", "faultproxy-0000")
	switch protocolOf(c) {
	case "json":
		if f == Throttle {
			code = "ThrottlingException"
		}
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
	case "s3":
		if f == Throttle {
			status, code, msg = http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
		}
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>faultproxy-0000</RequestId></Error>`, code, msg)
	case "registry":
		code = "UNAVAILABLE"
		if f == Throttle {
			status, code = http.StatusTooManyRequests, "TOOMANYREQUESTS"
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
	default: // query and REST-XML services (ELBv2, CloudWatch, STS, CloudFront)
		kind := "Sender"
		if f != Throttle {
			kind = "Receiver"
		}
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>faultproxy-0000</RequestId></ErrorResponse>`, kind, code, msg)
	}
	return status
}

// protocolOf names the wire protocol of a call.
func protocolOf(c Call) string {
	switch c.Service {
	case "registry":
		return "registry"
	case "s3":
		return "s3"
	case "ecs", "ecr", "codedeploy", "logs", "secretsmanager", "ssm":
		return "json"
	}
	return "xml"
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request`)

// signingServices maps SigV4 signing names to IAM service prefixes where
// they differ.
var signingServices = map[string]string{"monitoring": "cloudwatch"}

// Classify names the service and action of a request: from the SigV4
// credential scope and X-Amz-Target or the query Action, S3 and
// CloudFront from method and path, the registry (/v2/…) as the ECR IAM
// actions its calls need.
func Classify(r *http.Request, body []byte) Call {
	c := Call{Method: r.Method, Path: r.URL.Path}
	if strings.HasPrefix(r.URL.Path, "/v2/") || r.URL.Path == "/v2" {
		c.Service, c.Action = "registry", registryAction(r)
		return c
	}
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.Service = m[1]
	}
	if s, ok := signingServices[c.Service]; ok {
		c.Service = s
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, c.Action, _ = strings.Cut(t, ".")
		return c
	}
	switch c.Service {
	case "s3":
		c.Action = s3Action(r)
		return c
	case "cloudfront":
		c.Action = cloudFrontAction(r)
		return c
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		c.Action = a
	} else if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		c.Action = form.Get("Action")
	}
	if c.Action != "" {
		if c.Service == "" && strings.HasPrefix(c.Action, "AssumeRoleWith") {
			c.Service = "sts" // AssumeRoleWithWebIdentity and …WithSAML are not signed
		}
		return c
	}
	c.Action = r.Method + " " + r.URL.Path
	return c
}

// s3Action names the S3 API operation of a path-style request.
func s3Action(r *http.Request) string {
	q := r.URL.Query()
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	object := len(parts) == 2 && parts[1] != ""
	has := func(k string) bool { _, ok := q[k]; return ok }
	if parts[0] == "" && r.Method == http.MethodGet {
		return "ListBuckets"
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case !object && has("list-type"):
			return "ListObjectsV2"
		case !object && has("uploads"):
			return "ListMultipartUploads"
		case !object:
			return "ListObjects"
		case has("uploadId"):
			return "ListParts"
		case has("tagging"):
			return "GetObjectTagging"
		}
		return "GetObject"
	case http.MethodHead:
		if !object {
			return "HeadBucket"
		}
		return "HeadObject"
	case http.MethodPut:
		switch {
		case !object:
			return "CreateBucket"
		case has("partNumber") && r.Header.Get("X-Amz-Copy-Source") != "":
			return "UploadPartCopy"
		case has("partNumber"):
			return "UploadPart"
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject"
		case has("tagging"):
			return "PutObjectTagging"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case !object && has("delete"):
			return "DeleteObjects"
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		}
		return "PostObject"
	case http.MethodDelete:
		switch {
		case !object:
			return "DeleteBucket"
		case has("uploadId"):
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	}
	return r.Method + " " + r.URL.Path
}

// cloudFrontAction names the CloudFront REST operation.
func cloudFrontAction(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/invalidation") && r.Method == http.MethodPost:
		return "CreateInvalidation"
	case strings.HasSuffix(p, "/invalidation") && r.Method == http.MethodGet:
		return "ListInvalidations"
	case strings.Contains(p, "/invalidation/"):
		return "GetInvalidation"
	case strings.HasSuffix(p, "/config") && r.Method == http.MethodGet:
		return "GetDistributionConfig"
	case strings.HasSuffix(p, "/config") && r.Method == http.MethodPut:
		return "UpdateDistribution"
	case strings.Contains(p, "/distribution/") && r.Method == http.MethodGet:
		return "GetDistribution"
	case strings.HasSuffix(p, "/distribution") && r.Method == http.MethodPost:
		return "CreateDistribution"
	case strings.HasSuffix(p, "/distribution") && r.Method == http.MethodGet:
		return "ListDistributions"
	}
	return r.Method + " " + p
}

// registryAction is the ECR IAM action a registry request needs.
func registryAction(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		return "GetAuthorizationToken" // the ping; ECR authorizes it with the token
	case strings.Contains(p, "/blobs/uploads"):
		switch r.Method {
		case http.MethodPost:
			return "InitiateLayerUpload" // a cross-repository mount too
		case http.MethodPatch:
			return "UploadLayerPart"
		case http.MethodPut:
			return "CompleteLayerUpload"
		}
		return "GetUploadStatus"
	case strings.Contains(p, "/blobs/"):
		if r.Method == http.MethodHead {
			return "BatchCheckLayerAvailability"
		}
		return "GetDownloadUrlForLayer"
	case strings.Contains(p, "/manifests/"):
		switch r.Method {
		case http.MethodPut:
			return "PutImage"
		case http.MethodDelete:
			return "BatchDeleteImage"
		}
		return "BatchGetImage"
	case strings.HasSuffix(p, "/tags/list"):
		return "ListImages"
	}
	return r.Method + " " + p
}
