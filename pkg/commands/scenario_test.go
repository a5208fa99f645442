package commands_test

// Scenarios are the runs of the hardening tests (issue 9): each builds its
// fixture directly in moto (and a registry), runs one action through the
// built binary with every AWS call — and every registry request — going
// through a fault proxy, and checks the end state by reading moto and the
// registry directly, never through the proxy.
//
// The same scenarios serve TestScenarios (each once, with its scripted
// faults only; the calls recorded are compared with the action's IAM
// policy), TestChaos (those marked chaos, under random faults with fixed
// seeds) and the SIGTERM tests. Every run, whatever the test, checks that
// no known secret and nothing the run masked appears unmasked in the log,
// the outputs or the step summary.
//
// What a new action adds here and in the other tables is in
// CONTRIBUTING.md, "Adding an action"; TestEveryActionIsHardened
// (coverage_test.go) fails until it has. notify, which calls no AWS, has
// its SIGTERM and leak runs in notify_hardening_test.go.

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	codedeployapi "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/ecsdeploytest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// Retries of every scenario run. With the chaos rates a request fails
// with p = 0.4, so all attempts of one request fail with p^15 ≈ 1.1e-6;
// the chaos runs make a few hundred requests in all, so a spurious failure
// of the suite is about 3e-4 likely. The waits stay short: at most 50ms.
const (
	scenarioAttempts = 15
	scenarioBackoff  = "50ms"
)

// Secrets every run carries, none of which may appear unmasked.
const (
	leakSecretKey    = "ferrySecretAccessKey/0123456789ABCDEFGHIJ+abcdefghij"
	leakSessionToken = "ferrySessionToken//ZXhhbXBsZS1zZXNzaW9uLXRva2VuLWZvci1sZWFrLXRlc3Rz"
	// scenarioRole is assumed with the fake GitHub OIDC token; moto keeps
	// its resources in the role's account, the one the fixtures use.
	scenarioRole = "arn:aws:iam::123456789012:role/ferry-deploy"
)

// knownSecrets are the secret values put into every run.
var knownSecrets = []string{leakSecretKey, leakSessionToken, oidcToken, requestToken, ecrPassword}

// world is where a scenario runs.
type world struct {
	// moto is moto's own endpoint: fixtures are built and end states read
	// there, never through the proxy.
	moto string
	// aws is the fault proxy in front of moto: the action's
	// aws-endpoint-url.
	aws *faultproxy.Proxy
	// reg is the registry (the ECR registry's stand-in, Basic auth
	// AWS:<token>), regp the fault proxy in front of it: the action's
	// registry-endpoint. Both nil unless the scenario asks.
	reg  *registrytest.Server
	regp *faultproxy.Proxy
	// ext stands in for ECS's service deployments between the proxy and
	// moto, when the scenario asks (native).
	ext *ecsdeploytest.Server
}

// regHost is the registry as the action sees it: the proxy's host:port.
func (w *world) regHost() string { return strings.TrimPrefix(w.regp.URL, "http://") }

// creds is how a run authenticates.
type creds int

const (
	// staticCreds: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN in the environment.
	staticCreds creds = iota
	// oidcCreds: role-to-assume with the GitHub OIDC token of a fake token
	// endpoint (the static keys are in the environment too, unused).
	oidcCreds
)

func (c creds) String() string { return [...]string{"static keys", "OIDC"}[c] }

// scenario is one run of one action.
type scenario struct {
	name   string
	action string // the directory under actions/
	// motoEnv asks for a private moto with this environment (e.g.
	// MOTO_ECS_SERVICE_RUNNING=1); nil runs on the shared one.
	motoEnv []string
	// motoPrelude asks for a private moto with this moto.Options.Prelude
	// (a patch of an emulator defect, e.g. moto.PreludeChangeSets).
	motoPrelude string
	registry    bool // a registry behind its own proxy
	// native puts ECS's service deployments (ecsdeploytest) between the
	// proxy and moto, with these options.
	native *ecsdeploytest.Options
	chaos  bool // TestChaos runs it under random faults too
	leaks  bool // TestSecretLeaks runs it with static keys (a failing run)
	// setup builds the fixture in w (directly, not through the proxies)
	// and says how to run and what must come out.
	setup func(t *testing.T, w *world) run
}

