#!/usr/bin/env bash
# e2e_funnel.sh - the download funnel end to end: a 50-unit rollout whose
# profiles name local artifacts, so otapd serves each unit its own JAD and
# JAR; the simulated units download them like modules, with faults: never
# reaching the server (the PLS62-W case), JAD only, JAR cut halfway, the
# whole JAR but no report, a 901 report. Afterwards each unit's diagnosis
# (stopped_at, cause) matches its fault, the funnel in rollout status adds
# up, the events show what the units fetched, and retry --stopped-at picks
# exactly the units that stopped there.
. "$(dirname "$0")/testlib.sh"

TAB=$'\t'
SMALL=200000
BIG=24000000    # larger than loopback's socket buffers: a cut shows as a cut

PORT=$(pick_port)

head -c "$SMALL" /dev/urandom >"$WORK/app.jar"
head -c "$BIG" /dev/zero >"$WORK/big.jar"
printf 'MIDlet-Name: Tracker\r\nMIDlet-Vendor: Acme\r\nMIDlet-Version: 4.17\r\n' >"$WORK/app.jad"
printf 'MIDlet-Jar-URL: http://old.example.com/t.jar\r\nMIDlet-Jar-Size: 1\r\n' >>"$WORK/app.jad"
printf 'MIDlet-Install-Notify: http://old.example.com/notify\r\n' >>"$WORK/app.jad"
printf 'MicroEdition-Profile: IMP-NG\r\n' >>"$WORK/app.jad"

# The units: what each one does, and its class for the checks below.
num() { printf '+4917200000%02d' "$1"; }
class() {
	if [ "$1" -le 30 ]; then echo good
	elif [ "$1" -le 36 ]; then echo unreachable
	elif [ "$1" -le 40 ]; then echo jadonly
	elif [ "$1" -le 44 ]; then echo cut
	elif [ "$1" -le 47 ]; then echo noreport
	else echo failed901
	fi
}
{
	echo "msisdn,profile,model"
	for i in $(seq 50); do
		case $(class "$i") in
		unreachable) echo "$(num "$i"),p,PLS62-W" ;;
		cut) echo "$(num "$i"),big,ELS61" ;;
		*) echo "$(num "$i"),p,ELS61" ;;
		esac
	done
} >"$WORK/fleet.csv"
for i in $(seq 50); do
	case $(class "$i") in
	good) echo "$(num "$i") download=yes" ;;
	unreachable) echo "$(num "$i") download=unreachable product=PLS62-W" ;;
	jadonly) echo "$(num "$i") download=jad-only" ;;
	cut) echo "$(num "$i") download=cut" ;;
	noreport) echo "$(num "$i") download=yes notify=none" ;;
	failed901) echo "$(num "$i") download=yes notify=901" ;;
	esac
done >"$WORK/units.txt"
start_sim m1 --fleet "$WORK/units.txt" --notify-delay 20

profile() { # profile NAME JAR
	printf '{ name = "%s"; password = "s3cret"; jar_file = "%s"; jad_file = "%s"; ' \
		"$1" "$2" "$WORK/app.jad"
	printf 'status_report = true; confirm_timeout = "8s"; }'
}
cat >"$CONF" <<CONF
database = "$DB";
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT"; };
profiles = ( $(profile p "$WORK/app.jar"), $(profile big "$WORK/big.jar") );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 1; };
CONF
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the listener" 10 curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null
ctl rollout create fl --profile p --file "$WORK/fleet.csv" --no-preflight >/dev/null 2>&1 ||
	ctl rollout create fl --profile p --file "$WORK/fleet.csv" >/dev/null

final() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('confirmed', 'failed')")" = 50 ]; }
wait_for "all 50 jobs to be final" 60 final

# ---- each unit's diagnosis matches its fault.
ctl diagnose --rollout fl --json >"$WORK/diag.json"
python3 - "$WORK/diag.json" "$(num 0)" <<'PY' || fail "diagnosis does not match the faults: $(cat "$WORK/diag.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
prefix = sys.argv[2][:-2]
def cls(n):
    return ("unreachable" if n <= 36 else "jadonly" if n <= 40 else "cut" if n <= 44
            else "noreport" if n <= 47 else "failed901")
want = {"unreachable": ("delivered", "never fetched its JAD"),
        "jadonly": ("jad_fetched", "never asked for the JAR"),
        "cut": ("jar_partial", "cut short"),
        "noreport": ("jar_fetched", "never reported"),
        "failed901": ("reported", "reported 901 Insufficient memory")}
assert len(rows) == 20, "expected the 20 unconfirmed units, got %d" % len(rows)
for r in rows:
    n = int(r["msisdn"][len(prefix):])
    step, words = want[cls(n)]
    assert r["stopped_at"] == step, (n, r)
    assert words in r["cause"], (n, r)
    assert r["state"] == "failed", (n, r)
    assert isinstance(r["advice"], list) and r["advice"], (n, r)
    assert "s3cret" not in json.dumps(r), "a secret in the diagnosis"
PY
# The text groups them, with what the fleet file says they share.
ctl diagnose --rollout fl >"$WORK/diag.txt"
grep -q "^6 units: delivered, but the unit never fetched its JAD.* - all model=PLS62-W$" "$WORK/diag.txt" ||
	fail "the PLS62-W group is missing: $(cat "$WORK/diag.txt")"
