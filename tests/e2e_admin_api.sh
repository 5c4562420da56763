#!/usr/bin/env bash
# e2e_admin_api.sh - the admin listener's JSON API over real HTTP: each
# path answers the same object as the matching `otapctl ... --json`
# (rollout list/status, status JOB, modems, and the units page's elements
# as diagnose's); the units page is filtered and paged server-side; bad
# query arguments are 400, unknown paths 404, other methods 405, all with a
# JSON error; HEAD works; no answer carries the profile's password, the
# modem's PIN, a notify token or the access token. Then with
# admin.token_file: every path needs the bearer token or the cookie of
# POST /login (HttpOnly, SameSite=Strict), a wrong token gets 401, and
# --check-config names the file, never the token; a reload keeps the
# running token (it changes at a restart).
. "$(dirname "$0")/testlib.sh"

NPORT=$(pick_port)
APORT=$(pick_port)
while [ "$APORT" = "$NPORT" ]; do APORT=$(pick_port); done
SECRET=ApiSecretPassw0rd
PIN=4711
TOKEN=Adm1nAccessToken-$RANDOM$RANDOM
start_sim m1 --pin "$PIN"
write_config() {
	cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$SECRET"; jad_url = "http://fw.example.com/a.jad"; } );
notify = { listen = "127.0.0.1:$NPORT"; public_url = "http://127.0.0.1:$NPORT/"; };
admin = { listen = "127.0.0.1:$APORT"; $1 };
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; pin = "$PIN"; } );
CONF
}
write_config ""
ctl init >/dev/null
{
	echo "msisdn,label"
	for i in $(seq 10 21); do echo "+491740000$i,unit $i"; done
} >"$WORK/units.csv"
ctl rollout create fleet --no-preflight --profile p --file "$WORK/units.csv" >/dev/null
start_otapd "$CONF"
sent_all() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('sent','delivered')")" = 12 ]; }
wait_for "the 12 units sent" 60 sent_all
IDS=($(sql "SELECT id FROM jobs ORDER BY id"))
for id in "${IDS[@]:0:3}"; do
	t=$(sql "SELECT notify_token FROM jobs WHERE id = $id")
	curl -s -o /dev/null -H 'Content-Type: text/plain' --data-binary '900 Success' \
		"http://127.0.0.1:$NPORT/n/$id/$t"
done
wait_for "3 units confirmed" 10 state_count_is confirmed 3
m1_sent_12() { [ "$(sql "SELECT sms_sent FROM modems WHERE name='m1'")" = 12 ]; }
wait_for "m1's row to count 12 SMs" 30 m1_sent_12

API=http://127.0.0.1:$APORT
get() { curl -s -D "$WORK/head" -o "$WORK/body" -w '%{http_code}' "$@"; }
# same NAME FILE1 FILE2: equal as JSON values, apart from members that
# move with the clock (a modem's row is rewritten every few seconds).
same() {
	python3 - "$2" "$3" <<'PY' || fail "$1: the API and otapctl differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("last_seen",)}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
if strip(a) != strip(b):
    sys.exit("API:  %s\nCLI:  %s" % (json.dumps(a)[:600], json.dumps(b)[:600]))
PY
}
check() { # check PATH CLI-ARGS...: the API's answer equals the CLI's --json
	local path=$1; shift
	[ "$(get "$API$path")" = 200 ] || fail "GET $path: $(cat "$WORK/body")"
	grep -qi '^content-type: application/json; charset=utf-8' "$WORK/head" || fail "$path: type"
	grep -qi '^cache-control: no-store' "$WORK/head" || fail "$path: Cache-Control"
	ctl "$@" >"$WORK/cli.json" || fail "otapctl $*"
	same "$path" "$WORK/body" "$WORK/cli.json"
	cat "$WORK/body" >>"$WORK/all.json"
}
check /api/rollouts rollout list --json
check /api/rollouts/fleet rollout status fleet --json
check "/api/jobs/${IDS[0]}" status "${IDS[0]}" --json
check "/api/jobs/${IDS[5]}" status "${IDS[5]}" --json
check /api/modems modems --json

