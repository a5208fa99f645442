package taskdef

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Canonical returns in as stable, indented JSON: the API's camelCase names
// (exactly as the SDK sends them), object keys sorted, and null, empty-list
// and empty-object values omitted. It ends with a newline.
func Canonical(in *ecs.RegisterTaskDefinitionInput) ([]byte, error) {
	if in == nil {
		return nil, fmt.Errorf("encoding task definition: no task definition")
	}
	m, err := toMap(in)
	if err != nil {
		return nil, err
	}
	return marshal(m)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(prune(v)); err != nil {
		return nil, fmt.Errorf("encoding task definition: %w", err)
	}
	return buf.Bytes(), nil
}

// prune drops nulls, empty lists and empty objects, bottom-up. It returns
// nil when v itself becomes empty.
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if p := prune(e); p == nil {
				delete(v, k)
			} else {
				v[k] = p
			}
		}
		if len(v) == 0 {
			return nil
		}
	case []any:
		out := v[:0]
		for _, e := range v {
			if p := prune(e); p != nil {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

// Equal reports whether a and b register the same task definition. Both are
// compared in canonical form (see [Canonical]) after filling in the
// defaults that ECS adds when describing a definition registered without
// them, and ignoring orders ECS does not keep:
//
//   - a container's "essential" defaults to true;
//   - a port mapping's "protocol" defaults to "tcp";
//   - with network mode "awsvpc" or "host", a port mapping's "hostPort"
//     defaults to its "containerPort";
//   - a health check's "interval", "timeout" and "retries" default to 30, 5
//     and 3;
//   - task-level "cpu" and "memory" given in units ("1 vCPU", "0.5 vcpu",
//     "2 GB") equal their plain form ("1024", "512", "2048");
//   - environment variables, secrets and tags are compared by name (key),
//     not by position, and "requiresCompatibilities" as a set;
//   - "networkMode" defaults to "bridge" (ECS describes a definition
//     registered without one so), and in bridge mode a port mapping's
//     "hostPort" of 0 (dynamic) equals none;
//   - "enableFaultInjection": false equals its absence (ECS describes
//     every definition with it; moto never does);
//   - a container's "cpu" of 0 equals none (the SDK never sends a 0).
//
// Empty lists and objects equal absent ones. Nothing else is ignored.
func Equal(a, b *ecs.RegisterTaskDefinitionInput) (bool, error) {
	ca, err := normalised(a)
	if err != nil {
		return false, err
	}
	cb, err := normalised(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}

// Diff returns a unified line diff ("--- a", "+++ b", @@ hunks with three
// lines of context) between the forms [Equal] compares; it is empty exactly
// when Equal reports true.
func Diff(a, b *ecs.RegisterTaskDefinitionInput) (string, error) {
	return DiffNamed(a, b, "a", "b")
}

// DiffNamed is [Diff] with the names the "---" and "+++" lines give a and b.
func DiffNamed(a, b *ecs.RegisterTaskDefinitionInput, nameA, nameB string) (string, error) {
	ca, err := normalised(a)
	if err != nil {
		return "", err
	}
	cb, err := normalised(b)
	if err != nil {
		return "", err
	}
	if bytes.Equal(ca, cb) {
		return "", nil
	}
	return unified(nameA, nameB, splitLines(string(ca)), splitLines(string(cb)), 3), nil
}

func normalised(in *ecs.RegisterTaskDefinitionInput) ([]byte, error) {
	if in == nil {
		return nil, fmt.Errorf("comparing task definitions: no task definition")
	}
	m, err := toMap(in)
	if err != nil {
		return nil, err
	}
	fillDefaults(m)
	return marshal(m)
}

var unitsRE = regexp.MustCompile(`(?i)^\s*([0-9]+(?:\.[0-9]+)?)\s*(vcpu|gb)\s*$`)

func fillDefaults(m map[string]any) {
	for _, k := range []string{"cpu", "memory"} {
		if s, ok := m[k].(string); ok {
			if sm := unitsRE.FindStringSubmatch(s); sm != nil {
				if r, ok := new(big.Rat).SetString(sm[1]); ok {
					r.Mul(r, big.NewRat(1024, 1))
					if r.IsInt() {
						m[k] = r.Num().String()
					}
				}
			}
		}
	}
	// ECS describes a task definition registered without a network mode
	// as "bridge" (Linux's default), and adds "enableFaultInjection":
	// false to one registered without it.
	if _, ok := m["networkMode"]; !ok {
		m["networkMode"] = "bridge"
	}
	if v, ok := m["enableFaultInjection"].(bool); ok && !v {
		delete(m, "enableFaultInjection")
	}
	mode, _ := m["networkMode"].(string)
	for _, c := range objects(m["containerDefinitions"]) {
		if _, ok := c["essential"]; !ok {
			c["essential"] = true
		}
		for _, pm := range objects(c["portMappings"]) {
			if _, ok := pm["protocol"]; !ok {
				pm["protocol"] = "tcp"
			}
			if _, ok := pm["hostPort"]; !ok && (mode == "awsvpc" || mode == "host") {
				if cp, ok := pm["containerPort"]; ok {
					pm["hostPort"] = cp
				}
			}
			// In bridge mode a host port of 0 is a dynamic one, as is none.
			if hp, ok := pm["hostPort"].(json.Number); ok && hp.String() == "0" && mode == "bridge" {
				delete(pm, "hostPort")
			}
		}
		// An empty healthCheck is an absent one (empty objects equal
		// absent ones), so it gets no defaults.
		if hc, ok := c["healthCheck"].(map[string]any); ok && len(hc) > 0 {
			for k, v := range map[string]string{"interval": "30", "timeout": "5", "retries": "3"} {
				if _, ok := hc[k]; !ok {
					hc[k] = json.Number(v)
				}
			}
		}
		sortBy(c["environment"], "name")
		sortBy(c["secrets"], "name")
	}
	sortBy(m["tags"], "key")
	if rc, ok := m["requiresCompatibilities"].([]any); ok {
		slices.SortFunc(rc, func(a, b any) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	}
}

func objects(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func sortBy(v any, key string) {
	l, _ := v.([]any)
	slices.SortStableFunc(l, func(a, b any) int {
		am, _ := a.(map[string]any)
		bm, _ := b.(map[string]any)
		return cmp.Compare(fmt.Sprint(am[key]), fmt.Sprint(bm[key]))
	})
}

func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// unified returns a unified diff of two line lists (each line ending in
// "\n") computed from their longest common subsequence.
func unified(nameA, nameB string, a, b []string, context int) string {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line index in a before this op
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', a[i], i, j})
			i++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-context, 0)
		// extend the hunk while changes are within 2*context lines
		end := k
		for n := k; n < len(ops); n++ {
			if ops[n].kind != ' ' {
				end = n
			} else if n-end > 2*context {
				break
			}
		}
		stop := min(end+context+1, len(ops))
		var al, bl int
		for _, o := range ops[start:stop] {
			if o.kind != '+' {
				al++
			}
			if o.kind != '-' {
				bl++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ops[start].ai, al), hunkRange(ops[start].bi, bl))
		for _, o := range ops[start:stop] {
			out.WriteByte(o.kind)
			out.WriteString(o.line)
			if !strings.HasSuffix(o.line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		k = stop
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
