package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// snake is the one spelling of a log key: ferry's log lines are read by
// people and by log queries, and a query for exit_code must not miss a line
// that said exit-code. (Inputs and outputs are kebab-case; log keys are not
// input names.)
var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestLogKeysAreSnakeCase reads every non-test Go file under cmd/, pkg/ and
// internal/ and checks the literal keys of slog calls (Info, Warn, Error,
// Debug and their Context forms, on a logger or the slog package).
func TestLogKeysAreSnakeCase(t *testing.T) {
	root := moduleRoot(t)
	calls := 0
	for _, dir := range []string{"cmd", "pkg", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "http" {
					return true // http.Error(w, text, code)
				}
				first := 1 // after the message
				switch sel.Sel.Name {
				case "Info", "Warn", "Error", "Debug":
				case "InfoContext", "WarnContext", "ErrorContext", "DebugContext":
					first = 2
				default:
					return true
				}
				if len(call.Args) <= first {
					return true
				}
				calls++
				for i := first; i < len(call.Args); i += 2 {
					lit, ok := call.Args[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					key, _ := strconv.Unquote(lit.Value)
					if !snake.MatchString(key) {
						rel, _ := filepath.Rel(root, path)
						t.Errorf("%s:%d: log key %q: want snake_case, as the other log keys", rel, fset.Position(lit.Pos()).Line, key)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls == 0 {
		t.Fatal("no log call with keys was found")
	}
}
