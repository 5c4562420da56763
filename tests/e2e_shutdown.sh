# e2e_shutdown.sh - SIGTERM leaves no job in 'sending'; after a kill -9 the
# next start puts interrupted jobs back (attempt 'interrupted') and finishes
# them: a crash never loses a queued job.
. "$(dirname "$0")/testlib.sh"

start_sim m1 --latency 150
simple_config
ctl init >/dev/null
for i in $(seq -w 1 30); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "a few sent jobs" 30 bash -c "[ \$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state='sent'\") -ge 3 ]"
stop_otapd
[ "$(count_state sending)" = 0 ] || fail "SIGTERM left jobs in sending"

start_otapd "$CONF"
wait_for "a job in sending" 30 bash -c "[ \$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state='sending'\") -ge 1 ]"
kill -9 "$OTAPD_PID"
wait "$OTAPD_PID" 2>/dev/null || true
[ "$(count_state sending)" -ge 1 ] || fail "expected a job caught in sending by kill -9"

start_otapd "$CONF"
wait_for "all 30 sent after the crash" 60 state_count_is sent 30
stop_otapd
[ "$(sql "SELECT count(*) FROM attempts WHERE result='interrupted'")" -ge 1 ] ||
	fail "the interrupted job must have an 'interrupted' attempt"
grep -q 'left in .sending.' "$WORK/otapd.log" || fail "recovery must be logged"
# A modem that never registers keeps otapd in its init; SIGTERM must still
# stop it at once (stop_otapd allows 10 s; the registration wait is 30 s).
start_sim lonely --not-registered
sed -i "s/$SIM_PORT_m1/$SIM_PORT_lonely/" "$CONF"
start_otapd "$CONF"
wait_for "otapd to connect" 10 grep -q '^CONNECT' "$WORK/lonely.sms"
sleep 1
stop_otapd
echo "ok: clean SIGTERM (also mid-init), crash recovery with no lost job"
