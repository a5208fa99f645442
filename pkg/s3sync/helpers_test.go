//go:build unix

package s3sync_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ferry-ci/ferry/internal/moto"
)

var bucketSeq atomic.Int64

// newBucket makes a bucket named after the test in the shared or private
// moto and returns a client for it.
func newBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	endpoint := moto.ForTest(t)
	c := s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		Credentials:                credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	name := fmt.Sprintf("s3sync-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return c, name
}

// writeTree writes files (path → content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		writeFile(t, dir, p, content)
	}
	return dir
}

func writeFile(t *testing.T, dir, p, content string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// touchAll gives every file a new modification time, as a fresh checkout does.
func touchAll(t *testing.T, dir string, when time.Time) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// contents returns the bucket's objects: key → body.
func contents(t *testing.T, c *s3.Client, bucket string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			out[aws.ToString(o.Key)] = string(b)
		}
	}
	return out
}

func head(t *testing.T, c *s3.Client, bucket, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	return out
}

func put(t *testing.T, c *s3.Client, in *s3.PutObjectInput) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// recorder passes every call to moto and records it: calls per operation
// and the writes in the order they were made. failPut, when set, fails
// the PutObject of a key instead of calling moto. etagOf, when set,
// rewrites the ETags that listings and HeadObject return, and HeadObject
// reports SSE-KMS, as AWS does for SSE-KMS objects (whose ETag is not the
// MD5), which moto does not model.
type recorder struct {
	*s3.Client
	failPut func(key string) error
	etagOf  func(etag string) string

	mu     sync.Mutex
	calls  map[string]int
	writes []string // "put key", "copy key", "delete key", "multipart key"
}

func record(c *s3.Client) *recorder { return &recorder{Client: c, calls: map[string]int{}} }

func (r *recorder) note(op string, write string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[op]++
	if write != "" {
		r.writes = append(r.writes, write)
	}
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[op]
}

func (r *recorder) written() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.writes = map[string]int{}, nil
}

func (r *recorder) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	r.note("ListObjectsV2", "")
	out, err := r.Client.ListObjectsV2(ctx, in, o...)
	if err == nil && r.etagOf != nil {
		for i := range out.Contents {
			out.Contents[i].ETag = aws.String(r.etagOf(aws.ToString(out.Contents[i].ETag)))
		}
	}
	return out, err
}

func (r *recorder) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	r.note("HeadObject", "")
	out, err := r.Client.HeadObject(ctx, in, o...)
	if err == nil && r.etagOf != nil {
		out.ETag = aws.String(r.etagOf(aws.ToString(out.ETag)))
		out.ServerSideEncryption = types.ServerSideEncryptionAwsKms
	}
	return out, err
}

func (r *recorder) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	r.note("GetObject", "")
	return r.Client.GetObject(ctx, in, o...)
}

func (r *recorder) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	key := aws.ToString(in.Key)
	if r.failPut != nil {
		if err := r.failPut(key); err != nil {
			r.note("PutObject", "")
			return nil, err
		}
	}
	r.note("PutObject", "put "+key)
	out, err := r.Client.PutObject(ctx, in, o...)
	if err == nil && r.etagOf != nil {
		out.ETag = aws.String(r.etagOf(aws.ToString(out.ETag)))
	}
	return out, err
}

func (r *recorder) CopyObject(ctx context.Context, in *s3.CopyObjectInput, o ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	r.note("CopyObject", "copy "+aws.ToString(in.Key))
	out, err := r.Client.CopyObject(ctx, in, o...)
	if err == nil && r.etagOf != nil && out.CopyObjectResult != nil {
		out.CopyObjectResult.ETag = aws.String(r.etagOf(aws.ToString(out.CopyObjectResult.ETag)))
	}
	return out, err
}

func (r *recorder) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, o ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	var keys []string
	for _, id := range in.Delete.Objects {
		keys = append(keys, aws.ToString(id.Key))
	}
	r.note("DeleteObjects", "delete "+strings.Join(keys, ","))
	return r.Client.DeleteObjects(ctx, in, o...)
}

func (r *recorder) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, o ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	r.note("CreateMultipartUpload", "multipart "+aws.ToString(in.Key))
	return r.Client.CreateMultipartUpload(ctx, in, o...)
}

func (r *recorder) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	r.note("UploadPart", "")
	return r.Client.UploadPart(ctx, in, o...)
}

func (r *recorder) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, o ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	r.note("CompleteMultipartUpload", "")
	return r.Client.CompleteMultipartUpload(ctx, in, o...)
}

func (r *recorder) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, o ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	r.note("AbortMultipartUpload", "")
	return r.Client.AbortMultipartUpload(ctx, in, o...)
}

// writeCount counts the write calls made.
func (r *recorder) writeCount() int {
	n := 0
	for _, op := range []string{"PutObject", "CopyObject", "DeleteObjects", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} {
		n += r.count(op)
	}
	return n
}
