package commands_test

import (
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// chaosRates are issue 9's faults: 30% throttling, 10% 5xx, drawn for
// every request, AWS and registry alike (p = 0.4 that a request fails).
var chaosRates = faultproxy.Rates{Throttle: 0.3, ServerError: 0.05, Unavailable: 0.05}

// chaosSeeds make the draws repeatable (the order of concurrent requests
// is not, so neither is which request gets which fault).
var chaosSeeds = []uint64{1, 2, 3}

// TestChaos runs each action's chaos scenarios under chaosRates, with
// static keys and a session token: each must reach its end state through
// the SDK's (and the registry client's) retries, with nothing half-applied
// (the scenarios check, among others, that a task definition is
// registered once and every tag points at the digest). The faults injected
// are logged per run and per action.
func TestChaos(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	faults := map[string]map[faultproxy.Fault]int{}
	calls := map[string]int{}
	// The runs spend their time in backoffs and in the SDK's adaptive rate
	// limiting, not on the CPU: they all run at once, each in a goroutine,
	// rather than -parallel (GOMAXPROCS, 2 here) at a time.
	t.Run("run", func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, s := range scenarios() {
			if !s.chaos {
				continue
			}
			for _, seed := range chaosSeeds {
				wg.Go(func() {
					t.Run(fmt.Sprintf("%s/%s/seed-%d", s.action, s.name, seed), func(t *testing.T) {
						w, r := prepare(t, s, chaosRates, seed)
						start := time.Now()
						res := w.exec(runCtx(t), t, s, r, staticCreds)
						took := time.Since(start)
						r.verify(t, res)
						injected, n := w.aws.Faults(), len(w.aws.Calls())
						if w.regp != nil {
							for f, k := range w.regp.Faults() {
								injected[f] += k
							}
							n += len(w.regp.Calls())
						}
						t.Logf("faults injected: %v in %d calls; the run took %s", injected, n, took.Round(time.Millisecond))
						if len(injected) == 0 {
							t.Error("no fault was injected")
						}
						mu.Lock()
						defer mu.Unlock()
						if faults[s.action] == nil {
							faults[s.action] = map[faultproxy.Fault]int{}
						}
						for f, k := range injected {
							faults[s.action][f] += k
						}
						calls[s.action] += n
					})
				})
			}
		}
	})
	total := 0
	for _, action := range slices.Sorted(maps.Keys(faults)) {
		sum := 0
		for _, k := range faults[action] {
			sum += k
		}
		total += sum
		t.Logf("%s: %d faults survived in %d calls over %d seeds: %v", action, sum, calls[action], len(chaosSeeds), faults[action])
	}
	t.Logf("total: %d faults survived", total)
}

// rendezvous holds the first call a predicate picks until the test has
// signalled the process: the action is known to be at that point when the
// signal arrives. (The proxy serves one call at a time meanwhile.)
type rendezvous struct {
	reached, released chan struct{}
	once              sync.Once
}

func newRendezvous() *rendezvous {
	return &rendezvous{reached: make(chan struct{}), released: make(chan struct{})}
}

// script is a proxy script that stops at the first call at picks.
func (rv *rendezvous) script(at func(c faultproxy.Call, n int) bool) func(faultproxy.Call, int) faultproxy.Fault {
	return func(c faultproxy.Call, n int) faultproxy.Fault {
		if at(c, n) {
			rv.once.Do(func() {
				close(rv.reached)
				select {
				case <-rv.released:
				case <-time.After(time.Minute):
				}
			})
		}
		return faultproxy.None
	}
}

// sigterm is a run's start: once the rendezvous is reached it sends
// SIGTERM, then lets the held call go on.
func (rv *rendezvous) sigterm(t *testing.T) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		defer close(rv.released)
		select {
		case <-rv.reached:
		case <-time.After(time.Minute):
			t.Error("the action never reached the point to signal it at")
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	}
}

// cancelled checks what every action reports on SIGTERM.
func cancelled(t *testing.T, res actiontest.Result) {
	t.Helper()
	if !strings.Contains(res.Stderr, "::error::cancelled: ") || strings.Contains(res.Stderr, "panic") {
		t.Errorf("stderr: want the cancellation reported, have:\n%s", res.Stderr)
	}
}

