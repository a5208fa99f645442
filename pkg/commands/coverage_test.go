package commands_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/ferry-ci/ferry/pkg/commands"
)

// notApplicable names the (table, action) pairs where a hardening table
// truly cannot apply, each with the reason. Anything else every declared
// action must have: see CONTRIBUTING.md, "Adding an action".
var notApplicable = map[string]map[string]string{
	"least-privilege": {
		"notify": "it makes no AWS call: its README's IAM policy is \"None\"; the bad-input table checks it sends nothing on a refusal",
	},
	"chaos": {
		"notify": "it makes no AWS or registry call, and the chaos table's faults are AWS and registry faults; its providers' failures and retries are TestNotifyFailSoft and TestNotifyRetryAfterBoundedByTimeout (notify_test.go)",
	},
}

// TestEveryActionIsHardened fails when a declared action (commands.Specs)
// has no run in one of the hardening tables: least privilege (scenarios(),
// whose calls TestScenarios compares with the README's IAM policy, or
// noPolicy), bad input (badInputs()), SIGTERM (sigtermScenarios() and
// sigtermOthers()) and chaos (the scenarios marked chaos). A new action's
// IAM policy would otherwise go unchecked.
func TestEveryActionIsHardened(t *testing.T) {
	t.Parallel()
	have := map[string]map[string]int{"least-privilege": {}, "bad-input": {}, "SIGTERM": {}, "chaos": {}}
	for _, s := range scenarios() {
		have["least-privilege"][s.action]++
		if s.chaos {
			have["chaos"][s.action]++
		}
	}
	for _, b := range badInputs() {
		have["bad-input"][b.action]++
	}
	for _, s := range sigtermScenarios() {
		have["SIGTERM"][s.action]++
	}
	for _, o := range sigtermOthers() {
		have["SIGTERM"][o.action]++
	}
	var declared []string
	for _, s := range commands.Specs() {
		declared = append(declared, s.Name)
	}
	tables := []string{"least-privilege", "bad-input", "SIGTERM", "chaos"}
	for _, table := range tables {
		for _, action := range declared {
			n, reason := have[table][action], notApplicable[table][action]
			switch {
			case n == 0 && reason == "":
				t.Errorf("%s has no %s run: add one (see CONTRIBUTING.md, \"Adding an action\")", action, table)
			case n > 0 && reason != "":
				t.Errorf("%s has %d %s runs but is listed as not applicable (%s): drop it from notApplicable", action, n, table, reason)
			}
		}
		for action := range have[table] {
			if !slices.Contains(declared, action) {
				t.Errorf("the %s table has runs of %q, which is no declared action", table, action)
			}
		}
	}
	for table, actions := range notApplicable {
		for action := range actions {
			if !slices.Contains(declared, action) || !slices.Contains(tables, table) {
				t.Errorf("notApplicable names %s/%s, which is no declared action or table", table, action)
			}
		}
	}
	for action := range noPolicy {
		if !slices.Contains(declared, action) {
			t.Errorf("noPolicy names %q, which is no declared action", action)
		}
	}
	if testing.Verbose() {
		sort.Strings(declared)
		for _, a := range declared {
			t.Logf("%-20s least-privilege %d, bad-input %d, SIGTERM %d, chaos %d", a, have["least-privilege"][a], have["bad-input"][a], have["SIGTERM"][a], have["chaos"][a])
		}
	}
}
