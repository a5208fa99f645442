package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/cdn"
	"github.com/ferry-ci/ferry/pkg/s3sync"
)

func syncS3CloudFront() Command {
	inputs := []action.Input{
		{Name: "source", Required: true, Description: "Local directory to sync, e.g. dist; relative to the workspace."},
		{Name: "bucket", Required: true, Description: "S3 bucket name."},
		{Name: "prefix", Description: "Key prefix in the bucket, e.g. site; empty for the bucket's root."},
		{Name: "delete", Kind: action.Bool, Default: "false", Description: "Delete objects under the prefix that have no file in source (excluded ones stay)."},
		{Name: "max-delete", Kind: action.Int, Default: "256", Description: "With delete: when more objects would be deleted, fail before changing anything."},
		{Name: "force-delete", Kind: action.Bool, Default: "false", Description: "With delete: allow deleting more than half of the objects under the prefix (refused otherwise, before changing anything)."},
		{Name: "follow-symlinks", Kind: action.Bool, Default: "false", Description: "Upload what symbolic links in source point at even outside source (such links are refused otherwise)."},
		{Name: "exclude", Kind: action.Lines, Description: "Globs, one per line, of paths neither uploaded nor deleted, e.g. `**/*.map`; `**` spans directories."},
		{Name: "cache-control", Kind: action.Lines, Description: "Lines glob=value, first match wins, e.g. `**/*.html=no-cache` and `assets/**=public, max-age=31536000, immutable`. No match: no Cache-Control."},
		{Name: "content-type", Kind: action.Lines, Description: "Lines glob=type overriding the built-in detection (by extension, charset=utf-8 on text types), first match wins."},
		{Name: "compress", Kind: action.Lines, Description: "Lines glob=gzip or glob=br: upload those files compressed, with Content-Encoding; first match wins."},
		{Name: "distribution-id", Description: "CloudFront distribution to invalidate the changed paths of, after the sync."},
		{Name: "invalidation-max-paths", Kind: action.Int, Default: "15", Description: "Most paths in the invalidation (1 to 3000); past it paths collapse into dir/* wildcards, then into /*."},
		{Name: "wait-for-invalidation", Kind: action.Bool, Default: "false", Description: "Wait until the invalidation has completed."},
		{Name: "concurrency", Kind: action.Int, Default: "32", Description: "S3 requests in flight, 1 to 256."},
		{Name: "dry-run", Kind: action.Bool, Default: "false", Description: "Read and compare everything, print the plan, change nothing."},
		{Name: "manifest-key", Description: "S3 key of the sync manifest, ending in .ferry-sync.json.gz, e.g. outside the CloudFront origin path; default <prefix>/.ferry-sync.json.gz."},
	}
	return Command{
		Spec: action.Spec{
			Name:        "sync-s3-cloudfront",
			Description: "Sync a static site to S3 by content hash (fresh checkouts upload nothing unchanged), apply header-only changes in place, delete safely, and invalidate only what changed in CloudFront.",
			Inputs:      append(append(inputs, awsInputs()...), timeoutInput("30m")),
			Outputs: []action.Output{
				{Name: "uploaded", Description: "Files uploaded (on a dry run: to upload)."},
				{Name: "metadata-updated", Description: "Objects whose headers were updated in place, without upload."},
				{Name: "deleted", Description: "Objects deleted."},
				{Name: "unchanged", Description: "Files already in the bucket as they are."},
				{Name: "bytes-uploaded", Description: "Bytes uploaded (after compression; on a dry run, file sizes)."},
				{Name: "invalidation-id", Description: "Id of the CloudFront invalidation created, empty when none was."},
				{Name: "changed-files", Description: "JSON list of the S3 keys uploaded, updated or deleted. On GitLab not in the dotenv report but in the file ferry-changed-files.json (an artifact).", File: changedFilesFile},
			},
		},
		Run: runSyncS3CloudFront,
	}
}

// changedFilesFile holds output changed-files on GitLab, whose dotenv
// reports take 5 KiB at most.
const changedFilesFile = "ferry-changed-files.json"

// syncCDNInputs names pkg/cdn's fields as this action's inputs, for the
// problems it reports.
var syncCDNInputs = map[cdn.Field]string{
	cdn.DistributionID: "distribution-id",
}

