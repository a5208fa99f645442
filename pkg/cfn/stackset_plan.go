package cfn

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits a [StackSetPlan] is checked against.
const (
	// StackSetMaxTemplateBody is the largest template body, in bytes,
	// CloudFormation takes inline; a larger one goes through TemplateURL.
	StackSetMaxTemplateBody = 51200
	// StackSetMaxTags is the most tags a stack set carries.
	StackSetMaxTags = 50
)

// StackSetField is one of the values [StackSetPlan.Validate] checks. A
// problem names the field at fault; the caller maps it to the name its user
// knows (an action's input, a flag), so this package holds no input names.
type StackSetField string

// The fields a [StackSetFieldError] names.
const (
	StackSetFieldName                StackSetField = "StackSetName"
	StackSetFieldTemplate            StackSetField = "StackSetTemplate"
	StackSetFieldDescription         StackSetField = "StackSetDescription"
	StackSetFieldParameters          StackSetField = "StackSetParameters"
	StackSetFieldTags                StackSetField = "StackSetTags"
	StackSetFieldCapabilities        StackSetField = "StackSetCapabilities"
	StackSetFieldAdministrationRole  StackSetField = "StackSetAdministrationRole"
	StackSetFieldExecutionRole       StackSetField = "StackSetExecutionRole"
	StackSetFieldAutoDeployment      StackSetField = "StackSetAutoDeployment"
	StackSetFieldCallAs              StackSetField = "StackSetCallAs"
	StackSetFieldAccounts            StackSetField = "StackSetAccounts"
	StackSetFieldOrganizationalUnits StackSetField = "StackSetOrganizationalUnits"
	StackSetFieldRegions             StackSetField = "StackSetRegions"
	StackSetFieldMaxConcurrent       StackSetField = "StackSetMaxConcurrent"
	StackSetFieldFailureTolerance    StackSetField = "StackSetFailureTolerance"
	StackSetFieldRegionOrder         StackSetField = "StackSetRegionOrder"
	StackSetFieldRegionConcurrency   StackSetField = "StackSetRegionConcurrency"
	StackSetFieldConcurrencyMode     StackSetField = "StackSetConcurrencyMode"
)

// StackSetFields lists every [StackSetField], for a caller to check that it
// names them all.
func StackSetFields() []StackSetField {
	return []StackSetField{StackSetFieldName, StackSetFieldTemplate, StackSetFieldDescription,
		StackSetFieldParameters, StackSetFieldTags, StackSetFieldCapabilities,
		StackSetFieldAdministrationRole, StackSetFieldExecutionRole, StackSetFieldAutoDeployment,
		StackSetFieldCallAs, StackSetFieldAccounts, StackSetFieldOrganizationalUnits,
		StackSetFieldRegions, StackSetFieldMaxConcurrent, StackSetFieldFailureTolerance,
		StackSetFieldRegionOrder, StackSetFieldRegionConcurrency, StackSetFieldConcurrencyMode}
}

// StackSetFieldError is one problem with one or more fields: what was
// expected and what was found.
type StackSetFieldError struct {
	Fields   []StackSetField // the fields at fault, at least one
	Any      bool            // the fields are alternatives ("a or b"), not all at fault ("a and b")
	Expected string
	Found    string // already quoted, or a description such as "none"
}

// Error names the fields by their Go names, as in "StackSetAccounts:
// expected 12-digit AWS account ids, found "1234"";
// [StackSetFieldError.Message] names them as the caller's user knows them.
func (e *StackSetFieldError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = string(f)
	}
	return e.list(names) + ": expected " + e.Expected + ", found " + e.Found
}

// Message renders the problem as the runtime reports bad inputs: "input "
// and the quoted name (or "inputs " and the names joined), then ": expected
// …, found …", with the names that name returns for the fields.
func (e *StackSetFieldError) Message(name func(StackSetField) string) string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = strconv.Quote(name(f))
	}
	label := "input "
	if len(names) > 1 {
		label = "inputs "
	}
	return label + e.list(names) + ": expected " + e.Expected + ", found " + e.Found
}

