#!/usr/bin/env bash
# e2e_service.sh - otapd under a systemd-like manager: READY=1 once running,
# WATCHDOG=1 at half of WATCHDOG_USEC (no more, no fewer), SIGHUP reloads the
# config (log level applied, an invalid file logged and the running config
# kept, otapd alive), STOPPING=1 on SIGTERM; JOURNAL_STREAM log lines.
. "$(dirname "$0")/testlib.sh"

SOCK=$WORK/notify.sock
MSGS=$WORK/notify.msgs
python3 "$TESTS/notify_socket.py" "$SOCK" "$MSGS" &
PIDS+=($!)
wait_for "the notify socket" 10 test -S "$SOCK"

start_sim m1
simple_config
ctl init >/dev/null
# A 1 s watchdog: a ping every 500 ms. No WATCHDOG_PID: meant for otapd.
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000 start_otapd "$CONF"
wait_for "READY=1" 10 grep -q 'READY=1|STATUS=sending with 1 modem(s)' "$MSGS"

# The pings' own timestamps, not the test's sleeps, tell their period: on
# average 500 ms (a loop that naps or spins would be far off), and no gap
# as long as the interval.
pings() { [ "$(grep -c ' WATCHDOG=1$' "$MSGS")" -ge 6 ]; }
wait_for "six watchdog pings" 20 pings
read -r avg gap < <(awk '/ WATCHDOG=1$/ { n++; if (n == 1) first = $1; else { d = $1 - last; if (d > max) max = d } last = $1 }
	END { printf "%d %d\n", (last - first) / (n - 1), max }' "$MSGS")
[ "$avg" -ge 400 ] && [ "$avg" -le 600 ] || fail "watchdog pings every $avg ms on average, expected 500"
[ "$gap" -lt 1000 ] || fail "a watchdog gap of $gap ms (interval 1000 ms)"

# SIGHUP with a valid config: the new log level applies (info lines stop).
cp "$CONF" "$WORK/good.conf"
echo 'log_level = "warn";' >>"$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the reload log line" 10 grep -q "reload: configuration 2 of $CONF applied: .*; log level warn" "$WORK/otapd.log"
wait_for "RELOADING=1 then READY=1" 10 grep -q 'RELOADING=1' "$MSGS"
wait_for "READY=1 after the reload" 10 bash -c "[ \$(grep -c 'READY=1' '$MSGS') -ge 2 ]"
ctl enqueue --to +491710000001 --profile p >/dev/null
wait_for "the job sent" 30 state_count_is sent 1
! grep -q 'job 1 to .* sent' "$WORK/otapd.log" || fail "an info line after reloading with log_level warn"

# SIGHUP with a broken config: logged with file and line, old config kept.
echo 'retry = { max_attempts = 0; };' >>"$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the failed reload" 10 grep -q "reload failed, keeping the running configuration: $CONF:[0-9]" "$WORK/otapd.log"
kill -0 "$OTAPD_PID" || fail "otapd died on SIGHUP with a broken config"
# A config without modems would not start otapd: refused too.
grep -v '^modems' "$WORK/good.conf" >"$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the refused reload" 10 grep -q "reload failed, keeping the running configuration: $CONF: no modems" "$WORK/otapd.log"
# Still sending with the running config.
ctl enqueue --to +491710000002 --profile p >/dev/null
wait_for "the second job sent" 30 state_count_is sent 2

stop_otapd
grep -q 'STOPPING=1' "$MSGS" || fail "no STOPPING=1 on SIGTERM"
last=$(tail -n 1 "$MSGS")
[[ "$last" == *STOPPING=1* ]] || fail "a message after STOPPING=1: $last"

# Under the journal (JOURNAL_STREAM naming stderr): priorities, no timestamps.
cp "$WORK/good.conf" "$CONF"
exec 3>"$WORK/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/journal.log") "$BIN/otapd" -c "$CONF" 2>&3 &
OTAPD_PID=$!
PIDS+=("$OTAPD_PID")
exec 3>&-
wait_for "the journal start line" 10 grep -q '^<6>info: started with 1 modem(s)' "$WORK/journal.log"
stop_otapd
grep -q '^<6>info: stopped$' "$WORK/journal.log" || fail "no <6>info: stopped line"
! grep -qv '^<[0-7]>' "$WORK/journal.log" || fail "a journal line without a priority: $(grep -v '^<[0-7]>' "$WORK/journal.log" | head -1)"
echo "ok: READY/WATCHDOG/RELOADING/STOPPING, SIGHUP reload, journal lines"
