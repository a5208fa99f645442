// Package ecsdeploytest stands in front of moto for what moto 5.2.1 lacks
// of ECS: service deployments (strategies BLUE_GREEN, LINEAR, CANARY), so
// that the deploy-ecs binary can be run against them over HTTP.
//
// A [Server] forwards every request to moto, except:
//
//   - UpdateService: forwarded, then, when the service's strategy (the
//     deploymentConfiguration of the request, else the one the server
//     remembers) is not ROLLING, a service deployment starts; the response
//     carries the configuration and currentServiceDeployment;
//   - DescribeServices: forwarded, each service given the
//     deploymentConfiguration and currentServiceDeployment the server
//     remembers (moto keeps no deploymentConfiguration);
//   - ListServiceDeployments, DescribeServiceDeployments,
//     StopServiceDeployment, ContinueServiceDeployment: answered here.
//
// A service deployment walks ECS's lifecycle stages in real time, each
// [Options.Stage] long, BAKE_TIME lasting bakeTimeInMinutes ×
// [Options.Minute]; a PAUSE hook of the configuration holds its stage at
// AWAITING_ACTION until ContinueServiceDeployment (or its timeout, in
// Minutes); [Options.FailAt] makes ECS roll back halfway through that
// stage; StopServiceDeployment(ROLLBACK) and a ROLLBACK action roll back
// in one Stage. Calls it cannot serve get ECS's InvalidParameterException
// and are counted in Refused, for tests to fail on.
package ecsdeploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const targetPrefix = "AmazonEC2ContainerServiceV20141113."

// Options shape the service deployments.
type Options struct {
	// Stage is how long each stage without a length of its own lasts;
	// 0 means 150ms.
	Stage time.Duration
	// Minute is how long one minute of bakeTimeInMinutes and of hook
	// timeouts lasts; 0 means 100ms.
	Minute time.Duration
	// FailAt is the stage (e.g. BAKE_TIME) in which an alarm fires.
	FailAt string
	// Unnamed leaves currentServiceDeployment out of UpdateService's
	// answer, so that a caller has to list the service deployments.
	Unnamed bool
}

// Server is the stand-in; URL is its endpoint.
type Server struct {
	URL string

	o        Options
	upstream *url.URL
	proxy    *httputil.ReverseProxy

	mu      sync.Mutex
	configs map[string]map[string]any // by cluster/service
	current map[string]string         // cluster/service → service deployment ARN
	sds     map[string]*deployment
	seq     int
	calls   map[string]int
	refused []string
}

var stages = []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"}

type hook struct {
	id, status, action string
	expires            time.Time
}

type deployment struct {
	arn, cluster, service string
	config                map[string]any
	created, finished     time.Time
	status, reason        string
	stage                 int
	since                 time.Time
	hooks                 []*hook
	rollbackReason        string
}

// New starts a Server in front of moto's endpoint; it stops with t.
func New(t testing.TB, upstream string, o Options) *Server {
	t.Helper()
	if o.Stage == 0 {
		o.Stage = 150 * time.Millisecond
	}
	if o.Minute == 0 {
		o.Minute = 100 * time.Millisecond
	}
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{o: o, upstream: u, proxy: httputil.NewSingleHostReverseProxy(u),
		configs: map[string]map[string]any{}, current: map[string]string{}, sds: map[string]*deployment{}, calls: map[string]int{}}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// SetConfig gives a service the deploymentConfiguration moto does not
// keep, as a JSON object of ECS's shape.
func (s *Server) SetConfig(cluster, service, configJSON string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(configJSON), &m); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configs[cluster+"/"+service] = m
	return nil
}

// Calls returns how many times each ECS action reached the server.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// Refused lists the calls the server could not serve.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refused)
}

// Start starts a service deployment of a service directly (not through
// moto), with the configuration SetConfig gave it, and returns its ARN.
func (s *Server) Start(cluster, service string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(cluster, service, s.configs[cluster+"/"+service], time.Now())
	return s.current[cluster+"/"+service]
}

// Awaiting reports whether a service deployment waits at a PAUSE hook.
func (s *Server) Awaiting(arn string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.sds[arn]
	if d == nil {
		return false
	}
	s.advance(d, time.Now())
	return d.status == "IN_PROGRESS" && d.awaiting() != nil
}

