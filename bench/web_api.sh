#!/usr/bin/env bash
# web_api.sh - benchmark of the admin listener's JSON API on a rollout of
# 1 000 000 units (not a test): a database from bench/import (or DB=PATH
# of one), its units spread over the states and funnel steps of a rollout
# under way, otapd (Release) serving it on a loopback admin listener, and
# curl timing each request (median of RUNS, whole HTTP request on a new
# connection): /api/rollouts/NAME (target < 200 ms), the unit list's
# first and a deep page, unfiltered and filtered, and the other paths.
#
#   bench/web_api.sh                     # builds build-bench/, imports 1 M units
#   DB=/tmp/otap-bench.X/otap.db bench/web_api.sh
#   RUNS=21 bench/web_api.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-bench}
RUNS=${RUNS:-9}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/otap-webbench.XXXXXX")
OTAPD_PID=
cleanup() {
	[ -z "$OTAPD_PID" ] || kill "$OTAPD_PID" 2>/dev/null || true
	[ -z "$OTAPD_PID" ] || wait "$OTAPD_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x "$BUILD/bin/otapd" ] || [ ! -x "$BUILD/bin/otapctl" ]; then
	echo "building otapd and otapctl in $BUILD (Release)..."
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	make -C "$BUILD" -j2 otapd otapctl >/dev/null
fi

if [ -z "${DB:-}" ]; then
	echo "importing 1 000 000 units with bench/import..."
	out=$(KEEP=1 RUNS=1 BUILD_DIR=$BUILD "$ROOT/bench/import")
	echo "$out" | sed 's/^/  /'
	kept=$(echo "$out" | sed -n 's/^work dir kept: //p')
	mv "$kept/otap.db" "$WORK/otap.db"
	rm -rf "$kept"
else
	cp "$DB" "$WORK/otap.db"
fi
DB=$WORK/otap.db

# A rollout under way (written directly: this is a benchmark's fixture,
# not something otapd would do): of every 100 units, 40 sent, 20
# delivered, 5 fetched the JAD, 5 the JAR, 20 confirmed, 3 failed after
# sending, 7 still queued.
sqlite3 "$DB" <<'SQL'
UPDATE jobs SET
  state = CASE WHEN id % 100 < 40 THEN 'sent' WHEN id % 100 < 60 THEN 'delivered'
               WHEN id % 100 < 70 THEN 'delivered' WHEN id % 100 < 90 THEN 'confirmed'
               WHEN id % 100 < 93 THEN 'failed' ELSE 'queued' END,
  reached = CASE WHEN id % 100 < 40 THEN 1 WHEN id % 100 < 60 THEN 2
                 WHEN id % 100 < 65 THEN 3 WHEN id % 100 < 70 THEN 5
                 WHEN id % 100 < 90 THEN 6 WHEN id % 100 < 93 THEN 1 ELSE 0 END,
  notify_code = CASE WHEN id % 100 BETWEEN 70 AND 89 THEN 900 END,
  last_error = CASE WHEN id % 100 BETWEEN 90 AND 92 THEN 'gave up after 5 attempts: +CMS ERROR 38' END
WHERE rollout = 'bench';
SQL

PORT=$((20000 + RANDOM % 9000))
cat >"$WORK/otapd.conf" <<CONF
database = "$DB";
profiles = ( { name = "els61"; password = "bench-pw"; jad_url = "http://fw.example.com/els61/app.jad";
               app_dir = "a:/app"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:9"; } );
admin = { listen = "127.0.0.1:$PORT"; };
CONF
"$BUILD/bin/otapd" -c "$WORK/otapd.conf" 2>"$WORK/otapd.log" &
OTAPD_PID=$!
for _ in $(seq 200); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/api/modems" && break
	sleep 0.1
done

# median_ms PATH: median of RUNS whole requests (connect, answer, close).
median_ms() {
	for _ in $(seq "$RUNS"); do
		curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT$1"
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] * 1000 }'
}
bytes() { curl -s "http://127.0.0.1:$PORT$1" | wc -c; }

printf '%-62s %9s %8s\n' "request" "median ms" "bytes"
for path in /api/rollouts /api/rollouts/bench \
	"/api/rollouts/bench/units" \
	"/api/rollouts/bench/units?page=9000" \
	"/api/rollouts/bench/units?state=sent" \
	"/api/rollouts/bench/units?state=sent&page=3900" \
	"/api/rollouts/bench/units?state=delivered&stopped_at=jad_fetched&page=400" \
	"/api/rollouts/bench/units?cause=confirmed&page=1900" \
	"/api/rollouts/bench/units?cause=sent_external" \
	"/api/rollouts/bench/units?cause=sent_external&page=400" \
	"/api/jobs/500000" /api/modems; do
	printf '%-62s %9s %8s\n' "$path" "$(median_ms "$path")" "$(bytes "$path")"
done
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
	"SQLite $(sqlite3 --version | cut -d' ' -f1)"
