#!/usr/bin/env bash
# demo.sh - the README's "run" command: installs dependencies, builds, and
# runs otapd end to end. With no modem given it starts the built-in modem
# simulator; with OTAP_DEVICE=/dev/ttyUSB0 (or tcp://host:port) it uses that
# modem instead. Enqueues a few demo jobs, waits until they are sent, shows
# `otapctl status`, and stops. Work files go to $OTAP_DEMO_DIR (default
# ./demo-run) and are kept for inspection.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/deps.sh
scripts/build.sh
BIN=$ROOT/build/bin
DIR=${OTAP_DEMO_DIR:-$ROOT/demo-run}
rm -rf "$DIR"
mkdir -p "$DIR"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

DEVICE=${OTAP_DEVICE:-}
if [ -z "$DEVICE" ]; then
	echo "== no modem given (OTAP_DEVICE): starting the modem simulator"
	"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$DIR/sim.port" --log "$DIR/sim.log" \
		--latency 200 2>"$DIR/sim.stderr" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$DIR/sim.port" ] && break; sleep 0.05; done
	DEVICE="tcp://127.0.0.1:$(cat "$DIR/sim.port")"
fi

# The OTAP password lives in a file readable only by the operator, never in argv.
umask 077
printf 'demo-secret\n' >"$DIR/otap.pw"
cat >"$DIR/otapd.conf" <<CONF
database = "$DIR/otapd.db";
profiles = (
  { name = "els61"; password_file = "$DIR/otap.pw";
    jad_url = "http://fw.example.com/els61/app.jad"; app_dir = "a:/app"; },
  { name = "pls62w"; password_file = "$DIR/otap.pw";
    jad_url = "http://fw.example.com/pls62w/app.jad"; pid = 0x00; sms_class = 0; }
);
modems = ( { name = "modem1"; device = "$DEVICE"; } );
retry = { max_attempts = 3; backoff_initial = "2s"; backoff_max = "30s"; };
split_delay = "1s";
CONF

ctl() { "$BIN/otapctl" -c "$DIR/otapd.conf" "$@"; }
echo "== otapctl init"
ctl init
echo "== enqueueing demo jobs"
for n in +491710000001 +491710000002 +491710000003; do
	echo "job $(ctl enqueue --to "$n" --profile els61) -> $n (els61)"
done
for n in +491720000001 +491720000002; do
	echo "job $(ctl enqueue --to "$n" --profile pls62w) -> $n (pls62w)"
done

echo "== starting otapd (log: $DIR/otapd.log)"
"$BIN/otapd" -c "$DIR/otapd.conf" 2>"$DIR/otapd.log" &
OTAPD=$!
PIDS+=("$OTAPD")
for _ in $(seq 600); do
	open=$(ctl status --json | grep -cE '"state": ?"(queued|sending)"' || true)
	[ "$open" = 0 ] && break
	sleep 0.1
done
kill -TERM "$OTAPD"; wait "$OTAPD" || true
echo "== otapd log"
cat "$DIR/otapd.log"
echo "== otapctl status"
ctl status
if [ -f "$DIR/sim.log" ]; then
	echo "== what the simulated units received ($DIR/sim.log)"
	grep '^SM' "$DIR/sim.log" | cut -f2,3,4,9 | sed 's/PWD:[^\\]*/PWD:****/' | cut -c1-110
fi
