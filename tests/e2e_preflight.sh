#!/usr/bin/env bash
# e2e_preflight.sh - otapctl preflight against a local web server (python3,
# loopback only): a good JAD and JAR, a wrong MIDlet-Jar-Size, missing
# attributes, a manifest that disagrees, MIDlet-Install-Notify, a relative
# Jar-URL, basic auth right and wrong, a 404 and a host that does not
# resolve; rollout create refusing a bad profile unless --no-preflight; and
# a local-artifacts profile whose notify listener runs or does not.
source "$(dirname "$0")/testlib.sh"

WWW=$WORK/www
mkdir -p "$WWW/sub" "$WWW/auth"

# The JAR (python3's zipfile: no zip tool needed), its manifest with a name
# long enough to be wrapped onto a continuation line, and the JADs.
python3 - "$WWW" <<'PY'
import os, sys, zipfile
www = sys.argv[1]
name = "Demo Tracker Application With A Name Long Enough To Wrap The Line"
mf = ("Manifest-Version: 1.0\r\nMIDlet-Name: " + name + "\r\n").encode()
# Wrap at 72 bytes the way jar(1) does: continuation lines start with a space.
lines, out = mf.split(b"\r\n"), []
for l in lines:
    while len(l) > 72:
        out.append(l[:72]); l = b" " + l[72:]
    out.append(l)
mf = b"\r\n".join(out) + b"MIDlet-Vendor: Acme\r\nMIDlet-Version: 1.2.0\r\n\r\n"
with zipfile.ZipFile(os.path.join(www, "app.jar"), "w") as z:
    z.writestr("META-INF/MANIFEST.MF", mf)
    z.writestr("acme/Main.class", b"\xca\xfe\xba\xbe" + b"\0" * 200)
size = os.path.getsize(os.path.join(www, "app.jar"))
def jad(path, **over):
    attrs = {"MIDlet-Name": name, "MIDlet-Vendor": "Acme", "MIDlet-Version": "1.2.0",
             "MIDlet-Jar-URL": "app.jar", "MIDlet-Jar-Size": str(size),
             "MicroEdition-Profile": "IMP-NG"}
    attrs.update(over)
    with open(os.path.join(www, path), "w") as f:
        f.write("".join(f"{k}: {v}\r\n" for k, v in attrs.items() if v is not None))
jad("good.jad")
jad("badsize.jad", **{"MIDlet-Jar-Size": str(size + 7)})
jad("missing.jad", **{"MIDlet-Vendor": None, "MIDlet-Jar-Size": None})
jad("mismatch.jad", **{"MIDlet-Version": "9.9"})
jad("notify.jad", **{"MIDlet-Install-Notify": "http://fleet.example.com/notify"})
jad("sub/rel.jad", **{"MIDlet-Jar-URL": "../app.jar"})
jad("auth/app.jad")
os.link(os.path.join(www, "app.jar"), os.path.join(www, "auth", "app.jar"))
jad("local.jad", **{"MIDlet-Jar-URL": None, "MIDlet-Jar-Size": None})
jad("local_mm.jad", **{"MIDlet-Jar-URL": None, "MIDlet-Jar-Size": None,
                        "MIDlet-Vendor": "Other Vendor"})
PY

# The web server: files from $WWW, /auth/ only with basic auth unit:pw-good.
cat >"$WORK/server.py" <<'PY'
import base64, functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        good = "Basic " + base64.b64encode(b"unit:pw-good").decode()
        if self.path.startswith("/auth/") and self.headers.get("Authorization") != good:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fw"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$WORK/server.py" "$WWW" "$WORK/http.port" 2>>"$WORK/http.log" &
PIDS+=($!)
wait_for "the web server" 10 test -s "$WORK/http.port"
HTTP=http://127.0.0.1:$(cat "$WORK/http.port")

# A free port for otapd's listener (/dev/tcp connect fails = nobody there).
PORT=$(pick_port)
start_sim m1