// run is what a scenario's setup prepared.
type run struct {
	with map[string]string // the step's inputs, besides the AWS ones
	// script and regScript fault chosen calls, through the AWS and the
	// registry proxy; rates of random faults come on top in TestChaos.
	script, regScript func(faultproxy.Call, int) faultproxy.Fault
	code              int // the exit code
	// start, when set, is called once the process runs (the SIGTERM
	// tests signal it there).
	start func(*exec.Cmd)
	// check reads the end state (moto and the registry directly) and the
	// run's outputs.
	check func(t *testing.T, res actiontest.Result)
}

// newWorld starts what s needs.
func newWorld(t *testing.T, s scenario) *world {
	t.Helper()
	w := &world{}
	if s.motoEnv != nil || s.motoPrelude != "" {
		w.moto = moto.StartForTest(t, moto.Options{Env: s.motoEnv, Prelude: s.motoPrelude}).Endpoint
	} else {
		w.moto = moto.ForTest(t)
	}
	upstream := w.moto
	if s.native != nil {
		w.ext = ecsdeploytest.New(t, w.moto, *s.native)
		upstream = w.ext.URL
	}
	w.aws = faultproxy.New(t, upstream, faultproxy.Options{})
	if s.registry {
		w.reg = registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
		w.regp = faultproxy.New(t, w.reg.URL, faultproxy.Options{})
	}
	return w
}

// prepare starts the world and runs s's setup, with s's scripts (and
// rates, seeded) set on the proxies from then on.
func prepare(t *testing.T, s scenario, rates faultproxy.Rates, seed uint64) (*world, run) {
	t.Helper()
	w := newWorld(t, s)
	r := s.setup(t, w)
	w.aws.Set(faultproxy.Options{Rates: rates, Seed: seed, Script: r.script})
	if w.regp != nil {
		w.regp.Set(faultproxy.Options{Rates: rates, Seed: seed + 1000, Script: r.regScript})
	}
	return w, r
}

// exec runs the action as a GitHub step with r's inputs, the AWS inputs
// pointing at the proxy, debug logging on and the credentials c. It checks
// that nothing secret leaked and returns the result; the exit code and
// r.check are the caller's (run.verify).
func (w *world) exec(ctx context.Context, t *testing.T, s scenario, r run, c creds) actiontest.Result {
	t.Helper()
	with := map[string]string{
		"aws-region": "us-east-1", "aws-endpoint-url": w.aws.URL,
		"max-attempts": fmt.Sprint(scenarioAttempts), "retry-max-backoff": scenarioBackoff,
	}
	if w.regp != nil {
		with["registry-endpoint"] = w.regHost()
	}
	maps.Copy(with, r.with)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": leakSecretKey, "AWS_SESSION_TOKEN": leakSessionToken,
		"RUNNER_DEBUG": "1",
	}
	if c == oidcCreds {
		maps.Copy(env, actiontest.NewGitHubOIDC(t, oidcToken, requestToken, "sts.amazonaws.com").Env())
		with["role-to-assume"] = scenarioRole
	}
	res := actiontest.RunGitHub(ctx, t, actiontest.GitHubStep{Action: s.action, With: with, Env: env, Start: r.start})
	checkNoLeaks(t, res)
	return res
}