grep -q 'AT^SJOTAP=\*\*\*\*,' "$WORK/diag.txt" || fail "no AT^SJOTAP line with the password masked"
! grep -q s3cret "$WORK/diag.txt" || fail "the password shows in diagnose"

# ---- the funnel adds up.
ctl rollout status fl --json >"$WORK/status.json"
python3 - "$WORK/status.json" <<'PY' || fail "the funnel does not add up: $(cat "$WORK/status.json")"
import json, sys
f = json.load(open(sys.argv[1]))["funnel"]
stopped = {k: v["units"] for k, v in f["stopped"].items()}
failed = {k: v["failed"] for k, v in f["stopped"].items()}
assert sum(stopped.values()) == 50, stopped
assert stopped == {"queued": 0, "sent": 0, "delivered": 6, "jad_fetched": 4,
                   "jar_partial": 4, "jar_fetched": 3, "reported": 33}, stopped
assert failed == {"queued": 0, "sent": 0, "delivered": 6, "jad_fetched": 4,
                  "jar_partial": 4, "jar_fetched": 3, "reported": 3}, failed
assert f["reached"] == {"sent": 50, "delivered": 50, "jad_fetched": 44, "jar_partial": 40,
                        "jar_fetched": 36, "reported": 33}, f["reached"]
PY

# ---- the events show what a unit fetched, from whom, how much.
GOOD=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 1)'")
# (Its delivery report may come before or after the download. So may its
# "sent": the simulated unit fetches within milliseconds of +CMGS, which can
# beat the worker's commit on a loaded machine; a module needs seconds to
# attach. The unit's own steps keep their order.)
# (The SQL here reads the same on SQLite and PostgreSQL: e2e_pg_funnel.sh.)
KINDS=$(sql "SELECT kind FROM events WHERE job_id = $GOOD AND kind NOT IN ('delivered', 'sent') ORDER BY id" | paste -sd ' ')
[ "$KINDS" = "jad_fetched jar_fetched notified" ] || fail "events of job $GOOD: $KINDS"
[ "$(sql "SELECT count(*) FROM events WHERE job_id = $GOOD AND kind = 'sent'")" = 1 ] ||
	fail "job $GOOD must have one sent event"
[ "$(sql "SELECT bytes || '/' || size || ' ' || client || ' ' || product FROM events WHERE job_id = $GOOD AND kind = 'jar_fetched'")" = \
	"$SMALL/$SMALL 127.0.0.1 ELS61" ] || fail "the JAR event of job $GOOD is wrong"
CUT=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 41)'")
[ "$(sql "SELECT count(*) FROM events WHERE job_id = $CUT AND kind = 'jar_partial' AND bytes < size AND size = $BIG")" = 1 ] ||
	fail "the cut JAR of job $CUT is not recorded as partial"
ctl status "$GOOD" --json | grep -q '"events":\[{"time":"[^"]*","kind":"[a-z_]*".*"kind":"jar_fetched"' ||
	fail "status --json has no events array"
ctl status "$GOOD" | grep -q 'jar_fetched by 127.0.0.1 ELS61 IMEI [0-9]* 200000 of 200000 bytes' ||
	fail "status shows no timeline: $(ctl status "$GOOD")"
# The JAD each unit got names its own JAR, the JAR's real size and its
# own notify URL, whatever the template said.
grep -q "^HTTP${TAB}to=$(num 1)${TAB}method=GET${TAB}url=http://127.0.0.1:$PORT/j/$GOOD/[a-z2-7]*\.jad${TAB}status=200" "$WORK/m1.sms" ||
	fail "unit 1 did not fetch its own JAD"
grep -q "^JAD${TAB}to=$(num 1)${TAB}result=ok${TAB}jar_url=http://127.0.0.1:$PORT/j/$GOOD/[a-z2-7]*\.jar${TAB}jar_size=$SMALL${TAB}install_notify=http://127.0.0.1:$PORT/n/$GOOD/" "$WORK/m1.sms" ||
	fail "unit 1's JAD does not name its JAR, size and notify URL"
# A forged token gets nothing and records nothing.
EVENTS=$(sql "SELECT count(*) FROM events")
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/j/$GOOD/aaaaaaaaaaaaaaaa.jad")" = 404 ] ||
	fail "a forged token was served"
[ "$(sql "SELECT count(*) FROM events")" = "$EVENTS" ] || fail "a forged request was recorded"

# ---- retry --stopped-at takes exactly the units that stopped there.
ctl retry --failed --rollout fl --stopped-at delivered >/dev/null
[ "$(sql "SELECT msisdn FROM jobs WHERE state IN ('queued', 'sending', 'sent', 'delivered') ORDER BY msisdn" | sed 's/.*\(..\)$/\1/' | paste -sd ' ')" = \
	"31 32 33 34 35 36" ] || fail "retry --stopped-at delivered took other units: $(sql "SELECT msisdn, state FROM jobs WHERE state <> 'failed' AND state <> 'confirmed'")"
echo "PASS: 50 units, each diagnosed at its step; funnel, events and retry --stopped-at agree"
