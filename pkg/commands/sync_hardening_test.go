package commands_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/cdntest"
	"github.com/ferry-ci/ferry/pkg/s3sync"
)

// syncRun runs sync-s3-cloudfront on the command line against the
// fixture's moto, with args after the command name.
func (f siteFixture) run(t *testing.T, env map[string]string, args ...string) actiontest.Result {
	t.Helper()
	return actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: append([]string{"sync-s3-cloudfront", "--bucket", f.bucket}, args...),
		Env:  merge(trafficEnv(f.endpoint), env),
	})
}

func wantCode(t *testing.T, res actiontest.Result, code int, words ...string) {
	t.Helper()
	if res.Code != code {
		t.Errorf("exit code: want %d, have %d\n%s", code, res.Code, res.Stderr)
	}
	for _, w := range words {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
}

// TestSyncSymlinks: links that leave the source are refused (exit 2,
// naming each) before anything is read from the bucket or written; a link
// to a file inside the source is fine; follow-symlinks: true uploads what
// the links point at.
func TestSyncSymlinks(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "passwd")
	if err := os.WriteFile(secret, []byte("root:x:0:0"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(f.dir), "creds"), []byte("AKIA"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"passwd":           secret,
		"assets/creds":     "../../creds",
		"assets/robots.js": "../robots.txt", // inside: fine
	} {
		if err := os.Symlink(target, filepath.Join(f.dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	res := f.run(t, nil, "--source", f.dir, "--prefix", "site")
	wantCode(t, res, 2, `input "source"`, `"passwd" → "`+secret+`"`, `"assets/creds" → "../../creds"`, "follow-symlinks")
	if strings.Contains(res.Stderr, "robots.js") {
		t.Errorf("the link inside the source is named:\n%s", res.Stderr)
	}
	if have := f.contents(t); len(have) != 0 {
		t.Errorf("refused, yet the bucket holds %v", slices.Sorted(maps.Keys(have)))
	}

	res = f.run(t, nil, "--source", f.dir, "--prefix", "site", "--follow-symlinks")
	wantCode(t, res, 0)
	if have := f.body(t, "site/passwd"); have != "root:x:0:0" {
		t.Errorf("follow-symlinks: site/passwd holds %q", have)
	}
	if have := f.body(t, "site/assets/robots.js"); have != "User-agent: *" {
		t.Errorf("site/assets/robots.js holds %q", have)
	}
}

// TestSyncFileNames: a name with a control character is refused (exit 2)
// and no workflow command can be smuggled in through it; names with `|`,
// backticks and `::` are synced, quoted in the log and escaped in the
// summary.
func TestSyncFileNames(t *testing.T) {
	t.Parallel()
	injected := []string{"::warning::pwned", "::add-mask::site", "::stop-commands::abc", "::error::pwned", "::set-output name=x::y"}
	for _, name := range []string{
		"a\n::warning::pwned.txt",
		"b\r::add-mask::site.txt",
		"c\n::stop-commands::abc\n::error::pwned.html",
		"d\x1b[2K.txt",
		"e\u0085::set-output name=x::y.txt",
	} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			t.Parallel()
			f := newSiteFixture(t)
			f.write(t, name, "x")
			for _, dry := range []string{"true", "false"} {
				res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
					Action: "sync-s3-cloudfront",
					With:   map[string]string{"source": f.dir, "bucket": f.bucket, "prefix": "site", "dry-run": dry, "distribution-id": f.distribution},
					Env:    trafficEnv(f.endpoint),
				})
				if res.Code != 2 {
					t.Errorf("dry-run %s: exit code: want 2, have %d\n%s", dry, res.Code, res.Stderr)
				}
				if !strings.Contains(res.Stdout+res.Stderr, "control character") {
					t.Errorf("dry-run %s: the refusal does not say why:\n%s%s", dry, res.Stdout, res.Stderr)
				}
				for _, line := range strings.Split(strings.ReplaceAll(res.Stdout+"\n"+res.Stderr, "\r", "\n"), "\n") {
					for _, cmd := range injected {
						if strings.HasPrefix(strings.TrimLeft(line, " \t\u0085"), cmd) {
							t.Errorf("dry-run %s: a workflow command made it to a line of its own: %q", dry, line)
						}
					}
				}
			}
			if have := f.contents(t); len(have) != 0 {
				t.Errorf("refused, yet the bucket holds %v", slices.Sorted(maps.Keys(have)))
			}
		})
	}

	t.Run("pipes, backticks and ::", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		f.write(t, "x|y`z`.txt", "1")
		f.write(t, "::warning::w.txt", "2")
		res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
			Action: "sync-s3-cloudfront",
			With:   map[string]string{"source": f.dir, "bucket": f.bucket, "prefix": "", "dry-run": "true"},
			Env:    trafficEnv(f.endpoint),
		})
		if res.Code != 0 {
			t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
		}
		for _, w := range []string{"upload \"x|y`z`.txt\" (new)", `upload "::warning::w.txt" (new)`} {
			if !strings.Contains(res.Stderr, w) {
				t.Errorf("log lacks %q:\n%s", w, res.Stderr)
			}
		}
		for _, line := range strings.Split(res.Stdout+"\n"+res.Stderr, "\n") {
			if strings.HasPrefix(line, "::warning::w") {
				t.Errorf("a file name became a workflow command: %q", line)
			}
		}
		for _, w := range []string{"| ``x\\|y`z`.txt`` | upload | new |", "| `::warning::w.txt` | upload | new |"} {
			if !strings.Contains(res.Summary, w) {
				t.Errorf("summary lacks %q:\n%s", w, res.Summary)
			}
		}
	})
}

