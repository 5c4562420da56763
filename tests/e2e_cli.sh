#!/usr/bin/env bash
# e2e_cli.sh - otapctl end to end without a modem: help texts, exit codes,
# init/enqueue/status/cancel against a temp database, the pdu preview of the
# spec's worked example, and that no password ever reaches the output.
set -euo pipefail

BIN=${OTAP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin}
CTL="$BIN/otapctl"
WORK=$(mktemp -d /tmp/otap-e2e-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Never pick up an operator's config from the environment.
unset OTAPD_CONFIG

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run ARGS...: runs otapctl; sets RC, OUT, ERR (never aborts the script).
run() {
	RC=0
	"$CTL" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# expect_rc CODE WHAT: checks the last run's exit status.
expect_rc() {
	[ "$RC" -eq "$1" ] || fail "$2: exit $RC, expected $1 (stdout: $OUT) (stderr: $ERR)"
}

# expect_error CODE PATTERN WHAT: exit CODE and an "otapctl: " message on
# stderr matching PATTERN, nothing on stdout.
expect_error() {
	expect_rc "$1" "$3"
	grep -q '^otapctl: ' "$WORK/err" || fail "$3: stderr lacks the otapctl: prefix: $ERR"
	grep -qE -- "$2" "$WORK/err" || fail "$3: stderr does not match '$2': $ERR"
	[ -z "$OUT" ] || fail "$3: unexpected stdout: $OUT"
}

no_secret() {
	! grep -q 'secret' "$WORK/out" "$WORK/err" || fail "$1: password text in the output"
}

DB="$WORK/otap.db"
CONF="$WORK/otapd.conf"
cat >"$CONF" <<EOF
database = "$DB";
retry = { max_attempts = 3; };
profiles = (
	{ name = "pls62"; password = "secret"; jad_url = "http://fw.example.com/app.jad"; },
	{ name = "nopw"; jad_url = "http://fw.example.com/app.jad"; app_dir = "a:/app"; },
	{ name = "split"; password = "secret"; apn = "internet.m2m.example.com";
	  jad_url = "http://fw.example.com/a/very/long/path/to/the/firmware/of/this/unit/app.jad"; }
);
EOF

# ---------------------------------------------------------------- help
COMMANDS="init enqueue status cancel pdu decode"
run --help
expect_rc 0 "otapctl --help"
for c in $COMMANDS; do
	grep -qE "^  $c " "$WORK/out" || fail "usage does not list $c"
done
run -h
expect_rc 0 "otapctl -h"
for c in $COMMANDS; do
	run "$c" --help
	expect_rc 0 "$c --help"
	grep -q "^usage: otapctl.* $c" "$WORK/out" || fail "$c --help prints no usage: $OUT"
	run "$c" -h
	expect_rc 0 "$c -h"
	run help "$c"
	expect_rc 0 "help $c"
	grep -q "^usage: otapctl.* $c" "$WORK/out" || fail "help $c prints no usage"
done
run
expect_rc 2 "no command"
grep -q '^usage:' "$WORK/err" || fail "no command: no usage on stderr"
run frobnicate
expect_error 2 "unknown command 'frobnicate'" "unknown command"
run help frobnicate
expect_error 2 "unknown command 'frobnicate'" "help of an unknown command"
run --bogus status
expect_error 2 "unknown global option '--bogus'" "unknown global option"

# ---------------------------------------------------------------- init
run --db "$WORK/no/such/dir/otap.db" init
expect_error 1 "directory $WORK/no/such/dir" "init in a missing directory"
run --db "$DB" status
expect_error 1 "does not exist" "status before init"
[ ! -e "$DB" ] || fail "status created the database"
# --db alone: no config file is needed (none exists at the default path
# under the test's control, so point -c at a missing file to prove it).
run -c "$WORK/missing.conf" --db "$DB" init
expect_rc 0 "init with --db only"
[[ "$OUT" =~ ^initialised\ $DB\ \(schema\ version\ [0-9]+\)$ ]] || fail "init said: $OUT"
[ "$(stat -c %a "$DB")" = 600 ] || fail "database mode is $(stat -c %a "$DB"), expected 600"
run -c "$CONF" init
expect_rc 0 "init again via the config"
run -c "$WORK/missing.conf" status
expect_error 2 "missing.conf" "status with a missing config and no --db"

# ------------------------------------------------------------- enqueue
run -c "$CONF" enqueue --to +491701234567 --profile pls62
expect_rc 0 "enqueue"
[[ "$OUT" =~ ^[0-9]+$ ]] || fail "enqueue printed more than an id: '$OUT'"
[ -z "$ERR" ] || fail "enqueue with a password warned: $ERR"
no_secret "enqueue"
ID1=$OUT

run -c "$CONF" enqueue --to 01701234567 --profile nopw --action delete --at +30m --max-attempts 7
expect_rc 0 "enqueue without password"
[[ "$OUT" =~ ^[0-9]+$ ]] || fail "enqueue (nopw) printed more than an id: '$OUT'"
grep -q "warning: profile nopw has no password" "$WORK/err" || fail "no warning for nopw: $ERR"
ID2=$OUT
[ "$ID2" -gt "$ID1" ] || fail "ids not increasing: $ID1 then $ID2"

run -c "$CONF" enqueue --to +4917x --profile pls62
expect_error 2 "invalid MSISDN '\+4917x': .*digit" "bad MSISDN"
run -c "$CONF" enqueue --to +491701234567 --profile nosuch
expect_error 2 "unknown profile 'nosuch' \(configured: pls62, nopw, split\)" "unknown profile"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --action upgrade
expect_error 2 "invalid action 'upgrade'" "bad action"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --frobnicate
expect_error 2 "unknown option '--frobnicate'" "unknown option"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 -q
expect_error 2 "unknown option '-q'" "unknown short option"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --at "2030-02-30 10:00"
expect_error 2 "invalid time '2030-02-30 10:00'" "impossible date"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --at tomorrow
expect_error 2 "invalid time 'tomorrow'" "unparsable time"
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --max-attempts 0
expect_error 2 "invalid --max-attempts '0'" "zero attempts"
run -c "$CONF" enqueue --profile pls62
expect_error 2 "--to MSISDN is required" "missing --to"
run -c "$CONF" enqueue --to
expect_error 2 "option --to needs a value" "--to without value"
run -c "$CONF" enqueue --db "$DB" --to +491701234567 --profile pls62
expect_error 2 "global option" "global option after the command"

# Times: UTC with Z, and local time in a zone with DST. Schedule times
# must lie within a year, so the dates are the next 3 February / 1 July.
next_date() {
	local y t
	y=$(date -u +%Y)
	t="$y-$1"
	[ "$(date -u -d "$t" +%s)" -gt "$(date -u +%s)" ] || t="$((y + 1))-$1"
	echo "$t"
}
FEB=$(next_date 02-03)
JUL=$(next_date 07-01)
run -c "$CONF" enqueue --to +491701234567 --profile pls62 --at "${FEB}T10:00:05Z"
expect_rc 0 "enqueue --at ...Z"
ID_UTC=$OUT
run --db "$DB" status "$ID_UTC" --json
grep -q "\"not_before\":\"${FEB}T10:00:05.000Z\"" "$WORK/out" || fail "UTC --at stored wrongly: $OUT"
if [ -e /usr/share/zoneinfo/Europe/Berlin ]; then
	RC=0
	TZ=Europe/Berlin "$CTL" -c "$CONF" enqueue --to +491701234567 --profile pls62 \
		--at "$JUL 12:00" >"$WORK/out" 2>"$WORK/err" || RC=$?
	expect_rc 0 "enqueue --at local time"
	run --db "$DB" status "$(cat "$WORK/out")" --json
	grep -q "\"not_before\":\"${JUL}T10:00:00.000Z\"" "$WORK/out" ||
		fail "local --at (CEST) stored wrongly: $OUT"
fi

# A password with a real newline (would inject a keyword) is refused by the
# config loader, and the password never shows up in the reason.
BADCONF="$WORK/bad.conf"
printf 'database = "%s";\nprofiles = ( { name = "p"; password = "hunter2\nSTART:delete"; } );\n' \
	"$DB" >"$BADCONF"
run -c "$BADCONF" enqueue --to +491701234567 --profile p
expect_rc 2 "password with a newline"
! grep -q 'hunter2' "$WORK/err" || fail "the password leaked into stderr: $ERR"
printf 'database = "%s";\nprofiles = ( { name = "p"; password = "hunter2\\nSTART:delete"; } );\n' \
	"$DB" >"$BADCONF"
run -c "$BADCONF" pdu --to +491701234567 --profile p
expect_rc 2 "password with an escaped newline"
! grep -q 'hunter2' "$WORK/err" || fail "the password leaked into stderr: $ERR"

# -------------------------------------------------------------- status
run --db "$DB" status
expect_rc 0 "status"
for s in queued sending sent delivered confirmed failed cancelled; do
	grep -qE "^  $s +[0-9]+$" "$WORK/out" || fail "status summary lacks state $s: $OUT"
done
grep -qE "^ *$ID1 +\+491701234567 +pls62 +install +queued +0/3 " "$WORK/out" ||
	fail "status table lacks job $ID1: $OUT"
grep -qE "^ *$ID2 +01701234567 +nopw +delete +queued +0/7 " "$WORK/out" ||
	fail "status table lacks job $ID2 with its options: $OUT"
no_secret "status"

run --db "$DB" status --json
expect_rc 0 "status --json"
if command -v python3 >/dev/null; then
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert set(d["counts"]) == {"queued", "sending", "sent", "delivered", "confirmed", "failed", "cancelled"}, d
j = d["jobs"][-1]
for k in ("id", "msisdn", "profile", "action", "state", "rollout", "attempts", "max_attempts",
          "not_before", "last_error", "modem", "created_at", "updated_at"):
    assert k in j, k
assert j["rollout"] is None and j["last_error"] is None and j["modem"] is None, j
assert j["created_at"].endswith("Z") and j["created_at"][10] == "T", j
' <"$WORK/out" || fail "status --json is not the expected JSON: $OUT"
else
	grep -q '^{"counts":{"queued":' "$WORK/out" || fail "status --json: $OUT"
fi
no_secret "status --json"

# One shape with or without filters (was a bare array with filters).
run --db "$DB" status --to 01701234567 --json
expect_rc 0 "status --to --json"
[[ "$OUT" == '{"counts":{"queued":'*',"jobs":[{"id":'"$ID2"',"msisdn":"01701234567"'* ]] ||
	fail "filtered JSON: $OUT"
if command -v python3 >/dev/null; then
	for filter in "--to 01701234567" "--state cancelled" "--rollout none --limit 1" ""; do
		# shellcheck disable=SC2086
		"$CTL" --db "$DB" status $filter --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, dict) and set(d) == {"counts", "jobs"}, d
assert isinstance(d["jobs"], list) and len(d["counts"]) == 7, d
' || fail "status $filter --json is not {counts, jobs}"
	done
fi
run --db "$DB" status --state cancelled
expect_rc 0 "status --state"
[ "$OUT" = "no matching jobs" ] || fail "status --state cancelled: $OUT"
run --db "$DB" status --state bogus
expect_error 2 "invalid state 'bogus'" "bad state"
run --db "$DB" status --to 12ab
expect_error 2 "invalid MSISDN" "bad --to filter"
run --db "$DB" status abc
expect_error 2 "invalid job id 'abc'" "bad job id"
run --db "$DB" status 99999
expect_error 1 "no such job 99999" "unknown job"

if command -v sqlite3 >/dev/null; then
	# A try as the daemon would record it, to see the history rendering.
	sqlite3 "$DB" "INSERT INTO attempts (job_id, started_at, finished_at, modem, result,
		cms_error, mrs, detail) VALUES ($ID1, 1795568523000, 1795568524000, 'gsm1',
		'transient', 42, '17', 'network congestion');"
