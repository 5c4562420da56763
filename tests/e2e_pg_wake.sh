# e2e_pg_wake.sh - with PostgreSQL an idle otapd does not poll the queue:
# its modem's thread sleeps in poll() on the modem, the shutdown eventfd and
# the database connection (LISTEN), so an idle daemon wakes only for the
# scheduler's tick, and a job otapctl enqueues (NOTIFY) is sent at once —
# without the wake-up it would wait for the modem's next check (60 s).
. "$(dirname "$0")/testlib.sh"

[ -s "${OTAP_TEST_PG_FILE:-}" ] || { echo "SKIP: no PostgreSQL test cluster (tests/pg_cluster.sh)"; exit 77; }
BASE_URL=$(cat "$OTAP_TEST_PG_FILE")
DBNAME=otap_wake_$$
DB=${BASE_URL%/*}/$DBNAME       # testlib's simple_config writes it as database
drop_db() { psql -X -q "$BASE_URL" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true; }
trap 'cleanup; drop_db' EXIT
psql -X -q -v ON_ERROR_STOP=1 "$BASE_URL" -c "CREATE DATABASE $DBNAME" >/dev/null

# Voluntary context switches of all otapd threads: one per sleep that ended
# (and per wait for the database's answer).
wakeups() {
	cat /proc/"$OTAPD_PID"/task/*/status 2>/dev/null |
		awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}

start_sim m1
simple_config
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the modem to be ready" 10 grep -q 'modem m1: ready' "$WORK/otapd.log"
wait_for "the scheduler to lead" 10 grep -q 'scheduler: this instance leads' "$WORK/otapd.log"
sleep 0.5
before=$(wakeups)
sleep 3
idle=$(( $(wakeups) - before ))
echo "idle: $idle wake-ups in 3 s"
# Measured 14: the scheduler's tick (its sleep and the lease renewal's
# answer) twice a second, and the modem's health write retried every
# second while the PostgreSQL engine has no modem_update yet. A queue
# poll every 250 ms would add 12 more.
[ "$idle" -le 18 ] || fail "an idle otapd woke $idle times in 3 s: is it polling the queue?"

t0=$(date +%s%N)
ctl enqueue --to +491701234567 --profile p >/dev/null 2>"$WORK/enqueue.err"
wait_for "the SM of the enqueued job" 5 grep -q '^SM' "$WORK/m1.sms"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "picked up and sent ${ms} ms after otapctl enqueue"
[ "$(psql -X -A -t "$DB" -c "SELECT state FROM jobs")" = sent ] || fail "the job is not sent"
stop_otapd
echo "ok: idle otapd on PostgreSQL woke $idle times in 3 s; a new job went out after ${ms} ms"
