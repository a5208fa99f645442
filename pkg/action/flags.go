package action

import (
	"fmt"
	"regexp"
	"strings"
)

// parsedArgs is what a command line says: input values given as flags, the
// runtime's own flags, and every problem with them. The standard flag package
// stops at the first problem; ferry reports all of them at once, so it parses
// the small grammar it accepts itself: --name value, --name=value, and a bare
// --name for a bool input.
type parsedArgs struct {
	values   map[string]string
	output   string // "", "text" or "json"
	help     bool
	problems []error
}

func parseArgs(spec Spec, args []string) parsedArgs {
	pa := parsedArgs{values: map[string]string{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "-h" || arg == "--help" || arg == "-help" {
			pa.help = true
			continue
		}
		if !strings.HasPrefix(arg, "--") || arg == "--" {
			pa.problems = append(pa.problems, fmt.Errorf("unexpected argument %s: expected flags of the form --name value (ferry %s --help lists them)", Quote(arg), spec.Name))
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if name == "output" {
			if !hasValue {
				if i+1 >= len(args) {
					pa.problems = append(pa.problems, fmt.Errorf("flag --output: expected text or json, found nothing"))
					continue
				}
				i++
				value = args[i]
			}
			if value != "text" && value != "json" {
				pa.problems = append(pa.problems, fmt.Errorf("flag --output: expected text or json, found %s", Quote(value)))
				continue
			}
			pa.output = value
			continue
		}
		in, ok := spec.Input(name)
		if !ok {
			pa.problems = append(pa.problems, fmt.Errorf("unknown flag %s: expected the name of an input of %s (ferry %s --help lists them), found %s", Quote("--"+name), spec.Name, spec.Name, Quote(name)))
			if !hasValue && i+1 < len(args) && !looksLikeFlag(args[i+1]) {
				i++ // skip its value so it is not reported as a stray argument too
			}
			continue
		}
		if !hasValue {
			switch {
			case in.Kind == Bool && (i+1 >= len(args) || looksLikeFlag(args[i+1])):
				value = "true" // a bare --flag; "--flag false" and "--flag=false" also work
			case i+1 < len(args) && !looksLikeFlag(args[i+1]):
				i++
				value = args[i]
			default:
				found := "the end of the command line"
				if i+1 < len(args) {
					found = "the flag " + Quote(args[i+1])
				}
				pa.problems = append(pa.problems, &Problem{Input: name, Expected: "a value after --" + name, Found: found})
				continue
			}
		}
		if prev, again := pa.values[name]; again {
			if in.Kind != List && in.Kind != Map && in.Kind != Lines {
				again := "it again with " + Quote(value)
				if in.Secret {
					again = "it again (a secret value, not shown)"
				}
				pa.problems = append(pa.problems, &Problem{Input: name, Expected: "--" + name + " once", Found: again})
				continue
			}
			value = prev + "\n" + value // repeated list and map flags add items
		}
		pa.values[name] = value
	}
	return pa
}

var flagShape = regexp.MustCompile(`^(--[a-z][a-z0-9-]*(=|$)|-h$)`)

// looksLikeFlag tells a following flag from a value that merely starts with
// dashes, such as a PEM block.
func looksLikeFlag(arg string) bool { return flagShape.MatchString(arg) }

// EnvName is the environment variable that carries an input on GitLab and the
// command line: FERRY_ and the name upper-cased, hyphens as underscores.
func EnvName(input string) string {
	return "FERRY_" + strings.ToUpper(strings.ReplaceAll(input, "-", "_"))
}

// GitHubEnvName is the variable the GitHub runner sets for a container
// action's input: INPUT_ and the name upper-cased, hyphens kept.
func GitHubEnvName(input string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(input, " ", "_"))
}
