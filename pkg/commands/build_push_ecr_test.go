package commands_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/dockertest"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
)

// ecrPassword is the registry password inside the token moto's
// GetAuthorizationToken returns for account 123456789012.
const ecrPassword = "123456789012-auth-token"

// motoRegistry is the ECR host of moto's account: what the outputs name,
// whatever registry-endpoint the bytes go to.
const motoRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

var repoSeq atomic.Int64

// uniqueRepo names a repository no other test uses: moto may be shared.
func uniqueRepo(prefix string) string {
	return fmt.Sprintf("e2e/%s-%d-%d", prefix, time.Now().UnixNano()%1e9, repoSeq.Add(1))
}

func ecrClient(t *testing.T, endpoint string) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

func describeRepo(t *testing.T, endpoint, repo string) (ecrtypes.Repository, bool) {
	t.Helper()
	out, err := ecrClient(t, endpoint).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	var nf *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &nf) {
		return ecrtypes.Repository{}, false
	}
	if err != nil || len(out.Repositories) != 1 {
		t.Fatalf("describing %q: %v", repo, err)
	}
	return out.Repositories[0], true
}

func randomImage(t *testing.T, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(1024, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// ociLayout writes img as an OCI layout directory.
func ociLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// remoteDigest reads a tag or digest from the registry.
func remoteDigest(t *testing.T, reg *registrytest.Server, ref string) (string, error) {
	t.Helper()
	r, err := name.ParseReference(reg.Host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r, remote.WithAuthFromKeychain(reg.Keychain()))
	if err != nil {
		return "", err
	}
	return d.Digest.String(), nil
}

func pushArgs(endpoint string, reg *registrytest.Server, repo string, more ...string) []string {
	return append([]string{"build-push-ecr", "--repository", repo, "--registry-endpoint", reg.Host,
		"--aws-region", "us-east-1", "--aws-endpoint-url", endpoint}, more...)
}

// TestBuildPushECRGitHub runs the action as the runner would, from an OCI
// layout, with tags from a semver git tag; then runs it again unchanged.
func TestBuildPushECRGitHub(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	img := randomImage(t, 3)
	dir := ociLayout(t, img)
	repo := uniqueRepo("layout")
	step := actiontest.GitHubStep{
		Action: "build-push-ecr",
		With: map[string]string{
			"repository": repo, "oci-layout": dir, "registry-endpoint": reg.Host,
			"aws-region": "us-east-1", "aws-endpoint-url": endpoint, "lifecycle-keep": "30",
		},
		Env: merge(staticKeys(), map[string]string{
			"GITHUB_SHA":      "0123456789abcdef0123456789abcdef01234567",
			"GITHUB_REF_TYPE": "tag",
			"GITHUB_REF_NAME": "v1.2.3",
		}),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	digest := digestOf(t, img)
	// One push, one "pushed" line: pkg/publish logs it with the digest; the
	// command does not log it again.
	if n := strings.Count(res.Stdout+res.Stderr, "msg=pushed "); n != 1 || !strings.Contains(res.Stdout+res.Stderr, "digest="+digest) {
		t.Errorf(`log: want one "pushed" line naming digest %s, have %d:\n%s`, digest, n, res.Stderr)
	}
	want := map[string]string{
		"registry":  motoRegistry,
		"digest":    digest,
		"image":     motoRegistry + "/" + repo + ":sha-0123456",
		"image-uri": motoRegistry + "/" + repo + "@" + digest,
		"tags":      "sha-0123456,1.2.3,1.2,1",
	}
	for k, v := range want {
		if res.Outputs[k] != v {
			t.Errorf("output %s: want %q, have %q", k, v, res.Outputs[k])
		}
	}
	for _, tag := range strings.Split(want["tags"], ",") {
		if have, err := remoteDigest(t, reg, repo+":"+tag); err != nil || have != digest {
			t.Errorf("tag %s in the registry: want %s, have %s (%v)", tag, digest, have, err)
		}
	}
	r, ok := describeRepo(t, endpoint, repo)
	if !ok || !r.ImageScanningConfiguration.ScanOnPush || r.ImageTagMutability != ecrtypes.ImageTagMutabilityMutable {
		t.Errorf("repository in ECR: want created, scan on push, MUTABLE; have %v %+v", ok, r)
	}
	policy, err := ecrClient(t, endpoint).GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(repo)})
	if err != nil || !strings.Contains(aws.ToString(policy.LifecyclePolicyText), `"countNumber": 30`) {
		t.Errorf("lifecycle policy: want one keeping 30 images, have %v (%v)", aws.ToString(policy.LifecyclePolicyText), err)
	}
	for _, w := range []string{"| Digest | `" + digest + "` |", "| Tags | `sha-0123456`, `1.2.3`, `1.2`, `1` |", "| Platforms | ", "| Bytes uploaded | "} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}
	if !contains(res.Masks(), ecrPassword) {
		t.Errorf("the registry password was not masked; masks: %q", res.Masks())
	}
	if leaks := res.Leaks(ecrPassword); len(leaks) > 0 {
		t.Errorf("the registry password leaked: %q", leaks)
	}

	// Again, unchanged: nothing uploaded, no manifest written.
	reg.ResetStats()
	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("second run: exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	st := reg.Stats()
	if st.BlobUploadBytes != 0 || st.ManifestPuts != 0 || st.BlobUploadsStarted != 0 {
		t.Errorf("second run: want 0 bytes, 0 uploads, 0 manifest PUTs; have %d bytes, %d uploads, %d PUTs", st.BlobUploadBytes, st.BlobUploadsStarted, st.ManifestPuts)
	}
	if !strings.Contains(res.Summary, "| Tags already there | `sha-0123456`, `1.2.3`, `1.2`, `1` |") || !strings.Contains(res.Summary, "| Bytes uploaded | 0 |") {
		t.Errorf("second run summary: want every tag already there and 0 bytes:\n%s", res.Summary)
	}
}

func dockerSave(t *testing.T, img v1.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("app:dev")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// multiPlatformIndex is an OCI index of two images with platforms.
func multiPlatformIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		img := randomImage(t, 2)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// TestBuildPushECRSources pushes from each source on the command line and
// reads the result back from the registry.
func TestBuildPushECRSources(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	source := registrytest.New(t, registrytest.Options{}) // another registry, anonymous

	tarImg := randomImage(t, 2)
	daemonImg := randomImage(t, 2)
	engine := dockertest.New(t, "app:dev", daemonImg)
	index := multiPlatformIndex(t)
	if err := remote.WriteIndex(mustRef(t, source.Host+"/team/app:v1"), index); err != nil {
		t.Fatal(err)
	}
	base := multiPlatformIndex(t)
	if err := remote.WriteIndex(mustRef(t, source.Host+"/base/runtime:1"), base); err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	if err := os.WriteFile(filepath.Join(files, "hello.txt"), []byte("hello from ferry\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantDigest string // "" → only checked to be in the registry
		check      func(t *testing.T, repo, digest string)
	}{
		{name: "docker save tarball", args: []string{"--image-tar", dockerSave(t, tarImg)}, wantDigest: digestOf(t, tarImg)},
		{
			name: "local Docker daemon", args: []string{"--local-image", "app:dev"}, env: map[string]string{"DOCKER_HOST": engine.Host}, wantDigest: digestOf(t, daemonImg),
			check: func(t *testing.T, _, _ string) {
				if engine.Saves() != 1 {
					t.Errorf("docker save calls: want 1, have %d", engine.Saves())
				}
			},
		},
		{
			name: "promote a multi-platform index", args: []string{"--source-image", source.Host + "/team/app:v1"}, wantDigest: digestOf(t, index),
			check: func(t *testing.T, repo, digest string) {
				idx, err := remote.Index(mustRef(t, reg.Host+"/"+repo+"@"+digest), remote.WithAuthFromKeychain(reg.Keychain()))
				if err != nil {
					t.Fatal(err)
				}
				m, err := idx.IndexManifest()
				if err != nil || len(m.Manifests) != 2 {
					t.Fatalf("promoted index: want 2 manifests, have %v (%v)", m, err)
				}
				for _, d := range m.Manifests {
					if _, err := idx.Image(d.Digest); err != nil {
						t.Errorf("platform %s: %v", d.Platform, err)
					}
				}
			},
		},
		{
			name: "daemonless build",
			args: []string{"--base-image", source.Host + "/base/runtime:1", "--files", files + "/hello.txt:/srv/hello.txt",
				"--image-entrypoint", `["/srv/app","serve"]`, "--env", "GREETING=hi", "--workdir", "/srv", "--platforms", "linux/arm64"},
			env: map[string]string{"SOURCE_DATE_EPOCH": "1700000000"},
			check: func(t *testing.T, repo, digest string) {
				idx, err := remote.Index(mustRef(t, reg.Host+"/"+repo+"@"+digest), remote.WithAuthFromKeychain(reg.Keychain()))
				if err != nil {
					t.Fatal(err)
				}
				m, err := idx.IndexManifest()
				if err != nil || len(m.Manifests) != 1 || m.Manifests[0].Platform.Architecture != "arm64" {
					t.Fatalf("built index: want one linux/arm64 image, have %+v (%v)", m, err)
				}
				img, err := idx.Image(m.Manifests[0].Digest)
				if err != nil {
					t.Fatal(err)
				}
				cf, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(cf.Config.Entrypoint, " ") != "/srv/app serve" || cf.Config.WorkingDir != "/srv" || !contains(cf.Config.Env, "GREETING=hi") {
					t.Errorf("config: want entrypoint /srv/app serve, workdir /srv, GREETING=hi; have %+v", cf.Config)
				}
				if want := time.Unix(1700000000, 0).UTC(); !cf.Created.Time.Equal(want) {
					t.Errorf("created: want %s (SOURCE_DATE_EPOCH), have %s", want, cf.Created.Time)
				}
				layers, err := img.Layers()
				if err != nil {
					t.Fatal(err)
				}
				if have := fileInLayer(t, layers[len(layers)-1], "srv/hello.txt"); have != "hello from ferry\n" {
					t.Errorf("srv/hello.txt in the new layer: want %q, have %q", "hello from ferry\n", have)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := uniqueRepo("src")
			args := pushArgs(endpoint, reg, repo, append(tt.args, "--tags", "v1", "--output", "json")...)
			res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: args, Env: merge(staticKeys(), tt.env)})
			if res.Code != 0 {
				t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
			}
			var out map[string]string
			if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
				t.Fatalf("stdout: %v\n%s", err, res.Stdout)
			}
			if tt.wantDigest != "" && out["digest"] != tt.wantDigest {
				t.Errorf("digest: want %s (unchanged), have %s", tt.wantDigest, out["digest"])
			}
			if have, err := remoteDigest(t, reg, repo+":v1"); err != nil || have != out["digest"] {
				t.Errorf("tag v1 in the registry: want %s, have %s (%v)", out["digest"], have, err)
			}
			if tt.check != nil {
				tt.check(t, repo, out["digest"])
			}
		})
	}

	// The daemonless build is reproducible: the same inputs give the same digest.
	var digests []string
	for range 2 {
		res := actiontest.Exec(context.Background(), t, actiontest.Run{
			Args: pushArgs(endpoint, reg, uniqueRepo("repro"), "--base-image", source.Host+"/base/runtime:1", "--files", files+":/srv", "--tags", "r", "--output", "json"),
			Env:  merge(staticKeys(), map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}),
		})
		var out map[string]string
		if err := json.Unmarshal([]byte(res.Stdout), &out); res.Code != 0 || err != nil {
			t.Fatalf("build: exit %d, %v\n%s", res.Code, err, res.Stderr)
		}
		digests = append(digests, out["digest"])
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same inputs: want one digest, have %s and %s", digests[0], digests[1])
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func fileInLayer(t *testing.T, l v1.Layer, path string) string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == path {
			var b bytes.Buffer
			_, _ = io.Copy(&b, tr)
			return b.String()
		}
	}
}

