# e2e_cds.sh - SMS status reports end to end: a profile with status_report
# = true makes otapd request TP-SRR and enable +CDS (AT+CNMI); the
# simulator answers each SM with a report whose TP-ST is set per number.
# TP-ST 00 -> delivered; 41 (permanent) -> failed; 60 (temporary, the SMSC
# gave up) -> queued again until the attempts are used up; 01 (delivery
# unconfirmed) -> stays sent.
. "$(dirname "$0")/testlib.sh"

num() { printf '+4917200000%02d' "$1"; }

: >"$WORK/fleet.txt"
for i in 1 2 3 4; do echo "$(num "$i") cds=00" >>"$WORK/fleet.txt"; done
echo "$(num 5) cds=41" >>"$WORK/fleet.txt"
echo "$(num 6) cds=60" >>"$WORK/fleet.txt"
echo "$(num 7) cds=01" >>"$WORK/fleet.txt"
start_sim m1 --fleet "$WORK/fleet.txt"

# The body needs two SMs: the report on the part carrying START decides.
cat >"$CONF" <<CONF
database = "$DB";
profiles = (
  { name = "srr"; password = "s3cret"; jad_url = "http://fw.example.com/els61/app.jad";
    app_dir = "a:/app"; bearer = "gprs"; apn = "internet.m2m"; net_user = "m2m";
    net_password = "m2mpass"; dns = "10.0.0.53"; status_report = true; }
);
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 3; backoff_initial = "200ms"; backoff_max = "1s"; };
split_delay = "200ms";
CONF

ctl init >/dev/null
for i in $(seq 1 7); do ctl enqueue --to "$(num "$i")" --profile srr >/dev/null; done
job_of() { sql "SELECT id FROM jobs WHERE msisdn = '$(num "$1")'"; }
state_of() { sql "SELECT state FROM jobs WHERE msisdn = '$(num "$1")'"; }

start_otapd "$CONF"
settled() {
	[ "$(count_state delivered)" = 4 ] && [ "$(state_of 5)" = failed ] &&
		[ "$(state_of 6)" = failed ] && [ "$(state_of 7)" = sent ] &&
		[ "$(sql "SELECT count(*) FROM attempts WHERE result = 'report' AND
			job_id = $(job_of 7)")" -ge 1 ]
}
wait_for "the status reports to settle" 60 settled
sleep 0.5       # late reports must not move anything
settled || fail "a job moved after settling"
stop_otapd

grep -qP '^SM\t.*\tsrr=1\t' "$WORK/m1.sms" || fail "the SMs did not request a status report"
grep -qP '\tsrr=0\t' "$WORK/m1.sms" && fail "an SM went out without TP-SRR"
grep -q '^CDS' "$WORK/m1.sms" || fail "the simulator emitted no +CDS (AT+CNMI not enabled?)"
for i in 1 2 3 4; do
	row=$(sql "SELECT state, attempts, CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END FROM jobs WHERE msisdn = '$(num "$i")'")
	[ "$row" = "delivered|1|1" ] || fail "$(num "$i"): $row"
	[ "$(sql "SELECT count(*) FROM attempts WHERE job_id = $(job_of "$i") AND result = 'delivered'")" -ge 1 ] ||
		fail "$(num "$i"): no 'delivered' attempt row"
done
row=$(sql "SELECT attempts, last_error FROM jobs WHERE msisdn = '$(num 5)'")
[[ "$row" == "1|status report: TP-ST 0x41 "* ]] || fail "$(num 5): $row"
row=$(sql "SELECT attempts, last_error FROM jobs WHERE msisdn = '$(num 6)'")
[[ "$row" == "3|gave up after 3 attempts: status report: TP-ST 0x60 "* ]] || fail "$(num 6): $row"
[ "$(sql "SELECT count(*) FROM attempts WHERE job_id = $(job_of 6) AND result = 'report-retry'")" -ge 3 ] ||
	fail "$(num 6): expected a 'report-retry' attempt row per send"
starts=$(awk -F'\t' -v to="to=$(num 6)" '$1 == "SM" && $2 == to && /START:install/' "$WORK/m1.sms" | wc -l)
[ "$starts" = 3 ] || fail "$(num 6) should have been sent 3 times, got $starts"

# Every part's status report is in the history: the one on part 1 comes
# back during the split delay, before the send is recorded.
for i in 1 2 3 4; do
	for part in "SM 1/2" "SM 2/2"; do
		[ "$(sql "SELECT count(*) FROM attempts WHERE job_id = $(job_of "$i") AND detail LIKE 'status report for $part:%'")" -ge 1 ] ||
			fail "$(num "$i"): the status report of $part is missing from the history"
	done
done

# otapctl shows the delivery time, in the table and in JSON.
ID=$(job_of 1)
ctl status "$ID" | grep -qE '^delivered: +[0-9]{4}-' || fail "otapctl status lacks the delivery time"
ctl status "$ID" --json | grep -q '"delivered_at":"20' || fail "otapctl status --json lacks delivered_at"
ctl status "$(job_of 7)" --json | grep -q '"delivered_at":null' || fail "job 7 should not be delivered"
echo "ok: status reports: 4 delivered, 0x41 failed, 0x60 retried to failure, 0x01 left sent"
