# e2e_breaker_transient.sh - one modem answers every submit with the same
# transient error (+CMS ERROR 42, congestion) while the other sends: the
# error is the modem's once it hit several different units in a row, so
# those tries use no attempt ('modem-suspect') and the units go to the
# healthy modem; no job fails although max_attempts is only 3.
. "$(dirname "$0")/testlib.sh"

start_sim bad --cms-error 42@1-100000000
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
for i in $(seq -w 1 60); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "60 sent jobs" 60 state_count_is sent 60
stop_otapd

[ "$(count_state failed)" = 0 ] || fail "no job may fail because of the bad modem: $(sql "SELECT id, last_error FROM jobs WHERE state='failed'")"
[ "$(grep -c '^SM' "$WORK/good.sms")" = 60 ] || fail "the healthy modem must send all 60"
! grep -q '^SM' "$WORK/bad.sms" || fail "the bad modem sent nothing"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='modem-suspect' AND cms_error=42 AND modem='bad'")" -ge 1 ] ||
	fail "tries blamed on the modem must say so, with the +CMS code"
# Only the streak's first units (before the modem was paused) lost an
# attempt, one each.
[ "$(sql "SELECT max(attempts) FROM jobs")" -le 2 ] &&
[ "$(sql "SELECT count(*) FROM jobs WHERE attempts > 1")" -le 3 ] ||
	fail "attempts spent on the bad modem: $(sql "SELECT id, attempts FROM jobs WHERE attempts > 1")"
grep -q 'modem bad: failing (+CMS ERROR 42' "$WORK/otapd.log" || fail "the bad modem must be logged as failing, with why"
echo "ok: CMS 42 modem beside a healthy one: 60 sent, none failed"
