// Package cdntest makes CloudFront distributions in moto for tests and
// reads back the invalidations created in them.
package cdntest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Client returns a CloudFront client for the moto at endpoint.
func Client(endpoint string) *cloudfront.Client {
	return cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

var seq atomic.Int64

// Origin is one origin of a distribution to create.
type Origin struct {
	ID, DomainName, Path string
}

// S3Origin is an origin on bucket's S3 REST endpoint with an origin path.
func S3Origin(bucket, path string) Origin {
	return Origin{ID: "s3-" + bucket, DomainName: bucket + ".s3.us-east-1.amazonaws.com", Path: path}
}

// NewDistribution creates a distribution whose default behaviour goes to
// the first origin, and returns its id.
func NewDistribution(t testing.TB, endpoint string, origins ...Origin) string {
	t.Helper()
	var items []types.Origin
	for _, o := range origins {
		item := types.Origin{Id: aws.String(o.ID), DomainName: aws.String(o.DomainName), OriginPath: aws.String(o.Path)}
		if strings.HasSuffix(o.DomainName, ".amazonaws.com") {
			item.S3OriginConfig = &types.S3OriginConfig{OriginAccessIdentity: aws.String("")}
		} else {
			item.CustomOriginConfig = &types.CustomOriginConfig{HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: types.OriginProtocolPolicyHttpsOnly}
		}
		items = append(items, item)
	}
	out, err := Client(endpoint).CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{
		DistributionConfig: &types.DistributionConfig{
			CallerReference: aws.String(fmt.Sprintf("cdntest-%d-%d", time.Now().UnixNano(), seq.Add(1))),
			Comment:         aws.String("ferry test"),
			Enabled:         aws.Bool(true),
			Origins:         &types.Origins{Quantity: aws.Int32(int32(len(items))), Items: items},
			DefaultCacheBehavior: &types.DefaultCacheBehavior{
				TargetOriginId:       aws.String(origins[0].ID),
				ViewerProtocolPolicy: types.ViewerProtocolPolicyRedirectToHttps,
				CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"),
			},
		},
	})
	if err != nil {
		t.Fatalf("creating a CloudFront distribution in moto: %v", err)
	}
	return aws.ToString(out.Distribution.Id)
}

// Invalidation is one invalidation as CloudFront reports it.
type Invalidation struct {
	ID, Status string
	Paths      []string // sorted
}

// Invalidations returns the invalidations of the distribution.
func Invalidations(t testing.TB, endpoint, distributionID string) []Invalidation {
	t.Helper()
	c := Client(endpoint)
	list, err := c.ListInvalidations(context.Background(), &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distributionID)})
	if err != nil {
		t.Fatal(err)
	}
	var out []Invalidation
	if list.InvalidationList == nil {
		return nil
	}
	for _, s := range list.InvalidationList.Items {
		got, err := c.GetInvalidation(context.Background(), &cloudfront.GetInvalidationInput{DistributionId: aws.String(distributionID), Id: s.Id})
		if err != nil {
			t.Fatal(err)
		}
		inv := Invalidation{ID: aws.ToString(got.Invalidation.Id), Status: aws.ToString(got.Invalidation.Status)}
		if b := got.Invalidation.InvalidationBatch; b != nil && b.Paths != nil {
			inv.Paths = append(inv.Paths, b.Paths.Items...)
		}
		sort.Strings(inv.Paths)
		out = append(out, inv)
	}
	return out
}
