package commands_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/internal/registrytest"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// badFixtures are what the bad-input cases refer to, made once.
type badFixtures struct {
	ecs    ecsFixture
	lb     *elbtest.Fixture
	source *registrytest.Server // holds base/runtime:1, linux/amd64 and linux/arm64/v8
	dir    string               // an empty directory
	file   string               // a file
	sink   *sink                // notify's providers: must see no request
}

// badInput is one refusal: with these inputs the action exits 2, names
// every input at fault, and makes no call that may change anything.
type badInput struct {
	action, name string
	// with returns the inputs; the AWS ones (pointing at the proxy) and,
	// for build-push-ecr, registry-endpoint are added unless given.
	with func(f *badFixtures) map[string]string
	// inputs must each be named in stderr, quoted ("tags").
	inputs []string
	// want are further words stderr must hold.
	want []string
	// env is added to the process's environment.
	env map[string]string
}

// syncBase and notifyHook are the inputs the sync-s3-cloudfront and
// notify cases start from.
func syncBase(f *badFixtures, more ...string) map[string]string {
	return pairs(map[string]string{"source": f.dir, "bucket": "ferry-bad-input"}, more...)
}

func notifyHook(f *badFixtures, more ...string) map[string]string {
	return pairs(map[string]string{"webhook-url": f.sink.URL + "/hook/" + webhookSecret}, more...)
}

// ecsBase and lbBase are the inputs the deploy-ecs and redirect-traffic
// cases start from.
func ecsBase(f *badFixtures, more ...string) map[string]string {
	return pairs(map[string]string{"cluster": f.ecs.cluster, "service": f.ecs.service}, more...)
}

func lbBase(f *badFixtures, more ...string) map[string]string {
	return pairs(map[string]string{"listener-arn": f.lb.Listeners[0], "blue-target-group": f.lb.Blue, "green-target-group": f.lb.Green}, more...)
}

