#!/usr/bin/env bash
# compare_smstools.sh - otapd next to smstools' smsd (Debian package
# smstools), both sending N single-SM messages (default 200) through the
# zero-latency modem simulator with --timing. smsd runs three times: with
# its defaults, with its delay knobs as low as they sensibly go, and with
# every knob found to cost time per message turned down too. Prints wall
# time, SMS/s and the median/p90 gap between a send's final OK and the next
# AT+CMGS as the simulator saw it.
#
# Usage: bench/compare_smstools.sh [N]
#   SMSD_N=...   messages for the smsd runs (default N)
#   TIMEOUT=...  seconds allowed per run (default 180)
#   KEEP=1       keep the temporary directory (logs, spools, configs)
# Needs root on Debian 12: installs smstools and socat with apt-get if
# missing, and smsd is run as root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200}
SMSD_N=${SMSD_N:-$N}
TIMEOUT=${TIMEOUT:-180}
BIN=$ROOT/build/bin

die() { echo "compare_smstools: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, and smsd runs as root here)"
case $N$SMSD_N in *[!0-9]*) die "N must be a number" ;; esac
if [ "$N" -lt 2 ] || [ "$N" -gt 9999 ] || [ "$SMSD_N" -lt 2 ] || [ "$SMSD_N" -gt 9999 ]; then
	die "N must be 2..9999 (numbers are +49171000NNNN)"
fi

missing=()
command -v smsd >/dev/null || missing+=(smstools)
command -v socat >/dev/null || missing+=(socat)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
fi
SMSD_VERSION=$(dpkg-query -W -f '${Version}' smstools 2>/dev/null || echo unknown)

"$ROOT/scripts/build.sh" >/dev/null   # incremental: never measure a stale binary

WORK=$(mktemp -d /tmp/otap-vs-smsd.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROWS=$WORK/rows          # one tab-separated table row per run
: >"$ROWS"

# start_sim DIR [extra options]: a simulator logging to DIR/sim.log (and its
# stderr to DIR/sim.trace); sets PORT.
start_sim() {
	local dir=$1; shift
	"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$dir/port" --log "$dir/sim.log" --timing "$@" \
		2>"$dir/sim.trace" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ] || die "simulator did not start (see $dir)"
	PORT=$(cat "$dir/port")
}

sm_count() { grep -c '^SM' "$1" || true; }

