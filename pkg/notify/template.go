package notify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template/parse"
)

// Templates are parsed by text/template/parse and run by the evaluator
// below, not by text/template's Execute. Execute finds fields and methods
// by name through reflection (reflect.Value.MethodByName), and once that
// is reachable the Go linker keeps every exported method of every type in
// the binary: for ferry, with the AWS SDK's clients, that took the binary
// from 19 MB to 36 MB and the release image past its 10 MB goal. The
// template language is the same (the parser is Go's own); what a template
// can reach is the documented context, resolved by a switch, and the
// builtins listed in templateFuncs. A test runs every template of its
// corpus, and a fuzz target any template, through both and compares.

// ErrTemplateUnsupported marks a template feature ferry does not run:
// {{ template }}, {{ define }}, {{ block }} and the call, html, js, slice
// and urlquery builtins.
var ErrTemplateUnsupported = errors.New("not supported in notify templates")

// templateFuncs are the builtins a template may call. The parser only
// needs the names; the values are never called.
var templateFuncs = map[string]any{
	"and": true, "or": true, "not": true, "len": true, "index": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"print": true, "printf": true, "println": true,
	// Parsed so that the error says what is missing, not "not defined".
	"call": true, "html": true, "js": true, "slice": true, "urlquery": true,
}

// renderTemplate parses text and runs it against c.
func renderTemplate(name, text string, c Context) (string, error) {
	trees, err := parse.Parse(name, text, "", "", templateFuncs)
	if err != nil {
		return "", err
	}
	if len(trees) > 1 {
		return "", fmt.Errorf("%s: {{ define }} and {{ block }}: %w", name, ErrTemplateUnsupported)
	}
	tree := trees[name]
	if tree == nil || tree.Root == nil {
		return "", nil
	}
	s := &state{name: name, tree: tree, vars: []variable{{"$", c}}}
	if err := s.walk(c, tree.Root); err != nil {
		return "", err
	}
	return s.out.String(), nil
}

type variable struct {
	name  string
	value any
}

type state struct {
	name string
	tree *parse.Tree
	out  strings.Builder
	vars []variable
}

// errorf makes an error naming the template, the line and column and
// the action, as text/template does.
func (s *state) errorf(n parse.Node, format string, a ...any) error {
	location, context := s.tree.ErrorContext(n)
	return fmt.Errorf("template: %s: executing %q at <%s>: %s", location, s.name, context, fmt.Sprintf(format, a...))
}

func (s *state) walk(dot any, node parse.Node) error {
	switch n := node.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := s.walk(dot, c); err != nil {
				return err
			}
		}
	case *parse.TextNode:
		s.out.Write(n.Text)
	case *parse.CommentNode:
	case *parse.ActionNode:
		v, err := s.pipeline(dot, n.Pipe)
		if err != nil {
			return err
		}
		if len(n.Pipe.Decl) == 0 {
			s.out.WriteString(printValue(v))
		}
	case *parse.IfNode:
		return s.conditional(dot, n.Pipe, n.List, n.ElseList, false)
	case *parse.WithNode:
		return s.conditional(dot, n.Pipe, n.List, n.ElseList, true)
	case *parse.RangeNode:
		return s.walkRange(dot, n)
	case *parse.BreakNode, *parse.ContinueNode:
		return s.errorf(node, "{{ break }} and {{ continue }}: %v", ErrTemplateUnsupported)
	case *parse.TemplateNode:
		return s.errorf(node, "{{ template }}: %v", ErrTemplateUnsupported)
	default:
		return s.errorf(node, "unknown node %T", node)
	}
	return nil
}

func (s *state) conditional(dot any, pipe *parse.PipeNode, list, elseList *parse.ListNode, with bool) error {
	mark := len(s.vars)
	defer func() { s.vars = s.vars[:mark] }()
	v, err := s.pipeline(dot, pipe)
	if err != nil {
		return err
	}
	if truth(v) {
		if with {
			dot = v
		}
		return s.walk(dot, list)
	}
	if elseList != nil {
		return s.walk(dot, elseList)
	}
	return nil
}

