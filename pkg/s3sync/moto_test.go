//go:build unix

package s3sync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/pkg/s3sync"
)

// site is a small static site: HTML, assets, nested pages.
func site() map[string]string {
	return map[string]string{
		"index.html":         "<h1>home</h1>",
		"about/index.html":   "<h1>about</h1>",
		"assets/app.js":      "console.log('app');",
		"assets/app.css":     "body{color:red}",
		"assets/logo.svg":    "<svg xmlns='http://www.w3.org/2000/svg'/>",
		"assets/img/pic.png": "\x89PNG fake bytes",
		"robots.txt":         "User-agent: *",
	}
}

func syncOnce(t *testing.T, s *s3sync.Syncer, o s3sync.Options) (*s3sync.Plan, s3sync.Result) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Plan(ctx, o)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	res, err := s.Apply(ctx, p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p, res
}

func ops(p *s3sync.Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Changes {
		out[c.Rel] = c.Op.String()
	}
	return out
}

// TestFirstSyncAndFreshCheckout: the first sync uploads everything with
// the right headers; after every mtime changed (a fresh checkout) a
// re-sync uploads nothing and reads no object header: one listing and
// the manifest.
func TestFirstSyncAndFreshCheckout(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	dir := writeTree(t, site())
	cc, _ := s3sync.ParseRules(s3sync.CacheControlRule, []string{"**/*.html=no-cache", "assets/**=public, max-age=31536000, immutable"})
	o := s3sync.Options{Source: dir, Bucket: bucket, Prefix: "/site/", CacheControl: cc}

	p, res := syncOnce(t, s, o)
	if res.Uploaded != 7 || res.Unchanged != 0 || res.MetadataUpdated != 0 || res.Deleted != 0 || !res.ManifestWritten {
		t.Errorf("first sync: want 7 uploads and the manifest, have %+v", res)
	}
	if want := int64(len(strings.Join(slices.Collect(mapValues(site())), ""))); res.BytesUploaded != want {
		t.Errorf("bytes uploaded: want %d, have %d", want, res.BytesUploaded)
	}
	// Order: every non-HTML write before any HTML write.
	writes := rec.written()
	lastAsset, firstHTML := -1, len(writes)
	for i, w := range writes {
		switch {
		case strings.HasSuffix(w, ".html"):
			firstHTML = min(firstHTML, i)
		case strings.HasPrefix(w, "put site/") && !strings.HasSuffix(w, s3sync.ManifestName):
			lastAsset = i
		}
	}
	if lastAsset > firstHTML || writes[len(writes)-1] != "put site/"+s3sync.ManifestName {
		t.Errorf("write order: want assets, then HTML, then the manifest; have %q", writes)
	}
	if p.HeadRequests != 0 {
		t.Errorf("first sync: want no HeadObject, have %d", p.HeadRequests)
	}
	for key, want := range map[string][2]string{
		"site/index.html":         {"text/html; charset=utf-8", "no-cache"},
		"site/about/index.html":   {"text/html; charset=utf-8", "no-cache"},
		"site/assets/app.js":      {"text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		"site/assets/logo.svg":    {"image/svg+xml; charset=utf-8", "public, max-age=31536000, immutable"},
		"site/assets/img/pic.png": {"image/png", "public, max-age=31536000, immutable"},
		"site/robots.txt":         {"text/plain; charset=utf-8", ""},
	} {
		h := head(t, c, bucket, key)
		if have := [2]string{aws.ToString(h.ContentType), aws.ToString(h.CacheControl)}; have != want {
			t.Errorf("%s: want %q, have %q", key, want, have)
		}
		if h.Metadata[s3sync.MetaSHA256] == "" {
			t.Errorf("%s: no %s metadata: %v", key, s3sync.MetaSHA256, h.Metadata)
		}
	}

	touchAll(t, dir, time.Now().Add(time.Hour))
	rec.reset()
	p, res = syncOnce(t, s, o)
	if res.Uploaded != 0 || res.MetadataUpdated != 0 || res.Unchanged != 7 || res.BytesUploaded != 0 || res.ManifestWritten {
		t.Errorf("re-sync after a fresh checkout: want nothing written, have %+v", res)
	}
	if p.HeadRequests != 0 || rec.count("HeadObject") != 0 || rec.writeCount() != 0 {
		t.Errorf("re-sync: want no HeadObject and no write, have calls %v", rec.calls)
	}
	if rec.count("ListObjectsV2") != 1 || rec.count("GetObject") != 1 {
		t.Errorf("re-sync: want one listing and one manifest read, have %v", rec.calls)
	}
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// TestContentChanges: a one-byte edit of a same-size file with its mtime
// kept is uploaded; a header rule change is a copy, not an upload; the
// manifest entry of the copied object is updated so the next run is
// quiet again.
func TestContentChanges(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	files := site()
	files["docs/a b+ü.html"] = "<p>odd name</p>" // CopySource must be URL-encoded
	dir := writeTree(t, files)
	o := s3sync.Options{Source: dir, Bucket: bucket}
	syncOnce(t, s, o)

	// Same size, same mtime, one byte different.
	stamp := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	touchAll(t, dir, stamp)
	writeFile(t, dir, "assets/app.css", "body{color:rex}")
	touchAll(t, dir, stamp)
	rec.reset()
	p, res := syncOnce(t, s, o)
	if have := ops(p); !reflect.DeepEqual(have, map[string]string{"assets/app.css": "upload"}) {
		t.Errorf("one byte changed: want assets/app.css uploaded, have %v", have)
	}
	if res.Uploaded != 1 || res.BytesUploaded != 15 {
		t.Errorf("result: %+v", res)
	}
	if body := contents(t, c, bucket)["assets/app.css"]; body != "body{color:rex}" {
		t.Errorf("assets/app.css in the bucket: %q", body)
	}

	// A new rule for HTML: headers only.
	cc, _ := s3sync.ParseRules(s3sync.CacheControlRule, []string{"**/*.html=no-cache"})
	o.CacheControl = cc
	rec.reset()
	p, res = syncOnce(t, s, o)
	if have := ops(p); !reflect.DeepEqual(have, map[string]string{"index.html": "update-metadata", "about/index.html": "update-metadata", "docs/a b+ü.html": "update-metadata"}) {
		t.Errorf("header rule: want the three pages updated in place, have %v", have)
	}
	if rec.count("CopyObject") != 3 || rec.count("PutObject") != 1 || res.BytesUploaded != 0 || res.MetadataUpdated != 3 {
		t.Errorf("header rule: want 3 copies and only the manifest put, have %v, %+v", rec.calls, res)
	}
	if h := head(t, c, bucket, "docs/a b+ü.html"); aws.ToString(h.CacheControl) != "no-cache" {
		t.Errorf("docs/a b+ü.html after the copy: cache-control %q", aws.ToString(h.CacheControl))
	}
	if h := head(t, c, bucket, "about/index.html"); aws.ToString(h.CacheControl) != "no-cache" || aws.ToString(h.ContentType) != "text/html; charset=utf-8" || h.Metadata[s3sync.MetaSHA256] == "" {
		t.Errorf("about/index.html after the copy: %q %q %v", aws.ToString(h.CacheControl), aws.ToString(h.ContentType), h.Metadata)
	}
	rec.reset()
	p, _ = syncOnce(t, s, o)
	if len(p.Changes) != 0 || p.HeadRequests != 0 || rec.writeCount() != 0 {
		t.Errorf("after the copy: want a quiet run, have %v, %d heads, calls %v", ops(p), p.HeadRequests, rec.calls)
	}
}

// TestManifestIsOnlyAHint: objects changed behind ferry's back (other
// headers, other content of the same size), a deleted manifest and a
// corrupt one all lead to the right plan.
func TestManifestIsOnlyAHint(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	dir := writeTree(t, site())
	o := s3sync.Options{Source: dir, Bucket: bucket, Prefix: "www"}
	syncOnce(t, s, o)

	// By hand, a second later (the listing's LastModified has whole
	// seconds): the same bytes with another Content-Type, and other bytes
	// of the same size under the ferry metadata of the old ones.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/robots.txt"), Body: strings.NewReader("User-agent: *"), ContentType: aws.String("application/octet-stream")})
	old := head(t, c, bucket, "www/assets/app.js")
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/assets/app.js"), Body: strings.NewReader("console.log('bad');"),
		ContentType: aws.String("text/javascript; charset=utf-8"), Metadata: old.Metadata})
	p, _ := syncOnce(t, s, o)
	if have := ops(p); !reflect.DeepEqual(have, map[string]string{"robots.txt": "update-metadata", "assets/app.js": "upload"}) {
		t.Errorf("hand-edited objects: want robots.txt updated and app.js uploaded, have %v", have)
	}
	if p.HeadRequests != 2 {
		t.Errorf("want the 2 hand-edited objects read with HeadObject, have %d", p.HeadRequests)
	}

	for _, tt := range []struct {
		name   string
		damage func()
	}{
		{"manifest deleted", func() {
			if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/" + s3sync.ManifestName)}); err != nil {
				t.Fatal(err)
			}
		}},
		{"manifest corrupt", func() {
			put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/" + s3sync.ManifestName), Body: strings.NewReader("not gzip")})
		}},
	} {
		tt.damage()
		p, res := syncOnce(t, s, o)
		if len(p.Changes) != 0 || p.HeadRequests != 7 || !res.ManifestWritten {
			t.Errorf("%s: want no change, 7 HeadObject and the manifest rewritten; have %v, %d, %+v", tt.name, ops(p), p.HeadRequests, res)
		}
		if p, _ := syncOnce(t, s, o); p.HeadRequests != 0 {
			t.Errorf("%s: after the rewrite: want no HeadObject, have %d", tt.name, p.HeadRequests)
		}
	}
	if _, ok := contents(t, c, bucket)["www/"+s3sync.ManifestName]; !ok {
		t.Error("the manifest is missing")
	}
}

