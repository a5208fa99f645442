package cdn_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/ferry-ci/ferry/pkg/cdn"
)

// fakeCloudFront answers CreateInvalidation with busy errors first, and
// GetInvalidation with the statuses given, in order. Any other call
// fails the test.
type fakeCloudFront struct {
	t        testing.TB
	busy     int      // CreateInvalidation calls answered TooManyInvalidationsInProgress
	statuses []string // GetInvalidation answers, the last repeated

	mu      sync.Mutex
	creates []*cloudfront.CreateInvalidationInput
	gets    int
}

func (f *fakeCloudFront) GetDistributionConfig(context.Context, *cloudfront.GetDistributionConfigInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionConfigOutput, error) {
	f.t.Error("unexpected GetDistributionConfig")
	return nil, errors.New("unexpected call")
}

func (f *fakeCloudFront) CreateInvalidation(_ context.Context, in *cloudfront.CreateInvalidationInput, _ ...func(*cloudfront.Options)) (*cloudfront.CreateInvalidationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, in)
	if len(f.creates) <= f.busy {
		return nil, &types.TooManyInvalidationsInProgress{Message: aws.String("Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.")}
	}
	return &cloudfront.CreateInvalidationOutput{Invalidation: &types.Invalidation{Id: aws.String("I2J0I21PCUYOIK"), Status: aws.String("InProgress")}}, nil
}

func (f *fakeCloudFront) GetInvalidation(_ context.Context, in *cloudfront.GetInvalidationInput, _ ...func(*cloudfront.Options)) (*cloudfront.GetInvalidationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.Id) != "I2J0I21PCUYOIK" {
		f.t.Errorf("GetInvalidation of %q", aws.ToString(in.Id))
	}
	status := f.statuses[min(f.gets, len(f.statuses)-1)]
	f.gets++
	return &cloudfront.GetInvalidationOutput{Invalidation: &types.Invalidation{Id: in.Id, Status: aws.String(status)}}, nil
}

func fastConfig() cdn.Config {
	return cdn.Config{RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 40 * time.Millisecond, PollInterval: 10 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond}
}

// TestCreateRetriesWhileBusy: TooManyInvalidationsInProgress is retried
// with the same caller reference until CloudFront accepts.
func TestCreateRetriesWhileBusy(t *testing.T) {
	t.Parallel()
	f := &fakeCloudFront{t: t, busy: 3}
	inv := cdn.New(f, fastConfig())
	id, err := inv.Create(context.Background(), "E2QWRUHAPOMQZL", []string{"/index.html", "/"})
	if err != nil || id != "I2J0I21PCUYOIK" {
		t.Fatalf("want the invalidation id, have %q %v", id, err)
	}
	if len(f.creates) != 4 {
		t.Errorf("want 4 attempts, have %d", len(f.creates))
	}
	ref := aws.ToString(f.creates[0].InvalidationBatch.CallerReference)
	for i, in := range f.creates {
		if have := aws.ToString(in.InvalidationBatch.CallerReference); have != ref || !strings.HasPrefix(have, "ferry-") {
			t.Errorf("attempt %d: caller reference %q, want the first one %q", i+1, have, ref)
		}
		if q := aws.ToInt32(in.InvalidationBatch.Paths.Quantity); q != 2 || len(in.InvalidationBatch.Paths.Items) != 2 {
			t.Errorf("attempt %d: quantity %d, items %q", i+1, q, in.InvalidationBatch.Paths.Items)
		}
	}
}

// TestCreateGivesUpWithTheContext: busy until the deadline → an error
// that says so.
func TestCreateGivesUpWithTheContext(t *testing.T) {
	t.Parallel()
	f := &fakeCloudFront{t: t, busy: 1 << 30}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := cdn.New(f, fastConfig()).Create(ctx, "E2QWRUHAPOMQZL", []string{"/*"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still too many invalidations in progress") {
		t.Errorf("want a deadline error naming the cause, have %v", err)
	}
	if n := len(f.creates); n < 3 {
		t.Errorf("want several attempts before the deadline, have %d", n)
	}
}

// TestWaitStatusCaseInsensitive: "COMPLETED" (moto) and "Completed"
// (AWS) both end the wait; polls grow up to the maximum.
func TestWaitStatusCaseInsensitive(t *testing.T) {
	t.Parallel()
	for _, final := range []string{"Completed", "COMPLETED", "completed"} {
		t.Run(final, func(t *testing.T) {
			t.Parallel()
			f := &fakeCloudFront{t: t, statuses: []string{"InProgress", "InProgress", "InProgress", final}}
			if err := cdn.New(f, fastConfig()).Wait(context.Background(), "E2QWRUHAPOMQZL", "I2J0I21PCUYOIK"); err != nil {
				t.Fatal(err)
			}
			if f.gets != 4 {
				t.Errorf("want 4 polls, have %d", f.gets)
			}
		})
	}
	f := &fakeCloudFront{t: t, statuses: []string{"InProgress"}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := cdn.New(f, fastConfig()).Wait(ctx, "E2QWRUHAPOMQZL", "I2J0I21PCUYOIK")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `status "InProgress"`) {
		t.Errorf("want a deadline error with the last status, have %v", err)
	}
}
