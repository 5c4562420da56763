# e2e_outcome_recovery.sh - SIGTERM while another process still holds the
# write lock and a send's outcome is not recorded: otapd waits a bounded
# time, then leaves the job in 'sending' and writes the outcome to
# <database>.outcomes (mode 0600); the next start records it first, so
# crash recovery does not take the job for interrupted and send it again.
. "$(dirname "$0")/testlib.sh"

export OTAP_BUSY_TIMEOUT_MS=300
start_sim m1 --latency 1000
simple_config
ctl init >/dev/null
for i in 1 2 3; do ctl enqueue --to "+49171000002$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "job 1 in sending" 30 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT state FROM jobs WHERE id=1\")\" = sending ]"
hold_write_lock lock
wait_for "a held outcome" 30 grep -q 'job 1 .*cannot record the outcome yet' "$WORK/otapd.log"
start=$SECONDS
stop_otapd
[ $((SECONDS - start)) -le 9 ] || fail "shutdown must be bounded"

[ -f "$DB.outcomes" ] || fail "no recovery file $DB.outcomes"
[ "$(stat -c %a "$DB.outcomes")" = 600 ] || fail "recovery file mode $(stat -c %a "$DB.outcomes") (expected 600)"
[ "$(wc -l <"$DB.outcomes")" = 1 ] || fail "expected one outcome line: $(cat "$DB.outcomes")"
grep -q $'^otap-outcome-1\tsent\t1\t' "$DB.outcomes" || fail "the line must be job 1's 'sent': $(cat "$DB.outcomes")"
! grep -q 'pw' "$DB.outcomes" || fail "the recovery file must not hold the password"
[ "$(sql "SELECT state FROM jobs WHERE id=1")" = sending ] || fail "job 1 must stay in sending until the next start"

release_write_lock lock
start_otapd "$CONF"
wait_for "3 sent jobs" 30 state_count_is sent 3
stop_otapd

grep -q 'outcome(s) the last run could not record were recorded now' "$WORK/otapd.log" ||
	fail "the next start must say it recorded the saved outcome"
[ ! -e "$DB.outcomes" ] || fail "the applied recovery file must be removed"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='interrupted'")" = 0 ] ||
	fail "job 1 must not be taken for interrupted"
[ "$(sql "SELECT group_concat(result) FROM attempts WHERE job_id=1")" = sent ] ||
	fail "job 1's history: $(sql "SELECT group_concat(result) FROM attempts WHERE job_id=1")"
[ "$(grep -c '^SM' "$WORK/m1.sms")" = 3 ] || fail "expected 3 SMs, got $(grep -c '^SM' "$WORK/m1.sms")"
dups=$(awk -F'\t' '$1 == "SM" { print $2 }' "$WORK/m1.sms" | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate SMs for: $dups"
echo "ok: outcome saved at SIGTERM under a held lock, recorded first at the next start, no resend"