// list joins names as "a", "a and b" or "a, b or c" (with Any).
func (e *StackSetFieldError) list(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	conj := " and "
	if e.Any {
		conj = " or "
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + conj + names[last]
}

func stackSetProblem(f StackSetField, expected, found string) *StackSetFieldError {
	return &StackSetFieldError{Fields: []StackSetField{f}, Expected: expected, Found: found}
}

// StackSetAmount is a number of accounts or a percentage of them, as the
// operation preferences take: at most one of Count and Percentage is set.
// The zero value leaves CloudFormation's default (1 account at a time, no
// failure tolerated).
type StackSetAmount struct {
	Count      int // a number of accounts
	Percentage int // a percentage of the accounts, 1 to 100
}

// String returns "5", "25%" or "" for the zero value.
func (a StackSetAmount) String() string {
	switch {
	case a.Percentage != 0:
		return strconv.Itoa(a.Percentage) + "%"
	case a.Count != 0:
		return strconv.Itoa(a.Count)
	}
	return ""
}

// ParseStackSetAmount reads "5" (a count) or "25%" (a percentage); "" is
// the zero amount. A problem is a [*StackSetFieldError] naming f.
func ParseStackSetAmount(f StackSetField, s string) (StackSetAmount, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return StackSetAmount{}, nil
	}
	num, pct := strings.CutSuffix(t, "%")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 || pct && n > 100 {
		return StackSetAmount{}, stackSetProblem(f, "a number of accounts such as 2 or a percentage such as 25%", strconv.Quote(s))
	}
	if pct {
		return StackSetAmount{Percentage: n}, nil
	}
	return StackSetAmount{Count: n}, nil
}

// StackSetAutoDeployment is a service-managed stack set's automatic
// deployment to accounts that join its organizational units.
type StackSetAutoDeployment struct {
	Enabled bool
	// RetainStacksOnAccountRemoval keeps the stacks of an account that
	// leaves the units; only with Enabled.
	RetainStacksOnAccountRemoval bool
}

// StackSetPreferences are the operation preferences of every operation
// the deploy starts.
type StackSetPreferences struct {
	MaxConcurrent    StackSetAmount // accounts at a time, per region
	FailureTolerance StackSetAmount // accounts that may fail, per region, before the operation stops there
	// RegionOrder lists regions of the plan to deploy to first, in order.
	RegionOrder []string
	// RegionConcurrency is "sequential" (one region at a time, AWS's
	// default) or "parallel", in any case; "" leaves AWS's default.
	RegionConcurrency string
	// ConcurrencyMode is "strict-failure-tolerance" (AWS's default) or
	// "soft-failure-tolerance" (also "strict", "soft"; any case, "_" or "-").
	ConcurrencyMode string
}

// StackSetPlan is what [StackSetDeployer.Deploy] makes true: a stack set
// with this template and these settings, with a stack instance in every
// target (each account, or each organizational unit, in each region).
//
// The permission model follows the targets: Accounts make a self-managed
// stack set (with AdministrationRoleARN and ExecutionRoleName, or AWS's
// default roles), OrganizationalUnits a service-managed one (with
// AutoDeployment).
type StackSetPlan struct {
	Name string
	// Exactly one of TemplateBody and TemplateURL (an https:// S3 URL).
	TemplateBody, TemplateURL string
	Description               string            // "" keeps the deployed one
	Parameters                map[string]string // the set's parameter values
	Tags                      map[string]string // nil keeps the deployed tags; empty removes them
	// Capabilities acknowledges IAM resources and macros:
	// CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND.
	Capabilities []string

	// Self-managed permissions: the role the administrator account
	// assumes ("" is AWS's AWSCloudFormationStackSetAdministrationRole)
	// and the role's name in each target account ("" is
	// AWSCloudFormationStackSetExecutionRole).
	AdministrationRoleARN, ExecutionRoleName string
	// Service-managed permissions: automatic deployment; nil leaves it
	// (AWS's default on create: disabled).
	AutoDeployment *StackSetAutoDeployment
	// CallAs is "self" ("" too) or "delegated-admin" (a delegated
	// administrator of the organization; service-managed only).
	CallAs string

	Accounts            []string // 12-digit account ids (self-managed)
	OrganizationalUnits []string // "ou-…" or a root "r-…" (service-managed)
	Regions             []string

	Preferences StackSetPreferences
}

// ServiceManaged reports whether the plan's stack set has service-managed
// permissions: it targets organizational units.
func (p StackSetPlan) ServiceManaged() bool { return len(p.OrganizationalUnits) > 0 }

var (
	stackSetNameRE      = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
	stackSetAccountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	stackSetOURE        = regexp.MustCompile(`^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$`)
	stackSetRegionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	stackSetRoleARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	stackSetRoleNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	stackSetParamKeyRE  = regexp.MustCompile(`^[a-zA-Z0-9]{1,255}$`)
	stackSetTemplateURL = regexp.MustCompile(`^https://\S+$`)
)

// stackSetCapabilities are the values Capabilities takes.
var stackSetCapabilities = []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"}

// stackSetEnum returns s as AWS spells an enum value: upper case, "_"
// for "-", with the short forms given mapped to their full value.
func stackSetEnum(s string, short map[string]string) string {
	v := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	if full, ok := short[v]; ok {
		return full
	}
	return v
}

