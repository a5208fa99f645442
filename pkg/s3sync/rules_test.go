package s3sync_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/s3sync"
)

func TestParseRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    s3sync.RuleKind
		lines   []string
		want    []s3sync.Rule
		wantErr []string
	}{
		{
			name:  "values keep = and commas",
			kind:  s3sync.CacheControlRule,
			lines: []string{"**/*.html=no-cache", "assets/** = public, max-age=31536000, immutable"},
			want:  []s3sync.Rule{{Glob: "**/*.html", Value: "no-cache"}, {Glob: "assets/**", Value: "public, max-age=31536000, immutable"}},
		},
		{
			name:  "content types with parameters",
			kind:  s3sync.ContentTypeRule,
			lines: []string{"**/*.wasm=application/wasm", "feeds/*=application/rss+xml; charset=utf-8"},
			want:  []s3sync.Rule{{Glob: "**/*.wasm", Value: "application/wasm"}, {Glob: "feeds/*", Value: "application/rss+xml; charset=utf-8"}},
		},
		{
			name:  "compress gzip and br",
			kind:  s3sync.CompressRule,
			lines: []string{"**/*.{js,css}=br", "**/*.svg=gzip"},
			want:  []s3sync.Rule{{Glob: "**/*.{js,css}", Value: "br"}, {Glob: "**/*.svg", Value: "gzip"}},
		},
		{
			name:    "every problem at once, each with its line",
			kind:    s3sync.CacheControlRule,
			lines:   []string{"no-equals", "=no-glob", "**/*.html=", "/abs/*=x", "[unclosed=x", `dir\*.js=x`},
			wantErr: []string{`CacheControl: line 1: expected glob=value, e.g. "**/*.html=no-cache", found "no-equals"`, "line 2:", "line 3:", "line 4: expected a glob relative to the source directory, without a leading /", "line 5: expected a valid glob", "line 6: expected a glob with forward slashes"},
		},
		{
			name:    "not a media type",
			kind:    s3sync.ContentTypeRule,
			lines:   []string{"*.x=not a type"},
			wantErr: []string{`ContentType: line 1: expected a media type like "text/html; charset=utf-8", found "not a type"`},
		},
		{
			name:    "unknown encoding",
			kind:    s3sync.CompressRule,
			lines:   []string{"*.js=zstd"},
			wantErr: []string{`Compress: line 1: expected "gzip" or "br" after the "=", found "zstd"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := s3sync.ParseRules(tt.kind, tt.lines)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("want no error, have %v", err)
				}
				if !reflect.DeepEqual(have, tt.want) {
					t.Errorf("rules:\nwant %q\nhave %q", tt.want, have)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors %q, have none", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := len(strings.Split(err.Error(), "\n")); n != len(tt.wantErr) {
				t.Errorf("want %d problems, have %d:\n%v", len(tt.wantErr), n, err)
			}
		})
	}
}

func TestDetectContentType(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"index.html":             "text/html; charset=utf-8",
		"docs/PAGE.HTM":          "text/html; charset=utf-8",
		"assets/app.js":          "text/javascript; charset=utf-8",
		"assets/app.mjs":         "text/javascript; charset=utf-8",
		"assets/app.css":         "text/css; charset=utf-8",
		"data.json":              "application/json; charset=utf-8",
		"app.js.map":             "application/json; charset=utf-8",
		"site.webmanifest":       "application/manifest+json; charset=utf-8",
		"logo.svg":               "image/svg+xml; charset=utf-8",
		"feed.xml":               "application/xml; charset=utf-8",
		"robots.txt":             "text/plain; charset=utf-8",
		"photo.JPG":              "image/jpeg",
		"hero.webp":              "image/webp",
		"hero.avif":              "image/avif",
		"favicon.ico":            "image/vnd.microsoft.icon",
		"fonts/inter.woff2":      "font/woff2",
		"app.wasm":               "application/wasm",
		"video.mp4":              "video/mp4",
		"report.pdf":             "application/pdf",
		"LICENSE":                "application/octet-stream",
		"archive.unknownext":     "application/octet-stream",
		"dir.with.dots/Makefile": "application/octet-stream",
	}
	for name, want := range tests {
		if have := s3sync.DetectContentType(name); have != want {
			t.Errorf("%s: want %q, have %q", name, want, have)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := s3sync.Options{
		Source:       dir + "/missing",
		Bucket:       "Bad_Bucket",
		Exclude:      []string{"/abs"},
		MaxDelete:    -1,
		Concurrency:  1000,
		CacheControl: []s3sync.Rule{{Glob: "[", Value: "x"}},
		Compress:     []s3sync.Rule{{Glob: "*.js", Value: "zstd"}},
		ForceDelete:  true,
		ManifestKey:  "ferry/manifest.json",
	}.Validate()
	if err == nil {
		t.Fatal("want errors, have none")
	}
	for _, w := range []string{
		`Source: expected an existing directory`,
		`Bucket: expected an S3 bucket name`,
		`Exclude: expected a glob relative to the source directory`,
		`MaxDelete: expected 0 or more, found -1`,
		`Concurrency: expected 1 to 256, found 1000`,
		`CacheControl: expected a valid glob`,
		`Compress: expected "gzip" or "br", found "zstd"`,
		`ForceDelete: expected Delete: true as well`,
		`ManifestKey: expected an S3 key`, `found "ferry/manifest.json"`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if err := (s3sync.Options{Source: dir, Bucket: "my.site-bucket", Prefix: "/site/", ManifestKey: "ferry/site.ferry-sync.json.gz"}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	if have := (s3sync.Options{Prefix: "/site/"}).KeyPrefix(); have != "site/" {
		t.Errorf("KeyPrefix: want site/, have %q", have)
	}
}
