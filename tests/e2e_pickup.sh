# e2e_pickup.sh - an idle otapd picks up a newly enqueued job within 1 s,
# and idling costs (almost) no CPU: no busy polling.
. "$(dirname "$0")/testlib.sh"

start_sim m1
simple_config
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the modem to be ready" 10 grep -q 'modem m1: ready' "$WORK/otapd.log"

# Idle for 3 s: user+system CPU must stay well below what a busy loop burns.
ticks() { awk '{ print $14 + $15 }' "/proc/$OTAPD_PID/stat"; }
before=$(ticks)
sleep 3
used=$(( $(ticks) - before ))
hz=$(getconf CLK_TCK)
[ "$used" -le $((hz / 10)) ] || fail "otapd used $used ticks (hz $hz) of CPU in 3 s while idle"

for i in 1 2 3; do
	t0=$(date +%s%N)
	id=$(ctl enqueue --to "+49171000000$i" --profile p)
	until [ "$(sql "SELECT state FROM jobs WHERE id=$id")" = sent ]; do
		[ $(( $(date +%s%N) - t0 )) -lt 3000000000 ] || fail "job $id not sent within 3 s"
		sleep 0.02
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "job $id sent ${ms} ms after enqueue"
	[ "$ms" -le 1000 ] || fail "job $id took ${ms} ms to be picked up (limit 1000 ms)"
	sleep 0.5
done
stop_otapd
echo "ok: idle otapd picks up new jobs within 1 s without busy polling"
