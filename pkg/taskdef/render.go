package taskdef

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ErrUnknownContainer is wrapped by [Render] when an override names a
// container the task definition does not have.
var ErrUnknownContainer = errors.New("unknown container")

// Overrides are the changes [Render] makes to a task definition, keyed by
// container name.
type Overrides struct {
	// Images maps a container to its new image.
	Images map[string]string
	// Environment maps a container to variables to set or replace.
	Environment map[string]map[string]string
	// Secrets maps a container to secrets to set or replace: variable name
	// to the ARN of a Secrets Manager secret or SSM parameter, or the name
	// of an SSM parameter in the task's region (valueFrom).
	Secrets map[string]map[string]string
}

// containerName is what ECS accepts as a container name.
var containerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// secretARN matches Secrets Manager and SSM Parameter Store ARNs in any
// partition.
var secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]*:[0-9]*:.+`)

// parameterName matches an SSM Parameter Store name, with or without a
// leading "/": levels of letters, digits, '_', '.' and '-' separated by
// single slashes. ECS takes the name of a parameter in the task's region.
var parameterName = regexp.MustCompile(`^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)

// maxParameterName is the longest SSM parameter name (ARN prefix excluded).
const maxParameterName = 2048

// ParseImages parses "container=image" lines. Blank lines are skipped;
// every bad line is reported (errors.Join), each naming its line number.
func ParseImages(lines []string) (map[string]string, error) {
	out := map[string]string{}
	err := eachLine(lines, func(line string, bad func(string, ...any)) {
		name, image, ok := strings.Cut(line, "=")
		name, image = strings.TrimSpace(name), strings.TrimSpace(image)
		switch {
		case !ok:
			bad("want container=image, found no \"=\"")
		case !containerName.MatchString(name):
			bad("want a container name (letters, digits, '-', '_'), found %q", name)
		case image == "":
			bad("want an image after \"=\", found nothing")
		case strings.ContainsAny(image, " \t"):
			bad("want an image reference, found whitespace in %q", image)
		default:
			if _, dup := out[name]; dup {
				bad("container %q is given more than once", name)
				return
			}
			out[name] = image
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseEnvironment parses "container:KEY=VALUE" lines; VALUE may be empty
// and may contain '=' and ':'. Blank lines are skipped; every bad line is
// reported, each naming its line number.
func ParseEnvironment(lines []string) (map[string]map[string]string, error) {
	return parseKeyed(lines, "container:KEY=VALUE", func(string) string { return "" })
}

// ParseSecrets parses "container:KEY=VALUE_FROM" lines, where VALUE_FROM is
// a Secrets Manager secret ARN (arn:aws:secretsmanager:…, optionally with a
// JSON key and version suffix), an SSM parameter ARN (arn:aws:ssm:…) or the
// name of an SSM parameter in the task's region (/prod/db-password, with or
// without the leading slash), as ECS takes them. Blank lines are skipped;
// every bad line is reported, each naming its line number.
func ParseSecrets(lines []string) (map[string]map[string]string, error) {
	return parseKeyed(lines, "container:KEY=arn:aws:secretsmanager:…, arn:aws:ssm:… or /ssm/parameter-name", func(v string) string {
		const want = `want a Secrets Manager or SSM parameter ARN, or an SSM parameter name (/path/name), after "="`
		switch {
		case v == "":
			return want + ", found nothing"
		case strings.HasPrefix(v, "arn:"):
			if !secretARN.MatchString(v) {
				return fmt.Sprintf("%s, found %q (an ARN of neither service)", want, v)
			}
		case len(v) > maxParameterName:
			return fmt.Sprintf("%s, found a name of %d characters (at most %d)", want, len(v), maxParameterName)
		case !parameterName.MatchString(v):
			return fmt.Sprintf("%s, found %q (a name has letters, digits, '_', '.', '-' and single '/' between levels)", want, v)
		}
		return ""
	})
}

func parseKeyed(lines []string, form string, checkValue func(string) string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	err := eachLine(lines, func(line string, bad func(string, ...any)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			bad("want %s, found no \":\"", form)
			return
		}
		key, value, ok := strings.Cut(rest, "=")
		name, key = strings.TrimSpace(name), strings.TrimSpace(key)
		switch {
		case !ok:
			bad("want %s, found no \"=\" after the container", form)
		case !containerName.MatchString(name):
			bad("want a container name (letters, digits, '-', '_') before \":\", found %q", name)
		case key == "":
			bad("want a variable name between \":\" and \"=\", found nothing")
		case strings.ContainsAny(key, " \t"):
			bad("want a variable name without whitespace, found %q", key)
		default:
			if msg := checkValue(value); msg != "" {
				bad("%s", msg)
				return
			}
			if _, dup := out[name][key]; dup {
				bad("%s:%s is given more than once", name, key)
				return
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			out[name][key] = value
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachLine calls parse for every non-blank line (trimmed) with a bad func
// that records a problem naming the line; it returns every problem joined.
func eachLine(lines []string, parse func(line string, bad func(format string, a ...any))) error {
	var errs []error
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		parse(line, func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("line %d: %q: %s", i+1, line, fmt.Sprintf(format, a...)))
		})
	}
	return errors.Join(errs...)
}

// Render returns a deep copy of in with the overrides applied: images
// replaced, environment variables and secrets set or replaced. A variable
// set through Environment drops a secret of the same name from that
// container and vice versa (ECS refuses a name in both lists); naming the
// same variable in both Environment and Secrets is an error. Every
// container's environment and secrets are sorted by name, so the output is
// stable. A container named in o but absent from in is an error wrapping
// [ErrUnknownContainer] that lists the containers in has; all such problems
// are reported at once.
func Render(in *ecs.RegisterTaskDefinitionInput, o Overrides) (*ecs.RegisterTaskDefinitionInput, error) {
	if in == nil {
		return nil, errors.New("rendering task definition: no task definition")
	}
	out, err := clone(in)
	if err != nil {
		return nil, fmt.Errorf("rendering task definition: %w", err)
	}
	index := map[string]int{}
	var names []string
	for i, c := range out.ContainerDefinitions {
		index[aws.ToString(c.Name)] = i
		names = append(names, strconv.Quote(aws.ToString(c.Name)))
	}
	var errs []error
	named := map[string]bool{}
	for _, m := range []map[string]bool{keys(o.Images), keys(o.Environment), keys(o.Secrets)} {
		for name := range m {
			named[name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if _, ok := index[name]; !ok {
			errs = append(errs, fmt.Errorf("%w %q: task definition %q has %s", ErrUnknownContainer, name, aws.ToString(out.Family), strings.Join(names, ", ")))
		}
	}
	for name, env := range o.Environment {
		for key := range env {
			if _, ok := o.Secrets[name][key]; ok {
				errs = append(errs, fmt.Errorf("container %q: %q is set both as an environment variable and as a secret", name, key))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rendering task definition: %w", errors.Join(errs...))
	}

	for i := range out.ContainerDefinitions {
		c := &out.ContainerDefinitions[i]
		name := aws.ToString(c.Name)
		if image, ok := o.Images[name]; ok {
			c.Image = aws.String(image)
		}
		for key, value := range o.Environment[name] {
			c.Secrets = slices.DeleteFunc(c.Secrets, func(s types.Secret) bool { return aws.ToString(s.Name) == key })
			c.Environment = setEnv(c.Environment, key, value)
		}
		for key, value := range o.Secrets[name] {
			c.Environment = slices.DeleteFunc(c.Environment, func(e types.KeyValuePair) bool { return aws.ToString(e.Name) == key })
			c.Secrets = setSecret(c.Secrets, key, value)
		}
		slices.SortStableFunc(c.Environment, func(a, b types.KeyValuePair) int { return cmp.Compare(aws.ToString(a.Name), aws.ToString(b.Name)) })
		slices.SortStableFunc(c.Secrets, func(a, b types.Secret) int { return cmp.Compare(aws.ToString(a.Name), aws.ToString(b.Name)) })
	}
	return out, nil
}

func setEnv(env []types.KeyValuePair, key, value string) []types.KeyValuePair {
	for i := range env {
		if aws.ToString(env[i].Name) == key {
			env[i].Value = aws.String(value)
			return env
		}
	}
	return append(env, types.KeyValuePair{Name: aws.String(key), Value: aws.String(value)})
}

func setSecret(secrets []types.Secret, key, valueFrom string) []types.Secret {
	for i := range secrets {
		if aws.ToString(secrets[i].Name) == key {
			secrets[i].ValueFrom = aws.String(valueFrom)
			return secrets
		}
	}
	return append(secrets, types.Secret{Name: aws.String(key), ValueFrom: aws.String(valueFrom)})
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
