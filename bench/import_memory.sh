#!/usr/bin/env bash
# import_memory.sh - benchmark (not a test) of the import's memory: generates
# a fleet file of UNITS units (default 10 000 000: msisdn only, so that 10 M
# rows stay under the 256 MiB input limit, ~150 MB), runs
# `otapctl rollout create` on it and prints the wall time, the rate and the
# peak resident memory (max RSS, from getrusage of the child).
# Target: < 64 MB RSS whatever the file size. Needs ~2 GB in $TMPDIR for 10 M.
#
#   bench/import_memory.sh                   # builds build-bench/ (Release) if needed
#   UNITS=1000000 BUILD_DIR=build bench/import_memory.sh
#   SCRAMBLE=1 UNITS=1000000 bench/import_memory.sh   # numbers in random order
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-bench}
UNITS=${UNITS:-10000000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/otap-mem.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$BUILD/bin/otapctl" ]; then
	echo "building otapctl in $BUILD (Release)..."
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	make -C "$BUILD" -j2 otapctl >/dev/null
fi

cat >"$WORK/otapd.conf" <<CONF
database = "$WORK/otap.db";
profiles = ( { name = "els61"; password = "bench-pw"; jad_url = "http://fw.example.com/els61/app.jad"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:9"; } );
CONF
# Numbers ascending (SCRAMBLE=1: in a scrambled order), every 1000th one
# repeated, so the duplicate check has work to do.
awk -v n="$UNITS" -v scramble="${SCRAMBLE:-0}" 'BEGIN {
	print "msisdn"
	for (i = 0; i < n; i++) {
		k = scramble ? (i * 7919) % n : i
		if (i % 1000 == 999) k = scramble ? (i - 1) * 7919 % n : i - 1
		printf "+4917%09d\n", k
	}
}' >"$WORK/fleet.csv"
"$BUILD/bin/otapctl" -c "$WORK/otapd.conf" init >/dev/null
python3 - "$BUILD/bin/otapctl" "$WORK/otapd.conf" "$WORK/fleet.csv" "$UNITS" <<'PY'
import resource, subprocess, sys, time
ctl, conf, csv, units = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.monotonic()
rc = subprocess.run([ctl, "-c", conf, "rollout", "create", "mem", "--profile", "els61", "--no-preflight",
                     "--file", csv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if rc.returncode:
    sys.stderr.write(rc.stderr.decode()[-2000:])
rc = rc.returncode
dt = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"units:    {units}")
print(f"exit:     {rc}")
print(f"import:   {dt:.1f} s, {units / dt:.0f} units/s")
print(f"max RSS:  {rss:.1f} MiB (target < 64)")
sys.exit(rc)
PY