func (p StackSetPlan) regionConcurrency() string {
	return stackSetEnum(p.Preferences.RegionConcurrency, nil)
}

func (p StackSetPlan) concurrencyMode() string {
	return stackSetEnum(p.Preferences.ConcurrencyMode, map[string]string{
		"STRICT": "STRICT_FAILURE_TOLERANCE", "SOFT": "SOFT_FAILURE_TOLERANCE"})
}

func (p StackSetPlan) callAs() string {
	return stackSetEnum(p.CallAs, nil)
}

// Validate reports every problem with the plan at once (errors.Join),
// each a [*StackSetFieldError] naming the fields at fault, before anything
// is called.
func (p StackSetPlan) Validate() error {
	var errs []error
	add := func(f StackSetField, expected, found string) {
		errs = append(errs, stackSetProblem(f, expected, found))
	}
	if !stackSetNameRE.MatchString(p.Name) {
		add(StackSetFieldName, "a stack set name: a letter, then letters, digits and hyphens, at most 128", stackSetQuote(p.Name))
	}
	switch {
	case p.TemplateBody == "" && p.TemplateURL == "":
		add(StackSetFieldTemplate, "a template", "none")
	case p.TemplateBody != "" && p.TemplateURL != "":
		add(StackSetFieldTemplate, "a template body or a template URL, not both", "both")
	case len(p.TemplateBody) > StackSetMaxTemplateBody:
		add(StackSetFieldTemplate, fmt.Sprintf("a template body of at most %d bytes (larger ones go through an S3 URL)", StackSetMaxTemplateBody), fmt.Sprintf("%d bytes", len(p.TemplateBody)))
	case p.TemplateURL != "" && !stackSetTemplateURL.MatchString(p.TemplateURL):
		add(StackSetFieldTemplate, "an https:// URL of the template in S3", strconv.Quote(p.TemplateURL))
	}
	if len(p.Description) > 1024 {
		add(StackSetFieldDescription, "a description of at most 1024 characters", fmt.Sprintf("%d characters", len(p.Description)))
	}
	for _, k := range stackSetKeys(p.Parameters) {
		if !stackSetParamKeyRE.MatchString(k) {
			add(StackSetFieldParameters, "parameter names of letters and digits", strconv.Quote(k))
		}
	}
	if len(p.Tags) > StackSetMaxTags {
		add(StackSetFieldTags, fmt.Sprintf("at most %d tags", StackSetMaxTags), strconv.Itoa(len(p.Tags)))
	}
	for _, k := range stackSetKeys(p.Tags) {
		switch v := p.Tags[k]; {
		case k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:"):
			add(StackSetFieldTags, `tag keys of 1 to 128 characters, not starting with "aws:"`, strconv.Quote(k))
		case len(v) > 256:
			add(StackSetFieldTags, "tag values of at most 256 characters", fmt.Sprintf("%d characters for %q", len(v), k))
		}
	}
	for _, c := range p.Capabilities {
		if !slices.Contains(stackSetCapabilities, c) {
			add(StackSetFieldCapabilities, "one of "+strings.Join(stackSetCapabilities, ", "), strconv.Quote(c))
		}
	}

	// Targets and the permission model they imply.
	switch {
	case len(p.Accounts) > 0 && len(p.OrganizationalUnits) > 0:
		errs = append(errs, &StackSetFieldError{Fields: []StackSetField{StackSetFieldAccounts, StackSetFieldOrganizationalUnits}, Any: true,
			Expected: "accounts (self-managed) or organizational units (service-managed), not both", Found: "both"})
	case len(p.Accounts) == 0 && len(p.OrganizationalUnits) == 0:
		errs = append(errs, &StackSetFieldError{Fields: []StackSetField{StackSetFieldAccounts, StackSetFieldOrganizationalUnits}, Any: true,
			Expected: "the accounts or the organizational units to deploy to", Found: "neither"})
	}
	errs = append(errs, stackSetEachOnce(StackSetFieldAccounts, p.Accounts, stackSetAccountRE, "12-digit AWS account ids")...)
	errs = append(errs, stackSetEachOnce(StackSetFieldOrganizationalUnits, p.OrganizationalUnits, stackSetOURE, `organizational unit ids ("ou-…") or a root id ("r-…")`)...)
	if len(p.Regions) == 0 {
		add(StackSetFieldRegions, "the regions to deploy to, such as us-east-1", "none")
	}
	errs = append(errs, stackSetEachOnce(StackSetFieldRegions, p.Regions, stackSetRegionRE, "AWS regions such as eu-west-1")...)

	if p.ServiceManaged() {
		if p.AdministrationRoleARN != "" {
			add(StackSetFieldAdministrationRole, "no administration role with organizational units (service-managed permissions)", strconv.Quote(p.AdministrationRoleARN))
		}
		if p.ExecutionRoleName != "" {
			add(StackSetFieldExecutionRole, "no execution role with organizational units (service-managed permissions)", strconv.Quote(p.ExecutionRoleName))
		}
	} else {
		if p.AdministrationRoleARN != "" && !stackSetRoleARNRE.MatchString(p.AdministrationRoleARN) {
			add(StackSetFieldAdministrationRole, "an IAM role ARN such as arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole", strconv.Quote(p.AdministrationRoleARN))
		}
		if p.ExecutionRoleName != "" && !stackSetRoleNameRE.MatchString(p.ExecutionRoleName) {
			add(StackSetFieldExecutionRole, "an IAM role name (not an ARN) such as AWSCloudFormationStackSetExecutionRole", strconv.Quote(p.ExecutionRoleName))
		}
		if p.AutoDeployment != nil && len(p.Accounts) > 0 {
			add(StackSetFieldAutoDeployment, "automatic deployment only with organizational units (service-managed permissions)", "accounts")
		}
	}
	if a := p.AutoDeployment; a != nil && a.RetainStacksOnAccountRemoval && !a.Enabled {
		add(StackSetFieldAutoDeployment, "retaining stacks on account removal only with automatic deployment enabled", "automatic deployment disabled")
	}
	switch p.callAs() {
	case "", "SELF":
	case "DELEGATED_ADMIN":
		if len(p.Accounts) > 0 {
			add(StackSetFieldCallAs, "self with accounts (a delegated administrator deploys to organizational units)", strconv.Quote(p.CallAs))
		}
	default:
		add(StackSetFieldCallAs, "self or delegated-admin", strconv.Quote(p.CallAs))
	}

	// Operation preferences.
	pr := p.Preferences
	errs = append(errs, pr.MaxConcurrent.check(StackSetFieldMaxConcurrent, 1)...)
	errs = append(errs, pr.FailureTolerance.check(StackSetFieldFailureTolerance, 0)...)
	seen := map[string]bool{}
	for _, r := range pr.RegionOrder {
		switch {
		case seen[r]:
			add(StackSetFieldRegionOrder, "each region once", strconv.Quote(r)+" twice")
		case !slices.Contains(p.Regions, r):
			add(StackSetFieldRegionOrder, "regions among those deployed to ("+strings.Join(p.Regions, ", ")+")", strconv.Quote(r))
		}
		seen[r] = true
	}
	switch p.regionConcurrency() {
	case "", "SEQUENTIAL", "PARALLEL":
	default:
		add(StackSetFieldRegionConcurrency, "sequential or parallel", strconv.Quote(pr.RegionConcurrency))
	}
	switch p.concurrencyMode() {
	case "", "STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE":
	default:
		add(StackSetFieldConcurrencyMode, "strict-failure-tolerance or soft-failure-tolerance", strconv.Quote(pr.ConcurrencyMode))
	}
	return errors.Join(errs...)
}

