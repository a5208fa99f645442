package publish_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/ferry-ci/ferry/pkg/image"
	"github.com/ferry-ci/ferry/pkg/publish"
)

func ExamplePush() {
	// A registry on loopback; ferry's ECR wiring passes a keychain holding
	// "AWS" and the token of ecr:GetAuthorizationToken in Options.Keychain.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/app")
	if err != nil {
		log.Fatal(err)
	}
	img, err := random.Image(1024, 2, random.WithSource(rand.NewSource(1)))
	if err != nil {
		log.Fatal(err)
	}
	art := image.Artifact{Image: img}
	ctx := context.Background()

	res, err := publish.Push(ctx, repo, art, []string{"v1.2.3", "latest"}, publish.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("written:", res.Written, "unchanged:", res.Unchanged)
	fmt.Printf("blobs: %d of %d uploaded\n", res.Blobs.Uploaded, res.Blobs.Total)
	fmt.Println("deploy:", strings.TrimPrefix(res.Reference, repo.RegistryStr()+"/"))

	// Pushing again changes nothing and writes nothing.
	res, err = publish.Push(ctx, repo, art, []string{"v1.2.3", "latest"}, publish.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("written:", res.Written, "unchanged:", res.Unchanged, "bytes:", res.BytesUploaded)
	// Output:
	// written: [v1.2.3 latest] unchanged: []
	// blobs: 3 of 3 uploaded
	// deploy: app@sha256:fcfd5ede686df03d451d20f3ab465f21b8a03abdc800882337697ad1b09fa5bc
	// written: [] unchanged: [v1.2.3 latest] bytes: 0
}
