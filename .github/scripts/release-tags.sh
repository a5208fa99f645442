#!/usr/bin/env bash
# Makes the release commit of a version tag and points the tags at it.
#
#   TAG=v1.2.3 IMAGE=ghcr.io/ferry-ci/ferry@sha256:… \
#     GITLAB_IMAGE=ghcr.io/ferry-ci/ferry@sha256:… .github/scripts/release-tags.sh
#
# Run it in a checkout of the commit TAG was pushed on (the source commit),
# with every tag fetched and credentials to push tags to REMOTE (default
# origin). It
#   1. pins every action.yml to IMAGE and every GitLab component
#      (templates/*.yml) to GITLAB_IMAGE (internal/pinimage) and commits
#      that, and only that, on top of the source commit, detached from any
#      branch.
#      Author, committer and dates are fixed (the bot, the source commit's
#      date), so the same source and image always give the same commit;
#   2. moves TAG from the source commit to the release commit, only if the
#      remote TAG still names the source commit (a lease: a tag moved by
#      anyone else stops the release);
#   3. moves the major tag (v1) there too when TAG is a release, not a
#      pre-release, and the newest release of its major;
#   4. pushes both tags atomically, with leases, and writes commit=<sha> to
#      $GITHUB_OUTPUT when set.
# Run again, it finds the tags already in place and changes nothing.
# PINIMAGE overrides the pin command (default: go run ./internal/pinimage).
set -euo pipefail

: "${TAG:?TAG: want the version tag, e.g. v1.2.3}"
: "${IMAGE:?IMAGE: want the image by digest, e.g. ghcr.io/ferry-ci/ferry@sha256:…}"
: "${GITLAB_IMAGE:?GITLAB_IMAGE: want the GitLab job image by digest, e.g. ghcr.io/ferry-ci/ferry@sha256:…}"
remote="${REMOTE:-origin}"
read -r -a pin <<<"${PINIMAGE:-go run ./internal/pinimage}"

fail() {
	echo "release-tags: $*" >&2
	exit 1
}

semver='^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$'
[[ "$TAG" =~ $semver ]] || fail "TAG: want vMAJOR.MINOR.PATCH[-PRERELEASE], have \"$TAG\""
major="v${BASH_REMATCH[1]}"
prerelease="${BASH_REMATCH[4]}"

# object prints what the remote tag ref holds (a tag object or a commit),
# peeled the commit it names; both empty when the tag does not exist.
object() {
	git ls-remote "$remote" "refs/tags/$1" | awk -v r="refs/tags/$1" '$2 == r { print $1 }'
}
peeled() {
	git ls-remote "$remote" "refs/tags/$1" "refs/tags/$1^{}" |
		awk -v r="refs/tags/$1" '$2 == r { obj = $1 } $2 == r "^{}" { peel = $1 } END { print (peel != "" ? peel : obj) }'
}

source_sha="$(git rev-parse HEAD)"
export GIT_AUTHOR_NAME="github-actions[bot]"
export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
GIT_AUTHOR_DATE="$(git log -1 --format=%cI HEAD)"
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

# 1. The release commit.
[ -z "$(git status --porcelain --untracked-files=no)" ] || fail "the checkout has changes; want a clean checkout of the source commit"
"${pin[@]}" -image "$IMAGE" -gitlab-image "$GITLAB_IMAGE"
changed="$(git status --porcelain --untracked-files=no)"
[ -n "$changed" ] || fail "pinning changed nothing: is the source commit a release commit already?"
unexpected="$(grep -vE '^ M (action\.yml|actions/[^/]+/action\.yml|templates/[^/]+\.yml)$' <<<"$changed" || true)"
[ -z "$unexpected" ] || fail "pinning changed more than action.yml files and GitLab components: $unexpected"
git commit -q -a \
	-m "ferry $TAG: the actions run $IMAGE, the GitLab components $GITLAB_IMAGE" \
	-m "Release commit of $source_sha, the commit tagged $TAG: every action.yml names the published image by digest instead of the Dockerfile, every GitLab component the published GitLab job image by digest instead of a developer build's; nothing else changes."
release_sha="$(git rev-parse HEAD)"
echo "release commit $release_sha (source $source_sha)"

# 2 and 3. The tags, with leases.
leases=()
refs=()
move() { # move TAG_NAME MESSAGE: point the local tag at the release commit and queue its push
	git tag -f -a "$1" -m "$2" -m "Release commit $release_sha; source $source_sha; image $IMAGE; GitLab image $GITLAB_IMAGE." "$release_sha" >/dev/null
	leases+=("--force-with-lease=refs/tags/$1:$(object "$1")")
	refs+=("refs/tags/$1")
}

have="$(peeled "$TAG")"
case "$have" in
"$release_sha") echo "$TAG already names the release commit" ;;
"$source_sha") move "$TAG" "ferry $TAG" ;;
*) fail "remote $TAG names ${have:-nothing}, neither the source commit $source_sha nor the release commit" ;;
esac

if [ -n "$prerelease" ]; then
	echo "$major stays: $TAG is a pre-release"
else
	newest="$(git tag -l "$major.*" | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -V | tail -n 1)"
	if [ "$newest" != "$TAG" ]; then
		echo "$major stays: $newest is newer than $TAG"
	elif [ "$(peeled "$major")" = "$release_sha" ]; then
		echo "$major already names the release commit"
	else
		move "$major" "ferry $major: $TAG"
	fi
fi

# 4. One atomic push.
if [ "${#refs[@]}" -gt 0 ]; then
	git push --atomic "${leases[@]}" "$remote" "${refs[@]}"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	echo "commit=$release_sha" >>"$GITHUB_OUTPUT"
fi
