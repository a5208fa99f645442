package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits CloudFormation sets.
const (
	// MaxInlineTemplate is the largest TemplateBody, in bytes; a larger
	// template goes through S3 (TemplateURL).
	MaxInlineTemplate = 51200
	// MaxTemplate is the largest template through S3, in bytes.
	MaxTemplate = 1 << 20
	// MaxRollbackMonitoring is the longest rollback monitoring time.
	MaxRollbackMonitoring = 180 * time.Minute
)

// Mode is what a run does with the change set.
type Mode string

// The modes.
const (
	ModePlan    Mode = "plan"    // make and describe a change set, leave it
	ModeApply   Mode = "apply"   // make, describe and execute one
	ModeExecute Mode = "execute" // execute the named change set, made earlier
)

// Modes lists the modes.
func Modes() []string { return []string{string(ModePlan), string(ModeApply), string(ModeExecute)} }

// Parameter is one template parameter.
type Parameter struct{ Key, Value string }

// Tag is one stack tag.
type Tag struct{ Key, Value string }

// Options is one deployment of one stack.
type Options struct {
	StackName string
	// TemplateBody is the template's text (plan and apply). Over
	// MaxInlineTemplate bytes it is uploaded to TemplateBucket.
	TemplateBody   string
	TemplateBucket string
	Parameters     []Parameter
	// Tags of the stack; nil leaves them as they are on an update.
	Tags         []Tag
	Capabilities []string
	// RoleARN is the service role CloudFormation deploys with; "" keeps
	// the stack's (or the caller's credentials).
	RoleARN string
	// NotificationARNs are SNS topics for the stack's events; nil keeps
	// the stack's.
	NotificationARNs []string
	// TerminationProtection, when not nil, is set after the operation.
	TerminationProtection *bool
	// StackPolicy, when not "", is the stack policy (JSON) set after the
	// operation.
	StackPolicy string
	// RollbackAlarms (CloudWatch alarm ARNs) and RollbackMonitoringTime
	// make the rollback configuration; both empty keep the stack's.
	RollbackAlarms         []string
	RollbackMonitoringTime time.Duration
	Mode                   Mode
	// ChangeSetName names the change set to make (plan, apply; see
	// [ChangeSetName]) or to execute (execute).
	ChangeSetName string
	// Protect lists resource types (AWS::RDS::DBInstance) whose
	// replacement or deletion refuses the change set before it runs.
	Protect []string
	// Description of the change set.
	Description string
}

// Field is a value [Options.Validate] checks; a [FieldError] names it and
// the caller maps it to the name its user knows (an action's input, a flag).
type Field string

// The fields a [FieldError] names.
const (
	StackName              Field = "StackName"
	Template               Field = "Template"
	TemplateBucket         Field = "TemplateBucket"
	Parameters             Field = "Parameters"
	Tags                   Field = "Tags"
	Capabilities           Field = "Capabilities"
	RoleARN                Field = "RoleARN"
	NotificationARNs       Field = "NotificationARNs"
	StackPolicy            Field = "StackPolicy"
	RollbackAlarms         Field = "RollbackAlarms"
	RollbackMonitoringTime Field = "RollbackMonitoringTime"
	ModeField              Field = "Mode"
	ChangeSet              Field = "ChangeSetName"
	Protect                Field = "Protect"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{StackName, Template, TemplateBucket, Parameters, Tags, Capabilities, RoleARN, NotificationARNs,
		StackPolicy, RollbackAlarms, RollbackMonitoringTime, ModeField, ChangeSet, Protect}
}

// FieldError is a problem with one [Field]: what was expected and what was
// found.
type FieldError struct {
	Field    Field
	Expected string
	Found    string // already quoted, or a description such as "none"
}

// Error names the field by its Go name.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: expected %s, found %s", e.Field, e.Expected, e.Found)
}

// Message renders the problem as the runtime reports bad inputs: "input ",
// the quoted name that name returns for the field, then ": expected …,
// found …".
func (e *FieldError) Message(name func(Field) string) string {
	return "input " + strconv.Quote(name(e.Field)) + fmt.Sprintf(": expected %s, found %s", e.Expected, e.Found)
}

func problem(f Field, expected, found string) error {
	return &FieldError{Field: f, Expected: expected, Found: found}
}

var (
	nameRE         = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	paramKeyRE     = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	roleARNRE      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	topicARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$`)
	alarmARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.{1,255}$`)
	resourceTypeRE = regexp.MustCompile(`^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$`)
	bucketRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

var capabilities = []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"}