// TestBuildPushECRImmutable: a tag that points elsewhere in an IMMUTABLE
// repository fails before anything is written; the same digest is a no-op.
func TestBuildPushECRImmutable(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword, ImmutableTags: true})
	repo := uniqueRepo("immutable")
	first, second := ociLayout(t, randomImage(t, 2)), ociLayout(t, randomImage(t, 2))
	push := func(dir, tags string) actiontest.Result {
		return actiontest.Exec(context.Background(), t, actiontest.Run{
			Args: pushArgs(endpoint, reg, repo, "--oci-layout", dir, "--tags", tags, "--tag-mutability", "IMMUTABLE"),
			Env:  staticKeys(),
		})
	}
	if res := push(first, "release"); res.Code != 0 {
		t.Fatalf("first push: exit %d\n%s", res.Code, res.Stderr)
	}
	if r, _ := describeRepo(t, endpoint, repo); r.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable {
		t.Errorf("repository: want IMMUTABLE, have %s", r.ImageTagMutability)
	}

	reg.ResetStats()
	res := push(second, "release\nother")
	if res.Code != 1 || !strings.Contains(res.Stderr, `tag "release" points at`) {
		t.Errorf("conflicting push: want exit 1 naming tag release, have %d\n%s", res.Code, res.Stderr)
	}
	if st := reg.Stats(); st.ManifestPuts != 0 || st.BlobUploadsStarted != 0 || st.BlobUploadBytes != 0 {
		t.Errorf("conflicting push wrote: %d manifests, %d uploads, %d bytes", st.ManifestPuts, st.BlobUploadsStarted, st.BlobUploadBytes)
	}
	if _, err := remoteDigest(t, reg, repo+":other"); err == nil {
		t.Error("tag other was written although the push failed")
	}

	reg.ResetStats()
	if res := push(first, "release"); res.Code != 0 {
		t.Errorf("same digest again: want exit 0, have %d\n%s", res.Code, res.Stderr)
	}
	if st := reg.Stats(); st.ManifestPuts != 0 || st.BlobUploadBytes != 0 {
		t.Errorf("same digest again wrote %d manifests and %d bytes", st.ManifestPuts, st.BlobUploadBytes)
	}
}

