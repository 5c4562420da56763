# e2e_smpp_faults.sh - an SMPP link under the SMSC's faults: throttling
# (ESME_RTHROTTLED past 20 submits a second) slows otapd down and loses
# nothing, no attempt used; a connection dropped with submits in the window
# is bound again and every part reaches the SMSC exactly once (the parts
# that were written but not answered are resent and flagged as possible
# duplicates in the job's history); error statuses are classified like
# +CMS ERRORs: permanent -> failed, transient -> retried with attempts,
# the account's -> back to the queue without an attempt, the link failing.
. "$(dirname "$0")/testlib.sh"

write_conf() {   # write_conf NAME PORT WINDOW
	cat >"$WORK/$1.conf" <<CONF
database = "$WORK/$1.db";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "smsc"; device = "smpp://otap@127.0.0.1:$2"; password_file = "smpp.pw";
             window = $3; } );
retry = { max_attempts = 2; backoff_initial = "200ms"; backoff_max = "400ms"; };
CONF
	cp "$WORK/$1.pw" "$WORK/smpp.pw"
}
enqueue_n() {    # enqueue_n CONF COUNT PREFIX
	local i
	for i in $(seq -w 1 "$2"); do
		"$BIN/otapctl" -c "$1" enqueue --to "$3$i" --profile p >/dev/null
	done
}
each_once() {    # each_once SMSC COUNT: every destination accepted exactly once
	python3 - "$WORK/$1.jsonl" "$2" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = collections.Counter(r["dest_addr"] for r in recs if r["type"] == "submit" and r["status"] == 0)
assert len(ok) == int(sys.argv[2]) and set(ok.values()) == {1}, ok
PY
}

# ---- throttling ----
start_smsc thr --max-rate 20
write_conf thr "$SMSC_PORT_thr" 10
DB=$WORK/thr.db; CONF=$WORK/thr.conf
ctl init >/dev/null
enqueue_n "$CONF" 60 +4917100001
start_otapd "$CONF"
t0=$SECONDS
wait_for "60 jobs sent through a throttling SMSC" 60 state_count_is sent 60
took=$((SECONDS - t0))
stop_otapd
each_once thr 60 || fail "throttling lost or duplicated a part"
throttled=$(smsc_count thr "r['type'] == 'submit' and r['status'] == 0x58")
[ "$throttled" -ge 1 ] || fail "the SMSC never throttled (the test is void)"
[ "$throttled" -lt 120 ] || fail "otapd kept hammering a throttling SMSC: $throttled throttled answers"
[ "$took" -ge 2 ] || fail "60 SMs at 20/s took only ${took}s"
[ "$(sql "SELECT max(attempts) FROM jobs")" = 1 ] || fail "throttling used an attempt"
grep -q "throttled by the SMSC" "$WORK/otapd.log" || fail "no log line about throttling"

# ---- a dropped connection with submits in the window ----
start_smsc drop --drop-after 3 --latency 50
write_conf drop "$SMSC_PORT_drop" 5
DB=$WORK/drop.db; CONF=$WORK/drop.conf
ctl init >/dev/null
enqueue_n "$CONF" 20 +4917100002
start_otapd "$CONF"
wait_for "20 jobs sent across a dropped connection" 30 state_count_is sent 20
stop_otapd
each_once drop 20 || fail "the drop lost or duplicated a part"
[ "$(smsc_count drop "r['type'] == 'bind'")" -ge 2 ] || fail "otapd did not bind again"
[ "$(smsc_count drop "r['type'] == 'drop'")" = 1 ] || fail "the SMSC did not drop the link"
sql "SELECT detail FROM attempts WHERE result = 'sent'" | grep -q "may get them twice" ||
	fail "no job's history says a written, unanswered part was resent"
[ "$(sql "SELECT max(attempts) FROM jobs")" = 1 ] || fail "the drop used an attempt"

# ---- error statuses ----
start_smsc err --error 11=0x0B --error 22=0x08 --error 33=0x0A
write_conf err "$SMSC_PORT_err" 5
DB=$WORK/err.db; CONF=$WORK/err.conf
ctl init >/dev/null
for n in 01 11 22; do ctl enqueue --to "+49171000030$n" --profile p >/dev/null; done
start_otapd "$CONF"
settled() {
	[ "$(sql "SELECT state FROM jobs WHERE msisdn LIKE '%01'")" = sent ] &&
	[ "$(sql "SELECT state FROM jobs WHERE msisdn LIKE '%11'")" = failed ] &&
	[ "$(sql "SELECT state FROM jobs WHERE msisdn LIKE '%22'")" = failed ]
}
wait_for "the error statuses to settle" 30 settled
# The account's error last: the link then backs off before binding again.
ctl enqueue --to "+4917100003033" --profile p >/dev/null
wait_for "the account's error" 20 eval '[ "$(sql "SELECT count(*) FROM attempts a JOIN jobs j
	ON j.id = a.job_id WHERE j.msisdn LIKE '"'"'%33'"'"' AND a.result = '"'"'modem'"'"'")" -ge 1 ]'
ctl modems >"$WORK/modems.txt"
stop_otapd
row=$(sql "SELECT attempts, last_error FROM jobs WHERE msisdn LIKE '%11'")
[[ "$row" == "1|SMPP status 0x0000000B (invalid destination address)" ]] || fail "permanent: $row"
row=$(sql "SELECT attempts, last_error FROM jobs WHERE msisdn LIKE '%22'")
[[ "$row" == "2|gave up after 2 attempts: SMPP status 0x00000008 (SMSC system error)" ]] ||
	fail "transient: $row"
row=$(sql "SELECT state, attempts FROM jobs WHERE msisdn LIKE '%33'")
[[ "$row" == queued\|0 || "$row" == sending\|0 ]] || fail "the account's error used an attempt: $row"
grep -q "invalid source address" "$WORK/modems.txt" ||
	fail "otapctl modems does not show the link's error: $(cat "$WORK/modems.txt")"
# ---- otapd stops between the parts of a job ----
start_smsc stop
write_conf stop "$SMSC_PORT_stop" 5
DB=$WORK/stop.db; CONF=$WORK/stop.conf
cat >>"$CONF" <<'CONF2'
split_delay = "30s";
profiles = ( { name = "p"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";
               app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; net_user = "m2m";
               net_password = "m2mpass"; dns = "10.0.0.53"; } );
CONF2
sed -i '0,/^profiles = /{/^profiles = /d}' "$CONF"
ctl init >/dev/null
ctl enqueue --to +491710000401 --profile p >/dev/null
start_otapd "$CONF"
wait_for "the first part" 10 eval '[ "$(smsc_count stop "r[\"type\"] == \"submit\"")" = 1 ]'
stop_otapd
row=$(sql "SELECT state, attempts FROM jobs")
[ "$row" = "queued|0" ] || fail "a job stopped between parts: $row"
sql "SELECT result, detail FROM attempts" | grep -q "^interrupted|otapd stopped between parts" ||
	fail "no history row for the stop between parts: $(sql "SELECT result, detail FROM attempts")"
[ "$(smsc_count stop "r['type'] == 'unbind'")" = 1 ] || fail "no unbind at shutdown"

echo "PASS: throttling, a dropped link, error statuses, a stop between parts: nothing lost, nothing sent twice"