// syncS3Inputs names pkg/s3sync's fields as this action's inputs, for the
// problems ParseRules, Validate and Plan report.
var syncS3Inputs = map[s3sync.Field]string{
	s3sync.Source:         "source",
	s3sync.Bucket:         "bucket",
	s3sync.Prefix:         "prefix",
	s3sync.Exclude:        "exclude",
	s3sync.CacheControl:   "cache-control",
	s3sync.ContentType:    "content-type",
	s3sync.Compress:       "compress",
	s3sync.Delete:         "delete",
	s3sync.MaxDelete:      "max-delete",
	s3sync.ForceDelete:    "force-delete",
	s3sync.FollowSymlinks: "follow-symlinks",
	s3sync.ManifestKey:    "manifest-key",
	s3sync.Concurrency:    "concurrency",
}

// syncInputs is what sync-s3-cloudfront was asked to do.
type syncInputs struct {
	sync         s3sync.Options
	distribution string
	maxPaths     int
	wait         bool
	dryRun       bool
}

// planSync reads the inputs, recording every problem.
func planSync(in *action.Values) syncInputs {
	o := s3sync.Options{
		Source:         in.Path("source"),
		Bucket:         in.String("bucket"),
		Prefix:         in.String("prefix"),
		Delete:         in.Bool("delete"),
		MaxDelete:      in.Int("max-delete"),
		ForceDelete:    in.Bool("force-delete"),
		FollowSymlinks: in.Bool("follow-symlinks"),
		Exclude:        in.Lines("exclude"),
		Concurrency:    in.Int("concurrency"),
		ManifestKey:    in.String("manifest-key"),
	}
	for _, r := range []struct {
		kind s3sync.RuleKind
		name string
		dst  *[]s3sync.Rule
	}{
		{s3sync.CacheControlRule, "cache-control", &o.CacheControl},
		{s3sync.ContentTypeRule, "content-type", &o.ContentType},
		{s3sync.CompressRule, "compress", &o.Compress},
	} {
		rules, err := s3sync.ParseRules(r.kind, in.Lines(r.name))
		in.Add(inputNames(err, syncS3Inputs))
		*r.dst = rules
	}
	if in.IsSet("concurrency") && o.Concurrency == 0 {
		in.Problem("concurrency", fmt.Sprintf("1 to %d", s3sync.MaxConcurrency), "0")
	}
	// Validate checks every option again, rules included; only report
	// what ParseRules has not.
	if err := (s3sync.Options{Source: o.Source, Bucket: o.Bucket, Prefix: o.Prefix, Exclude: o.Exclude, Delete: o.Delete, MaxDelete: o.MaxDelete,
		ForceDelete: o.ForceDelete, Concurrency: o.Concurrency, ManifestKey: o.ManifestKey}).Validate(); err != nil {
		in.Add(inputNames(err, syncS3Inputs))
	}
	s := syncInputs{
		sync:         o,
		distribution: in.String("distribution-id"),
		maxPaths:     in.Int("invalidation-max-paths"),
		wait:         in.Bool("wait-for-invalidation"),
		dryRun:       in.Bool("dry-run"),
	}
	if s.distribution != "" {
		in.Add(inputNames(cdn.ValidateDistributionID(s.distribution), syncCDNInputs))
	} else if s.wait {
		in.Problem("wait-for-invalidation", "distribution-id as well", "no distribution-id")
	}
	if s.maxPaths < 1 || s.maxPaths > cdn.MaxPaths {
		in.Problem("invalidation-max-paths", fmt.Sprintf("1 to %d", cdn.MaxPaths), strconv.Itoa(s.maxPaths))
	}
	return s
}

