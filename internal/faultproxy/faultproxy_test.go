package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/awsauth"
)

func config(endpoint string, attempts int) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = 10 * time.Millisecond
			})
		},
	}
}

// calls runs one call of each protocol through the proxy.
func calls(t *testing.T, cfg aws.Config) []error {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, e1 := awsecs.NewFromConfig(cfg).ListClusters(ctx, &awsecs.ListClustersInput{})
	_, e2 := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	_, e3 := cloudwatch.NewFromConfig(cfg, awsauth.CloudWatchQuery).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	_, e4 := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	_, e5 := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, e6 := cloudfront.NewFromConfig(cfg).ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	return []error{e1, e2, e3, e4, e5, e6}
}

// TestThrottleShapes: with one attempt, each protocol's throttle reaches
// the SDK as the error code AWS uses, and the SDK's retryer classifies it
// as throttling.
func TestThrottleShapes(t *testing.T) {
	t.Parallel()
	p := faultproxy.New(t, moto.ForTest(t), faultproxy.Options{Script: func(faultproxy.Call, int) faultproxy.Fault { return faultproxy.Throttle }})
	errs := calls(t, config(p.URL, 1))
	want := []string{"ThrottlingException", "Throttling", "Throttling", "SlowDown", "Throttling", "Throttling"}
	for i, err := range errs {
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != want[i] {
			t.Errorf("call %d: want API error %s, have %v", i, want[i], err)
			continue
		}
		if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
			t.Errorf("call %d: the SDK does not see %s as throttling", i, ae.ErrorCode())
		}
	}
	names := names(p.Calls())
	wantNames := []string{"ecs:ListClusters", "elasticloadbalancing:DescribeLoadBalancers", "cloudwatch:DescribeAlarms", "s3:ListBuckets", "sts:GetCallerIdentity", "cloudfront:ListDistributions"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("calls:\nwant %q\nhave %q", wantNames, names)
	}
}

// TestFaultsAreRetried: two faults of each kind before every call's
// success; the SDK retries through all of them.
func TestFaultsAreRetried(t *testing.T) {
	t.Parallel()
	for _, f := range []faultproxy.Fault{faultproxy.Throttle, faultproxy.ServerError, faultproxy.Unavailable, faultproxy.Reset} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			p := faultproxy.New(t, moto.ForTest(t), faultproxy.Options{Script: func(_ faultproxy.Call, n int) faultproxy.Fault {
				if n < 2 {
					return f
				}
				return faultproxy.None
			}})
			for i, err := range calls(t, config(p.URL, 3)) {
				if err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			}
			if have := p.Faults()[f]; have != 12 {
				t.Errorf("faults: want 12 (2 × 6 calls), have %d", have)
			}
			if have := len(p.Calls()); have != 18 {
				t.Errorf("calls: want 18, have %d", have)
			}
		})
	}
}

// TestResetAfterApplies: the upstream gets the call, the client a reset.
func TestResetAfterApplies(t *testing.T) {
	t.Parallel()
	p := faultproxy.New(t, moto.ForTest(t), faultproxy.Options{Script: func(c faultproxy.Call, n int) faultproxy.Fault {
		if c.Action == "CreateBucket" && n == 0 {
			return faultproxy.ResetAfter
		}
		return faultproxy.None
	}})
	s3c := s3.NewFromConfig(config(p.URL, 1), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("reset-after-%d", time.Now().UnixNano())
	_, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		t.Fatal("CreateBucket: want a connection error, have none")
	}
	if _, err := s3c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("the bucket should exist (the upstream applied the call): %v", err)
	}
	c := p.Calls()[0]
	if c.Status != 0 || c.UpstreamStatus != http.StatusOK || c.Fault != faultproxy.ResetAfter {
		t.Errorf("recorded %+v", c)
	}
}

