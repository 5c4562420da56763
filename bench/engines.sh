#!/usr/bin/env bash
# engines.sh - SQLite and PostgreSQL side by side (not a test; figures in
# bench/README.md): the store's claims/s with 1, 2 and 4 processes
# (bench_claims: claim + mark_sent, no modem), otapd's end-to-end SMS/s
# with 1, 2 and 4 instances against one PostgreSQL (each instance one
# zero-latency simulated modem) next to one SQLite otapd with 1, 2 and 4
# modems, and the import of a fleet file of UNITS units (otapctl rollout
# create; COPY on PostgreSQL). The PostgreSQL cluster is a throw-away one
# (tests/pg_cluster.sh) on this machine.
#
#   bench/engines.sh                       # uses build/ (scripts/build.sh)
#   CLAIM_JOBS=20000 SEND_JOBS=10000 UNITS=1000000 bench/engines.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
CLAIM_JOBS=${CLAIM_JOBS:-20000}
SEND_JOBS=${SEND_JOBS:-10000}
UNITS=${UNITS:-1000000}
"$ROOT/scripts/build.sh" >/dev/null   # incremental: never measure a stale binary
WORK=$(mktemp -d /tmp/otap-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "work dir: $WORK (kept)"
PIDS=()
cleanup() {
	bash "$ROOT/tests/pg_cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bash "$ROOT/tests/pg_cluster.sh" start "$WORK/pg" >/dev/null
BASE_URL=$(cat "$WORK/pg/url")
export PGPASSFILE=$WORK/pg/pgpass
n_db=0
# fresh_db ENGINE: sets loc to a new, empty, initialised store.
fresh_db() {
	n_db=$((n_db + 1))
	if [ "$1" = sqlite ]; then
		loc=$WORK/bench$n_db.db
	else
		psql -X -q "$BASE_URL" -c "CREATE DATABASE bench$n_db" >/dev/null
		loc=${BASE_URL%/*}/bench$n_db
	fi
	"$BIN/otapctl" --db "$loc" init >/dev/null
}
# fill ENGINE LOCATION N: N jobs due now in a rollout without a rate limit.
fill() {
	local rollout="INSERT INTO rollouts (name, profile, waves, start_at, total_units, created_at,
		updated_at) VALUES ('b', 'p', '100', 0, $3, 0, 0)"
	if [ "$1" = sqlite ]; then
		sqlite3 "$2" "$rollout; WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
			WHERE n < $3) INSERT INTO jobs (msisdn, profile, action, rollout, wave, not_before,
			max_attempts, created_at, updated_at) SELECT printf('+4917%09d', n), 'p', 'install',
			'b', 1, 0, 3, 0, 0 FROM i"
	else
		psql -X -q "$2" -c "$rollout" -c "INSERT INTO jobs (msisdn, profile, action, rollout,
			wave, not_before, max_attempts, created_at, updated_at) SELECT '+4917' ||
			lpad(n::text, 9, '0'), 'p', 'install', 'b', 1, 0, 3, 0, 0 FROM generate_series(1, $3) n"
	fi
}

echo "== claims/s (bench_claims, $CLAIM_JOBS jobs: claim + mark_sent per job)"
for engine in sqlite postgresql; do
	for p in 1 2 4; do
		fresh_db "$engine"
		fill "$engine" "$loc" "$CLAIM_JOBS"
		printf '%-10s ' "$engine"
		"$BIN/bench_claims" "$loc" "$p"
	done
done

# start_sim NAME: a zero-latency simulator; its port in $WORK/NAME.port.
start_sim() {
	rm -f "$WORK/$1.port" "$WORK/$1.sms"
	"$BIN/otap-modemsim" --listen 127.0.0.1:0 --port-file "$WORK/$1.port" --log "$WORK/$1.sms" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$WORK/$1.port" ] && break; sleep 0.05; done
}
# conf FILE LOCATION INSTANCE SIM...: an otapd config with one modem per sim.
conf() {
	local file=$1 loc=$2 inst=$3 modems="" sep="" s
	shift 3
	for s in "$@"; do
		modems+="$sep{ name = \"$inst-$s\"; device = \"tcp://127.0.0.1:$(cat "$WORK/$s.port")\"; }"
		sep=", "
	done
	cat >"$file" <<CONF
database = "$loc";
profiles = ( { name = "p"; password = "bench"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( $modems );
CONF
	case $loc in postgresql://*) echo "instance = \"$inst\";" >>"$file" ;; esac
}
sms_total() { cat "$WORK"/s*.sms 2>/dev/null | grep -c '^SM' || true; }
# run_send ENGINE INSTANCES MODEMS_PER_INSTANCE: SMS/s of the whole run.
run_send() {
	local engine=$1 inst=$2 per=$3 loc i k sims start end pids=()
	fresh_db "$engine"
	fill "$engine" "$loc" "$SEND_JOBS"
	rm -f "$WORK"/s*.sms
	for i in $(seq "$inst"); do
		sims=()
		for k in $(seq "$per"); do start_sim "s$i-$k"; sims+=("s$i-$k"); done
		conf "$WORK/i$i.conf" "$loc" "i$i" "${sims[@]}"
	done
	start=$(date +%s.%N)
	for i in $(seq "$inst"); do
		"$BIN/otapd" -c "$WORK/i$i.conf" 2>"$WORK/i$i.log" &
		pids+=($!)
		PIDS+=($!)
	done
	local deadline=$((SECONDS + 600))
	while [ "$(sms_total)" -lt "$SEND_JOBS" ]; do
		[ $SECONDS -lt $deadline ] || { echo "timed out; see $WORK/i*.log" >&2; exit 1; }
		sleep 0.1
	done
	end=$(date +%s.%N)
	kill -TERM "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null || true
	awk -v e="$engine" -v i="$inst" -v m="$per" -v n="$SEND_JOBS" -v a="$start" -v b="$end" \
		'BEGIN { printf "%-10s %d instance(s) x %d modem(s): %d SMS in %.2f s: %.0f SMS/s\n",
			 e, i, m, n, b - a, n / (b - a) }'
}

echo "== end-to-end SMS/s ($SEND_JOBS jobs, zero-latency simulators; incl. start-up)"
for n in 1 2 4; do run_send postgresql "$n" 1; done
for n in 1 2 4; do run_send sqlite 1 "$n"; done

echo "== import of $UNITS units (otapctl rollout create --no-preflight)"
awk -v n="$UNITS" 'BEGIN { print "msisdn"; for (i = 1; i <= n; i++) printf "+4917%09d\n", i }' \
	>"$WORK/units.csv"
for engine in sqlite postgresql; do
	fresh_db "$engine"
	cat >"$WORK/imp.conf" <<CONF
database = "$loc";
profiles = ( { name = "p"; password = "bench"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "unused"; device = "tcp://127.0.0.1:9"; } );
CONF
	t0=$(date +%s.%N)
	if out=$("$BIN/otapctl" -c "$WORK/imp.conf" rollout create big --no-preflight --profile p \
		--file "$WORK/units.csv" 2>&1); then
		t1=$(date +%s.%N)
		awk -v e="$engine" -v n="$UNITS" -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%-10s %d units in %.2f s: %.0f units/s\n", e, n, b - a, n / (b - a) }'
	else
		printf '%-10s import failed: %s\n' "$engine" "$(tail -n 1 <<<"$out")"
	fi
done
echo "== machine"
nproc; grep -m1 'model name' /proc/cpuinfo; free -m | awk 'NR == 2 { print $2 " MB RAM" }'
psql -X -A -t "$BASE_URL" -c "SELECT version()"; sqlite3 --version
