# e2e_reload_notify.sh - the notify listener follows a reload: after SIGHUP
# adds a profile with local artifacts and a second modem, /healthz counts
# both modems, and a unit sent a job of the new profile fetches its JAD and
# JAR from the listener and confirms (the start's config knew neither). A
# changed public_url is logged as needing a restart and the listener stays.
. "$(dirname "$0")/testlib.sh"

PORT=$(pick_port)
head -c 50000 /dev/urandom >"$WORK/app.jar"
printf 'MIDlet-Name: Tracker\r\nMIDlet-Vendor: Acme\r\nMIDlet-Version: 4.18\r\n' >"$WORK/app.jad"
printf 'MIDlet-Jar-URL: http://old.example.com/t.jar\r\nMIDlet-Jar-Size: 1\r\n' >>"$WORK/app.jad"
printf 'MicroEdition-Profile: IMP-NG\r\n' >>"$WORK/app.jad"
TO=+491720000001
echo "$TO download=yes" >"$WORK/units.txt"
start_sim m1 --fleet "$WORK/units.txt"
start_sim m2 --fleet "$WORK/units.txt"

write_config() { # write_config EXTRA_PROFILE EXTRA_MODEM
	cat >"$CONF.new" <<CONF
database = "$DB";
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT"; };
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; }$1 );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; }$2 );
CONF
	mv "$CONF.new" "$CONF"
}
healthz_says() { [ "$(curl -s "http://127.0.0.1:$PORT/healthz")" = "$1" ]; }

write_config "" ""
ctl init >/dev/null
start_otapd "$CONF"
wait_for "one modem ready" 20 healthz_says "ok: 1 of 1 modems ready"

write_config ", { name = \"local\"; password = \"pw\"; jar_file = \"$WORK/app.jar\"; jad_file = \"$WORK/app.jad\"; }" \
	", { name = \"m2\"; device = \"tcp://127.0.0.1:$SIM_PORT_m2\"; }"
kill -HUP "$OTAPD_PID"
wait_for "the reload" 10 grep -q 'reload: configuration 2 of .* applied' "$WORK/otapd.log"
wait_for "both modems ready" 20 healthz_says "ok: 2 of 2 modems ready"

ID=$(ctl enqueue --to "$TO" --profile local)
confirmed() { [ "$(sql "SELECT state FROM jobs WHERE id=$ID")" = confirmed ]; }
wait_for "job $ID confirmed" 30 confirmed
grep -h "^JAD	to=$TO" "$WORK"/m?.sms | grep -q 'result=ok' || fail "the unit did not get its JAD"
grep -h "^JAR	to=$TO" "$WORK"/m?.sms | grep -q 'result=ok\|bytes=50000' || fail "the unit did not get the JAR: $(grep -h "^JAR" "$WORK"/m?.sms)"
[ "$(sql "SELECT count(*) FROM events WHERE job_id=$ID AND kind='jar_fetched'")" = 1 ] ||
	fail "the listener must record the JAR fetch"
# A restart-only setting: logged, the listener stays where it is.
sed -i "s|public_url = \"http://127.0.0.1:$PORT\"|public_url = \"http://otap.example.com:$PORT\"|" "$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the third reload" 10 grep -q 'reload: configuration 3 of .* applied' "$WORK/otapd.log"
grep -q 'reload: notify (listen, public_url, TLS certificate or key) changed: takes effect at the next restart' \
	"$WORK/otapd.log" || fail "a changed public_url must be logged as needing a restart"
healthz_says "ok: 2 of 2 modems ready" || fail "the listener must keep serving"
stop_otapd
echo "ok: the notify listener serves the reloaded profiles and counts the reloaded modems; notify needs a restart"
