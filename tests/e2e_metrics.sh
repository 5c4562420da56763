# e2e_metrics.sh - the admin listener's GET /metrics: otapd sends to the
# simulator (its first submit refused with +CMS ERROR 42, then retried), and
# the scrape is parsed as Prometheus text format 0.0.4 (HELP and TYPE before
# each family's samples, valid names, numeric values); its numbers agree
# with the database (one install notification 900 counted); no secret of
# the profile and no token appears. /metrics is 404 on
# the units' notify listener, POST /metrics 405, other paths 404.
. "$(dirname "$0")/testlib.sh"

NPORT=$(pick_port)
APORT=$(pick_port)
while [ "$APORT" = "$NPORT" ]; do APORT=$(pick_port); done
SECRET=Sup3rSecretPassw0rd
start_sim m1 --cms-error 42@1-1
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$SECRET"; jad_url = "http://fw.example.com/a.jad";
               http_password = "${SECRET}h"; net_password = "${SECRET}n"; } );
retry = { max_attempts = 5; backoff_initial = "200ms"; backoff_max = "1s"; };
notify = { listen = "127.0.0.1:$NPORT"; public_url = "http://127.0.0.1:$NPORT/"; };
admin = { listen = "127.0.0.1:$APORT"; };
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
CONF
"$BIN/otapd" -c "$CONF" --check-config >"$WORK/check.out" 2>&1 || fail "check-config: $(cat "$WORK/check.out")"
grep -q "listen = \"127.0.0.1:$APORT\"" "$WORK/check.out" || fail "admin.listen not in the dump: $(cat "$WORK/check.out")"

ctl init >/dev/null
N=3
for i in $(seq 1 $N); do ctl enqueue --to "+49171000001$i" --profile p >/dev/null; done
start_otapd "$CONF"
sent_all() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('sent','delivered','confirmed')")" = $N ]; }
wait_for "all $N jobs sent" 60 sent_all
m1_counts_all() { [ "$(sql "SELECT count(*) FROM modems WHERE name='m1' AND sms_sent >= $N")" = 1 ]; }
wait_for "m1's row counting $N SMs" 30 m1_counts_all

# One unit reports its install (900) on the notify listener.
JOB=$(sql "SELECT min(id) FROM jobs")
TOKEN=$(sql "SELECT notify_token FROM jobs WHERE id = $JOB")
[ -n "$TOKEN" ] || fail "job $JOB has no notify token"
ncode=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
	-A "ELS61/490154203237518 Profile/IMP-NG" --data-binary '900 Success' \
	"http://127.0.0.1:$NPORT/n/$JOB/$TOKEN") || true
[ "$ncode" = 200 ] || fail "the notification was answered $ncode"

cat >"$WORK/parse.py" <<'PY'
import re, sys
# Parses Prometheus text format 0.0.4 strictly enough for otapd's output;
# prints "name{sorted labels} value" per sample; exits 1 on a format error.
NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
help_, type_, seen_samples = {}, {}, set()
def die(msg, line):
    sys.exit("format error: %s: %r" % (msg, line))
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    die("no final newline", text[-40:])
for line in text.split("\n")[:-1]:
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        parts = line.split(" ", 3)
        if len(parts) < 4 or not NAME.match(parts[2]):
            die("bad comment line", line)
        name = parts[2]
        if name in seen_samples:
            die("HELP/TYPE after samples", line)
        if parts[1] == "HELP":
            if name in help_: die("second HELP", line)
            help_[name] = parts[3]
        else:
            if name in type_: die("second TYPE", line)
            if parts[3] not in ("counter", "gauge", "untyped", "histogram", "summary"):
                die("bad type", line)
            type_[name] = parts[3]
        continue
    if line.startswith("#") or not line:
        die("unexpected line", line)
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
    if not m:
        die("bad sample", line)
    name, body, value = m.group(1), m.group(3), m.group(4)
    labels = []
    if body is not None:
        pos = 0
        while pos < len(body):
            lm = LABEL.match(body, pos)
            if not lm: die("bad labels", line)
            labels.append((lm.group(1), lm.group(2)))
            pos = lm.end()
            if pos < len(body):
                if body[pos] != ",": die("bad label separator", line)
                pos += 1
    try:
        float(value)
    except ValueError:
        die("bad value", line)
    if name not in help_ or name not in type_:
        die("sample without HELP and TYPE before it", line)
    seen_samples.add(name)
    print("%s{%s} %s" % (name, ",".join('%s="%s"' % l for l in sorted(labels)), value))