// Status returns a service deployment's status.
func (s *Server) Status(arn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.sds[arn]; d != nil {
		s.advance(d, time.Now())
		return d.status
	}
	return ""
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(target, targetPrefix) {
		s.proxy.ServeHTTP(w, r)
		return
	}
	action := strings.TrimPrefix(target, targetPrefix)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	s.mu.Lock()
	s.calls[action]++
	s.mu.Unlock()
	switch action {
	case "DescribeServices", "UpdateService":
		s.forward(w, r, body, action, in)
	case "ListServiceDeployments", "DescribeServiceDeployments", "StopServiceDeployment", "ContinueServiceDeployment":
		s.mu.Lock()
		out, errMsg := s.answer(action, in, time.Now())
		if errMsg != "" {
			s.refused = append(s.refused, action+": "+errMsg)
		}
		s.mu.Unlock()
		if errMsg != "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"__type": "InvalidParameterException", "message": errMsg})
			return
		}
		writeJSON(w, http.StatusOK, out)
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.proxy.ServeHTTP(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// name is the last part of a cluster or service name or ARN.
func name(v any) string {
	s, _ := v.(string)
	return s[strings.LastIndex(s, "/")+1:]
}

// forward sends the call to moto and amends the answer.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, body []byte, action string, in map[string]any) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, s.upstream.String()+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(respBody, &out) != nil {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(respBody)
		return
	}
	cluster := name(in["cluster"])
	if cluster == "" {
		cluster = "default"
	}
	s.mu.Lock()
	now := time.Now()
	if action == "UpdateService" {
		key := cluster + "/" + name(in["service"])
		if c, ok := in["deploymentConfiguration"].(map[string]any); ok {
			s.configs[key] = c
		}
		if c := s.configs[key]; c != nil {
			if st, _ := c["strategy"].(string); st != "" && st != "ROLLING" {
				s.start(cluster, name(in["service"]), c, now)
			}
		}
		if svc, ok := out["service"].(map[string]any); ok {
			s.amend(cluster, svc)
			if s.o.Unnamed {
				delete(svc, "currentServiceDeployment")
			}
		}
	} else if svcs, ok := out["services"].([]any); ok {
		for _, v := range svcs {
			if svc, ok := v.(map[string]any); ok {
				s.amend(cluster, svc)
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) amend(cluster string, svc map[string]any) {
	key := cluster + "/" + name(svc["serviceName"])
	if c := s.configs[key]; c != nil {
		svc["deploymentConfiguration"] = c
	}
	if arn := s.current[key]; arn != "" {
		svc["currentServiceDeployment"] = arn
	}
}

func (s *Server) start(cluster, service string, config map[string]any, now time.Time) {
	s.seq++
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service-deployment/%s/%s/stand-in-%d", cluster, service, s.seq)
	d := &deployment{arn: arn, cluster: cluster, service: service, config: config, created: now, status: "IN_PROGRESS"}
	s.sds[arn] = d
	s.current[cluster+"/"+service] = arn
	s.enter(d, 0, now)
}

func (s *Server) minutes(v any) time.Duration {
	f, _ := v.(float64)
	return time.Duration(f * float64(s.o.Minute))
}

func (s *Server) enter(d *deployment, i int, t time.Time) {
	d.stage, d.since = i, t
	hooks, _ := d.config["lifecycleHooks"].([]any)
	for _, h := range hooks {
		hm, _ := h.(map[string]any)
		if hm["targetType"] != "PAUSE" {
			continue
		}
		st, _ := hm["lifecycleStages"].([]any)
		if !slices.Contains(st, any(stages[i])) {
			continue
		}
		timeout, action := s.minutes(1440.0), "ROLLBACK"
		if tc, ok := hm["timeoutConfiguration"].(map[string]any); ok {
			if tc["timeoutInMinutes"] != nil {
				timeout = s.minutes(tc["timeoutInMinutes"])
			}
			if a, _ := tc["action"].(string); a != "" {
				action = a
			}
		}
		s.seq++
		d.hooks = append(d.hooks, &hook{id: fmt.Sprintf("ecs-pause-stand-in-%d", s.seq), status: "AWAITING_ACTION", action: action, expires: t.Add(timeout)})
	}
}

func (s *Server) length(d *deployment) time.Duration {
	if stages[d.stage] == "BAKE_TIME" {
		return s.minutes(d.config["bakeTimeInMinutes"])
	}
	return s.o.Stage
}

func (d *deployment) awaiting() *hook {
	for _, h := range d.hooks {
		if h.status == "AWAITING_ACTION" {
			return h
		}
	}
	return nil
}

func (s *Server) rollback(d *deployment, t time.Time, reason string) {
	d.status, d.reason, d.rollbackReason, d.since = "ROLLBACK_IN_PROGRESS", reason, reason, t
}

// advance moves d to now.
func (s *Server) advance(d *deployment, now time.Time) {
	for {
		switch d.status {
		case "ROLLBACK_REQUESTED":
			d.status = "ROLLBACK_IN_PROGRESS"
		case "ROLLBACK_IN_PROGRESS":
			if end := d.since.Add(s.o.Stage); !now.Before(end) {
				d.status, d.finished = "ROLLBACK_SUCCESSFUL", end
			}
			return
		case "IN_PROGRESS":
			if h := d.awaiting(); h != nil {
				if now.Before(h.expires) {
					return
				}
				h.status = "TIMED_OUT"
				if h.action == "ROLLBACK" {
					s.rollback(d, h.expires, "lifecycle hook "+h.id+" timed out")
					continue
				}
				d.since = h.expires.Add(-s.length(d))
			}
			if stages[d.stage] == s.o.FailAt {
				at := d.since.Add(s.length(d) / 2)
				if now.Before(at) {
					return
				}
				s.rollback(d, at, "CloudWatch alarm fired during "+s.o.FailAt)
				continue
			}
			end := d.since.Add(s.length(d))
			if now.Before(end) {
				return
			}
			if d.stage == len(stages)-1 {
				d.status, d.finished = "SUCCESSFUL", end
				return
			}
			s.enter(d, d.stage+1, end)
		default:
			return
		}
	}
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (s *Server) view(d *deployment) map[string]any {
	v := map[string]any{
		"serviceDeploymentArn": d.arn, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/" + d.cluster,
		"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/" + d.cluster + "/" + d.service,
		"createdAt":  epoch(d.created), "startedAt": epoch(d.created), "status": d.status, "deploymentConfiguration": d.config,
	}
	if d.status == "IN_PROGRESS" {
		v["lifecycleStage"] = stages[d.stage]
	}
	if d.reason != "" {
		v["statusReason"] = d.reason
	}
	if d.rollbackReason != "" {
		v["rollback"] = map[string]any{"reason": d.rollbackReason, "startedAt": epoch(d.since)}
	}
	if !d.finished.IsZero() {
		v["finishedAt"] = epoch(d.finished)
	}
	var hooks []any
	for _, h := range d.hooks {
		hooks = append(hooks, map[string]any{"hookId": h.id, "status": h.status, "targetType": "PAUSE", "timeoutAction": h.action, "expiresAt": epoch(h.expires)})
	}
	if hooks != nil {
		v["lifecycleHookDetails"] = hooks
	}
	return v
}

// answer serves the service deployment calls; a non-empty string refuses.
func (s *Server) answer(action string, in map[string]any, now time.Time) (map[string]any, string) {
	arn, _ := in["serviceDeploymentArn"].(string)
	switch action {
	case "ListServiceDeployments":
		var list []any
		for _, d := range s.sds {
			s.advance(d, now)
			if d.cluster == name(in["cluster"]) && d.service == name(in["service"]) {
				if st, ok := in["status"].([]any); ok && !slices.Contains(st, any(d.status)) {
					continue
				}
				list = append(list, map[string]any{"serviceDeploymentArn": d.arn, "status": d.status, "createdAt": epoch(d.created)})
			}
		}
		return map[string]any{"serviceDeployments": list}, ""
	case "DescribeServiceDeployments":
		arns, _ := in["serviceDeploymentArns"].([]any)
		var out []any
		for _, a := range arns {
			d := s.sds[fmt.Sprint(a)]
			if d == nil {
				return nil, fmt.Sprintf("service deployment %v not found", a)
			}
			s.advance(d, now)
			out = append(out, s.view(d))
		}
		return map[string]any{"serviceDeployments": out}, ""
	}
	d := s.sds[arn]
	if d == nil {
		return nil, fmt.Sprintf("service deployment %q not found", arn)
	}
	s.advance(d, now)
	switch action {
	case "StopServiceDeployment":
		if in["stopType"] != "ROLLBACK" || (d.status != "IN_PROGRESS" && d.status != "PENDING") {
			return nil, fmt.Sprintf("cannot stop %s deployment with stop type %v", d.status, in["stopType"])
		}
		if h := d.awaiting(); h != nil {
			h.status = "FAILED"
		}
		d.status, d.reason, d.rollbackReason, d.since = "ROLLBACK_REQUESTED", "StopServiceDeployment with ROLLBACK", "StopServiceDeployment with ROLLBACK", now
	case "ContinueServiceDeployment":
		h := d.awaiting()
		if d.status != "IN_PROGRESS" || h == nil || h.id != in["hookId"] {
			return nil, fmt.Sprintf("service deployment %s is %s and awaits no hook %v", arn, d.status, in["hookId"])
		}
		h.status = "SUCCEEDED"
		if in["action"] == "ROLLBACK" {
			s.rollback(d, now, "ContinueServiceDeployment with ROLLBACK")
		} else {
			d.since = now.Add(-s.length(d))
		}
	}
	return map[string]any{"serviceDeploymentArn": arn}, ""
}
