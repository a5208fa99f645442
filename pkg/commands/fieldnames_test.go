package commands

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/awsauth"
	"github.com/ferry-ci/ferry/pkg/cdn"
	"github.com/ferry-ci/ferry/pkg/cfn"
	ferryecr "github.com/ferry-ci/ferry/pkg/ecr"
	"github.com/ferry-ci/ferry/pkg/ecs"
	"github.com/ferry-ci/ferry/pkg/s3sync"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

func TestInputNames(t *testing.T) {
	t.Parallel()
	names := map[traffic.Field]string{traffic.BlueWeight: "blue-weight", traffic.GreenWeight: "green-weight"}
	sentinel := errors.New("sentinel")
	_, weightsErr := traffic.NewWeights(-1, 1000) // two problems, joined
	const (
		blue  = `input "blue-weight": expected 0 to 999, found -1`
		green = `input "green-weight": expected 0 to 999, found 1000`
	)
	tests := []struct {
		name string
		err  error
		want []string // have's problems: one per joined error at the top
	}{
		{name: "joined problems stay apart", err: weightsErr, want: []string{blue, green}},
		{name: "wrapped", err: fmt.Errorf("reading: %w", errors.Join(weightsErr, sentinel)),
			want: []string{"reading: " + blue + "\n" + green + "\nsentinel"}},
		{name: "field not in the table keeps its Go name",
			err:  &traffic.FieldError{Fields: []traffic.Field{traffic.BakeTime}, Expected: "x", Found: "y"},
			want: []string{`input "BakeTime": expected x, found y`}},
		{name: "other error", err: sentinel, want: []string{"sentinel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have := inputNames(tt.err, names)
			var problems []string
			if j, ok := have.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					problems = append(problems, e.Error())
				}
			} else {
				problems = []string{have.Error()}
			}
			if !slices.Equal(problems, tt.want) {
				t.Errorf("inputNames() problems:\nhave %q\nwant %q", problems, tt.want)
			}
			var fe *traffic.FieldError
			if errors.As(tt.err, &fe) && !errors.As(have, &fe) {
				t.Errorf("inputNames() = %v: lost the *traffic.FieldError underneath", have)
			}
			if errors.Is(tt.err, sentinel) && !errors.Is(have, sentinel) {
				t.Errorf("inputNames() = %v: lost the sentinel underneath", have)
			}
		})
	}
	if inputNames(nil, names) != nil {
		t.Error("inputNames(nil) != nil")
	}
	// An error holding no field problem comes back as it was, its type
	// included: deploy-ecs passes every run error through.
	joined := errors.Join(sentinel, errors.New("other"))
	if have := inputNames(joined, names); have != joined {
		t.Errorf("inputNames(%T) = %T, want it untouched", joined, have)
	}
}

// TestInputTables checks each command's table of a domain package's
// fields: every field it must name has an input, and every input named is
// one the action declares.
func TestInputTables(t *testing.T) {
	t.Parallel()
	t.Run("redirect-traffic", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, traffic.Fields(), redirectTrafficInputs, redirectTraffic().Spec.Inputs)
	})
	t.Run("deploy-ecs", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, nil, deployECSTrafficInputs, deployECS().Spec.Inputs) // only some of traffic's fields are inputs
	})
	t.Run("deploy-ecs native", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, ecs.Fields(), deployECSNativeInputs, deployECS().Spec.Inputs)
	})
	t.Run("sync-s3-cloudfront cdn", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, []cdn.Field{cdn.DistributionID}, syncCDNInputs, syncS3CloudFront().Spec.Inputs)
	})
	t.Run("sync-s3-cloudfront s3sync", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, s3sync.Fields(), syncS3Inputs, syncS3CloudFront().Spec.Inputs)
	})
	t.Run("build-push-ecr", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, ferryecr.Fields(), buildPushECRRepositoryInputs, buildPushECR().Spec.Inputs)
	})
	t.Run("deploy-cloudformation stack sets", func(t *testing.T) {
		t.Parallel()
		// The description is ferry's to set (it sets none), not an input.
		fields := slices.DeleteFunc(cfn.StackSetFields(), func(f cfn.StackSetField) bool { return f == cfn.StackSetFieldDescription })
		checkInputTable(t, fields, stackSetInputs, deployCloudFormation().Spec.Inputs)
	})
	t.Run("aws inputs", func(t *testing.T) {
		t.Parallel()
		checkInputTable(t, awsauth.Fields(), awsAuthInputs, awsInputs())
	})
}

// checkInputTable checks names, a table of field → input: each of fields
// has an input, and each input named is one of inputs.
func checkInputTable[F ~string](t *testing.T, fields []F, names map[F]string, inputs []action.Input) {
	t.Helper()
	for _, f := range fields {
		if _, ok := names[f]; !ok {
			t.Errorf("field %s has no input", f)
		}
	}
	for f, name := range names {
		if !slices.ContainsFunc(inputs, func(in action.Input) bool { return in.Name == name }) {
			t.Errorf("field %s: input %q is not declared", f, name)
		}
	}
}

// TestCloudFormationInputTable checks deploy-cloudformation's table of
// pkg/cfn's fields: every field has a declared input.
func TestCloudFormationInputTable(t *testing.T) {
	t.Parallel()
	spec := deployCloudFormation().Spec
	for _, f := range cfn.Fields() {
		name, ok := cloudFormationInputs[f]
		if !ok {
			t.Errorf("field %s has no input", f)
			continue
		}
		if !slices.ContainsFunc(spec.Inputs, func(in action.Input) bool { return in.Name == name }) {
			t.Errorf("field %s: input %q is not declared", f, name)
		}
	}
}
