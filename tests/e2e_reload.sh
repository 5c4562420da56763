# e2e_reload.sh - SIGHUP applies a new config while otapd sends, judged by
# what the simulated modems saw:
#   1. m2 added, profile p changed (its JADURL) and m1's max_rate changed,
#      while m1 holds a two-part job between its parts: m2 starts sending,
#      m1 keeps its one connection (one CONNECT, no DISCONNECT), the job in
#      flight finishes with exactly its two parts, new jobs carry the new
#      JADURL;
#   2. m1 removed while it holds a job between parts: its worker stops (m1
#      sees the DISCONNECT), the job goes back through the store
#      ('interrupted') and m2 sends it whole, once; later jobs go to m2;
#   3. m2 changed (send_timeout): restarted, a second CONNECT;
#   4. a broken config: every problem logged, the running config kept, otapd
#      still sends.
. "$(dirname "$0")/testlib.sh"

start_sim m1
start_sim m2
JAD_OLD=http://fw.example.com/old.jad
JAD_NEW=http://fw.example.com/new.jad
# write_config JADURL M1_RATE MODEMS...: one-SM profile p, two-SM profile big.
write_config() {
	local jad=$1; shift
	{
		echo "database = \"$DB\";"
		echo "profiles = ( { name = \"p\"; password = \"pw\"; jad_url = \"$jad\"; },"
		echo '  { name = "big"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";'
		echo '    app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; net_user = "m2m";'
		echo '    net_password = "m2mpass"; dns = "10.0.0.53"; notify_url = "http://notify.example.com/otap"; } );'
		echo 'split_delay = "3s";'
		echo "modems = ( $(IFS=,; echo "$*") );"
	} >"$CONF.new"
	mv "$CONF.new" "$CONF"
}
M1="{ name = \"m1\"; device = \"tcp://127.0.0.1:$SIM_PORT_m1\"; }"
M1_RATE="{ name = \"m1\"; device = \"tcp://127.0.0.1:$SIM_PORT_m1\"; max_rate = 600; }"
M2="{ name = \"m2\"; device = \"tcp://127.0.0.1:$SIM_PORT_m2\"; max_rate = 60; }"
M2_SLOW="{ name = \"m2\"; device = \"tcp://127.0.0.1:$SIM_PORT_m2\"; max_rate = 60; send_timeout = \"90s\"; }"
sms_count() { [ -f "$WORK/$1.sms" ] || { echo 0; return; }; awk -F'\t' -v ev="$2" '$1 == ev { n++ } END { print n + 0 }' "$WORK/$1.sms"; }
sms_count_is() { [ "$(sms_count "$1" "$2")" = "$3" ]; }
reloads_applied() { [ "$(grep -c 'reload: configuration [0-9]* of .* applied' "$WORK/otapd.log")" -ge "$1" ]; }

write_config "$JAD_OLD" "$M1"
ctl init >/dev/null
start_otapd "$CONF"
wait_for "m1 connected" 20 sms_count_is m1 CONNECT 1

# ---- 1. add m2, change p and m1's rate while m1 holds a job between parts
BIG1=$(ctl enqueue --to +491710000001 --profile big)
wait_for "the first part of job $BIG1 at m1" 20 sms_count_is m1 SM 1
[ "$(sql "SELECT state FROM jobs WHERE id=$BIG1")" = sending ] || fail "job $BIG1 must be between parts"
write_config "$JAD_NEW" "$M1_RATE" "$M2"
kill -HUP "$OTAPD_PID"
wait_for "the first reload" 10 reloads_applied 1
grep -q 'reload: starting modem m2' "$WORK/otapd.log" || fail "m2 was not started"
wait_for "job $BIG1 sent" 20 bash -c "[ \"\$(sqlite3 -readonly '$DB' 'SELECT state FROM jobs WHERE id=$BIG1')\" = sent ]"
[ "$(sms_count m1 SM)" = 2 ] || fail "job $BIG1 must reach m1's unit as exactly two SMs, got $(sms_count m1 SM)"
[ "$(sql "SELECT count(*) FROM attempts WHERE job_id=$BIG1")" = 1 ] || fail "job $BIG1 must have one attempt"
# Both modems send the changed profile p.
for i in $(seq 10 29); do ctl enqueue --to "+4917100000$i" --profile p >/dev/null; done
wait_for "20 p jobs sent" 40 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE profile='p' AND state='sent'\")\" = 20 ]"
[ "$(sql "SELECT count(*) FROM jobs WHERE profile='p' AND modem='m2'")" -ge 1 ] || fail "m2 sent none of the jobs"
[ "$(sql "SELECT count(*) FROM jobs WHERE profile='p' AND modem='m1'")" -ge 1 ] || fail "m1 sent none of the jobs"
for m in m1 m2; do
	! sim_field "$WORK/$m.sms" SM body | grep -q 'old.jad' || fail "$m sent the old JADURL after the reload"
done
[ "$(sim_field "$WORK/m1.sms" SM body | grep -c 'new.jad')$(sim_field "$WORK/m2.sms" SM body | grep -c 'new.jad')" != 00 ] ||
	fail "no SM with the new JADURL"
[ "$(sms_count m1 CONNECT)" = 1 ] && [ "$(sms_count m1 DISCONNECT)" = 0 ] ||
	fail "m1 must keep its one connection across the reload"

