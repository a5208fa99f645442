package action

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// Process is what the runtime reads from and writes to: the command line
// (after the subcommand), the environment, the standard streams and the
// working directory. main passes the real ones; tests build their own.
type Process struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	Dir    string // working directory; "" means the process's own
}

// ErrHelp is returned by [New] after it printed the help asked for with --help.
var ErrHelp = errors.New("help requested")

// Runtime is one run of one action on one platform.
type Runtime struct {
	spec     Spec
	platform Platform
	getenv   func(string) string
	stdout   io.Writer
	log      *redactor
	logger   *slog.Logger
	gha      *githubactions.Action // GitHub workflow commands, through the redactor
	mask     *githubactions.Action // ::add-mask:: only, past the redactor
	values   *Values
	output   string     // "", "text", "json"
	outMu    sync.Mutex // guards outputs and the files they are written to
	outputs  []kv
	base     string
	runCtx   runContextOnce
}

type kv struct {
	name, value string
	extra       bool // set by SetExtraOutput: undeclared, written as named
	noDotenv    bool // an extra output left out of the GitLab dotenv report
}

// New parses the command line and the environment for spec. Problems with the
// inputs do not fail New: they are in [Runtime.Inputs] so the action can add
// its own before reporting everything at once. New returns ErrHelp after
// printing help when --help was given.
func New(spec Spec, p Process) (*Runtime, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if p.Stdout == nil {
		p.Stdout = io.Discard
	}
	if p.Stderr == nil {
		p.Stderr = io.Discard
	}
	getenv := p.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	dir := p.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	platform := Detect(getenv)
	log := newRedactor(p.Stderr)
	rt := &Runtime{
		spec:     spec,
		platform: platform,
		getenv:   getenv,
		stdout:   p.Stdout,
		log:      log,
		base:     workspace(platform, getenv, dir),
	}
	rt.gha = githubactions.New(githubactions.WithWriter(log), githubactions.WithGetenv(getenv))
	rt.mask = githubactions.New(githubactions.WithWriter(rawWriter{log}), githubactions.WithGetenv(getenv))
	rt.logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{
		Level: logLevel(getenv),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // CI logs carry their own timestamps
			}
			return a
		},
	}))

	args := parseArgs(spec, p.Args)
	if args.help {
		_ = rt.WriteHelp(p.Stdout)
		return nil, ErrHelp
	}
	rt.output = args.output
	rt.values = &Values{
		spec:     spec,
		raw:      map[string]string{},
		source:   map[string]string{},
		parsed:   map[string]any{},
		problems: args.problems,
		failed:   map[string]bool{},
		reported: map[string]bool{},
		base:     rt.base,
	}
	for _, in := range spec.Inputs {
		text, source := rt.rawInput(in, args.values)
		if in.Secret && text != "" {
			rt.Mask(text)
		}
		if text != "" {
			rt.values.raw[in.Name], rt.values.source[in.Name] = text, source
		}
	}
	rt.values.resolve()
	return rt, nil
}

// rawInput finds an input's text: a flag, then INPUT_<NAME> on GitHub, then
// FERRY_<NAME>, then the default. Empty counts as unset, as on the runner;
// so does text of only whitespace, except for an input parsed as a bool, a
// number, a duration or one of a set of options (see [setBy]).
func (rt *Runtime) rawInput(in Input, flags map[string]string) (text, source string) {
	if v, ok := flags[in.Name]; ok {
		if v, ok := setBy(in, v, false); ok {
			return v, "--" + in.Name
		}
	}
	if rt.platform == GitHub {
		if v, ok := setBy(in, rt.getenv(GitHubEnvName(in.Name)), true); ok {
			return v, GitHubEnvName(in.Name)
		}
	}
	if v, ok := setBy(in, rt.getenv(EnvName(in.Name)), true); ok {
		return v, EnvName(in.Name)
	}
	if in.Default != "" {
		return in.Default, "default"
	}
	return "", ""
}

// setBy reports whether text sets the input, and the text to parse
// (trimmed when trim is true and there is more than whitespace). Empty text
// never sets an input: the GitHub runner passes an input left out, or an
// expression that came out empty, as "". Text of only whitespace (a YAML
// ' ', a variable holding a newline) leaves a text input unset, as a blank
// list or name means nothing; for a typed input it is a value, refused as
// not true/false, a number, a duration or one of the options: taking it as
// unset would apply the default (dry-run: ' ' would then write).
func setBy(in Input, text string, trim bool) (string, bool) {
	switch {
	case text == "":
		return "", false
	case strings.TrimSpace(text) != "":
		if trim {
			text = strings.TrimSpace(text)
		}
		return text, true
	}
	switch in.Kind {
	case Bool, Int, Duration:
		return text, true
	}
	return text, len(in.Options) > 0
}

