package commands_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/cdntest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/pkg/s3sync"
)

// ---- sync-s3-cloudfront

func syncScenarios() []scenario {
	return []scenario{
		{name: "delete and invalidation", action: "sync-s3-cloudfront", chaos: true, setup: syncSite},
		{name: "one upload forbidden", action: "sync-s3-cloudfront", leaks: true, setup: syncUploadForbidden},
	}
}

// syncHeaders is what the synced site's objects must carry: Content-Type
// and Cache-Control by key.
var syncHeaders = map[string][2]string{
	"site/index.html":       {"text/html; charset=utf-8", "no-cache"},
	"site/about/index.html": {"text/html; charset=utf-8", "no-cache"},
	"site/assets/app.js":    {"text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
	"site/assets/app.css":   {"text/css; charset=utf-8", "public, max-age=31536000, immutable"},
	"site/robots.txt":       {"text/plain; charset=utf-8", ""},
}

// syncSite: the five-file site to the "site" prefix with delete (one stale
// object goes, one outside the prefix stays), header rules, and an
// invalidation waited for. Under chaos the bucket must end the same.
func syncSite(t *testing.T, w *world) run {
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	f.put(t, "outside/keep.txt", "not ours")
	return run{
		with: map[string]string{"source": f.dir, "bucket": f.bucket, "prefix": "site", "delete": "true",
			"cache-control":   "**/*.html=no-cache\nassets/**=public, max-age=31536000, immutable",
			"distribution-id": f.distribution, "wait-for-invalidation": "true", "timeout": "2m"},
		check: func(t *testing.T, res actiontest.Result) {
			wantOutputs(t, res, map[string]string{"uploaded": "5", "deleted": "1", "metadata-updated": "0", "unchanged": "0"})
			have := f.contents(t)
			want := append(slices.Collect(maps.Keys(syncHeaders)), "site/"+s3sync.ManifestName, "outside/keep.txt")
			if keys := slices.Sorted(maps.Keys(have)); !slices.Equal(keys, slices.Sorted(slices.Values(want))) {
				t.Errorf("bucket: want %q, have %q", slices.Sorted(slices.Values(want)), keys)
			}
			f.checkObjects(t)
			invs := cdntest.Invalidations(t, f.endpoint, f.distribution)
			if len(invs) != 1 || invs[0].ID != res.Outputs["invalidation-id"] || len(invs[0].Paths) == 0 {
				t.Errorf("invalidations: want one, %q, have %+v", res.Outputs["invalidation-id"], invs)
			}
		},
	}
}

// checkObjects: every object of the site in the bucket has its file's
// bytes, whole, and the headers syncHeaders gives.
func (f siteFixture) checkObjects(t *testing.T) {
	t.Helper()
	for key, h := range syncHeaders {
		out, err := f.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("head %s: %v", key, err)
			continue
		}
		if ct, cc := aws.ToString(out.ContentType), aws.ToString(out.CacheControl); ct != h[0] || cc != h[1] {
			t.Errorf("%s: want Content-Type %q Cache-Control %q, have %q %q", key, h[0], h[1], ct, cc)
		}
		f.checkWhole(t, key)
	}
}

// checkWhole: the object key holds its local file's bytes.
func (f siteFixture) checkWhole(t *testing.T, key string) {
	t.Helper()
	local := readFile(t, f.dir+"/"+strings.TrimPrefix(key, "site/"))
	if have := f.body(t, key); have != local {
		t.Errorf("%s: want the file's %d bytes, have %q", key, len(local), have)
	}
}

// noDeletes fails when the proxy saw a DeleteObject(s) call.
func noDeletes(t *testing.T, w *world) {
	t.Helper()
	for _, c := range w.aws.Calls() {
		if strings.HasPrefix(c.Action, "DeleteObject") {
			t.Errorf("a deletion was sent: %s %s", c.Name(), c.Path)
		}
	}
}

// syncUploadForbidden: S3 refuses one asset's PutObject (403, not
// retried). The sync never deletes before every upload succeeded: no
// DeleteObject(s) call at all, the stale object stays, no manifest.
func syncUploadForbidden(t *testing.T, w *world) run {
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	return run{
		with: map[string]string{"source": f.dir, "bucket": f.bucket, "prefix": "site", "delete": "true",
			"distribution-id": f.distribution, "timeout": "2m"},
		script: func(c faultproxy.Call, _ int) faultproxy.Fault {
			if c.Action == "PutObject" && strings.HasSuffix(c.Path, "/site/assets/app.js") {
				return faultproxy.Forbidden
			}
			return faultproxy.None
		},
		code: 1,
		check: func(t *testing.T, res actiontest.Result) {
			noDeletes(t, w)
			have := f.contents(t)
			if _, ok := have["site/stale.txt"]; !ok {
				t.Error("site/stale.txt was deleted after a failed upload")
			}
			for _, k := range []string{"site/assets/app.js", "site/" + s3sync.ManifestName} {
				if _, ok := have[k]; ok {
					t.Errorf("%s is in the bucket after the failure", k)
				}
			}
			for _, want := range []string{"site/assets/app.js", "AccessDenied", "1 deletions skipped"} {
				if !strings.Contains(res.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
				}
			}
			wantOutputs(t, res, map[string]string{"deleted": "0"})
		},
	}
}

// syncSIGTERM: signalled when the HTML phase starts: the three other
// files are written, both pages are in flight, the first held in the
// proxy (and kept there a while after the signal, so the process has
// cancelled by the time it goes on), the second behind it. Nothing is
// deleted, no manifest is written, the pages are not in the bucket and
// the assets are whole. What was written is invalidated all the same.
func syncSIGTERM(t *testing.T, w *world) run {
	f := newSiteFixture(t)
	f.put(t, "site/stale.txt", "old")
	rv := newRendezvous()
	page := func(c faultproxy.Call, _ int) bool {
		return c.Action == "PutObject" && strings.HasSuffix(c.Path, ".html")
	}
	held := rv.script(page)
	return run{
		with: map[string]string{"source": f.dir, "bucket": f.bucket, "prefix": "site", "delete": "true",
			"distribution-id": f.distribution, "timeout": "2m"},
		script: func(c faultproxy.Call, n int) faultproxy.Fault {
			fault := held(c, n)
			if page(c, n) {
				time.Sleep(500 * time.Millisecond)
			}
			return fault
		},
		start: rv.sigterm(t),
		code:  130,
		check: func(t *testing.T, res actiontest.Result) {
			noDeletes(t, w)
			have := f.contents(t)
			if _, ok := have["site/stale.txt"]; !ok {
				t.Error("site/stale.txt was deleted after SIGTERM")
			}
			if _, ok := have["site/"+s3sync.ManifestName]; ok {
				t.Error("the sync manifest was written after SIGTERM")
			}
			for key := range syncHeaders {
				_, ok := have[key]
				switch {
				case strings.HasSuffix(key, ".html") && ok:
					t.Errorf("%s was written after SIGTERM", key)
				case !strings.HasSuffix(key, ".html") && !ok:
					t.Errorf("%s, written before the pages, is not in the bucket", key)
				case ok:
					f.checkWhole(t, key)
				}
			}
			want := []string{"/assets/app.css", "/assets/app.js", "/robots.txt"}
			invs := cdntest.Invalidations(t, f.endpoint, f.distribution)
			if len(invs) != 1 || invs[0].ID != res.Outputs["invalidation-id"] || !slices.Equal(invs[0].Paths, want) {
				t.Errorf("invalidations: want one of %q, id %q, have %+v", want, res.Outputs["invalidation-id"], invs)
			}
		},
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
