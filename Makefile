# ferry — build, lint and test.
#
#   make test        everything CI runs: fmt-check vet staticcheck tools unit actionlint cfn-lint
#   make build       bin/ferry
#   make image       the release images (linux/amd64, linux/arm64) without Docker, as OCI layouts: the action
#                    image in dist/image, the GitLab job image in dist/gitlab-image
#                    (IMAGE_FLAGS=-run=false skips running them with chroot, which needs root)
#   make image-load  make image, then load the host's GitLab job image into the local Docker Engine as
#                    localhost/ferry-ci/ferry:dev-gitlab, the image the components on main name
#   make busybox     Debian's busybox-static for each platform, unpacked in dist/busybox (make image fetches it)
#   make dev-up      a detached local AWS stack (moto) in .dev/; load it with: set -a; . .dev/env; set +a
#   make dev-down    stop it
#   make demo        build, then the main job twice against a private moto (.dev/demo-summary.md)
#   make fuzz        every fuzz target for FUZZTIME (default 2m) each
#   make bench       ferry vs the anchor tools (crane push), medians and ratios
#   make bench-sync  ferry sync-s3-cloudfront vs aws s3 sync through a 20 ms proxy to moto (~15 min)

GO       ?= go
TOOLS    := $(GO) tool -modfile=tools/go.mod
DEVSTACK := $(GO) run ./internal/devstack
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# Every timestamp in the release image: the last commit's time, so that the
# same commit gives the same digests.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
comma    := ,
GOFILES   = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './.dev/*')

.DEFAULT_GOAL := build

.PHONY: build
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ferry ./cmd/ferry

# The release images, assembled by ferry's own daemonless build
# (internal/releaseimage, internal/ferryimage): the action image (scratch,
# the static binary at /ferry, the CA certificates; the Dockerfile's
# "action" stage describes the same image) and the GitLab job image (the
# same binary at /usr/local/bin/ferry, the CA certificates and busybox from
# Debian's busybox-static). Prints each platform's compressed size, fails
# above 10 MB, and runs /ferry version and a shell script in the unpacked
# root filesystems with chroot (as root).
IMAGE_ARCHES := amd64 arm64
BUSYBOX_DIR  := dist/busybox
.PHONY: image
image: busybox
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./internal/releaseimage \
		-version "$(VERSION)" -revision "$(REVISION)" -out dist/image -gitlab-out dist/gitlab-image \
		-platforms "$(subst $(eval) ,$(comma),$(IMAGE_ARCHES:%=linux/%))" \
		-busybox "$(subst $(eval) ,$(comma),$(foreach a,$(IMAGE_ARCHES),linux/$(a)=$(BUSYBOX_DIR)/$(a)))" $(IMAGE_FLAGS)

.PHONY: image-load
image-load:
	$(MAKE) image IMAGE_FLAGS="-load-gitlab localhost/ferry-ci/ferry:dev-gitlab $(IMAGE_FLAGS)"

# Debian's busybox-static for each architecture, fetched with apt-get
# download and unpacked (dpkg-deb -R) when missing; a foreign architecture
# is added to dpkg first (as root).
.PHONY: busybox
busybox:
	@bash .github/scripts/fetch-busybox.sh $(BUSYBOX_DIR) $(IMAGE_ARCHES)

.PHONY: fmt-check
fmt-check:
	@out="$$(gofmt -l $(GOFILES))"; \
	if [ -n "$$out" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$out"; exit 1; \
	fi

.PHONY: vet
vet:
	$(GO) vet ./...

.PHONY: staticcheck
staticcheck:
	$(TOOLS) staticcheck ./...

# actionlint runs shellcheck on run: scripts when it is on PATH. Install it
# where apt-get can (as root); where it cannot, actionlint skips those checks.
.PHONY: actionlint
actionlint:
	@command -v shellcheck >/dev/null 2>&1 || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1 || \
		echo "actionlint: shellcheck is not installed and could not be; shell checks are skipped"
	$(TOOLS) actionlint .github/workflows/*.yml examples/workflows/*.yml
	@if command -v shellcheck >/dev/null 2>&1; then shellcheck .github/scripts/*.sh; fi

# Unit, integration and end-to-end tests against one private moto_server
# that internal/devstack starts (and installs if missing) and stops
# afterwards, with a Docker engine answering (-engine: the one running, or
# dockerd started, docker.io installed as root, and stopped afterwards).
# internal/e2e runs the release image under act on that engine.
.PHONY: unit
unit:
	$(DEVSTACK) exec -engine -- $(GO) test -race -count=1 -timeout 30m ./...

# Node tools (gitlab-ci-local, pinned in tools/package-lock.json) and rsync,
# which it needs, for the GitLab component tests; Debian's busybox-static,
# the utilities of the end-to-end suite's job image; act, built once.
.PHONY: tools
tools:
	@[ -x tools/node_modules/.bin/gitlab-ci-local ] || npm ci --prefix tools --no-audit --no-fund
	@missing=""; command -v rsync >/dev/null 2>&1 || missing="$$missing rsync"; \
		command -v busybox >/dev/null 2>&1 || missing="$$missing busybox-static"; \
		[ -z "$$missing" ] || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }
	@$(TOOLS) -n act >/dev/null

# cfn-lint is a pip tool (preinstalled on the project's machines, installed
# by CI); where it is missing the template is not linted and this says so.
# examples/infra's Go test deploys the same template to moto either way.
.PHONY: cfn-lint
cfn-lint:
	@if command -v cfn-lint >/dev/null 2>&1; then \
		echo "cfn-lint $$(cfn-lint --version | sed 's/^cfn-lint //') examples/infra/*.yml"; \
		cfn-lint examples/infra/*.yml; \
	else \
		echo "cfn-lint: not installed (pip install cfn-lint); examples/infra/*.yml is not linted"; \
	fi

.PHONY: test
test: fmt-check vet staticcheck tools unit actionlint cfn-lint

# Bench scripts print ratios against the anchor tool in the same run; they
# are not tests and fail on no number.
.PHONY: bench
bench: build
	$(GO) run ./bench/push -ferry bin/ferry -crane "$$($(TOOLS) -n crane)"
	$(GO) test -run '^$$' -bench . -benchtime 20x ./pkg/publish

# Every fuzz target (go test -fuzz) for FUZZTIME each; `make test` runs
# their seed corpora (testdata/fuzz) as ordinary tests.
FUZZTIME ?= 2m
.PHONY: fuzz
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# The sync bench is apart from `make bench`: five runs of three scenarios per
# tool on a 5,000-file site take about a quarter of an hour. It needs the aws
# CLI on PATH.
.PHONY: bench-sync
bench-sync: build
	$(GO) run ./bench/sync -ferry bin/ferry

.PHONY: dev-up
dev-up:
	$(DEVSTACK) up

.PHONY: dev-down
dev-down:
	$(DEVSTACK) down

# The main job end to end, twice, on a private local stack (moto, an
# in-memory registry, a webhook sink) with the reference infrastructure:
# build, push, deploy, traffic to green, site sync, notify. Fails unless the
# second run changes nothing; writes .dev/demo-summary.md (DEMO_FLAGS=-summary FILE).
.PHONY: demo
demo: build
	$(GO) run ./internal/demo -ferry bin/ferry $(DEMO_FLAGS)

.PHONY: generate
generate:
	$(GO) generate ./...

.PHONY: clean
clean:
	-@[ ! -f .dev/moto.pid ] || $(DEVSTACK) down
	rm -rf bin dist .dev coverage.out coverage.html *.coverprofile