// TestSSEKMSLikeETags: when ETags are not MD5s (SSE-KMS), the stored
// SHA-256 HeadObject shows decides, with or without the manifest.
func TestSSEKMSLikeETags(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	rec.etagOf = func(etag string) string { return `"` + strings.Repeat("9", 24) + strings.Trim(etag, `"`)[:8] + `"` }
	s := s3sync.New(rec, s3sync.Config{})
	dir := writeTree(t, site())
	o := s3sync.Options{Source: dir, Bucket: bucket}
	syncOnce(t, s, o)
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(s3sync.ManifestName)}); err != nil {
		t.Fatal(err)
	}
	p, _ := syncOnce(t, s, o)
	if len(p.Changes) != 0 || p.HeadRequests != 7 {
		t.Errorf("without the manifest: want no change after 7 HeadObject, have %v, %d", ops(p), p.HeadRequests)
	}
	// ETags of MD5 form that are not the files' MD5s: only HeadObject
	// tells SSE-KMS from other content, so the manifest never decides.
	writeFile(t, dir, "robots.txt", "User-agent: X")
	p, _ = syncOnce(t, s, o)
	if have := ops(p); !reflect.DeepEqual(have, map[string]string{"robots.txt": "upload"}) || p.HeadRequests != 7 {
		t.Errorf("one changed: want robots.txt uploaded after 7 HeadObject; have %v, %d", have, p.HeadRequests)
	}
}

