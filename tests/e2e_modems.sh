# e2e_modems.sh - the operator's view of the modems: two simulators, one
# healthy and one answering every submit with +CMS ERROR 302. `otapctl
# modems --json` shows the first ready with its signal in dBm, operator and
# identity, the second failing with the reason, and the SMs each sent or
# failed; /healthz says 200 "ok: 1 of 2 modems ready". With both simulators
# gone /healthz is 503 and `otapctl status` of a queued job says no modem
# is ready, and why. After otapd stops, rows older than 90 s are "stale
# (otapd not running?)"; a modem otapd never recorded is "never seen".
. "$(dirname "$0")/testlib.sh"

PORT=$(pick_port)

start_sim m1
SIM1=${PIDS[-1]}
start_sim m2 --cms-error 302@1-100000000
SIM2=${PIDS[-1]}
write_config() {
	{
		echo "database = \"$DB\";"
		echo 'profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );'
		echo "notify = { listen = \"127.0.0.1:$PORT\"; public_url = \"http://127.0.0.1:$PORT/\"; };"
		echo "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:$SIM_PORT_m1\"; },"
		echo "           { name = \"m2\"; device = \"tcp://127.0.0.1:$SIM_PORT_m2\"; }$1 );"
	} >"$2"
}
write_config "" "$CONF"
ctl init >/dev/null
start_otapd "$CONF"

healthz() { curl -s -o "$WORK/healthz.body" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || true; }
modems_json() { ctl modems --json >"$WORK/modems.json"; }
# field NAME KEY: one member of modem NAME in the last modems --json.
field() {
	python3 -c 'import json, sys
for m in json.load(open(sys.argv[1])):
    if m["name"] == sys.argv[2]:
        v = m[sys.argv[3]]
        print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' \
		"$WORK/modems.json" "$1" "$2"
}
m2_failing() { modems_json && [ "$(field m2 state)" = failing ]; }

# Jobs until m2 has had one of them (each modem claims from the one queue).
# A burst of three at once keeps m1 busy, so an idle m1 cannot take every job when
# enqueueing is slow (as under ASan).
wait_m2_failing() {
	local end=$((SECONDS + 30))
	while ! m2_failing; do
		[ $SECONDS -lt $end ] || fail "m2 never showed failing: $(cat "$WORK/modems.json")"
		local burst=()
		for _ in 1 2 3; do
			ctl enqueue --to "+4917100000$((RANDOM % 90 + 10))" --profile p >/dev/null &
			burst+=($!)
		done
		wait "${burst[@]}"
		sleep 0.5
	done
}
wait_m2_failing
wait_for "m1 to send" 30 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT sms_sent > 0 FROM modems WHERE name='m1'\")\" = 1 ]"
wait_for "m1 ready" 30 bash -c "$BIN/otapctl -c '$CONF' modems --json | grep -q '\"state\":\"ready\"'"
modems_json
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/modems.json")" = 2 ] ||
	fail "modems --json must list both modems: $(cat "$WORK/modems.json")"
[ "$(field m1 state)" = ready ] || fail "m1 must be ready: $(cat "$WORK/modems.json")"
[ "$(field m1 usable)" = true ] || fail "m1 must be usable"
[ "$(field m1 registration)" = home ] || fail "m1 registration: $(field m1 registration)"
[ "$(field m1 operator)" = SimNet ] || fail "m1 operator: $(field m1 operator)"
[ "$(field m1 signal_dbm)" = -71 ] || fail "m1 signal: $(field m1 signal_dbm) dBm (the simulator says +CSQ: 21)"
[ "$(field m1 signal_bars)" = 5 ] || fail "m1 bars: $(field m1 signal_bars)"
[ "$(field m1 model)" = ELS61-E ] || fail "m1 model: $(field m1 model)"
[ "$(field m1 revision)" = "REVISION 02.000" ] || fail "m1 revision: $(field m1 revision)"
[[ "$(field m1 imei)" =~ ^[0-9]{15}$ ]] || fail "m1 IMEI: $(field m1 imei)"
[ "$(field m1 sms_sent)" -ge 1 ] || fail "m1 sent nothing"
[ "$(field m1 stale)" = false ] || fail "m1 stale while otapd runs"
[[ "$(field m2 why)" == "+CMS ERROR 302"* ]] || fail "m2 must say why it fails: $(field m2 why)"
[[ "$(field m2 last_error)" == "+CMS ERROR 302"* ]] || fail "m2 last error: $(field m2 last_error)"
[ "$(field m2 sms_failed)" -ge 1 ] || fail "m2 failed nothing"
[ "$(field m2 sms_sent)" = 0 ] || fail "m2 cannot have sent"
[ "$(field m2 usable)" = false ] || fail "a failing modem is not usable"
[ "$(field m2 since)" != null ] || fail "m2 has no state time"

