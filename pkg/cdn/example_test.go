package cdn_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/ferry-ci/ferry/pkg/cdn"
)

func ExamplePaths() {
	origins := []cdn.Origin{{ID: "site", DomainName: "www-example.s3.eu-west-1.amazonaws.com", Path: "/prod"}}
	changed := []string{"prod/index.html", "prod/docs/index.html", "prod/assets/app.3f9a.js", "staging/index.html"}
	fmt.Println(cdn.Paths(changed, origins, 15))
	fmt.Println(cdn.Paths(changed, origins, 5))
	fmt.Println(cdn.Paths(changed, origins, 2))
	// Output:
	// [/ /assets/app.3f9a.js /docs /docs/ /docs/index.html /index.html]
	// [/ /assets/app.3f9a.js /docs /docs/* /index.html]
	// [/*]
}

// Invalidate what a deploy changed and wait for it.
func ExampleInvalidator_Create() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := cdn.New(cloudfront.NewFromConfig(cfg), cdn.Config{Logger: slog.Default()})
	origins, err := inv.Origins(ctx, "E2QWRUHAPOMQZL", "www-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := inv.Create(ctx, "E2QWRUHAPOMQZL", cdn.Paths([]string{"prod/index.html"}, origins, cdn.DefaultMaxPaths))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := inv.Wait(ctx, "E2QWRUHAPOMQZL", id); err != nil {
		fmt.Println(err)
	}
}