// TestSyncDeleteGuard: an empty source is refused; deleting more than half
// of what is under the prefix needs force-delete; a sync of the bucket's
// root never deletes another sync's prefix nor any manifest.
func TestSyncDeleteGuard(t *testing.T) {
	t.Parallel()
	t.Run("empty source", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		for i := range 40 {
			f.put(t, fmt.Sprintf("site/page-%d.html", i), "x")
		}
		before := f.contents(t)
		empty := t.TempDir()
		res := f.run(t, nil, "--source", empty, "--prefix", "site", "--delete", "--max-delete", "1000")
		wantCode(t, res, 2, `input "source": expected files to sync, found none in "`+empty+`"`)
		if after := f.contents(t); !reflect.DeepEqual(before, after) {
			t.Errorf("an empty source changed the bucket: %d objects, then %d", len(before), len(after))
		}
	})

	t.Run("more than half", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		for i := range 6 {
			f.put(t, fmt.Sprintf("site/old-%d.txt", i), "old")
		}
		f.put(t, "site/index.html", "<h1>home</h1>")
		before := f.contents(t)
		// 6 of the 11 objects (7 there, 4 new) would go.
		res := f.run(t, nil, "--source", f.dir, "--prefix", "site", "--delete")
		wantCode(t, res, 1, "6 of the 11 objects under s3://"+f.bucket+"/site/ (once the uploads are in) would be deleted", `input "force-delete"`, "nothing was changed")
		if after := f.contents(t); !reflect.DeepEqual(before, after) {
			t.Error("the guard let writes through")
		}
		res = f.run(t, nil, "--source", f.dir, "--prefix", "site", "--delete", "--force-delete", "--output", "json")
		wantCode(t, res, 0)
		if !strings.Contains(res.Stdout, `"deleted": "6"`) {
			t.Errorf("force-delete: want 6 deleted, have %s", res.Stdout)
		}
	})

	t.Run("root sync spares other syncs", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		other := t.TempDir()
		if err := os.WriteFile(filepath.Join(other, "page.html"), []byte("other"), 0o644); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.run(t, nil, "--source", other, "--prefix", "docs"), 0)
		wantCode(t, f.run(t, nil, "--source", other, "--prefix", "pr/7", "--manifest-key", "ferry/pr-7.ferry-sync.json.gz"), 0)
		f.put(t, "stale.txt", "old")
		// Even with force-delete nothing of the other syncs' goes.
		res := f.run(t, nil, "--source", f.dir, "--prefix", "/", "--delete", "--force-delete", "--output", "json")
		wantCode(t, res, 0)
		have := slices.Sorted(maps.Keys(f.contents(t)))
		want := []string{s3sync.ManifestName, "about/index.html", "assets/app.css", "assets/app.js", "docs/" + s3sync.ManifestName, "docs/page.html",
			"ferry/pr-7.ferry-sync.json.gz", "index.html", "pr/7/page.html", "robots.txt"}
		if !reflect.DeepEqual(have, want) {
			t.Errorf("bucket after a root sync with delete:\nwant %q\nhave %q", want, have)
		}
	})
}

