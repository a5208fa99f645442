//go:build unix

package s3sync

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeManifestBounded: a gzip bomb (64 MiB of whitespace before a
// valid manifest, 64 KiB compressed) is read only up to the limit the
// listing gives: memory stays a small multiple of the limit, not of what
// the bomb expands to.
func TestDecodeManifestBounded(t *testing.T) {
	var raw bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&raw, gzip.BestCompression)
	space := bytes.Repeat([]byte(" "), 1<<20)
	for range 64 {
		_, _ = zw.Write(space)
	}
	_, _ = zw.Write([]byte(`{"version":1,"entries":{}}`))
	_ = zw.Close()
	t.Logf("bomb: %d bytes compressed, %d decompressed", raw.Len(), 64<<20+26)

	listing := map[string]object{}
	for i := range 1000 {
		listing[strings.Repeat("x", 40)+string(rune('a'+i%26))+string(rune(i))] = object{}
	}
	limit := manifestLimit(listing)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := decodeManifest(bytes.NewReader(raw.Bytes()), limit)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errManifestTooLarge) {
		t.Errorf("want errManifestTooLarge, have %v", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("limit %d bytes for %d objects; allocated %d bytes", limit, len(listing), alloc)
	if alloc > uint64(4*limit)+1<<20 {
		t.Errorf("allocated %d bytes reading a manifest bounded to %d", alloc, limit)
	}

	// A manifest within the limit reads as before.
	m, err := decodeManifest(bytes.NewReader(mustEncode(t, &manifest{Version: manifestVersion, Entries: map[string]manifestEntry{"a": {ETag: "x"}}})), limit)
	if err != nil || m.Entries["a"].ETag != "x" {
		t.Errorf("a small manifest: have %+v, %v", m, err)
	}
}

func mustEncode(t *testing.T, m *manifest) []byte {
	t.Helper()
	b, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestManifestMayDecide: a manifest entry stands for HeadObject only where
// the listing's ETag cannot decide the content by itself.
func TestManifestMayDecide(t *testing.T) {
	t.Parallel()
	f := &localFile{md5: "0123456789abcdef0123456789abcdef"}
	plain, br := Headers{}, Headers{ContentEncoding: Brotli}
	for _, tt := range []struct {
		name string
		want Headers
		etag string
		may  bool
	}{
		{"ETag is the file's MD5: the manifest gives the headers", plain, f.md5, true},
		{"ETag of MD5 form, another MD5: defaced or SSE-KMS, HeadObject tells", plain, "ffffffffffffffffffffffffffffffff", false},
		{"multipart ETag", plain, "ffffffffffffffffffffffffffffffff-2", true},
		{"compressed: the ETag is of other bytes", br, "ffffffffffffffffffffffffffffffff", true},
	} {
		if have := manifestMayDecide(f, tt.want, object{etag: tt.etag}); have != tt.may {
			t.Errorf("%s: want %v, have %v", tt.name, tt.may, have)
		}
	}
}

// TestWalkRefusals: what cannot be synced is refused all at once, each
// kind a problem of Source naming the paths; a link within the
// source is followed, and follow-symlinks lets links leave it.
func TestWalkRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	for p, content := range map[string]string{"index.html": "x", "a\nb.txt": "x", "tab\there.txt": "x", "sub/" + ManifestName: "x", "sub/v.ferry-sync.json.gz": "x"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"leak": outside, "same.html": "index.html", "sub/up.html": "../index.html"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	s := New(nil, Config{})
	_, err := s.walk(dir, Options{})
	if !errors.Is(err, ErrBadSource) {
		t.Fatalf("want ErrBadSource, have %v", err)
	}
	for _, w := range []string{
		`Source: expected file names without control characters`, `"a\nb.txt"`, `"tab\there.txt"`,
		`Source: expected files inside the directory (or FollowSymlinks: true), found symbolic links leaving it: "leak" → "` + outside + `"`,
		`Source: expected no file named like ferry's sync manifest`, `"sub/.ferry-sync.json.gz", "sub/v.ferry-sync.json.gz"`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "same.html") || strings.Contains(err.Error(), "up.html") {
		t.Errorf("links within the source are refused:\n%v", err)
	}

	_, err = s.walk(dir, Options{FollowSymlinks: true, Exclude: []string{"a*", "tab*", "sub/*.gz"}})
	if err != nil {
		t.Errorf("follow-symlinks, the bad names excluded: %v", err)
	}

	_, err = s.walk(t.TempDir(), Options{})
	if !errors.Is(err, ErrBadSource) || !strings.Contains(err.Error(), `Source: expected files to sync, found none in`) {
		t.Errorf("an empty source: want ErrBadSource, have %v", err)
	}
}

func TestIsManifestKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		ManifestName:                    true,
		"site/" + ManifestName:          true,
		"ferry/site.ferry-sync.json.gz": true,
		"site/index.html":               false,
		ManifestName + "/x":             false,
		"x.ferry-sync.json":             false,
	} {
		if have := IsManifestKey(key); have != want {
			t.Errorf("IsManifestKey(%q): want %v, have %v", key, want, have)
		}
	}
}
