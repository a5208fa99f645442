package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/cdntest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/s3sync"
)

// siteFixture is a bucket in moto, a CloudFront distribution serving its
// "site" prefix, and a local site to sync.
type siteFixture struct {
	endpoint, bucket, distribution, dir string
	s3                                  *s3.Client
}

func newSiteFixture(t *testing.T) siteFixture {
	t.Helper()
	endpoint := moto.ForTest(t)
	f := siteFixture{endpoint: endpoint, bucket: strings.ReplaceAll(uniqueRepo("site"), "/", "-"), dir: t.TempDir()}
	f.s3 = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	if _, err := f.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(f.bucket)}); err != nil {
		t.Fatal(err)
	}
	f.distribution = cdntest.NewDistribution(t, endpoint, cdntest.S3Origin(f.bucket, "/site"))
	for p, content := range map[string]string{
		"index.html":       "<h1>home</h1>",
		"about/index.html": "<h1>about</h1>",
		"assets/app.js":    "console.log(1)",
		"assets/app.css":   "body{}",
		"robots.txt":       "User-agent: *",
	} {
		f.write(t, p, content)
	}
	return f
}

func (f siteFixture) write(t *testing.T, p, content string) {
	t.Helper()
	full := filepath.Join(f.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f siteFixture) touchAll(t *testing.T) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	if err := filepath.WalkDir(f.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, later, later)
	}); err != nil {
		t.Fatal(err)
	}
}

func (f siteFixture) put(t *testing.T, key, body string) {
	t.Helper()
	if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// contents returns key → ETag of every object in the bucket.
func (f siteFixture) contents(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(f.s3, &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToString(o.ETag) + aws.ToTime(o.LastModified).String()
		}
	}
	return out
}

