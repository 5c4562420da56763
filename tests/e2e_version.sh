#!/usr/bin/env bash
# e2e_version.sh - `--version` of otapd and otapctl: the CMake project version,
# plus `git describe` in a git checkout; and cmake/version.cmake's fallback to
# the project version alone outside one.
set -euo pipefail

BIN=${OTAP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin}
TESTS=${OTAP_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
SRC=$(cd "$TESTS/.." && pwd)
WORK=$(mktemp -d /tmp/otap-e2e-version.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

VERSION=$(sed -n 's/^project(otapd VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$VERSION" ] || fail "no project version in CMakeLists.txt"
# The commit part is not compared with HEAD: a commit made after the build
# would fail the test for no fault of the binaries.
PATTERN="^ ${VERSION//./\\.}( \\(git [0-9a-f]{7,}(-dirty)?\\))?$"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	PATTERN="^ ${VERSION//./\\.} \\(git [0-9a-f]{7,}(-dirty)?\\)$"
fi
for prog in otapd otapctl; do
	out=$("$BIN/$prog" --version) || fail "$prog --version: exit $?"
	[[ "$out" =~ ^$prog(.*)$ ]] || fail "$prog --version: '$out'"
	[[ "${BASH_REMATCH[1]}" =~ $PATTERN ]] || fail "$prog --version: '$out' does not match '$PATTERN'"
	[ "$("$BIN/$prog" -V)" = "$out" ] || fail "$prog -V differs from --version"
done
# Both usages list the option.
"$BIN/otapctl" --help | grep -q -- '--version' || fail "otapctl --help does not list --version"
"$BIN/otapd" --help | grep -q -- '--version' || fail "otapd --help does not list --version"

# version.cmake: $1 source dir; prints the generated OTAP_VERSION line.
generate() {
	rm -f "$WORK/version.h"
	cmake -DOUT="$WORK/version.h" -DSOURCE_DIR="$1" -DVERSION=9.8.7 \
		-P "$SRC/cmake/version.cmake" || fail "version.cmake failed for $1"
	grep '^#define OTAP_VERSION ' "$WORK/version.h"
}
mkdir "$WORK/tarball"
[ "$(generate "$WORK/tarball")" = '#define OTAP_VERSION "9.8.7"' ] ||
	fail "outside a git checkout: $(cat "$WORK/version.h")"
if command -v git >/dev/null; then
	repo=$WORK/repo
	git init -q "$repo"
	echo a >"$repo/f"
	git -C "$repo" add f
	git -C "$repo" -c user.name=t -c user.email=t@example.com commit -qm one
	hash=$(git -C "$repo" rev-parse --short HEAD)
	[ "$(generate "$repo")" = "#define OTAP_VERSION \"9.8.7 (git $hash)\"" ] ||
		fail "clean checkout: $(cat "$WORK/version.h")"
	echo b >"$repo/f"
	[ "$(generate "$repo")" = "#define OTAP_VERSION \"9.8.7 (git $hash-dirty)\"" ] ||
		fail "dirty checkout: $(cat "$WORK/version.h")"
	# A source tree inside someone else's checkout is not a checkout.
	mkdir "$repo/sub"
	[ "$(generate "$repo/sub")" = '#define OTAP_VERSION "9.8.7"' ] ||
		fail "tree inside another checkout: $(cat "$WORK/version.h")"
fi
echo "e2e_version: ok"