func runSyncS3CloudFront(ctx context.Context, rt *action.Runtime, b Build) error {
	in := rt.Inputs()
	var si syncInputs
	run, cancel, err := startAWS(ctx, rt, b, func() { si = planSync(in) })
	defer cancel()
	if err != nil {
		return err
	}
	ctx, cfg, timeout := run.ctx, run.cfg, run.timeout
	log := rt.Logger()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Emulators and private endpoints serve buckets by path, not by
		// virtual host.
		o.UsePathStyle = cfg.BaseEndpoint != nil || rt.Getenv("AWS_ENDPOINT_URL_S3") != ""
		// Uploads carry Content-MD5, which S3 checks; a CRC32 on top
		// would read every body once more.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		// Keep a connection per request in flight: the SDK's pool keeps
		// 10 idle per host, and more requests would open new ones.
		if hc, ok := o.HTTPClient.(*awshttp.BuildableClient); ok {
			o.HTTPClient = hc.WithTransportOptions(func(t *http.Transport) {
				t.MaxIdleConns = max(t.MaxIdleConns, si.sync.Concurrency*2)
				t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, si.sync.Concurrency)
			})
		}
	})
	syncer := s3sync.New(client, s3sync.Config{Logger: log})
	dest := fmt.Sprintf("s3://%s/%s", si.sync.Bucket, si.sync.KeyPrefix())

	// The distribution is read before anything is written: a wrong id
	// fails the run with the bucket untouched.
	var (
		inv     *cdn.Invalidator
		origins []cdn.Origin
	)
	if si.distribution != "" {
		inv = cdn.New(cloudfront.NewFromConfig(cfg), cdn.Config{Logger: log})
		if origins, err = inv.Origins(ctx, si.distribution, si.sync.Bucket); err != nil {
			if errors.Is(err, cdn.ErrNoSuchDistribution) {
				return action.Usage(rt.Spec().Name, fmt.Errorf(`input "distribution-id": %w`, err))
			}
			return timedOut(ctx, err, timeout)
		}
		// Keys outside every origin path are never served: the sync would
		// write, then find nothing to invalidate.
		if !cdn.ServesPrefix(origins, si.sync.KeyPrefix()) {
			paths := make([]string, len(origins))
			for i, o := range origins {
				paths[i] = fmt.Sprintf("%q", "/"+strings.Trim(o.Path, "/"))
			}
			return action.Usage(rt.Spec().Name, fmt.Errorf(`input "prefix": expected a prefix under the origin path %s through which distribution %q serves bucket %q, found %q: nothing synced there would be served`,
				strings.Join(paths, " or "), si.distribution, si.sync.Bucket, in.String("prefix")))
		}
	}

	end := rt.Group(fmt.Sprintf("Compare %s with %s", in.String("source"), dest))
	plan, err := syncer.Plan(ctx, si.sync)
	err = inputNames(err, syncS3Inputs)
	end()
	if errors.Is(err, s3sync.ErrBadSource) {
		return action.Usage(rt.Spec().Name, err)
	}
	if err != nil {
		if errors.Is(err, s3sync.ErrTooManyDeletes) {
			_ = rt.Summary(syncSummary(si, dest, s3sync.Result{Unchanged: plan.Unchanged}, nil, "", err))
		}
		return timedOut(ctx, err, timeout)
	}
	log.Info("plan", "upload", plan.Count(s3sync.OpUpload), "update_metadata", plan.Count(s3sync.OpUpdateMetadata),
		"delete", plan.Count(s3sync.OpDelete), "unchanged", plan.Unchanged, "head_requests", plan.HeadRequests)

	if si.dryRun {
		end := rt.Group(fmt.Sprintf("Plan: %d changes (dry run: nothing changed)", len(plan.Changes)))
		for _, c := range plan.Changes {
			fmt.Fprintf(rt.Log(), "%s\n", c)
		}
		res := plan.Preview()
		var paths []string
		if inv != nil && len(plan.Changes) > 0 {
			paths = cdn.Paths(res.ChangedKeys(), origins, si.maxPaths)
			fmt.Fprintf(rt.Log(), "invalidate %s: %s\n", si.distribution, strings.Join(paths, " "))
		}
		end()
		return finishSync(rt, si, dest, res, paths, "", nil)
	}

	end = rt.Group(fmt.Sprintf("Sync %s to %s: %d changes", in.String("source"), dest, len(plan.Changes)))
	res, runErr := syncer.Apply(ctx, plan)
	end()

	// Invalidate what changed, even after a failed write: the bucket
	// already serves those objects, and a rerun would find them unchanged
	// and never invalidate them.
	var paths []string
	id := ""
	if inv != nil && len(res.Applied) > 0 {
		paths = cdn.Paths(res.ChangedKeys(), origins, si.maxPaths)
		end := rt.Group(fmt.Sprintf("Invalidate %d paths in %s", len(paths), si.distribution))
		// Cancelled (SIGTERM) or out of time, the invalidation of what
		// was written gets a budget of its own: a runner kills the job
		// seconds after the signal.
		ictx, icancel := ctx, context.CancelFunc(func() {})
		if ctx.Err() != nil {
			ictx, icancel = context.WithTimeout(context.WithoutCancel(ctx), invalidateBudget)
		}
		var invErr error
		id, invErr = inv.Create(ictx, si.distribution, paths)
		icancel()
		if invErr == nil && si.wait && ctx.Err() == nil {
			invErr = inv.Wait(ctx, si.distribution, id)
		}
		end()
		runErr = errors.Join(runErr, invErr)
	}
	return finishSync(rt, si, dest, res, paths, id, timedOut(ctx, runErr, timeout))
}