// checkNoLeaks: no known secret, none of more, and nothing the run asked
// to mask appears unmasked in the log, the outputs, the exported variables
// or the summary.
func checkNoLeaks(t *testing.T, res actiontest.Result, more ...string) {
	t.Helper()
	for _, secret := range slices.Concat(knownSecrets, more, res.Masks()) {
		if leaks := res.LeaksAnywhere(secret); len(leaks) > 0 {
			t.Errorf("secret %.6q… appears unmasked in: %q", secret, leaks)
		}
	}
}

// verify checks the exit code and the scenario's own expectations.
func (r run) verify(t *testing.T, res actiontest.Result) {
	t.Helper()
	if res.Code != r.code {
		t.Errorf("exit code: want %d, have %d\nstderr:\n%s", r.code, res.Code, res.Stderr)
	}
	if r.check != nil {
		r.check(t, res)
	}
	if testing.Verbose() {
		t.Logf("stderr:\n%s", res.Stderr)
	}
}

// scenarios lists every scenario of every action.
func scenarios() []scenario {
	return slices.Concat(pushScenarios(), cfnScenarios(), deployScenarios(), trafficScenarios(), syncScenarios(), whoamiScenarios())
}

// failCall faults every call named name (service:Action) whose body
// contains match (when not ""), from the skip-th such call on.
func failCall(name, match string, f faultproxy.Fault, skip int) func(faultproxy.Call, int) faultproxy.Fault {
	var mu sync.Mutex
	seen := 0
	return func(c faultproxy.Call, _ int) faultproxy.Fault {
		if c.Name() != name || !strings.Contains(string(c.Body), match) {
			return faultproxy.None
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen <= skip {
			return faultproxy.None
		}
		return f
	}
}

// wantOutputs checks the outputs named in want.
func wantOutputs(t *testing.T, res actiontest.Result, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if have := res.Outputs[k]; have != v {
			t.Errorf("output %s: want %q, have %q", k, v, have)
		}
	}
}

// ---- build-push-ecr

func pushScenarios() []scenario {
	return []scenario{
		{name: "push with new repository and lifecycle", action: "build-push-ecr", registry: true, chaos: true, setup: pushNew},
		{name: "promote from another repository", action: "build-push-ecr", registry: true, setup: pushPromote},
		{name: "second tag refused", action: "build-push-ecr", registry: true, leaks: true, setup: pushTagRefused},
	}
}

// pushNew: an OCI layout of three layers to a repository that does not
// exist yet, three tags, a lifecycle policy.
func pushNew(t *testing.T, w *world) run {
	img := randomImage(t, 3)
	digest := digestOf(t, img)
	repo := uniqueRepo("hard")
	tags := []string{"sha-0123456", "v1", "latest"}
	return run{
		with: map[string]string{"repository": repo, "oci-layout": ociLayout(t, img), "tags": strings.Join(tags, "\n"), "lifecycle-keep": "10"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"digest": digest, "image-uri": motoRegistry + "/" + repo + "@" + digest, "tags": strings.Join(tags, ",")})
			for _, tag := range tags {
				if have, err := remoteDigest(t, w.reg, repo+":"+tag); err != nil || have != digest {
					t.Errorf("tag %s in the registry: want %s, have %q (%v)", tag, digest, have, err)
				}
			}
			if _, ok := describeRepo(t, w.moto, repo); !ok {
				t.Errorf("repository %s was not created", repo)
			}
			policy, err := ecrClient(t, w.moto).GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(repo)})
			if err != nil || !strings.Contains(aws.ToString(policy.LifecyclePolicyText), `"countNumber": 10`) {
				t.Errorf("lifecycle policy: want one keeping 10 images, have %v (%v)", aws.ToString(policy.LifecyclePolicyText), err)
			}
		},
	}
}

