#!/usr/bin/env bash
# throughput.sh - otapd's sending throughput: N jobs (default 10 000) through
# a zero-latency modem simulator. Prints SMS/s and the median/p99 gap between
# a send's final OK and the next AT+CMGS (what an idle modem costs per SM).
# Usage: bench/throughput.sh [JOBS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${1:-10000}
BIN=$ROOT/build/bin
"$ROOT/scripts/build.sh" >/dev/null   # incremental: never measure a stale binary
WORK=$(mktemp -d /tmp/otap-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$WORK/port" --log "$WORK/sim.log" --timing &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
cat >"$WORK/otapd.conf" <<CONF
database = "$WORK/otapd.db";
profiles = ( { name = "p"; password = "bench"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "sim"; device = "tcp://127.0.0.1:$(cat "$WORK/port")"; } );
CONF
ctl() { "$BIN/otapctl" -c "$WORK/otapd.conf" "$@"; }
ctl init >/dev/null
{ echo msisdn; seq -f '+4917%09g' 1 "$JOBS"; } >"$WORK/units.csv"
ctl rollout create bench --no-preflight --profile p --file "$WORK/units.csv" >/dev/null

start=$(date +%s.%N)
"$BIN/otapd" -c "$WORK/otapd.conf" 2>"$WORK/otapd.log" &
OTAPD=$!
PIDS+=("$OTAPD")
while [ "$(grep -c '^SM' "$WORK/sim.log" || true)" -lt "$JOBS" ]; do sleep 0.2; done
end=$(date +%s.%N)
kill -TERM "$OTAPD"; wait "$OTAPD" || true

secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
awk -F'\t' '$1 == "SM" { for (i = 2; i <= NF; i++) if ($i ~ /^gap_us=/ && substr($i, 8) >= 0) print substr($i, 8) }' \
	"$WORK/sim.log" | sort -n >"$WORK/gaps"
awk -v jobs="$JOBS" -v secs="$secs" '
	{ g[NR] = $1 }
	END {
		printf "jobs:               %d (1 SM each, zero-latency simulator, 1 modem)\n", jobs
		printf "wall time:          %.2f s (from otapd start, incl. connect and modem init)\n", secs
		printf "throughput:         %.0f SMS/s\n", jobs / secs
		printf "gap OK -> AT+CMGS:  median %.3f ms, p99 %.3f ms, max %.3f ms\n",
			g[int(NR / 2) + 1] / 1000, g[int(NR * 0.99) + 1] / 1000, g[NR] / 1000
	}' "$WORK/gaps"