// TestSyncManifestTrust: a manifest forged to vouch for a defaced page
// does not hide it; a gzip bomb for a manifest is read only as far as the
// listing can explain; manifest-key puts the manifest elsewhere.
func TestSyncManifestTrust(t *testing.T) {
	t.Parallel()
	t.Run("forged manifest", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		wantCode(t, f.run(t, nil, "--source", f.dir, "--prefix", "site"), 0)
		// Defaced: other bytes of the same size, plain PutObject (its ETag
		// is their MD5), and the manifest entry made to match the listing
		// with the genuine page's SHA-256.
		f.put(t, "site/index.html", "<h1>pwnd</h1>")
		var etag, modified string
		out, err := f.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), Prefix: aws.String("site/index.html")})
		if err != nil || len(out.Contents) != 1 {
			t.Fatalf("listing the page: %v", err)
		}
		etag, modified = strings.Trim(aws.ToString(out.Contents[0].ETag), `"`), aws.ToTime(out.Contents[0].LastModified).UTC().Format("2006-01-02T15:04:05Z07:00")
		m := map[string]any{}
		if err := json.Unmarshal(gunzip(t, f.body(t, "site/"+s3sync.ManifestName)), &m); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("<h1>home</h1>"))
		entry := m["entries"].(map[string]any)["index.html"].(map[string]any)
		entry["etag"], entry["modified"], entry["sha256"] = etag, modified, hex.EncodeToString(sum[:])
		data, _ := json.Marshal(m)
		f.put(t, "site/"+s3sync.ManifestName, string(gzipBytes(t, data)))

		res := f.run(t, nil, "--source", f.dir, "--prefix", "site", "--output", "json")
		wantCode(t, res, 0)
		if have := f.body(t, "site/index.html"); have != "<h1>home</h1>" {
			t.Errorf("the defaced page stays: %q\n%s", have, res.Stdout)
		}
	})

	t.Run("gzip bomb", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		wantCode(t, f.run(t, nil, "--source", f.dir, "--prefix", "site"), 0)
		// 64 MiB of whitespace, then a valid manifest: 64 KiB compressed.
		var raw bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&raw, gzip.BestCompression)
		space := bytes.Repeat([]byte(" "), 1<<20)
		for range 64 {
			_, _ = zw.Write(space)
		}
		_, _ = zw.Write([]byte(`{"version":1,"entries":{}}`))
		_ = zw.Close()
		f.put(t, "site/"+s3sync.ManifestName, raw.String())
		res := f.run(t, nil, "--source", f.dir, "--prefix", "site")
		wantCode(t, res, 0, "ignoring the sync manifest", "more than the", "head_requests=5")
	})

	t.Run("manifest-key", func(t *testing.T) {
		t.Parallel()
		f := newSiteFixture(t)
		args := []string{"--source", f.dir, "--prefix", "site", "--manifest-key", "ferry/site.ferry-sync.json.gz"}
		wantCode(t, f.run(t, nil, args...), 0)
		have := f.contents(t)
		if _, ok := have["ferry/site.ferry-sync.json.gz"]; !ok {
			t.Errorf("no manifest at the manifest-key: %q", slices.Sorted(maps.Keys(have)))
		}
		if _, ok := have["site/"+s3sync.ManifestName]; ok {
			t.Error("a manifest was written under the prefix as well")
		}
		f.touchAll(t)
		wantCode(t, f.run(t, nil, args...), 0, "head_requests=0")
	})
}

