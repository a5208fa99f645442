package commands_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
)

// TestHugeValueBounded: a bad value of 10,000 lines (about 89 KB), or one
// line of 120 KB (near the kernel's limit for one argument), is refused
// with a bounded log: a value is quoted by its first 100 characters and
// its size, a problem is cut at 1000 characters, and an input lists at
// most 10 problems, then how many more. Quoted in full, these runs wrote
// up to 1.3 MB each.
func TestHugeValueBounded(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := range 10000 {
		lines = append(lines, "line"+strings.Repeat("x", i%7)+"-"+string(rune('a'+i%26)))
	}
	big := strings.Join(lines, "\n")
	long := strings.Repeat("a", 120_000)
	dir := t.TempDir()
	tests := []struct {
		action, input, value string
		env                  bool // pass it as FERRY_<NAME>
		want                 string
	}{
		{action: "redirect-traffic", input: "timeout", value: big, want: `… (` + strconv.Itoa(len(big)) + ` bytes) (from --timeout)`},
		{action: "redirect-traffic", input: "listener-arn", value: big, want: `input "listener-arn": expected the problems above fixed first (10 are listed), found 9990 more`},
		{action: "redirect-traffic", input: "steps", value: strings.ReplaceAll(big, "line", "1"), want: `"… (`},
		{action: "sync-s3-cloudfront", input: "cache-control", value: big, want: "found 9990 more"},
		{action: "sync-s3-cloudfront", input: "bucket", value: long, env: true, want: `… (cut: `},
		{action: "deploy-ecs", input: "secrets", value: big, want: "found 9990 more"},
		{action: "deploy-ecs", input: "max-failed-tasks", value: long, env: true, want: `"… (120000 bytes) (from FERRY_MAX_FAILED_TASKS)`},
		{action: "build-push-ecr", input: "source-image", value: long, env: true, want: `"… (120000 bytes) (image reference`},
		{action: "notify", input: "telegram-chat-id", value: big, want: `"… (` + strconv.Itoa(len(big)) + ` bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.action+"/"+tt.input, func(t *testing.T) {
			t.Parallel()
			with := validInputs(tt.action, dir)
			env := staticKeys()
			if tt.input == "source-image" || tt.input == "steps" {
				delete(with, "oci-layout")
				delete(with, "preset")
			}
			if tt.action == "notify" {
				with["telegram-bot-token"] = telegramToken
			}
			if tt.env {
				delete(with, tt.input)
				env["FERRY_"+strings.ToUpper(strings.ReplaceAll(tt.input, "-", "_"))] = tt.value
			} else {
				with[tt.input] = tt.value
			}
			args := []string{tt.action}
			for _, k := range slices.Sorted(maps.Keys(with)) {
				args = append(args, "--"+k, with[k])
			}
			res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: args, Env: env})
			if res.Code != 2 {
				t.Errorf("exit code: want 2, have %d", res.Code)
			}
			if n := len(res.Stderr); n > 16<<10 {
				t.Errorf("stderr: want at most 16 KiB, have %d bytes:\n%.2000s", n, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%.3000s", tt.want, res.Stderr)
			}
			t.Logf("%d bytes of stderr", len(res.Stderr))
		})
	}
}
