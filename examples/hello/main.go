// Command hello is the example service that ferry's reference
// infrastructure (examples/infra) runs as the blue and green ECS services.
//
//	GET  /          a greeting and the version: {"greeting":"hello, world","version":"v1.2.3"}
//	                (?name=ferry greets ferry)
//	POST /echo      what it received, as JSON: {"received":…,"bytes":n}; a JSON
//	                body is echoed as JSON, anything else as a string
//	GET  /healthz   "ok", for the load balancer's health check
//
// It listens on :$PORT (default 8080), reports its version from
// $APP_VERSION (default "dev"), and on SIGTERM — ECS's stop signal — stops
// accepting connections and finishes the requests in flight.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

// shutdownGrace bounds the wait for requests in flight after a stop signal;
// ECS waits 30s (stopTimeout) before SIGKILL.
const shutdownGrace = 20 * time.Second

// run serves until ctx is cancelled, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, logTo io.Writer) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(logTo, nil))
	return serve(ctx, ln, newHandler(version(getenv), log), log)
}

// serve serves h on ln until ctx is cancelled, then stops accepting
// connections and waits (up to shutdownGrace) for requests in flight.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func version(getenv func(string) string) string {
	if v := getenv("APP_VERSION"); v != "" {
		return v
	}
	return "dev"
}