func gunzip(t *testing.T, s string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSyncGitLabDotenv: 1,000 changed files on GitLab: the dotenv report
// stays small (GitLab refuses one over 5 KiB, after the bucket changed),
// and the list is in ferry-changed-files.json, which the component keeps
// as an artifact. A dry run sets the outputs as a sync does, without
// 1,000 uploads to the moto the other tests share.
func TestSyncGitLabDotenv(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	for i := range 995 {
		f.write(t, fmt.Sprintf("assets/img/picture-%04d.png", i), fmt.Sprint(i))
	}
	project := t.TempDir()
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"sync-s3-cloudfront"},
		Env: merge(trafficEnv(f.endpoint), map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": project,
			"FERRY_SOURCE": f.dir, "FERRY_BUCKET": f.bucket, "FERRY_PREFIX": "site", "FERRY_DRY_RUN": "true", "FERRY_SUMMARY": filepath.Join(project, "summary.md")}),
		Dir: project,
	})
	wantCode(t, res, 0)
	dotenv, err := os.ReadFile(filepath.Join(project, "ferry.env"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(dotenv)), "\n")
	t.Logf("dotenv: %d bytes, %d variables", len(dotenv), len(lines))
	if len(dotenv) >= 5<<10 || len(lines) > 10 || !strings.Contains(string(dotenv), "UPLOADED=1000\n") {
		t.Errorf("dotenv: want UPLOADED=1000, under 5 KiB and 10 variables, have %d bytes, %d lines:\n%.500s", len(dotenv), len(lines), dotenv)
	}
	var keys []string
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(project, "ferry-changed-files.json"))), &keys); err != nil || len(keys) != 1000 {
		t.Errorf("ferry-changed-files.json: want 1000 keys, have %d (%v)", len(keys), err)
	}
	if !strings.Contains(res.Summary, "Changed files (1000)") {
		t.Errorf("summary lacks the changed files:\n%.300s", res.Summary)
	}
}

// TestSyncOriginPathMismatch: a prefix the distribution does not serve is
// refused before anything is written (it used to upload, then fail with
// "no paths to invalidate", and pass silently on a rerun); a prefix under
// the origin path is fine.
func TestSyncOriginPathMismatch(t *testing.T) {
	t.Parallel()
	f := newSiteFixture(t)
	for _, prefix := range []string{"", "/", "other", "sites"} {
		res := f.run(t, nil, "--source", f.dir, "--prefix", prefix, "--distribution-id", f.distribution)
		wantCode(t, res, 2, `input "prefix"`, `origin path "/site"`, `found "`+prefix+`"`)
	}
	if have := f.contents(t); len(have) != 0 {
		t.Errorf("refused, yet the bucket holds %v", slices.Sorted(maps.Keys(have)))
	}
	if n := len(cdntest.Invalidations(t, f.endpoint, f.distribution)); n != 0 {
		t.Errorf("refused, yet %d invalidations", n)
	}
	res := f.run(t, nil, "--source", f.dir, "--prefix", "site/v2", "--distribution-id", f.distribution, "--output", "json")
	wantCode(t, res, 0)
	invs := cdntest.Invalidations(t, f.endpoint, f.distribution)
	if len(invs) != 1 || !slices.Contains(invs[0].Paths, "/v2/index.html") {
		t.Errorf("under the origin path: want /v2/… invalidated, have %+v", invs)
	}
}

// badSite makes a source directory for a bad-input case, beside the
// fixtures' file (in the test's temporary directory): files by path, and
// symbolic links by path to their target.
func badSite(f *badFixtures, name string, files, links map[string]string) string {
	dir := filepath.Join(filepath.Dir(f.file), "site-"+name)
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			panic(err)
		}
	}
	for p, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			panic(err)
		}
	}
	return dir
}
