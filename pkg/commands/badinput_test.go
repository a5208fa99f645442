package commands_test

import (
	"context"
	"fmt"
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
	// bigTemplate is a template over CloudFormation's inline limit.
	bigTemplate string
	sink        *sink // notify's providers: must see no request
}

// badInput is one refusal: with these inputs the action exits 2, lists
// exactly these problems, and makes no call that may change anything.
type badInput struct {
	action, name string
	// with returns the inputs; the AWS ones (pointing at the proxy) and,
	// for build-push-ecr, registry-endpoint are added unless given.
	with func(f *badFixtures) map[string]string
	// problems are the problem lines stderr lists, exactly and in any
	// order, each as printed: input "name": expected …, found …. Values
	// the fixtures make are written as placeholders (see badFixtures.vars):
	// <dir>, <file>, <registry>, <cluster> (also the task definition family),
	// <listener>, <blue>, <green>, <unhealthy>, <sink>. On a mismatch the test prints the lines
	// it found in this form.
	problems []string
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
			problems: []string{
				`input "local-image": expected exactly one image source: local-image, image-tar, oci-layout, source-image or base-image, found none`,
			}},
		{action: "build-push-ecr", name: "two sources", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "source-image": "registry.example/app:1", "tags": "x"}
		}, problems: []string{
			`input "source-image": expected exactly one image source, found oci-layout and source-image`,
		}},
		{action: "build-push-ecr", name: "malformed reference", with: in("repository", "app/web", "source-image", "Not A Reference::", "tags", "x"),
			problems: []string{
				`input "source-image": expected an image reference such as registry/repo:tag or repo@sha256:…, found "Not A Reference::" (image reference "Not A Reference::": want [registry/]repository[:tag|@digest]: could not parse reference: Not A Reference::)`,
			}},
		{action: "build-push-ecr", name: "malformed platform and files", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "platforms": "linux", "files": "nodest", "tags": "x"}
		}, problems: []string{
			`input "files": line 1 "nodest": want "src:dest", have no ':'`,
			`input "platforms": platform "linux": want os/arch or os/arch/variant (like linux/amd64), have 1 part(s)`,
		}},
		{action: "build-push-ecr", name: "platform the base lacks", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "platforms": "linux/s390x", "files": f.dir + ":/srv", "tags": "x"}
		}, problems: []string{
			`input "platforms": expected platforms the base image serves, found building image: platform not served by the base image: "linux/s390x"; it has linux/amd64, linux/arm64/v8`,
		}},
		{action: "build-push-ecr", name: "bad tag, jobs, mutability, missing tar", with: in("repository", "app/web", "image-tar", "missing.tar", "tags", "-bad", "jobs", "0", "tag-mutability", "SOMETIMES"),
			problems: []string{
				`input "image-tar": expected an existing path, found "missing.tar" (no such file or directory)`,
				`input "jobs": expected 1 to 64, found 0`,
				`input "tag-mutability": expected one of "MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION", found "SOMETIMES" (from --tag-mutability)`,
				`input "tags": expected tags of letters, digits, _ . - (at most 128, not starting with . or -), found "-bad"`,
			}},
		{action: "build-push-ecr", name: "build inputs without base-image", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "image-entrypoint": "/app", "tags": "x"}
		}, problems: []string{
			`input "image-entrypoint": expected base-image as well (image-entrypoint belongs to a daemonless build), found no base-image`,
		}},
		{action: "build-push-ecr", name: "oci-layout is a file", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.file, "tags": "x"}
		},
			problems: []string{
				`input "oci-layout": expected a directory, found "<file>"`,
			}},
		{action: "build-push-ecr", name: "repository with registry host", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "oci-layout": f.dir, "tags": "x"}
		}, problems: []string{
			`input "repository": expected an ECR repository name like "app/web" (2 to 256 characters: lowercase letters and digits, separated by single ".", "_", "-" or "/"), found "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"; give the name alone, without the registry host, tag or digest`,
		}},
		{action: "build-push-ecr", name: "no repository", with: func(f *badFixtures) map[string]string { return map[string]string{"oci-layout": f.dir, "tags": "x"} },
			problems: []string{
				`input "repository": expected a value (the input is required), found none`,
			}},
		{action: "build-push-ecr", name: "registry-endpoint with scheme", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "registry-endpoint": "https://registry.example/v2"}
		}, problems: []string{
			`input "registry-endpoint": expected a registry host[:port] without scheme or path, e.g. vpce-0a1b.dkr.ecr.eu-west-1.vpce.amazonaws.com, found "https://registry.example/v2"`,
		}},
		{action: "build-push-ecr", name: "lifecycle-keep and registry-account-id", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "lifecycle-keep": "-3", "registry-account-id": "12345"}
		}, problems: []string{
			`input "lifecycle-keep": expected 1 to 10000 (or unset), found -3`,
			`input "registry-account-id": expected a 12-digit AWS account ID, found "12345"`,
		}},
		{action: "build-push-ecr", name: "region, attempts, backoff, timeout", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "aws-region": "Europe", "max-attempts": "-1", "retry-max-backoff": "10m", "timeout": "soon"}
		}, problems: []string{
			`input "aws-region": expected a region name like "eu-west-1", found "Europe"`,
			`input "max-attempts": expected 1 or more (0 means 5), found -1`,
			`input "retry-max-backoff": expected a duration from 0s to 5m0s, found 10m0s`,
			`input "timeout": expected a duration with a unit, such as 90s, 10m or 1h30m, found "soon" (from --timeout)`,
		}},
		{action: "build-push-ecr", name: "boolean", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "create-repository": "yes please"}
		}, problems: []string{
			`input "create-repository": expected true or false, found "yes please" (from --create-repository)`,
		}},
		{action: "build-push-ecr", name: "entrypoint not JSON", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "base-image": f.source.Host + "/base/runtime:1", "files": f.dir + ":/srv", "image-entrypoint": `["/app",`, "tags": "x"}
		}, problems: []string{
			`input "image-entrypoint": expected a JSON array such as ["/app","serve"] or words separated by spaces, found "[\"/app\"," (unexpected end of JSON input)`,
		}},

		// deploy-ecs
		{action: "deploy-ecs", name: "malformed images line", with: func(f *badFixtures) map[string]string { return ecsBase(f, "images", "web") },
			problems: []string{
				`input "images": line 1: "web": want container=image, found no "="`,
			}},
		{action: "deploy-ecs", name: "container not in the task definition", with: func(f *badFixtures) map[string]string { return ecsBase(f, "images", "api=app:2") },
			problems: []string{
				`inputs "images", "environment" and "secrets": service "web": rendering task definition: unknown container "api": task definition "<cluster>" has "web", "log-router"`,
			}},
		{action: "deploy-ecs", name: "malformed environment and secrets", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "environment", ":KEY=V", "secrets", "web:DB=arn:aws:s3:::not-a-secret")
		}, problems: []string{
			`input "environment": line 1: ":KEY=V": want a container name (letters, digits, '-', '_') before ":", found ""`,
			`input "secrets": line 1: "web:DB=arn:aws:s3:::not-a-secret": want a Secrets Manager or SSM parameter ARN, or an SSM parameter name (/path/name), after "=", found "arn:aws:s3:::not-a-secret" (an ARN of neither service)`,
		}},
		{action: "deploy-ecs", name: "run-task-command without run-task", with: func(f *badFixtures) map[string]string { return ecsBase(f, "run-task-command", "migrate") },
			problems: []string{
				`input "run-task-command": expected run-task: true as well, found run-task false`,
			}},
		{action: "deploy-ecs", name: "missing task definition file", with: func(f *badFixtures) map[string]string { return ecsBase(f, "task-definition", "deploy/taskdef.json") },
			problems: []string{
				`input "task-definition": expected an existing file, or a family, family:revision or ARN, found "deploy/taskdef.json" (no such file)`,
			}},
		{action: "deploy-ecs", name: "unknown strategy", with: func(f *badFixtures) map[string]string { return ecsBase(f, "strategy", "canary") },
			problems: []string{
				`input "strategy": expected one of "rolling", "blue-green", found "canary" (from --strategy)`,
			}},
		{action: "deploy-ecs", name: "blue-green without its target groups", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN)
		}, problems: []string{
			`input "blue-target-group": expected with strategy blue-green: blue-service, green-service, listener-arn, blue-target-group, green-target-group, found no blue-target-group, green-target-group`,
			`input "service": expected blue-service and green-service instead, with strategy blue-green, found web`,
		}},
		{action: "deploy-ecs", name: "run-task with blue-green", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "strategy", "blue-green", "run-task", "true")
		},
			problems: []string{
				`input "blue-service": expected with strategy blue-green: blue-service, green-service, listener-arn, blue-target-group, green-target-group, found no blue-service, green-service, listener-arn, blue-target-group, green-target-group`,
				`input "run-task": expected false with strategy blue-green (run the one-off task in a rolling step before it), found true`,
				`input "service": expected blue-service and green-service instead, with strategy blue-green, found web`,
			}},
		{action: "deploy-ecs", name: "CodeDeploy application without its group", with: func(f *badFixtures) map[string]string { return ecsBase(f, "codedeploy-application", "web") },
			problems: []string{
				`input "codedeploy-deployment-group": expected codedeploy-application and codedeploy-deployment-group together, found only one of them`,
			}},
		{action: "deploy-ecs", name: "blue-green inputs with rolling", with: func(f *badFixtures) map[string]string { return ecsBase(f, "alarms", "errors", "green-service", "g") },
			problems: []string{
				`input "alarms": expected strategy: blue-green as well, found strategy rolling`,
				`input "green-service": expected strategy: blue-green as well, found strategy rolling`,
			}},
		{action: "deploy-ecs", name: "desired count and max failed tasks", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "desired-count", "-1", "max-failed-tasks", "0")
		}, problems: []string{
			`input "desired-count": expected 0 to 5000, found -1`,
			`input "max-failed-tasks": expected 1 or more, found 0`,
		}},
		{action: "deploy-ecs", name: "traffic steps not ending at 100", with: func(f *badFixtures) map[string]string {
			return pairs(map[string]string{"cluster": f.ecs.cluster}, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN,
				"blue-target-group", "tg-b", "green-target-group", "tg-g", "traffic-steps", "50,20")
		}, problems: []string{
			`input "traffic-steps": expected percentages from 0 to 100, strictly increasing, ending at 100, e.g. 10,50,100, found "50,20" (step 2: expected percentages that strictly increase, found "20" after "50")`,
		}},
		{action: "deploy-ecs", name: "CodeDeploy container without CodeDeploy", with: func(f *badFixtures) map[string]string { return ecsBase(f, "codedeploy-container", "web") },
			problems: []string{
				`input "codedeploy-container": expected codedeploy-application and codedeploy-deployment-group as well, found neither`,
			}},
		{action: "deploy-ecs", name: "ECS strategy values out of range", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "ecs-strategy", "canary", "ecs-bake-time", "90s", "canary-percent", "0", "linear-step-percent", "50")
		}, problems: []string{
			`input "canary-percent": expected a percentage from 0.1 to 100, found 0`,
			`input "ecs-bake-time": expected whole minutes from 0 to 1440m, found 1m30s`,
			`input "linear-step-percent": expected only with strategy LINEAR, found strategy CANARY`,
		}},
		{action: "deploy-ecs", name: "pause-at for two services without wait", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "service", "web\nworker", "pause-at", "post-test-traffic-shift", "wait", "false")
		}, problems: []string{
			`input "pause-at": expected one service (the step returns with that service's deployment paused), found 2 services`,
			`input "pause-at": expected wait: true (the step waits until ECS pauses there), found wait false`,
		}},
		{action: "deploy-ecs", name: "pause-at a traffic shift", with: func(f *badFixtures) map[string]string { return ecsBase(f, "pause-at", "test-traffic-shift") },
			problems: []string{
				`input "pause-at": expected one of "reconcile-service", "pre-scale-up", "post-scale-up", "post-test-traffic-shift", "pre-production-traffic-shift", "post-production-traffic-shift", found "test-traffic-shift" (from --pause-at)`,
			}},
		{action: "deploy-ecs", name: "pause timeout without pause-at", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "pause-timeout", "15d", "pause-timeout-action", "continue")
		}, problems: []string{
			`input "pause-timeout": expected a duration with a unit, such as 90s, 10m or 1h30m, found "15d" (from --pause-timeout)`,
			`input "pause-timeout-action": expected a pause stage as well, found none`,
		}},
		{action: "deploy-ecs", name: "pause-at with ecs-strategy rolling", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "ecs-strategy", "rolling", "pause-at", "pre-scale-up", "pause-timeout", "90s")
		}, problems: []string{
			`input "pause-at": expected BLUE_GREEN, LINEAR or CANARY (a rolling deployment has no lifecycle stages), found strategy ROLLING`,
			`input "pause-timeout": expected whole minutes from 1m to 336h (14 days), found 1m30s`,
		}},
		{action: "deploy-ecs", name: "ECS strategy with ferry's blue-green", with: func(f *badFixtures) map[string]string {
			return pairs(map[string]string{"cluster": f.ecs.cluster}, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN,
				"blue-target-group", "tg-b", "green-target-group", "tg-g", "ecs-strategy", "blue-green", "pause-at", "post-test-traffic-shift")
		}, problems: []string{
			`input "ecs-strategy": expected strategy rolling, without CodeDeploy, found strategy blue-green (ferry's two-service blue/green; ECS's own strategies are for one service with strategy rolling)`,
			`input "pause-at": expected strategy rolling, without CodeDeploy, found strategy blue-green (ferry's two-service blue/green; ECS's own strategies are for one service with strategy rolling)`,
		}},
		{action: "deploy-ecs", name: "listener rules that are not rule ARNs", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "test-listener-rule", listenerARN, "alternate-target-group", "green", "load-balancer-role", "ecs-role")
		}, problems: []string{
			`input "alternate-target-group": expected the ARN of an ELBv2 target group (arn:aws:elasticloadbalancing:…:targetgroup/…), found "green"`,
			`input "load-balancer-role": expected the ARN of an IAM role ECS assumes to change the listener rules, found "ecs-role"`,
			`input "test-listener-rule": expected the ARN of an ELBv2 listener rule (arn:aws:elasticloadbalancing:…:listener-rule/…), found "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"`,
		}},
		{action: "deploy-ecs", name: "decision without its service deployment", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "decision", "continue", "images", "web=app:2", "pause-at", "post-scale-up")
		}, problems: []string{
			`input "images": expected nothing with decision (the deployment is under way; the decision step only continues or rolls it back), found decision continue`,
			`input "pause-at": expected nothing with decision (the deployment is under way; the decision step only continues or rolls it back), found decision continue`,
			`input "service-deployment-arn": expected the paused service deployment (output service-deployment-arn of the step that paused), with decision, found none`,
		}},
		{action: "deploy-ecs", name: "decision for another cluster's deployment", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "decision", "rollback", "service-deployment-arn", "arn:aws:ecs:us-east-1:123456789012:service-deployment/other/api/x1")
		}, problems: []string{
			`input "service": expected nothing, or the service of service-deployment-arn (api), with decision, found web`,
			`input "service-deployment-arn": expected a service deployment of cluster "<cluster>" (input cluster), found one of cluster "other"`,
		}},
		{action: "deploy-ecs", name: "decision with a service ARN", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "decision", "continue", "service-deployment-arn", "arn:aws:ecs:us-east-1:123456789012:service/c/web", "hook-id", "ecs pause")
		}, problems: []string{
			`input "hook-id": expected a hook id as DescribeServiceDeployments lists it (ecs-pause-…), found "ecs pause"`,
			`input "service-deployment-arn": expected the ARN of a service deployment, arn:aws:ecs:REGION:ACCOUNT:service-deployment/CLUSTER/SERVICE/ID, found "arn:aws:ecs:us-east-1:123456789012:service/c/web"`,
		}},
		{action: "deploy-ecs", name: "ECS bake time past the timeout", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "ecs-strategy", "canary", "ecs-bake-time", "20m", "canary-bake-time", "5m", "canary-percent", "10")
		}, problems: []string{
			`inputs "ecs-bake-time" and "timeout": expected a timeout longer than ECS's bake time, which is part of the deployment (or pause-at, whose decision step waits for it), found ecs-bake-time 20m0s + canary-bake-time 5m0s and timeout 15m0s`,
		}},
		{action: "deploy-ecs", name: "listener rules for a service without a load balancer", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "ecs-strategy", "blue-green", "ecs-bake-time", "5m", "test-listener-rule", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3")
		}, problems: []string{
			`inputs "test-listener-rule", "production-listener-rule", "alternate-target-group" and "load-balancer-role": service "web": the service has no load balancer: expected a service behind a load balancer for testListenerRule arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3, found none`,
		}},
		{action: "deploy-ecs", name: "hook-id without decision", with: func(f *badFixtures) map[string]string { return ecsBase(f, "hook-id", "ecs-pause-1") },
			problems: []string{
				`input "hook-id": expected decision as well, found no decision`,
			}},
		{action: "deploy-ecs", name: "CodeDeploy with two services", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "service", "web\nworker", "codedeploy-application", "a", "codedeploy-deployment-group", "g")
		}, problems: []string{
			`input "service": expected exactly one service with CodeDeploy, found 2`,
		}},
		{action: "deploy-ecs", name: "no cluster, bad role and duration", with: in("service", "web", "role-to-assume", "deploy", "role-chaining", "true", "role-duration", "5m"),
			problems: []string{
				`input "cluster": expected a value (the input is required), found none`,
				`input "role-duration": expected a duration from 15m to 12h, found 5m0s`,
				`input "role-to-assume": expected an IAM role ARN like "arn:aws:iam::123456789012:role/deploy", found "deploy"`,
			}},
		{action: "deploy-ecs", name: "endpoint not a URL", with: func(f *badFixtures) map[string]string { return ecsBase(f, "aws-endpoint-url", "ftp:/moto") },
			problems: []string{
				`input "aws-endpoint-url": expected an absolute http or https URL like "http://127.0.0.1:5000", found "ftp:/moto"`,
			}},
		{action: "deploy-ecs", name: "bake-time not a duration", with: func(f *badFixtures) map[string]string { return ecsBase(f, "bake-time", "-1s", "wait", "maybe") },
			problems: []string{
				`input "bake-time": expected a duration with a unit, such as 90s, 10m or 1h30m, found "-1s" (from --bake-time)`,
				`input "wait": expected true or false, found "maybe" (from --wait)`,
			}},

		// redirect-traffic
		{action: "redirect-traffic", name: "unknown preset", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "purple") },
			problems: []string{
				`input "preset": expected one of "blue", "blue-80", "split", "green-80", "green", found "purple" (from --preset)`,
			}},
		{action: "redirect-traffic", name: "negative weight", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "-1", "green-weight", "5") },
			problems: []string{
				`input "blue-weight": expected 0 to 999, found -1`,
			}},
		{action: "redirect-traffic", name: "weight too large", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "1", "green-weight", "1000") },
			problems: []string{
				`input "green-weight": expected 0 to 999, found 1000`,
			}},
		{action: "redirect-traffic", name: "both zero", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "0", "green-weight", "0") },
			problems: []string{
				`inputs "blue-weight" and "green-weight": expected at least one weight above 0, found both 0`,
			}},
		{action: "redirect-traffic", name: "steps not increasing", with: func(f *badFixtures) map[string]string { return lbBase(f, "steps", "50,10") },
			problems: []string{
				`input "steps": expected green percentages from 0 to 100, strictly increasing, e.g. 10,50,100, found "50,10" (step 2: expected percentages that strictly increase, found "10" after "50")`,
			}},
		{action: "redirect-traffic", name: "preset with weights", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "preset", "green", "blue-weight", "1", "green-weight", "1")
		}, problems: []string{
			`input "blue-weight": expected one of preset, blue-weight with green-weight, or steps, found preset and blue-weight and green-weight`,
		}},
		{action: "redirect-traffic", name: "group not in the forward action", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "green-target-group", f.lb.Unhealthy, "preset", "split")
		}, problems: []string{
			`inputs "blue-target-group" and "green-target-group": listener "<listener>": forward action does not name exactly the blue and green target groups: it forwards to "<blue>", "<green>", not to blue "<blue>" and green "<unhealthy>"`,
		}},
		{action: "redirect-traffic", name: "one weight only", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "3") },
			problems: []string{
				`input "green-weight": expected blue-weight and green-weight together, found only one of them`,
			}},
		{action: "redirect-traffic", name: "no listener or rule", with: in("blue-target-group", "blue", "green-target-group", "green", "preset", "green"),
			problems: []string{
				`input "listener-arn": expected at least one listener ARN, or a rule ARN in input "rule-arn", found none`,
			}},
		{action: "redirect-traffic", name: "listener and rule ARNs of other kinds", with: in("listener-arn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
			"rule-arn", listenerARN, "blue-target-group", "blue", "green-target-group", "green", "preset", "green"),
			problems: []string{
				`input "listener-arn": expected an ELBv2 listener ARN like "arn:aws:elasticloadbalancing:…:listener/app/…", found "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"`,
				`input "rule-arn": expected an ELBv2 listener rule ARN like "arn:aws:elasticloadbalancing:…:listener-rule/app/…", found "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"`,
			}},
		{action: "redirect-traffic", name: "the same group twice", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "green-target-group", f.lb.Blue, "preset", "green")
		}, problems: []string{
			`input "green-target-group": expected a target group other than the blue one, found "<blue>" in both`,
		}},
		{action: "redirect-traffic", name: "stickiness, health, alarms", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "preset", "green", "stickiness-duration", "10d", "min-healthy-targets", "-1", "alarms", "errors\nerrors")
		}, problems: []string{
			`input "alarms": expected each alarm once, found "errors" twice`,
			`input "min-healthy-targets": expected 0 to 1000, found -1`,
			`input "stickiness-duration": expected a duration with a unit, such as 90s, 10m or 1h30m, found "10d" (from --stickiness-duration)`,
		}},
		{action: "redirect-traffic", name: "no weights at all", with: func(f *badFixtures) map[string]string { return lbBase(f) },
			problems: []string{
				`input "preset": expected one of preset, blue-weight with green-weight, or steps, found none of them`,
			}},
		{action: "redirect-traffic", name: "dry-run not a boolean", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "green", "dry-run", "sure") },
			problems: []string{
				`input "dry-run": expected true or false, found "sure" (from --dry-run)`,
			}},

		// sync-s3-cloudfront
		{action: "sync-s3-cloudfront", name: "no source", with: in("bucket", "ferry-bad-input"),
			problems: []string{
				`input "source": expected a value (the input is required), found none`,
			}},
		{action: "sync-s3-cloudfront", name: "source missing", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", filepath.Join(f.dir, "nope"))
		}, problems: []string{
			`input "source": expected an existing directory, found "<dir>/nope" (no such file or directory)`,
		}},
		{action: "sync-s3-cloudfront", name: "source a file", with: func(f *badFixtures) map[string]string { return syncBase(f, "source", f.file) },
			problems: []string{
				`input "source": expected a directory, found the file "<file>"`,
			}},
		{action: "sync-s3-cloudfront", name: "bucket name", with: func(f *badFixtures) map[string]string { return syncBase(f, "bucket", "Not_A_Bucket") },
			problems: []string{
				`input "bucket": expected an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens), found "Not_A_Bucket"`,
			}},
		{action: "sync-s3-cloudfront", name: "bad exclude glob", with: func(f *badFixtures) map[string]string { return syncBase(f, "exclude", "**/*.map\n[bad") },
			problems: []string{
				`input "exclude": expected a valid glob (balanced [] and {}, e.g. "assets/**" or "**/*.{png,jpg}"), found "[bad"`,
			}},
		{action: "sync-s3-cloudfront", name: "cache-control line without =", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "cache-control", "**/*.html=no-cache\nno-glob")
		}, problems: []string{
			`input "cache-control": line 2: expected glob=value, e.g. "**/*.html=no-cache", found "no-glob"`,
		}},
		{action: "sync-s3-cloudfront", name: "cache-control glob absolute", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "cache-control", "/index.html=no-cache")
		}, problems: []string{
			`input "cache-control": line 1: expected a glob relative to the source directory, without a leading /, found "/index.html"`,
		}},
		{action: "sync-s3-cloudfront", name: "compress value", with: func(f *badFixtures) map[string]string { return syncBase(f, "compress", "**/*.js=zstd") },
			problems: []string{
				`input "compress": line 1: expected "gzip" or "br" after the "=", found "zstd"`,
			}},
		{action: "sync-s3-cloudfront", name: "content-type value", with: func(f *badFixtures) map[string]string { return syncBase(f, "content-type", "*.x=bad type") },
			problems: []string{
				`input "content-type": line 1: expected a media type like "text/html; charset=utf-8", found "bad type"`,
			}},
		{action: "sync-s3-cloudfront", name: "invalidation-max-paths 0", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "invalidation-max-paths", "0")
		}, problems: []string{
			`input "invalidation-max-paths": expected 1 to 3000, found 0`,
		}},
		{action: "sync-s3-cloudfront", name: "invalidation-max-paths 3001", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "invalidation-max-paths", "3001")
		}, problems: []string{
			`input "invalidation-max-paths": expected 1 to 3000, found 3001`,
		}},
		{action: "sync-s3-cloudfront", name: "concurrency 0", with: func(f *badFixtures) map[string]string { return syncBase(f, "concurrency", "0") },
			problems: []string{
				`input "concurrency": expected 1 to 256, found 0`,
			}},
		{action: "sync-s3-cloudfront", name: "max-delete negative", with: func(f *badFixtures) map[string]string { return syncBase(f, "delete", "true", "max-delete", "-1") },
			problems: []string{
				`input "max-delete": expected 0 or more, found -1`,
			}},
		{action: "sync-s3-cloudfront", name: "wait without a distribution", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "wait-for-invalidation", "true")
		}, problems: []string{
			`input "wait-for-invalidation": expected distribution-id as well, found no distribution-id`,
		}},
		{action: "sync-s3-cloudfront", name: "malformed distribution id", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "distribution-id", "dist-1")
		}, problems: []string{
			`input "distribution-id": expected a CloudFront distribution id like "E2QWRUHAPOMQZL", found "dist-1"`,
		}},
		{action: "sync-s3-cloudfront", name: "unknown distribution", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "distribution-id", "E0000000000000")
		}, problems: []string{
			`input "distribution-id": distribution "E0000000000000": no such CloudFront distribution`,
		}},
		{action: "sync-s3-cloudfront", name: "symbolic link leaving the source", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", badSite(f, "symlink", map[string]string{"index.html": "x"}, map[string]string{"leak": f.file}))
		}, problems: []string{
			`input "source": expected files inside the directory (or input "follow-symlinks": true), found symbolic links leaving it: "leak" → "<file>"`,
		}},
		{action: "sync-s3-cloudfront", name: "control character in a file name", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "source", badSite(f, "control", map[string]string{"a\n::warning::b.html": "x"}, nil))
		}, problems: []string{
			`input "source": expected file names without control characters (a line break in a name would reach the log as a line of its own), found "a\n::warning::b.html"`,
		}},
		{action: "sync-s3-cloudfront", name: "empty source with delete", with: func(f *badFixtures) map[string]string { return syncBase(f, "delete", "true") },
			problems: []string{
				`input "source": expected files to sync, found none in "<dir>"`,
			}},
		{action: "sync-s3-cloudfront", name: "force-delete without delete", with: func(f *badFixtures) map[string]string { return syncBase(f, "force-delete", "true") },
			problems: []string{
				`input "force-delete": expected delete: true as well, found delete: false`,
			}},
		{action: "sync-s3-cloudfront", name: "manifest-key not named like a manifest", with: func(f *badFixtures) map[string]string {
			return syncBase(f, "manifest-key", "ferry/manifest.json")
		}, problems: []string{
			`input "manifest-key": expected an S3 key (no leading slash, valid UTF-8 without control characters, at most 1024 bytes) whose name ends with ".ferry-sync.json.gz", so that every sync knows it for a manifest, found "ferry/manifest.json"`,
		}},

		// notify: the sink must see no request
		{action: "notify", name: "telegram token without chat id", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "telegram-bot-token", telegramToken, "status", "success")
		}, problems: []string{
			`input "telegram-chat-id": expected a value with telegram-bot-token (a bot sends to a chat), found none`,
		}},
		{action: "notify", name: "malformed URL", with: in("webhook-url", "hooks.example.com/"+webhookSecret, "status", "success"),
			problems: []string{
				`input "webhook-url": expected an https URL (http only to localhost), found a secret value (not shown)`,
			}},
		{action: "notify", name: "plain http to another host", with: in("slack-webhook-url", "http://hooks.example.com/"+slackHookSecret, "status", "success"),
			problems: []string{
				`input "slack-webhook-url": expected an https URL (http only to localhost), found a secret value (not shown) with http://`,
			}},
		{action: "notify", name: "unknown status", with: func(f *badFixtures) map[string]string { return notifyHook(f, "status", "succeeded") },
			problems: []string{
				`input "status": expected one of "started", "success", "failure", "cancelled", found "succeeded" (from --status)`,
			}},
		{action: "notify", name: "no status on the command line", with: func(f *badFixtures) map[string]string { return notifyHook(f) },
			problems: []string{
				`input "status": expected one of started, success, failure, cancelled, found none`,
			}},
		{action: "notify", name: "GitLab job still running", with: func(f *badFixtures) map[string]string { return notifyHook(f) },
			env: map[string]string{"GITLAB_CI": "true", "CI_JOB_STATUS": "running"}, problems: []string{
				`input "status": expected one of started, success, failure, cancelled, found none, and CI_JOB_STATUS is "running" (the job's result is known in after_script only)`,
			}},
		{action: "notify", name: "bad fields line", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "fields", "digest=sha256:0\ndigest")
		}, problems: []string{
			`input "fields": line 2: expected key=value, found "digest"`,
		}},
		{action: "notify", name: "bad template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "message-template", "{{ .Ref")
		},
			problems: []string{
				`input "message-template": expected a Go template over the documented context (see the README), found template: message:1: unclosed action`,
			}},
		{action: "notify", name: "unknown field in title", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title-template", "{{ .Nope }}")
		},
			problems: []string{
				`input "title-template": expected a Go template over the documented context (see the README), found template: title:1:3: executing "title" at <.Nope>: can't evaluate field Nope in type notify.Context`,
			}},
		{action: "notify", name: "empty title", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title-template", "{{ .Environment }}")
		}, problems: []string{
			`input "title-template": expected a template that renders some text (Slack, Discord and Teams need a title), found an empty title`,
		}},
		{action: "notify", name: "update-message without slack-bot-token", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "update-message", "1700000000.000100")
		}, problems: []string{
			`input "update-message": expected slack-bot-token and slack-channel with it (only Slack's Web API edits messages), found update-message alone`,
		}},
		{action: "notify", name: "no destination", with: in("status", "success"),
			problems: []string{
				`inputs "slack-webhook-url", "teams-webhook-url", "discord-webhook-url", "google-chat-webhook-url", "webhook-url", "slack-bot-token", "telegram-bot-token", "github-token" or "gitlab-token": expected at least one destination, found none`,
			}},
		{action: "notify", name: "every problem at once", with: func(f *badFixtures) map[string]string {
			return map[string]string{"telegram-bot-token": "not-a-token", "telegram-chat-id": "chat!", "webhook-url": "ftp://x/" + webhookSecret, "status": "success",
				"fields": "digest", "title-template": "{{ .Nope }}", "message-template": "{{ .Ref", "update-message": "1700000000.000100", "pull-request": "-3",
				"github-environment": "production"}
		}, problems: []string{
			`input "fields": line 1: expected key=value, found "digest"`,
			`input "github-token": expected a token with deployments: write to set the status of github-environment, found none`,
			`input "message-template": expected a Go template over the documented context (see the README), found template: message:1: unclosed action`,
			`input "pull-request": expected a pull request number or merge request IID, found -3`,
			`input "telegram-bot-token": expected a bot token as BotFather gives it, 123456:ABC…, found a secret value (not shown) of another shape`,
			`input "telegram-chat-id": expected a numeric chat ID or @channelusername, found "chat!"`,
			`input "title-template": expected a Go template over the documented context (see the README), found template: title:1:3: executing "title" at <.Nope>: can't evaluate field Nope in type notify.Context`,
			`input "update-message": expected slack-bot-token and slack-channel with it (only Slack's Web API edits messages), found update-message alone`,
			`input "webhook-url": expected an https URL (http only to localhost), found a secret value (not shown)`,
		}},

		// one bad value, one problem: a value that failed to parse is not checked again
		{action: "redirect-traffic", name: "preset in capitals", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "Blue") },
			problems: []string{
				`input "preset": expected one of "blue", "blue-80", "split", "green-80", "green", found "Blue" (from --preset)`,
			}},
		{action: "redirect-traffic", name: "weight not a number", with: func(f *badFixtures) map[string]string { return lbBase(f, "blue-weight", "0", "green-weight", "abc") },
			problems: []string{
				`input "green-weight": expected a whole number, found "abc" (from --green-weight)`,
			}},
		{action: "redirect-traffic", name: "step not a number", with: func(f *badFixtures) map[string]string { return lbBase(f, "steps", "10,abc") },
			problems: []string{
				`input "steps": expected green percentages from 0 to 100, strictly increasing, e.g. 10,50,100, found "10,abc" (step 2: expected a whole percentage 0 to 100, found "abc")`,
			}},
		{action: "sync-s3-cloudfront", name: "concurrency not a number", with: func(f *badFixtures) map[string]string { return syncBase(f, "concurrency", "x") },
			problems: []string{
				`input "concurrency": expected a whole number, found "x" (from --concurrency)`,
			}},
		{action: "build-push-ecr", name: "jobs not a number", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "jobs": "many"}
		}, problems: []string{
			`input "jobs": expected a whole number, found "many" (from --jobs)`,
		}},
		{action: "deploy-ecs", name: "max-failed-tasks not a number", with: func(f *badFixtures) map[string]string { return ecsBase(f, "max-failed-tasks", "x") },
			problems: []string{
				`input "max-failed-tasks": expected a whole number, found "x" (from --max-failed-tasks)`,
			}},
		{action: "notify", name: "pull-request not a number", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "pull-request", "abc")
		}, problems: []string{
			`input "pull-request": expected a whole number, found "abc" (from --pull-request)`,
		}},

		// only whitespace is a value for a bool, number, duration or options input, not unset
		{action: "redirect-traffic", name: "dry-run blank", with: func(f *badFixtures) map[string]string { return lbBase(f, "preset", "green", "dry-run", " ") },
			problems: []string{
				`input "dry-run": expected true or false, found " " (from --dry-run)`,
			}},
		{action: "sync-s3-cloudfront", name: "dry-run blank in the environment", with: func(f *badFixtures) map[string]string { return syncBase(f) },
			env: map[string]string{"FERRY_DRY_RUN": " \n"}, problems: []string{
				`input "dry-run": expected true or false, found " \n" (from FERRY_DRY_RUN)`,
			}},
		{action: "deploy-ecs", name: "timeout blank", with: func(f *badFixtures) map[string]string { return ecsBase(f, "timeout", " ") },
			problems: []string{
				`input "timeout": expected a duration with a unit, such as 90s, 10m or 1h30m, found " " (from --timeout)`,
			}},

		// the waits of a progressive shift outlast the run
		{action: "redirect-traffic", name: "steps and bake-time past timeout", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "steps", "10,50,100", "bake-time", "20m", "timeout", "30m")
		}, problems: []string{
			`inputs "steps", "bake-time" and "timeout": expected a timeout longer than the waits between the steps (3 steps, 2 waits of bake-time 20m0s: 40m0s), found timeout 30m0s`,
		}},
		{action: "redirect-traffic", name: "ten steps with the default bake-time and timeout", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "steps", "10,20,30,40,50,60,70,80,90,100")
		}, problems: []string{
			`inputs "steps", "bake-time" and "timeout": expected a timeout longer than the waits between the steps (10 steps, 9 waits of bake-time 5m0s: 45m0s), found timeout 30m0s`,
		}},
		{action: "deploy-ecs", name: "traffic-steps and bake-time past timeout", with: func(f *badFixtures) map[string]string {
			return pairs(map[string]string{"cluster": f.ecs.cluster}, "strategy", "blue-green", "blue-service", "b", "green-service", "g", "listener-arn", listenerARN,
				"blue-target-group", "tg-b", "green-target-group", "tg-g", "traffic-steps", "50,100", "bake-time", "1h", "timeout", "1h")
		}, problems: []string{
			`inputs "traffic-steps", "bake-time" and "timeout": expected a timeout longer than the waits between the steps (2 steps, 1 wait of bake-time 1h0m0s: 1h0m0s), found timeout 1h0m0s`,
		}},
		{action: "redirect-traffic", name: "bake-time past what a duration holds", with: func(f *badFixtures) map[string]string {
			return lbBase(f, "steps", "10,50,100", "bake-time", "2000000h")
		}, problems: []string{
			`inputs "steps", "bake-time" and "timeout": expected a timeout longer than the waits between the steps (3 steps, 2 waits of bake-time 2000000h0m0s: more than 2562047h47m16.854775807s), found timeout 30m0s`,
		}},
		{action: "notify", name: "message and message-template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "message", "deployed", "message-template", "{{ .Ref }}")
		}, problems: []string{
			`input "message-template": expected either message (literal text) or message-template, not both, found both`,
		}},
		{action: "notify", name: "title and title-template", with: func(f *badFixtures) map[string]string {
			return notifyHook(f, "status", "success", "title", "Deploy", "title-template", "{{ .Ref }}")
		}, problems: []string{
			`input "title-template": expected either title (literal text) or title-template, not both, found both`,
		}},
		// deploy-ecs: secrets that are neither an ARN nor an SSM parameter name
		{action: "deploy-ecs", name: "malformed SSM parameter names", with: func(f *badFixtures) map[string]string {
			return ecsBase(f, "secrets", "web:DB=/prod//db\nweb:API=prod key\nweb:OK=/prod/ok")
		}, problems: []string{
			`input "secrets": line 1: "web:DB=/prod//db": want a Secrets Manager or SSM parameter ARN, or an SSM parameter name (/path/name), after "=", found "/prod//db" (a name has letters, digits, '_', '.', '-' and single '/' between levels)`,
			`input "secrets": line 2: "web:API=prod key": want a Secrets Manager or SSM parameter ARN, or an SSM parameter name (/path/name), after "=", found "prod key" (a name has letters, digits, '_', '.', '-' and single '/' between levels)`,
		}},
		// build-push-ecr: ECR's tag mutability exclusions
		{action: "build-push-ecr", name: "exclusion setting without filters", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "tag-mutability": "IMMUTABLE_WITH_EXCLUSION"}
		}, problems: []string{
			`input "tag-mutability-exclusions": expected 1 to 5 wildcard filters of the tags IMMUTABLE_WITH_EXCLUSION excepts (e.g. latest, dev-*), found none`,
		}},
		{action: "build-push-ecr", name: "filters without an exclusion setting, bad filter", with: func(f *badFixtures) map[string]string {
			return map[string]string{"repository": "app/web", "oci-layout": f.dir, "tags": "x", "tag-mutability": "IMMUTABLE", "tag-mutability-exclusions": "latest,dev/*"}
		}, problems: []string{
			`input "tag-mutability-exclusions": expected a wildcard filter of 1 to 128 letters, digits, '.', '_', '-' and '*', found "dev/*"`,
			`input "tag-mutability-exclusions": expected none with tag-mutability IMMUTABLE (filters go with MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION), found 2`,
		}},
		// deploy-cloudformation
		{action: "deploy-cloudformation", name: "no template, bad stack name", with: in("stack-name", "1app"), problems: []string{
			`input "stack-name": expected a stack name: a letter, then letters, digits and hyphens, at most 128, found "1app"`,
			`input "template": expected a template file (mode apply), found none`,
		}},
		{action: "deploy-cloudformation", name: "template over the inline limit without a bucket", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-name": "app", "template": f.bigTemplate}
		}, problems: []string{
			`input "template-bucket": expected an S3 bucket to upload the template to: it is over CloudFormation's inline limit of 51200 bytes, found none, and a template of 60016 bytes`,
		}},
		{action: "deploy-cloudformation", name: "execute without a change set", with: in("stack-name", "app", "mode", "execute"), problems: []string{
			`input "change-set-name": expected the name of the change set to execute (mode execute): a letter, then letters, digits and hyphens, at most 128, found none`,
		}},
		{action: "deploy-cloudformation", name: "comment without a token", with: in("stack-name", "app", "mode", "execute", "change-set-name", "ferry-1", "comment", "true"),
			problems: []string{
				`input "github-token": expected a token to keep the pull or merge request comment with (comment is true), found none`,
			}},
		{action: "deploy-cloudformation", name: "every other input wrong", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-name": "app", "template": f.file, "parameters": "Env=prod\nmissing-params.json", "tags": "aws:owner=me",
				"capabilities": "CAPABILITY_ROOT", "role-arn": "cfn-role", "notification-arns": "arn:aws:sqs:us-east-1:123456789012:q",
				"rollback-alarms": "api-5xx", "rollback-monitoring-time": "90s", "protect": "RDS::DBInstance", "stack-policy": "{not json"}
		}, problems: []string{
			`input "capabilities": expected capabilities among CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND, found "CAPABILITY_ROOT"`,
			`input "notification-arns": expected SNS topic ARNs like arn:aws:sns:eu-west-1:123456789012:deploys, found "arn:aws:sqs:us-east-1:123456789012:q"`,
			`input "parameters": line 2: expected Key=Value or a readable JSON file, found "missing-params.json" (no such file or directory)`,
			`input "protect": expected resource types like AWS::RDS::DBInstance, found "RDS::DBInstance"`,
			`input "role-arn": expected an IAM role ARN like arn:aws:iam::123456789012:role/cfn-deploy, found "cfn-role"`,
			`input "rollback-alarms": expected CloudWatch alarm ARNs like arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx, found "api-5xx"`,
			`input "rollback-monitoring-time": expected whole minutes from 0 to 180, found 1m30s`,
			`input "stack-policy": expected a stack policy: a JSON object with a Statement list, found invalid JSON (invalid character 'n' looking for beginning of object key string)`,
			`input "tags": expected tag keys not starting with "aws:" (reserved), found "aws:owner"`,
		}},
		{action: "deploy-cloudformation", name: "StackSet inputs without stack-set", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-name": "app", "template": f.file, "accounts": "111111111111", "regions": "us-east-1", "max-concurrent": "2",
				"call-as": "self", "auto-deployment": "enabled"}
		}, problems: []string{
			`input "accounts": expected no value without stack-set true (a StackSet setting; this run deploys a stack), found "111111111111"`,
			`input "auto-deployment": expected no value without stack-set true (a StackSet setting; this run deploys a stack), found "enabled"`,
			`input "call-as": expected no value without stack-set true (a StackSet setting; this run deploys a stack), found "self"`,
			`input "max-concurrent": expected no value without stack-set true (a StackSet setting; this run deploys a stack), found "2"`,
			`input "regions": expected no value without stack-set true (a StackSet setting; this run deploys a stack), found "us-east-1"`,
		}},
		{action: "deploy-cloudformation", name: "stack inputs with stack-set", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-set": "true", "stack-name": "baseline", "template": f.file, "accounts": "111111111111", "regions": "us-east-1",
				"mode": "plan", "change-set-name": "ferry-1", "protect": "AWS::S3::Bucket", "stack-policy": "{}", "termination-protection": "true",
				"notification-arns": "arn:aws:sns:us-east-1:123456789012:t", "role-arn": "arn:aws:iam::123456789012:role/cfn", "template-bucket": "templates",
				"rollback-alarms": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a", "rollback-monitoring-time": "10m"}
		}, problems: []string{
			`input "change-set-name": expected no value with stack-set true (a StackSet is deployed by operations, without a change set), found "ferry-1"`,
			`input "mode": expected apply with stack-set true (a StackSet is deployed by operations, without a change set to plan or execute), found "plan"`,
			`input "notification-arns": expected no value with stack-set true (a StackSet takes no notification topics), found "arn:aws:sns:us-east-1:123456789012:t"`,
			`input "protect": expected no value with stack-set true (a StackSet has no change set to check for replacements), found "AWS::S3::Bucket"`,
			`input "role-arn": expected no value with stack-set true (a StackSet deploys with administration-role-arn and execution-role-name), found "arn:aws:iam::123456789012:role/cfn"`,
			`input "rollback-alarms": expected no value with stack-set true (StackSet operations take no rollback configuration), found "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"`,
			`input "rollback-monitoring-time": expected no value with stack-set true (StackSet operations take no rollback configuration), found 10m0s`,
			`input "stack-policy": expected no value with stack-set true (a StackSet has no stack policy), found "{}"`,
			`input "template-bucket": expected no value with stack-set true (a StackSet's template is sent inline, up to 51,200 bytes), found "templates"`,
			`input "termination-protection": expected no value with stack-set true (a StackSet has no termination protection), found true`,
		}},
		{action: "deploy-cloudformation", name: "StackSet with every value wrong", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-set": "true", "stack-name": "1set", "template": f.file, "regions": "Europe, us-east-1, us-east-1",
				"max-concurrent": "lots", "failure-tolerance": "150%", "region-order": "us-west-2", "administration-role-arn": "admin",
				"execution-role-name": "arn:aws:iam::123456789012:role/exec", "capabilities": "CAPABILITY_ROOT", "tags": "aws:owner=me", "parameters": "bad-key=1"}
		}, problems: []string{
			`input "administration-role-arn": expected an IAM role ARN such as arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole, found "admin"`,
			`input "capabilities": expected one of CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND, found "CAPABILITY_ROOT"`,
			`input "execution-role-name": expected an IAM role name (not an ARN) such as AWSCloudFormationStackSetExecutionRole, found "arn:aws:iam::123456789012:role/exec"`,
			`input "failure-tolerance": expected a number of accounts such as 2 or a percentage such as 25%, found "150%"`,
			`input "max-concurrent": expected a number of accounts such as 2 or a percentage such as 25%, found "lots"`,
			`input "parameters": expected parameter names of letters and digits, found "bad-key"`,
			`input "region-order": expected regions among those deployed to (Europe, us-east-1, us-east-1), found "us-west-2"`,
			`input "regions": expected AWS regions such as eu-west-1, found "Europe"`,
			`input "regions": expected each value once, found "us-east-1" twice`,
			`input "stack-name": expected a stack set name: a letter, then letters, digits and hyphens, at most 128, found "1set"`,
			`input "tags": expected tag keys of 1 to 128 characters, not starting with "aws:", found "aws:owner"`,
			`inputs "accounts" or "organizational-units": expected the accounts or the organizational units to deploy to, found neither`,
		}},
		{action: "deploy-cloudformation", name: "StackSet to accounts and organizational units", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-set": "true", "stack-name": "baseline", "template": f.file, "regions": "us-east-1",
				"accounts": "111111111111, 1234", "organizational-units": "ou-abcd-12345678, sales", "auto-deployment": "enabled", "call-as": "delegated-admin"}
		}, problems: []string{
			`input "accounts": expected 12-digit AWS account ids, found "1234"`,
			`input "call-as": expected self with accounts (a delegated administrator deploys to organizational units), found "delegated-admin"`,
			`input "organizational-units": expected organizational unit ids ("ou-…") or a root id ("r-…"), found "sales"`,
			`inputs "accounts" or "organizational-units": expected accounts (self-managed) or organizational units (service-managed), not both, found both`,
		}},
		{action: "deploy-cloudformation", name: "StackSet template over the inline limit", with: func(f *badFixtures) map[string]string {
			return map[string]string{"stack-set": "true", "stack-name": "baseline", "template": f.bigTemplate, "accounts": "111111111111", "regions": "us-east-1"}
		}, problems: []string{
			`input "template": expected a template of at most 51200 bytes with stack-set true (a StackSet's template is sent inline; template-bucket is for stacks), found 60016 bytes`,
		}},
		{action: "deploy-cloudformation", name: "StackSet without a template, an administration role with organizational units", with: in("stack-set", "true", "stack-name", "baseline", "organizational-units", "ou-abcd-12345678",
			"administration-role-arn", "arn:aws:iam::123456789012:role/admin", "regions", "us-east-1"), problems: []string{
			`input "administration-role-arn": expected no administration role with organizational units (service-managed permissions), found "arn:aws:iam::123456789012:role/admin"`,
			`input "template": expected a template file (stack-set true), found none`,
		}},
		// whoami: its inputs are the AWS ones
		{action: "whoami", name: "region, attempts, backoff, role", with: in("aws-region", "Europe", "max-attempts", "-1", "retry-max-backoff", "10m", "role-to-assume", "web"),
			problems: []string{
				`input "aws-region": expected a region name like "eu-west-1", found "Europe"`,
				`input "max-attempts": expected 1 or more (0 means 5), found -1`,
				`input "retry-max-backoff": expected a duration from 0s to 5m0s, found 10m0s`,
				`input "role-to-assume": expected an IAM role ARN like "arn:aws:iam::123456789012:role/deploy", found "web"`,
			}},
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
	f.bigTemplate = filepath.Join(t.TempDir(), "big.yml")
	if err := os.WriteFile(f.bigTemplate, []byte("Resources: {}\n#"+strings.Repeat("x", 60000)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
				vars := f.vars()
				want := make([]string, len(tc.problems))
				for i, line := range tc.problems {
					want[i] = vars.Replace(line)
				}
				have := problemLines(res.Stderr)
				slices.Sort(want)
				slices.Sort(have)
				if !slices.Equal(have, want) {
					t.Errorf("problems: want\n\t%s\nhave\n\t%s\nstderr:\n%s\nas a row:\n%s", strings.Join(want, "\n\t"), strings.Join(have, "\n\t"), res.Stderr, asRow(f, have))
				}
				for _, line := range have {
					if !strings.HasPrefix(line, `input "`) && !strings.HasPrefix(line, `inputs "`) {
						t.Errorf("a problem names no input: %s", line)
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

// vars replaces the placeholders of badInput.problems with the fixtures'
// values.
func (f *badFixtures) vars() *strings.Replacer {
	return strings.NewReplacer(f.pairs()...)
}

// pairs are the placeholders and the values they stand for, longest value
// first so that asRow replaces a listener ARN before its load balancer.
func (f *badFixtures) pairs() []string {
	kv := [][2]string{
		{"<dir>", f.dir}, {"<file>", f.file}, {"<registry>", f.source.Host}, {"<cluster>", f.ecs.cluster},
		{"<listener>", f.lb.Listeners[0]}, {"<blue>", f.lb.Blue}, {"<green>", f.lb.Green}, {"<unhealthy>", f.lb.Unhealthy},
		{"<sink>", f.sink.URL},
	}
	slices.SortStableFunc(kv, func(a, b [2]string) int { return len(b[1]) - len(a[1]) })
	var out []string
	for _, p := range kv {
		out = append(out, p[0], p[1])
	}
	return out
}

// asRow writes problem lines as the problems field of a table row, the
// fixtures' values as placeholders.
func asRow(f *badFixtures, lines []string) string {
	p := f.pairs()
	rev := make([]string, len(p))
	for i := 0; i < len(p); i += 2 {
		rev[i], rev[i+1] = p[i+1], p[i]
	}
	r := strings.NewReplacer(rev...)
	var b strings.Builder
	b.WriteString("problems: []string{\n")
	for _, l := range lines {
		l = r.Replace(l)
		if strings.Contains(l, "`") {
			fmt.Fprintf(&b, "\t%q,\n", l)
		} else {
			fmt.Fprintf(&b, "\t`%s`,\n", l)
		}
	}
	b.WriteString("},")
	return b.String()
}

// problemLines returns the problems a usage error lists on stderr: the
// lines after "invalid input (N problems):", each without its "  - "; a
// problem spanning lines keeps them.
func problemLines(stderr string) []string {
	_, rest, ok := strings.Cut(stderr, "invalid input (")
	if !ok {
		return nil
	}
	_, rest, _ = strings.Cut(rest, "\n")
	var out []string
	for _, line := range strings.Split(rest, "\n") {
		switch {
		case strings.HasPrefix(line, "  - "):
			out = append(out, strings.TrimPrefix(line, "  - "))
		case len(out) > 0 && !strings.HasPrefix(line, "ferry "):
			out[len(out)-1] += "\n" + line
		default:
			return out
		}
	}
	return out
}
