package ecr

import (
	"context"
	"fmt"
	"testing"

	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
)

// fakeAPI is for what moto cannot model (malformed tokens, a repository
// appearing only in a listing...). It answers the calls it was given a
// function for and fails the test on any other.
type fakeAPI struct {
	t        testing.TB
	token    func(*awsecr.GetAuthorizationTokenInput) (*awsecr.GetAuthorizationTokenOutput, error)
	describe func(*awsecr.DescribeRepositoriesInput) (*awsecr.DescribeRepositoriesOutput, error)
}

func (f *fakeAPI) unexpected(op string) error {
	f.t.Helper()
	f.t.Errorf("unexpected ECR call %s", op)
	return fmt.Errorf("fake ECR: unexpected call %s", op)
}

func (f *fakeAPI) GetAuthorizationToken(_ context.Context, in *awsecr.GetAuthorizationTokenInput, _ ...func(*awsecr.Options)) (*awsecr.GetAuthorizationTokenOutput, error) {
	if f.token == nil {
		return nil, f.unexpected("GetAuthorizationToken")
	}
	return f.token(in)
}

func (f *fakeAPI) DescribeRepositories(_ context.Context, in *awsecr.DescribeRepositoriesInput, _ ...func(*awsecr.Options)) (*awsecr.DescribeRepositoriesOutput, error) {
	if f.describe == nil {
		return nil, f.unexpected("DescribeRepositories")
	}
	return f.describe(in)
}

func (f *fakeAPI) CreateRepository(context.Context, *awsecr.CreateRepositoryInput, ...func(*awsecr.Options)) (*awsecr.CreateRepositoryOutput, error) {
	return nil, f.unexpected("CreateRepository")
}

func (f *fakeAPI) GetLifecyclePolicy(context.Context, *awsecr.GetLifecyclePolicyInput, ...func(*awsecr.Options)) (*awsecr.GetLifecyclePolicyOutput, error) {
	return nil, f.unexpected("GetLifecyclePolicy")
}

func (f *fakeAPI) PutLifecyclePolicy(context.Context, *awsecr.PutLifecyclePolicyInput, ...func(*awsecr.Options)) (*awsecr.PutLifecyclePolicyOutput, error) {
	return nil, f.unexpected("PutLifecyclePolicy")
}