# The units page: its elements are diagnose's objects, for the same jobs.
[ "$(get "$API/api/rollouts/fleet/units?state=sent&per_page=4&page=2")" = 200 ] || fail "units: $(cat "$WORK/body")"
cat "$WORK/body" >>"$WORK/all.json"
ctl diagnose --rollout fleet --json >"$WORK/diag.json"
python3 - "$WORK/body" "$WORK/diag.json" <<'PY' || fail "the units page"
import json, sys
page, diag = (json.load(open(f)) for f in sys.argv[1:3])
by_id = {d["id"]: d for d in diag}
assert page["total"] == 9 and page["page"] == 2 and page["per_page"] == 4, page
assert page["more"] is True and len(page["units"]) == 4, page
assert page["state"] == "sent" and page["stopped_at"] is None and page["cause"] is None, page
ids = [u["id"] for u in page["units"]]
assert ids == sorted(ids), ids
for u in page["units"]:
    assert u["state"] == "sent", u
    assert u == by_id[u["id"]], (u, by_id[u["id"]])
PY
units_check() { # units_check QUERY COUNT TOTAL: the page's size and total
	[ "$(get "$API/api/rollouts/fleet/units?$1")" = 200 ] || fail "units?$1: $(cat "$WORK/body")"
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); sys.exit(0 if len(p["units"])==int(sys.argv[2]) and str(p["total"])==sys.argv[3] else "units?%s: %d units, total %s" % (sys.argv[4], len(p["units"]), p["total"]))' \
		"$WORK/body" "$2" "$3" "$1" || fail "units?$1"
}
units_check "" 12 12
units_check "state=confirmed" 3 3
units_check "cause=confirmed" 3 3
units_check "state=sent&page=3&per_page=4" 1 9
units_check "state=sent&page=4&per_page=4" 0 9
units_check "stopped_at=sent&cause=sent_external" 9 None
units_check "stopped_at=reported" 3 3
units_check "state=failed" 0 0

# Bad requests: a JSON error naming the problem.
bad() { # bad STATUS PATH [curl options]: answered STATUS with a JSON error
	local want=$1 path=$2; shift 2
	[ "$(get "$@" "$API$path")" = "$want" ] || fail "$path: want $want, got $(cat "$WORK/body")"
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); sys.exit(0 if e["status"]==int(sys.argv[2]) and e["error"] else 1)' \
		"$WORK/body" "$want" || fail "$path: not a JSON error: $(cat "$WORK/body")"
}
bad 400 "/api/rollouts/fleet/units?page=x"
bad 400 "/api/rollouts/fleet/units?page=0"
bad 400 "/api/rollouts/fleet/units?per_page=1001"
bad 400 "/api/rollouts/fleet/units?per_page=99999999999999999999"
bad 400 "/api/rollouts/fleet/units?state=bogus"
grep -q "state='bogus' is not one of: queued, sending" "$WORK/body" || fail "unclear: $(cat "$WORK/body")"
bad 400 "/api/rollouts/fleet/units?stopped_at=moon"
bad 400 "/api/rollouts/fleet/units?cause=gremlins"
bad 400 "/api/rollouts/fleet/units?state=sent&state=queued"
bad 400 "/api/rollouts/fleet/units?color=red"
bad 400 "/api/rollouts/fleet/units?state=$(head -c 100 /dev/zero | tr '\0' a)"
bad 400 "/api/rollouts?page=1"
bad 400 "/api/jobs/abc"
bad 400 "/api/jobs/0"
bad 404 "/api/jobs/999999"
bad 404 "/api/rollouts/nosuch"
bad 404 "/api/rollouts/nosuch/units"
bad 404 "/api/rollouts/fleet/other"
bad 404 "/api/rollouts/a%20b"
bad 404 "/api/nothing"
bad 404 "/nothing"
bad 405 "/api/rollouts" -X POST -d x
bad 405 "/api/rollouts/fleet" -X DELETE
bad 405 "/" -X PUT -d x
grep -qi '^allow: GET, HEAD' "$WORK/head" || fail "405 without Allow"
[ "$(get -I "$API/api/rollouts/fleet")" = 200 ] || fail "HEAD of the API"
# curl -I writes the head as its output: nothing after it.
grep -q '{' "$WORK/body" && fail "HEAD answered a body: $(cat "$WORK/body")"

# The page's files: types, caching and the security headers.
[ "$(get "$API/")" = 200 ] || fail "GET /"
grep -qi '^content-type: text/html; charset=utf-8' "$WORK/head" || fail "/: type"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$WORK/head" || fail "/: CSP"
grep -qi '^x-content-type-options: nosniff' "$WORK/head" || fail "/: nosniff"
grep -q '<table id="rollouts">' "$WORK/body" || fail "/ is not the status page"
[ "$(get "$API/app.js")" = 200 ] && grep -qi '^content-type: text/javascript' "$WORK/head" || fail "/app.js"
[ "$(get "$API/style.css")" = 200 ] && grep -qi '^content-type: text/css' "$WORK/head" || fail "/style.css"

