#!/usr/bin/env bash
# service_unit.sh ROOT - the installed unit under ROOT (install_layout.sh's
# DESTDIR) passes `systemd-analyze verify` without a message and rates at
# most 2.5 ("OK") in `systemd-analyze security`. Both run offline against
# ROOT, so no running systemd is needed. Exit 77 (skipped) without
# systemd-analyze.
set -euo pipefail
ROOT=$1
MAX_EXPOSURE=2.5

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze not found (Debian package systemd)"
	exit 77
fi
UNIT=$ROOT/usr/lib/systemd/system/otapd.service
[ -f "$UNIT" ] || fail "no installed unit at $UNIT (install_layout.sh first)"
# verify resolves the unit's dependencies (sysinit.target...) under ROOT:
# give it the host's units, and the ExecReload= command.
cp -an /usr/lib/systemd/system/. "$ROOT/usr/lib/systemd/system/"
mkdir -p "$ROOT/bin"
cp -a /bin/kill "$ROOT/bin/kill"

# Documentation= man pages are looked up with man(1): the installed ones.
out=$(MANPATH=$ROOT/usr/share/man systemd-analyze verify --root="$ROOT" otapd.service 2>&1) ||
	fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify is not clean: $out"

out=$(systemd-analyze security --offline=true --root="$ROOT" otapd.service 2>&1) ||
	fail "systemd-analyze security failed: $out"
score=$(sed -n 's/.*Overall exposure level for otapd.service: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$score" ] || fail "no exposure level in: $out"
awk -v s="$score" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s <= max) }' ||
	fail "exposure $score > $MAX_EXPOSURE: $(grep '✗' <<<"$out")"
echo "service_unit: ok, exposure level $score"