// TestDeleteAndGuard: deletions need delete: true, stay within
// max-delete (or nothing at all is written), and spare excluded objects.
func TestDeleteAndGuard(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	for _, k := range []string{"old/a.html", "old/b.css", "old/c.js", "keep/notes.txt", "other-prefix.txt"} {
		put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("site/" + k), Body: strings.NewReader(k)})
	}
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("elsewhere.txt"), Body: strings.NewReader("x")})
	dir := writeTree(t, map[string]string{"index.html": "<p>new</p>", "keep/local.txt": "excluded locally too"})
	o := s3sync.Options{Source: dir, Bucket: bucket, Prefix: "site", Exclude: []string{"keep/**"}, Delete: true, MaxDelete: 3}
	before := contents(t, c, bucket)

	p, err := s.Plan(context.Background(), o)
	if !errors.Is(err, s3sync.ErrTooManyDeletes) || !strings.Contains(err.Error(), `4 objects under s3://`+bucket+`/site/ have no file in the source and MaxDelete allows 3`) {
		t.Fatalf("want ErrTooManyDeletes naming max-delete, have %v", err)
	}
	if p == nil || p.Count(s3sync.OpDelete) != 4 {
		t.Errorf("the refused plan should list the 4 deletions")
	}
	if rec.writeCount() != 0 || !reflect.DeepEqual(before, contents(t, c, bucket)) {
		t.Errorf("the guard wrote: %v", rec.calls)
	}

	// 4 of the 5 objects the prefix would hold (4 there, 1 new; keep/**
	// is excluded): more than half.
	o.MaxDelete = 4
	if _, err := s.Plan(context.Background(), o); !errors.Is(err, s3sync.ErrTooManyDeletes) ||
		!strings.Contains(err.Error(), `4 of the 5 objects under s3://`+bucket+`/site/ (once the uploads are in) would be deleted, more than half; set ForceDelete`) {
		t.Fatalf("want ErrTooManyDeletes naming force-delete, have %v", err)
	}
	o.ForceDelete = true
	rec.reset()
	_, res := syncOnce(t, s, o)
	if res.Deleted != 4 || res.Uploaded != 1 {
		t.Errorf("want 4 deleted and 1 uploaded, have %+v", res)
	}
	have := slices.Sorted(mapKeys(contents(t, c, bucket)))
	want := []string{"elsewhere.txt", "site/" + s3sync.ManifestName, "site/index.html", "site/keep/notes.txt"}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("bucket after the sync:\nwant %q\nhave %q", want, have)
	}
	writes := rec.written()
	if len(writes) != 3 || !strings.HasPrefix(writes[1], "delete ") || writes[2] != "put site/"+s3sync.ManifestName {
		t.Errorf("order: want upload, delete, manifest; have %q", writes)
	}

	// Without delete nothing is removed.
	writeFile(t, dir, "index.html", "<p>newer</p>")
	rm := writeTree(t, map[string]string{"x.txt": "x"})
	o = s3sync.Options{Source: rm, Bucket: bucket, Prefix: "site"}
	if p, _ := syncOnce(t, s, o); p.Count(s3sync.OpDelete) != 0 {
		t.Errorf("delete: false planned deletions: %v", ops(p))
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestExcludeAndContentTypes: excluded files stay home; content-type
// overrides come first, detection after.
func TestExcludeAndContentTypes(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	s := s3sync.New(c, s3sync.Config{})
	files := site()
	files["assets/app.js.map"] = "{}"
	files[".git/config"] = "[core]"
	files["drafts/wip.html"] = "wip"
	files["downloads/data.bin"] = "bin"
	files["feeds/latest"] = "<rss/>"
	dir := writeTree(t, files)
	ct, err := s3sync.ParseRules(s3sync.ContentTypeRule, []string{"feeds/*=application/rss+xml", "**/*.bin=application/x-custom"})
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, s, s3sync.Options{Source: dir, Bucket: bucket, Exclude: []string{"**/*.map", ".git/**", "drafts/**"}, ContentType: ct})
	got := contents(t, c, bucket)
	for _, k := range []string{"assets/app.js.map", ".git/config", "drafts/wip.html"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s was uploaded although excluded", k)
		}
	}
	for key, want := range map[string]string{"feeds/latest": "application/rss+xml", "downloads/data.bin": "application/x-custom", "assets/app.css": "text/css; charset=utf-8"} {
		if have := aws.ToString(head(t, c, bucket, key).ContentType); have != want {
			t.Errorf("%s: want %q, have %q", key, want, have)
		}
	}
}

