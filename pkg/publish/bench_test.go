package publish_test

import (
	"fmt"
	"testing"

	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/image"
	"github.com/ferry-ci/ferry/pkg/publish"
)

// BenchmarkPush pushes a multi-layer image to a fresh repository of a
// loopback registry with Basic auth each iteration: every blob is uploaded.
// bytes/op is the compressed size of the layers and config.
func BenchmarkPush(b *testing.B) {
	for _, bc := range []struct {
		layers, size int64
		jobs         int
	}{
		{layers: 8, size: 1 << 20, jobs: 1},
		{layers: 8, size: 1 << 20, jobs: 4},
	} {
		b.Run(fmt.Sprintf("layers=%d/size=%dKiB/jobs=%d", bc.layers, bc.size>>10, bc.jobs), func(b *testing.B) {
			s := registrytest.New(b, registrytest.Options{Username: user, Password: token})
			art := image.Artifact{Image: platformImage(b, platforms[0], bc.layers, bc.size)}
			total, size := blobs(b, art)
			o := publish.Options{Keychain: s.Keychain(), Jobs: bc.jobs}
			b.SetBytes(size)
			b.ReportAllocs()
			s.ResetStats()
			i := 0
			for b.Loop() {
				repo := mustRepo(b, fmt.Sprintf("%s/bench/%d", s.Host, i))
				i++
				res, err := publish.Push(b.Context(), repo, art, []string{"v1", "latest"}, o)
				if err != nil {
					b.Fatal(err)
				}
				if res.Blobs.Uploaded != total || res.BytesUploaded != size {
					b.Fatalf("want %d blobs and %d bytes uploaded, have %d and %d", total, size, res.Blobs.Uploaded, res.BytesUploaded)
				}
			}
			b.ReportMetric(float64(s.Stats().Requests)/float64(i), "requests/op")
		})
	}
}