func (f siteFixture) body(t *testing.T, key string) string {
	t.Helper()
	out, err := f.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

func changedFiles(t *testing.T, outputs map[string]string) []string {
	t.Helper()
	var keys []string
	if err := json.Unmarshal([]byte(outputs["changed-files"]), &keys); err != nil {
		t.Fatalf("changed-files %q: %v", outputs["changed-files"], err)
	}
	return keys
}

// TestSyncS3CloudFrontGitHub syncs through the action.yml three times: the
// first upload with an invalidation following the origin path, a re-sync
// after a fresh checkout (nothing uploaded, nothing invalidated), and one
// page changed (its three paths invalidated).
func TestSyncS3CloudFrontGitHub(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	f.put(t, "outside/keep.txt", "not ours")
	step := actiontest.GitHubStep{
		Action: "sync-s3-cloudfront",
		With: map[string]string{
			"source": f.dir, "bucket": f.bucket, "prefix": "site", "delete": "true",
			"cache-control":   "**/*.html=no-cache\nassets/**=public, max-age=31536000, immutable",
			"distribution-id": f.distribution, "wait-for-invalidation": "true", "timeout": "2m",
		},
		Env: trafficEnv(f.endpoint),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	want := map[string]string{"uploaded": "5", "metadata-updated": "0", "deleted": "1", "unchanged": "0", "bytes-uploaded": "60"}
	for k, v := range want {
		if res.Outputs[k] != v {
			t.Errorf("output %s: want %q, have %q", k, v, res.Outputs[k])
		}
	}
	wantKeys := []string{"site/about/index.html", "site/assets/app.css", "site/assets/app.js", "site/index.html", "site/robots.txt", "site/stale.txt"}
	if have := changedFiles(t, res.Outputs); !reflect.DeepEqual(have, wantKeys) {
		t.Errorf("changed-files:\nwant %q\nhave %q", wantKeys, have)
	}
	invs := cdntest.Invalidations(t, f.endpoint, f.distribution)
	wantPaths := []string{"/", "/about", "/about/", "/about/index.html", "/assets/app.css", "/assets/app.js", "/index.html", "/robots.txt", "/stale.txt"}
	if len(invs) != 1 || invs[0].ID != res.Outputs["invalidation-id"] || !reflect.DeepEqual(invs[0].Paths, wantPaths) {
		t.Errorf("invalidations: want one with %q and id %q, have %+v", wantPaths, res.Outputs["invalidation-id"], invs)
	}
	if f.body(t, "outside/keep.txt") != "not ours" {
		t.Error("an object outside the prefix changed")
	}
	for _, w := range []string{"### ferry sync-s3-cloudfront", "| 5 | 0 | 1 | 0 | 60 B |", "Invalidation `" + res.Outputs["invalidation-id"] + "`", "| `site/stale.txt` | delete | not in the source |"} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}

	// A fresh checkout: every mtime is new, nothing is.
	f.touchAll(t)
	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["uploaded"] != "0" || res.Outputs["unchanged"] != "5" || res.Outputs["invalidation-id"] != "" || res.Outputs["changed-files"] != "[]" {
		t.Errorf("re-sync: want nothing uploaded nor invalidated, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	if n := len(cdntest.Invalidations(t, f.endpoint, f.distribution)); n != 1 {
		t.Errorf("re-sync created an invalidation (%d in all)", n)
	}

	f.write(t, "about/index.html", "<h1>About</h1>") // same size
	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["uploaded"] != "1" || res.Outputs["changed-files"] != `["site/about/index.html"]` {
		t.Errorf("one page changed: have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	for _, inv := range cdntest.Invalidations(t, f.endpoint, f.distribution) {
		if inv.ID == res.Outputs["invalidation-id"] && !reflect.DeepEqual(inv.Paths, []string{"/about", "/about/", "/about/index.html"}) {
			t.Errorf("invalidation of the changed page: %q", inv.Paths)
		}
	}
	if f.body(t, "site/about/index.html") != "<h1>About</h1>" {
		t.Error("the changed page is not in the bucket")
	}
}

// TestSyncS3CloudFrontDryRun prints the plan and changes nothing: not
// the bucket, not the distribution.
func TestSyncS3CloudFrontDryRun(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	f.put(t, "site/robots.txt", "User-agent: *")
	before := f.contents(t)
	summary := filepath.Join(t.TempDir(), "summary.md")
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"sync-s3-cloudfront", "--source", f.dir, "--bucket", f.bucket, "--prefix", "site", "--delete",
			"--distribution-id", f.distribution, "--dry-run", "--output", "json"},
		Env: merge(trafficEnv(f.endpoint), map[string]string{"FERRY_SUMMARY": summary}),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out["uploaded"] != "4" || out["metadata-updated"] != "1" || out["deleted"] != "1" || out["invalidation-id"] != "" {
		t.Errorf("outputs: want the plan's counts (4 uploads, 1 update, 1 delete) and no invalidation, have %v", out)
	}
	for _, w := range []string{`upload "site/assets/app.js" (new)`, `update-metadata "site/robots.txt" (content-type "`, `delete "site/stale.txt" (not in the source)`, "invalidate " + f.distribution + ": /"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("log lacks %q:\n%s", w, res.Stderr)
		}
	}
	if !strings.Contains(res.Summary, "(dry run: nothing changed)") || !strings.Contains(res.Summary, "Would invalidate") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	if after := f.contents(t); !reflect.DeepEqual(before, after) {
		t.Errorf("a dry run changed the bucket:\nbefore %v\nafter  %v", before, after)
	}
	if n := len(cdntest.Invalidations(t, f.endpoint, f.distribution)); n != 0 {
		t.Errorf("a dry run created %d invalidations", n)
	}
}

// TestSyncS3CloudFrontFailedUpload: S3 refuses one asset (through a proxy
// in front of moto). With one request at a time, in key order, the asset
// before it is uploaded and the rest not; the HTML and the deletion are
// not made, the run fails naming the key, and what was uploaded is
// invalidated (a rerun would find it unchanged).
func TestSyncS3CloudFrontFailedUpload(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	proxy := faultproxy.New(t, f.endpoint, faultproxy.Options{Script: func(c faultproxy.Call, _ int) faultproxy.Fault {
		if c.Action == "PutObject" && strings.HasSuffix(c.Path, "/site/assets/app.js") {
			return faultproxy.Forbidden
		}
		return faultproxy.None
	}})
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"sync-s3-cloudfront", "--source", f.dir, "--bucket", f.bucket, "--prefix", "site", "--delete",
			"--distribution-id", f.distribution, "--concurrency", "1"},
		Env: trafficEnv(proxy.URL),
	})
	if res.Code != 1 {
		t.Fatalf("exit code: want 1, have %d\n%s", res.Code, res.Stderr)
	}
	for _, w := range []string{"site/assets/app.js", "AccessDenied", "1 deletions skipped"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	have := f.contents(t)
	if _, ok := have["site/stale.txt"]; !ok {
		t.Error("site/stale.txt was deleted after a failed upload")
	}
	if _, ok := have["site/assets/app.css"]; !ok {
		t.Error("site/assets/app.css, before the failure, was not uploaded")
	}
	for _, k := range []string{"site/index.html", "site/about/index.html", "site/assets/app.js", "site/robots.txt", "site/" + s3sync.ManifestName} {
		if _, ok := have[k]; ok {
			t.Errorf("%s was written after the failure", k)
		}
	}
	if proxy.Stats().Faulted != 1 {
		t.Errorf("want exactly one refused PUT, have %+v", proxy.Stats())
	}
	for _, w := range []string{"uploaded=1", "deleted=0", `changed-files=["site/assets/app.css"]`} {
		if !strings.Contains(res.Stdout, w) {
			t.Errorf("outputs lack %s:\n%s", w, res.Stdout)
		}
	}
	invs := cdntest.Invalidations(t, f.endpoint, f.distribution)
	if len(invs) != 1 || !reflect.DeepEqual(invs[0].Paths, []string{"/assets/app.css"}) {
		t.Errorf("want /assets/app.css invalidated, have %+v", invs)
	}
}

