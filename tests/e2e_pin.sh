# e2e_pin.sh - SIM PIN handling: the right PIN unlocks the SIM and jobs are
# sent; a wrong PIN is reported clearly, tried only once (never locks the
# SIM), and otapd keeps running without crashing; fixing the PIN in the
# config and reloading brings the modem back.
. "$(dirname "$0")/testlib.sh"

start_sim good --pin 4711
start_sim bad --pin 4711
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "good"; device = "tcp://127.0.0.1:$SIM_PORT_good"; pin = "4711"; } );
CONF
ctl init >/dev/null
ctl enqueue --to +491710000001 --profile p >/dev/null
start_otapd "$CONF"
wait_for "the job to be sent with the right PIN" 30 state_count_is sent 1
stop_otapd
grep -q '^PIN_OK' "$WORK/good.sms" || fail "simulator did not see the right PIN"
! grep -q 4711 "$WORK/otapd.log" || fail "the PIN appeared in the log"
mv "$WORK/otapd.log" "$WORK/otapd-first.log"

# Wrong PIN: one try, a clear error, otapd still alive, job still queued.
sed -i "s/$SIM_PORT_good/$SIM_PORT_bad/; s/4711/1234/" "$CONF"
ctl enqueue --to +491710000002 --profile p >/dev/null
start_otapd "$CONF"
wait_for "the PIN error in the log" 30 grep -q 'PIN' "$WORK/otapd.log"
sleep 2
kill -0 "$OTAPD_PID" || fail "otapd died on a wrong PIN"
[ "$(grep -c '^PIN_WRONG' "$WORK/bad.sms")" = 1 ] || fail "a wrong PIN must be tried exactly once"
grep -q 'modem disabled' "$WORK/otapd.log" || fail "expected a clear 'modem disabled' error"
! grep -q 1234 "$WORK/otapd.log" || fail "the PIN appeared in the log"
[ "$(count_state queued)" = 1 ] || fail "the job must stay queued"
# The PIN fixed and reloaded: the modem is restarted with it and sends.
sed -i 's/1234/4711/' "$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the job sent after the PIN was fixed" 30 state_count_is sent 2
[ "$(grep -c '^PIN_OK' "$WORK/bad.sms")" = 1 ] || fail "the fixed PIN must unlock the SIM once"
[ "$(grep -c '^PIN_WRONG' "$WORK/bad.sms")" = 1 ] || fail "the wrong PIN must not be tried again"
grep -q 'reload: modem good changed: pin;' "$WORK/otapd.log" || fail "the reload must say the pin changed"
! grep -q '1234\|4711' "$WORK/otapd.log" || fail "a PIN appeared in the log"
stop_otapd
echo "ok: right PIN used once; wrong PIN reported once, no crash, job kept; fixed by a reload"
