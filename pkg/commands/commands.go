package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"text/tabwriter"

	"github.com/ferry-ci/ferry/pkg/action"
)

// Command is one ferry subcommand: its declaration and what it does.
type Command struct {
	Spec action.Spec
	Run  func(ctx context.Context, rt *action.Runtime, b Build) error
}

// Build describes the binary that runs.
type Build struct {
	Version string
}

// All returns every action, in the order `ferry --help` lists them.
func All() []Command {
	return []Command{
		buildPushECR(),
		deployCloudFormation(),
		deployECS(),
		notifyCommand(),
		redirectTraffic(),
		syncS3CloudFront(),
		whoami(),
	}
}

// Specs returns the declaration of every action.
func Specs() []action.Spec {
	var specs []action.Spec
	for _, c := range All() {
		specs = append(specs, c.Spec)
	}
	return specs
}

// Run runs the ferry command line: args are the arguments after the program
// name. It returns the exit code.
func Run(ctx context.Context, p action.Process, b Build) int {
	if b.Version == "" {
		b.Version = moduleVersion()
	}
	if len(p.Args) == 0 {
		usage(p.Stderr)
		return action.ExitUsage
	}
	name, rest := p.Args[0], p.Args[1:]
	switch name {
	case "-h", "--help", "help":
		usage(p.Stdout)
		return action.ExitOK
	case "version", "--version":
		fmt.Fprintf(p.Stdout, "ferry %s\n", b.Version)
		return action.ExitOK
	}
	all := All()
	i := slices.IndexFunc(all, func(c Command) bool { return c.Spec.Name == name })
	if i < 0 {
		fmt.Fprintf(p.Stderr, "ferry: unknown command %q: expected one of %s\n\n", name, commandNames(all))
		usage(p.Stderr)
		return action.ExitUsage
	}
	cmd := all[i]
	p.Args = rest
	rt, err := action.New(cmd.Spec, p)
	if errors.Is(err, action.ErrHelp) {
		return action.ExitOK
	}
	if err != nil {
		fmt.Fprintf(p.Stderr, "ferry %s: %v\n", name, err)
		return action.ExitFailure
	}
	return rt.Finish(ctx, cmd.Run(ctx, rt, b))
}

func commandNames(all []Command) string {
	var names []string
	for _, c := range all {
		names = append(names, c.Spec.Name)
	}
	return fmt.Sprintf("%q", names)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `ferry ships containerised apps to AWS from GitHub Actions, GitLab CI and the command line.

Usage: ferry <command> [--input value ...] [--output text|json]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range All() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Spec.Name, c.Spec.Description)
	}
	fmt.Fprintf(tw, "  version\tPrint ferry's version.\n")
	_ = tw.Flush()
	fmt.Fprint(w, `
Run 'ferry <command> --help' for a command's inputs. On GitHub Actions inputs
come from INPUT_<NAME>; elsewhere from --name flags or FERRY_<NAME> variables.
`)
}

// moduleVersion is the version the Go toolchain stamped, for binaries built
// without -X main.version (go install, go run).
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
