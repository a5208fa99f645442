package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-ci/ferry/pkg/action"
	ferryecr "github.com/ferry-ci/ferry/pkg/ecr"
	"github.com/ferry-ci/ferry/pkg/image"
	"github.com/ferry-ci/ferry/pkg/publish"
)

// The image sources of build-push-ecr; exactly one is given.
var imageSources = []string{"local-image", "image-tar", "oci-layout", "source-image", "base-image"}

func buildPushECR() Command {
	inputs := []action.Input{
		{Name: "repository", Required: true, Description: "ECR repository name, e.g. app/web."},
		{Name: "tags", Kind: action.List, Description: "Tags to push. Default from the git context: sha-<short sha>; on a branch also the branch name made tag-safe; on a semver tag v1.2.3 also 1.2.3, 1.2 and 1."},
		{Name: "tag-latest", Kind: action.Bool, Default: "false", Description: "Also tag latest (with the default tags)."},
		{Name: "local-image", Description: "Source: an image in the Docker daemon (DOCKER_HOST or /var/run/docker.sock), e.g. app:dev built by an earlier step."},
		{Name: "image-tar", Description: "Source: a docker save or OCI tarball."},
		{Name: "oci-layout", Description: "Source: an OCI layout directory, e.g. from docker buildx build --output type=oci,tar=false."},
		{Name: "source-image", Description: "Source: a remote image to promote (tag or digest; any registry, another ECR account or region). Copied with its digest unchanged, every platform of an index kept."},
		{Name: "base-image", Description: "Source: a daemonless build on this base image (tag or digest) that appends one layer with `files` for each requested platform."},
		{Name: "files", Kind: action.Lines, Description: "With base-image: files to add, one `src:dest` per line (dest absolute; a directory is copied whole)."},
		{Name: "image-entrypoint", Description: `With base-image: the image's entrypoint, as a JSON array (["/app","serve"]) or words separated by spaces. (Not "entrypoint": the runner takes a container action's entrypoint input as the entrypoint of the action itself.)`},
		{Name: "cmd", Description: "With base-image: the default arguments, as a JSON array or words separated by spaces."},
		{Name: "env", Kind: action.Map, Description: "With base-image: environment variables, KEY=value lines, added to the base image's."},
		{Name: "workdir", Description: "With base-image: the working directory."},
		{Name: "platforms", Kind: action.List, Description: "With base-image: platforms to build, e.g. linux/amd64,linux/arm64. Default: every platform of the base image."},
		{Name: "create-repository", Kind: action.Bool, Default: "true", Description: "Create the repository when it does not exist."},
		{Name: "scan-on-push", Kind: action.Bool, Default: "true", Description: "Scan images on push (applied when creating the repository)."},
		{Name: "tag-mutability", Default: "MUTABLE", Options: []string{"MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"}, Description: "Tag mutability, applied when creating the repository; the _WITH_EXCLUSION settings except the tags tag-mutability-exclusions match. An existing repository's setting (filters included) decides which tags a push may move."},
		{Name: "tag-mutability-exclusions", Kind: action.List, Description: "With MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION: 1 to 5 wildcard filters of the tags excepted from tag-mutability, e.g. latest,dev-* (applied when creating the repository)."},
		{Name: "lifecycle-keep", Kind: action.Int, Default: "0", Description: "Keep only the newest N images with a lifecycle policy; 0 leaves the policy alone."},
		{Name: "registry-account-id", Description: "Account ID of the registry, for cross-account pushes. Default: the caller's account."},
		{Name: "registry-endpoint", Description: "Registry host[:port] the bytes go to instead of the ECR host, for private endpoints and tests. The outputs still name the ECR host (what ECS pulls); a source image on an ECR host of the region is read through it too."},
		{Name: "jobs", Kind: action.Int, Default: "4", Description: "Parallel blob uploads."},
	}
	return Command{
		Spec: action.Spec{
			Name:        "build-push-ecr",
			Description: "Push an image to Amazon ECR from the Docker daemon, a tarball, an OCI layout, a remote image (promotion by digest) or a daemonless build, tagged from the git context.",
			Inputs:      append(append(inputs, awsInputs()...), timeoutInput("30m")),
			Outputs: []action.Output{
				{Name: "registry", Description: "Registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com."},
				{Name: "image", Description: "Repository URI with the first tag, e.g. …/app/web:sha-1a2b3c4."},
				{Name: "digest", Description: "Digest of the pushed manifest (image or index), e.g. sha256:…."},
				{Name: "image-uri", Description: "Repository URI by digest (…/app/web@sha256:…): what deploy steps should use."},
				{Name: "tags", Description: "The tags pushed, comma separated."},
			},
		},
		Run: runBuildPushECR,
	}
}

