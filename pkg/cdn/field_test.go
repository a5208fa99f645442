package cdn_test

import (
	"errors"
	"testing"

	"github.com/ferry-ci/ferry/pkg/cdn"
)

func TestValidateDistributionIDNamesTheField(t *testing.T) {
	t.Parallel()
	err := cdn.ValidateDistributionID("dist-1")
	var fe *cdn.FieldError
	if !errors.As(err, &fe) || fe.Field != cdn.DistributionID {
		t.Fatalf("ValidateDistributionID() = %#v, want a *cdn.FieldError naming DistributionID", err)
	}
	const wantError = `DistributionID: expected a CloudFront distribution id like "E2QWRUHAPOMQZL", found "dist-1"`
	if have := err.Error(); have != wantError {
		t.Errorf("Error():\nhave %q\nwant %q", have, wantError)
	}
	const wantMessage = `input "d": expected a CloudFront distribution id like "E2QWRUHAPOMQZL", found "dist-1"`
	if have := fe.Message(func(cdn.Field) string { return "d" }); have != wantMessage {
		t.Errorf("Message():\nhave %q\nwant %q", have, wantMessage)
	}
}
