# e2e_faults.sh - fault scenarios against the simulator: transient +CMS
# errors retried then sent; a permanent error fails the unit with the
# reason while the queue moves on; a connection dropped mid-send is
# reconnected and the work finished.
. "$(dirname "$0")/testlib.sh"

cat >"$WORK/fleet" <<FLEET
# numbers whose every SM is rejected as unassigned (+CMS ERROR 1)
+491710000099 cms=1
FLEET
# SM 2 and 3 hit a transient error (500), the connection drops on SM 6.
start_sim m1 --cms-error 500@2,3 --drop 6 --fleet "$WORK/fleet"
simple_config 'retry = { max_attempts = 4; backoff_initial = "100ms"; backoff_max = "300ms"; };'
ctl init >/dev/null
bad=$(ctl enqueue --to +491710000099 --profile p)
for i in $(seq -w 1 9); do ctl enqueue --to "+4917100000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "9 sent + 1 failed" 60 bash -c "
	[ \"\$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state='sent'\")\" = 9 ] &&
	[ \"\$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state='failed'\")\" = 1 ]"
stop_otapd

[ "$(sql "SELECT state FROM jobs WHERE id=$bad")" = failed ] || fail "the unassigned number must fail"
sql "SELECT last_error FROM jobs WHERE id=$bad" | grep -q 'CMS ERROR 1 (unassigned' ||
	fail "failed job must say why: $(sql "SELECT last_error FROM jobs WHERE id=$bad")"
[ "$(sql "SELECT count(*) FROM attempts WHERE job_id=$bad")" = 1 ] || fail "a permanent error must not be retried"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='transient' AND cms_error=500")" = 2 ] ||
	fail "expected two transient attempts with +CMS ERROR 500"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='modem'")" -ge 1 ] ||
	fail "the dropped connection must be recorded as a modem problem"
grep -q '^DROP' "$WORK/m1.sms" || fail "simulator did not drop the connection"
[ "$(grep -c '^CONNECT' "$WORK/m1.sms")" -ge 2 ] || fail "otapd did not reconnect"
# Every unit that ended up 'sent' got its SM exactly once.
dups=$(awk -F'\t' '$1 == "SM" { print $2 }' "$WORK/m1.sms" | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate SMs for: $dups"
echo "ok: transient retried, permanent failed with reason, reconnect after drop"
