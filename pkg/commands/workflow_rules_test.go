package commands

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// GitHub checks a run's whole chain of reusable workflows when it loads the
// run, before any job starts and whatever the jobs' `if:` say; nektos/act
// checks none of it. The rules checked here, as GitHub applies them:
//
// Permissions. A job that calls a reusable workflow grants the called
// workflow's jobs at most its own permissions: the job's `permissions:`, or
// the calling workflow's top-level ones when the job has none (neither:
// the repository's default token, taken here as the restricted default,
// contents and packages read). Each nested job requests its own
// `permissions:`, or its workflow's top-level ones, or, with neither,
// inherits the grant (no request of its own). A request above the grant in
// any scope (none < read < write; read-all and write-all are every scope)
// refuses the run: "The nested job 'deploy' is requesting 'deployments:
// write', but is only allowed 'deployments: none'". Nested reusable
// workflows are followed with the nested job's (capped) permissions as
// their grant.
//
// Secrets (ferry's rule, stricter than GitHub's). `secrets: inherit` hands
// the called workflow every secret of the caller. It is allowed only where
// the called workflow needs it: where it (or a workflow it calls with
// `secrets: inherit`, recursively) reads a secret it does not declare under
// on.workflow_call.secrets. A workflow that declares every secret it reads
// gets them by name, so that each workflow sees only the secrets it names.
// Conversely, a call without `secrets: inherit` to a workflow that reads
// undeclared secrets is an error: those secrets would be empty there.
// GITHUB_TOKEN is never counted.

// permissionScopes are the GITHUB_TOKEN scopes read-all and write-all cover.
var permissionScopes = []string{
	"actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
	"models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses",
}

var permissionLevels = map[string]int{"none": 0, "read": 1, "write": 2}

func levelName(l int) string { return [...]string{"none", "read", "write"}[l] }

// perms are the levels granted or requested, by scope; a missing scope is none.
type perms map[string]int

// parsePerms reads a permissions block; set is false when there is none.
func parsePerms(n yaml.Node) (p perms, set bool, err error) {
	switch {
	case n.Kind == 0:
		return nil, false, nil
	case n.Kind == yaml.ScalarNode && (n.Value == "read-all" || n.Value == "write-all"):
		p = perms{}
		for _, s := range permissionScopes {
			p[s] = permissionLevels[strings.TrimSuffix(n.Value, "-all")]
		}
		return p, true, nil
	case n.Kind == yaml.MappingNode:
		p = perms{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			l, ok := permissionLevels[n.Content[i+1].Value]
			if !ok {
				return nil, true, fmt.Errorf("permission %s: want none, read or write, have %q", n.Content[i].Value, n.Content[i+1].Value)
			}
			p[n.Content[i].Value] = l
		}
		return p, true, nil
	}
	return nil, true, fmt.Errorf("permissions: want a mapping, read-all or write-all, have %q", n.Value)
}

// defaultGrant is GitHub's restricted default token, what a workflow without
// any permissions block is taken to grant.
var defaultGrant = perms{"contents": 1, "packages": 1}

type ruleJob struct {
	Uses        string     `yaml:"uses"`
	Permissions yaml.Node  `yaml:"permissions"`
	Secrets     yaml.Node  `yaml:"secrets"`
	Steps       []ruleStep `yaml:"steps"`
}

type ruleStep struct {
	ID              string         `yaml:"id"`
	Name            string         `yaml:"name"`
	If              string         `yaml:"if"`
	Uses            string         `yaml:"uses"`
	With            map[string]any `yaml:"with"`
	ContinueOnError any            `yaml:"continue-on-error"`
}

type ruleWorkflow struct {
	On          map[string]yaml.Node `yaml:"on"`
	Permissions yaml.Node            `yaml:"permissions"`
	Jobs        map[string]ruleJob   `yaml:"jobs"`
	text        string
}

// loadRuleWorkflows reads .github/workflows/*.yml and
// examples/workflows/*.yml under root, by path relative to root.
func loadRuleWorkflows(t *testing.T, root string) map[string]*ruleWorkflow {
	t.Helper()
	out := map[string]*ruleWorkflow{}
	for _, dir := range []string{".github/workflows", "examples/workflows"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w := &ruleWorkflow{text: string(data)}
			if err := yaml.Unmarshal(data, w); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[dir+"/"+filepath.Base(f)] = w
		}
	}
	return out
}