// pushPromote: an image in another repository of the same registry is
// promoted by digest (read through the proxy, blobs mounted).
func pushPromote(t *testing.T, w *world) run {
	img := randomImage(t, 2)
	digest := digestOf(t, img)
	source := uniqueRepo("source")
	if err := remote.Write(mustRef(t, w.reg.Host+"/"+source+":1"), img, remote.WithAuthFromKeychain(w.reg.Keychain())); err != nil {
		t.Fatal(err)
	}
	repo := uniqueRepo("promoted")
	return run{
		with: map[string]string{"repository": repo, "source-image": w.regHost() + "/" + source + ":1", "tags": "release"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"digest": digest})
			if have, err := remoteDigest(t, w.reg, repo+":release"); err != nil || have != digest {
				t.Errorf("promoted tag: want %s, have %q (%v)", digest, have, err)
			}
		},
	}
}

// pushTagRefused: the registry refuses the manifest PUT of the second of
// three tags, every time. pkg/publish writes tags in order: the first
// moved, the second and third keep what they had (the third pointed at
// another image before), and the error says so; blobs and the manifest by
// the first tag stay.
func pushTagRefused(t *testing.T, w *world) run {
	repo := uniqueRepo("refused")
	old := randomImage(t, 1)
	if err := remote.Write(mustRef(t, w.reg.Host+"/"+repo+":v3"), old, remote.WithAuthFromKeychain(w.reg.Keychain())); err != nil {
		t.Fatal(err)
	}
	img := randomImage(t, 2)
	digest := digestOf(t, img)
	return run{
		with: map[string]string{"repository": repo, "oci-layout": ociLayout(t, img), "tags": "v1\nv2\nv3"},
		regScript: func(c faultproxy.Call, _ int) faultproxy.Fault {
			if c.Action == "PutImage" && strings.HasSuffix(c.Path, "/manifests/v2") {
				return faultproxy.ServerError
			}
			return faultproxy.None
		},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			for _, w := range []string{`writing tag "v2"`, `tag "v1" now at the digest, tags "v2", "v3" unchanged`} {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
				}
			}
			want := map[string]string{"v1": digest, "v2": "", "v3": digestOf(t, old)}
			for tag, d := range want {
				have, _ := remoteDigest(t, w.reg, repo+":"+tag)
				if have != d {
					t.Errorf("tag %s: want %q, have %q", tag, d, have)
				}
			}
			if len(res.Outputs) != 0 {
				t.Errorf("a failed push set outputs: %v", res.Outputs)
			}
		},
	}
}

// ---- deploy-ecs

// deployImage is the image every deploy scenario renders in.
const deployImage = "web=123456789012.dkr.ecr.us-east-1.amazonaws.com/app/web@sha256:" +
	"abababababababababababababababababababababababababababababababab"

func deployScenarios() []scenario {
	return []scenario{
		{name: "rolling, two services", action: "deploy-ecs", chaos: true, setup: deployRolling},
		{name: "second service's update fails: rolled back", action: "deploy-ecs", motoEnv: []string{"MOTO_ECS_SERVICE_RUNNING=1"}, setup: deployUpdateFails},
		{name: "rollout not done in time, rollback off", action: "deploy-ecs", setup: deployTimeout},
		{name: "one-off task refused", action: "deploy-ecs", leaks: true, setup: deployRunTaskRefused},
		{name: "blue/green with alarms", action: "deploy-ecs", motoEnv: []string{"MOTO_ECS_SERVICE_RUNNING=1"}, setup: deployBlueGreen},
		{name: "CodeDeploy", action: "deploy-ecs", setup: deployCodeDeploy},
		{name: "ECS blue/green paused at the gate", action: "deploy-ecs", chaos: true, native: &ecsdeploytest.Options{Unnamed: true}, setup: deployGate},
		{name: "ECS blue/green gate continued", action: "deploy-ecs", native: &ecsdeploytest.Options{}, setup: deployDecision},
		{name: "ECS blue/green bake past the timeout: stopped with ECS's rollback", action: "deploy-ecs", native: &ecsdeploytest.Options{}, setup: deployNativeTimeout},
	}
}