// pairs adds name, value, name, value… to m.
func pairs(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func in(kv ...string) func(*badFixtures) map[string]string {
	return func(*badFixtures) map[string]string { return pairs(map[string]string{}, kv...) }
}

const listenerARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"

// badInputs is the table: every refusal of every action, so the count is
// real.
func badInputs() []badInput {
	return []badInput{
		// build-push-ecr
		{action: "build-push-ecr", name: "no source", with: in("repository", "app/web", "tags", "x"),
			inputs: []string{"local-image"}, want: []string{"expected exactly one image source"}},
		{action: "build-push-ecr", name: "two sources", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "source-image": "registry.example/app:1", "tags": "x"}
		}, inputs: []string{"source-image"}, want: []string{"found oci-layout and source-image"}},
		{action: "build-push-ecr", name: "malformed reference", with: in("repository", "app/web", "source-image", "Not A Reference::", "tags", "x"),
			inputs: []string{"source-image"}, want: []string{"expected an image reference"}},
		{action: "build-push-ecr", name: "malformed platform and files", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "platforms": "linux", "files": "nodest", "tags": "x"}
		}, inputs: []string{"platforms", "files"}},
		{action: "build-push-ecr", name: "platform the base lacks", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "platforms": "linux/s390x", "files": f.dir + ":/srv", "tags": "x"}
		}, inputs: []string{"platforms"}, want: []string{"expected platforms the base image serves", "linux/s390x", "linux/amd64"}},
		{action: "build-push-ecr", name: "bad tag, jobs, mutability, missing tar", with: in("repository", "app/web", "image-tar", "missing.tar", "tags", "-bad", "jobs", "0", "tag-mutability", "SOMETIMES"),
			inputs: []string{"tags", "jobs", "tag-mutability", "image-tar"}, want: []string{`"-bad"`, "expected an existing path"}},
		{action: "build-push-ecr", name: "build inputs without base-image", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "image-entrypoint": "/app", "tags": "x"}
		}, inputs: []string{"image-entrypoint"}, want: []string{"expected base-image as well"}},
		{action: "build-push-ecr", name: "oci-layout is a file", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.file, "tags": "x"}
		},
			inputs: []string{"oci-layout"}, want: []string{"a directory"}},
		{action: "build-push-ecr", name: "repository with registry host", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "oci-layout": f.dir, "tags": "x"}
		}, inputs: []string{"repository"}, want: []string{"without the registry host"}},
		{action: "build-push-ecr", name: "no repository", with: func(f *badFixtures) map[string]string { return map[string]string{"oci-layout": f.dir, "tags": "x"} },
			inputs: []string{"repository"}},
		{action: "build-push-ecr", name: "registry-endpoint with scheme", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "registry-endpoint": "https://registry.example/v2"}
		}, inputs: []string{"registry-endpoint"}},
		{action: "build-push-ecr", name: "lifecycle-keep and registry-account-id", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "lifecycle-keep": "-3", "registry-account-id": "12345"}
		}, inputs: []string{"lifecycle-keep", "registry-account-id"}},
		{action: "build-push-ecr", name: "region, attempts, backoff, timeout", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "aws-region": "Europe", "max-attempts": "-1", "retry-max-backoff": "10m", "timeout": "soon"}
		}, inputs: []string{"aws-region", "max-attempts", "retry-max-backoff", "timeout"}},
		{action: "build-push-ecr", name: "boolean", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "create-repository": "yes please"}
		}, inputs: []string{"create-repository"}},
		{action: "build-push-ecr", name: "entrypoint not JSON", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "files": f.dir + ":/srv", "image-entrypoint": `["/app",`, "tags": "x"}
		}, inputs: []string{"image-entrypoint"}},

		// deploy-ecs
		{action: "deploy-ecs", name: "malformed images line", with: func(f *badFixtures) map[string]string { return ecsBase(f, "images", "web") },
			inputs: []string{"images"}, want: []string{`"web"`}},
		{action: "deploy-ecs", name: "container not in the task definition", with: func(f *badFixtures) map[string]string { return ecsBase(f, "images", "api=app:2") },
			inputs: []string{"images"}, want: []string{"unknown container", `"api"`, "web", "log-router"}},
		{action: "deploy-ecs", name: "malformed environment and secrets", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "environment", ":KEY=V", "secrets", "web:DB=arn:aws:s3:::not-a-secret")
		}, inputs: []string{"environment", "secrets"}},
		{action: "deploy-ecs", name: "run-task-command without run-task", with: func(f *badFixtures) map[string]string { return ecsBase(f, "run-task-command", "migrate") },
			inputs: []string{"run-task-command"}, want: []string{"expected run-task: true as well"}},
		{action: "deploy-ecs", name: "missing task definition file", with: func(f *badFixtures) map[string]string { return ecsBase(f, "task-definition", "deploy/taskdef.json") },
			inputs: []string{"task-definition"}, want: []string{"expected an existing file"}},
		{action: "deploy-ecs", name: "unknown strategy", with: func(f *badFixtures) map[string]string { return ecsBase(f, "strategy", "canary") },
			inputs: []string{"strategy"}, want: []string{`expected one of "rolling", "blue-green", found "canary"`}},
		{action: "deploy-ecs", name: "blue-green without its target groups", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN)
		}, inputs: []string{"blue-target-group", "service"}, want: []string{"no blue-target-group, green-target-group", "expected blue-service and green-service instead"}},
		{action: "deploy-ecs", name: "run-task with blue-green", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "strategy", "blue-green", "run-task", "true")
		},
			inputs: []string{"run-task"}, want: []string{"expected false with strategy blue-green"}},
		{action: "deploy-ecs", name: "CodeDeploy application without its group", with: func(f *badFixtures) map[string]string { return ecsBase(f, "codedeploy-application", "web") },
			inputs: []string{"codedeploy-deployment-group"}, want: []string{"together"}},
		{action: "deploy-ecs", name: "blue-green inputs with rolling", with: func(f *badFixtures) map[string]string { return ecsBase(f, "alarms", "errors", "green-service", "g") },
			inputs: []string{"green-service", "alarms"}, want: []string{"expected strategy: blue-green as well"}},
		{action: "deploy-ecs", name: "desired count and max failed tasks", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "desired-count", "-1", "max-failed-tasks", "0")
		}, inputs: []string{"desired-count", "max-failed-tasks"}},
		{action: "deploy-ecs", name: "traffic steps not ending at 100", with: func(f *badFixtures) map[string]string {
			return pairs(map[string]string{"cluster": f.ecs.cluster}, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN,
				"blue-target-group", "tg-b", "green-target-group", "tg-g", "traffic-steps", "50,20")
		}, inputs: []string{"traffic-steps"}},
		{action: "deploy-ecs", name: "CodeDeploy container without CodeDeploy", with: func(f *badFixtures) map[string]string { return ecsBase(f, "codedeploy-container", "web") },
			inputs: []string{"codedeploy-container"}},
		{action: "deploy-ecs", name: "CodeDeploy with two services", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "service", "web\nworker", "codedeploy-application", "a", "codedeploy-deployment-group", "g")
		}, inputs: []string{"service"}, want: []string{"exactly one service with CodeDeploy"}},
		{action: "deploy-ecs", name: "no cluster, bad role and duration", with: in("service", "web", "role-to-assume", "deploy", "role-chaining", "true", "role-duration", "5m"),
			inputs: []string{"cluster", "role-to-assume", "role-duration"}},
		{action: "deploy-ecs", name: "endpoint not a URL", with: func(f *badFixtures) map[string]string { return ecsBase(f, "aws-endpoint-url", "ftp:/moto") },
			inputs: []string{"aws-endpoint-url"}},
		{action: "deploy-ecs", name: "bake-time not a duration", with: func(f *badFixtures) map[string]string { return ecsBase(f, "bake-time", "-1s", "wait", "maybe") },
			inputs: []string{"bake-time", "wait"}},

		// redirect-traffic
		{action: "redirect-traffic", name: "unknown preset", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "purple") },
			inputs: []string{"preset"}, want: []string{`expected one of "blue", "blue-80", "split", "green-80", "green", found "purple"`}},
		{action: "redirect-traffic", name: "negative weight", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "-1", "green-weight", "5") },
			inputs: []string{"blue-weight"}, want: []string{"expected weights from 0 to 999"}},
		{action: "redirect-traffic", name: "weight too large", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "1", "green-weight", "1000") },
			inputs: []string{"blue-weight"}, want: []string{"1000"}},
		{action: "redirect-traffic", name: "both zero", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "0", "green-weight", "0") },
			inputs: []string{"blue-weight"}, want: []string{"not both 0"}},
		{action: "redirect-traffic", name: "steps not increasing", with: func(f *badFixtures) map[string]string { return lbBase(f, "steps", "50,10") },
			inputs: []string{"steps"}, want: []string{`"50,10"`}},
		{action: "redirect-traffic", name: "preset with weights", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "preset", "green", "blue-weight", "1", "green-weight", "1")
		}, inputs: []string{"blue-weight"}, want: []string{"found preset and blue-weight and green-weight"}},
		{action: "redirect-traffic", name: "group not in the forward action", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "green-target-group", f.lb.Unhealthy, "preset", "split")
		}, inputs: []string{"blue-target-group", "green-target-group"}, want: []string{"unhealthy"}},
		{action: "redirect-traffic", name: "one weight only", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "3") },
			inputs: []string{"green-weight"}, want: []string{"together"}},
		{action: "redirect-traffic", name: "no listener or rule", with: in("blue-target-group", "blue", "green-target-group", "green", "preset", "green"),
			inputs: []string{"listener-arn"}},
		{action: "redirect-traffic", name: "listener and rule ARNs of other kinds", with: in("listener-arn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
			"rule-arn", listenerARN, "blue-target-group", "blue", "green-target-group", "green", "preset", "green"),
			inputs: []string{"listener-arn", "rule-arn"}},
		{action: "redirect-traffic", name: "the same group twice", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "green-target-group", f.lb.Blue, "preset", "green")
		}, inputs: []string{"green-target-group"}, want: []string{"other than the blue one"}},
		{action: "redirect-traffic", name: "stickiness, health, alarms", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "preset", "green", "stickiness-duration", "10d", "min-healthy-targets", "-1", "alarms", "errors\nerrors")
		}, inputs: []string{"stickiness-duration", "min-healthy-targets", "alarms"}},
		{action: "redirect-traffic", name: "no weights at all", with: func(f *badFixtures) map[string]string { return lbBase(f) },
			inputs: []string{"preset"}, want: []string{"one of preset, blue-weight with green-weight, or steps"}},
		{action: "redirect-traffic", name: "dry-run not a boolean", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "green", "dry-run", "sure") },
			inputs: []string{"dry-run"}},

		// sync-s3-cloudfront
		{action: "sync-s3-cloudfront", name: "no source", with: in("bucket", "ferry-bad-input"),
			inputs: []string{"source"}},
		{action: "sync-s3-cloudfront", name: "source missing", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", filepath.Join(f.dir, "nope"))
		}, inputs: []string{"source"}, want: []string{"expected an existing directory"}},
		{action: "sync-s3-cloudfront", name: "source a file", with: func(f *badFixtures) map[string]string { return syncBase(f, "source", f.file) },
			inputs: []string{"source"}, want: []string{"directory"}},
		{action: "sync-s3-cloudfront", name: "bucket name", with: func(f *badFixtures) map[string]string { return syncBase(f, "bucket", "Not_A_Bucket") },
			inputs: []string{"bucket"}},
		{action: "sync-s3-cloudfront", name: "bad exclude glob", with: func(f *badFixtures) map[string]string { return syncBase(f, "exclude", "**/*.map\n[bad") },
			inputs: []string{"exclude"}, want: []string{"expected a valid glob", `"[bad"`}},
		{action: "sync-s3-cloudfront", name: "cache-control line without =", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "cache-control", "**/*.html=no-cache\nno-glob")
		}, inputs: []string{"cache-control"}, want: []string{"line 2: expected glob=value", `"no-glob"`}},
		{action: "sync-s3-cloudfront", name: "cache-control glob absolute", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "cache-control", "/index.html=no-cache")
		}, inputs: []string{"cache-control"}, want: []string{"line 1: expected a glob relative to the source directory"}},
		{action: "sync-s3-cloudfront", name: "compress value", with: func(f *badFixtures) map[string]string { return syncBase(f, "compress", "**/*.js=zstd") },
			inputs: []string{"compress"}, want: []string{`line 1: expected "gzip" or "br"`, `"zstd"`}},
		{action: "sync-s3-cloudfront", name: "content-type value", with: func(f *badFixtures) map[string]string { return syncBase(f, "content-type", "*.x=bad type") },
			inputs: []string{"content-type"}, want: []string{"line 1: expected a media type"}},
		{action: "sync-s3-cloudfront", name: "invalidation-max-paths 0", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "invalidation-max-paths", "0")
		}, inputs: []string{"invalidation-max-paths"}, want: []string{"expected 1 to 3000, found 0"}},
		{action: "sync-s3-cloudfront", name: "invalidation-max-paths 3001", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "invalidation-max-paths", "3001")
		}, inputs: []string{"invalidation-max-paths"}, want: []string{"expected 1 to 3000, found 3001"}},
		{action: "sync-s3-cloudfront", name: "concurrency 0", with: func(f *badFixtures) map[string]string { return syncBase(f, "concurrency", "0") },
			inputs: []string{"concurrency"}, want: []string{"expected 1 to 256, found 0"}},
		{action: "sync-s3-cloudfront", name: "max-delete negative", with: func(f *badFixtures) map[string]string { return syncBase(f, "delete", "true", "max-delete", "-1") },
			inputs: []string{"max-delete"}, want: []string{"expected 0 or more, found -1"}},
		{action: "sync-s3-cloudfront", name: "wait without a distribution", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "wait-for-invalidation", "true")
		}, inputs: []string{"wait-for-invalidation"}, want: []string{"expected distribution-id as well"}},
		{action: "sync-s3-cloudfront", name: "malformed distribution id", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "distribution-id", "dist-1")
		}, inputs: []string{"distribution-id"}, want: []string{"expected a CloudFront distribution id"}},
		{action: "sync-s3-cloudfront", name: "unknown distribution", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "distribution-id", "E0000000000000")
		}, inputs: []string{"distribution-id"}, want: []string{"no such CloudFront distribution"}},
		{action: "sync-s3-cloudfront", name: "symbolic link leaving the source", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", badSite(f, "symlink", map[string]string{"index.html": "x"}, map[string]string{"leak": f.file}))
		}, inputs: []string{"source"}, want: []string{`found symbolic links leaving it: "leak" → "`, "follow-symlinks"}},
		{action: "sync-s3-cloudfront", name: "control character in a file name", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", badSite(f, "control", map[string]string{"a\n::warning::b.html": "x"}, nil))
		}, inputs: []string{"source"}, want: []string{`expected file names without control characters`, `"a\n::warning::b.html"`}},
		{action: "sync-s3-cloudfront", name: "empty source with delete", with: func(f *badFixtures) map[string]string { return syncBase(f, "delete", "true") },
			inputs: []string{"source"}, want: []string{"expected files to sync, found none"}},
		{action: "sync-s3-cloudfront", name: "force-delete without delete", with: func(f *badFixtures) map[string]string { return syncBase(f, "force-delete", "true") },
			inputs: []string{"force-delete"}, want: []string{"expected delete: true as well"}},
		{action: "sync-s3-cloudfront", name: "manifest-key not named like a manifest", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "manifest-key", "ferry/manifest.json")
		}, inputs: []string{"manifest-key"}, want: []string{`whose name ends with ".ferry-sync.json.gz"`}},

		// notify: the sink must see no request
		{action: "notify", name: "telegram token without chat id", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "telegram-bot-token", telegramToken, "status", "success")
		}, inputs: []string{"telegram-chat-id"}, want: []string{"expected a value with telegram-bot-token (a bot sends to a chat), found none"}},
		{action: "notify", name: "malformed URL", with: in("webhook-url", "hooks.example.com/"+webhookSecret, "status", "success"),
			inputs: []string{"webhook-url"}, want: []string{"expected an https URL (http only to localhost), found a secret value (not shown)"}},
		{action: "notify", name: "plain http to another host", with: in("slack-webhook-url", "http://hooks.example.com/"+slackHookSecret, "status", "success"),
			inputs: []string{"slack-webhook-url"}, want: []string{"found a secret value (not shown) with http://"}},
		{action: "notify", name: "unknown status", with: func(f *badFixtures) map[string]string { return notifyHook(f, "status", "succeeded") },
			inputs: []string{"status"}, want: []string{`expected one of "started", "success", "failure", "cancelled", found "succeeded"`}},
		{action: "notify", name: "no status on the command line", with: func(f *badFixtures) map[string]string { return notifyHook(f) },
			inputs: []string{"status"}, want: []string{"expected one of started, success, failure, cancelled, found none"}},
		{action: "notify", name: "GitLab job still running", with: func(f *badFixtures) map[string]string { return notifyHook(f) },
			env: map[string]string{"GITLAB_CI": "true", "CI_JOB_STATUS": "running"}, inputs: []string{"status"},
			want: []string{`found none, and CI_JOB_STATUS is "running" (the job's result is known in after_script only)`}},
		{action: "notify", name: "bad fields line", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "fields", "digest=sha256:0\ndigest")
		}, inputs: []string{"fields"}, want: []string{`line 2: expected key=value, found "digest"`}},
		{action: "notify", name: "bad template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "message-template", "{{ .Ref")
		},
			inputs: []string{"message-template"}, want: []string{"expected a Go template"}},
		{action: "notify", name: "unknown field in title", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title-template", "{{ .Nope }}")
		},
			inputs: []string{"title-template"}, want: []string{"can't evaluate field Nope"}},
		{action: "notify", name: "empty title", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title-template", "{{ .Environment }}")
		}, inputs: []string{"title-template"}, want: []string{"expected a template that renders some text (Slack, Discord and Teams need a title), found an empty title"}},
		{action: "notify", name: "update-message without slack-bot-token", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "update-message", "1700000000.000100")
		}, inputs: []string{"update-message"}, want: []string{"expected slack-bot-token and slack-channel with it"}},
		{action: "notify", name: "no destination", with: in("status", "success"),
			want: []string{"no destination: expected at least one of slack-webhook-url"}},
		{action: "notify", name: "every problem at once", with: func(f *badFixtures) map[string]string {
			return map[string]string{"telegram-bot-token": "not-a-token", "telegram-chat-id": "chat!", "webhook-url": "ftp://x/" + webhookSecret, "status": "success",
				"fields": "digest", "title-template": "{{ .Nope }}", "message-template": "{{ .Ref", "update-message": "1700000000.000100", "pull-request": "-3",
				"github-environment": "production"}
		}, inputs: []string{"telegram-bot-token", "telegram-chat-id", "webhook-url", "fields", "title-template", "message-template", "update-message", "pull-request", "github-token"},
			want: []string{"invalid input (9 problems)", "expected a bot token as BotFather gives it", `expected a numeric chat ID or @channelusername, found "chat!"`,
				"expected a pull request number or merge request IID, found -3", "expected a token with deployments: write"}},
		{action: "notify", name: "message and message-template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "message", "deployed", "message-template", "{{ .Ref }}")
		}, inputs: []string{"message-template"}, want: []string{"expected either message (literal text) or message-template, not both, found both"}},
		{action: "notify", name: "title and title-template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title", "Deploy", "title-template", "{{ .Ref }}")
		}, inputs: []string{"title-template"}, want: []string{"expected either title (literal text) or title-template, not both, found both"}},
		// deploy-ecs: secrets that are neither an ARN nor an SSM parameter name
		{action: "deploy-ecs", name: "malformed SSM parameter names", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "secrets", "web:DB=/prod//db\nweb:API=prod key\nweb:OK=/prod/ok")
		}, inputs: []string{"secrets"}, want: []string{`line 1: "web:DB=/prod//db"`, `line 2: "web:API=prod key"`}},
		// build-push-ecr: ECR's tag mutability exclusions
		{action: "build-push-ecr", name: "exclusion setting without filters", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "tag-mutability": "IMMUTABLE_WITH_EXCLUSION"}
		}, inputs: []string{"tag-mutability-exclusions"}, want: []string{"expected 1 to 5 wildcard filters", "found none"}},
		{action: "build-push-ecr", name: "filters without an exclusion setting, bad filter", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "tag-mutability": "IMMUTABLE", "tag-mutability-exclusions": "latest,dev/*"}
		}, inputs: []string{"tag-mutability-exclusions"}, want: []string{"expected none with tag-mutability IMMUTABLE", `found "dev/*"`}},
	}
}