func logLevel(getenv func(string) string) slog.Level {
	if getenv("RUNNER_DEBUG") == "1" || getenv("CI_DEBUG_TRACE") == "true" || getenv("FERRY_DEBUG") == "true" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// Spec is the declaration this runtime was built from.
func (rt *Runtime) Spec() Spec { return rt.spec }

// Platform is where this run happens.
func (rt *Runtime) Platform() Platform { return rt.platform }

// Inputs are the parsed inputs and the problems found so far.
func (rt *Runtime) Inputs() *Values { return rt.values }

// Workspace is the directory relative paths resolve against:
// GITHUB_WORKSPACE, CI_PROJECT_DIR or the working directory.
func (rt *Runtime) Workspace() string { return rt.base }

// Getenv reads the environment the runtime was given.
func (rt *Runtime) Getenv(key string) string { return rt.getenv(key) }

// Logger writes to stderr with every secret redacted.
func (rt *Runtime) Logger() *slog.Logger { return rt.logger }

// Log is stderr with every secret redacted, for output that is not a log record.
func (rt *Runtime) Log() io.Writer { return rt.log }

// Mask registers a secret found at run time (a token, a password): it is
// masked by the GitHub runner and replaced by "***" in everything ferry
// writes to the log, on every platform.
func (rt *Runtime) Mask(secret string) {
	for _, s := range rt.log.add(secret) {
		if rt.platform == GitHub {
			rt.mask.AddMask(s)
		}
	}
}

// Warn reports something that went wrong without failing the run: a
// ::warning:: annotation on GitHub, a WARN log record elsewhere. Secrets
// are redacted.
func (rt *Runtime) Warn(msg string) {
	if rt.platform == GitHub {
		rt.gha.Warningf("%s", rt.Redact(msg))
		return
	}
	rt.logger.Warn(rt.Redact(msg))
}

// Redact replaces every registered secret in s.
func (rt *Runtime) Redact(s string) string { return rt.log.redact(s) }

// Group starts a collapsible section of the log; call the returned function to end it.
func (rt *Runtime) Group(title string) (end func()) {
	title = rt.Redact(title)
	switch rt.platform {
	case GitHub:
		rt.gha.Group(title)
		return rt.gha.EndGroup
	case GitLab:
		name := sectionName(title)
		fmt.Fprintf(rt.log, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", time.Now().Unix(), name, title)
		return func() { fmt.Fprintf(rt.log, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", time.Now().Unix(), name) }
	default:
		fmt.Fprintf(rt.log, "== %s\n", title)
		return func() {}
	}
}

var notSectionChar = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

func sectionName(title string) string {
	return "ferry_" + strings.Trim(notSectionChar.ReplaceAllString(strings.ToLower(title), "_"), "_")
}

// SetOutput records an output. On GitHub it is appended to $GITHUB_OUTPUT at
// once and on GitLab the dotenv file is rewritten, so outputs set before a
// failure are not lost; on the command line they are printed when the run
// finishes.
func (rt *Runtime) SetOutput(name, value string) error {
	if _, ok := rt.spec.Output(name); !ok {
		return fmt.Errorf("action %q has no output %q", rt.spec.Name, name)
	}
	rt.outMu.Lock()
	defer rt.outMu.Unlock()
	if o, _ := rt.spec.Output(name); rt.platform == GitLab && o.File == "" && strings.ContainsAny(value, "\r\n") {
		rt.logger.Warn("GitLab dotenv reports cannot hold line breaks; written as \\n", "output", name)
	}
	if i := slices.IndexFunc(rt.outputs, func(o kv) bool { return o.name == name }); i >= 0 {
		rt.outputs[i].value = value
	} else {
		rt.outputs = append(rt.outputs, kv{name: name, value: value})
	}
	switch rt.platform {
	case GitHub:
		return rt.appendGitHubOutput(name, value)
	case GitLab:
		if o, _ := rt.spec.Output(name); o.File != "" {
			return rt.writeOutputFile(o.File, value)
		}
		return rt.writeDotenv()
	}
	return nil
}

// Limits of GitLab's dotenv reports: GitLab refuses a whole report past
// either (https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv).
const (
	DotenvMaxBytes     = 5 << 10
	DotenvMaxVariables = 20
)

// ErrDotenvFull: an extra output was left out of the GitLab dotenv report,
// which it would have pushed past [DotenvMaxBytes] or [DotenvMaxVariables].
var ErrDotenvFull = errors.New("the GitLab dotenv report is full")

var extraOutputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// SetExtraOutput records an output the Spec does not declare, whose name
// comes from elsewhere (e.g. a CloudFormation stack's outputs), kept as it
// is: on GitLab too, the dotenv variable is the name unchanged. A name
// that is a declared output's, compared without case (GitHub's expressions
// ignore case), or that is not a word of letters, digits, _ and - is
// refused. On GitLab an output that would push the dotenv report past its
// limits is left out of it, and the error wraps [ErrDotenvFull]; it is
// still among [Runtime.Outputs].
func (rt *Runtime) SetExtraOutput(name, value string) error {
	if !extraOutputName.MatchString(name) {
		return fmt.Errorf("output %q: not a name of letters, digits, _ and -", name)
	}
	for _, o := range rt.spec.Outputs {
		if strings.EqualFold(o.Name, name) {
			return fmt.Errorf("output %q: action %q has an output of that name", name, rt.spec.Name)
		}
	}
	rt.outMu.Lock()
	defer rt.outMu.Unlock()
	o := kv{name: name, value: value, extra: true}
	i := slices.IndexFunc(rt.outputs, func(o kv) bool { return o.name == name })
	if i < 0 {
		rt.outputs = append(rt.outputs, o)
		i = len(rt.outputs) - 1
	} else {
		rt.outputs[i] = o
	}
	switch rt.platform {
	case GitHub:
		return rt.appendGitHubOutput(name, value)
	case GitLab:
		if size, n := rt.dotenvSize(); size > DotenvMaxBytes || n > DotenvMaxVariables {
			rt.outputs[i].noDotenv = true
			return fmt.Errorf("output %q (%d bytes) left out of the dotenv report: %w (at most %d bytes and %d variables)", name, len(value), ErrDotenvFull, DotenvMaxBytes, DotenvMaxVariables)
		}
		return rt.writeDotenv()
	}
	return nil
}

// dotenvSize is the size and the number of variables of the dotenv report
// with the outputs so far.
func (rt *Runtime) dotenvSize() (int, int) {
	b, n := rt.dotenv()
	return len(b), n
}

// writeOutputFile writes an output that stays out of the dotenv report to
// its own file (see [Output.File]).
func (rt *Runtime) writeOutputFile(name, value string) error {
	path := filepath.Join(rt.base, name)
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("writing output file %q: %w", path, err)
	}
	return nil
}

// SetOutputs sets outputs in order, given as name/value pairs, and stops at
// the first error.
func (rt *Runtime) SetOutputs(outputs ...[2]string) error {
	for _, o := range outputs {
		if err := rt.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// Outputs returns the outputs set so far, by name.
func (rt *Runtime) Outputs() map[string]string {
	rt.outMu.Lock()
	defer rt.outMu.Unlock()
	out := make(map[string]string, len(rt.outputs))
	for _, o := range rt.outputs {
		out[o.name] = o.value
	}
	return out
}

// appendGitHubOutput writes name<<DELIM / value / DELIM with a random
// delimiter, as the runner's toolkit does. go-githubactions' SetOutput uses a
// fixed delimiter, so a value containing it could end the value early and
// inject other outputs; it also panics when the file cannot be written.
func (rt *Runtime) appendGitHubOutput(name, value string) error {
	path := rt.getenv("GITHUB_OUTPUT")
	if path == "" {
		return errors.New("setting output: GITHUB_OUTPUT is not set (is this a GitHub Actions step?)")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	delim := "ghadelimiter_" + hex.EncodeToString(b[:])
	if strings.Contains(name, delim) || strings.Contains(value, delim) {
		return fmt.Errorf("setting output %q: value contains the delimiter", name)
	}
	return appendFile(path, fmt.Sprintf("%s<<%s\n%s\n%s\n", name, delim, value, delim))
}

// DotenvName is the variable an output becomes in the GitLab dotenv report:
// FERRY_OUTPUT_PREFIX (default none) then the name upper-cased with hyphens
// as underscores, e.g. user-id → USER_ID.
func DotenvName(prefix, output string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(output, "-", "_"))
}

// writeDotenv rewrites the dotenv file with every output so far. GitLab's
// dotenv reports take one KEY=value per line and no quoting or escapes, so a
// value with line breaks is written with each break as the two characters \n
// (and a warning is logged).
func (rt *Runtime) writeDotenv() error {
	path := rt.getenv("FERRY_DOTENV")
	if path == "" {
		path = "ferry.env"
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(rt.base, path)
	}
	b, _ := rt.dotenv()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b), 0o644); err != nil {
		return fmt.Errorf("writing dotenv file %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing dotenv file %q: %w", path, err)
	}
	return nil
}

// dotenv renders the dotenv report of the outputs so far and counts its
// variables.
func (rt *Runtime) dotenv() (string, int) {
	prefix := rt.getenv("FERRY_OUTPUT_PREFIX")
	var b strings.Builder
	n := 0
	for _, o := range rt.outputs {
		if out, _ := rt.spec.Output(o.name); !o.extra && out.File != "" || o.noDotenv {
			continue
		}
		v := strings.ReplaceAll(o.value, "\r\n", "\n")
		v = strings.ReplaceAll(v, "\n", `\n`)
		name := o.name
		if !o.extra {
			name = DotenvName(prefix, o.name)
		}
		fmt.Fprintf(&b, "%s=%s\n", name, v)
		n++
	}
	return b.String(), n
}

// Summary appends markdown to the step summary: $GITHUB_STEP_SUMMARY on
// GitHub, the file named by FERRY_SUMMARY elsewhere (nothing when unset).
// Secrets are redacted from it too.
func (rt *Runtime) Summary(markdown string) error {
	path := rt.getenv("FERRY_SUMMARY")
	if rt.platform == GitHub {
		path = rt.getenv("GITHUB_STEP_SUMMARY")
	}
	if path == "" {
		return nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(rt.base, path)
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(path, rt.Redact(markdown))
}

func appendFile(path, text string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening %q: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing %q: %w", path, cerr)
		}
	}()
	if _, err := f.WriteString(text); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

// Exit codes.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitUsage     = 2
	ExitCancelled = 130 // as a shell reports a command ended by SIGINT
)

// Finish reports how the run ended and returns the exit code: outputs on
// stdout for the command line, the error on stderr (an ::error:: annotation
// on GitHub), "cancelled" when the context was cancelled.
func (rt *Runtime) Finish(ctx context.Context, err error) int {
	defer rt.log.flush()
	if rt.output == "json" || (rt.output == "" && rt.platform == CLI) || rt.output == "text" {
		rt.printOutputs()
	}
	if err == nil {
		return ExitOK
	}
	var usage *UsageError
	switch {
	case errors.As(err, &usage):
		// Each problem is redacted before it is cut to its bound, so that
		// no cut leaves part of a secret the redactor would not know.
		edit := func(s string) string { return shorten(rt.Redact(s)) }
		if rt.platform == GitHub {
			for _, p := range usage.Problems {
				rt.fail(edit(p.Error()))
			}
		} else {
			rt.fail(usage.format(edit))
		}
		fmt.Fprintf(rt.log, "ferry %s --help lists the inputs.\n", rt.spec.Name)
		return ExitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		rt.fail("cancelled: " + err.Error())
		return ExitCancelled
	default:
		rt.fail(err.Error())
		return ExitFailure
	}
}

func (rt *Runtime) fail(msg string) {
	msg = rt.Redact(msg)
	if rt.platform == GitHub {
		rt.gha.Errorf("%s", msg)
		return
	}
	fmt.Fprintf(rt.log, "ferry %s: error: %s\n", rt.spec.Name, msg)
}

func (rt *Runtime) printOutputs() {
	if rt.stdout == nil || (len(rt.outputs) == 0 && rt.output != "json") {
		return
	}
	if rt.output == "json" { // one object, {} when nothing was set
		m := rt.Outputs()
		enc := json.NewEncoder(rt.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(m)
		return
	}
	for _, o := range rt.outputs {
		fmt.Fprintf(rt.stdout, "%s=%s\n", o.name, o.value)
	}
}

// GitHubIDToken fetches an OIDC ID token for audience from the GitHub
// Actions token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL with
// ACTIONS_ID_TOKEN_REQUEST_TOKEN) and masks it and the request token.
func (rt *Runtime) GitHubIDToken(ctx context.Context, audience string) (string, error) {
	if t := rt.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"); t != "" {
		rt.Mask(t)
	}
	token, err := rt.gha.GetIDToken(ctx, audience)
	if err != nil {
		return "", fmt.Errorf("getting a GitHub OIDC token for audience %q: %w", audience, err)
	}
	rt.Mask(token)
	return token, nil
}