// deployGate: a service on ECS's BLUE_GREEN pauses after the test traffic
// shift; the update's answer names no service deployment, so ferry lists
// them; the test URL comes from the test listener rule.
func deployGate(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	lb := elbtest.New(t, w.moto)
	nativeService(t, f, lb, w.ext, "gate", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1}`)
	return run{
		with: map[string]string{"cluster": f.cluster, "service": "gate", "images": deployImage, "pause-at": "post-test-traffic-shift",
			"test-listener-rule": lb.Rule, "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "paused"})
			if res.Outputs["hook-id"] == "" || !strings.Contains(res.Outputs["test-url"], "/api/") {
				t.Errorf("outputs: want a hook id and a test URL, have %v", res.Outputs)
			}
			if !w.ext.Awaiting(res.Outputs["service-deployment-arn"]) {
				t.Errorf("service deployment %q does not wait at its hook", res.Outputs["service-deployment-arn"])
			}
		},
	}
}

// deployDecision: a deployment paused at its PAUSE hook is continued and
// followed to SUCCESSFUL.
func deployDecision(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	lb := elbtest.New(t, w.moto)
	nativeService(t, f, lb, w.ext, "gate", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1,"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"]}]}`)
	arn := w.ext.Start(f.cluster, "gate")
	for deadline := time.Now().Add(10 * time.Second); !w.ext.Awaiting(arn); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("service deployment %s never paused", arn)
		}
	}
	return run{
		with: map[string]string{"cluster": f.cluster, "decision": "continue", "service-deployment-arn": arn, "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "deployed", "service-deployment-arn": arn})
			if st := w.ext.Status(arn); st != "SUCCESSFUL" {
				t.Errorf("service deployment: want SUCCESSFUL, have %s", st)
			}
		},
	}
}

// deployNativeTimeout: the bake time outlasts the timeout; ferry stops the
// deployment with ECS's rollback, once, and updates nothing back.
func deployNativeTimeout(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	lb := elbtest.New(t, w.moto)
	nativeService(t, f, lb, w.ext, "bg", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":600}`)
	return run{
		with: map[string]string{"cluster": f.cluster, "service": "bg", "images": deployImage, "timeout": "4s"},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "rolled-back"})
			if n, m := w.ext.Calls("StopServiceDeployment"), w.ext.Calls("UpdateService"); n != 1 || m != 1 {
				t.Errorf("want 1 StopServiceDeployment and 1 UpdateService (the deploy's), have %d and %d", n, m)
			}
			if st := w.ext.Status(res.Outputs["service-deployment-arn"]); st != "ROLLBACK_SUCCESSFUL" {
				t.Errorf("service deployment: want ROLLBACK_SUCCESSFUL, have %s", st)
			}
		},
	}
}

// deployRolling: two services, a new image and a desired count (which
// makes moto's services stable): both end on revision 2, registered once.
func deployRolling(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto, "web", "worker")
	return run{
		with: map[string]string{"cluster": f.cluster, "service": "web\nworker", "images": deployImage, "desired-count": "1", "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "deployed"})
			if !strings.HasSuffix(res.Outputs["task-definition-arn"], "/"+f.family+":2") {
				t.Errorf("output task-definition-arn: want revision 2, have %q", res.Outputs["task-definition-arn"])
			}
			for _, svc := range []string{"web", "worker"} {
				if have := f.serviceTaskDefinition(t, svc); have != res.Outputs["task-definition-arn"] {
					t.Errorf("service %s runs %s, want %s", svc, have, res.Outputs["task-definition-arn"])
				}
			}
			if n := f.revisions(t); n != 2 {
				t.Errorf("revisions: want 2 (one registered, whatever the retries), have %d", n)
			}
		},
	}
}

