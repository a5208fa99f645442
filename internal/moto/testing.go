//go:build unix

package moto

import (
	"context"
	"os"
	"testing"
	"time"
)

// ForTest returns the endpoint of a moto server for t.
//
// When $FERRY_MOTO_ENDPOINT is set (make unit, `go run ./internal/devstack
// exec`, or a sourced .dev/env) that shared server is returned and must not
// be reset: isolate state with names unique to the test. Otherwise a private
// server is started for t and stopped at cleanup.
func ForTest(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := Ping(ctx, nil, ep); err != nil {
			t.Fatalf("shared moto from $%s: %v", EnvEndpoint, err)
		}
		return ep
	}
	return StartForTest(t, Options{}).Endpoint
}

// StartForTest always starts a private server for t, configured by opts
// (for instance Env: "MOTO_ECS_SERVICE_RUNNING=1", which a shared server
// cannot change), and stops it at cleanup. Its owner may Reset it.
func StartForTest(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("starting a private moto_server (install it with `go run ./internal/devstack up` or pip install 'moto[server]==%s'): %v", Version, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping moto_server: %v", err)
		}
	})
	return s
}