// TestRates: seeded draws land near the rates, the same for the same seed.
func TestRates(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(up.Close)
	run := func(seed uint64) map[faultproxy.Fault]int {
		p := faultproxy.New(t, up.URL, faultproxy.Options{Seed: seed, Rates: faultproxy.Rates{Throttle: 0.3, ServerError: 0.1}})
		for range 2000 {
			req, _ := http.NewRequest(http.MethodPost, p.URL, strings.NewReader("Action=DescribeListeners"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/elasticloadbalancing/aws4_request")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		return p.Faults()
	}
	a, b := run(7), run(7)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different faults: %v vs %v", a, b)
	}
	for f, want := range map[faultproxy.Fault]float64{faultproxy.Throttle: 600, faultproxy.ServerError: 200} {
		if have := float64(a[f]); math.Abs(have-want) > want*0.2 {
			t.Errorf("%s: want about %.0f of 2000, have %.0f", f, want, have)
		}
	}
}

// TestClassify names S3, CloudFront and registry calls from method and
// path, and tells writes from reads.
func TestClassify(t *testing.T) {
	t.Parallel()
	s3auth := "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request"
	cfauth := "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudfront/aws4_request"
	tests := []struct {
		method, target, auth string
		header               map[string]string
		want                 string
		mutating             bool
	}{
		{"GET", "/site?list-type=2&prefix=a", s3auth, nil, "s3:ListObjectsV2", false},
		{"HEAD", "/site/a/index.html", s3auth, nil, "s3:HeadObject", false},
		{"PUT", "/site/a/index.html", s3auth, nil, "s3:PutObject", true},
		{"PUT", "/site/a/index.html", s3auth, map[string]string{"X-Amz-Copy-Source": "site/a/index.html"}, "s3:CopyObject", true},
		{"POST", "/site?delete", s3auth, nil, "s3:DeleteObjects", true},
		{"POST", "/site/big.bin?uploads", s3auth, nil, "s3:CreateMultipartUpload", true},
		{"PUT", "/site/big.bin?partNumber=1&uploadId=u", s3auth, nil, "s3:UploadPart", true},
		{"POST", "/site/big.bin?uploadId=u", s3auth, nil, "s3:CompleteMultipartUpload", true},
		{"POST", "/2020-05-31/distribution/E1/invalidation", cfauth, nil, "cloudfront:CreateInvalidation", true},
		{"GET", "/2020-05-31/distribution/E1/invalidation/I1", cfauth, nil, "cloudfront:GetInvalidation", false},
		{"GET", "/2020-05-31/distribution/E1/config", cfauth, nil, "cloudfront:GetDistributionConfig", false},
		{"GET", "/2020-05-31/distribution/E1", cfauth, nil, "cloudfront:GetDistribution", false},
		{"HEAD", "/v2/app/blobs/sha256:ab", "", nil, "registry:BatchCheckLayerAvailability", false},
		{"POST", "/v2/app/blobs/uploads/", "", nil, "registry:InitiateLayerUpload", true},
		{"POST", "/v2/app/blobs/uploads/?mount=sha256:ab&from=base", "", nil, "registry:InitiateLayerUpload", true},
		{"PATCH", "/v2/app/blobs/uploads/x", "", nil, "registry:UploadLayerPart", true},
		{"PUT", "/v2/app/blobs/uploads/x?digest=sha256:ab", "", nil, "registry:CompleteLayerUpload", true},
		{"PUT", "/v2/app/manifests/1.2.3", "", nil, "registry:PutImage", true},
		{"HEAD", "/v2/app/manifests/1.2.3", "", nil, "registry:BatchGetImage", false},
		{"POST", "/", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request", map[string]string{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.UpdateService"}, "ecs:UpdateService", true},
		{"POST", "/", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request", nil, "cloudwatch:DescribeAlarms", false},
		{"POST", "/", "", nil, "sts:AssumeRoleWithWebIdentity", false},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			body := ""
			switch {
			case strings.HasPrefix(tc.want, "cloudwatch:"):
				body = "Action=DescribeAlarms&Version=2010-08-01"
			case strings.HasPrefix(tc.want, "sts:"):
				body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=x"
			}
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(body))
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			c := faultproxy.Classify(r, []byte(body))
			if c.Name() != tc.want || c.Mutating() != tc.mutating {
				t.Errorf("want %s (mutating %v), have %s (mutating %v)", tc.want, tc.mutating, c.Name(), c.Mutating())
			}
		})
	}
}

func names(calls []faultproxy.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Name())
	}
	return out
}