for name in type_:
    if name not in help_: die("TYPE without HELP", name)
for name in help_:
    print("FAMILY %s %s" % (name, type_.get(name)))
PY

scrape() {
	curl -s -D "$WORK/metrics.head" -o "$WORK/metrics.txt" -w '%{http_code}' "http://127.0.0.1:$APORT/metrics"
}
[ "$(scrape)" = 200 ] || fail "GET /metrics: $(cat "$WORK/metrics.head")"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/metrics.head" ||
	fail "content type: $(cat "$WORK/metrics.head")"
python3 "$WORK/parse.py" "$WORK/metrics.txt" >"$WORK/samples.txt" || fail "parse: $(cat "$WORK/metrics.txt")"
value() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/samples.txt"; }
for fam in otapd_jobs:gauge otapd_rollout_jobs:gauge otapd_sms_sent_total:counter \
	otapd_sms_errors_total:counter otapd_modem_up:gauge otapd_modem_signal_dbm:gauge \
	otapd_notifications_total:counter otapd_oldest_due_job_age_seconds:gauge; do
	grep -qx "FAMILY ${fam%%:*} ${fam##*:}" "$WORK/samples.txt" || fail "family $fam missing: $(cat "$WORK/metrics.txt")"
done
sent=$(value 'otapd_sms_sent_total{modem="m1"}')
[ -n "$sent" ] && [ "$sent" -ge $N ] || fail "sms_sent_total for m1 is '$sent', want >= $N"
[ "$(value 'otapd_modem_up{modem="m1"}')" = 1 ] || fail "m1 must be up: $(cat "$WORK/metrics.txt")"
[ "$(value 'otapd_modem_signal_dbm{modem="m1"}')" = -71 ] || fail "m1 signal: $(cat "$WORK/metrics.txt")"
errs=$(value 'otapd_sms_errors_total{code="42",modem="m1"}')
want=$(sql "SELECT count(*) FROM attempts WHERE modem='m1' AND cms_error=42")
[ "$want" -ge 1 ] && [ "$errs" = "$want" ] || fail "sms_errors_total{m1,42} is '$errs', the database has $want"
[ "$(value 'otapd_notifications_total{result="900"}')" = 1 ] ||
	fail "notifications_total{900} must be 1: $(cat "$WORK/metrics.txt")"
[ "$(value 'otapd_oldest_due_job_age_seconds{}')" = 0 ] || fail "no job is due: $(cat "$WORK/metrics.txt")"

# Every state has a sample, and each agrees with the database (a status
# report may move a job between the scrape and the count: look again).
jobs_agree() {
	scrape >/dev/null && python3 "$WORK/parse.py" "$WORK/metrics.txt" >"$WORK/samples.txt" || return 1
	local st
	for st in queued sending sent delivered confirmed failed cancelled; do
		[ "$(value "otapd_jobs{state=\"$st\"}")" = "$(count_state "$st")" ] || return 1
	done
}
wait_for "otapd_jobs to match the database" 10 jobs_agree
total=0
for st in queued sending sent delivered confirmed failed cancelled; do
	total=$((total + $(value "otapd_jobs{state=\"$st\"}")))
done
[ $total = $N ] || fail "otapd_jobs sums to $total, want $N"

grep -q "$SECRET" "$WORK/metrics.txt" && fail "a secret of the profile is in /metrics"
grep -qi "passw" "$WORK/metrics.txt" && fail "/metrics mentions a password"
grep -qF "$TOKEN" "$WORK/metrics.txt" && fail "a notify token is in /metrics"

code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
[ "$(code "http://127.0.0.1:$NPORT/metrics")" = 404 ] || fail "/metrics on the notify listener must be 404"
[ "$(code -X POST -d x "http://127.0.0.1:$APORT/metrics")" = 405 ] || fail "POST /metrics must be 405"
[ "$(code -I "http://127.0.0.1:$APORT/metrics")" = 200 ] || fail "HEAD /metrics must be 200"
[ "$(code "http://127.0.0.1:$APORT/healthz")" = 404 ] || fail "other paths on the admin listener must be 404"
grep -q "admin: listening on 127.0.0.1:$APORT" "$WORK/otapd.log" || fail "no admin listening line"

stop_otapd
echo "PASS e2e_metrics ($N jobs, $sent SMs, $errs +CMS 42)"
