# e2e_outcome_lock.sh - another process holds the database's write lock
# past the busy timeout while otapd sends 50 jobs: the outcomes that cannot
# be committed are kept and retried until they are, so afterwards every job
# is recorded exactly once, no unit got its SM twice, none is left in
# 'sending', and each held outcome is logged once, not per retry.
. "$(dirname "$0")/testlib.sh"

# A short busy timeout (test knob) so that the lock outlasts it quickly.
export OTAP_BUSY_TIMEOUT_MS=300
start_sim m1 --latency 30
simple_config
ctl init >/dev/null
for i in $(seq -w 1 50); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "the first sends" 30 bash -c "[ \"\$(grep -c '^SM' '$WORK/m1.sms')\" -ge 5 ]"
hold_write_lock lock
sleep 3         # ten busy timeouts
release_write_lock lock
wait_for "50 sent jobs" 60 state_count_is sent 50
stop_otapd

grep -q 'cannot record the outcome yet' "$WORK/otapd.log" || fail "the lock never hit an outcome (test did not test)"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='sent'")" = 50 ] || fail "expected 50 'sent' attempts"
[ "$(sql "SELECT count(*) FROM (SELECT job_id FROM attempts GROUP BY job_id HAVING count(*) > 1)")" = 0 ] ||
	fail "a job has more than one attempt: $(sql "SELECT job_id, result FROM attempts WHERE job_id IN (SELECT job_id FROM attempts GROUP BY job_id HAVING count(*) > 1)")"
[ "$(count_state sending)" = 0 ] || fail "jobs left in sending"
[ "$(grep -c '^SM' "$WORK/m1.sms")" = 50 ] || fail "expected 50 SMs"
dups=$(awk -F'\t' '$1 == "SM" { print $2 }' "$WORK/m1.sms" | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate SMs for: $dups"
held=$(grep 'cannot record the outcome yet' "$WORK/otapd.log" | grep -o 'job [0-9]*' | sort | uniq -d)
[ -z "$held" ] || fail "a held outcome must be logged once, not per retry: $held"
[ ! -e "$DB.outcomes" ] || fail "no recovery file after a clean stop"
echo "ok: 50 jobs through a held write lock, each recorded once, no duplicate SM"
