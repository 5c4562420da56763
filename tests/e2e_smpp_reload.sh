# e2e_smpp_reload.sh - SIGHUP and an SMPP link: a changed max_rate is taken
# in place (no new bind); a changed window restarts the link (unbind, then a
# new bind) and jobs go on through it, each once.
. "$(dirname "$0")/testlib.sh"

start_smsc s1
cp "$WORK/s1.pw" "$WORK/smpp.pw"
write_config() {   # write_config WINDOW MAX_RATE
	cat >"$CONF.new" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "s1"; device = "smpp://otap@127.0.0.1:$SMSC_PORT_s1"; password_file = "smpp.pw";
             window = $1; max_rate = $2; } );
CONF
	mv "$CONF.new" "$CONF"
}
reloads_applied() { [ "$(grep -c 'reload: configuration [0-9]* of .* applied' "$WORK/otapd.log")" -ge "$1" ]; }
binds() { smsc_count s1 "r['type'] == 'bind' and r['status'] == 0"; }

write_config 5 0
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the first bind" 10 eval '[ "$(binds)" = 1 ]'
ctl enqueue --to +491710000001 --profile p >/dev/null
wait_for "the first job" 10 state_count_is sent 1

write_config 5 6000
kill -HUP "$OTAPD_PID"
wait_for "the rate change applied" 10 reloads_applied 1
ctl enqueue --to +491710000002 --profile p >/dev/null
wait_for "the second job" 10 state_count_is sent 2
[ "$(binds)" = 1 ] || fail "a changed max_rate made the link bind again"

write_config 7 6000
kill -HUP "$OTAPD_PID"
wait_for "the window change applied" 10 reloads_applied 2
wait_for "a new bind after the unbind" 10 eval '[ "$(binds)" = 2 ] &&
	[ "$(smsc_count s1 "r[\"type\"] == \"unbind\"")" = 1 ]'
grep -q "reload: modem s1 changed: window" "$WORK/otapd.log" || fail "the log does not name the window"
for i in 3 4 5; do ctl enqueue --to "+49171000000$i" --profile p >/dev/null; done
wait_for "the jobs after the restart" 10 state_count_is sent 5
stop_otapd
[ "$(smsc_count s1 "r['type'] == 'submit' and r['status'] == 0")" = 5 ] || fail "a part sent twice or lost"
echo "PASS: an SMPP link takes a rate change in place and restarts for a new window"