// pushPlan is everything build-push-ecr checked before its first AWS call.
type pushPlan struct {
	source   string // which input names the source
	ref      name.Reference
	path     string
	build    image.BuildOptions
	tags     []string
	repo     ferryecr.RepositoryOptions
	endpoint string
	jobs     int
}

func planPush(ctx context.Context, rt *action.Runtime) pushPlan {
	in := rt.Inputs()
	p := pushPlan{endpoint: in.String("registry-endpoint"), jobs: in.Int("jobs")}

	var given []string
	for _, s := range imageSources {
		if in.IsSet(s) {
			given = append(given, s)
		}
	}
	switch len(given) {
	case 0:
		in.Problem("local-image", "exactly one image source: local-image, image-tar, oci-layout, source-image or base-image", "none")
	case 1:
		p.source = given[0]
	default:
		in.Problem(given[1], "exactly one image source", strings.Join(given, " and "))
	}
	if p.source != "base-image" {
		for _, only := range []string{"files", "image-entrypoint", "cmd", "env", "workdir", "platforms"} {
			if in.IsSet(only) {
				in.Problem(only, "base-image as well ("+only+" belongs to a daemonless build)", "no base-image")
			}
		}
	}
	switch p.source {
	case "local-image", "source-image", "base-image":
		ref, err := image.ParseReference(in.String(p.source))
		if err != nil {
			in.Problem(p.source, "an image reference such as registry/repo:tag or repo@sha256:…", fmt.Sprintf("%s (%v)", action.Quote(in.String(p.source)), err))
		}
		p.ref = ref
	case "image-tar", "oci-layout":
		p.path = in.Path(p.source)
		if fi, err := os.Stat(p.path); err != nil {
			in.Problem(p.source, "an existing path", fmt.Sprintf("%s (%v)", action.Quote(in.String(p.source)), errors.Unwrap(err)))
		} else if want := p.source == "oci-layout"; fi.IsDir() != want {
			in.Problem(p.source, map[bool]string{true: "a directory", false: "a file"}[want], action.Quote(in.String(p.source)))
		}
	}
	if p.source == "base-image" {
		p.build = planBuild(rt, in)
	}

	p.tags = in.List("tags")
	if len(p.tags) == 0 {
		tags, err := image.DefaultTags(gitContext(ctx, rt, rt.Workspace()), in.Bool("tag-latest"))
		if err != nil {
			in.Problem("tags", "a list of tags, or a git context to derive them from (GITHUB_SHA, CI_COMMIT_SHA or a git checkout)", err.Error())
		}
		p.tags = tags
	} else if in.Bool("tag-latest") {
		p.tags = append(p.tags, "latest")
	}
	for _, t := range p.tags {
		if err := image.ValidateTag(t); err != nil {
			in.Problem("tags", "tags of letters, digits, _ . - (at most 128, not starting with . or -)", action.Quote(t))
		}
	}
	if p.jobs < 1 || p.jobs > 64 {
		in.Problem("jobs", "1 to 64", fmt.Sprint(p.jobs))
	}
	if p.endpoint != "" && strings.Contains(p.endpoint, "/") {
		in.Problem("registry-endpoint", "a registry host[:port] without scheme or path, e.g. vpce-0a1b.dkr.ecr.eu-west-1.vpce.amazonaws.com", action.Quote(p.endpoint))
	}
	p.repo = ferryecr.RepositoryOptions{
		Name:          in.String("repository"),
		RegistryID:    in.String("registry-account-id"),
		Create:        in.Bool("create-repository"),
		ScanOnPush:    in.Bool("scan-on-push"),
		TagMutability: in.String("tag-mutability"),
		LifecycleKeep: in.Int("lifecycle-keep"),

		TagMutabilityExclusions: in.List("tag-mutability-exclusions"),
	}
	in.Add(inputNames(p.repo.Validate(), buildPushECRRepositoryInputs))
	return p
}

// buildPushECRRepositoryInputs names pkg/ecr's repository fields as this
// action's inputs, for the problems ecr.RepositoryOptions.Validate reports.
var buildPushECRRepositoryInputs = map[ferryecr.Field]string{
	ferryecr.RepositoryName:          "repository",
	ferryecr.RegistryID:              "registry-account-id",
	ferryecr.TagMutability:           "tag-mutability",
	ferryecr.TagMutabilityExclusions: "tag-mutability-exclusions",
	ferryecr.LifecycleKeep:           "lifecycle-keep",
}