// TestCompression: files are uploaded compressed with Content-Encoding,
// compare unchanged afterwards, and are uploaded again when the encoding
// changes.
func TestCompression(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	s := s3sync.New(c, s3sync.Config{})
	big := strings.Repeat("function f(){return 42}\n", 400)
	files := site()
	files["assets/app.js"] = big
	dir := writeTree(t, files)
	comp, _ := s3sync.ParseRules(s3sync.CompressRule, []string{"**/*.js=br", "**/*.{css,svg}=gzip"})
	o := s3sync.Options{Source: dir, Bucket: bucket, Compress: comp}
	_, res := syncOnce(t, s, o)
	if res.BytesUploaded >= int64(len(big)) {
		t.Errorf("bytes uploaded %d: want less than app.js alone (%d)", res.BytesUploaded, len(big))
	}
	got := contents(t, c, bucket)
	if h := head(t, c, bucket, "assets/app.js"); aws.ToString(h.ContentEncoding) != "br" || aws.ToString(h.ContentType) != "text/javascript; charset=utf-8" {
		t.Errorf("app.js headers: %q %q", aws.ToString(h.ContentEncoding), aws.ToString(h.ContentType))
	}
	if js, err := io.ReadAll(brotli.NewReader(strings.NewReader(got["assets/app.js"]))); err != nil || string(js) != big {
		t.Errorf("app.js does not decompress to the file (%v)", err)
	}
	zr, err := gzip.NewReader(strings.NewReader(got["assets/app.css"]))
	if err != nil {
		t.Fatal(err)
	}
	if css, _ := io.ReadAll(zr); string(css) != files["assets/app.css"] || aws.ToString(head(t, c, bucket, "assets/app.css").ContentEncoding) != "gzip" {
		t.Errorf("app.css: %q", css)
	}
	if _, ok := got["robots.txt"]; !ok || got["robots.txt"] != files["robots.txt"] {
		t.Errorf("robots.txt should be uploaded as is: %q", got["robots.txt"])
	}

	if p, _ := syncOnce(t, s, o); len(p.Changes) != 0 {
		t.Errorf("re-sync of compressed files: want no change, have %v", ops(p))
	}
	o.Compress, _ = s3sync.ParseRules(s3sync.CompressRule, []string{"**/*.js=gzip"})
	p, _ := syncOnce(t, s, o)
	want := map[string]string{"assets/app.js": "upload", "assets/app.css": "upload", "assets/logo.svg": "upload"}
	if have := ops(p); !reflect.DeepEqual(have, want) {
		t.Errorf("encodings changed: want %v, have %v", want, have)
	}
	if !bytes.Equal([]byte(contents(t, c, bucket)["assets/app.css"]), []byte(files["assets/app.css"])) {
		t.Error("app.css should be stored uncompressed now")
	}
}

