//go:build unix

package moto_test

import (
	"fmt"

	"github.com/ferry-ci/ferry/internal/moto"
)

func ExampleEnv() {
	for _, kv := range moto.Env("http://127.0.0.1:5000") {
		fmt.Println(kv)
	}
	// Output:
	// AWS_ENDPOINT_URL=http://127.0.0.1:5000
	// AWS_ACCESS_KEY_ID=testing
	// AWS_SECRET_ACCESS_KEY=testing
	// AWS_REGION=us-east-1
	// AWS_DEFAULT_REGION=us-east-1
	// AWS_EC2_METADATA_DISABLED=true
	// FERRY_MOTO_ENDPOINT=http://127.0.0.1:5000
}