// TestBuildPushECRExclusions: ECR's tag mutability with exclusion filters.
// In an IMMUTABLE_WITH_EXCLUSION repository excluding latest (made outside
// ferry), latest moves while a v1 that points elsewhere fails before any
// write; in a MUTABLE_WITH_EXCLUSION repository that build-push-ecr creates
// with tag-mutability-exclusions release-*, dev moves and release-1 does not.
func TestBuildPushECRExclusions(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	imgA, imgB := randomImage(t, 2), randomImage(t, 2)
	first, second := ociLayout(t, imgA), ociLayout(t, imgB)
	firstDigest, secondDigest := digestOf(t, imgA), digestOf(t, imgB)
	type push struct {
		dir, tags string
		wantCode  int
		wantErr   string
		noWrites  bool
	}
	tests := []struct {
		name       string
		precreate  *ecr.CreateRepositoryInput // made outside ferry; else by the first push
		args       []string
		registry   func(tag string) bool
		pushes     []push
		wantDigest map[string]string // tag → digest at the end
	}{
		{
			name: "IMMUTABLE_WITH_EXCLUSION latest",
			precreate: &ecr.CreateRepositoryInput{ImageTagMutability: ecrtypes.ImageTagMutabilityImmutableWithExclusion,
				ImageTagMutabilityExclusionFilters: []ecrtypes.ImageTagMutabilityExclusionFilter{{Filter: aws.String("latest"), FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard}}},
			registry: func(tag string) bool { return tag != "latest" },
			pushes: []push{
				{dir: first, tags: "v1,latest"},
				{dir: second, tags: "latest"},
				{dir: second, tags: "v1,latest", wantCode: 1, wantErr: `tag "v1" points at ` + firstDigest, noWrites: true},
			},
			wantDigest: map[string]string{"v1": firstDigest, "latest": secondDigest},
		},
		{
			name:     "MUTABLE_WITH_EXCLUSION release-*, created by ferry",
			args:     []string{"--tag-mutability", "MUTABLE_WITH_EXCLUSION", "--tag-mutability-exclusions", "release-*"},
			registry: func(tag string) bool { return strings.HasPrefix(tag, "release-") },
			pushes: []push{
				{dir: first, tags: "release-1,dev"},
				{dir: second, tags: "dev"},
				{dir: second, tags: "release-1,dev", wantCode: 1, wantErr: `tag "release-1" points at ` + firstDigest, noWrites: true},
			},
			wantDigest: map[string]string{"release-1": firstDigest, "dev": secondDigest},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword, ImmutableTag: tt.registry})
			repo := uniqueRepo("exclusion")
			if tt.precreate != nil {
				in := *tt.precreate
				in.RepositoryName = aws.String(repo)
				if _, err := ecrClient(t, endpoint).CreateRepository(context.Background(), &in); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range tt.pushes {
				reg.ResetStats()
				res := actiontest.Exec(context.Background(), t, actiontest.Run{
					Args: pushArgs(endpoint, reg, repo, append([]string{"--oci-layout", p.dir, "--tags", p.tags}, tt.args...)...),
					Env:  staticKeys(),
				})
				if res.Code != p.wantCode || !strings.Contains(res.Stderr, p.wantErr) {
					t.Fatalf("push %d (%s): want exit %d with %q, have %d\n%s", i+1, p.tags, p.wantCode, p.wantErr, res.Code, res.Stderr)
				}
				if st := reg.Stats(); p.noWrites && (st.ManifestPuts != 0 || st.BlobUploadsStarted != 0) {
					t.Errorf("push %d: a refused push wrote %d manifests, started %d uploads", i+1, st.ManifestPuts, st.BlobUploadsStarted)
				}
				if st := reg.Stats(); st.TagsRefused != 0 {
					t.Errorf("push %d: the registry refused %d tag writes: ferry should have known", i+1, st.TagsRefused)
				}
			}
			for tag, want := range tt.wantDigest {
				if have, err := remoteDigest(t, reg, repo+":"+tag); err != nil || have != want {
					t.Errorf("tag %s: want %s, have %s (%v)", tag, want, have, err)
				}
			}
			if r, _ := describeRepo(t, endpoint, repo); len(r.ImageTagMutabilityExclusionFilters) != 1 {
				t.Errorf("repository: want one exclusion filter, have %+v", r.ImageTagMutabilityExclusionFilters)
			}
		})
	}
}