// Validate checks the options without calling AWS and returns every
// problem at once, each a [*FieldError].
func (o Options) Validate() error {
	var errs []error
	add := func(f Field, expected, found string) { errs = append(errs, problem(f, expected, found)) }
	if !nameRE.MatchString(o.StackName) {
		add(StackName, "a stack name: a letter, then letters, digits and hyphens, at most 128", quoteOrNone(o.StackName))
	}
	switch o.Mode {
	case ModePlan, ModeApply:
		switch n := len(o.TemplateBody); {
		case strings.TrimSpace(o.TemplateBody) == "":
			add(Template, "a CloudFormation template (YAML or JSON)", "an empty template")
		case n > MaxTemplate:
			add(Template, fmt.Sprintf("a template of at most %d bytes (CloudFormation's limit through S3)", MaxTemplate), fmt.Sprintf("%d bytes", n))
		case n > MaxInlineTemplate && o.TemplateBucket == "":
			add(TemplateBucket, fmt.Sprintf("an S3 bucket to upload the template to: it is over CloudFormation's inline limit of %d bytes", MaxInlineTemplate), fmt.Sprintf("none, and a template of %d bytes", n))
		}
		if o.ChangeSetName != "" && !nameRE.MatchString(o.ChangeSetName) {
			add(ChangeSet, "a change set name: a letter, then letters, digits and hyphens, at most 128", strconv.Quote(o.ChangeSetName))
		}
	case ModeExecute:
		if !nameRE.MatchString(o.ChangeSetName) {
			add(ChangeSet, "the name of the change set to execute (mode execute): a letter, then letters, digits and hyphens, at most 128", quoteOrNone(o.ChangeSetName))
		}
	default:
		add(ModeField, "one of "+strings.Join(Modes(), ", "), quoteOrNone(string(o.Mode)))
	}
	if o.TemplateBucket != "" && !bucketRE.MatchString(o.TemplateBucket) {
		add(TemplateBucket, "an S3 bucket name", strconv.Quote(o.TemplateBucket))
	}
	seen := map[string]bool{}
	for _, p := range o.Parameters {
		switch {
		case !paramKeyRE.MatchString(p.Key):
			add(Parameters, "parameter names of letters and digits", strconv.Quote(p.Key))
		case seen[p.Key]:
			add(Parameters, "each parameter once", fmt.Sprintf("%q twice", p.Key))
		}
		seen[p.Key] = true
	}
	if len(o.Tags) > 50 {
		add(Tags, "at most 50 tags", strconv.Itoa(len(o.Tags)))
	}
	for _, t := range o.Tags {
		switch {
		case t.Key == "" || len(t.Key) > 128:
			add(Tags, "tag keys of 1 to 128 characters", strconv.Quote(t.Key))
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			add(Tags, `tag keys not starting with "aws:" (reserved)`, strconv.Quote(t.Key))
		case len(t.Value) > 256:
			add(Tags, "tag values of at most 256 characters", fmt.Sprintf("%d characters for %q", len(t.Value), t.Key))
		}
	}
	for _, c := range o.Capabilities {
		if !slices.Contains(capabilities, c) {
			add(Capabilities, "capabilities among "+strings.Join(capabilities, ", "), strconv.Quote(c))
		}
	}
	if o.RoleARN != "" && !roleARNRE.MatchString(o.RoleARN) {
		add(RoleARN, "an IAM role ARN like arn:aws:iam::123456789012:role/cfn-deploy", strconv.Quote(o.RoleARN))
	}
	if len(o.NotificationARNs) > 5 {
		add(NotificationARNs, "at most 5 SNS topic ARNs", strconv.Itoa(len(o.NotificationARNs)))
	}
	for _, a := range o.NotificationARNs {
		if !topicARNRE.MatchString(a) {
			add(NotificationARNs, "SNS topic ARNs like arn:aws:sns:eu-west-1:123456789012:deploys", strconv.Quote(a))
		}
	}
	if o.StackPolicy != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(o.StackPolicy), &doc); err != nil {
			add(StackPolicy, "a stack policy: a JSON object with a Statement list", fmt.Sprintf("invalid JSON (%v)", err))
		} else if _, ok := doc["Statement"]; !ok {
			add(StackPolicy, "a stack policy: a JSON object with a Statement list", "no Statement")
		}
	}
	if len(o.RollbackAlarms) > 5 {
		add(RollbackAlarms, "at most 5 CloudWatch alarms", strconv.Itoa(len(o.RollbackAlarms)))
	}
	for _, a := range o.RollbackAlarms {
		if !alarmARNRE.MatchString(a) {
			add(RollbackAlarms, "CloudWatch alarm ARNs like arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx", strconv.Quote(a))
		}
	}
	if t := o.RollbackMonitoringTime; t < 0 || t > MaxRollbackMonitoring || t%time.Minute != 0 {
		add(RollbackMonitoringTime, "whole minutes from 0 to 180", t.String())
	}
	for _, p := range o.Protect {
		if !resourceTypeRE.MatchString(p) {
			add(Protect, "resource types like AWS::RDS::DBInstance", strconv.Quote(p))
		}
	}
	return errors.Join(errs...)
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9]+`)

// ChangeSetName is a change set name unique to a run: "ferry-", the run's
// id (e.g. a CI run id and attempt, or a commit; anything outside letters
// and digits becomes "-"), and the time to the second, within
// CloudFormation's rules (a letter first, letters, digits and hyphens, at
// most 128). Concurrent runs of one stack never collide.
func ChangeSetName(runID string, now time.Time) string {
	id := strings.Trim(nameUnsafe.ReplaceAllString(runID, "-"), "-")
	stamp := now.UTC().Format("20060102-150405")
	if max := 128 - len("ferry--") - len(stamp); len(id) > max {
		id = strings.Trim(id[:max], "-")
	}
	if id == "" {
		return "ferry-" + stamp
	}
	return "ferry-" + id + "-" + stamp
}

// ParseParameterFile reads a parameters file in one of the shapes in use:
//
//   - [{"ParameterKey": "Env", "ParameterValue": "prod"}] (the AWS CLI's);
//   - {"Env": "prod"} (key to value);
//   - {"Parameters": {"Env": "prod"}} (CodePipeline's template configuration).
//
// Numbers and booleans become their text, lists their items joined with
// commas (CommaDelimitedList). A problem names what is wrong where.
func ParseParameterFile(data []byte) ([]Parameter, error) {
	var list []struct {
		ParameterKey     *string
		ParameterValue   any
		UsePreviousValue *bool
	}
	if err := json.Unmarshal(data, &list); err == nil {
		out := make([]Parameter, 0, len(list))
		for i, p := range list {
			if p.ParameterKey == nil {
				return nil, fmt.Errorf("item %d: expected a ParameterKey, found none", i+1)
			}
			if p.UsePreviousValue != nil && *p.UsePreviousValue {
				return nil, fmt.Errorf("parameter %q: expected a ParameterValue, found UsePreviousValue (give the value: ferry compares the values it is given with the stack's)", *p.ParameterKey)
			}
			v, err := paramValue(p.ParameterValue)
			if err != nil {
				return nil, fmt.Errorf("parameter %q: %w", *p.ParameterKey, err)
			}
			out = append(out, Parameter{Key: *p.ParameterKey, Value: v})
		}
		return out, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf(`expected JSON: [{"ParameterKey": …, "ParameterValue": …}], {"Key": "Value"} or {"Parameters": {…}}, found %v`, err)
	}
	if inner, ok := obj["Parameters"]; ok && len(obj) <= 3 && isObject(inner) {
		// CodePipeline's template configuration: Parameters, Tags, StackPolicy.
		obj = nil
		if err := json.Unmarshal(inner, &obj); err != nil {
			return nil, fmt.Errorf("the object under \"Parameters\": %w", err)
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Parameter, 0, len(obj))
	for _, k := range keys {
		var v any
		if err := json.Unmarshal(obj[k], &v); err != nil {
			return nil, fmt.Errorf("parameter %q: %w", k, err)
		}
		s, err := paramValue(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", k, err)
		}
		out = append(out, Parameter{Key: k, Value: s})
	}
	return out, nil
}

func isObject(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return strings.HasPrefix(s, "{")
}

func paramValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return fmt.Sprint(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := paramValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case nil:
		return "", errors.New("expected a value, found null")
	default:
		return "", fmt.Errorf("expected a string, number, boolean or list, found %T", v)
	}
}

// ParseParameterLine reads one Key=Value line.
func ParseParameterLine(line string) (Parameter, error) {
	k, v, ok := strings.Cut(line, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Parameter{}, fmt.Errorf("expected Key=Value, found %q", line)
	}
	return Parameter{Key: k, Value: strings.TrimSpace(v)}, nil
}

// Merge returns the parameters of later lists overriding those of earlier
// ones with the same key, in the order keys first appear.
func Merge(lists ...[]Parameter) []Parameter {
	var out []Parameter
	at := map[string]int{}
	for _, l := range lists {
		for _, p := range l {
			if i, ok := at[p.Key]; ok {
				out[i] = p
				continue
			}
			at[p.Key] = len(out)
			out = append(out, p)
		}
	}
	return out
}
