package awsauth

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// callerIdentityAPI is the one STS call WhoAmI makes.
type callerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Identity is who a set of credentials belongs to.
type Identity struct {
	Account string // 12-digit account ID
	ARN     string // e.g. arn:aws:sts::123456789012:assumed-role/deploy/ferry-run-42
	UserID  string // e.g. AROAEXAMPLE:ferry-run-42
}

// WhoAmI asks STS who the client's credentials belong to.
func WhoAmI(ctx context.Context, client callerIdentityAPI) (Identity, error) {
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("getting caller identity: %w", err)
	}
	return Identity{
		Account: aws.ToString(out.Account),
		ARN:     aws.ToString(out.Arn),
		UserID:  aws.ToString(out.UserId),
	}, nil
}
