// Package moto runs moto_server, the local AWS emulator, for tests and for
// the developer stack.
//
// [Start] launches moto_server on a free loopback port and returns once it
// answers; [Server.Stop] ends it. [Env] gives the environment that points the
// AWS SDKs and CLIs at a server: the endpoint, dummy credentials, a region and
// AWS_EC2_METADATA_DISABLED=true, because the instance metadata address
// (169.254.169.254) must never be reached from a test.
//
// # Shared and private servers
//
// [ForTest] returns the endpoint of the server named by $FERRY_MOTO_ENDPOINT
// when it is set — `go run ./internal/devstack exec -- go test ./...` and
// `make unit` set it so that every package shares one server — and otherwise
// starts a private server for the one test and stops it at cleanup.
//
// A shared server holds the state of every test that runs against it, in
// every package, at the same time. Tests therefore isolate themselves by
// unique resource names (clusters, buckets, repositories, roles named after
// the test) and never call [Reset] on a shared server: only the owner of a
// private server may reset it.
//
// The package is quiet: it writes nothing to the process's output. The
// server's own output goes to a log file ([Options.LogPath]) or to a small
// in-memory tail that startup errors quote.
package moto
