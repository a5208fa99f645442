// Package actiontest runs the ferry binary the way each platform runs it:
// [RunGitHub] reads an action.yml and does what the GitHub runner does for a
// container action (input defaults, INPUT_* variables, file commands, args);
// [Run] runs a plain command line (GitLab CI jobs and the CLI). Every action's
// tests use it, so what is tested is the contract users get.
package actiontest
