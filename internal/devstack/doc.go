// Command devstack runs the local AWS stack (moto_server) for development
// and tests.
//
//	go run ./internal/devstack up [-dir DIR]     start a detached moto, write DIR/.dev/{moto.pid,env,moto.log}
//	go run ./internal/devstack down [-dir DIR]   stop it and remove DIR/.dev/{moto.pid,env}
//	go run ./internal/devstack exec -- CMD ARGS  run CMD against a private moto, then stop it
//
// `up` is idempotent: a stack that is already up and answering is reused.
// Load its environment into a shell with `set -a; . .dev/env; set +a`.
//
// `exec` adds the moto environment (AWS_ENDPOINT_URL, dummy credentials,
// AWS_REGION, AWS_EC2_METADATA_DISABLED=true, FERRY_MOTO_ENDPOINT) to CMD's
// environment, forwards SIGINT and SIGTERM to CMD, stops moto however CMD
// ends, and exits with CMD's exit status.
package main