func planBuild(rt *action.Runtime, in *action.Values) image.BuildOptions {
	o := image.BuildOptions{Workdir: in.String("workdir")}
	files, err := image.ParseFiles(in.Lines("files"))
	if err != nil {
		in.AddFor("files", err)
	}
	for i := range files {
		if !filepath.IsAbs(files[i].Src) {
			files[i].Src = filepath.Join(rt.Workspace(), files[i].Src)
		}
	}
	o.Files = files
	if len(files) == 0 && err == nil {
		in.Problem("files", "at least one src:dest line with base-image", "none")
	}
	for _, name := range []string{"image-entrypoint", "cmd"} {
		words, err := splitCommand(in.String(name))
		if err != nil {
			in.Problem(name, `a JSON array such as ["/app","serve"] or words separated by spaces`, fmt.Sprintf("%s (%v)", action.Quote(in.String(name)), err))
		}
		if name == "image-entrypoint" {
			o.Entrypoint = words
		} else {
			o.Cmd = words
		}
	}
	env := in.Map("env")
	for _, k := range slices.Sorted(maps.Keys(env)) {
		o.Env = append(o.Env, k+"="+env[k])
	}
	if items := in.List("platforms"); len(items) > 0 {
		platforms, err := image.ParsePlatforms(items)
		if err != nil {
			in.AddFor("platforms", err)
		}
		o.Platforms = platforms
	}
	epoch, err := image.EpochFromEnv(rt.Getenv)
	if err != nil {
		in.Add(err)
	}
	o.Epoch = epoch
	return o
}

// splitCommand reads a JSON array, or words separated by spaces.
func splitCommand(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "[") {
		var words []string
		if err := json.Unmarshal([]byte(s), &words); err != nil {
			return nil, err
		}
		return words, nil
	}
	return strings.Fields(s), nil
}

