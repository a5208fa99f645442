//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and maps it to the process exit status.
func exitCode(err error, stderr io.Writer) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code // the command has spoken for itself
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "devstack:", err)
		fmt.Fprint(stderr, usage)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "devstack: cancelled")
		return 130
	default:
		fmt.Fprintln(stderr, "devstack:", err)
		return 1
	}
}
