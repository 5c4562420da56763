# testlib.sh - helpers for the end-to-end scripts (tests/e2e_*.sh): a temp
# work dir, the modem simulator, otapd, and assertions on the database and on
# what the simulated units received. Sourced, not run.
set -euo pipefail

BIN=${OTAP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin}
TESTS=${OTAP_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
WORK=$(mktemp -d /tmp/otap-e2e.XXXXXX)
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
	exit 1
}

# start_sim NAME [simulator options...]: starts a simulator; sets SIM_PORT_<NAME>.
start_sim() {
	local name=$1; shift
	"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$WORK/$name.port" \
		--log "$WORK/$name.sms" "$@" 2>>"$WORK/$name.log" &
	PIDS+=($!)
	local i
	for i in $(seq 100); do
		[ -s "$WORK/$name.port" ] && break
		sleep 0.05
	done
	[ -s "$WORK/$name.port" ] || fail "simulator $name did not start"
	printf -v "SIM_PORT_$name" '%s' "$(cat "$WORK/$name.port")"
}

# pick_port: prints a loopback TCP port nothing listens on (for a listener
# the test configures with a fixed address, such as notify.listen). It is
# taken below the kernel's ephemeral range when there is room, so that no
# outgoing connection or port-0 listener (the simulators) can take it
# between this check and otapd's bind.
pick_port() {
	local p low=0 high=0 base=20000 span=40000
	read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if [ "$low" -ge $((base + 2000)) ]; then
		span=$((low - base))
	fi
	for _ in $(seq 50); do
		p=$((base + RANDOM % span))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found"
}

DB=$WORK/otap.db
CONF=$WORK/otapd.conf

# simple_config [LINE...]: writes $CONF with the database, one profile "p"
# (one SM) and the simulator m1 as the only modem, plus the given lines.
simple_config() {
	{
		echo "database = \"$DB\";"
		echo 'profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );'
		echo "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:$SIM_PORT_m1\"; } );"
		printf '%s\n' "$@"
	} >"$CONF"
}

# start_otapd CONFIG [options]: runs otapd in the background; OTAPD_PID set.
start_otapd() {
	"$BIN/otapd" -c "$@" 2>>"$WORK/otapd.log" &
	OTAPD_PID=$!
	PIDS+=("$OTAPD_PID")
}

stop_otapd() {
	kill -TERM "$OTAPD_PID" 2>/dev/null || true
	local i
	for i in $(seq 200); do
		kill -0 "$OTAPD_PID" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$OTAPD_PID" 2>/dev/null || fail "otapd did not stop on SIGTERM"
	wait "$OTAPD_PID" || fail "otapd exited with status $?"
}

ctl() {
	"$BIN/otapctl" -c "$CONF" "$@"
}

# count_state STATE: number of jobs in STATE.
count_state() {
	sql "SELECT count(*) FROM jobs WHERE state='$1'"
}

# sql QUERY: runs a read-only query on the test database (sqlite3 CLI).
sql() {
	sqlite3 -readonly -cmd '.timeout 5000' "$DB" "$1"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local what=$1 secs=$2; shift 2
	local end=$((SECONDS + secs))
	while ! "$@"; do
		[ $SECONDS -lt $end ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}

# wait_healthy PORT: waits until otapd's listener on PORT answers /healthz
# with 200, i.e. a modem is ready behind it (before, 503 or nothing).
wait_healthy() {
	healthz_200() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthz")" = 200 ]; }
	wait_for "a modem ready behind the listener on port $1" 20 healthz_200 "$1"
}

state_count_is() {
	[ "$(count_state "$1")" = "$2" ]
}

# sim_field LOGFILE EVENT FIELD: prints FIELD of every EVENT line.
sim_field() {
	awk -F'\t' -v ev="$2" -v key="$3=" '$1 == ev { for (i = 2; i <= NF; i++) if (index($i, key) == 1) print substr($i, length(key) + 1) }' "$1"
}

# hold_write_lock NAME: another process (the sqlite3 shell) takes the
# database's write lock (BEGIN IMMEDIATE) and keeps it until
# release_write_lock NAME; returns once the lock is held.
hold_write_lock() {
	local name=$1
	rm -f "$WORK/$name.held" "$WORK/$name.release"
	{
		printf 'BEGIN IMMEDIATE;\n.shell touch %s\n' "$WORK/$name.held"
		while [ ! -e "$WORK/$name.release" ]; do sleep 0.05; done
		printf 'COMMIT;\n'
	} | sqlite3 -cmd '.timeout 20000' "$DB" &
	PIDS+=($!)
	wait_for "the write lock ($name)" 30 test -e "$WORK/$name.held"
}

release_write_lock() {
	touch "$WORK/$1.release"
}

# start_smsc NAME [otap-smsc options...]: starts the test SMSC (system_id
# "otap", the password in $WORK/NAME.pw) recording to $WORK/NAME.jsonl;
# sets SMSC_PORT_<NAME>.
start_smsc() {
	local name=$1; shift
	[ -s "$WORK/$name.pw" ] || printf 'smpp-s3c\n' >"$WORK/$name.pw"
	"$BIN/otap-smsc" --listen 127.0.0.1:0 --port-file "$WORK/$name.port" \
		--record "$WORK/$name.jsonl" --password-file "$WORK/$name.pw" "$@" \
		2>>"$WORK/$name.log" &
	PIDS+=($!)
	printf -v "SMSC_PID_$name" '%s' "$!"
	wait_for "the test SMSC $name" 10 test -s "$WORK/$name.port"
	printf -v "SMSC_PORT_$name" '%s' "$(cat "$WORK/$name.port")"
}

# smsc_count NAME PYTHON-CONDITION: the number of records r of the SMSC
# NAME for which the condition holds (e.g. "r['type'] == 'submit'").
smsc_count() {
	python3 - "$WORK/$1.jsonl" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for r in recs if eval(sys.argv[2], {}, {"r": r})))
PY
}

# OTAP_E2E_ENGINE=postgresql (set by the e2e_pg_*.sh wrappers): the same
# script against a fresh database of the PostgreSQL test cluster
# (tests/pg_cluster.sh; the password through PGPASSFILE): DB is its URL,
# sql runs psql, and the database is dropped at the end. Exits 77 (skip)
# without a cluster.
if [ "${OTAP_E2E_ENGINE:-}" = postgresql ]; then
	[ -s "${OTAP_TEST_PG_FILE:-}" ] || { echo "SKIP: no PostgreSQL test cluster (tests/pg_cluster.sh)"; exit 77; }
	PG_BASE_URL=$(cat "$OTAP_TEST_PG_FILE")
	PG_DBNAME=otap_e2e_$$
	DB=${PG_BASE_URL%/*}/$PG_DBNAME
	psql -X -q -v ON_ERROR_STOP=1 "$PG_BASE_URL" -c "CREATE DATABASE $PG_DBNAME" >/dev/null
	trap 'cleanup; psql -X -q "$PG_BASE_URL" -c "DROP DATABASE IF EXISTS $PG_DBNAME WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
	sql() {
		psql -X -A -t -q -v ON_ERROR_STOP=1 "$DB" -c "$1"
	}
fi