fi
run --db "$DB" status "$ID1"
expect_rc 0 "status JOB_ID"
grep -q '^history:' "$WORK/out" || fail "status $ID1 has no history section: $OUT"
grep -qE '^msisdn: +\+491701234567$' "$WORK/out" || fail "status $ID1 lacks msisdn: $OUT"
if command -v sqlite3 >/dev/null; then
	grep -qE 'gsm1 +transient +42 \(congestion\) +17 +network congestion' "$WORK/out" ||
		fail "history row not shown with the CMS meaning: $OUT"
fi
no_secret "status JOB_ID"
run --db "$DB" status "$ID1" --json
expect_rc 0 "status JOB_ID --json"
grep -q '"history":\[' "$WORK/out" || fail "status $ID1 --json has no history: $OUT"
# {"job": {...}} (was a one-element array).
[[ "$OUT" == '{"job":{"id":'"$ID1"','* ]] || fail "status JOB_ID --json is not {\"job\": ...}: $OUT"
run --db "$DB" status "$ID1" --state queued
expect_error 2 "cannot be combined" "JOB_ID with a filter"

# -------------------------------------------------------------- cancel
run --db "$DB" cancel "$ID1"
expect_rc 0 "cancel"
[ "$OUT" = "cancelled job $ID1" ] || fail "cancel said: $OUT"
run --db "$DB" cancel "$ID1"
expect_error 1 "cannot cancel job $ID1: .*cancelled" "cancel twice"
run --db "$DB" cancel 0
expect_error 2 "invalid job id '0'" "cancel job 0"
run --db "$DB" cancel
expect_error 2 "expected a JOB_ID" "cancel without id"
run --db "$DB" status "$ID1"
grep -qE '^state: +cancelled$' "$WORK/out" || fail "job $ID1 not cancelled: $OUT"