func (s *state) walkRange(dot any, n *parse.RangeNode) error {
	mark := len(s.vars)
	defer func() { s.vars = s.vars[:mark] }()
	v, err := s.evalPipe(dot, n.Pipe)
	if err != nil {
		return err
	}
	var items []any
	switch v := v.(type) {
	case Fields:
		for _, f := range v {
			items = append(items, f)
		}
	case int:
		for i := range v {
			items = append(items, i)
		}
	case nil:
	default:
		return s.errorf(n, "range can't iterate over %v", printValue(v))
	}
	if len(items) == 0 {
		if n.ElseList != nil {
			return s.walk(dot, n.ElseList)
		}
		return nil
	}
	for i, item := range items {
		inner := len(s.vars)
		switch len(n.Pipe.Decl) {
		case 1:
			s.vars = append(s.vars, variable{n.Pipe.Decl[0].Ident[0], item})
		case 2:
			s.vars = append(s.vars, variable{n.Pipe.Decl[0].Ident[0], i}, variable{n.Pipe.Decl[1].Ident[0], item})
		}
		if err := s.walk(item, n.List); err != nil {
			return err
		}
		s.vars = s.vars[:inner]
	}
	return nil
}

// pipeline evaluates pipe and declares or assigns its variables.
func (s *state) pipeline(dot any, pipe *parse.PipeNode) (any, error) {
	v, err := s.evalPipe(dot, pipe)
	if err != nil {
		return nil, err
	}
	for _, d := range pipe.Decl {
		if pipe.IsAssign {
			if err := s.setVar(d, d.Ident[0], v); err != nil {
				return nil, err
			}
		} else {
			s.vars = append(s.vars, variable{d.Ident[0], v})
		}
	}
	return v, nil
}

// evalPipe evaluates the commands of pipe, each one's value passed as the
// last argument of the next.
func (s *state) evalPipe(dot any, pipe *parse.PipeNode) (any, error) {
	var v any
	for i, cmd := range pipe.Cmds {
		var final []any
		if i > 0 {
			final = []any{v}
		}
		var err error
		if v, err = s.command(dot, cmd, final); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *state) command(dot any, cmd *parse.CommandNode, final []any) (any, error) {
	first := cmd.Args[0]
	switch n := first.(type) {
	case *parse.IdentifierNode:
		if n.Ident == "and" || n.Ident == "or" {
			return s.andOr(dot, n, cmd.Args[1:], final)
		}
		args, err := s.args(dot, cmd.Args[1:])
		if err != nil {
			return nil, err
		}
		return s.call(n, n.Ident, append(args, final...))
	case *parse.FieldNode:
		args, err := s.args(dot, cmd.Args[1:])
		if err != nil {
			return nil, err
		}
		return s.fieldChain(n, dot, n.Ident, append(args, final...))
	case *parse.ChainNode:
		base, err := s.arg(dot, n.Node)
		if err != nil {
			return nil, err
		}
		args, err := s.args(dot, cmd.Args[1:])
		if err != nil {
			return nil, err
		}
		return s.fieldChain(n, base, n.Field, append(args, final...))
	case *parse.VariableNode:
		v, err := s.lookupVar(n, n.Ident[0])
		if err != nil {
			return nil, err
		}
		if len(n.Ident) == 1 {
			if len(cmd.Args) > 1 || len(final) > 0 {
				return nil, s.errorf(n, "can't give argument to non-function %s", n.Ident[0])
			}
			return v, nil
		}
		args, err := s.args(dot, cmd.Args[1:])
		if err != nil {
			return nil, err
		}
		return s.fieldChain(n, v, n.Ident[1:], append(args, final...))
	}
	if len(cmd.Args) > 1 || len(final) > 0 {
		return nil, s.errorf(first, "can't give argument to non-function %s", first)
	}
	return s.arg(dot, first)
}

// andOr evaluates and / or as text/template does: operands left to right,
// stopping at the first that decides (false for and, true for or).
func (s *state) andOr(dot any, n *parse.IdentifierNode, nodes []parse.Node, final []any) (any, error) {
	if len(nodes)+len(final) == 0 {
		return nil, s.errorf(n, "wrong number of args for %s: want at least 1 got 0", n.Ident)
	}
	var v any
	for i, node := range nodes {
		var err error
		if v, err = s.arg(dot, node); err != nil {
			return nil, err
		}
		last := i == len(nodes)-1 && len(final) == 0
		if !last && truth(v) == (n.Ident == "or") {
			return v, nil
		}
	}
	if len(final) > 0 {
		return final[0], nil
	}
	return v, nil
}

func (s *state) args(dot any, nodes []parse.Node) ([]any, error) {
	out := make([]any, 0, len(nodes))
	for _, n := range nodes {
		v, err := s.arg(dot, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// arg evaluates one operand.
func (s *state) arg(dot any, node parse.Node) (any, error) {
	switch n := node.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.StringNode:
		return n.Text, nil
	case *parse.BoolNode:
		return n.True, nil
	case *parse.NumberNode:
		// The kinds text/template gives untyped constants: a float
		// when written as one (1.0, 1e3), else an int.
		hex := len(n.Text) > 2 && n.Text[0] == '0' && (n.Text[1] == 'x' || n.Text[1] == 'X') && !strings.ContainsAny(n.Text, "pP")
		switch {
		case n.IsComplex:
			return nil, s.errorf(n, "complex number %s: %v", n.Text, ErrTemplateUnsupported)
		case n.IsFloat && !hex && n.Text[0] != '\'' && strings.ContainsAny(n.Text, ".eEpP"):
			return n.Float64, nil
		case n.IsInt:
			return int(n.Int64), nil
		case n.IsFloat:
			return n.Float64, nil
		}
		return nil, s.errorf(n, "number %s: %v", n.Text, ErrTemplateUnsupported)
	case *parse.NilNode:
		return nil, s.errorf(n, "nil is not a command")
	case *parse.FieldNode:
		return s.fieldChain(n, dot, n.Ident, nil)
	case *parse.VariableNode:
		v, err := s.lookupVar(n, n.Ident[0])
		if err != nil || len(n.Ident) == 1 {
			return v, err
		}
		return s.fieldChain(n, v, n.Ident[1:], nil)
	case *parse.ChainNode:
		base, err := s.arg(dot, n.Node)
		if err != nil {
			return nil, err
		}
		return s.fieldChain(n, base, n.Field, nil)
	case *parse.PipeNode:
		mark := len(s.vars)
		defer func() { s.vars = s.vars[:mark] }()
		return s.pipeline(dot, n)
	case *parse.IdentifierNode:
		return s.call(n, n.Ident, nil)
	}
	return nil, s.errorf(node, "can't evaluate %s", node)
}

func (s *state) lookupVar(n parse.Node, name string) (any, error) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value, nil
		}
	}
	return nil, s.errorf(n, "undefined variable: %s", name)
}