// sigtermScenarios signal each action at a known point: the run's start
// waits for its rendezvous. The safe state each leaves is documented in
// the action's README ("Cancellation").
func sigtermScenarios() []scenario {
	return []scenario{
		{name: "during blob upload", action: "build-push-ecr", registry: true, setup: pushSIGTERM},
		{name: "while waiting for the rollouts", action: "deploy-ecs", setup: deploySIGTERM},
		{name: "while following ECS's service deployment", action: "deploy-ecs", native: &ecsdeploytest.Options{}, setup: deployNativeSIGTERM},
		{name: "while waiting for the stack", action: "deploy-cloudformation", motoPrelude: moto.PreludeChangeSets, setup: cfnSIGTERM},
		{name: "while waiting for a StackSet operation", action: "deploy-cloudformation", setup: cfnStackSetSIGTERM},
		{name: "while baking between steps", action: "redirect-traffic", setup: trafficSIGTERM},
		{name: "with uploads in flight", action: "sync-s3-cloudfront", setup: syncSIGTERM},
	}
}

// sigtermOthers are the SIGTERM runs whose fixture is not a scenario's:
// notify calls no AWS (its providers are a local server), and whoami's one
// STS call hangs on a stub.
func sigtermOthers() []struct {
	action, name string
	run          func(t *testing.T)
} {
	return []struct {
		action, name string
		run          func(t *testing.T)
	}{
		{"notify", "while a provider answers", notifySIGTERM},
		{"whoami", "while the STS call hangs", whoamiSIGTERM},
	}
}

// TestSIGTERM: each action, signalled in the middle, exits 130 reporting
// "cancelled" and leaves its documented safe state.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	for _, o := range sigtermOthers() {
		t.Run(o.action+"/"+o.name, func(t *testing.T) {
			t.Parallel()
			o.run(t)
		})
	}
	for _, s := range sigtermScenarios() {
		t.Run(s.action+"/"+s.name, func(t *testing.T) {
			t.Parallel()
			w, r := prepare(t, s, faultproxy.Rates{}, 0)
			start := time.Now()
			res := w.exec(runCtx(t), t, s, r, staticCreds)
			r.verify(t, res)
			cancelled(t, res)
			if took := time.Since(start); took > 45*time.Second {
				t.Errorf("the run took %s: the signal did not end it promptly", took)
			}
		})
	}
}

// pushSIGTERM: signalled while the first blob body is on its way. The
// repository exists (it is made before the push), blobs may be partly
// uploaded, and no manifest was written: no tag moved.
func pushSIGTERM(t *testing.T, w *world) run {
	rv := newRendezvous()
	repo := uniqueRepo("sigterm")
	return run{
		with:      map[string]string{"repository": repo, "oci-layout": ociLayout(t, randomImage(t, 3)), "tags": "v1"},
		regScript: rv.script(func(c faultproxy.Call, _ int) bool { return c.Action == "UploadLayerPart" }),
		start:     rv.sigterm(t),
		code:      130,
		check: func(t *testing.T, res actiontest.Result) {
			for _, c := range w.regp.Calls() {
				if c.Action == "PutImage" {
					t.Errorf("a manifest was written after SIGTERM: %s %s", c.Method, c.Path)
				}
			}
			if st := w.reg.Stats(); st.ManifestPuts != 0 {
				t.Errorf("the registry got %d manifest PUTs", st.ManifestPuts)
			}
			if d, err := remoteDigest(t, w.reg, repo+":v1"); err == nil {
				t.Errorf("tag v1 exists (%s) after a cancelled push", d)
			}
			if len(res.Outputs) != 0 {
				t.Errorf("a cancelled push set outputs: %v", res.Outputs)
			}
		},
	}
}

// deploySIGTERM: signalled while both rollouts are waited for (moto's
// services without a desired count never settle). Nothing is rolled back:
// both services stay on the new revision, ECS goes on with the rollouts,
// and no UpdateService follows the signal.
func deploySIGTERM(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto, "web", "worker")
	rv := newRendezvous()
	var updates atomic.Int32
	return run{
		with: map[string]string{"cluster": f.cluster, "service": "web\nworker", "images": deployImage, "timeout": "2m"},
		script: rv.script(func(c faultproxy.Call, _ int) bool {
			if c.Name() == "ecs:UpdateService" {
				updates.Add(1)
			}
			return c.Name() == "ecs:DescribeServices" && updates.Load() == 2
		}),
		start: rv.sigterm(t),
		code:  130,
		check: func(t *testing.T, res actiontest.Result) {
			n := 0
			for _, c := range w.aws.Calls() {
				if c.Name() == "ecs:UpdateService" {
					n++
				}
			}
			if n != 2 {
				t.Errorf("UpdateService calls: want the 2 updates and no rollback, have %d", n)
			}
			for _, svc := range []string{"web", "worker"} {
				if have := f.serviceTaskDefinition(t, svc); !strings.HasSuffix(have, ":2") {
					t.Errorf("service %s: want it left on revision 2, have %s", svc, have)
				}
			}
			wantOutputs(t, res, map[string]string{"status": "failed"})
			for _, want := range []string{"not rolled back: cancelled", `stays on task definition`} {
				if !strings.Contains(res.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
				}
			}
		},
	}
}

