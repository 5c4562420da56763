#!/usr/bin/env bash
# demo.sh - the README's "run" command: installs dependencies, builds, and
# shows the whole loop end to end. With no modem given it starts the
# built-in modem simulator, whose units download like modules; with
# OTAP_DEVICE=/dev/ttyUSB0 (or tcp://host:port) it uses that modem instead.
# otapd serves the update itself (local artifacts); a small rollout goes out
# where most units download and confirm, one behaves like the PLS62-W that
# never reaches the server, and one loses its bearer mid-JAR. It ends with
# `rollout status` (the funnel) and `diagnose`. Work files go to
# $OTAP_DEMO_DIR (default ./demo-run) and are kept for inspection. The web
# status page runs on an admin listener while the demo does; with
# OTAP_DEMO_SCREENSHOT=FILE.png headless chromium saves a picture of it
# (how docs/web-status.png is made).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/deps.sh
scripts/build.sh
BIN=$ROOT/build/bin
DIR=${OTAP_DEMO_DIR:-$ROOT/demo-run}
# Only a directory this script made (it leaves a marker) is ever deleted.
if [ -e "$DIR" ]; then
	[ -f "$DIR/.otap-demo" ] || {
		echo "demo: $DIR exists and was not made by this script; set OTAP_DEMO_DIR to a new directory" >&2
		exit 2
	}
	rm -rf "$DIR"
fi
mkdir -p "$DIR"
touch "$DIR/.otap-demo"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
APORT=$(free_port)
num() { printf '+4917100000%02d' "$1"; }

DEVICE=${OTAP_DEVICE:-}
if [ -z "$DEVICE" ]; then
	echo "== no modem given (OTAP_DEVICE): starting the modem simulator with six units"
	{
		for i in 1 2 3 4; do echo "$(num "$i") download=yes product=ELS61"; done
		echo "$(num 5) download=unreachable product=PLS62-W"
		echo "$(num 6) download=cut product=ELS61"
	} >"$DIR/units.txt"
	"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$DIR/sim.port" --log "$DIR/sim.log" \
		--latency 100 --fleet "$DIR/units.txt" 2>"$DIR/sim.stderr" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$DIR/sim.port" ] && break; sleep 0.05; done
	DEVICE="tcp://127.0.0.1:$(cat "$DIR/sim.port")"
fi

echo "== the update otapd serves: tracker.jar (a JAR with its manifest) and tracker.jad"
python3 - "$DIR/tracker.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMIDlet-Name: Tracker\r\n"
               "MIDlet-Vendor: Acme\r\nMIDlet-Version: 4.17\r\n\r\n")
    # Big enough that a download cut halfway shows as cut (socket buffers).
    z.writestr("assets.bin", bytes(24 * 1024 * 1024))
PY
printf 'MIDlet-Name: Tracker\r\nMIDlet-Vendor: Acme\r\nMIDlet-Version: 4.17\r\n' >"$DIR/tracker.jad"
printf 'MIDlet-Jar-URL: tracker.jar\r\nMIDlet-Jar-Size: 0\r\nMicroEdition-Profile: IMP-NG\r\n' >>"$DIR/tracker.jad"

# The OTAP password lives in a file readable only by the operator, never in argv.
umask 077
printf 'demo-secret\n' >"$DIR/otap.pw"
cat >"$DIR/otapd.conf" <<CONF
database = "$DIR/otapd.db";
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT"; };
profiles = (
  { name = "tracker"; password_file = "$DIR/otap.pw"; app_dir = "a:/app";
    jar_file = "$DIR/tracker.jar"; jad_file = "$DIR/tracker.jad";
    status_report = true; confirm_timeout = "5s"; }
);
admin = { listen = "127.0.0.1:$APORT"; };
modems = ( { name = "modem1"; device = "$DEVICE"; } );
retry = { max_attempts = 1; backoff_initial = "2s"; backoff_max = "30s"; };
split_delay = "1s";
CONF
umask 022

ctl() { "$BIN/otapctl" -c "$DIR/otapd.conf" "$@"; }
echo "== otapctl init"
ctl init
echo "== starting otapd (log: $DIR/otapd.log)"
"$BIN/otapd" -c "$DIR/otapd.conf" 2>"$DIR/otapd.log" &
OTAPD=$!
PIDS+=("$OTAPD")
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null && break
	sleep 0.1
done

echo "== the web status page: http://127.0.0.1:$APORT/ (while the demo runs)"

echo "== the fleet file, and the rollout (otapctl preflight runs first)"
{
	echo "msisdn,model"
	for i in 1 2 3 4 6; do echo "$(num "$i"),ELS61"; done
	echo "$(num 5),PLS62-W"
} >"$DIR/fleet.csv"
cat "$DIR/fleet.csv"
ctl rollout create demo --profile tracker --file "$DIR/fleet.csv"

echo "== waiting for every unit to confirm or time out (confirm_timeout 5s)"
for _ in $(seq 600); do
	open=$(ctl status --rollout demo --json | grep -cE '"state": ?"(queued|sending|sent|delivered)"' || true)
	[ "$open" = 0 ] && break
	sleep 0.1
done
if [ -n "${OTAP_DEMO_SCREENSHOT:-}" ]; then
	echo "== screenshot of the status page: $OTAP_DEMO_SCREENSHOT"
	mkdir -p "$DIR/chromium"
	python3 "$ROOT/tests/web_page.py" --chromium "$(command -v chromium)" --profile "$DIR/chromium" \
		--url "http://127.0.0.1:$APORT/" --width 1200 --height 800 \
		--expect 'document.querySelectorAll("#units tbody tr[data-id]").length === 6 &&
			document.querySelector("#modems tbody tr[data-name]") !== null' \
		--screenshot "$OTAP_DEMO_SCREENSHOT"
fi
kill -TERM "$OTAPD"; wait "$OTAPD" || true
if [ -f "$DIR/sim.log" ]; then
	echo "== what the simulated units did ($DIR/sim.log)"
	grep -E '^(HTTP|DOWNLOAD)' "$DIR/sim.log" | cut -f1-4,6 | sed -E 's#/([jn])/[0-9]+/[a-z2-7]+#/\1/<job>/<token>#'
fi
echo "== otapctl rollout status demo"
ctl rollout status demo
echo "== otapctl diagnose --rollout demo"
ctl diagnose --rollout demo