// TestBadInput runs the table: every case through the binary, every AWS
// call through a fault proxy (without faults), and for build-push-ecr the
// registry behind another. Each exits 2 naming the inputs at fault, and
// neither proxy saw a call that may change anything.
func TestBadInput(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := &badFixtures{ecs: newECSFixture(t, endpoint), lb: elbtest.New(t, endpoint), dir: t.TempDir()}
	f.file = filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(f.file, []byte("not a tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.source = registrytest.New(t, registrytest.Options{})
	if err := remote.WriteIndex(mustRef(t, f.source.Host+"/base/runtime:1"), multiPlatformIndex(t)); err != nil {
		t.Fatal(err)
	}
	target := registrytest.New(t, registrytest.Options{Username: "AWS", Password: ecrPassword})
	f.sink = newSink(t)
	cases := badInputs()
	t.Logf("%d bad-input cases", len(cases))
	t.Run("case", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.action+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				p := faultproxy.New(t, endpoint, faultproxy.Options{})
				rp := faultproxy.New(t, target.URL, faultproxy.Options{})
				with := map[string]string{"aws-region": "us-east-1", "aws-endpoint-url": p.URL}
				if tc.action == "notify" { // no AWS
					with = map[string]string{}
				}
				if tc.action == "build-push-ecr" {
					with["registry-endpoint"] = strings.TrimPrefix(rp.URL, "http://")
				}
				maps.Copy(with, tc.with(f))
				args := []string{tc.action}
				for _, k := range slices.Sorted(maps.Keys(with)) {
					args = append(args, "--"+k, with[k])
				}
				res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: args, Env: merge(staticKeys(), tc.env)})
				if res.Code != 2 {
					t.Errorf("exit code: want 2, have %d", res.Code)
				}
				for _, name := range tc.inputs {
					if !strings.Contains(res.Stderr, `"`+name+`"`) {
						t.Errorf("stderr does not name input %q:\n%s", name, res.Stderr)
					}
				}
				for _, w := range tc.want {
					if !strings.Contains(res.Stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
					}
				}
				for _, c := range append(p.Mutating(), rp.Mutating()...) {
					t.Errorf("bad input, yet a call that may change things: %s (%s %s)", c.Name(), c.Method, c.Path)
				}
				if n := len(rp.Calls()); n > 0 {
					t.Errorf("bad input, yet %d requests to the target registry", n)
				}
				checkNoLeaks(t, res, secrets...)
			})
		}
	})
	if n := f.ecs.revisions(t); n != 1 {
		t.Errorf("bad input registered %d revisions", n-1)
	}
	if n := len(f.sink.Requests("/")); n != 0 {
		t.Errorf("bad input, yet %d requests to notify's providers", n)
	}
	if have := f.lb.Weights(t, f.lb.Listeners[0]); have != (traffic.Weights{Blue: 100, Green: 0}) {
		t.Errorf("bad input changed the weights to %s", have)
	}
}