# profile NAME KEYS: one entry of the profiles list (libconfig: no comma
# after the last one, so each entry but the first starts with one).
profile() {
	printf '  %s{ name = "%s"; password = "s3cret"; %s }\n' "${SEP:-}" "$1" "$2"
	SEP=", "
}
{
	echo "database = \"$DB\";"
	echo "notify = { listen = \"127.0.0.1:$PORT\"; public_url = \"http://127.0.0.1:$PORT\"; };"
	echo "profiles = ("
	SEP=
	profile good "jad_url = \"$HTTP/good.jad\";"
	profile badsize "jad_url = \"$HTTP/badsize.jad\";"
	profile missing "jad_url = \"$HTTP/missing.jad\";"
	profile mismatch "jad_url = \"$HTTP/mismatch.jad\";"
	profile notify "jad_url = \"$HTTP/notify.jad\";"
	profile rel "jad_url = \"$HTTP/sub/rel.jad\";"
	profile auth_ok "jad_url = \"$HTTP/auth/app.jad\"; http_user = \"unit\"; http_password = \"pw-good\";"
	profile auth_bad "jad_url = \"$HTTP/auth/app.jad\"; http_user = \"unit\"; http_password = \"Wr0ng-Secret\";"
	profile auth_none "jad_url = \"$HTTP/auth/app.jad\";"
	profile gone "jad_url = \"$HTTP/nothing-here.jad\";"
	profile nxdomain "jad_url = \"http://nonexistent.invalid/app.jad\";"
	profile local "jar_file = \"$WWW/app.jar\"; jad_file = \"$WWW/local.jad\";"
	profile local_mm "jar_file = \"$WWW/app.jar\"; jad_file = \"$WWW/local_mm.jad\";"
	echo ");"
	echo "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:$SIM_PORT_m1\"; } );"
} >"$CONF"
ctl init >/dev/null

