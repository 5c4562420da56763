# e2e_smpp_binds.sh - an SMPP link with two binds (bind =
# "transmitter+receiver"): submits on the transmitter, receipts on the
# receiver, both unbound at shutdown; and a link whose password the SMSC
# refuses: it stays failing with the reason, takes no job, uses no attempt,
# and the other link sends everything.
. "$(dirname "$0")/testlib.sh"

start_smsc s1 --receipt-form alternate
cp "$WORK/s1.pw" "$WORK/good.pw"
printf 'wrong\n' >"$WORK/bad.pw"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad";
               status_report = true; } );
modems = (
  { name = "two"; device = "smpp://otap@127.0.0.1:$SMSC_PORT_s1"; password_file = "good.pw";
    bind = "transmitter+receiver"; window = 5; },
  { name = "bad"; device = "smpp://otap@127.0.0.1:$SMSC_PORT_s1"; password_file = "bad.pw"; }
);
CONF
ctl init >/dev/null
for i in $(seq -w 1 12); do ctl enqueue --to "+491710000$i" --profile p >/dev/null; done
start_otapd "$CONF"
wait_for "12 delivered jobs" 30 state_count_is delivered 12
wait_for "the refused link to show its reason" 10 eval 'ctl modems | grep -q "invalid password"'
stop_otapd

python3 - "$WORK/s1.jsonl" <<'PY' || fail "the binds did not do their parts"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
binds = {(r["mode"], r["status"]) for r in recs if r["type"] == "bind"}
assert ("transmitter", 0) in binds and ("receiver", 0) in binds, binds
assert ("transceiver", 0x0E) in binds, binds
mode = {r["conn"]: r["mode"] for r in recs if r["type"] == "bind" and r["status"] == 0}
subs = [r for r in recs if r["type"] == "submit" and r["status"] == 0]
assert len(subs) == 12 and all(mode[r["conn"]] == "transmitter" for r in subs), subs
resps = [r for r in recs if r["type"] == "deliver_sm_resp"]
assert resps and all(mode[r["conn"]] == "receiver" for r in resps), resps
assert sum(1 for r in resps if r["status"] == 0) == 12, resps
unbound = {mode[r["conn"]] for r in recs if r["type"] == "unbind"}
assert unbound == {"transmitter", "receiver"}, unbound
PY
[ "$(sql "SELECT count(*) FROM attempts WHERE modem = 'bad'")" = 0 ] || fail "the refused link took a job"
[ "$(sql "SELECT max(attempts) FROM jobs")" = 1 ] || fail "an attempt too many"
! grep -q "wrong" "$WORK/otapd.log" || fail "the refused password is in the log"
echo "PASS: two binds share the work of one link; a refused bind stays out of it"