// TestSyncS3CloudFrontRefusals: bad inputs exit 2 and the max-delete
// guard exits 1; in every case nothing is written.
func TestSyncS3CloudFrontRefusals(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	for i := range 3 {
		f.put(t, fmt.Sprintf("site/old-%d.txt", i), "old")
	}
	before := f.contents(t)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing source", []string{"--source", filepath.Join(f.dir, "nope"), "--bucket", f.bucket}, 2, []string{`input "source": expected an existing directory`}},
		{"bad bucket and rules, all at once", []string{"--source", f.dir, "--bucket", "Not_A_Bucket", "--cache-control", "no-glob", "--compress", "**/*.js=zstd", "--content-type", "*.x=bad type", "--exclude", "[bad"},
			2, []string{`input "bucket"`, `input "cache-control": line 1: expected glob=value`, `input "compress": line 1: expected "gzip" or "br"`, `input "content-type": line 1: expected a media type`, `input "exclude": expected a valid glob`}},
		{"wait without a distribution", []string{"--source", f.dir, "--bucket", f.bucket, "--wait-for-invalidation"}, 2, []string{`input "wait-for-invalidation": expected distribution-id as well`}},
		{"limits", []string{"--source", f.dir, "--bucket", f.bucket, "--invalidation-max-paths", "0", "--concurrency", "0", "--max-delete", "-1"},
			2, []string{`input "invalidation-max-paths": expected 1 to 3000, found 0`, `input "concurrency": expected 1 to 256, found 0`, `input "max-delete": expected 0 or more, found -1`}},
		{"malformed distribution id", []string{"--source", f.dir, "--bucket", f.bucket, "--distribution-id", "dist-1"}, 2, []string{`input "distribution-id": expected a CloudFront distribution id`}},
		{"unknown distribution", []string{"--source", f.dir, "--bucket", f.bucket, "--distribution-id", "E0000000000000"}, 2, []string{`input "distribution-id"`, "no such CloudFront distribution"}},
		{"too many deletions", []string{"--source", f.dir, "--bucket", f.bucket, "--prefix", "site", "--delete", "--max-delete", "2"}, 1, []string{`3 objects under s3://` + f.bucket + `/site/ have no file in the source and input "max-delete" allows 2; nothing was changed`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: append([]string{"sync-s3-cloudfront"}, tt.args...), Env: trafficEnv(f.endpoint)})
			if res.Code != tt.code {
				t.Errorf("exit code: want %d, have %d\n%s", tt.code, res.Code, res.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
				}
			}
		})
	}
	after := f.contents(t)
	if !reflect.DeepEqual(before, after) {
		keys := func(m map[string]string) []string {
			var out []string
			for k := range m {
				out = append(out, k)
			}
			sort.Strings(out)
			return out
		}
		t.Errorf("refused runs wrote:\nbefore %q\nafter  %q", keys(before), keys(after))
	}
}