# pf PROFILE EXIT [--json]: runs the preflight, checks its exit code, and
# leaves the output in $OUT.
pf() {
	local profile=$1 want=$2 rc=0; shift 2
	OUT=$(ctl preflight --profile "$profile" "$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "preflight $profile: exit $rc, expected $want: $OUT"
}
# has LINE-REGEX: $OUT has a matching line.
has() {
	grep -Eq "$1" <<<"$OUT" || fail "expected a line matching '$1' in: $OUT"
}

# ---- external jad_url
pf good 0
has "^✓ jad_fetch +$HTTP/good.jad: HTTP 200"
has "^✓ jad_attributes .*MIDlet-Name 'Demo Tracker Application With A Name Long Enough To Wrap The Line'"
has "^✓ jar_fetch +$HTTP/app.jar: HTTP 200"
has "^✓ jar_size "
has "^✓ manifest .*agrees with the JAD"
has "passed \(5 checks, 0 warnings\)"
grep -q "✗" <<<"$OUT" && fail "the good profile has a ✗: $OUT"

pf badsize 1
has "^✓ manifest "
has "^✗ jar_size +MIDlet-Jar-Size says [0-9]+ bytes but the JAR has [0-9]+: units would fail with 904"

pf missing 1
has "^✗ jad_attributes +the JAD lacks MIDlet-Vendor, MIDlet-Jar-Size"
grep -q "jar_fetch" <<<"$OUT" && fail "the JAR was fetched for a JAD without its attributes"

pf mismatch 1
has "^✓ jar_size "
has "^✗ manifest .*MIDlet-Version: JAD '9.9', manifest '1.2.0'.*905"

pf notify 0
has "^! install_notify .*MIDlet-Install-Notify http://fleet.example.com/notify.*IMEI in the User-Agent"

pf rel 0
has "^✓ jar_fetch +$HTTP/app.jar: HTTP 200"

pf auth_ok 0
has "^✓ jad_fetch .*with http_user and http_password"
has "^✓ manifest "
pf auth_bad 1
has "^✗ jad_fetch .*HTTP 401: the server refused http_user 'unit'.*profile auth_bad"
grep -q "Wr0ng-Secret" <<<"$OUT" && fail "the preflight printed the http_password"
pf auth_none 1
has "^✗ jad_fetch .*HTTP 401: the server wants a login \(set http_user and http_password"

pf gone 1
has "^✗ jad_fetch +$HTTP/nothing-here.jad: HTTP 404 Not Found \(check jad_url of profile gone"

pf nxdomain 1
has "^✗ jad_fetch +http://nonexistent.invalid/app.jad: DNS: "

# One JSON shape, for scripts.
pf badsize 1 --json
python3 - "$OUT" <<'PY' || fail "preflight --json: $OUT"
import json, sys
r = json.loads(sys.argv[1])
assert r["profile"] == "badsize" and r["ok"] is False, r
names = [c["name"] for c in r["checks"]]
assert names == ["jad_fetch", "jad_attributes", "jar_fetch", "jar_size", "manifest"], names
for c in r["checks"]:
    assert set(c) == {"name", "ok", "warning", "detail"}, c
    assert c["ok"] is (c["name"] != "jar_size"), c
PY
pf notify 0 --json
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ok"] and [c for c in r["checks"] if c["name"] == "install_notify" and c["warning"] and c["ok"]], r' "$OUT" ||
	fail "preflight --json with a warning: $OUT"

# Usage errors.
pf nosuch 2
has "unknown profile 'nosuch'"
rc=0; ctl preflight >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "preflight without --profile: exit $rc, expected 2"

# ---- rollout create runs the preflight
printf 'msisdn\n+491710000001\n+491710000002\n' >"$WORK/units.csv"
rc=0; OUT=$(ctl rollout create r_bad --profile badsize --file "$WORK/units.csv" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "rollout create with a bad profile: exit $rc: $OUT"
has "^✗ jar_size "
has "rollout create: not created: the preflight of profile badsize found a problem .*--no-preflight"
[ "$(sql "SELECT count(*) FROM rollouts")" = 0 ] || fail "a refused rollout was written"
[ "$(sql "SELECT count(*) FROM jobs")" = 0 ] || fail "jobs of a refused rollout were written"

ctl rollout create r_skip --profile badsize --file "$WORK/units.csv" --no-preflight >/dev/null 2>&1 ||
	fail "rollout create --no-preflight refused"
OUT=$(ctl rollout status r_skip)
has "^preflight skipped \(created with --no-preflight\)"
[ "$(ctl rollout status r_skip --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["preflight"])')" = skipped ] ||
	fail "rollout status --json does not say the preflight was skipped"

printf 'msisdn\n+491710000003\n' >"$WORK/units2.csv"
OUT=$(ctl rollout create r_good --profile good --file "$WORK/units2.csv" 2>&1) ||
	fail "rollout create with a good profile refused: $OUT"
has "^✓ manifest "
OUT=$(ctl rollout status r_good)
has "^preflight passed$"
[ "$(sql "SELECT preflight FROM rollouts WHERE name = 'r_good'")" = passed ] ||
	fail "the rollout does not record its preflight"

# ---- local artifacts: the JAR's manifest, and otapd's listener
pf local 1
has "^✓ jad_attributes +jad_file $WWW/local.jad: .*otapd writes MIDlet-Jar-URL and MIDlet-Jar-Size per job"
has "^✓ manifest +jar_file $WWW/app.jar: META-INF/MANIFEST.MF agrees"
has "^✗ notify_listener +GET http://127.0.0.1:$PORT/healthz: .*is otapd running with notify.listen, and does public_url reach it\?"

pf local_mm 1
has "^✗ manifest .*MIDlet-Vendor: JAD 'Other Vendor', manifest 'Acme'"

start_otapd "$CONF"
wait_for "the listener" 10 bash -c "exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/$PORT"
wait_healthy "$PORT"   # /healthz is 200 once the modem is ready
pf local 0
has "^✓ notify_listener +GET http://127.0.0.1:$PORT/healthz: HTTP 200"
stop_otapd

echo "e2e_preflight: ok"
