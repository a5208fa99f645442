package cfn_test

import (
	"fmt"
	"time"

	"github.com/ferry-ci/ferry/pkg/cfn"
)

// Parameters files come in three shapes; each reads to the same list.
func ExampleParseParameterFile() {
	for _, file := range []string{
		`[{"ParameterKey": "Env", "ParameterValue": "prod"}]`,
		`{"Env": "prod"}`,
		`{"Parameters": {"Env": "prod"}}`,
	} {
		params, err := cfn.ParseParameterFile([]byte(file))
		fmt.Println(params, err)
	}
	// Output:
	// [{Env prod}] <nil>
	// [{Env prod}] <nil>
	// [{Env prod}] <nil>
}

// A change set name is unique to a run and within CloudFormation's rules.
func ExampleChangeSetName() {
	fmt.Println(cfn.ChangeSetName("12345678-2", time.Date(2026, 12, 4, 5, 6, 7, 0, time.UTC)))
	// Output: ferry-12345678-2-20261204-050607
}

// Options are checked before any call, every problem at once.
func ExampleOptions_Validate() {
	err := cfn.Options{StackName: "app", Mode: cfn.ModeExecute}.Validate()
	fmt.Println(err)
	// Output: ChangeSetName: expected the name of the change set to execute (mode execute): a letter, then letters, digits and hyphens, at most 128, found none
}
