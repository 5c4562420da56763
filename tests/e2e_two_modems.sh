# e2e_two_modems.sh - two simulators as two modems share one queue: every
# job is sent exactly once, and both modems did part of the work.
. "$(dirname "$0")/testlib.sh"

start_sim a --latency 20
start_sim b --latency 20
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = (
  { name = "a"; device = "tcp://127.0.0.1:$SIM_PORT_a"; },
  { name = "b"; device = "tcp://127.0.0.1:$SIM_PORT_b"; }
);
CONF
ctl init >/dev/null
for i in $(seq -w 1 60); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "60 sent jobs" 60 state_count_is sent 60
stop_otapd

na=$(grep -c '^SM' "$WORK/a.sms" || true)
nb=$(grep -c '^SM' "$WORK/b.sms" || true)
[ $((na + nb)) = 60 ] || fail "expected 60 SMs in total, got $na + $nb"
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "both modems must share the work ($na / $nb)"
dups=$(cat "$WORK/a.sms" "$WORK/b.sms" | awk -F'\t' '$1 == "SM" { print $2 }' | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate SMs for: $dups"
[ "$(sql "SELECT count(DISTINCT modem) FROM attempts")" = 2 ] || fail "attempts must name both modems"
echo "ok: 60 jobs over two modems ($na / $nb), no duplicates"
