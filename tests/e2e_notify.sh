# e2e_notify.sh - install notifications end to end: 50 units through otapd
# and the simulator, which plays the units and POSTs their results to each
# job's NOTIFYURL over real HTTP. 45 report 900, 3 report 909, 2 never
# answer: 45 confirmed, 3 failed with 909, 2 retried once and then failed
# with "no confirmation". Then the listener: forged tokens change nothing,
# a repeated notification is a harmless 200, a fleet-wide notification is
# matched by IMEI, and abuse (slow, oversized, garbage, a connection flood)
# neither breaks the listener nor holds up sending. (More of the listener's
# HTTP handling, its limits and TLS: e2e_notify_http.sh.)
. "$(dirname "$0")/testlib.sh"
# The listener may answer (431, 413...) and close while this shell is still
# writing: without this, the builtin printf's SIGPIPE would kill the whole
# test silently instead of failing one write.
trap '' PIPE

FLEET_IMEI=490154203237518

# A free local port for the listener (/dev/tcp connect fails = nobody there).
PORT=$(pick_port)

# http_raw TEXT: sends TEXT (printf %b escapes) to the listener, prints the
# status code of the answer ("" when the connection ended without one).
http_raw() {
	local fd reply=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '%b' "$1" >&"$fd" 2>/dev/null || true
	IFS= read -r -t 10 reply <&"$fd" || true
	exec {fd}>&-
	printf '%s\n' "$reply" | awk '{ print $2 }'
}

# post PATH BODY [USER_AGENT]: POSTs a notification, prints the status code.
post() {
	local ua=${3:-"ELS61/000000000000000 Profile/IMP-NG Configuration/CLDC-1.1"}
	http_raw "POST $1 HTTP/1.1\r\nHost: 127.0.0.1:$PORT\r\nUser-Agent: $ua\r\nContent-Type: text/plain\r\nContent-Length: ${#2}\r\nConnection: close\r\n\r\n$2"
}

num() { printf '+4917100000%02d' "$1"; }

# job_row ID: what must not change when a notification is rejected or repeated.
job_row() {
	sql "SELECT state, attempts, updated_at, last_error, notify_code, notify_text, notified_at,
	     confirmed_at, (SELECT count(*) FROM attempts WHERE job_id = jobs.id) FROM jobs WHERE id = $1"
}

# start_sms TO: number of SMs carrying START the simulator received for TO.
start_sms() {
	awk -F'\t' -v to="to=$1" '$1 == "SM" && $2 == to && /START:install/' "$WORK/m1.sms" | wc -l
}

: >"$WORK/fleet.txt"
for i in $(seq 1 45); do echo "$(num "$i") notify=900" >>"$WORK/fleet.txt"; done
for i in 46 47 48; do echo "$(num "$i") notify=909" >>"$WORK/fleet.txt"; done
for i in 49 50; do echo "$(num "$i") notify=none" >>"$WORK/fleet.txt"; done
echo "+491719999999 notify=none imei=$FLEET_IMEI" >>"$WORK/fleet.txt"
start_sim m1 --fleet "$WORK/fleet.txt"

cat >"$CONF" <<CONF
database = "$DB";
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT/"; };
profiles = (
  { name = "els61"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";
    app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; confirm_timeout = "2s"; },
  { name = "fleet"; password = "s3cret"; jad_url = "http://fw.example.com/f.jad";
    confirm_timeout = "2m"; }
);
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 2; backoff_initial = "200ms"; backoff_max = "1s"; };
split_delay = "200ms";
CONF

ctl init >/dev/null
for i in $(seq 1 50); do ctl enqueue --to "$(num "$i")" --profile els61 >/dev/null; done
FLEET_JOB=$(ctl enqueue --to +491719999999 --profile fleet --imei "$FLEET_IMEI")
ctl enqueue --to +491719999998 --profile fleet --imei 490154203237519 >/dev/null 2>&1 &&
	fail "enqueue accepted an IMEI with a wrong check digit"

start_otapd "$CONF"
wait_for "the listener" 10 bash -c "exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/$PORT"
wait_healthy "$PORT"   # /healthz is 200 once the modem is ready
[ "$(http_raw "GET /healthz HTTP/1.1\r\n\r\n")" = 200 ] || fail "healthz did not answer 200"

# A second otapd (another database) cannot take the port: it says so and exits.
sed "s|$DB|$WORK/other.db|" "$CONF" >"$WORK/other.conf"
# otapd no longer creates a missing database: create it as an operator would.
"$BIN/otapctl" -c "$WORK/other.conf" init >/dev/null
if timeout 10 "$BIN/otapd" -c "$WORK/other.conf" 2>"$WORK/other.err"; then
	fail "a second otapd started on a port in use"
fi
grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" "$WORK/other.err" ||
	fail "a second otapd did not explain the port in use: $(cat "$WORK/other.err")"

# ---- a fleet-wide notification, matched by the IMEI in the User-Agent
fleet_sent() { [ "$(sql "SELECT state FROM jobs WHERE id = $FLEET_JOB")" = sent ]; }
wait_for "the fleet job to be sent" 30 fleet_sent
[ "$(post /notify "900 Success" "ELS61/353456789012347 Profile/IMP-NG")" = 404 ] ||
	fail "a notification with an unknown IMEI was not answered 404"
