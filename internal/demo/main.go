// Command demo is `make demo`: ferry's main job end to end on the embedded
// local stack, twice.
//
//	go run ./internal/demo -ferry bin/ferry [-summary .dev/demo-summary.md]
//
// It starts a private moto_server, an in-memory container registry behind
// ECR's Basic auth (AWS:<the token moto's GetAuthorizationToken hands out>)
// and a webhook sink, all on loopback; then runs the job:
//
//  1. ferry deploy-cloudformation: the reference infrastructure
//     (examples/infra/ferry-reference.yml, BlueDesiredCount=1,
//     GreenDesiredCount=1, CAPABILITY_IAM), whose outputs feed the later
//     steps; after run 1 creates it, the demo makes the few pieces moto
//     does not model;
//  2. go build examples/hello (static, linux/amd64);
//  3. ferry build-push-ecr: a daemonless build of that binary on a
//     scratch-like base, pushed to the stack's repository;
//  4. ferry deploy-ecs: that image, by digest, to the green service;
//  5. ferry redirect-traffic: blue → blue-80 → split → green-80 → green;
//  6. ferry sync-s3-cloudfront: examples/site to the stack's bucket, with an
//     invalidation of the distribution;
//  7. ferry notify: to the sink, with the digest, task definition and
//     weights.
//
// The job runs twice on the same stack; the second run must change nothing
// (the stack unchanged with no change set made and no stack event, the same
// digest with 0 bytes uploaded, no new task-definition revision,
// changed=false, 0 files uploaded and no invalidation), or the demo fails.
// It prints a summary table and writes it as markdown (-summary).
//
// Every ferry step is the built binary run as a subprocess on the command
// line (--output json), pointed at moto by AWS_ENDPOINT_URL, with dummy
// credentials and AWS_EC2_METADATA_DISABLED=true. Every server the demo
// starts is stopped when it ends, on error and on SIGINT too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "demo: cancelled")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// config is what a demo run needs.
type config struct {
	ferry   string    // the ferry binary
	summary string    // the markdown summary file written at the end
	root    string    // the repository root: examples/ is read from there
	log     io.Writer // progress and the final table
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	c := config{log: stdout}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.StringVar(&c.ferry, "ferry", "bin/ferry", "the ferry binary to run")
	fs.StringVar(&c.summary, "summary", filepath.Join(".dev", "demo-summary.md"), "markdown summary file to write")
	fs.StringVar(&c.root, "root", ".", "repository root (where examples/ is)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.ferry, err = filepath.Abs(c.ferry); err != nil {
		return err
	}
	if _, err := os.Stat(c.ferry); err != nil {
		return fmt.Errorf("the ferry binary: %w (make build makes bin/ferry)", err)
	}
	if c.root, err = filepath.Abs(c.root); err != nil {
		return err
	}
	_, err = demo(ctx, c)
	return err
}
