package s3sync

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// messager is what a caller names the fields of a problem through.
type messager interface {
	Message(name func(Field) string) string
}

// TestFieldErrorMessage renders problems with the names a caller gives the
// fields, other fields they mention included, and text of its own that
// holds a % sign.
func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	names := map[Field]string{Source: "source", Delete: "delete", ForceDelete: "force-delete", Exclude: "exclude",
		FollowSymlinks: "follow-symlinks", CacheControl: "cache-control", MaxDelete: "max-delete"}
	name := func(f Field) string { return names[f] }
	messages := func(t *testing.T, err error) []string {
		var out []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			p, ok := e.(messager)
			if !ok {
				t.Fatalf("problem %#v has no Message", e)
			}
			out = append(out, p.Message(name))
		}
		return out
	}
	empty := filepath.Join(t.TempDir(), "100%")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	linked, outside := t.TempDir(), filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(linked, "50%")); err != nil {
		t.Fatal(err)
	}
	_, emptyErr := New(nil, Config{}).walk(empty, Options{Exclude: []string{"x"}})
	_, linkErr := New(nil, Config{}).walk(linked, Options{})
	_, rulesErr := ParseRules(CacheControlRule, []string{"ok=no-cache", "broken"})
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{name: "bare references", err: Options{Source: empty, Bucket: "site", ForceDelete: true}.Validate(),
			want: []string{`input "force-delete": expected delete: true as well, found delete: false`}},
		{name: "line", err: rulesErr,
			want: []string{`input "cache-control": line 2: expected glob=value, e.g. "**/*.html=no-cache", found "broken"`}},
		{name: "reference after a path with %", err: errors.Join(emptyErr),
			want: []string{`input "source": expected files to sync, found none in "` + empty + `" (once input "exclude" applied)`}},
		{name: "reference before a path with %", err: linkErr,
			want: []string{`input "source": expected files inside the directory (or input "follow-symlinks": true), found symbolic links leaving it: "50%" → "` + outside + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have := messages(t, tt.err)
			if len(have) != len(tt.want) {
				t.Fatalf("messages:\nhave %q\nwant %q", have, tt.want)
			}
			for i, want := range tt.want {
				if have[i] != want {
					t.Errorf("message %d:\nhave %q\nwant %q", i, have[i], want)
				}
			}
		})
	}
	if !errors.Is(emptyErr, ErrBadSource) {
		t.Errorf("an empty source: %v is not ErrBadSource", emptyErr)
	}
	var fe *FieldError
	if !errors.As(linkErr, &fe) || fe.Field != Source || !slices.Equal(fe.Refs, []Ref{{Field: FollowSymlinks}}) {
		t.Errorf("a link leaving the source: %#v is no *FieldError naming Source and FollowSymlinks", linkErr)
	}
	limit := &DeleteLimitError{Field: MaxDelete, Deletes: 4, MaxDelete: 3, Bucket: "b", Prefix: "site/"}
	const wantLimit = `4 objects under s3://b/site/ have no file in the source and input "max-delete" allows 3; nothing was changed: more deletions than max-delete allows`
	if have := limit.Message(name); have != wantLimit || !errors.Is(limit, ErrTooManyDeletes) {
		t.Errorf("DeleteLimitError.Message():\nhave %q\nwant %q (and ErrTooManyDeletes)", have, wantLimit)
	}
}