// TestMultipart: a file above the threshold is uploaded in parts; its
// ETag is not an MD5, and it compares by the stored SHA-256, with and
// without the manifest.
func TestMultipart(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	big := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16) // 11 MiB
	dir := writeTree(t, map[string]string{"video/intro.mp4": string(big), "index.html": "<video>"})
	o := s3sync.Options{Source: dir, Bucket: bucket, MultipartThreshold: 6 << 20, PartSize: s3sync.MinPartSize}
	_, res := syncOnce(t, s, o)
	if rec.count("UploadPart") != 3 || rec.count("CompleteMultipartUpload") != 1 || res.BytesUploaded != int64(len(big))+7 {
		t.Errorf("want 3 parts of 5 MiB, have %v, %+v", rec.calls, res)
	}
	h := head(t, c, bucket, "video/intro.mp4")
	if etag := aws.ToString(h.ETag); !strings.HasSuffix(etag, `-3"`) || aws.ToString(h.ContentType) != "video/mp4" || h.Metadata[s3sync.MetaSHA256] == "" {
		t.Errorf("multipart object: ETag %s, type %q, metadata %v", etag, aws.ToString(h.ContentType), h.Metadata)
	}
	if p, _ := syncOnce(t, s, o); len(p.Changes) != 0 {
		t.Errorf("re-sync: want no change, have %v", ops(p))
	}
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(s3sync.ManifestName)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := syncOnce(t, s, o); len(p.Changes) != 0 || p.HeadRequests != 2 {
		t.Errorf("re-sync without the manifest: want no change after 2 HeadObject, have %v, %d", ops(p), p.HeadRequests)
	}
	big[len(big)/2] ^= 1
	writeFile(t, dir, "video/intro.mp4", string(big))
	if p, _ := syncOnce(t, s, o); !reflect.DeepEqual(ops(p), map[string]string{"video/intro.mp4": "upload"}) {
		t.Errorf("one byte flipped: want the video uploaded, have %v", ops(p))
	}
	if got := contents(t, c, bucket)["video/intro.mp4"]; got != string(big) {
		t.Error("the video in the bucket is not the file")
	}
}

