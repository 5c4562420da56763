# e2e_send.sh - 20 jobs over two profiles (one needing two SMs, one with
# PID 0x00 / class 0) through otapd and the modem simulator; asserts that
# every job is sent and that the simulated units got exactly the right
# bodies, PIDs and DCS, in order, with nothing else.
. "$(dirname "$0")/testlib.sh"

start_sim m1 --mr-start 250   # MRs wrap past 255 during the run
cat >"$CONF" <<CONF
database = "$DB";
profiles = (
  { name = "els61"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";
    app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; net_user = "m2m";
    net_password = "m2mpass"; dns = "10.0.0.53"; notify_url = "http://notify.example.com/otap"; },
  { name = "pls62"; password = "pls-pw"; jad_url = "http://fw.example.com/p.jad";
    pid = 0x00; sms_class = 0; }
);
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 3; backoff_initial = "200ms"; backoff_max = "1s"; };
split_delay = "300ms";
CONF

ctl init >/dev/null
for i in $(seq -w 1 12); do ctl enqueue --to "+4917100000$i" --profile els61 >/dev/null; done
for i in $(seq -w 1 8); do ctl enqueue --to "017200000$i" --profile pls62 >/dev/null; done
[ "$(count_state queued)" = 20 ] || fail "expected 20 queued jobs"

start_otapd "$CONF"
wait_for "20 sent jobs" 60 state_count_is sent 20
stop_otapd

[ "$(count_state sending)" = 0 ] || fail "jobs left in sending"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='sent'")" = 20 ] || fail "expected one sent attempt per job"

ELS1='OTAP_IMPNG\nPWD:s3cret\nJADURL:http://fw.example.com/els61/app.jad\nAPPDIR:a:/app\nBEARER:gprs\nAPNORNUM:internet.m2m\nNETUSER:m2m\nNETPWD:m2mpass\n'
ELS2='OTAP_IMPNG\nPWD:s3cret\nDNS:10.0.0.53\nNOTIFYURL:http://notify.example.com/otap\nSTART:install\n'
PLS='OTAP_IMPNG\nPWD:pls-pw\nJADURL:http://fw.example.com/p.jad\nSTART:install\n'

[ "$(grep -c '^SM' "$WORK/m1.sms")" = 32 ] || fail "expected 32 SMs at the simulator"
for i in $(seq -w 1 12); do
	to="+4917100000$i"
	got=$(awk -F'\t' -v to="to=$to" '$1 == "SM" && $2 == to' "$WORK/m1.sms")
	[ "$(printf '%s\n' "$got" | wc -l)" = 2 ] || fail "$to: expected 2 SMs"
	printf '%s\n' "$got" | sed -n 1p | grep -qF "body=$ELS1" || fail "$to: first SM body wrong"
	printf '%s\n' "$got" | sed -n 2p | grep -qF "body=$ELS2" || fail "$to: second SM (START) body wrong"
	printf '%s\n' "$got" | grep -v -P '\tpid=7D\tdcs=F5\t' && fail "$to: wrong PID/DCS"
done
for i in $(seq -w 1 8); do
	to="017200000$i"
	got=$(awk -F'\t' -v to="to=$to" '$1 == "SM" && $2 == to' "$WORK/m1.sms")
	[ "$(printf '%s\n' "$got" | wc -l)" = 1 ] || fail "$to: expected 1 SM"
	printf '%s\n' "$got" | grep -qF "body=$PLS" || fail "$to: body wrong"
	printf '%s\n' "$got" | grep -q -P '\tpid=00\tdcs=F4\t' || fail "$to: expected PID 00 / DCS F4"
done
! grep -E 's3cret|pls-pw|m2mpass' "$WORK/otapd.log" || fail "a password appeared in the otapd log"
echo "ok: 20 jobs sent, bodies/PIDs/DCS as expected"