// check reports what is wrong with an amount whose count is at least
// minCount when set.
func (a StackSetAmount) check(f StackSetField, minCount int) []error {
	var errs []error
	if a.Count != 0 && a.Percentage != 0 {
		errs = append(errs, stackSetProblem(f, "a count or a percentage, not both", fmt.Sprintf("%d and %d%%", a.Count, a.Percentage)))
	}
	if a.Count < 0 || a.Count != 0 && a.Count < minCount {
		errs = append(errs, stackSetProblem(f, fmt.Sprintf("a count of at least %d", minCount), strconv.Itoa(a.Count)))
	}
	if a.Percentage < 0 || a.Percentage > 100 {
		errs = append(errs, stackSetProblem(f, "a percentage of 0 to 100", strconv.Itoa(a.Percentage)+"%"))
	}
	return errs
}

// stackSetEachOnce reports the values that do not match re, and those given twice.
func stackSetEachOnce(f StackSetField, values []string, re *regexp.Regexp, expected string) []error {
	var errs []error
	seen := map[string]bool{}
	for _, v := range values {
		switch {
		case !re.MatchString(v):
			errs = append(errs, stackSetProblem(f, expected, stackSetQuote(v)))
		case seen[v]:
			errs = append(errs, stackSetProblem(f, "each value once", strconv.Quote(v)+" twice"))
		}
		seen[v] = true
	}
	return errs
}

func stackSetQuote(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

func stackSetKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
