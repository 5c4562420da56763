#!/usr/bin/env bash
# install_layout.sh SRC_DIR WORK_DIR - `cmake --install` with prefix /usr into
# a DESTDIR: binaries, the config in /etc/otapd (never overwritten, the
# example next to it), the unit with /usr/bin paths, sysusers.d, man pages
# that groff formats without a warning. Leaves WORK_DIR/root for
# service_unit.sh. Builds its own tree (WORK_DIR/build): the prefix is fixed
# at configure time.
set -euo pipefail
SRC=$1
WORK=$2
ROOT=$WORK/root
BUILD=$WORK/build

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

rm -rf "$ROOT"
mkdir -p "$WORK"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" --target otapd otapctl -j "$(nproc)" >/dev/null
DESTDIR=$ROOT cmake --install "$BUILD" >"$WORK/install.log"

# ------------------------------------------------------------- layout
for f in usr/bin/otapd usr/bin/otapctl; do
	[ -x "$ROOT/$f" ] || fail "$f not installed"
done
[ ! -e "$ROOT/usr/etc" ] || fail "files under /usr/etc: the sysconfdir of prefix /usr is /etc"
CONF=$ROOT/etc/otapd/otapd.conf
cmp -s "$CONF" "$SRC/etc/otapd.conf" || fail "etc/otapd/otapd.conf is not the example config"
cmp -s "$ROOT/etc/otapd/otapd.conf.example" "$SRC/etc/otapd.conf" || fail "otapd.conf.example missing"
UNIT=$ROOT/usr/lib/systemd/system/otapd.service
[ -f "$UNIT" ] || fail "unit not in /usr/lib/systemd/system"
grep -qx 'ExecStart=/usr/bin/otapd -c /etc/otapd/otapd.conf' "$UNIT" ||
	fail "unit ExecStart: $(grep '^ExecStart=' "$UNIT")"
! grep -qE '@[A-Z_]+@' "$UNIT" || fail "unsubstituted @VAR@ in the unit: $(grep -E '@[A-Z_]+@' "$UNIT")"
grep -q '^u otapd ' "$ROOT/usr/lib/sysusers.d/otapd.conf" || fail "sysusers.d file missing"
# The compiled-in default is where the install put the config.
"$ROOT/usr/bin/otapd" --help | grep -q 'or /etc/otapd/otapd.conf)' ||
	fail "otapd's default config path is not /etc/otapd/otapd.conf"
"$ROOT/usr/bin/otapctl" --help | grep -q 'else /etc/otapd/otapd.conf)' ||
	fail "otapctl's default config path is not /etc/otapd/otapd.conf"

# ----------------------------------------- a second install keeps the config
echo '# edited by the operator' >>"$CONF"
cp "$CONF" "$WORK/edited.conf"
echo '# old example' >>"$ROOT/etc/otapd/otapd.conf.example"
DESTDIR=$ROOT cmake --install "$BUILD" >"$WORK/install2.log"
cmp -s "$CONF" "$WORK/edited.conf" || fail "the second install overwrote the edited config"
grep -q "Keeping: $CONF" "$WORK/install2.log" || fail "the install does not say it kept the config"
cmp -s "$ROOT/etc/otapd/otapd.conf.example" "$SRC/etc/otapd.conf" || fail "the example was not refreshed"

# --------------------------- another prefix at install time is refused
if DESTDIR=$WORK/other cmake --install "$BUILD" --prefix /opt/otapd >"$WORK/install3.log" 2>&1; then
	fail "cmake --install --prefix /opt/otapd succeeded with binaries built for /usr"
fi
grep -q 'configured for the prefix /usr' "$WORK/install3.log" || fail "no reason given: $(cat "$WORK/install3.log")"

# ------------------------------------------------------------- man pages
VERSION=$(sed -n 's/^project(otapd VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
for page in man1/otapctl.1 man5/otapd.conf.5 man8/otapd.8; do
	f=$ROOT/usr/share/man/$page
	[ -f "$f" ] || fail "$page not installed"
	warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	[ -z "$warnings" ] || fail "groff warns on $page: $warnings"
	grep -q "^\.TH .* \"otapd $VERSION\"" "$f" || fail "$page does not name version $VERSION"
done
echo "install_layout: ok"
