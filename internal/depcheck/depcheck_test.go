// Package depcheck holds the test that keeps ferry's packages cut by domain:
// domain packages never import the CI runtime or a CI platform's library, and
// a domain package imports another domain package only where the allowlist
// below names the edge.
package depcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ferry-ci/ferry"

// wiring may import anything; every other package under pkg/ is a domain
// package.
var wiring = []string{"pkg/action", "pkg/commands"}

// forbidden are what no domain package may reach, directly or through any
// chain of imports.
var forbidden = []string{
	module + "/pkg/action",
	module + "/pkg/commands",
	"github.com/sethvargo/go-githubactions",
	"gitlab.com/gitlab-org/api/client-go",
	"github.com/google/go-github",
}

// allowed names every domain → domain import there is, and why. A domain
// package importing another one not listed here fails the test: add the edge
// here, with its reason, only if the two domains truly are one above the
// other; otherwise pass a plain value across the command instead.
var allowed = map[string][]string{
	// A blue/green ECS deploy shifts the listener's weights the way
	// redirect-traffic does: one weights model, not two.
	// A deploy renders and registers the task definitions it then rolls
	// out (ecs.Plan carries taskdef.Overrides); a service whose deployment
	// controller is CodeDeploy gets its new revision through a CodeDeploy
	// deployment, the one strategy of three that ecs.Deployer.Run hands
	// off.
	"pkg/ecs": {"pkg/traffic", "pkg/taskdef", "pkg/codedeploy"},
	// Publishing pushes the image pkg/image builds and reads its digest.
	"pkg/publish": {"pkg/image"},
}

func TestDomainPackagesStayOffThePlatform(t *testing.T) {
	root := moduleRoot(t)
	g := load(t, root, module)
	problems := check(g, module, wiring, forbidden, allowed)
	for _, p := range problems {
		t.Error(p)
	}
	if n := len(g.domains(module, wiring)); n == 0 {
		t.Fatal("no domain package was checked")
	}
	// go test caches a passing result and replays it while the test binary
	// and the files and variables the test read are unchanged. The graph
	// comes from a go list subprocess, whose reads the go command does not
	// see, so a new import in pkg/cdn would replay a stale pass. Opening
	// every directory and Go file the graph came from (and go.mod) puts them
	// in the test's input log: any edit to them reruns this test.
	track(t, root, g)
}

// TestCheckCatchesCrossDomainImports runs the check over a fixture module in
// which pkg/cdn imports pkg/ecs (not allowed) and pkg/ecs imports pkg/traffic
// (allowed) and pkg/action (forbidden), and wants exactly the two bad edges,
// each with the chain that leads to it.
func TestCheckCatchesCrossDomainImports(t *testing.T) {
	const fixture = "example.com/crossdomain"
	dir, err := filepath.Abs(filepath.Join("testdata", "crossdomain"))
	if err != nil {
		t.Fatal(err)
	}
	g := load(t, dir, fixture)
	have := check(g, fixture, wiring, []string{fixture + "/pkg/action"}, allowed)
	want := []string{
		"example.com/crossdomain/pkg/cdn imports domain package example.com/crossdomain/pkg/ecs, which the allowlist in internal/depcheck does not name for pkg/cdn (allowed: none); import chain:\n" +
			"\texample.com/crossdomain/pkg/cdn\n" +
			"\texample.com/crossdomain/pkg/ecs",
		"example.com/crossdomain/pkg/ecs imports example.com/crossdomain/pkg/action: domain packages take plain options and return errors; the runtime stays in pkg/commands; import chain:\n" +
			"\texample.com/crossdomain/pkg/ecs\n" +
			"\texample.com/crossdomain/pkg/action",
	}
	if !slices.Equal(have, want) {
		t.Errorf("problems:\nwant %q\nhave %q", want, have)
	}
}

// TestCheckPrintsTheWholeChain checks that an import reached through a
// non-domain package (here an internal helper) is reported with every hop,
// and that a test's own use of another domain is not.
func TestCheckPrintsTheWholeChain(t *testing.T) {
	g := graph{
		"m/pkg/cdn":         {ImportPath: "m/pkg/cdn", Imports: []string{"m/internal/helper", "fmt"}},
		"m/internal/helper": {ImportPath: "m/internal/helper", Imports: []string{"m/pkg/ecs"}},
		"m/pkg/ecs":         {ImportPath: "m/pkg/ecs", TestImports: []string{"m/internal/ci"}},
		"m/internal/ci":     {ImportPath: "m/internal/ci", Imports: []string{"ci.example/lib"}},
		"ci.example/lib":    {ImportPath: "ci.example/lib"},
		"fmt":               {ImportPath: "fmt", Standard: true},
	}
	have := check(g, "m", nil, []string{"ci.example/lib"}, nil)
	want := []string{
		"m/pkg/cdn imports domain package m/pkg/ecs, which the allowlist in internal/depcheck does not name for pkg/cdn (allowed: none); import chain:\n\tm/pkg/cdn\n\tm/internal/helper\n\tm/pkg/ecs",
		"m/pkg/ecs imports ci.example/lib: domain packages take plain options and return errors; the runtime stays in pkg/commands; import chain:\n\tm/pkg/ecs\n\tm/internal/ci\n\tci.example/lib",
	}
	if !slices.Equal(have, want) {
		t.Errorf("problems:\nwant %q\nhave %q", want, have)
	}
}

type pkg struct {
	ImportPath   string
	Dir          string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	// IgnoredGoFiles are tracked too: a build-tag edit can bring one in.
	IgnoredGoFiles []string
	Module         *struct{ Main bool }
}

type graph map[string]pkg

