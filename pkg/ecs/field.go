package ecs

import (
	"fmt"
	"strconv"
	"strings"
)

// Field is one of the values of a [Native] configuration or a [Decision]
// that their Validate methods check. A problem names the field at fault;
// the caller maps it to the name its user knows (an action's input, a
// flag), so this package holds no input names.
type Field string

// The fields a [FieldError] names.
const (
	FieldStrategy           Field = "Native.Strategy"
	FieldBakeTime           Field = "Native.BakeTime"
	FieldCanaryPercent      Field = "Native.CanaryPercent"
	FieldCanaryBakeTime     Field = "Native.CanaryBakeTime"
	FieldLinearStepPercent  Field = "Native.LinearStepPercent"
	FieldLinearStepBakeTime Field = "Native.LinearStepBakeTime"
	FieldAlarms             Field = "Native.Alarms"
	FieldPauseAt            Field = "Native.PauseAt"
	FieldPauseTimeout       Field = "Native.PauseTimeout"
	FieldPauseTimeoutAction Field = "Native.PauseTimeoutAction"
	FieldTestListenerRule   Field = "Native.LoadBalancer.TestListenerRule"
	FieldProductionRule     Field = "Native.LoadBalancer.ProductionListenerRule"
	FieldAlternateGroup     Field = "Native.LoadBalancer.AlternateTargetGroup"
	FieldLoadBalancerRole   Field = "Native.LoadBalancer.Role"
	FieldServiceDeployment  Field = "Decision.ServiceDeployment"
	FieldHookID             Field = "Decision.HookID"
)

// Fields lists every [Field], for a caller to check that it names them all.
func Fields() []Field {
	return []Field{FieldStrategy, FieldBakeTime, FieldCanaryPercent, FieldCanaryBakeTime, FieldLinearStepPercent,
		FieldLinearStepBakeTime, FieldAlarms, FieldPauseAt, FieldPauseTimeout, FieldPauseTimeoutAction,
		FieldTestListenerRule, FieldProductionRule, FieldAlternateGroup, FieldLoadBalancerRole,
		FieldServiceDeployment, FieldHookID}
}

// FieldError is one problem with one or more fields (all at fault
// together): what was expected and what was found.
type FieldError struct {
	Fields   []Field
	Expected string
	Found    string // already quoted, or a description such as "none"
}

// Error names the fields by their Go names.
func (e *FieldError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = string(f)
	}
	return fmt.Sprintf("%s: expected %s, found %s", strings.Join(names, " and "), e.Expected, e.Found)
}

// Message renders the problem as the runtime reports bad inputs: "input "
// and the quoted name (or "inputs " and the names joined with "and"),
// then ": expected …, found …".
func (e *FieldError) Message(name func(Field) string) string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = strconv.Quote(name(f))
	}
	label := "input " + strings.Join(names, " and ")
	if len(names) > 1 {
		label = "inputs " + strings.Join(names, " and ")
	}
	return fmt.Sprintf("%s: expected %s, found %s", label, e.Expected, e.Found)
}

func problem(expected, found string, fields ...Field) *FieldError {
	return &FieldError{Fields: fields, Expected: expected, Found: found}
}
