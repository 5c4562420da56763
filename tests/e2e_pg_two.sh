# e2e_pg_two.sh - two otapd instances, each with its own simulated modem,
# share one PostgreSQL queue (the cluster of tests/pg_cluster.sh) and a
# 2 000-unit rollout limited to 6 000 SMS/min. a starts first and leads
# the scheduling; b takes the lead over when a dies. a's modem answers each
# send after 200 ms, so that a has a send in flight when it is SIGKILLed,
# a quarter into the run. At the end: every job is sent; both simulators received SMs;
# no unit got its SM from both instances (or twice) unless its job has an
# 'interrupted' attempt (a's sends in flight at the kill, taken back by b
# once a's lease ran out); and the rate held across both instances (no
# second of claims above the limit).
. "$(dirname "$0")/testlib.sh"

[ -s "${OTAP_TEST_PG_FILE:-}" ] || { echo "SKIP: no PostgreSQL test cluster (tests/pg_cluster.sh)"; exit 77; }
UNITS=2000
RATE=6000       # per minute: 100 a second, ~20 s for the rollout
BASE_URL=$(cat "$OTAP_TEST_PG_FILE")
DBNAME=otap_e2e_$$
URL=${BASE_URL%/*}/$DBNAME

pgsql() { psql -X -A -t -q -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
drop_db() { psql -X -q "$BASE_URL" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true; }
trap 'cleanup; drop_db' EXIT
psql -X -q -v ON_ERROR_STOP=1 "$BASE_URL" -c "CREATE DATABASE $DBNAME" >/dev/null

start_sim ma --latency 200
start_sim mb
# The password comes from database_password_file, never from the URL.
for i in a b; do
	port_var=SIM_PORT_m$i
	cat >"$WORK/$i.conf" <<CONF
database = "$URL";
database_password_file = "$OTAP_TEST_PG_PASSWORD_FILE";
instance = "$i";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "m$i"; device = "tcp://127.0.0.1:${!port_var}"; } );
CONF
done
env -u PGPASSFILE "$BIN/otapctl" -c "$WORK/a.conf" init >/dev/null

# The rollout, written directly (the import is not the subject here).
num() { printf '+4917300%05d' "$1"; }
pgsql "INSERT INTO rollouts (name, profile, waves, start_at, total_units, rate_per_min,
	created_at, updated_at) VALUES ('big', 'p', '100', 0, $UNITS, $RATE, 0, 0)"
pgsql "INSERT INTO jobs (msisdn, profile, action, rollout, wave, not_before, max_attempts,
	created_at, updated_at) SELECT '+4917300' || lpad(i::text, 5, '0'), 'p', 'install', 'big',
	1, 0, 3, 0, 0 FROM generate_series(1, $UNITS) i"

# A short lease (test knob), so that b takes a's jobs back within seconds.
start_instance() {
	OTAP_LEASE_MS=3000 env -u PGPASSFILE "$BIN/otapd" -c "$WORK/$1.conf" 2>>"$WORK/otapd-$1.log" &
	PIDS+=($!)
	printf -v "PID_$1" '%s' $!
}
# a starts first and leads (rollout ticks, sweeps, take-back); b follows.
start_instance a
wait_for "a to lead" 10 grep -q "scheduler: this instance leads" "$WORK/otapd-a.log"
start_instance b

sent() { pgsql "SELECT count(*) FROM jobs WHERE state = 'sent'"; }
# A quarter sent and a send of a's in flight (claimed, not yet recorded).
wait_for "a quarter of the rollout, a sending" 30 bash -c "[ \$(psql -X -A -t -q '$URL' -c \"SELECT
	(SELECT count(*) FROM jobs WHERE state = 'sent') >= $((UNITS / 4)) AND
	EXISTS (SELECT 1 FROM jobs WHERE state = 'sending' AND claimed_by LIKE 'a:%')\") = t ]"
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null || true
killed_at=$(sent)
wait_for "every job to be sent" 50 bash -c "[ \$(psql -X -A -t -q '$URL' -c \"SELECT count(*) FROM jobs WHERE state = 'sent'\") = $UNITS ]"
kill -TERM "$PID_b"
wait "$PID_b" || fail "otapd b exited with status $?"

# ---- what the simulators received
sms_a=$(sim_field "$WORK/ma.sms" SM to | wc -l)
sms_b=$(sim_field "$WORK/mb.sms" SM to | wc -l)
[ "$sms_a" -gt 0 ] && [ "$sms_b" -gt 0 ] || fail "both instances must send (a: $sms_a, b: $sms_b)"
distinct=$(cat <(sim_field "$WORK/ma.sms" SM to) <(sim_field "$WORK/mb.sms" SM to) | sort -u | wc -l)
[ "$distinct" = "$UNITS" ] || fail "expected every one of $UNITS units to get an SM, got $distinct"
cat <(sim_field "$WORK/ma.sms" SM to) <(sim_field "$WORK/mb.sms" SM to) | sort | uniq -c |
	awk '$1 > 1 { print $2, $1 }' >"$WORK/twice"
# Each unit received at most 1 + (its job's interrupted attempts) SMs.
pgsql "SELECT j.msisdn, count(a.id) FROM jobs j JOIN attempts a ON a.job_id = j.id
	WHERE a.result = 'interrupted' GROUP BY j.msisdn" | tr '|' ' ' >"$WORK/interrupted"
while read -r to n; do
	allowed=$(awk -v to="$to" '$1 == to { print $2 + 1 }' "$WORK/interrupted")
	[ -n "$allowed" ] && [ "$n" -le "$allowed" ] ||
		fail "unit $to got $n SMs without an interrupted attempt to explain it"
done <"$WORK/twice"
interrupted=$(wc -l <"$WORK/interrupted")
[ "$interrupted" -ge 1 ] || fail "a's send in flight at the kill has no interrupted attempt"
[ "$interrupted" -le 2 ] || fail "only a's sends in flight may be interrupted, got $interrupted jobs"
pgsql "SELECT count(*) FROM attempts WHERE result = 'interrupted' AND detail NOT LIKE 'otapd instance a:% stopped%'" |
	grep -qx 0 || fail "an interrupted attempt that does not name instance a"
[ "$(pgsql "SELECT count(*) FROM jobs WHERE state <> 'sent'")" = 0 ] || fail "jobs left unsent"
[ "$(pgsql "SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL")" = 0 ] || fail "leases left behind"

# ---- the rate held across both: no 1 s window with more claims than the
# limit allows (100 a second). A try's start is taken just after its claim,
# a loaded machine may delay some by tens of ms: 15 % + 2 of slack. Without
# the shared spacing each instance alone would claim 100 a second (200).
pgsql "SELECT started_at FROM attempts WHERE result IN ('sent', 'interrupted') ORDER BY started_at" >"$WORK/starts"
worst=$(awk '{ t[NR] = $1 } END { j = 1; w = 0; for (i = 1; i <= NR; i++) {
	while (t[i] - t[j] >= 1000) j++; if (i - j + 1 > w) w = i - j + 1 } print w }' "$WORK/starts")
[ "$worst" -le $((RATE / 60 * 115 / 100 + 2)) ] || fail "rate limit broken: $worst claims within one second"
[ "$worst" -ge $((RATE / 60 / 4)) ] || fail "suspiciously slow: at most $worst claims a second"

# ---- b took over the lead when a died (and took a's job back as leader)
grep -q "scheduler: another instance leads" "$WORK/otapd-b.log" || fail "b led while a ran"
grep -q "scheduler: this instance leads" "$WORK/otapd-b.log" || fail "b never led after a was killed"
grep -q "job(s) of a stopped otapd instance queued again" "$WORK/otapd-b.log" ||
	fail "b did not take a's job back"
! grep -qF "$(cat "$OTAP_TEST_PG_PASSWORD_FILE")" "$WORK"/otapd-*.log ||
	fail "the database password appeared in a log"
echo "ok: 2 instances, $UNITS units, a killed after $killed_at sent; a sent $sms_a, b $sms_b; \
$interrupted interrupted, $(wc -l <"$WORK/twice") unit(s) got 2 SMs; at most $worst claims/s"
