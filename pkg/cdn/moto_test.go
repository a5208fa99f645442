//go:build unix

package cdn_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/internal/cdntest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/cdn"
)

// TestAgainstMoto: origins of the bucket are found with their path, an
// invalidation is created with the paths given and waited for (moto
// answers COMPLETED), and an unknown distribution is ErrNoSuchDistribution.
func TestAgainstMoto(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	ctx := context.Background()
	id := cdntest.NewDistribution(t, endpoint,
		cdntest.Origin{ID: "api", DomainName: "api.example.com"},
		cdntest.S3Origin("my-site", "/site"),
	)
	inv := cdn.New(cdntest.Client(endpoint), cdn.Config{})
	origins, err := inv.Origins(ctx, id, "my-site")
	if err != nil {
		t.Fatal(err)
	}
	want := []cdn.Origin{{ID: "s3-my-site", DomainName: "my-site.s3.us-east-1.amazonaws.com", Path: "/site"}}
	if !reflect.DeepEqual(origins, want) {
		t.Errorf("origins:\nwant %+v\nhave %+v", want, origins)
	}
	paths := cdn.Paths([]string{"site/docs/index.html", "site/app.js", "elsewhere/x"}, origins, 15)
	invID, err := inv.Create(ctx, id, paths)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Wait(ctx, id, invID); err != nil {
		t.Fatalf("waiting on moto's COMPLETED: %v", err)
	}
	got := cdntest.Invalidations(t, endpoint, id)
	if len(got) != 1 || got[0].ID != invID || !reflect.DeepEqual(got[0].Paths, []string{"/app.js", "/docs", "/docs/", "/docs/index.html"}) {
		t.Errorf("invalidations: %+v", got)
	}

	// No origin names the bucket: the default behaviour's origin.
	fallback, err := inv.Origins(ctx, id, "other-bucket")
	if err != nil || len(fallback) != 1 || fallback[0].ID != "api" {
		t.Errorf("fallback to the default behaviour's origin: %+v %v", fallback, err)
	}

	_, err = inv.Origins(ctx, "E0000000000000", "my-site")
	if !errors.Is(err, cdn.ErrNoSuchDistribution) || !strings.Contains(err.Error(), "E0000000000000") {
		t.Errorf("unknown distribution: want ErrNoSuchDistribution naming it, have %v", err)
	}
}
