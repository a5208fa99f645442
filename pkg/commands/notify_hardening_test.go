package commands_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// notifySIGTERM: signalled while Teams holds its answer, the webhook
// already answered. The run exits 130 and says what was sent: the
// webhook, not Teams; the outputs count both.
func notifySIGTERM(t *testing.T) {
	reached := make(chan struct{})
	var once sync.Once
	var hooks atomic.Int32
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/hook/"):
			hooks.Add(1)
			_, _ = w.Write([]byte("ok"))
		case strings.HasPrefix(r.URL.Path, "/teams/"):
			once.Do(func() { close(reached) })
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: the held answer ends
	start := func(cmd *exec.Cmd) {
		select {
		case <-reached:
		case <-time.After(time.Minute):
			t.Error("Teams was never called")
		}
		for deadline := time.Now().Add(10 * time.Second); hooks.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the webhook's answer read
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	}
	began := time.Now()
	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", Start: start, With: map[string]string{
		"teams-webhook-url": srv.URL + "/teams/" + teamsSecret, "webhook-url": srv.URL + "/hook/" + webhookSecret, "status": "success",
	}})
	if res.Code != 130 {
		t.Errorf("exit code: want 130, have %d\n%s", res.Code, res.Stderr)
	}
	cancelled(t, res)
	if want := "notified: webhook; not notified: teams: context canceled"; !strings.Contains(res.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
	}
	wantOutputs(t, res, map[string]string{"sent": "1", "failed": "1"})
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("the run took %s: the signal did not end it promptly", took)
	}
	checkNoLeaks(t, res, secrets...)
}

// notifyLeaks: every destination with its secret, GitHub's comment and
// deployment too; Teams and Discord fail, fail-on-error makes the run
// fail. No secret appears unmasked, and each was masked.
func notifyLeaks(t *testing.T) {
	s := newSink(t)
	s.fail["/teams/"] = http.StatusBadGateway
	s.fail["/discord/"] = http.StatusInternalServerError
	with := merge(s.destinations(), map[string]string{"status": "failure", "fail-on-error": "true", "timeout": "30s"})
	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "notify", With: with, Env: merge(githubNotifyEnv(t), map[string]string{"RUNNER_DEBUG": "1"})})
	if res.Code != 1 {
		t.Errorf("exit code: want 1 (fail-on-error), have %d\n%s", res.Code, res.Stderr)
	}
	checkNoLeaks(t, res, secrets...)
	for _, secret := range secrets[:8] { // all but GitLab's token
		if !slices.ContainsFunc(res.Masks(), func(m string) bool { return strings.Contains(m, secret) }) {
			t.Errorf("%.10q… was not masked", secret)
		}
	}
}
