# e2e_rollout.sh - a rollout through otapd and the simulator: 40 units in
# waves of 10% and 100% with --max-failure-rate 20. Two of the first wave's
# four units are unassigned numbers, so the rollout pauses itself with the
# reason and the second wave is not sent; after `rollout resume` the rest
# is sent; `retry --failed --rollout` queues the two again (they fail
# again). Also: import errors, unit metadata, list/status/watch output.
. "$(dirname "$0")/testlib.sh"

num() { printf '+4917200%05d' "$1"; }

: >"$WORK/fleet"
for i in 2 3; do echo "$(num "$i") cms=1" >>"$WORK/fleet"; done
start_sim m1 --fleet "$WORK/fleet"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "s3cr3t-pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 2; backoff_initial = "100ms"; backoff_max = "300ms"; };
CONF
ctl init >/dev/null

# ---- import errors: listed with line numbers, nothing written
printf 'msisdn,label\n%s,a\n12ab,b\n%s,c\n%s,dup\n' "$(num 1)" "$(num 3)" "$(num 1)" >"$WORK/bad.csv"
set +e
out=$(ctl rollout create bad --no-preflight --profile p --file "$WORK/bad.csv" 2>&1)
rc=$?
set -e
[ $rc = 2 ] || fail "invalid rows must exit 2, got $rc: $out"
grep -q "bad.csv: line 3: invalid msisdn '12ab'" <<<"$out" || fail "invalid row not listed: $out"
grep -q "line 5: $(num 1) repeats line 2" <<<"$out" || fail "repeated number not reported: $out"
grep -q "nothing was imported" <<<"$out" || fail "must say nothing was imported: $out"
[ "$(sql "SELECT count(*) FROM jobs")" = 0 ] || fail "an invalid import wrote jobs"
printf 'msisdn,label\n"%s,x\n' "$(num 1)" >"$WORK/broken.csv"
! ctl rollout create broken --no-preflight --profile p --file "$WORK/broken.csv" 2>"$WORK/err.txt" ||
	fail "broken quoting must be refused"
grep -q "line 2: unterminated quoted field" "$WORK/err.txt" || fail "broken quoting: $(cat "$WORK/err.txt")"

# ---- the rollout
{
	echo "msisdn,label,serial"
	for i in $(seq 1 40); do echo "$(num "$i"),unit $i,SN-$i"; done
} >"$WORK/units.csv"
out=$(ctl rollout create r1 --no-preflight --profile p --file "$WORK/units.csv" --waves 10%,100% \
	--max-failure-rate 20)
grep -q "rollout r1: 40 units in 2 waves (4 / 36)" <<<"$out" || fail "create output: $out"
[ "$(sql "SELECT count(*) FROM jobs WHERE rollout='r1' AND wave=1")" = 4 ] || fail "wave 1 must have 4 units"

# (The SQL here reads the same on SQLite and PostgreSQL: e2e_pg_rollout.sh.)
r1_is() { [ "$(sql "SELECT state FROM rollouts WHERE name='r1'")" = "$1" ]; }
start_otapd "$CONF"
wait_for "the rollout to pause" 30 r1_is paused
sleep 1.5       # a wave 2 opened by mistake would be claimed within this time
reason=$(sql "SELECT pause_reason FROM rollouts WHERE name='r1'")
[ "$reason" = "wave 1: failure rate 50.0% > 20.0% (2 of 4 failed); resume with otapctl rollout resume r1" ] ||
	fail "pause reason: $reason"
status=$(ctl rollout status r1)
grep -q "^paused    wave 1: failure rate 50.0%" <<<"$status" || fail "status must show the reason: $status"
grep -q "^failures       2  +CMS ERROR 1" <<<"$status" || fail "status must count failure reasons: $status"
# Only wave 1's numbers reached the network.
sent_to=$(sim_field "$WORK/m1.sms" SM to | sort -u | tr '\n' ' ')
[ "$sent_to" = "$(num 1) $(num 4) " ] || fail "only wave 1 may be sent before the pause, got: $sent_to"
[ "$(sim_field "$WORK/m1.sms" CMS to | sort -u | wc -l)" = 2 ] || fail "expected 2 rejected units"

ctl rollout resume r1 | grep -q "rollout r1 resumed" || fail "resume"
wait_for "the rollout to finish" 60 r1_is done
[ "$(count_state sent)" = 38 ] || fail "expected 38 sent, got $(count_state sent)"
[ "$(sim_field "$WORK/m1.sms" SM to | sort -u | wc -l)" = 38 ] || fail "every other unit must get its SM once"

# ---- retry the failed units of the rollout: they fail again
out=$(ctl retry --failed --rollout r1)
[ "$out" = "2 failed jobs queued again" ] || fail "retry output: $out"
retried_failed() {
	[ "$(sql "SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE j.msisdn IN ('$(num 2)','$(num 3)')")" = 4 ] && r1_is done
}
wait_for "the retried units to fail again" 30 retried_failed
[ "$(count_state failed)" = 2 ] || fail "the two unassigned numbers must fail again"
stop_otapd

# ---- what operators see
json=$(ctl rollout status r1 --json)
grep -q '"state":"done"' <<<"$json" || fail "status --json: $json"
grep -q '"counts":{"queued":0,"sending":0,"sent":38,' <<<"$json" || fail "status --json counts: $json"
ctl rollout list | grep -qE '^r1 +done +40 +2/2' || fail "rollout list: $(ctl rollout list)"
ctl rollout list --json | grep -q '"name":"r1","state":"done"' || fail "rollout list --json"
ctl watch r1 --once | grep -q "rollout   r1: done" || fail "watch --once"
id=$(sql "SELECT id FROM jobs WHERE msisdn='$(num 7)'")
ctl status "$id" | grep -q "label: unit 7" || fail "status JOB_ID must show the unit metadata: $(ctl status "$id")"
ctl status --json "$id" | grep -q '"meta":{"label":"unit 7","serial":"SN-7"}' ||
	fail "status --json JOB_ID must show meta: $(ctl status --json "$id")"
! grep -q 's3cr3t' "$WORK/otapd.log" || fail "the password appeared in the log"

# ---- cancel --rollout cancels the queued rest
ctl rollout create r2 --no-preflight --profile p --file "$WORK/units.csv" --waves 50%,100% >/dev/null
ctl rollout pause r2 >/dev/null
out=$(ctl cancel --rollout r2)
[ "$out" = "cancelled rollout r2 (40 queued jobs)" ] || fail "cancel --rollout: $out"
[ "$(sql "SELECT count(*) FROM jobs WHERE rollout='r2' AND state='cancelled'")" = 40 ] || fail "r2 jobs not cancelled"
echo "ok: rollout paused on failures, resumed, finished, retried"