// TestFailedUploadDeletesNothing: one asset fails to upload; the HTML
// pages are not uploaded, nothing is deleted, the manifest is not
// written, and the error names the key.
func TestFailedUploadDeletesNothing(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	dir := writeTree(t, site())
	syncOnce(t, s, s3sync.Options{Source: dir, Bucket: bucket})
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("stale.html"), Body: strings.NewReader("old")})
	for p, content := range site() {
		writeFile(t, dir, p, content+" v2")
	}
	before := contents(t, c, bucket)

	rec.failPut = func(key string) error {
		if key == "assets/app.css" {
			return errors.New("injected failure")
		}
		return nil
	}
	rec.reset()
	o := s3sync.Options{Source: dir, Bucket: bucket, Delete: true, MaxDelete: 10, Concurrency: 2}
	p, err := s.Plan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(context.Background(), p)
	if err == nil || !errors.Is(err, s3sync.ErrDeletesSkipped) || !strings.Contains(err.Error(), "assets/app.css") || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("want an error naming assets/app.css and the skipped deletions, have %v", err)
	}
	if res.DeletesSkipped != 1 || res.Deleted != 0 || res.ManifestWritten {
		t.Errorf("result: want 1 deletion skipped and no manifest, have %+v", res)
	}
	after := contents(t, c, bucket)
	if after["stale.html"] != "old" {
		t.Error("stale.html was deleted after a failed upload")
	}
	for _, k := range []string{"index.html", "about/index.html"} {
		if after[k] != before[k] {
			t.Errorf("%s was uploaded after an asset failed", k)
		}
	}
	for _, w := range rec.written() {
		if strings.HasSuffix(w, ".html") || strings.HasPrefix(w, "delete") || strings.Contains(w, s3sync.ManifestName) {
			t.Errorf("unexpected write after the failure: %s", w)
		}
	}
	for _, c := range res.Applied {
		if c.Key == "assets/app.css" || c.HTML {
			t.Errorf("reported as applied: %s", c)
		}
	}
}

// TestPlanWritesNothing: a plan (what dry-run shows) reads only.
func TestPlanWritesNothing(t *testing.T) {
	t.Parallel()
	c, bucket := newBucket(t)
	rec := record(c)
	s := s3sync.New(rec, s3sync.Config{})
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("gone.txt"), Body: strings.NewReader("x")})
	put(t, c, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("robots.txt"), Body: strings.NewReader("User-agent: *")})
	p, err := s.Plan(context.Background(), s3sync.Options{Source: writeTree(t, site()), Bucket: bucket, Delete: true, MaxDelete: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rec.writeCount() != 0 {
		t.Errorf("plan wrote: %v", rec.calls)
	}
	want := map[string]string{"gone.txt": "delete", "robots.txt": "update-metadata"}
	for k := range site() {
		if k != "robots.txt" {
			want[k] = "upload"
		}
	}
	if have := ops(p); !reflect.DeepEqual(have, want) {
		t.Errorf("plan:\nwant %v\nhave %v", want, have)
	}
	if prev := p.Preview(); prev.Uploaded != 6 || prev.Deleted != 1 || prev.MetadataUpdated != 1 {
		t.Errorf("preview: %+v", prev)
	}
}