[ "$(post /notify "900 Success")" = 404 ] || fail "an unknown IMEI was not answered 404"
[ "$(post /notify "900 Success" "ELS61/$FLEET_IMEI Profile/IMP-NG Configuration/CLDC-1.1")" = 200 ] ||
	fail "the fleet-wide notification was not answered 200"
[ "$(sql "SELECT state || ' ' || notify_code FROM jobs WHERE id = $FLEET_JOB")" = "confirmed 900" ] ||
	fail "the fleet-wide notification did not confirm job $FLEET_JOB"

# ---- the 50-unit scenario
all_final() {
	[ "$(sql "SELECT count(*) FROM jobs WHERE profile = 'els61' AND state IN ('confirmed', 'failed')")" = 50 ]
}
wait_for "all 50 jobs to be final" 120 all_final

[ "$(sql "SELECT count(*) FROM jobs WHERE state = 'confirmed' AND profile = 'els61' AND notify_code = 900
	AND confirmed_at IS NOT NULL")" = 45 ] || fail "expected 45 confirmed jobs"
for i in $(seq 1 45); do
	[ "$(sql "SELECT state FROM jobs WHERE msisdn = '$(num "$i")'")" = confirmed ] ||
		fail "$(num "$i") is not confirmed"
done
for i in 46 47 48; do
	row=$(sql "SELECT state, notify_code, last_error FROM jobs WHERE msisdn = '$(num "$i")'")
	[ "$row" = "failed|909|909 Application authentication failure" ] || fail "$(num "$i"): $row"
done
for i in 49 50; do
	row=$(sql "SELECT state, attempts FROM jobs WHERE msisdn = '$(num "$i")'")
	[ "$row" = "failed|2" ] || fail "$(num "$i") should have failed after 2 attempts: $row"
	sql "SELECT last_error FROM jobs WHERE msisdn = '$(num "$i")'" | grep -q "no confirmation" ||
		fail "$(num "$i"): last_error lacks 'no confirmation'"
	[ "$(start_sms "$(num "$i")")" = 2 ] || fail "$(num "$i") should have got its SMs twice"
	[ "$(sql "SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE
		j.msisdn = '$(num "$i")' AND a.result = 'unconfirmed'")" = 2 ] ||
		fail "$(num "$i"): expected two 'unconfirmed' attempt rows"
done
[ "$(grep -c "code=900.http=200" "$WORK/m1.sms")" -ge 45 ] || fail "the simulator's POSTs were not all answered 200"
# Every NOTIFYURL carried the job's own token, and every message fitted.
sql "SELECT count(*) FROM jobs WHERE length(notify_token) = 16" | grep -qx 51 || fail "tokens missing"

# otapctl shows what the units reported, in the table and in JSON.
ID46=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 46)'")
ctl status "$ID46" | grep -qE '^unit code: +909 \(Application authentication failure\)$' ||
	fail "otapctl status lacks the unit's code"
ctl status "$ID46" | grep -qE '^unit text: +Application authentication failure$' ||
	fail "otapctl status lacks the unit's text"
ctl status "$FLEET_JOB" | grep -qE "^imei: +$FLEET_IMEI\$" || fail "otapctl status lacks the IMEI"
# otapctl pdu --job shows exactly what the unit got, the job's own NOTIFYURL included.
want=$(awk -F'\t' -v to="to=$(num 46)" '$1 == "SM" && $2 == to { b = $9 } END { sub(/^body=/, "", b); print b }' "$WORK/m1.sms")
got=$(ctl pdu --job "$ID46" | tail -n 1 | xargs "$BIN/otapctl" decode --show-secrets | sed -n 's/^body: //p')
[ -n "$want" ] && [ "$got" = "$want" ] || fail "pdu --job differs from what the unit got: '$got' vs '$want'"
printf '%s' "$got" | grep -q "NOTIFYURL:http://127.0.0.1:$PORT/n/$ID46/" || fail "pdu --job lacks the job's NOTIFYURL"
ctl status "$FLEET_JOB" | grep -qE '^confirmed: +[0-9]{4}-' || fail "otapctl status lacks the confirmation time"
ctl status "$FLEET_JOB" --json | grep -q '"confirmed_at":"20.*"notify_code":900,"notify_text":"Success"' ||
	fail "otapctl status --json lacks confirmed_at/notify_code/notify_text"
ctl status "$FLEET_JOB" --json | grep -q "\"imei\":\"$FLEET_IMEI\"" || fail "otapctl status --json lacks imei"

