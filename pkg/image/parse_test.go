package image_test

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ferry-ci/ferry/pkg/image"
)

func TestParseFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lines   []string
		want    []image.File
		wantErr []string
	}{
		{
			name:  "several",
			lines: []string{"dist/server:/app/server", "  static : /srv/static/ ", "", "# comment", "conf:/etc/app/../app/"},
			want: []image.File{
				{Src: "dist/server", Dest: "/app/server"},
				{Src: "static", Dest: "/srv/static/"},
				{Src: "conf", Dest: "/etc/app/"},
			},
		},
		{name: "root", lines: []string{"rootfs:/"}, want: []image.File{{Src: "rootfs", Dest: "/"}}},
		{name: "none", lines: nil, want: nil},
		{
			name:    "no colon",
			lines:   []string{"dist/server"},
			wantErr: []string{`line 1 "dist/server": want "src:dest", have no ':'`},
		},
		{
			name:    "relative destination",
			lines:   []string{"a:/ok", "b:app/b"},
			wantErr: []string{`line 2 "b:app/b": want an absolute destination (starting with '/'), have "app/b"`},
		},
		{
			name:    "empty source and destination",
			lines:   []string{":"},
			wantErr: []string{`line 1 ":": want a source path before ':', have none`, "want an absolute destination after ':', have none"},
		},
		{
			name:  "every bad line at once",
			lines: []string{"a", "b:/ok", ":/x", "c:d"},
			wantErr: []string{
				`line 1 "a": want "src:dest"`,
				`line 3 ":/x": want a source path`,
				`line 4 "c:d": want an absolute destination`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := image.ParseFiles(tt.lines)
			checkErr(t, err, tt.wantErr)
			if !slices.Equal(tt.want, have) {
				t.Errorf("want %+v, have %+v", tt.want, have)
			}
		})
	}
}

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		items   []string
		want    []string
		wantErr []string
	}{
		{name: "os/arch", items: []string{"linux/amd64"}, want: []string{"linux/amd64"}},
		{name: "with variant", items: []string{"linux/arm64/v8", " linux/arm/v7 ", ""}, want: []string{"linux/arm64/v8", "linux/arm/v7"}},
		{name: "none", items: nil, want: nil},
		{name: "os only", items: []string{"linux"}, wantErr: []string{`platform "linux": want os/arch or os/arch/variant (like linux/amd64), have 1 part(s)`}},
		{name: "arch only", items: []string{"amd64"}, wantErr: []string{`platform "amd64": want os/arch`}},
		{name: "too many parts", items: []string{"linux/arm/v7/x"}, wantErr: []string{"have 4 part(s)"}},
		{name: "empty part", items: []string{"linux/"}, wantErr: []string{`platform "linux/"`, `malformed part ""`}},
		{name: "os version", items: []string{"windows/amd64:10.0"}, wantErr: []string{`malformed part "amd64:10.0"`}},
		{name: "duplicate", items: []string{"linux/amd64", "linux/amd64"}, wantErr: []string{`platform "linux/amd64": listed more than once`}},
		{
			name:    "every bad item at once",
			items:   []string{"linux", "linux/amd64", "amd64"},
			wantErr: []string{`platform "linux"`, `platform "amd64"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps, err := image.ParsePlatforms(tt.items)
			checkErr(t, err, tt.wantErr)
			var have []string
			for _, p := range ps {
				have = append(have, p.String())
			}
			if !slices.Equal(tt.want, have) {
				t.Errorf("want %q, have %q", tt.want, have)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		ps, err := image.ParsePlatforms([]string{"linux/arm64/v8"})
		if err != nil {
			t.Fatal(err)
		}
		want := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
		if !ps[0].Equals(want) {
			t.Errorf("want %+v, have %+v", want, ps[0])
		}
	})
}

func TestValidateTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tag     string
		wantErr string
	}{
		{tag: "latest"},
		{tag: "v1.2.3"},
		{tag: "1.2.3-rc.1"},
		{tag: "_private"},
		{tag: "sha-abc1234"},
		{tag: "A_b-C.9"},
		{tag: strings.Repeat("a", 128)},
		{tag: "", wantErr: "have an empty tag"},
		{tag: strings.Repeat("a", 129), wantErr: "have 129 characters"},
		{tag: ".hidden", wantErr: `have a leading '.'`},
		{tag: "-dash", wantErr: `have a leading '-'`},
		{tag: "feature/x", wantErr: `have '/' at position 8`},
		{tag: "1.2.3+build", wantErr: `have '+' at position 6`},
		{tag: "café", wantErr: `have 'é' at position 4`},
		{tag: "with space", wantErr: `have ' ' at position 5`},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			t.Parallel()
			err := image.ValidateTag(tt.tag)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("want no error, have %v", err)
				}
				return
			}
			checkErr(t, err, []string{"want 1 to 128 of [A-Za-z0-9_.-]", tt.wantErr})
		})
	}
}

func TestParseReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr []string
	}{
		{in: "app:dev", want: "index.docker.io/library/app:dev"},
		{in: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2.3", want: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2.3"},
		{in: "localhost:5000/app@sha256:" + strings.Repeat("a", 64), want: "localhost:5000/app@sha256:" + strings.Repeat("a", 64)},
		{in: "app", want: "index.docker.io/library/app:latest"},
		{in: "", wantErr: []string{"image reference: want [registry/]repository[:tag|@digest], have an empty string"}},
		{in: "App:dev", wantErr: []string{`image reference "App:dev": want [registry/]repository[:tag|@digest]`}},
		{in: "app:bad tag", wantErr: []string{`image reference "app:bad tag"`}},
		{in: "app@sha256:short", wantErr: []string{`image reference "app@sha256:short"`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := image.ParseReference(tt.in)
			checkErr(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if have := r.Name(); have != tt.want {
				t.Errorf("want %q, have %q", tt.want, have)
			}
		})
	}
}

// checkErr fails unless err contains every string of want, or is nil when
// want is empty.
func checkErr(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("want no error, have %v", err)
		}
		return
	}
	if err == nil {
		t.Errorf("want an error containing %q, have none", want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error: want it to contain %q, have %q", w, err)
		}
	}
}
