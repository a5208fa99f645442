package ecr_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/config"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/ferry-ci/ferry/pkg/ecr"
)

// EnsureRepository makes sure the repository is there before a push, and
// the keychain logs go-containerregistry into its registry. Secrets go to a
// masking function before anything can log them.
func ExampleClient_EnsureRepository() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := ecr.New(awsecr.NewFromConfig(cfg), ecr.Options{
		Logger:   slog.Default(),
		OnSecret: func(secret string) { /* mask secret in the job log */ },
	})
	repo, err := client.EnsureRepository(ctx, ecr.RepositoryOptions{
		Name:          "app/web",
		Create:        true,
		ScanOnPush:    true,
		TagMutability: "IMMUTABLE",
		LifecycleKeep: 30,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(repo.URI, repo.Created, repo.LifecycleChanged)

	// Pass it to remote.Write with remote.WithAuthFromKeychain(keychain).
	keychain := client.Keychain(ecr.KeychainOptions{Fallback: authn.DefaultKeychain})
	_ = keychain
}

func ExampleRepositoryOptions_Validate() {
	err := ecr.RepositoryOptions{
		Name:          "App Web",
		TagMutability: "sometimes",
		LifecycleKeep: -1,
	}.Validate()
	fmt.Println(err)
	// Output:
	// Name: expected an ECR repository name like "app/web" (2 to 256 characters: lowercase letters and digits, separated by single ".", "_", "-" or "/"), found "App Web"
	// TagMutability: expected MUTABLE, IMMUTABLE, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION, found "sometimes"
	// LifecycleKeep: expected 1 to 10000 (or unset), found -1
}

func ExampleParseRegistryHost() {
	for _, host := range []string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
		"ghcr.io",
	} {
		account, region, ok := ecr.ParseRegistryHost(host)
		fmt.Printf("%q %q %v\n", account, region, ok)
	}
	fmt.Println(ecr.RegistryHost("123456789012", "eu-west-1"))
	// Output:
	// "123456789012" "eu-west-1" true
	// "123456789012" "us-gov-west-1" true
	// "123456789012" "cn-north-1" true
	// "" "" false
	// 123456789012.dkr.ecr.eu-west-1.amazonaws.com
}