// calledWorkflow is the file of this repository a `uses:` of a job names:
// ferry-ci/ferry/.github/workflows/X.yml@ref or ./.github/workflows/X.yml.
var calledWorkflow = regexp.MustCompile(`^(?:ferry-ci/ferry/|\./)(\.github/workflows/[A-Za-z0-9._-]+\.ya?ml)(?:@[^@]+)?$`)

// secretRead is a secret a workflow reads in an expression.
var secretRead = regexp.MustCompile(`secrets\.([A-Za-z_][A-Za-z0-9_-]*)`)

// checkLoadRules returns every breach of the rules above, sorted.
func checkLoadRules(ws map[string]*ruleWorkflow) []string {
	problems := map[string]bool{}
	add := func(format string, a ...any) { problems[fmt.Sprintf(format, a...)] = true }

	var walk func(caller, job string, grant perms, called string, depth int)
	walk = func(caller, job string, grant perms, called string, depth int) {
		w := ws[called]
		if w == nil {
			add("%s: job %s calls %s, which is not here", caller, job, called)
			return
		}
		if depth > 10 {
			add("%s: job %s: reusable workflows nested deeper than GitHub allows", caller, job)
			return
		}
		top, topSet, err := parsePerms(w.Permissions)
		if err != nil {
			add("%s: %v", called, err)
		}
		for _, name := range slices.Sorted(maps.Keys(w.Jobs)) {
			nj := w.Jobs[name]
			req, set, err := parsePerms(nj.Permissions)
			if err != nil {
				add("%s: job %s: %v", called, name, err)
			}
			switch {
			case set:
			case topSet:
				req = top
			default:
				req = grant // inherits: no request of its own
			}
			capped := perms{}
			for _, s := range slices.Sorted(maps.Keys(req)) {
				capped[s] = min(req[s], grant[s])
				if req[s] > grant[s] {
					add("%s: job %s calls %s, whose nested job '%s' is requesting '%s: %s', but is only allowed '%s: %s'",
						caller, job, called, name, s, levelName(req[s]), s, levelName(grant[s]))
				}
			}
			if m := calledWorkflow.FindStringSubmatch(nj.Uses); m != nil {
				walk(called, name, capped, m[1], depth+1)
			}
		}
	}

	for _, path := range slices.Sorted(maps.Keys(ws)) {
		w := ws[path]
		top, topSet, _ := parsePerms(w.Permissions)
		_, reusable := w.On["workflow_call"]
		triggered := len(w.On) > 1 || !reusable
		for _, name := range slices.Sorted(maps.Keys(w.Jobs)) {
			job := w.Jobs[name]
			m := calledWorkflow.FindStringSubmatch(job.Uses)
			if m == nil {
				continue
			}
			checkInherit(ws, path, name, job, m[1], add)
			grant, set, err := parsePerms(job.Permissions)
			if err != nil {
				add("%s: job %s: %v", path, name, err)
			}
			switch {
			case set:
			case topSet:
				grant = top
			case triggered:
				grant = defaultGrant
			default:
				continue // inherits its caller's grant: checked from the caller
			}
			walk(path, name, grant, m[1], 1)
		}
	}
	return slices.Sorted(maps.Keys(problems))
}

// checkInherit applies the secrets rule to one job calling a reusable workflow.
func checkInherit(ws map[string]*ruleWorkflow, path, name string, job ruleJob, called string, add func(string, ...any)) {
	if ws[called] == nil {
		return
	}
	inherit := job.Secrets.Kind == yaml.ScalarNode && job.Secrets.Value == "inherit"
	needed := undeclaredSecrets(ws, called, map[string]bool{})
	switch {
	case inherit && len(needed) == 0:
		add("%s: job %s passes secrets: inherit, but %s reads only the secrets it declares: pass them by name", path, name, called)
	case !inherit && len(needed) > 0:
		add("%s: job %s does not pass secrets: inherit, but %s reads undeclared secrets %s", path, name, called, strings.Join(needed, ", "))
	}
}

