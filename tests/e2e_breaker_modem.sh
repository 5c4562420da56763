# e2e_breaker_modem.sh - one modem answers every submit with a modem-class
# error (+CMS ERROR 302), the other is healthy: every job is sent by the
# healthy one, none fails, none uses an attempt on the bad one.
. "$(dirname "$0")/testlib.sh"

start_sim bad --cms-error 302@1-100000000
start_sim good --latency 20
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
retry = { max_attempts = 3; backoff_initial = "200ms"; backoff_max = "1s"; };
modems = (
  { name = "bad"; device = "tcp://127.0.0.1:$SIM_PORT_bad"; },
  { name = "good"; device = "tcp://127.0.0.1:$SIM_PORT_good"; }
);
CONF
ctl init >/dev/null
for i in $(seq -w 1 30); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "30 sent jobs" 60 state_count_is sent 30
stop_otapd

[ "$(count_state failed)" = 0 ] || fail "no job may fail because of the bad modem"
[ "$(grep -c '^SM' "$WORK/good.sms")" = 30 ] || fail "the healthy modem must send all 30"
[ "$(sql "SELECT count(*) FROM jobs WHERE attempts <> 1")" = 0 ] ||
	fail "only the send may count as an attempt: $(sql "SELECT id, attempts FROM jobs WHERE attempts <> 1")"
[ "$(sql "SELECT count(*) FROM attempts WHERE modem='bad' AND NOT (result='modem' AND cms_error=302)")" = 0 ] ||
	fail "the bad modem's tries must be 'modem' attempts with their +CMS code"
grep -q 'modem bad: failing' "$WORK/otapd.log" || fail "the bad modem must be logged as failing"
echo "ok: CMS 302 modem beside a healthy one: 30 sent by the healthy one, none failed"