// TestBuildPushECRRegistryEndpoint: registry-endpoint changes where the
// bytes go, never the name: image-uri is the ECR URI a task definition
// names (what ECS pulls), and a source image named by that ECR host is read
// through the endpoint too, so a promotion written for AWS runs unchanged
// against a stand-in registry.
func TestBuildPushECRRegistryEndpoint(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	reg := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	img := randomImage(t, 2)
	digest := digestOf(t, img)
	repo := uniqueRepo("endpoint")
	env := merge(staticKeys(), map[string]string{"GITHUB_SHA": "89abcdef0123456789abcdef0123456789abcdef"})

	res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
		Action: "build-push-ecr",
		With: map[string]string{"repository": repo, "oci-layout": ociLayout(t, img), "tags": "sha-89abcde",
			"aws-region": "us-east-1", "aws-endpoint-url": endpoint},
		Env: merge(env, map[string]string{"FERRY_REGISTRY_ENDPOINT": reg.Host}),
	})
	if res.Code != 0 {
		t.Fatalf("push: exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	wantOutputs(t, res, map[string]string{"registry": motoRegistry, "image-uri": motoRegistry + "/" + repo + "@" + digest,
		"image": motoRegistry + "/" + repo + ":sha-89abcde"})
	if have, err := remoteDigest(t, reg, repo+":sha-89abcde"); err != nil || have != digest {
		t.Errorf("tag sha-89abcde at the endpoint: want %s, have %s (%v)", digest, have, err)
	}

	// Promote by the ECR name of the tag, as gitflow does on main.
	res = actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
		Action: "build-push-ecr",
		With: map[string]string{"repository": repo, "source-image": motoRegistry + "/" + repo + ":sha-89abcde", "tags": "1.0.0",
			"registry-endpoint": reg.Host, "aws-region": "us-east-1", "aws-endpoint-url": endpoint},
		Env: env,
	})
	if res.Code != 0 {
		t.Fatalf("promote: exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	wantOutputs(t, res, map[string]string{"digest": digest, "image-uri": motoRegistry + "/" + repo + "@" + digest})
	if have, err := remoteDigest(t, reg, repo+":1.0.0"); err != nil || have != digest {
		t.Errorf("tag 1.0.0 at the endpoint: want %s, have %s (%v)", digest, have, err)
	}
	if strings.Contains(res.Outputs["image-uri"], reg.Host) {
		t.Errorf("image-uri names the endpoint: %s", res.Outputs["image-uri"])
	}
}