// undeclaredSecrets are the secrets a reusable workflow, or one it calls
// with secrets: inherit, reads without declaring them.
func undeclaredSecrets(ws map[string]*ruleWorkflow, path string, seen map[string]bool) []string {
	w := ws[path]
	if w == nil || seen[path] {
		return nil
	}
	seen[path] = true
	declared := map[string]bool{"GITHUB_TOKEN": true}
	if n, ok := w.On["workflow_call"]; ok {
		var c workflowCall
		_ = n.Decode(&c)
		for k := range c.Secrets {
			declared[strings.ToUpper(k)] = true
		}
	}
	out := map[string]bool{}
	for _, m := range secretRead.FindAllStringSubmatch(w.text, -1) {
		if !declared[strings.ToUpper(m[1])] {
			out[m[1]] = true
		}
	}
	for _, job := range w.Jobs {
		m := calledWorkflow.FindStringSubmatch(job.Uses)
		if m != nil && job.Secrets.Kind == yaml.ScalarNode && job.Secrets.Value == "inherit" {
			for _, s := range undeclaredSecrets(ws, m[1], seen) {
				if !declared[strings.ToUpper(s)] {
					out[s] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(out))
}

// TestWorkflowsLoadOnGitHub: the flows and examples pass the load-time
// rules GitHub applies and act does not (see checkLoadRules).
func TestWorkflowsLoadOnGitHub(t *testing.T) {
	t.Parallel()
	ws := loadRuleWorkflows(t, actiontest.Root(t))
	if len(ws) < 8 {
		t.Fatalf("read %d workflows; the repository holds more", len(ws))
	}
	for _, p := range checkLoadRules(ws) {
		t.Error(p)
	}
}

// TestWorkflowLoadRulesCatch: the check refuses what GitHub refuses. The
// fixture "github-flow-v1" is github-flow.yml and deploy-environment.yml as
// they were when every push and pull request of every caller failed at
// startup; the others are small cases of each rule.
func TestWorkflowLoadRulesCatch(t *testing.T) {
	t.Parallel()
	const called = ".github/workflows/called.yml"
	tests := []struct {
		name  string
		files map[string]string // or fixture
		dir   string
		want  []string
	}{
		{
			name: "github-flow-v1",
			dir:  filepath.Join("testdata", "workflow-rules", "github-flow-v1"),
			want: []string{
				".github/workflows/github-flow.yml: job preview calls .github/workflows/deploy-environment.yml, whose nested job 'deploy' is requesting 'deployments: write', but is only allowed 'deployments: none'",
				".github/workflows/github-flow.yml: job preview passes secrets: inherit, but .github/workflows/deploy-environment.yml reads only the secrets it declares: pass them by name",
				".github/workflows/github-flow.yml: job production calls .github/workflows/deploy-environment.yml, whose nested job 'deploy' is requesting 'pull-requests: write', but is only allowed 'pull-requests: none'",
				".github/workflows/github-flow.yml: job production passes secrets: inherit, but .github/workflows/deploy-environment.yml reads only the secrets it declares: pass them by name",
				".github/workflows/github-flow.yml: job staging calls .github/workflows/deploy-environment.yml, whose nested job 'deploy' is requesting 'pull-requests: write', but is only allowed 'pull-requests: none'",
				".github/workflows/github-flow.yml: job staging passes secrets: inherit, but .github/workflows/deploy-environment.yml reads only the secrets it declares: pass them by name",
			},
		},
		{
			name: "nested through two levels, write-all and read-all",
			files: map[string]string{
				"examples/workflows/root.yml":  "on:\n  push:\npermissions: read-all\njobs:\n  a:\n    uses: ferry-ci/ferry/.github/workflows/middle.yml@v1\n",
				".github/workflows/middle.yml": "on:\n  workflow_call:\njobs:\n  b:\n    uses: ./.github/workflows/called.yml\n",
				called:                         "on:\n  workflow_call:\npermissions: write-all\njobs:\n  c:\n    runs-on: x\n    permissions:\n      contents: read\n  d:\n    runs-on: x\n",
			},
			want: func() []string {
				var out []string
				for _, s := range permissionScopes {
					out = append(out, ".github/workflows/middle.yml: job b calls .github/workflows/called.yml, whose nested job 'd' is requesting '"+s+": write', but is only allowed '"+s+": read'")
				}
				return out
			}(),
		},
		{
			name: "a nested job without permissions inherits; the job's own block wins over the top level",
			files: map[string]string{
				"examples/workflows/root.yml": "on:\n  push:\npermissions:\n  contents: write\njobs:\n  a:\n    permissions:\n      id-token: write\n    uses: ./.github/workflows/called.yml\n",
				called:                        "on:\n  workflow_call:\njobs:\n  c:\n    runs-on: x\n  d:\n    runs-on: x\n    permissions:\n      contents: read\n",
			},
			want: []string{"examples/workflows/root.yml: job a calls .github/workflows/called.yml, whose nested job 'd' is requesting 'contents: read', but is only allowed 'contents: none'"},
		},
		{
			name: "no permissions anywhere: the restricted default",
			files: map[string]string{
				"examples/workflows/root.yml": "on:\n  push:\njobs:\n  a:\n    uses: ./.github/workflows/called.yml\n    secrets: inherit\n",
				called:                        "on:\n  workflow_call:\npermissions:\n  contents: read\n  packages: read\n  statuses: write\njobs:\n  c:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n",
			},
			want: []string{"examples/workflows/root.yml: job a calls .github/workflows/called.yml, whose nested job 'c' is requesting 'statuses: write', but is only allowed 'statuses: none'"},
		},
		{
			name: "undeclared secrets need inherit, through a nested inherit",
			files: map[string]string{
				"examples/workflows/root.yml":  "on:\n  push:\npermissions: {}\njobs:\n  a:\n    uses: ./.github/workflows/middle.yml\n    secrets:\n      declared: x\n",
				".github/workflows/middle.yml": "on:\n  workflow_call:\n    secrets:\n      declared:\n        required: false\njobs:\n  b:\n    uses: ./.github/workflows/called.yml\n    secrets: inherit\n",
				called:                         "on:\n  workflow_call:\njobs:\n  c:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.TOKEN }} ${{ secrets.GITHUB_TOKEN }}\n",
			},
			want: []string{"examples/workflows/root.yml: job a does not pass secrets: inherit, but .github/workflows/middle.yml reads undeclared secrets TOKEN"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir == "" {
				dir = t.TempDir()
				for name, content := range tt.files {
					if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			have := checkLoadRules(loadRuleWorkflows(t, dir))
			if !slices.Equal(have, tt.want) {
				t.Errorf("want %d problems:\n%s\nhave %d:\n%s", len(tt.want), strings.Join(tt.want, "\n"), len(have), strings.Join(have, "\n"))
			}
		})
	}
}

// checkFlowSteps returns what the reusable flows' steps must not do: a
// notify step that can stop a deploy (a notification only reports; even
// its bad input, exit 2, must not abort what it reports on), a site sync
// without the prefix CloudFront serves (SITE_PREFIX), a push with the
// default tags (the branch tag moves, which IMMUTABLE repositories refuse),
// an infrastructure step (deploy-cloudformation) that is not optional
// (no if:, so every caller needs a template), not mode apply (a plan
// leaves the app deployed on the old infrastructure), without protect (a
// flow must let its caller guard stateful resources), or after the app's
// deploy-ecs step in its job, or a deploy that may pause without the
// steps that end the pause (checkGate).
func checkFlowSteps(ws map[string]*ruleWorkflow) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(ws)) {
		if _, reusable := ws[path].On["workflow_call"]; !reusable {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(ws[path].Jobs)) {
			deployed := false // a deploy-ecs step came before
			for i, step := range ws[path].Jobs[name].Steps {
				m := ownAction.FindStringSubmatch(step.Uses)
				if m == nil {
					continue
				}
				where := fmt.Sprintf("%s: job %s step %d (%s)", path, name, i+1, step.Name)
				switch m[1] {
				case "deploy-ecs":
					deployed = true
					if _, ok := step.With["pause-at"]; ok {
						out = append(out, checkGate(where, step, ws[path].Jobs[name].Steps[i+1:])...)
					}
				case "deploy-cloudformation":
					if strings.TrimSpace(step.If) == "" {
						out = append(out, where+": the infrastructure step has no if: (it must be optional)")
					}
					if step.With["mode"] != "apply" {
						out = append(out, where+fmt.Sprintf(": the infrastructure step's mode is %v, not apply", step.With["mode"]))
					}
					if _, ok := step.With["protect"]; !ok {
						out = append(out, where+": the infrastructure step passes no protect")
					}
					if deployed {
						out = append(out, where+": the infrastructure step comes after deploy-ecs")
					}
				case "notify":
					if step.ContinueOnError != true {
						out = append(out, where+": a notify step without continue-on-error: true can stop the deploy")
					}
				case "sync-s3-cloudfront":
					if _, ok := step.With["prefix"]; !ok {
						out = append(out, where+": the site sync passes no prefix (SITE_PREFIX)")
					}
				case "build-push-ecr":
					if _, ok := step.With["tags"]; !ok {
						out = append(out, where+": a push with the default tags (the branch tag moves)")
					}
				}
			}
		}
	}
	return out
}

// checkGate: a deploy-ecs step that may pause (pause-at) is followed by a
// step that continues the paused deployment only when the tests between
// passed, and by one that rolls it back whatever else happened (always(),
// so a failed or cancelled test still ends the deployment), each naming
// the paused deployment and bounded by a timeout. Without them a paused
// deployment waits for ECS's hook timeout.
func checkGate(where string, deploy ruleStep, later []ruleStep) []string {
	if deploy.ID == "" {
		return []string{where + ": a deploy that may pause has no id: the decision steps cannot read its outputs"}
	}
	paused := "steps." + deploy.ID + ".outputs.status == 'paused'"
	arn := "${{ steps." + deploy.ID + ".outputs.service-deployment-arn }}"
	var out []string
	for _, want := range []struct{ decision, ifHas, missing string }{
		{"continue", ".outcome == 'success'", "continues it when the tests passed"},
		{"rollback", "always()", "rolls it back whatever happened (if: always() && …)"},
	} {
		found := false
		for _, s := range later {
			if m := ownAction.FindStringSubmatch(s.Uses); m == nil || m[1] != "deploy-ecs" || fmt.Sprint(s.With["decision"]) != want.decision {
				continue
			}
			found = true
			if !strings.Contains(s.If, paused) || !strings.Contains(s.If, want.ifHas) {
				out = append(out, fmt.Sprintf("%s: the %s step (%s) runs on if: %q, want %q and %q in it", where, want.decision, s.Name, s.If, paused, want.ifHas))
			}
			if fmt.Sprint(s.With["service-deployment-arn"]) != arn {
				out = append(out, fmt.Sprintf("%s: the %s step (%s) does not pass %s", where, want.decision, s.Name, arn))
			}
			if _, ok := s.With["timeout"]; !ok {
				out = append(out, fmt.Sprintf("%s: the %s step (%s) has no timeout (it waits through the bake time)", where, want.decision, s.Name))
			}
		}
		if !found {
			out = append(out, where+": a deploy that may pause has no later step that "+want.missing)
		}
	}
	return out
}

// TestWorkflowFlowSteps: the flows' steps as checkFlowSteps wants them; the
// fixture of the flows as they were shows each rule catching.
func TestWorkflowFlowSteps(t *testing.T) {
	t.Parallel()
	flows := loadRuleWorkflows(t, actiontest.Root(t))
	for _, p := range checkFlowSteps(flows) {
		t.Error(p)
	}
	infraSteps := 0
	for _, step := range flows[".github/workflows/deploy-environment.yml"].Jobs["deploy"].Steps {
		if m := ownAction.FindStringSubmatch(step.Uses); m != nil && m[1] == "deploy-cloudformation" {
			infraSteps++
		}
	}
	if infraSteps != 1 {
		t.Errorf("deploy-environment.yml: want one infrastructure step (deploy-cloudformation) in job deploy, have %d", infraSteps)
	}
	have := checkFlowSteps(loadRuleWorkflows(t, filepath.Join("testdata", "workflow-rules", "github-flow-v1")))
	want := []string{
		".github/workflows/deploy-environment.yml: job deploy step 2 (Notify start): a notify step without continue-on-error: true can stop the deploy",
		".github/workflows/deploy-environment.yml: job deploy step 3 (Promote the image): a push with the default tags (the branch tag moves)",
		".github/workflows/deploy-environment.yml: job deploy step 6 (Sync the static site): the site sync passes no prefix (SITE_PREFIX)",
		".github/workflows/deploy-environment.yml: job deploy step 7 (Notify result): a notify step without continue-on-error: true can stop the deploy",
		".github/workflows/github-flow.yml: job build step 4 (Push to ECR): a push with the default tags (the branch tag moves)",
	}
	if !slices.Equal(have, want) {
		t.Errorf("fixture github-flow-v1: want\n%s\nhave\n%s", strings.Join(want, "\n"), strings.Join(have, "\n"))
	}

	// A gate whose rollback only runs on success, and whose continue step
	// is missing: both caught.
	dir := t.TempDir()
	flow := `on:
  workflow_call:
jobs:
  deploy:
    runs-on: x
    steps:
      - id: deploy
        uses: ferry-ci/ferry/actions/deploy-ecs@v1
        with:
          pause-at: post-test-traffic-shift
      - id: test
        run: make smoke
      - name: Roll back
        if: steps.deploy.outputs.status == 'paused' && steps.test.outcome != 'success'
        uses: ferry-ci/ferry/actions/deploy-ecs@v1
        with:
          decision: rollback
          service-deployment-arn: ${{ steps.deploy.outputs.arn }}
`
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "gate.yml"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	have = checkFlowSteps(loadRuleWorkflows(t, dir))
	where := ".github/workflows/gate.yml: job deploy step 1 ()"
	want = []string{
		where + ": a deploy that may pause has no later step that continues it when the tests passed",
		where + `: the rollback step (Roll back) runs on if: "steps.deploy.outputs.status == 'paused' && steps.test.outcome != 'success'", want "steps.deploy.outputs.status == 'paused'" and "always()" in it`,
		where + ": the rollback step (Roll back) does not pass ${{ steps.deploy.outputs.service-deployment-arn }}",
		where + ": the rollback step (Roll back) has no timeout (it waits through the bake time)",
	}
	if !slices.Equal(have, want) {
		t.Errorf("gate fixture: want\n%s\nhave\n%s", strings.Join(want, "\n"), strings.Join(have, "\n"))
	}

	// The infrastructure step's rules, each caught.
	const head = "on:\n  workflow_call:\njobs:\n  deploy:\n    runs-on: x\n    steps:\n"
	const ecs = "      - name: Deploy\n        uses: ferry-ci/ferry/actions/deploy-ecs@v1\n"
	infra := func(lines ...string) string {
		return "      - name: Infra\n        uses: ferry-ci/ferry/actions/deploy-cloudformation@v1\n" + strings.Join(lines, "")
	}
	const infraWhere = ".github/workflows/flow.yml: job deploy step 1 (Infra): "
	tests := []struct {
		name, steps string
		want        []string
	}{
		{"as the flows have it", infra("        if: inputs.infra-template != ''\n", "        with:\n          mode: apply\n          protect: ${{ inputs.infra-protect }}\n") + ecs, nil},
		{"not optional", infra("        with:\n          mode: apply\n          protect: x\n") + ecs,
			[]string{infraWhere + "the infrastructure step has no if: (it must be optional)"}},
		{"mode plan, no protect", infra("        if: inputs.t != ''\n", "        with:\n          mode: plan\n") + ecs,
			[]string{infraWhere + "the infrastructure step's mode is plan, not apply", infraWhere + "the infrastructure step passes no protect"}},
		{"mode left to the default", infra("        if: inputs.t != ''\n", "        with:\n          protect: x\n") + ecs,
			[]string{infraWhere + "the infrastructure step's mode is <nil>, not apply"}},
		{"after the app", ecs + infra("        if: inputs.t != ''\n", "        with:\n          mode: apply\n          protect: x\n"),
			[]string{".github/workflows/flow.yml: job deploy step 2 (Infra): the infrastructure step comes after deploy-ecs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "flow.yml"), []byte(head+tt.steps), 0o644); err != nil {
				t.Fatal(err)
			}
			if have := checkFlowSteps(loadRuleWorkflows(t, dir)); !slices.Equal(have, tt.want) {
				t.Errorf("want\n%s\nhave\n%s", strings.Join(tt.want, "\n"), strings.Join(have, "\n"))
			}
		})
	}
}