// deployNativeSIGTERM: signalled while following a BLUE_GREEN service
// deployment (at its first DescribeServiceDeployments). Nothing is stopped:
// the deployment goes on in ECS, which rolls back by itself on its alarms.
func deployNativeSIGTERM(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	lb := elbtest.New(t, w.moto)
	nativeService(t, f, lb, w.ext, "bg", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":600}`)
	rv := newRendezvous()
	return run{
		with:   map[string]string{"cluster": f.cluster, "service": "bg", "images": deployImage, "timeout": "2m"},
		script: rv.script(func(c faultproxy.Call, _ int) bool { return c.Name() == "ecs:DescribeServiceDeployments" }),
		start:  rv.sigterm(t),
		code:   130,
		check: func(t *testing.T, res actiontest.Result) {
			if n, m := w.ext.Calls("StopServiceDeployment"), w.ext.Calls("UpdateService"); n != 0 || m != 1 {
				t.Errorf("want no StopServiceDeployment and the 1 UpdateService, have %d and %d", n, m)
			}
			if st := w.ext.Status(res.Outputs["service-deployment-arn"]); st != "IN_PROGRESS" {
				t.Errorf("service deployment: want it left IN_PROGRESS, have %q", st)
			}
			wantOutputs(t, res, map[string]string{"status": "failed"})
			if !strings.Contains(res.Stderr, "not rolled back: cancelled") {
				t.Errorf("stderr lacks the cancellation:\n%s", res.Stderr)
			}
		},
	}
}

// trafficSIGTERM: signalled while step 1 of 3 bakes (at its first alarm
// poll). The last verified weights, step 1's, stay on both listeners, and
// the outputs say so.
func trafficSIGTERM(t *testing.T, w *world) run {
	f := elbtest.New(t, w.moto)
	rv := newRendezvous()
	return run{
		with: map[string]string{"listener-arn": strings.Join(f.Listeners, "\n"), "blue-target-group": f.Blue, "green-target-group": f.Green,
			"steps": "10,50,100", "bake-time": "10s", "alarms": f.Alarm, "timeout": "2m"},
		// DescribeAlarms 0 is the check before step 1; 1 the first poll
		// of its bake.
		script: rv.script(func(c faultproxy.Call, n int) bool { return c.Name() == "cloudwatch:DescribeAlarms" && n == 1 }),
		start:  rv.sigterm(t),
		code:   130,
		check: func(t *testing.T, res actiontest.Result) {
			for _, l := range f.Listeners {
				if have := f.Weights(t, l); have != (traffic.Weights{Blue: 90, Green: 10}) {
					t.Errorf("listener %s: want step 1's blue=90 green=10, have %s", l, have)
				}
			}
			wantOutputs(t, res, map[string]string{"blue-weight": "90", "green-weight": "10", "previous-blue-weight": "100", "changed": "true"})
			if want := "stopped after step 1 of 3: blue=90 green=10 in place (verified)"; !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
			if !strings.Contains(res.Summary, "**Stopped** after 1 of 3 steps") {
				t.Errorf("summary:\n%s", res.Summary)
			}
		},
	}
}

// TestSecretLeaks runs a failing scenario of each action — error paths
// print the most — with static keys and a session token in the
// environment and debug logging on. Like every run, it must show no known
// secret unmasked (in the log, the outputs or the summary); here the
// secrets the run handled must also have been masked, as the runner needs
// them to be. (TestScenarios runs every scenario, these too, with OIDC
// credentials; TestChaos the chaos ones with static keys.)
func TestSecretLeaks(t *testing.T) {
	t.Parallel()
	t.Run("notify/every destination, two failing", func(t *testing.T) {
		t.Parallel()
		notifyLeaks(t)
	})
	for _, s := range scenarios() {
		if !s.leaks {
			continue
		}
		t.Run(s.action+"/"+s.name, func(t *testing.T) {
			t.Parallel()
			w, r := prepare(t, s, faultproxy.Rates{}, 0)
			res := w.exec(runCtx(t), t, s, r, staticCreds)
			r.verify(t, res)
			if res.Code == 0 {
				t.Error("want a failing run: its error path is what is checked")
			}
			want := []string{leakSecretKey, leakSessionToken}
			if s.registry {
				want = append(want, ecrPassword)
			}
			for _, secret := range want {
				if !slices.Contains(res.Masks(), secret) {
					t.Errorf("%.6q… was not masked; masks: %d", secret, len(res.Masks()))
				}
			}
		})
	}
}
