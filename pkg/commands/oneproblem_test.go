package commands_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/commands"
)

// validInputs are inputs each action accepts as they are (no AWS call is
// made: every run below has one bad value, refused before anything runs).
func validInputs(action, dir string) map[string]string {
	aws := map[string]string{"aws-region": "us-east-1", "aws-endpoint-url": "http://127.0.0.1:1"}
	switch action {
	case "build-push-ecr":
		return pairs(aws, "repository", "app/web", "oci-layout", dir, "tags", "x", "registry-endpoint", "127.0.0.1:1")
	case "deploy-cloudformation":
		return pairs(aws, "stack-name", "app", "mode", "execute", "change-set-name", "ferry-1")
	case "deploy-ecs":
		return pairs(aws, "cluster", "prod", "service", "web")
	case "redirect-traffic":
		return pairs(aws, "listener-arn", listenerARN, "blue-target-group", "blue", "green-target-group", "green", "preset", "green")
	case "sync-s3-cloudfront":
		return pairs(aws, "source", dir, "bucket", "ferry-bad-input")
	case "notify":
		return map[string]string{"webhook-url": "http://127.0.0.1:1/hook", "status": "success"}
	default:
		return aws
	}
}

// typed reports whether an input's value is parsed as more than text: a
// value of another shape fails in the runtime, before the action looks.
func typed(in action.Input) bool {
	switch in.Kind {
	case action.Bool, action.Int, action.Duration, action.Map:
		return true
	}
	return len(in.Options) > 0
}

// TestOneProblemPerBadValue gives every typed input of every action a
// value it cannot parse (a word, or only whitespace), and nothing else
// wrong: the run exits 2 with
// exactly one problem, naming that input and the value found. The action's
// and the domain's own checks do not look at a value that failed to parse
// (they would see its zero value: found "", found 0, not both 0).
func TestOneProblemPerBadValue(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range commands.All() {
		for _, in := range c.Spec.Inputs {
			if !typed(in) {
				continue
			}
			// "abc" parses as no typed kind; " " is not unset for a bool,
			// number, duration or options input (it would fall back to
			// the default).
			bads := []string{"abc", " "}
			if in.Kind == action.Map {
				bads = bads[:1] // a blank map is an unset one, as a blank list
			}
			for _, bad := range bads {
				t.Run(c.Spec.Name+"/"+in.Name+"="+strconv.Quote(bad), func(t *testing.T) {
					t.Parallel()
					with := validInputs(c.Spec.Name, dir)
					if in.Name == "blue-weight" || in.Name == "green-weight" {
						delete(with, "preset")
						with["blue-weight"], with["green-weight"] = "3", "3"
					}
					with[in.Name] = bad
					found := "found " + strconv.Quote(bad)
					if in.Secret {
						found = "found a secret value (not shown)"
					}
					args := []string{c.Spec.Name}
					for _, k := range slices.Sorted(maps.Keys(with)) {
						args = append(args, "--"+k, with[k])
					}
					res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: args, Env: staticKeys()})
					if res.Code != 2 {
						t.Errorf("exit code: want 2, have %d\n%s", res.Code, res.Stderr)
					}
					have := problemLines(res.Stderr)
					if len(have) != 1 || !strings.HasPrefix(have[0], `input "`+in.Name+`": expected `) || !strings.Contains(have[0], found) {
						t.Errorf("want one problem, input %q: expected …, %s; have %d:\n\t%s", in.Name, found, len(have), strings.Join(have, "\n\t"))
					}
				})
			}
		}
	}
}