# No secret anywhere in what the API answered.
for s in "$SECRET" "$PIN\"" "$TOKEN"; do
	grep -qF "$s" "$WORK/all.json" && fail "an API answer holds a secret ($s)"
done
for id in "${IDS[@]}"; do
	t=$(sql "SELECT notify_token FROM jobs WHERE id = $id")
	[ -z "$t" ] || ! grep -qF "$t" "$WORK/all.json" || fail "an API answer holds job $id's notify token"
done
grep -qi "passw" "$WORK/all.json" && fail "an API answer mentions a password"
stop_otapd

# ---- with an access token ----
printf '%s\n' "$TOKEN" >"$WORK/admin.token"
chmod 600 "$WORK/admin.token"
write_config "token_file = \"admin.token\";"
"$BIN/otapd" -c "$CONF" --check-config >"$WORK/check.out" 2>&1 || fail "check-config: $(cat "$WORK/check.out")"
grep -qF "token_file = \"$WORK/admin.token\";" "$WORK/check.out" || fail "the dump does not name the token file"
grep -qF "$TOKEN" "$WORK/check.out" && fail "--check-config shows the token"
printf 'short\n' >"$WORK/short.token"
write_config "token_file = \"short.token\";"
"$BIN/otapd" -c "$CONF" --check-config >"$WORK/check.out" 2>&1 && fail "a 5-byte token was accepted"
grep -q "at least 16 are needed" "$WORK/check.out" || fail "short token: $(cat "$WORK/check.out")"
write_config "token_file = \"admin.token\";"
start_otapd "$CONF"
wait_for "the admin listener" 20 bash -c "curl -s -o /dev/null '$API/login'"
for path in / /api/rollouts /api/modems "/api/jobs/${IDS[0]}" /metrics; do
	code=$(get "$API$path")
	[ "$code" = 401 ] || fail "$path without the token: $code"
	grep -qi '^www-authenticate: Bearer' "$WORK/head" || fail "$path: no WWW-Authenticate"
	[ "$(get -H "Authorization: Bearer wrong-$TOKEN" "$API$path")" = 401 ] || fail "$path with a wrong token"
	[ "$(get -H "Authorization: Bearer $TOKEN" "$API$path")" = 200 ] || fail "$path with the token"
	grep -qF "$TOKEN" "$WORK/body" && fail "$path shows the token"
done
grep -q 'otapd_jobs' "$WORK/body" || fail "/metrics with the token"
[ "$(get "$API/")" = 401 ] && grep -q 'action="/login"' "$WORK/body" || fail "/ without the token is not the login form"
[ "$(get -d "token=nope-$TOKEN" "$API/login")" = 401 ] || fail "a login with a wrong token"
grep -qi '^set-cookie' "$WORK/head" && fail "a wrong login got a cookie"
[ "$(get -d "token=$TOKEN" "$API/login")" = 303 ] || fail "the login: $(cat "$WORK/body")"
cookie=$(grep -i '^set-cookie:' "$WORK/head" | tr -d '\r')
case $cookie in *HttpOnly*SameSite=Strict*) ;; *) fail "cookie flags: $cookie" ;; esac
grep -qF "$TOKEN" "$WORK/head" && fail "the cookie holds the token"
value=$(echo "$cookie" | sed 's/^[^:]*: *//; s/;.*//')
[ "$(get -b "$value" "$API/api/rollouts/fleet")" = 200 ] || fail "the session cookie is not let in"
[ "$(get -b "otapd_session=00$RANDOM" "$API/api/rollouts/fleet")" = 401 ] || fail "a made-up cookie was let in"
[ "$(get -d "token=$(head -c 2000 /dev/zero | tr '\0' x)" "$API/login")" = 413 ] || fail "a huge login form"
# A changed token takes effect at the next restart: a reload says so and
# the running one stays.
printf '%s\n' "New-$TOKEN" >"$WORK/admin.token"
kill -HUP "$OTAPD_PID"
wait_for "the reload's note" 20 grep -q "admin (listen, access token) changed" "$WORK/otapd.log"
[ "$(get -H "Authorization: Bearer $TOKEN" "$API/api/modems")" = 200 ] || fail "the running token after a reload"
[ "$(get -H "Authorization: Bearer New-$TOKEN" "$API/api/modems")" = 401 ] || fail "a reloaded token let in"
grep -qF "$TOKEN" "$WORK/otapd.log" && fail "the log holds the token"
stop_otapd
echo "PASS e2e_admin_api (API = CLI objects, errors, headers, token and login)"