# ---- forged and repeated notifications
CONFIRMED=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 7)'")
SILENT=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 49)'")
TOKEN=$(sql "SELECT notify_token FROM jobs WHERE id = $CONFIRMED")
SILENT_TOKEN=$(sql "SELECT notify_token FROM jobs WHERE id = $SILENT")
before_c=$(job_row "$CONFIRMED")
before_s=$(job_row "$SILENT")
[ "$(post "/n/$SILENT/abcdefghijklmnop" "900 Success")" = 404 ] || fail "a forged token was not answered 404"
[ "$(post "/n/$SILENT/$TOKEN" "900 Success")" = 404 ] || fail "another job's token was accepted"
[ "$(post "/n/$CONFIRMED/${TOKEN:0:15}" "909 x")" = 404 ] || fail "a short token was not answered 404"
[ "$(post "/n/999999/$TOKEN" "900 Success")" = 404 ] || fail "an unknown job was not answered 404"
[ "$(job_row "$SILENT")" = "$before_s" ] || fail "a forged notification changed job $SILENT"
# The genuine one again: 200, and nothing changes.
[ "$(post "/n/$CONFIRMED/$TOKEN" "900 Success")" = 200 ] || fail "a repeated notification was not 200"
[ "$(post "/n/$CONFIRMED/$TOKEN" "909 Application authentication failure")" = 200 ] ||
	fail "a late contradicting notification was not 200"
[ "$(job_row "$CONFIRMED")" = "$before_c" ] || fail "a repeated notification changed job $CONFIRMED"
# Wrong method, path, body.
[ "$(http_raw "GET /n/$CONFIRMED/$TOKEN HTTP/1.1\r\n\r\n")" = 405 ] || fail "GET on a job URL was not 405"
[ "$(post "/elsewhere" "900 Success")" = 404 ] || fail "an unknown path was not 404"
[ "$(post "/n/$CONFIRMED/$TOKEN" "hello")" = 400 ] || fail "a body without a code was not 400"

# ---- abuse: none of it may break the listener or hold up sending
[ "$(http_raw '\x01\x02 garbage\r\n\r\n')" = 400 ] || fail "garbage was not answered 400"
[ "$(http_raw "POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n900 x\r\n0\r\n\r\n")" = 411 ] ||
	fail "a chunked body was not answered 411"
[ "$(http_raw "GET /healthz HTTP/1.1\r\nX: $(head -c 9000 /dev/zero | tr '\0' a)\r\n\r\n")" = 431 ] ||
	fail "an oversized head was not answered 431"
[ "$(http_raw "POST /notify HTTP/1.1\r\nContent-Length: 99999\r\n\r\n")" = 413 ] ||
	fail "an oversized body was not answered 413"

# Slow clients: an unfinished head and an unfinished body. libmicrohttpd
# drops a connection that stays silent for the idle timeout (5 s), without
# an answer (the hand-written listener answered 408 here).
exec {slow_head}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /notify HTTP/1.1\r\nHost: x\r\n' >&"$slow_head"
exec {slow_body}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /notify HTTP/1.1\r\nContent-Length: 50\r\n\r\n900 ' >&"$slow_body"
# A flood from one address: more idle connections than one client may hold.
# Those beyond the per-address limit are closed at once, without an answer
# (the hand-written listener answered 503 once all its slots were taken);
# another client, here 127.0.0.2, is still served.
FLOOD=()
for _ in $(seq 300); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || break
	FLOOD+=("$fd")
done
[ "$(http_raw "GET /healthz HTTP/1.1\r\n\r\n")" = "" ] ||
	fail "a connection beyond the per-address limit was not refused"
[ "$(python3 "$TESTS/http_client.py" request --bind 127.0.0.2 "$PORT" 'GET /healthz HTTP/1.1\r\n\r\n')" = 200 ] ||
	fail "another client was not served while one address flooded the listener"
# Meanwhile the modems go on: two more jobs are sent.
EXTRA1=$(ctl enqueue --to +491718888881 --profile fleet)
EXTRA2=$(ctl enqueue --to +491718888882 --profile fleet)
extras_sent() { [ "$(sql "SELECT count(*) FROM jobs WHERE id IN ($EXTRA1, $EXTRA2) AND state = 'sent'")" = 2 ]; }
wait_for "jobs to be sent during the flood" 4 extras_sent
# read: 1 at the end of the stream (dropped), >128 when it timed out (kept).
reply="" rc=0
IFS= read -r -t 10 reply <&"$slow_head" || rc=$?
[ "$rc" = 1 ] && [ -z "$reply" ] || fail "a slow head was not dropped (read: $rc '$reply')"
reply="" rc=0
IFS= read -r -t 10 reply <&"$slow_body" || rc=$?
[ "$rc" = 1 ] && [ -z "$reply" ] || fail "a slow body was not dropped (read: $rc '$reply')"
for fd in "${FLOOD[@]}" "$slow_head" "$slow_body"; do exec {fd}>&-; done
healthy() { [ "$(http_raw "GET /healthz HTTP/1.1\r\n\r\n")" = 200 ]; }
wait_for "the listener to recover after the flood" 10 healthy

stop_otapd
! grep -E "s3cret|$TOKEN|$SILENT_TOKEN" "$WORK/otapd.log" || fail "a password or token appeared in the otapd log"
grep -q "notify: job $CONFIRMED (job URL): 900 Success" "$WORK/otapd.log" ||
	fail "no log line for the notification of job $CONFIRMED"
echo "ok: 45 confirmed, 3 failed with 909, 2 failed without confirmation; forged, repeated," \
	"fleet-wide and abusive requests handled"