# The table says the same in words.
ctl modems >"$WORK/modems.txt"
grep -q '^m1 *ready$' "$WORK/modems.txt" || fail "modems: m1 line: $(cat "$WORK/modems.txt")"
grep -q 'network home, SimNet, signal -71 dBm 5/5' "$WORK/modems.txt" || fail "modems: network line: $(cat "$WORK/modems.txt")"
grep -q '^m2 *failing: +CMS ERROR 302' "$WORK/modems.txt" || fail "modems: m2 line: $(cat "$WORK/modems.txt")"

[ "$(healthz)" = 200 ] || fail "healthz must be 200 with m1 ready: $(cat "$WORK/healthz.body")"
[ "$(cat "$WORK/healthz.body")" = "ok: 1 of 2 modems ready" ] || fail "healthz said: $(cat "$WORK/healthz.body")"

# ---- all modems down: the simulators go away
kill "$SIM1" "$SIM2"
# (m1 passes through "connecting" on its way to failing)
both_failing() {
	[ "$(healthz)" = 503 ] &&
		[[ "$(cat "$WORK/healthz.body")" == "no modem ready: 0 of 2 (m1 failing: "*"; m2 failing: "* ]]
}
wait_for "healthz 503 with both modems failing" 30 both_failing
ID=$(ctl enqueue --to +491710009999 --profile p)
ctl status "$ID" >"$WORK/status.txt"
grep -q '^waiting: *no modem is ready (m1 failing: .*; m2 failing: ' "$WORK/status.txt" ||
	fail "status of a queued job must say no modem is ready: $(cat "$WORK/status.txt")"
ctl status "$ID" --json | grep -q '"waiting":"no modem is ready (m1 failing' ||
	fail "status --json must say waiting"
# Registration and signal are forgotten once a reconnect fails (right after
# the link drops the row may still say what it last knew).
out_of_reach() { modems_json && [ "$(field m1 registration)" = unknown ]; }
wait_for "m1's registration to be unknown once out of reach" 20 out_of_reach
[ "$(field m1 registration)" = unknown ] || fail "a modem out of reach has no registration: $(field m1 registration)"
[ "$(field m1 signal_dbm)" = null ] || fail "a modem out of reach has no signal"
[ "$(field m1 model)" = ELS61-E ] || fail "the identity stays"
! grep -i 'pin' "$WORK/modems.txt" || fail "modems output must not mention a PIN"

# ---- otapd stops: its rows go stale (faked: 100 s older)
stop_otapd
sqlite3 -cmd '.timeout 5000' "$DB" "UPDATE modems SET last_seen = last_seen - 100000"
modems_json
[ "$(field m1 condition)" = "stale (otapd not running?)" ] || fail "m1 must be stale: $(field m1 condition)"
[ "$(field m1 stale)" = true ] || fail "m1 stale flag"
ctl modems | grep -q '^m2 *stale (otapd not running?)$' || fail "modems text must say stale"
# A modem of the config otapd never recorded.
write_config ", { name = \"m3\"; device = \"tcp://127.0.0.1:1\"; }" "$WORK/three.conf"
"$BIN/otapctl" -c "$WORK/three.conf" modems | grep -q '^m3 *never seen$' || fail "m3 must be never seen"
"$BIN/otapctl" -c "$WORK/three.conf" modems --json | grep -q '"name":"m3","condition":"never seen","seen":false' ||
	fail "m3 in JSON must be never seen"
"$BIN/otapctl" -c "$WORK/three.conf" status "$ID" | grep -q 'waiting: *no modem is ready (m1 stale (otapd not running?); m2 stale (otapd not running?); m3 never seen)' ||
	fail "status must say why no modem is ready: $("$BIN/otapctl" -c "$WORK/three.conf" status "$ID")"
[ -z "${SHOW:-}" ] || { cat "$WORK/modems.txt" "$WORK/status.txt" "$WORK/healthz.body"; ctl modems --json; }
echo "ok: modems view, healthz 200/503, waiting note, stale and never seen"