// deployUpdateFails: the update of the second service fails every time;
// the first service, updated already, goes back to revision 1.
func deployUpdateFails(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto, "web", "worker")
	return run{
		with:   map[string]string{"cluster": f.cluster, "service": "web\nworker", "images": deployImage, "desired-count": "1", "timeout": "2m"},
		script: failCall("ecs:UpdateService", `"service":"worker"`, faultproxy.ServerError, 0),
		code:   1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "rolled-back"})
			for _, svc := range []string{"web", "worker"} {
				if have := f.serviceTaskDefinition(t, svc); !strings.HasSuffix(have, ":1") {
					t.Errorf("service %s: want revision 1 after the rollback, have %s", svc, have)
				}
			}
			if !strings.Contains(res.Stderr, `updating service "worker"`) || !strings.Contains(res.Stderr, "rolled back") {
				t.Errorf("stderr: want the worker's failure and the rollback, have:\n%s", res.Stderr)
			}
		},
	}
}

// deployTimeout: without a desired count moto's service never settles, so
// the rollout runs into the timeout (having polled the service and its
// stopped tasks); with rollback off the service is left on the new
// revision, and the run says so.
func deployTimeout(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	return run{
		with: map[string]string{"cluster": f.cluster, "service": f.service, "images": deployImage, "rollback": "false", "timeout": "5s"},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "failed"})
			if have := f.serviceTaskDefinition(t); !strings.HasSuffix(have, ":2") {
				t.Errorf("want the service left on revision 2 (rollback off), have %s", have)
			}
			if !strings.Contains(res.Stderr, "timed out waiting for the deployment") {
				t.Errorf("stderr does not name the timeout:\n%s", res.Stderr)
			}
		},
	}
}

// deployRunTaskRefused: ECS refuses the one-off task (moto's RunTask
// fails for awsvpc tasks with a 500, retried like any other; the SDK gives
// the call an idempotency token, so a retry cannot start a second task):
// the deploy fails before any service changes.
func deployRunTaskRefused(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	return run{
		with: map[string]string{"cluster": f.cluster, "service": f.service, "images": deployImage, "run-task": "true",
			"run-task-command": "migrate up", "timeout": "1m"},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "failed"})
			if have := f.serviceTaskDefinition(t); !strings.HasSuffix(have, ":1") {
				t.Errorf("the service changed to %s although the one-off task failed", have)
			}
			if !strings.Contains(res.Stderr, "one-off task before the deploy") {
				t.Errorf("stderr does not name the one-off task:\n%s", res.Stderr)
			}
		},
	}
}

// deployBlueGreen: green (idle) gets the new revision, then the listener
// walks to it in two steps, gated on an alarm in state OK.
func deployBlueGreen(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto, "blue", "green")
	lb := elbtest.New(t, w.moto)
	listener := lb.Listeners[0]
	return run{
		with: map[string]string{"strategy": "blue-green", "cluster": f.cluster, "blue-service": "blue", "green-service": "green",
			"listener-arn": listener, "blue-target-group": lb.BlueName, "green-target-group": lb.GreenName,
			"images": deployImage, "desired-count": "1", "traffic-steps": "50,100", "bake-time": "1s", "alarms": lb.Alarm, "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "deployed"})
			if have := f.serviceTaskDefinition(t, "green"); !strings.HasSuffix(have, ":2") {
				t.Errorf("green runs %s, want revision 2", have)
			}
			if have := lb.Weights(t, listener); have != (traffic.Weights{Blue: 0, Green: 100}) {
				t.Errorf("traffic: want all on green, have %s", have)
			}
		},
	}
}

