#!/usr/bin/env bash
# Fetches Debian's busybox-static package for each architecture and unpacks
# it (dpkg-deb -R: files and DEBIAN/control) into DIR/<arch>, for the GitLab
# job image (internal/releaseimage -busybox, internal/ferryimage).
#
#   .github/scripts/fetch-busybox.sh DIR amd64 arm64      (make busybox)
#
# An architecture already unpacked in DIR is left alone. The packages come
# from the machine's apt sources (`apt-get download`, which needs no root);
# a foreign architecture is added to dpkg and the package lists updated
# first, which needs root. Debian or Ubuntu only.
set -euo pipefail

[ "$#" -ge 2 ] || { echo "usage: $0 DIR ARCH..." >&2; exit 2; }
dir="$1"
shift
native="$(dpkg --print-architecture)"
mkdir -p "$dir"
# One fetch at a time (tests in several packages may ask at once); each
# package appears in DIR whole or not at all.
exec 9>"$dir/.lock"
flock 9

for arch in "$@"; do
	case "$arch" in
	amd64 | arm64 | armhf | armel | i386 | ppc64el | s390x | riscv64 | mips64el) ;;
	*)
		echo "fetch-busybox: want a Debian architecture (amd64, arm64, armhf, …), have \"$arch\"" >&2
		exit 2
		;;
	esac
	out="$dir/$arch"
	if [ -f "$out/DEBIAN/control" ] && [ -f "$out/bin/busybox" ]; then
		continue
	fi
	pkg="busybox-static:$arch"
	if [ "$arch" != "$native" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		dpkg --add-architecture "$arch"
	fi
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		apt-get update -qq
	fi
	tmp="$(mktemp -d)"
	# apt-get download writes into the current directory, which its
	# sandbox user must be able to write to.
	chmod 0777 "$tmp"
	(
		cd "$tmp"
		apt-get download -qq "$pkg" 2>&1 | { grep -v 'Download is performed unsandboxed' || true; }
	)
	deb="$(find "$tmp" -name 'busybox-static_*.deb' | head -n 1)"
	[ -n "$deb" ] || { echo "fetch-busybox: apt-get download $pkg fetched nothing" >&2; exit 1; }
	dpkg-deb -R "$deb" "$tmp/pkg"
	rm -rf "$out"
	mv "$tmp/pkg" "$out"
	rm -rf "$tmp"
	echo "busybox-static $(sed -n 's/^Version: //p' "$out/DEBIAN/control") ($arch) in $out"
done