func runBuildPushECR(ctx context.Context, rt *action.Runtime, b Build) error {
	var plan pushPlan
	run, cancel, err := startAWS(ctx, rt, b, func() { plan = planPush(ctx, rt) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, opts, timeout := run.ctx, run.cfg, run.opts, run.timeout
	log := rt.Logger()
	if plan.source == "source-image" || plan.source == "base-image" {
		plan.ref = throughEndpoint(plan.ref, plan.endpoint, cfg.Region)
	}
	client := ferryecr.New(ecr.NewFromConfig(cfg), ferryecr.Options{Logger: log, OnSecret: rt.Mask})
	keychain := client.Keychain(ferryecr.KeychainOptions{
		RegistryEndpoint: plan.endpoint,
		RegistryID:       plan.repo.RegistryID,
		Fallback:         authn.DefaultKeychain, // reads ~/.docker/config.json for other registries; never writes it
	})

	// Where the target registry is known up front, fetch its token while the
	// source is read and the repository checked: one ECR round trip less on
	// the critical path. The keychain makes one fetch per host and keeps it.
	if host := knownRegistryHost(plan, cfg.Region); host != "" {
		reg, err := name.NewRegistry(host, name.WeakValidation)
		if kc, ok := keychain.(authn.ContextKeychain); ok && err == nil {
			go func() { _, _ = kc.ResolveContext(ctx, reg) }()
		}
	}

	// Produce first: reading the source changes nothing, and a source that
	// cannot be read must not leave a new repository behind.
	end := rt.Group("Image from " + plan.source)
	art, err := produce(ctx, plan, keychain)
	end()
	if errors.Is(err, image.ErrPlatformNotInBase) {
		return action.Usage(rt.Spec().Name, &action.Problem{Input: "platforms", Expected: "platforms the base image serves", Found: err.Error()})
	}
	if err != nil {
		return timedOut(ctx, err, timeout)
	}

	end = rt.Group("Repository " + plan.repo.Name)
	repo, err := client.EnsureRepository(ctx, plan.repo)
	end()
	if err != nil {
		return timedOut(ctx, err, timeout)
	}
	log.Info("repository", "uri", repo.URI, "created", repo.Created, "tag_mutability", repo.TagMutability,
		"exclusions", strings.Join(repo.TagMutabilityExclusions, ","), "lifecycle_changed", repo.LifecycleChanged)
	// The outputs name the repository as ECS and everyone else pulls it, by
	// its ECR URI; registry-endpoint only changes where the bytes go.
	named, err := name.NewRepository(repo.URI, name.WeakValidation)
	if err != nil {
		return fmt.Errorf("repository URI %q: %w", repo.URI, err)
	}
	target := named
	if plan.endpoint != "" {
		_, repoPath, _ := strings.Cut(repo.URI, "/")
		if target, err = name.NewRepository(plan.endpoint+"/"+repoPath, name.WeakValidation); err != nil {
			return fmt.Errorf("repository %q at registry-endpoint %q: %w", repoPath, plan.endpoint, err)
		}
	}

	end = rt.Group("Push to " + target.String())
	res, err := publish.Push(ctx, target, art, plan.tags, publish.Options{
		Keychain: keychain, Jobs: plan.jobs, Immutable: repo.TagImmutable, Logger: log,
		Retry: publish.Retry{Attempts: opts.MaxAttempts, MaxBackoff: opts.MaxBackoff},
	})
	end()
	if err != nil {
		return timedOut(ctx, err, timeout)
	}

	uri := named.String()
	if err := rt.SetOutputs(
		[2]string{"registry", named.RegistryStr()},
		[2]string{"image", uri + ":" + plan.tags[0]},
		[2]string{"digest", res.Digest.String()},
		[2]string{"image-uri", uri + "@" + res.Digest.String()},
		[2]string{"tags", strings.Join(plan.tags, ",")},
	); err != nil {
		return err
	}
	return rt.Summary(pushSummary(plan, uri, res))
}

// throughEndpoint is where a source image is read from: with a
// registry-endpoint, an image named by an ECR registry of the region (the
// target's own, as build-push-ecr's outputs name it) is read through the
// endpoint, as the push goes; any other reference is left as it is.
func throughEndpoint(ref name.Reference, endpoint, region string) name.Reference {
	if endpoint == "" || ref == nil {
		return ref
	}
	if _, r, ok := ferryecr.ParseRegistryHost(ref.Context().RegistryStr()); !ok || r != region {
		return ref
	}
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	moved, err := name.ParseReference(endpoint+"/"+ref.Context().RepositoryStr()+sep+ref.Identifier(), name.WeakValidation)
	if err != nil {
		return ref
	}
	return moved
}

// knownRegistryHost is the target registry's host when it is known before
// the repository is described: the registry-endpoint override, or the ECR
// host of registry-account-id.
func knownRegistryHost(p pushPlan, region string) string {
	switch {
	case p.endpoint != "":
		return p.endpoint
	case p.repo.RegistryID != "":
		return ferryecr.RegistryHost(p.repo.RegistryID, region)
	}
	return ""
}

// produce turns the planned source into an artifact.
func produce(ctx context.Context, p pushPlan, keychain authn.Keychain) (image.Artifact, error) {
	switch p.source {
	case "local-image":
		return image.FromDaemon(ctx, p.ref.String(), nil)
	case "image-tar":
		return image.FromTarball(p.path)
	case "oci-layout":
		return image.FromLayout(p.path)
	case "source-image":
		return image.FromRemote(ctx, p.ref.String(), remote.WithAuthFromKeychain(keychain))
	case "base-image":
		base, err := image.FromRemote(ctx, p.ref.String(), remote.WithAuthFromKeychain(keychain))
		if err != nil {
			return image.Artifact{}, err
		}
		o := p.build
		o.Base = base
		return image.Build(ctx, o)
	}
	return image.Artifact{}, fmt.Errorf("unknown image source %q", p.source)
}

func pushSummary(p pushPlan, uri string, r publish.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ferry build-push-ecr\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Repository | `%s` |\n| Source | %s |\n| Digest | `%s` |\n", uri, p.source, r.Digest)
	fmt.Fprintf(&b, "| Tags | %s |\n", codeList(r.Tags))
	if len(r.Unchanged) > 0 {
		fmt.Fprintf(&b, "| Tags already there | %s |\n", codeList(r.Unchanged))
	}
	fmt.Fprintf(&b, "| Platforms | %s |\n", platformList(r.Platforms))
	fmt.Fprintf(&b, "| Blobs | %d: %d uploaded, %d already there, %d mounted |\n", r.Blobs.Total, r.Blobs.Uploaded, r.Blobs.Existing, r.Blobs.Mounted)
	fmt.Fprintf(&b, "| Bytes uploaded | %d |\n", r.BytesUploaded)
	return b.String()
}

func codeList(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return "`" + strings.Join(items, "`, `") + "`"
}

func platformList(ps []v1.Platform) string {
	if len(ps) == 0 {
		return "unknown"
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}
