# e2e_smpp.sh - jobs through an SMPP link end to end against the test SMSC
# (tests/smsc): the submit_sm fields (PID, DCS, destination TON/NPI, esm_class,
# registered_delivery, the source address) and the body bytes, compared with
# the PDU otapd would give a modem for the same job (otapctl pdu --job); the
# parts of a two-SM job in order with the split delay before START; receipts
# in both id forms moving jobs to delivered and failed; enquire_link both
# ways; the link in otapctl modems; the password in no log line (the PDU
# trace at debug level masks it); the unbind at shutdown.
. "$(dirname "$0")/testlib.sh"

start_smsc s1 --receipt-stat 99=UNDELIV --receipt-form alternate --enquire-link 1500
cp "$WORK/s1.pw" "$WORK/smpp.pw"
cat >"$CONF" <<CONF
database = "$DB";
log_level = "debug";
profiles = (
  { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; status_report = true; },
  { name = "p0"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; pid = 0x00;
    sms_class = 0; status_report = true; },
  { name = "long"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";
    app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; net_user = "m2m";
    net_password = "m2mpass"; dns = "10.0.0.53"; status_report = true; }
);
modems = ( {
  name = "smsc1";
  device = "smpp://otap@127.0.0.1:$SMSC_PORT_s1";
  password_file = "smpp.pw";
  system_type = "OTA";
  source_addr = "OTAP";
  source_ton = 5;
  window = 4;
  enquire_link = "1s";
} );
split_delay = "400ms";
CONF

ctl init >/dev/null
ctl enqueue --to +491710000001 --profile p >/dev/null
ctl enqueue --to 01710000002 --profile p0 >/dev/null
ctl enqueue --to +491710000099 --profile p >/dev/null
ctl enqueue --to +491710000003 --profile long >/dev/null
for id in 1 2 3 4; do ctl pdu --job "$id" >"$WORK/pdu.$id" || fail "otapctl pdu --job $id"; done
[ "$(wc -l <"$WORK/pdu.4")" = 2 ] || fail "the 'long' profile should need two SMs"

start_otapd "$CONF"
wait_for "3 delivered and 1 failed" 30 eval '[ "$(count_state delivered)" = 3 ] && [ "$(count_state failed)" = 1 ]'
ctl modems >"$WORK/modems.txt"
grep -Eq "smsc1 +(ready|sending)" "$WORK/modems.txt" || fail "otapctl modems does not show smsc1 bound: $(cat "$WORK/modems.txt")"
grep -q "TESTSMSC" "$WORK/modems.txt" || fail "otapctl modems does not name the SMSC: $(cat "$WORK/modems.txt")"
wait_for "enquire_link both ways" 10 eval '[ "$(smsc_count s1 "r[\"type\"] == \"enquire_link\"")" -ge 1 ] &&
	[ "$(smsc_count s1 "r[\"type\"] == \"enquire_link_resp\"")" -ge 1 ]'
stop_otapd

python3 - "$WORK" <<'PY' || fail "the SMSC did not get what otapd would send a modem"
import json, sys
work = sys.argv[1]
recs = [json.loads(l) for l in open(f"{work}/s1.jsonl") if l.strip()]
subs = [r for r in recs if r["type"] == "submit"]
assert all(r["status"] == 0 for r in subs), subs
byjob = {1: "491710000001", 2: "01710000002", 3: "491710000099", 4: "491710000003"}
for job, dest in byjob.items():
    pdus = [l.strip() for l in open(f"{work}/pdu.{job}") if l.strip()]
    got = [r for r in subs if r["dest_addr"] == dest]
    assert len(got) == len(pdus), (job, len(got), len(pdus))
    for r, pdu in zip(got, pdus):
        body = r["sm"]
        ud_len = len(body) // 2
        # The PDU ends with TP-UDL and TP-UD: the same bytes.
        assert pdu.endswith("%02X%s" % (ud_len, body)), (job, pdu, body)
        # TP-PID and TP-DCS sit before TP-VP, TP-UDL and the UD.
        pid, dcs = int(pdu[-(2 * ud_len + 8):-(2 * ud_len + 6)], 16), int(pdu[-(2 * ud_len + 6):-(2 * ud_len + 4)], 16)
        assert (r["protocol_id"], r["data_coding"]) == (pid, dcs), (job, r, pid, dcs)
        assert r["dest_ton"] == (0 if job == 2 else 1) and r["dest_npi"] == 1, r
        assert r["esm_class"] == 0 and r["registered_delivery"] == 1, r
        assert (r["source_addr"], r["source_ton"]) == ("OTAP", 5), r
        assert r["validity_period"] == "000001000000000R", r
assert [(r["protocol_id"], r["data_coding"]) for r in subs if r["dest_addr"] == byjob[1]] == [(0x7D, 0xF5)]
assert [(r["protocol_id"], r["data_coding"]) for r in subs if r["dest_addr"] == byjob[2]] == [(0x00, 0xF4)]
# The two parts in order, START last, after the split delay.
long = [r for r in subs if r["dest_addr"] == byjob[4]]
start = bytes.fromhex(long[1]["sm"])
assert b"START:" not in bytes.fromhex(long[0]["sm"]) and b"START:install\n" in start
assert long[1]["t_ms"] - long[0]["t_ms"] >= 400, long
# Receipts went out in both forms and were all taken.
resps = [r for r in recs if r["type"] == "deliver_sm_resp"]
assert len(resps) == 5 and all(r["status"] == 0 for r in resps), resps
assert any(r["type"] == "unbind" for r in recs), "no unbind at shutdown"
PY

row=$(sql "SELECT state, attempts FROM jobs WHERE msisdn = '+491710000099'")
[ "$row" = "failed|1" ] || fail "the UNDELIV job: $row"
sql "SELECT last_error FROM jobs WHERE msisdn = '+491710000099'" | grep -q "TP-ST 0x43" ||
	fail "the UNDELIV job's error does not say why"
sql "SELECT detail FROM attempts WHERE result = 'delivered'" | grep -q "SMPP receipt M" ||
	fail "no attempt row names the receipt"
[ "$(sql "SELECT count(*) FROM sent_parts WHERE message_id IS NOT NULL")" = 5 ] ||
	fail "the parts' message ids were not all stored"
grep -q "bind_transceiver seq 1" "$WORK/otapd.log" || fail "no PDU trace at debug level"
! grep -q "smpp-s3c" "$WORK/otapd.log" || fail "the SMPP password is in the log"
! grep -qi "$(printf 'smpp-s3c' | od -An -tx1 | tr -d ' \n')" "$WORK/otapd.log" ||
	fail "the SMPP password is in the log as hex"
! grep -q "5057443A" "$WORK/otapd.log" || fail "an OTAP body (PWD:) is in the PDU trace"
grep "deliver_sm seq" "$WORK/otapd.log" | grep -q "6964" && fail "a receipt's text (id:... text:) is in the PDU trace"
"$BIN/otapd" --check-config -c "$CONF" 2>&1 | grep -q "smpp-s3c" && fail "--check-config shows the password"
echo "PASS: jobs through SMPP reach the SMSC as the modem PDUs would; receipts settle them"
