# e2e_smpp_shared.sh - an SMPP link and a modem (the simulator) share one
# queue: every job is sent exactly once, by one of them, and both did part
# of the work (the SMPP link is held to 60 SMs a minute so that it cannot
# take everything first).
. "$(dirname "$0")/testlib.sh"

start_sim m1 --latency 20
start_smsc s1
cp "$WORK/s1.pw" "$WORK/smpp.pw"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = (
  { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; },
  { name = "s1"; device = "smpp://otap@127.0.0.1:$SMSC_PORT_s1"; password_file = "smpp.pw";
    max_rate = 60; }
);
CONF
ctl init >/dev/null
for i in $(seq -w 1 30); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done

start_otapd "$CONF"
wait_for "30 sent jobs" 60 state_count_is sent 30
stop_otapd

nm=$(grep -c '^SM' "$WORK/m1.sms" || true)
ns=$(smsc_count s1 "r['type'] == 'submit' and r['status'] == 0")
[ $((nm + ns)) = 30 ] || fail "expected 30 SMs in total, got $nm (modem) + $ns (SMPP)"
[ "$nm" -gt 0 ] && [ "$ns" -gt 0 ] || fail "both links must share the work ($nm / $ns)"
[ "$(sql "SELECT count(DISTINCT modem) FROM attempts WHERE result = 'sent'")" = 2 ] ||
	fail "the attempts must name both links"
python3 - "$WORK/s1.jsonl" "$WORK/m1.sms" <<'PY' || fail "a unit got its SM twice"
import json, sys
smpp = ["+" + json.loads(l)["dest_addr"] for l in open(sys.argv[1])
        if l.strip() and json.loads(l)["type"] == "submit"]
modem = [l.split("\t")[1].removeprefix("to=") for l in open(sys.argv[2]) if l.startswith("SM\t")]
both = smpp + modem
assert len(both) == len(set(both)) == 30, (smpp, modem)
PY
echo "PASS: 30 jobs over a modem and an SMPP link ($nm / $ns), none twice"
