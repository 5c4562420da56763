# e2e_wake.sh - otapd's threads sleep until a deadline or the shutdown
# wake-up: SIGTERM ends an idle daemon, one waiting to reconnect and one in
# a modem init at once; an idle daemon wakes only a few times a second.
. "$(dirname "$0")/testlib.sh"

# Measured: ~10 ms to stop (30 ms with ASan), 15 wake-ups in 3 s. The limits
# are loose for busy CI machines, yet the old fixed naps failed both (about
# 200 ms to stop an idle daemon: 200 ms read slices; 45 wake-ups: the
# scheduler napped 100 ms, the worker polled the queue every 200 ms).
STOP_LIMIT_MS=${STOP_LIMIT_MS:-150}
WAKE_LIMIT=${WAKE_LIMIT:-30}

# Voluntary context switches of all otapd threads: one per sleep that ended.
wakeups() {
	cat /proc/"$OTAPD_PID"/task/*/status 2>/dev/null |
		awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}

# stop_timed WHAT: SIGTERM otapd; fails unless it exits within STOP_LIMIT_MS.
stop_timed() {
	local t0 ms
	t0=$(date +%s%N)
	kill -TERM "$OTAPD_PID"
	while kill -0 "$OTAPD_PID" 2>/dev/null; do
		[ $(( $(date +%s%N) - t0 )) -lt 5000000000 ] || fail "$1: otapd still running 5 s after SIGTERM"
		sleep 0.005
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait "$OTAPD_PID" || fail "$1: otapd exited with status $?"
	echo "$1: stopped ${ms} ms after SIGTERM"
	[ "$ms" -le "$STOP_LIMIT_MS" ] || fail "$1: took ${ms} ms to stop (limit ${STOP_LIMIT_MS} ms)"
}

start_sim m1
simple_config
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the modem to be ready" 10 grep -q 'modem m1: ready' "$WORK/otapd.log"
sleep 0.5
before=$(wakeups)
sleep 3
woke=$(( $(wakeups) - before ))
echo "idle: $woke wake-ups in 3 s"
[ "$woke" -le "$WAKE_LIMIT" ] || fail "idle otapd woke $woke times in 3 s (limit $WAKE_LIMIT)"
stop_timed "idle"

# The simulator gone, its port is closed: the worker sits in its reconnect
# backoff (connect is refused at once, the 1 s, 2 s... delays are naps).
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
start_otapd "$CONF"
wait_for "a reconnect backoff" 10 grep -q 'retrying in 2s' "$WORK/otapd.log"
stop_timed "reconnect backoff"

# A modem that never registers keeps the worker in its init.
start_sim lonely --not-registered
sed -i "s/$SIM_PORT_m1/$SIM_PORT_lonely/" "$CONF"
start_otapd "$CONF"
wait_for "otapd to connect" 10 grep -q '^CONNECT' "$WORK/lonely.sms"
sleep 0.5
stop_timed "init"
echo "ok: SIGTERM stops otapd at once; idle wake-ups are few"