// invalidateBudget bounds the invalidation after a cancelled sync.
const invalidateBudget = 5 * time.Second

// finishSync sets the outputs and writes the summary, whether or not the
// run succeeded.
func finishSync(rt *action.Runtime, si syncInputs, dest string, res s3sync.Result, paths []string, id string, runErr error) error {
	keys := res.ChangedKeys()
	changed, err := json.Marshal(keys)
	if err != nil {
		return errors.Join(runErr, err)
	}
	if err := rt.SetOutputs(
		[2]string{"uploaded", strconv.Itoa(res.Uploaded)},
		[2]string{"metadata-updated", strconv.Itoa(res.MetadataUpdated)},
		[2]string{"deleted", strconv.Itoa(res.Deleted)},
		[2]string{"unchanged", strconv.Itoa(res.Unchanged)},
		[2]string{"bytes-uploaded", strconv.FormatInt(res.BytesUploaded, 10)},
		[2]string{"invalidation-id", id},
		[2]string{"changed-files", string(changed)},
	); err != nil {
		return errors.Join(runErr, err)
	}
	if err := rt.Summary(syncSummary(si, dest, res, paths, id, runErr)); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr == nil && !si.dryRun {
		rt.Logger().Info("synced", "uploaded", res.Uploaded, "metadata_updated", res.MetadataUpdated, "deleted", res.Deleted,
			"unchanged", res.Unchanged, "bytes", res.BytesUploaded, "invalidation", id)
	}
	return runErr
}

// summaryFiles is how many changed files the job summary lists.
const summaryFiles = 100

func syncSummary(si syncInputs, dest string, res s3sync.Result, paths []string, id string, runErr error) string {
	var b strings.Builder
	b.WriteString("### ferry sync-s3-cloudfront")
	if si.dryRun {
		b.WriteString(" (dry run: nothing changed)")
	}
	fmt.Fprintf(&b, "\n\n%s → %s\n\n", mdCode(si.sync.Source), mdCode(dest))
	b.WriteString("| Uploaded | Headers updated | Deleted | Unchanged | Bytes uploaded |\n|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %s |\n", res.Uploaded, res.MetadataUpdated, res.Deleted, res.Unchanged, humanBytes(res.BytesUploaded))
	if runErr != nil {
		fmt.Fprintf(&b, "\n**Failed**: %s\n", runErr)
	}
	if res.DeletesSkipped > 0 {
		fmt.Fprintf(&b, "\n**%d deletions skipped**: a write failed, so nothing was deleted.\n", res.DeletesSkipped)
	}
	switch {
	case id != "":
		fmt.Fprintf(&b, "\nInvalidation `%s` of distribution `%s`: %s\n", id, si.distribution, codeList(paths))
	case len(paths) > 0:
		fmt.Fprintf(&b, "\nWould invalidate in distribution `%s`: %s\n", si.distribution, codeList(paths))
	}
	if len(res.Applied) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n<details><summary>Changed files (%d)</summary>\n\n| File | Change | Why |\n|---|---|---|\n", len(res.Applied))
	for i, c := range res.Applied {
		if i == summaryFiles {
			fmt.Fprintf(&b, "\n… and %d more (output changed-files lists them all; on GitLab the file `ferry-changed-files.json`).\n", len(res.Applied)-summaryFiles)
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCode(c.Key), c.Op, strings.ReplaceAll(c.Reason, "|", `\|`))
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// mdCode renders s as a markdown code span that holds in a table cell:
// fenced with more backticks than any run of them in s (padded with
// spaces when s starts or ends with one), and with `|` escaped, which
// GitHub's tables split on even inside code.
func mdCode(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
