# e2e_trace.sh - otapd -v logs the AT dialogue ("m1 > ...", "m1 < ..."),
# and neither the SIM PIN nor the profile's password (nor its hex in the
# PDU) appears anywhere in that log.
. "$(dirname "$0")/testlib.sh"

PIN=4711
PASSWORD=Tr4ceSecretPw
start_sim m1 --pin "$PIN"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$PASSWORD"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; pin = "$PIN"; } );
CONF
ctl init >/dev/null
ctl enqueue --to +491710000001 --profile p >/dev/null
start_otapd "$CONF" -v
wait_for "the job to be sent" 30 state_count_is sent 1
stop_otapd
LOG=$WORK/otapd.log
grep -q '^PIN_OK' "$WORK/m1.sms" || fail "simulator did not see the right PIN"
grep -q 'm1 > AT+CMGS=' "$LOG" || fail "no 'm1 > AT+CMGS=' line in the debug log"
grep -q 'm1 < +CMGS:' "$LOG" || fail "no 'm1 < +CMGS:' line in the debug log"
grep -qF 'm1 > AT+CPIN="****"' "$LOG" || fail "no masked AT+CPIN line in the debug log"
grep -q 'octets of user data)\\x1a' "$LOG" || fail "no masked PDU line in the debug log"
! grep -q "$PIN" "$LOG" || fail "the PIN appeared in the log"
! grep -qi "$PASSWORD" "$LOG" || fail "the password appeared in the log"
PWHEX=$(printf '%s' "$PASSWORD" | od -An -tx1 | tr -d ' \n')
! grep -qi "$PWHEX" "$LOG" || fail "the password's hex appeared in the log"
echo "ok: AT dialogue traced at debug level, PIN and password masked"