func (s *state) setVar(n parse.Node, name string, v any) error {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].value = v
			return nil
		}
	}
	return s.errorf(n, "undefined variable: %s", name)
}

// fieldChain resolves .A.B.C from v; args go to the last element.
func (s *state) fieldChain(n parse.Node, v any, names []string, args []any) (any, error) {
	for i, name := range names {
		var a []any
		if i == len(names)-1 {
			a = args
		}
		var err error
		if v, err = s.field(n, v, name, a); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// field is the documented template context: Context's fields and
// methods, Status's, Fields' Get and Field's Key and Value.
func (s *state) field(n parse.Node, v any, name string, args []any) (any, error) {
	noArgs := func(x any) (any, error) {
		if len(args) > 0 {
			return nil, s.errorf(n, "%s takes no arguments, found %d", name, len(args))
		}
		return x, nil
	}
	switch v := v.(type) {
	case Context:
		switch name {
		case "Repository":
			return noArgs(v.Repository)
		case "Ref":
			return noArgs(v.Ref)
		case "SHA":
			return noArgs(v.SHA)
		case "Actor":
			return noArgs(v.Actor)
		case "RunURL":
			return noArgs(v.RunURL)
		case "Environment":
			return noArgs(v.Environment)
		case "EnvironmentURL":
			return noArgs(v.EnvironmentURL)
		case "Status":
			return noArgs(v.Status)
		case "CommitMessage":
			return noArgs(v.CommitMessage)
		case "CommitURL":
			return noArgs(v.CommitURL)
		case "PullRequest":
			return noArgs(v.PullRequest)
		case "Fields":
			return noArgs(v.Fields)
		case "ShortSHA":
			return noArgs(v.ShortSHA())
		case "CommitTitle":
			return noArgs(v.CommitTitle())
		}
	case Status:
		switch name {
		case "Emoji":
			return noArgs(v.Emoji())
		case "Phrase":
			return noArgs(v.Phrase())
		}
	case Fields:
		if name == "Get" {
			if len(args) != 1 {
				return nil, s.errorf(n, "wrong number of args for Get: want 1 got %d", len(args))
			}
			key, ok := args[0].(string)
			if !ok {
				return nil, s.errorf(n, "Get: the key must be a string, found %s", printValue(args[0]))
			}
			return v.Get(key), nil
		}
	case Field:
		switch name {
		case "Key":
			return noArgs(v.Key)
		case "Value":
			return noArgs(v.Value)
		}
	case nil:
		return nil, s.errorf(n, "nil pointer evaluating .%s", name)
	}
	return nil, s.errorf(n, "can't evaluate field %s in type %s", name, typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case Context:
		return "notify.Context"
	case Status:
		return "notify.Status"
	case Fields:
		return "notify.Fields"
	case Field:
		return "notify.Field"
	}
	return fmt.Sprintf("%T", v)
}

// call runs a builtin.
func (s *state) call(n parse.Node, name string, args []any) (any, error) {
	want := func(k int) error {
		if len(args) != k {
			return s.errorf(n, "wrong number of args for %s: want %d got %d", name, k, len(args))
		}
		return nil
	}
	switch name {
	case "and", "or":
		return nil, s.errorf(n, "%s needs arguments", name)
	case "not":
		if err := want(1); err != nil {
			return nil, err
		}
		return !truth(args[0]), nil
	case "len":
		if err := want(1); err != nil {
			return nil, err
		}
		switch a := args[0].(type) {
		case string:
			return len(a), nil
		case Status:
			return len(a), nil
		case Fields:
			return len(a), nil
		}
		return nil, s.errorf(n, "error calling len: len of type %s", typeName(args[0]))
	case "index":
		if len(args) < 1 {
			return nil, s.errorf(n, "wrong number of args for index: want at least 1 got 0")
		}
		v := args[0]
		for _, ix := range args[1:] {
			i, ok := ix.(int)
			f, isFields := v.(Fields)
			if !ok || !isFields {
				return nil, s.errorf(n, "error calling index: can't index item of type %s", typeName(v))
			}
			if i < 0 || i >= len(f) {
				return nil, s.errorf(n, "error calling index: index out of range: %d", i)
			}
			v = f[i]
		}
		return v, nil
	case "eq", "ne", "lt", "le", "gt", "ge":
		return s.compare(n, name, args)
	case "print":
		return fmt.Sprint(args...), nil
	case "println":
		return fmt.Sprintln(args...), nil
	case "printf":
		if len(args) == 0 {
			return nil, s.errorf(n, "wrong number of args for printf: want at least 1 got 0")
		}
		format, ok := args[0].(string)
		if !ok {
			return nil, s.errorf(n, "printf: the format must be a string")
		}
		return fmt.Sprintf(format, args[1:]...), nil
	}
	return nil, s.errorf(n, "function %q: %v", name, ErrTemplateUnsupported)
}

// compare implements eq (with several right-hand operands), ne, lt, le,
// gt, ge over strings, integers and booleans of the same kind.
func (s *state) compare(n parse.Node, name string, args []any) (any, error) {
	if name == "eq" && len(args) < 2 || name != "eq" && len(args) != 2 {
		return nil, s.errorf(n, "wrong number of args for %s: want 2 got %d", name, len(args))
	}
	key := func(v any) (kind string, str string, num int, ok bool) {
		switch v := v.(type) {
		case string:
			return "string", v, 0, true
		case Status:
			return "string", string(v), 0, true
		case int:
			return "int", "", v, true
		case float64:
			return "float", strconv.FormatFloat(v, 'g', -1, 64), 0, true
		case bool:
			if v {
				return "bool", "", 1, true
			}
			return "bool", "", 0, true
		}
		return "", "", 0, false
	}
	ak, as, an, ok := key(args[0])
	if !ok {
		return nil, s.errorf(n, "error calling %s: incompatible types for comparison", name)
	}
	cmp := func(b any) (int, error) {
		bk, bs, bn, ok := key(b)
		if !ok || bk != ak {
			return 0, s.errorf(n, "error calling %s: incompatible types for comparison", name)
		}
		if ak == "bool" && name != "eq" && name != "ne" {
			return 0, s.errorf(n, "error calling %s: invalid type for comparison", name)
		}
		switch ak {
		case "string":
			return strings.Compare(as, bs), nil
		case "float":
			x, _ := strconv.ParseFloat(as, 64)
			y, _ := strconv.ParseFloat(bs, 64)
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			case x == y:
				return 0, nil
			}
			return 2, nil // NaN: unordered, unequal
		}
		return an - bn, nil
	}
	if name == "eq" {
		for _, b := range args[1:] {
			c, err := cmp(b)
			if err != nil {
				return nil, err
			}
			if c == 0 {
				return true, nil
			}
		}
		return false, nil
	}
	c, err := cmp(args[1])
	if err != nil {
		return nil, err
	}
	switch name {
	case "ne":
		return c != 0, nil
	case "lt":
		return c < 0, nil
	case "le":
		return c <= 0, nil
	case "gt":
		return c > 0, nil
	}
	return c >= 0, nil
}

// truth is text/template's: the zero value of each type is false.
func truth(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case Status:
		return v != ""
	case int:
		return v != 0
	case float64:
		return v != 0
	case bool:
		return v
	case Fields:
		return len(v) > 0
	}
	return true
}

// printValue is how an action prints its value, as text/template does.
func printValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "<no value>"
	case string:
		return v
	case Status:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}
