package s3sync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/pkg/s3sync"
)

func ExampleParseRules() {
	rules, err := s3sync.ParseRules(s3sync.CacheControlRule, []string{
		"**/*.html=no-cache",
		"assets/**=public, max-age=31536000, immutable",
	})
	fmt.Printf("%q %v\n", rules, err)
	_, err = s3sync.ParseRules(s3sync.CompressRule, []string{"**/*.js=zstd", "*.css"})
	fmt.Println(err)
	// Output:
	// [{"**/*.html" "no-cache"} {"assets/**" "public, max-age=31536000, immutable"}] <nil>
	// Compress: line 1: expected "gzip" or "br" after the "=", found "zstd"
	// Compress: line 2: expected glob=value, e.g. "**/*.js=br", found "*.css"
}

func ExampleDetectContentType() {
	for _, name := range []string{"index.html", "app.mjs", "logo.svg", "font.woff2", "LICENSE"} {
		fmt.Printf("%-10s %s\n", name, s3sync.DetectContentType(name))
	}
	// Output:
	// index.html text/html; charset=utf-8
	// app.mjs    text/javascript; charset=utf-8
	// logo.svg   image/svg+xml; charset=utf-8
	// font.woff2 font/woff2
	// LICENSE    application/octet-stream
}

// Sync a built site, refusing to delete more than 50 objects.
func ExampleSyncer_Apply() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cc, err := s3sync.ParseRules(s3sync.CacheControlRule, []string{"**/*.html=no-cache", "assets/**=public, max-age=31536000, immutable"})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := s3sync.New(s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}), s3sync.Config{Logger: slog.Default()})
	plan, err := s.Plan(ctx, s3sync.Options{
		Source: "dist", Bucket: "www-example", Prefix: "prod",
		CacheControl: cc, Exclude: []string{"**/*.map"},
		Delete: true, MaxDelete: 50,
	})
	if errors.Is(err, s3sync.ErrTooManyDeletes) {
		fmt.Println("refused:", err)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := s.Apply(ctx, plan)
	fmt.Println(res.Uploaded, res.MetadataUpdated, res.Deleted, res.ChangedKeys(), err)
}