# ---- 2. remove m1 while it holds a job between parts
# A burst of big jobs: m2 (max_rate 60) takes at most one a second, so m1
# holds some of them between their parts.
on_m1_between_parts() {
	sql "SELECT id FROM jobs WHERE profile='big' AND state='sending' AND modem='m1' LIMIT 1"
}
BIG2=
for burst in 1 2 3; do
	pids=()
	for i in 1 2 3 4; do ctl enqueue --to "+49171000$burst$i" --profile big >/dev/null & pids+=($!); done
	wait "${pids[@]}"
	wait_for "the burst claimed" 10 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state='queued'\")\" = 0 ]"
	BIG2=$(on_m1_between_parts)
	[ -z "$BIG2" ] || break
	wait_for "the burst sent" 20 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT count(*) FROM jobs WHERE state!='sent'\")\" = 0 ]"
done
[ -n "$BIG2" ] || fail "m1 took none of three bursts of jobs"
[ "$(sql "SELECT state FROM jobs WHERE id=$BIG2")" = sending ] || fail "job $BIG2 must be between parts on m1"
write_config "$JAD_NEW" "$M2"
kill -HUP "$OTAPD_PID"
wait_for "the second reload" 20 reloads_applied 2
grep -q 'reload: modem m1 removed; its worker stops' "$WORK/otapd.log" || fail "no log line for m1's removal"
wait_for "m1 disconnected" 10 sms_count_is m1 DISCONNECT 1
wait_for "job $BIG2 sent by m2" 30 bash -c "[ \"\$(sqlite3 -readonly '$DB' 'SELECT state || modem FROM jobs WHERE id=$BIG2')\" = sentm2 ]"
[ "$(sql "SELECT group_concat(result) FROM attempts WHERE job_id=$BIG2 ORDER BY id")" = interrupted,sent ] ||
	fail "job $BIG2 attempts: $(sql "SELECT group_concat(result || ':' || modem) FROM attempts WHERE job_id=$BIG2")"
[ "$(awk -F'\t' '$1 == "DISCONNECT" { gone = 1 } gone && $1 == "SM"' "$WORK/m1.sms" | wc -l)" = 0 ] ||
	fail "m1 sent after its worker stopped"
to=$(sql "SELECT msisdn FROM jobs WHERE id=$BIG2")
[ "$(sim_field "$WORK/m2.sms" SM to | grep -cx -- "$to")" = 2 ] || fail "m2 must send job $BIG2's two parts once"
for i in $(seq 60 64); do ctl enqueue --to "+4917100000$i" --profile p >/dev/null; done
all_sent() { [ "$(sql "SELECT count(*) FROM jobs WHERE state != 'sent'")" = 0 ]; }
wait_for "every job sent" 40 all_sent
[ "$(sql "SELECT count(*) FROM jobs WHERE msisdn LIKE '+49171000006_' AND modem = 'm2'")" = 5 ] ||
	fail "the jobs after m1's removal must go to m2"
[ "$(sms_count m2 CONNECT)" = 1 ] || fail "m2 must keep its connection when m1 is removed"

# ---- 3. change m2: restarted
write_config "$JAD_NEW" "$M2_SLOW"
kill -HUP "$OTAPD_PID"
wait_for "the third reload" 20 reloads_applied 3
grep -q 'reload: modem m2 changed: send_timeout; its worker stops' "$WORK/otapd.log" || fail "no log line for m2's change"
wait_for "m2 reconnected" 20 sms_count_is m2 CONNECT 2
ctl enqueue --to +491710000070 --profile p >/dev/null
wait_for "a job sent after the restart" 20 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT state FROM jobs WHERE msisdn='+491710000070'\")\" = sent ]"

# ---- 4. a broken config: all its problems logged, nothing applied
cp "$CONF" "$WORK/good.conf"
{ cat "$CONF"; echo 'retry = { max_attempts = 0; backoff_initial = "soon"; };'; } >"$CONF.new"
mv "$CONF.new" "$CONF"
kill -HUP "$OTAPD_PID"
wait_for "the failed reload" 10 grep -q "reload failed, keeping the running configuration: 2 problems in $CONF:" "$WORK/otapd.log"
grep -q "  $CONF:[0-9]*: 'max_attempts' is 0" "$WORK/otapd.log" || fail "the first problem is not logged"
grep -q "  $CONF:[0-9]*: 'backoff_initial': \"soon\" is not a duration" "$WORK/otapd.log" || fail "the second problem is not logged"
kill -0 "$OTAPD_PID" || fail "otapd died on a broken config"
"$BIN/otapctl" -c "$WORK/good.conf" enqueue --to +491710000071 --profile p >/dev/null
wait_for "a job sent with the old config" 20 bash -c "[ \"\$(sqlite3 -readonly '$DB' \"SELECT state FROM jobs WHERE msisdn='+491710000071'\")\" = sent ]"
[ "$(sms_count m2 CONNECT)" = 2 ] || fail "a failed reload must not touch the modems"

stop_otapd
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$WORK/otapd.log" && fail "sanitizer or error output in otapd.log"
echo "ok: reload adds, keeps, removes and restarts modems; jobs in flight neither lost nor doubled; a broken config keeps the old one"