# ----------------------------------------------------------------- pdu
EXPECTED=0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A53544152543A696E7374616C6C0A
run -c "$CONF" pdu --to +491701234567 --profile pls62
expect_rc 0 "pdu"
[ "$OUT" = "$EXPECTED" ] || fail "pdu differs from the spec's worked example: $OUT"
[ -z "$ERR" ] || fail "pdu wrote to stderr: $ERR"
run -c "$CONF" pdu --to +491701234567 --profile pls62 -v
[ "$OUT" = "$EXPECTED" ] || fail "pdu -v changed stdout: $OUT"
[ "$ERR" = "part 1/1: AT+CMGS=87" ] || fail "pdu -v stderr: $ERR"
run -c "$CONF" pdu --to +491701234567 --profile pls62 --smsc +491710760000
[ "$OUT" = "0791947101670000${EXPECTED#00}" ] || fail "pdu --smsc: $OUT"
# A body over 140 octets: one hex line per SM, -v names each part.
run -c "$CONF" pdu --to +491701234567 --profile split -v
expect_rc 0 "pdu of a split message"
[ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "split pdu: expected 2 lines: $OUT"
! grep -qv '^00[0-9A-F]*$' "$WORK/out" || fail "split pdu: not only hex lines: $OUT"
[[ "$ERR" == "part 1/2: AT+CMGS="*$'\n'"part 2/2: AT+CMGS="* ]] || fail "split pdu -v: $ERR"
run -c "$CONF" pdu --to +491701234567 --profile nosuch
expect_error 2 "unknown profile 'nosuch'" "pdu unknown profile"
run -c "$CONF" pdu --to +491701234567 --profile pls62 --action zap
expect_error 2 "invalid action 'zap'" "pdu bad action"

run decode "$EXPECTED"
expect_rc 0 "decode"
grep -q 'JADURL:http://fw.example.com/app.jad' "$WORK/out" || fail "decode shows no body: $OUT"
grep -q 'START:install' "$WORK/out" || fail "decode body lacks START: $OUT"
no_secret "decode"

# ------------------------------------------------- --db without a config
# These commands need only the database: the README lists them.
printf 'msisdn\n+4917200000001\n' >"$WORK/fleet.csv"
run -c "$CONF" rollout create dbonly --no-preflight --profile pls62 --file "$WORK/fleet.csv"
expect_rc 0 "rollout create for the --db checks"
JOB_R=$(sqlite3 "$DB" "SELECT id FROM jobs WHERE rollout = 'dbonly'" 2>/dev/null || echo 1)
export OTAPD_CONFIG="$WORK/no-such.conf"
for args in "init" "status" "status --rollout dbonly" "diagnose --rollout dbonly" \
	    "rollout list" "rollout status dbonly" "watch dbonly --once" "rollout pause dbonly" \
	    "rollout resume dbonly" "retry --failed" "cancel $JOB_R" "rollout cancel dbonly"; do
	# shellcheck disable=SC2086
	run --db "$DB" $args
	expect_rc 0 "--db $args without a config"
done
for args in "enqueue --to +491701234567 --profile pls62" "preflight --profile pls62" \
	    "pdu --job $JOB_R" "rollout create x --profile pls62 --file $WORK/fleet.csv"; do
	# shellcheck disable=SC2086
	run --db "$DB" $args
	expect_error 2 "config file .*no-such.conf does not exist" "--db $args needs the config"
done
unset OTAPD_CONFIG

echo "e2e_cli: all checks passed"
