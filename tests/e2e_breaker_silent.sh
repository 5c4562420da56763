# e2e_breaker_silent.sh - one modem never answers a submit within
# send_timeout while the other sends: the silent modem goes 'failing' after
# its first timeout and the jobs go to the healthy one; no job fails.
. "$(dirname "$0")/testlib.sh"

start_sim bad --latency 30000
start_sim good --latency 20
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
retry = { max_attempts = 3; backoff_initial = "200ms"; backoff_max = "1s"; };
modems = (
  { name = "bad"; device = "tcp://127.0.0.1:$SIM_PORT_bad"; send_timeout = "500ms"; },
  { name = "good"; device = "tcp://127.0.0.1:$SIM_PORT_good"; }
);
CONF
ctl init >/dev/null
for i in $(seq -w 1 40); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "40 sent jobs" 60 state_count_is sent 40
stop_otapd

[ "$(count_state failed)" = 0 ] || fail "no job may fail because of the silent modem"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='sent' AND modem='good'")" = 40 ] ||
	fail "the healthy modem must send all 40"
[ "$(sql "SELECT count(*) FROM attempts WHERE modem='bad'")" -ge 1 ] || fail "the silent modem was never tried"
grep -q 'modem bad: failing' "$WORK/otapd.log" || fail "the silent modem must be logged as failing"
echo "ok: silent modem beside a healthy one: 40 sent, none failed"