# wait_sms SIMLOG N PID: until N SM lines are logged; fails after TIMEOUT s
# or when PID (the daemon) has died. Sets END.
wait_sms() {
	local log=$1 n=$2 pid=$3 deadline=$((SECONDS + TIMEOUT))
	while [ "$(sm_count "$log")" -lt "$n" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			FAIL="daemon exited after $(sm_count "$log") of $n SMs"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			FAIL="timeout: $(sm_count "$log") of $n SMs after ${TIMEOUT}s"
			return 1
		fi
		sleep 0.01
	done
	END=$(date +%s.%N)
}

# row DAEMON CONFIG N START END SIMLOG: appends a table row.
row() {
	local secs
	secs=$(awk -v a="$4" -v b="$5" 'BEGIN { printf "%.3f", b - a }')
	awk -F'\t' '$1 == "SM" { for (i = 2; i <= NF; i++) if ($i ~ /^gap_us=/ && substr($i, 8) >= 0) print substr($i, 8) }' \
		"$6" | sort -n >"$6.gaps"
	awk -v d="$1" -v c="$2" -v n="$3" -v secs="$secs" '
		{ g[NR] = $1 }
		END {
			printf "%s\t%s\t%d\t%.2f s\t%.1f\t%.3f ms\t%.3f ms\n", d, c, n, secs, n / secs,
				g[int(NR / 2) + 1] / 1000, g[int(NR * 0.9) + 1] / 1000
		}' "$6.gaps" >>"$ROWS"
}

# --- 1. otapd --------------------------------------------------------------

run_otapd() {
	local dir=$WORK/otapd start
	mkdir "$dir"
	start_sim "$dir"
	cat >"$dir/otapd.conf" <<CONF
database = "$dir/otapd.db";
profiles = ( { name = "p"; password = "bench"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "sim"; device = "tcp://127.0.0.1:$PORT"; } );
CONF
	"$BIN/otapctl" -c "$dir/otapd.conf" init >/dev/null
	{ echo msisdn; seq -f '+49171000%04g' 1 "$N"; } >"$dir/units.csv"
	"$BIN/otapctl" -c "$dir/otapd.conf" rollout create bench --no-preflight --profile p --file "$dir/units.csv" >/dev/null

	echo "otapd: $N jobs ..." >&2
	start=$(date +%s.%N)
	"$BIN/otapd" -c "$dir/otapd.conf" 2>"$dir/otapd.log" &
	local pid=$!
	PIDS+=("$pid")
	FAIL=
	if ! wait_sms "$dir/sim.log" "$N" "$pid"; then
		printf 'otapd\tdefaults\t%d\tFAILED: %s\n' "$N" "$FAIL" >>"$ROWS"
		return
	fi
	kill -TERM "$pid"; wait "$pid" || true
	row otapd defaults "$N" "$start" "$END" "$dir/sim.log"
}

# --- 2. smsd -----------------------------------------------------------------

# smsd always sends in PDU mode (AT+CMGF=0). Its own start-up commands are
# kept: the simulator accepts them all but AT+CIMI (asked once, answered
# ERROR, harmless; the notes below list every refused command). Note that at
# loglevel 7 smsd's pre-init becomes "AT+CMEE=1;+CREG=2", which the simulator
# refuses (no ';' chains): that costs one ERROR per modem initialisation.
# "incoming = no": send only (the simulator has no message storage).
SMSD_DEVICE_COMMON='incoming = no'

# run_smsd LABEL GLOBAL_KNOBS DEVICE_KNOBS
run_smsd() {
	local label=$1 knobs=$2 devknobs=$3
	local dir=$WORK/smsd-$label start pid
	mkdir -p "$dir"/{outgoing,checked,failed,sent,incoming,stage}
	# --verbose: the AT trace, to count the ERROR replies smsd got
	start_sim "$dir" --verbose
	# the pty bridge; smsd opens the symlink (the resolved /dev/pts/N works too)
	socat pty,link="$dir/ttyGSM",raw,echo=0 "tcp:127.0.0.1:$PORT" 2>"$dir/socat.log" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -e "$dir/ttyGSM" ] && break; sleep 0.05; done
	[ -e "$dir/ttyGSM" ] || die "socat did not create the pty (see $dir/socat.log)"

	cat >"$dir/smsd.conf" <<CONF
devices = GSM1
outgoing = $dir/outgoing
checked = $dir/checked
failed = $dir/failed
sent = $dir/sent
incoming = $dir/incoming
logfile = $dir/smsd.log
infofile = $dir/smsd.working
pidfile = $dir/smsd.pid
$knobs

[GSM1]
device = $dir/ttyGSM
$SMSD_DEVICE_COMMON
$devknobs
CONF
	# queued before smsd starts, as the jobs are for otapd; each file is
	# written elsewhere and renamed in, as smstools asks of producers
	local i
	for i in $(seq 1 "$SMSD_N"); do
		printf 'To: +49171000%04d\n\nbench message %d\n' "$i" "$i" >"$dir/stage/m$i"
		mv "$dir/stage/m$i" "$dir/outgoing/m$i"
	done

	echo "smsd ($label): $SMSD_N messages ..." >&2
	start=$(date +%s.%N)
	smsd -t -c "$dir/smsd.conf" >"$dir/smsd.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	FAIL=
	if ! wait_sms "$dir/sim.log" "$SMSD_N" "$pid"; then
		printf 'smsd %s\t%s\t%d\tFAILED: %s\n' "$SMSD_VERSION" "$label" "$SMSD_N" "$FAIL" >>"$ROWS"
		{
			echo "smsd ($label) FAILED: $FAIL. Last lines of its output and log" \
				"(KEEP=1 keeps $dir):"
			tail -n 5 "$dir/smsd.out" 2>/dev/null || true
			tail -n 15 "$dir/smsd.log" 2>/dev/null || true
		} | tee -a "$NOTES" >&2
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return
	fi
	kill -TERM "$pid"; wait "$pid" || true
	row "smsd $SMSD_VERSION" "$label" "$SMSD_N" "$start" "$END" "$dir/sim.log"
	# which commands the simulator refused (the line before each ERROR)
	local refused
	refused=$(grep -B1 'tx \\r\\n\(+CM[ES] \)\?ERROR' "$dir/sim.trace" | sed -n 's/.* rx //p' \
		| sort | uniq -c | awk '{ printf "%s%s x%d", sep, $2, $1; sep = ", " }')
	echo "smsd ($label): commands answered with ERROR: ${refused:-none}" >>"$NOTES"
}

# Knobs. "delays": the sleeps an operator would think of first, as low as
# smsd sensibly takes them (0 for delaytime/delaytime_mainprocess makes the
# processes poll without sleeping, and was no faster). "all": also every
# setting found to cost time per message.
SMSD_DELAYS='delaytime = 1
delaytime_mainprocess = 1
loglevel = 1'
SMSD_DELAYS_DEVICE='sentsleeptime = 0'
SMSD_ALL="$SMSD_DELAYS
trust_outgoing = yes
spool_directory_order = yes"
SMSD_ALL_DEVICE="$SMSD_DELAYS_DEVICE
detect_unexpected_input = no
check_network = 0
poll_faster = 1000"

NOTES=$WORK/notes
: >"$NOTES"
run_otapd
run_smsd defaults '' ''
run_smsd delays "$SMSD_DELAYS" "$SMSD_DELAYS_DEVICE"
run_smsd all "$SMSD_ALL" "$SMSD_ALL_DEVICE"

# --- 3. the table --------------------------------------------------------------

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, smstools $SMSD_VERSION, zero-latency simulator, 1 modem, 1 SM per message"
{
	printf 'daemon\tconfig\tN\twall time\tSMS/s\tmedian gap\tp90 gap\n'
	cat "$ROWS"
} | column -t -s $'\t'
echo
oneline() { paste -sd ';' | sed 's/;/; /g'; }
echo "smsd configs, all with [GSM1] $(oneline <<<"$SMSD_DEVICE_COMMON"):"
echo "  defaults  nothing else: delaytime 10, loglevel 4, poll_faster 5, check_network 1, ..."
echo "  delays    $(oneline <<<"$SMSD_DELAYS"); [GSM1] $(oneline <<<"$SMSD_DELAYS_DEVICE")"
echo "  all       $(oneline <<<"$SMSD_ALL");"
echo "            [GSM1] $(oneline <<<"$SMSD_ALL_DEVICE")"
cat "$NOTES"
echo "wall time: from the daemon's start (messages already queued) to the simulator logging the last SM"
echo "gap: from a send's final OK to the next AT+CMGS, as the simulator saw it"
if grep -q $'\tFAILED' "$ROWS"; then
	exit 1
fi
