package cdn_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/ferry-ci/ferry/pkg/cdn"
)

func TestPaths(t *testing.T) {
	t.Parallel()
	root := []cdn.Origin{{ID: "s3", Path: ""}}
	site := []cdn.Origin{{ID: "s3", Path: "/site"}}
	tests := []struct {
		name    string
		keys    []string
		origins []cdn.Origin
		max     int
		want    []string
	}{
		{"plain keys", []string{"assets/app.js", "robots.txt"}, root, 15, []string{"/assets/app.js", "/robots.txt"}},
		{"root index.html", []string{"index.html"}, root, 15, []string{"/", "/index.html"}},
		{"nested index.html", []string{"docs/guide/index.html"}, root, 15, []string{"/docs/guide", "/docs/guide/", "/docs/guide/index.html"}},
		{"origin path stripped", []string{"site/index.html", "site/a/index.html"}, site, 15, []string{"/", "/a", "/a/", "/a/index.html", "/index.html"}},
		{"keys outside the origin path are not served", []string{"other/x.css", "site-old/y.css", "site/z.css"}, site, 15, []string{"/z.css"}},
		{"origin path with trailing slash", []string{"site/z.css"}, []cdn.Origin{{Path: "/site/"}}, 15, []string{"/z.css"}},
		{"two origins on the bucket", []string{"site/a.css", "a.css"}, []cdn.Origin{{Path: "/site"}, {Path: ""}}, 15, []string{"/a.css", "/site/a.css"}},
		{"unsafe and non-ASCII characters encoded", []string{"docs/my page.html", "café/ü.txt", "a~b#c.js"}, root, 15, []string{"/a%7Eb%23c.js", "/caf%C3%A9/%C3%BC.txt", "/docs/my%20page.html"}},
		{"duplicates collapse", []string{"a.css", "a.css"}, root, 15, []string{"/a.css"}},
		{"exactly at the limit", []string{"a", "b", "c"}, root, 3, []string{"/a", "/b", "/c"}},
		{
			"past the limit: a directory becomes a wildcard",
			[]string{"assets/a.js", "assets/b.js", "assets/c.js", "index.html", "robots.txt"},
			root, 4, []string{"/", "/assets/*", "/index.html", "/robots.txt"},
		},
		{
			"nested wildcards, deepest among equals",
			[]string{"a/b/1", "a/b/2", "a/c/1", "a/c/2", "x"},
			root, 4, []string{"/a/b/*", "/a/c/1", "/a/c/2", "/x"},
		},
		{
			"wildcards merge upwards",
			[]string{"a/b/1", "a/b/2", "a/c/1", "a/c/2", "x"},
			root, 2, []string{"/a/*", "/x"},
		},
		{"no directory helps: /*", []string{"a", "b", "c"}, root, 2, []string{"/*"}},
		{"index pages past the limit", []string{"docs/index.html", "blog/index.html"}, root, 4, []string{"/blog", "/blog/*", "/docs", "/docs/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if have := cdn.Paths(tt.keys, tt.origins, tt.max); !reflect.DeepEqual(have, tt.want) {
				t.Errorf("Paths(%q, max %d):\nwant %q\nhave %q", tt.keys, tt.max, tt.want, have)
			}
		})
	}
}

func TestPathsOverCloudFrontLimit(t *testing.T) {
	t.Parallel()
	var keys []string
	for i := range cdn.MaxPaths + 1 {
		keys = append(keys, fmt.Sprintf("d%d/f", i))
	}
	if have := cdn.Paths(keys, []cdn.Origin{{}}, cdn.MaxPaths); !reflect.DeepEqual(have, []string{"/*"}) {
		t.Errorf("want /*, have %d paths", len(have))
	}
}

func TestValidateDistributionID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{"E2QWRUHAPOMQZL": true, "A1B2C3D4E5F6G": true, "e2qwruhapomqzl": false, "E2QW RUH": false, "": false} {
		if err := cdn.ValidateDistributionID(id); (err == nil) != ok {
			t.Errorf("%q: want ok=%t, have %v", id, ok, err)
		}
	}
}

func TestServesPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		origins []cdn.Origin
		prefix  string
		want    bool
	}{
		{[]cdn.Origin{{Path: ""}}, "", true},
		{[]cdn.Origin{{Path: ""}}, "any/", true},
		{[]cdn.Origin{{Path: "/site"}}, "site/", true},
		{[]cdn.Origin{{Path: "/site/"}}, "site/v2/", true},
		{[]cdn.Origin{{Path: "/site"}}, "", false},
		{[]cdn.Origin{{Path: "/site"}}, "sites/", false},
		{[]cdn.Origin{{Path: "/site/v2"}}, "site/", false},
		{[]cdn.Origin{{Path: "/a"}, {Path: "/b"}}, "b/", true},
	}
	for _, tt := range tests {
		if have := cdn.ServesPrefix(tt.origins, tt.prefix); have != tt.want {
			t.Errorf("ServesPrefix(%+v, %q): want %v, have %v", tt.origins, tt.prefix, tt.want, have)
		}
	}
}