// domains lists the domain packages of module mod, sorted.
func (g graph) domains(mod string, wiring []string) []string {
	var out []string
	for ip := range g {
		rel, ok := strings.CutPrefix(ip, mod+"/")
		if ok && isDomain(rel, wiring) {
			out = append(out, ip)
		}
	}
	slices.Sort(out)
	return out
}

func isDomain(rel string, wiring []string) bool {
	return strings.HasPrefix(rel, "pkg/") && !slices.Contains(wiring, rel)
}

// load lists the packages under dir/pkg, the packages their tests import, and
// everything those import, with go list run in dir.
func load(t *testing.T, dir, mod string) graph {
	t.Helper()
	g := graph{}
	fields := "-json=ImportPath,Dir,Standard,Imports,TestImports,XTestImports,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,IgnoredGoFiles,Module"
	roots := golist(t, dir, fields, mod+"/pkg/...")
	patterns := []string{mod + "/pkg/..."}
	for _, p := range roots {
		for _, ip := range slices.Concat(p.TestImports, p.XTestImports) {
			if strings.HasPrefix(ip, mod+"/") && !slices.Contains(patterns, ip) {
				patterns = append(patterns, ip)
			}
		}
	}
	for _, p := range golist(t, dir, fields, slices.Concat([]string{"-deps"}, patterns)...) {
		g[p.ImportPath] = p
	}
	// -deps leaves the test imports out of the listing of the roots.
	for _, p := range roots {
		q := g[p.ImportPath]
		q.TestImports, q.XTestImports = p.TestImports, p.XTestImports
		g[p.ImportPath] = q
	}
	return g
}

func golist(t *testing.T, dir, fields string, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", slices.Concat([]string{"list", fields}, args)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off") // the fixture is a module of its own
	cmd.Stderr = new(strings.Builder)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s in %q: %v\n%s", strings.Join(args, " "), dir, err, cmd.Stderr)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

// check walks the imports of every domain package of module mod breadth
// first, so each chain printed is a shortest one. It reports any chain from
// the package or its tests that reaches a forbidden package, and any chain
// from the package itself (what ships) that reaches another domain package
// the allowlist does not name for it; tests may use internal helpers that
// build other domains' fixtures. It does not walk on through another domain
// package: that one's own imports are checked on its turn.
func check(g graph, mod string, wiring, forbidden []string, allowed map[string][]string) []string {
	var problems []string
	for _, from := range g.domains(mod, wiring) {
		p := g[from]
		problems = append(problems, walk(g, mod, from, p.Imports, true, wiring, forbidden, allowed)...)
		problems = append(problems, walk(g, mod, from, slices.Concat(p.TestImports, p.XTestImports), false, wiring, forbidden, allowed)...)
	}
	return problems
}

func walk(g graph, mod, from string, starts []string, shipped bool, wiring, forbidden []string, allowed map[string][]string) []string {
	var problems []string
	rel := strings.TrimPrefix(from, mod+"/")
	parent := map[string]string{from: ""}
	var queue []string
	for _, ip := range starts {
		if _, seen := parent[ip]; !seen {
			parent[ip] = from
			queue = append(queue, ip)
		}
	}
	for len(queue) > 0 {
		ip := queue[0]
		queue = queue[1:]
		if isForbidden(ip, forbidden) {
			problems = append(problems, fmt.Sprintf("%s imports %s: domain packages take plain options and return errors; the runtime stays in pkg/commands; import chain:\n%s",
				from, ip, chain(parent, ip)))
			continue
		}
		if to, ok := strings.CutPrefix(ip, mod+"/"); ok && isDomain(to, wiring) {
			if shipped && !slices.Contains(allowed[rel], to) {
				names := "none"
				if len(allowed[rel]) > 0 {
					names = strings.Join(allowed[rel], ", ")
				}
				problems = append(problems, fmt.Sprintf("%s imports domain package %s, which the allowlist in internal/depcheck does not name for %s (allowed: %s); import chain:\n%s",
					from, ip, rel, names, chain(parent, ip)))
			}
			continue
		}
		if g[ip].Standard {
			continue
		}
		for _, next := range g[ip].Imports {
			if _, seen := parent[next]; !seen {
				parent[next] = ip
				queue = append(queue, next)
			}
		}
	}
	return problems
}

func isForbidden(ip string, forbidden []string) bool {
	for _, f := range forbidden {
		if ip == f || strings.HasPrefix(ip, f+"/") {
			return true
		}
	}
	return false
}

// chain spells the path from the domain package to ip, one package a line,
// as go-containerregistry's depcheck does.
func chain(parent map[string]string, ip string) string {
	var path []string
	for ; ip != ""; ip = parent[ip] {
		path = append(path, "\t"+ip)
	}
	slices.Reverse(path)
	return strings.Join(path, "\n")
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// track opens go.mod, pkg/ and every directory and Go file of this module the
// graph was read from, so that they enter the test's input log (see
// TestDomainPackagesStayOffThePlatform): a file changed since the last run —
// or changed less than two seconds before it — makes go test rerun the test.
func track(t *testing.T, root string, g graph) {
	t.Helper()
	paths := []string{filepath.Join(root, "go.mod"), filepath.Join(root, "pkg")}
	for _, p := range g {
		if p.Module == nil || !p.Module.Main || p.Dir == "" {
			continue
		}
		paths = append(paths, p.Dir)
		for _, f := range slices.Concat(p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.IgnoredGoFiles) {
			paths = append(paths, filepath.Join(p.Dir, f))
		}
	}
	for _, name := range paths {
		f, err := os.Open(name)
		if err != nil {
			t.Fatalf("track %q: %v", name, err)
		}
		f.Close()
	}
}
