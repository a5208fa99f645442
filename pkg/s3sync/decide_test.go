package s3sync

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDecide covers every way a file and an object compare.
func TestDecide(t *testing.T) {
	t.Parallel()
	file := &localFile{rel: "a.css", size: 10, md5: "0123456789abcdef0123456789abcdef", sha256: strings.Repeat("ab", 32)}
	css := Headers{ContentType: "text/css; charset=utf-8"}
	gz := Headers{ContentType: "text/css; charset=utf-8", ContentEncoding: Gzip}
	withSHA := func(h Headers, sha string) objectMeta { return objectMeta{Headers: h, sha256: sha} }
	tests := []struct {
		name   string
		want   Headers
		obj    object
		meta   objectMeta
		op     Op
		reason string
	}{
		{"single-part ETag is the MD5", css, object{etag: file.md5, size: 10}, withSHA(css, ""), 0, ""},
		{"same size, other MD5, no stored hash", css, object{etag: "ffffffffffffffffffffffffffffffff", size: 10}, withSHA(css, ""), OpUpload, "content changed"},
		{"other size", css, object{etag: file.md5, size: 11}, withSHA(css, file.sha256), OpUpload, "content changed"},
		{"MD5 ETag that differs decides over copied metadata", css, object{etag: "ffffffffffffffffffffffffffffffff", size: 10}, objectMeta{Headers: css, sha256: file.sha256, etagIsMD5: true}, OpUpload, "content changed"},
		{"multipart ETag, stored hash equal", css, object{etag: "0123456789abcdef0123456789abcdef-3", size: 10}, withSHA(css, file.sha256), 0, ""},
		{"multipart ETag, stored hash differs", css, object{etag: "0123456789abcdef0123456789abcdef-3", size: 10}, withSHA(css, strings.Repeat("cd", 32)), OpUpload, "content changed"},
		{"multipart ETag, no stored hash", css, object{etag: "0123456789abcdef0123456789abcdef-3", size: 10}, withSHA(css, ""), OpUpload, "content changed"},
		{"SSE-KMS ETag (not the MD5), stored hash equal", css, object{etag: "99999999999999999999999999999999", size: 10}, withSHA(css, strings.ToUpper(file.sha256)), 0, ""},
		{"compressed, stored hash of the source equal", gz, object{etag: "1111111111111111111111111111111a", size: 4}, withSHA(gz, file.sha256), 0, ""},
		{"compressed, stored hash differs", gz, object{etag: "1111111111111111111111111111111a", size: 4}, withSHA(gz, "00"), OpUpload, "content changed"},
		{"compression added", gz, object{etag: file.md5, size: 10}, withSHA(css, file.sha256), OpUpload, `content-encoding none → "gzip"`},
		{"compression changed", Headers{ContentType: css.ContentType, ContentEncoding: Brotli}, object{etag: "x", size: 4}, withSHA(gz, file.sha256), OpUpload, `content-encoding "gzip" → "br"`},
		{"cache-control only", Headers{ContentType: css.ContentType, CacheControl: "no-cache"}, object{etag: file.md5, size: 10}, withSHA(css, ""), OpUpdateMetadata, `cache-control none → "no-cache"`},
		{"content-type and cache-control", Headers{ContentType: "text/plain", CacheControl: "max-age=1"}, object{etag: file.md5, size: 10}, withSHA(Headers{ContentType: "text/css", CacheControl: "max-age=2"}, ""), OpUpdateMetadata, `content-type "text/css" → "text/plain", cache-control "max-age=2" → "max-age=1"`},
		{"header change of an object over 5 GiB", Headers{ContentType: "video/mp4"}, object{etag: "abc-600", size: 6 << 30}, withSHA(Headers{ContentType: "application/octet-stream"}, file.sha256), OpUpload, `content-type "application/octet-stream" → "video/mp4" (uploaded again: CopyObject takes 5 GiB at most)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := *file
			if tt.obj.size > maxCopySize {
				f.size = tt.obj.size
			}
			op, reason := decide(&f, tt.want, tt.obj, tt.meta)
			if op != tt.op || reason != tt.reason {
				t.Errorf("want %v %q, have %v %q", tt.op, tt.reason, op, reason)
			}
		})
	}
}

func TestIsMD5ETag(t *testing.T) {
	t.Parallel()
	for etag, want := range map[string]bool{
		"d41d8cd98f00b204e9800998ecf8427e":   true,
		"d41d8cd98f00b204e9800998ecf8427e-2": false,
		"D41D8CD98F00B204E9800998ECF8427E":   false, // unquote lower-cases first
		"":                                   false,
	} {
		if have := isMD5ETag(etag); have != want {
			t.Errorf("%q: want %t, have %t", etag, want, have)
		}
	}
	if have := unquote(`"D41D8CD98F00B204E9800998ECF8427E"`); !isMD5ETag(have) {
		t.Errorf("unquote: %q", have)
	}
}

// TestParallelStopsAfterFailure: no call starts after one failed, the
// calls in flight finish, and at most limit run at once.
func TestParallelStopsAfterFailure(t *testing.T) {
	t.Parallel()
	var running, peak, started atomic.Int32
	boom := errors.New("boom")
	errs := parallel(context.Background(), 4, 100, func(_ context.Context, i int) error {
		started.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(errs[10], boom) {
		t.Errorf("call 10: want boom, have %v", errs[10])
	}
	if p := peak.Load(); p > 4 {
		t.Errorf("peak concurrency: want at most 4, have %d", p)
	}
	if s := started.Load(); s >= 100 || s < 11 {
		t.Errorf("calls started: want 11 to %d, have %d", 10+4, s)
	}
}
