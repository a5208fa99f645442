package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub is the part of GitHub's REST API that notify uses:
// deployments and their statuses, and issue comments. It keeps what it is
// told and fails the test on any other call.
type fakeGitHub struct {
	url   string
	token string // the only token it accepts

	mu          sync.Mutex
	deployments []ghDeployment
	comments    []ghComment
	unexpected  []string
}

type ghDeployment struct {
	ID          int64    `json:"id"`
	SHA         string   `json:"sha"`
	Ref         string   `json:"ref"`
	Environment string   `json:"environment"`
	Statuses    []string `json:"-"`
}

type ghComment struct {
	ID     int64  `json:"id"`
	Issue  int    `json:"-"`
	Body   string `json:"body"`
	Author string `json:"-"`
	Edits  int    `json:"-"`
}

// appToken is the GITHUB_TOKEN the runs get; comments it writes are
// github-actions[bot]'s, as on GitHub.
const appToken = "ghs_e2eFakeInstallationToken0123456789"

var (
	routeDeployments = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/deployments$`)
	routeStatuses    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/deployments/(\d+)/statuses$`)
	routeComments    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	routeComment     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{token: appToken}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, u := range f.unexpected {
			t.Errorf("fake GitHub API: unexpected call %s", u)
		}
	})
	f.url = srv.URL
	return f
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if r.Header.Get("Authorization") != "Bearer "+f.token && r.Header.Get("Authorization") != "token "+f.token {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	var in map[string]any
	if r.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = json.Unmarshal(b, &in)
	}
	str := func(k string) string { s, _ := in[k].(string); return s }
	switch {
	case r.Method == http.MethodGet && routeDeployments.MatchString(p):
		q := r.URL.Query()
		out := []ghDeployment{}
		for i := len(f.deployments) - 1; i >= 0; i-- { // newest first
			d := f.deployments[i]
			if (q.Get("sha") == "" || d.SHA == q.Get("sha")) && (q.Get("environment") == "" || d.Environment == q.Get("environment")) {
				out = append(out, d)
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodPost && routeDeployments.MatchString(p):
		d := ghDeployment{ID: int64(len(f.deployments) + 1), SHA: str("ref"), Ref: str("ref"), Environment: str("environment")}
		f.deployments = append(f.deployments, d)
		writeJSON(w, http.StatusCreated, d)
	case r.Method == http.MethodPost && routeStatuses.MatchString(p):
		id, _ := strconv.Atoi(routeStatuses.FindStringSubmatch(p)[3])
		if id < 1 || id > len(f.deployments) {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		f.deployments[id-1].Statuses = append(f.deployments[id-1].Statuses, str("state"))
		writeJSON(w, http.StatusCreated, map[string]any{"id": time.Now().UnixNano(), "state": str("state")})
	case r.Method == http.MethodGet && routeComments.MatchString(p):
		n, _ := strconv.Atoi(routeComments.FindStringSubmatch(p)[3])
		out := []map[string]any{}
		for _, c := range f.comments {
			if c.Issue == n {
				out = append(out, commentJSON(c))
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodPost && routeComments.MatchString(p):
		n, _ := strconv.Atoi(routeComments.FindStringSubmatch(p)[3])
		c := ghComment{ID: int64(1000 + len(f.comments)), Issue: n, Body: str("body"), Author: "github-actions[bot]"}
		f.comments = append(f.comments, c)
		writeJSON(w, http.StatusCreated, commentJSON(c))
	case r.Method == http.MethodPatch && routeComment.MatchString(p):
		id, _ := strconv.ParseInt(routeComment.FindStringSubmatch(p)[3], 10, 64)
		for i := range f.comments {
			if f.comments[i].ID == id {
				f.comments[i].Body = str("body")
				f.comments[i].Edits++
				writeJSON(w, http.StatusOK, commentJSON(f.comments[i]))
				return
			}
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	case r.Method == http.MethodPost && (p == "/graphql" || p == "/api/graphql"):
		// notify asks who the token is, to edit only its own comments.
		if !strings.Contains(str("query"), "viewer") {
			f.unexpected = append(f.unexpected, "graphql "+str("query"))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"viewer": map[string]any{"login": "github-actions[bot]"}}})
	case r.Method == http.MethodGet && p == "/user":
		// An installation token (GITHUB_TOKEN) cannot read /user.
		http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
	default:
		f.unexpected = append(f.unexpected, r.Method+" "+r.URL.String())
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

func commentJSON(c ghComment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.Author, "type": "Bot"}}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// snapshot returns the deployments (environment: statuses in order) and the
// comments.
func (f *fakeGitHub) snapshot() (map[string][]string, []ghComment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	deps := map[string][]string{}
	for _, d := range f.deployments {
		key := fmt.Sprintf("%s@%.7s", d.Environment, d.SHA)
		deps[key] = append(deps[key], d.Statuses...)
	}
	return deps, append([]ghComment(nil), f.comments...)
}
