package actiontest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// GitHubOIDC is a fake of the runner's ID token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL) on loopback. It answers only requests that
// carry the request token as a bearer token and ask for the audience, as the
// real endpoint does, and counts them.
type GitHubOIDC struct {
	URL          string
	Token        string // the ID token it hands out
	RequestToken string
	Audience     string
	calls        atomic.Int32
}

// NewGitHubOIDC starts the fake, closed at test cleanup.
func NewGitHubOIDC(t testing.TB, token, requestToken, audience string) *GitHubOIDC {
	t.Helper()
	f := &GitHubOIDC{Token: token, RequestToken: requestToken, Audience: audience}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+f.RequestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		if got := r.URL.Query().Get("audience"); got != f.Audience {
			http.Error(w, "unexpected audience "+got, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": f.Token})
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Env is what the runner sets in a job with `permissions: id-token: write`.
func (f *GitHubOIDC) Env() map[string]string {
	return map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   f.URL + "/_apis/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": f.RequestToken,
	}
}

// Calls is how many token requests the fake received.
func (f *GitHubOIDC) Calls() int { return int(f.calls.Load()) }
