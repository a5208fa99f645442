//go:build unix

package s3sync

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/moto"
)

// countingLister counts the ListObjectsV2 calls and their prefixes.
type countingLister struct {
	*s3.Client
	calls    atomic.Int32
	prefixes chan string
}

func (c *countingLister) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.calls.Add(1)
	c.prefixes <- aws.ToString(in.Prefix)
	return c.Client.ListObjectsV2(ctx, in, o...)
}

// TestRelist: a few objects written under a large prefix are listed one
// by one, and show as a full listing shows them; "a" is not confused
// with "a.bak", which shares its prefix.
func TestRelist(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	ctx := context.Background()
	bucket := fmt.Sprintf("relist-%d", time.Now().UnixNano()%1e9)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p/a", "p/a.bak", "p/b/c.txt", "p/z"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	full, _, err := New(c, Config{}).list(ctx, bucket, "p/")
	if err != nil {
		t.Fatal(err)
	}
	// A plan as of a prefix of 5,000 objects: five pages to list again.
	p := &Plan{Options: Options{Bucket: bucket, Prefix: "p", Concurrency: 8}, listing: map[string]object{}}
	for i := range 5000 {
		p.listing[fmt.Sprintf("x%04d", i)] = object{}
	}
	lister := &countingLister{Client: c, prefixes: make(chan string, 10)}
	written := map[string]string{"a": "", "b/c.txt": "", "gone": ""}
	now, err := New(lister, Config{}).relist(ctx, p, written)
	if err != nil {
		t.Fatal(err)
	}
	if n := lister.calls.Load(); n != 3 {
		t.Errorf("want 3 single-key listings, have %d", n)
	}
	close(lister.prefixes)
	for prefix := range lister.prefixes {
		if !strings.HasPrefix(prefix, "p/") {
			t.Errorf("listed prefix %q", prefix)
		}
	}
	if len(now) != 2 || now["a"] != full["a"] || now["b/c.txt"] != full["b/c.txt"] {
		t.Errorf("single-key listings differ from the full one:\nfull %+v\nhave %+v", full, now)
	}
	if now["a"].size != 3 {
		t.Errorf("p/a: want its own 3 bytes, have %+v", now["a"])
	}

	// Many objects written: the whole prefix is listed again.
	lister = &countingLister{Client: c, prefixes: make(chan string, 10)}
	many := map[string]string{}
	for i := range 100 {
		many[fmt.Sprintf("y%03d", i)] = ""
	}
	if _, err := New(lister, Config{}).relist(ctx, p, many); err != nil {
		t.Fatal(err)
	}
	if n := lister.calls.Load(); n != 1 {
		t.Errorf("100 written: want one listing of the prefix, have %d calls", n)
	}
}
