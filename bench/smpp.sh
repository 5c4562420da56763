#!/usr/bin/env bash
# smpp.sh - SMS/s through one SMPP bind against the test SMSC (otap-smsc):
# N jobs (default 3000, 1 SM each, no receipts) for each window (1, 10, 50),
# with the SMSC answering at once and with 20 ms response latency. The
# clock runs from otapd's start to the SMSC's last answer (connect and bind
# included), and the steady rate between the SMSC's first and last answer
# (its clock). Also prints the SMSC's own CPU time, to tell whether it was
# the bottleneck.
# Usage: bench/smpp.sh [JOBS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${1:-3000}
BIN=${BIN:-$ROOT/build/bin}
"$ROOT/scripts/build.sh" >/dev/null   # incremental: never measure a stale binary
WORK=$(mktemp -d /tmp/otap-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf 'bench\n' >"$WORK/smpp.pw"

# run WINDOW LATENCY_MS JOBS: prints one result line.
run() {
	local window=$1 latency=$2 JOBS=$3 dir="$WORK/w$1-l$2"
	mkdir -p "$dir"
	"$BIN/otap-smsc" --listen 127.0.0.1:0 --port-file "$dir/port" --password-file "$WORK/smpp.pw" \
		--latency "$latency" --record "$dir/smsc.jsonl" 2>"$dir/smsc.log" &
	local smsc=$!
	PIDS+=("$smsc")
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	cat >"$dir/otapd.conf" <<CONF
database = "$dir/otapd.db";
profiles = ( { name = "p"; password = "bench"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "smsc"; device = "smpp://otap@127.0.0.1:$(cat "$dir/port")";
             password_file = "$WORK/smpp.pw"; window = $window; } );
CONF
	"$BIN/otapctl" -c "$dir/otapd.conf" init >/dev/null
	{ echo msisdn; seq -f '+4917%09g' 1 "$JOBS"; } >"$dir/units.csv"
	"$BIN/otapctl" -c "$dir/otapd.conf" rollout create bench --no-preflight --profile p \
		--file "$dir/units.csv" >/dev/null
	local start end
	start=$(date +%s.%N)
	"$BIN/otapd" -c "$dir/otapd.conf" 2>"$dir/otapd.log" &
	local otapd=$!
	PIDS+=("$otapd")
	while [ "$(grep -c '"submit"' "$dir/smsc.jsonl" 2>/dev/null || true)" -lt "$JOBS" ]; do
		sleep 0.1
	done
	end=$(date +%s.%N)
	local cpu
	cpu=$(awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$smsc/stat")
	kill -TERM "$otapd"; wait "$otapd" || true
	kill -TERM "$smsc"; wait "$smsc" 2>/dev/null || true
	# Steady state: from the SMSC's first answer to its last, by its clock.
	local steady
	steady=$(python3 -c 'import json, sys
t = [json.loads(l)["t_ms"] for l in open(sys.argv[1]) if "\"submit\"" in l]
print("%.0f" % ((len(t) - 1) * 1000.0 / max(1, t[-1] - t[0])))' "$dir/smsc.jsonl")
	awk -v jobs="$JOBS" -v a="$start" -v b="$end" -v w="$window" -v l="$latency" -v cpu="$cpu" \
		-v steady="$steady" \
		'BEGIN { printf "window %3d  latency %2d ms  %6d SMS  %6.2f s  %7.0f SMS/s  steady %6d SMS/s  (SMSC CPU %.2f s)\n",
			 w, l, jobs, b - a, jobs / (b - a), steady, cpu }'
}

echo "jobs: $JOBS per run, 1 SM each, no receipts, one transceiver bind; $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for latency in 0 20; do
	for window in 1 10 50; do
		# One answer per 20 ms caps window 1 at 50 SMS/s: fewer jobs there.
		n=$JOBS
		[ "$latency" -gt 0 ] && [ "$window" = 1 ] && n=$((JOBS / 5))
		run "$window" "$latency" "$n"
	done
done