// deployCodeDeploy: the revision goes to CodeDeploy. moto keeps the books
// only and its GetDeployment answer does not parse, so the run fails after
// the deployment was created; the service is CodeDeploy's, ferry leaves it.
func deployCodeDeploy(t *testing.T, w *world) run {
	f := newECSFixture(t, w.moto)
	cdc := codedeployapi.New(codedeployapi.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.moto), Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	app := f.cluster + "-app"
	ctx := context.Background()
	if _, err := cdc.CreateApplication(ctx, &codedeployapi.CreateApplicationInput{ApplicationName: aws.String(app), ComputePlatform: cdtypes.ComputePlatformEcs}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdc.CreateDeploymentGroup(ctx, &codedeployapi.CreateDeploymentGroupInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String("prod"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/codedeploy"),
	}); err != nil {
		t.Fatal(err)
	}
	return run{
		with: map[string]string{"cluster": f.cluster, "service": f.service, "images": deployImage,
			"codedeploy-application": app, "codedeploy-deployment-group": "prod", "timeout": "10s"},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"status": "failed"})
			list, err := cdc.ListDeployments(ctx, &codedeployapi.ListDeploymentsInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String("prod")})
			if err != nil || len(list.Deployments) != 1 {
				t.Errorf("deployments of %s/prod: want 1, have %v (%v)", app, list, err)
			}
			if have := f.serviceTaskDefinition(t); !strings.HasSuffix(have, ":1") {
				t.Errorf("ferry updated the service itself (%s); CodeDeploy owns it", have)
			}
		},
	}
}

// ---- redirect-traffic

func trafficScenarios() []scenario {
	return []scenario{
		{name: "steps on two listeners and a rule, with an alarm", action: "redirect-traffic", chaos: true, setup: trafficSteps},
		{name: "second listener refused in step 2", action: "redirect-traffic", leaks: true, setup: trafficListenerRefused},
	}
}

// trafficSteps: both listeners and the rule walk 50, 100 to green, target
// groups by name, the alarm watched while baking. (Under 30% throttling
// the SDK's adaptive retry slows the ELB client down to about one call a
// second: each step costs seconds.)
func trafficSteps(t *testing.T, w *world) run {
	f := elbtest.New(t, w.moto)
	return run{
		with: map[string]string{"listener-arn": strings.Join(f.Listeners, "\n"), "rule-arn": f.Rule,
			"blue-target-group": f.BlueName, "green-target-group": f.GreenName,
			"steps": "50,100", "bake-time": "1s", "alarms": f.Alarm, "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"blue-weight": "0", "green-weight": "100", "previous-blue-weight": "100", "previous-green-weight": "0", "changed": "true"})
			for _, arn := range append(slices.Clone(f.Listeners), f.Rule) {
				if have := f.Weights(t, arn); have != (traffic.Weights{Blue: 0, Green: 100}) {
					t.Errorf("%s: want blue=0 green=100, have %s", arn, have)
				}
			}
		},
	}
}

// trafficListenerRefused: step 1 (50/50) goes through on both listeners;
// in step 2 the second listener's write fails every time, so the first is
// put back: both keep the last verified weights, 50/50.
func trafficListenerRefused(t *testing.T, w *world) run {
	f := elbtest.New(t, w.moto)
	second := f.Listeners[1]
	return run{
		with: map[string]string{"listener-arn": strings.Join(f.Listeners, "\n"), "blue-target-group": f.Blue, "green-target-group": f.Green,
			"steps": "50,100", "bake-time": "0s", "timeout": "2m"},
		// The second listener's ARN is in its ModifyListener body
		// (form-encoded); its first write, in step 1, goes through.
		script: failCall("elasticloadbalancing:ModifyListener", url.QueryEscape(second), faultproxy.ServerError, 1),
		code:   1,
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"blue-weight": "50", "green-weight": "50", "changed": "true"})
			for _, l := range f.Listeners {
				if have := f.Weights(t, l); have != (traffic.Weights{Blue: 50, Green: 50}) {
					t.Errorf("listener %s: want the last verified blue=50 green=50, have %s", l, have)
				}
			}
			if !strings.Contains(res.Stderr, "step 2 of 2") || !strings.Contains(res.Stderr, "put back") {
				t.Errorf("stderr: want step 2 failed and put back, have:\n%s", res.Stderr)
			}
		},
	}
}

// runCtx bounds one scenario run.
func runCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
