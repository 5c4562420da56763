# e2e_unit_download.sh - simulated units that download like a module: otapd
# sends OTAP SMs whose JADURL points at a local HTTP server; each unit GETs
# the JAD and the JAR with its User-Agent, checks MIDlet-Jar-Size and POSTs
# its status to MIDlet-Install-Notify or NOTIFYURL (otapd's listener). The
# faults: a unit that never reaches the server, one that stops after the
# JAD, one whose JAR connection drops halfway, one that never reports; and
# the server's mistakes: a wrong MIDlet-Jar-Size (904), a JAD without one
# (906). A unit without download= keeps today's behaviour (no GET at all).
. "$(dirname "$0")/testlib.sh"

FLEET_IMEI=490154203237518
TAB=$'\t'
JAR_SIZE=200000

PORT=$(pick_port)

# ---- the download server: files from $WORK/www, every request logged as
# "METHOD PATH<TAB>User-Agent<TAB>Authorization"; /auth/ needs basic auth.
# A second port accepts connections and never answers (a stalled server).
mkdir -p "$WORK/www/auth"
cat >"$WORK/serve.py" <<'PY'
import base64, functools, http.server, sys
www, log, portfile = sys.argv[1:4]
want = "Basic " + base64.b64encode(b"otap:dl-s3cret").decode()
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        with open(log, "a") as f:
            f.write("%s %s\t%s\t%s\n" % (self.command, self.path,
                    self.headers.get("User-Agent", ""), auth))
        if self.path.startswith("/auth/") and auth != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fw"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
        functools.partial(Handler, directory=www))
import socket
stall = socket.socket()
stall.bind(("127.0.0.1", 0))
stall.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d %d\n" % (srv.server_address[1], stall.getsockname()[1]))
import os; os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY
python3 "$WORK/serve.py" "$WORK/www" "$WORK/http.req" "$WORK/www.port" 2>>"$WORK/www.log" &
PIDS+=($!)
wait_for "the download server" 10 test -s "$WORK/www.port"
read -r WWW STALL <"$WORK/www.port"
BASE=http://127.0.0.1:$WWW

head -c "$JAR_SIZE" /dev/urandom >"$WORK/www/app.jar"
cp "$WORK/www/app.jar" "$WORK/www/auth/app.jar"
jad() { # jad FILE JAR_URL SIZE [INSTALL_NOTIFY]: a descriptor (CRLF line ends)
	{
		printf 'MIDlet-Name: Demo\r\nMIDlet-Vendor: Example\r\nMIDlet-Version: 1.0.1\r\n'
		printf 'MIDlet-Jar-URL: %s\r\n' "$2"
		[ -z "$3" ] || printf 'MIDlet-Jar-Size: %s\r\n' "$3"
		[ -z "${4:-}" ] || printf 'MIDlet-Install-Notify: %s\r\n' "$4"
		printf 'MicroEdition-Profile: IMP-NG\r\n'
	} >"$WORK/www/$1"
}
jad good.jad app.jar "$JAR_SIZE"                                 # relative Jar-URL
jad fleet.jad "$BASE/app.jar" "$JAR_SIZE" "http://127.0.0.1:$PORT/notify"
jad badsize.jad app.jar $((JAR_SIZE - 1))
jad nosize.jad app.jar ""
jad auth/app.jad /auth/app.jar "$JAR_SIZE"                       # absolute path

num() { printf '+4917100000%02d' "$1"; }
cat >"$WORK/fleet.txt" <<FLEET
$(num 1) download=yes
$(num 2) download=yes product=PLS62-W imei=$FLEET_IMEI
$(num 3) download=unreachable product=PLS62-W
$(num 4) download=jad-only
$(num 5) download=cut
$(num 6) download=yes
$(num 7) download=yes product=EHS6
$(num 8) download=yes
$(num 9) download=yes notify=901
$(num 10) download=yes notify=none
$(num 11) notify=900
$(num 12) download=yes
FLEET
start_sim m1 --fleet "$WORK/fleet.txt" --notify-delay 50

profile() { # profile NAME JAD [EXTRA]
	printf '{ name = "%s"; password = "s3cret"; jad_url = "%s"; confirm_timeout = "2m"; %s },\n' \
		"$1" "$2" "${3:-}"
}
cat >"$CONF" <<CONF
database = "$DB";
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT/"; };
profiles = (
  $(profile good "$BASE/good.jad")
  $(profile fleet "$BASE/fleet.jad")
  $(profile badsize "$BASE/badsize.jad")
  $(profile nosize "$BASE/nosize.jad")
  $(profile auth "$BASE/auth/app.jad" 'http_user = "otap"; http_password = "dl-s3cret";')
  $(profile unserved "http://fw.example.com/a.jad")
  $(profile stall "http://127.0.0.1:$STALL/app.jad")
);
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 1; };
split_delay = "200ms";
CONF
# libconfig lists allow no trailing comma: drop the last one.
sed -i -z 's/},\n);/}\n);/' "$CONF"

ctl init >/dev/null
enqueue() { ctl enqueue --to "$(num "$1")" --profile "$2" "${@:3}"; }
enqueue 12 stall >/dev/null     # first: everything else happens while it hangs
for i in 1 3 4 5 9 10; do enqueue "$i" good >/dev/null; done
FLEET_JOB=$(enqueue 2 fleet --imei "$FLEET_IMEI")
enqueue 6 badsize >/dev/null
enqueue 7 auth >/dev/null
enqueue 8 nosize >/dev/null
enqueue 11 unserved >/dev/null
start_otapd "$CONF"

# Every unit ends its procedure with one DOWNLOAD event (the legacy unit
# with its NOTIFY), and the reported jobs become final.
done_units() {
	[ "$(grep -c '^DOWNLOAD' "$WORK/m1.sms" 2>/dev/null)" = 10 ] &&
		grep -q "^NOTIFY${TAB}to=$(num 11)" "$WORK/m1.sms" &&
		[ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('confirmed', 'failed')")" = 7 ]
}
wait_for "every unit to finish" 25 done_units

ev() { # ev EVENT N: the unit's EVENT lines without the event name and to=
	awk -F'\t' -v ev="$1" -v to="to=$(num "$2")" \
		'$1 == ev && $2 == to { sub(/^[^\t]*\t[^\t]*\t/, ""); print }' "$WORK/m1.sms"
}
expect_ev() { # expect_ev EVENT N LINE...: exactly these lines, in this order
	local want got
	want=$(printf '%s\n' "${@:3}")
	got=$(ev "$1" "$2")
	[ "$got" = "$want" ] || fail "$1 of unit $2: expected '$want', got '$got'"
}
job() { sql "SELECT state || ' ' || coalesce(CAST(notify_code AS TEXT), '-') FROM jobs WHERE msisdn = '$(num "$1")'"; }
expect_job() { [ "$(job "$1")" = "$2" ] || fail "job of unit $1: expected '$2', got '$(job "$1")'"; }
ua() { printf '%s/%s Profile/IMP-NG Configuration/CLDC-1.1' "$1" "$2"; }
# The default IMEI: 35, the last 12 digits of the number, a Luhn digit.
luhn_imei() {
	local body=35$(printf '%012d' "$((10#${1: -12}))") sum=0 i d
	for ((i = 0; i < 14; i++)); do
		d=${body:13-i:1}
		((i % 2 == 0)) && { d=$((d * 2)); ((d > 9)) && d=$((d - 9)); }
		sum=$((sum + d))
	done
	echo "$body$(((10 - sum % 10) % 10))"
}
UA1=$(ua ELS61 "$(luhn_imei "$(num 1)")")
ID1=$(sql "SELECT id FROM jobs WHERE msisdn = '$(num 1)'")
TOKEN1=$(sql "SELECT notify_token FROM jobs WHERE id = $ID1")

# ---- a good unit: JAD with its User-Agent, the whole JAR (relative URL
# resolved against the JAD's), the report to NOTIFYURL confirms the job.
[ "$(ev HTTP 1 | head -n 2)" = "method=GET${TAB}url=$BASE/good.jad${TAB}status=200${TAB}bytes=$(wc -c <"$WORK/www/good.jad")${TAB}ua=$UA1
method=GET${TAB}url=$BASE/app.jar${TAB}status=200${TAB}bytes=$JAR_SIZE${TAB}ua=$UA1" ] ||
	fail "unit 1: expected the JAD and the whole JAR with '$UA1', got: $(ev HTTP 1)"
ev HTTP 1 | sed -n 3p | grep -q "^method=POST${TAB}url=http://127.0.0.1:$PORT/n/$ID1/$TOKEN1${TAB}status=200${TAB}bytes=[0-9]*${TAB}ua=$UA1$" ||
	fail "unit 1: no POST to its NOTIFYURL: $(ev HTTP 1)"
expect_ev JAD 1 "result=ok${TAB}jar_url=$BASE/app.jar${TAB}jar_size=$JAR_SIZE${TAB}install_notify="
expect_ev JAR 1 "bytes=$JAR_SIZE${TAB}of=$JAR_SIZE${TAB}result=ok"
expect_ev NOTIFY 1 "url=http://127.0.0.1:$PORT/n/$ID1/$TOKEN1${TAB}code=900${TAB}http=200"
expect_ev DOWNLOAD 1 "result=reported${TAB}code=900"
expect_job 1 "confirmed 900"
# The server saw the same: the User-Agent on the JAD and on the JAR.
grep -qxF "GET /good.jad${TAB}$UA1${TAB}" "$WORK/http.req" || fail "the server did not see the JAD request with '$UA1'"
grep -qxF "GET /app.jar${TAB}$UA1${TAB}" "$WORK/http.req" || fail "the server did not see the JAR request with '$UA1'"

# ---- MIDlet-Install-Notify wins over NOTIFYURL; the fleet-wide URL is
# matched by the IMEI in the User-Agent.
expect_ev NOTIFY 2 "url=http://127.0.0.1:$PORT/notify${TAB}code=900${TAB}http=200"
ev HTTP 2 | grep -qF "ua=$(ua PLS62-W "$FLEET_IMEI")" || fail "unit 2 did not use its product and IMEI"
[ "$(sql "SELECT state || ' ' || notify_code FROM jobs WHERE id = $FLEET_JOB")" = "confirmed 900" ] ||
	fail "the fleet-wide notification did not confirm job $FLEET_JOB"

# ---- PLS62-W "JAD Server Not Found": no request at all, no report.
[ -z "$(ev HTTP 3)" ] || fail "the unreachable unit made a request: $(ev HTTP 3)"
expect_ev DOWNLOAD 3 "result=server-not-found${TAB}code=-"
expect_job 3 "sent -"

# ---- JAD only: one GET, no JAR, no report.
[ "$(ev HTTP 4 | cut -f1,2)" = "method=GET${TAB}url=$BASE/good.jad" ] || fail "unit 4: $(ev HTTP 4)"
expect_ev DOWNLOAD 4 "result=stopped-after-jad${TAB}code=-"
expect_job 4 "sent -"

# ---- JAR cut halfway: half the bytes, the connection dropped, no report.
expect_ev JAR 5 "bytes=$((JAR_SIZE / 2))${TAB}of=$JAR_SIZE${TAB}result=cut"
ev HTTP 5 | grep -qF "url=$BASE/app.jar${TAB}status=200${TAB}bytes=$((JAR_SIZE / 2))${TAB}ua=" ||
	fail "unit 5: the JAR request does not show half the bytes: $(ev HTTP 5)"
ev HTTP 5 | grep -q "error=cut by the unit$" || fail "unit 5: the cut is not logged"
expect_ev DOWNLOAD 5 "result=jar-cut${TAB}code=-"
expect_job 5 "sent -"

# ---- a wrong MIDlet-Jar-Size: the whole JAR, then 904; the job fails.
expect_ev JAR 6 "bytes=$JAR_SIZE${TAB}of=$((JAR_SIZE - 1))${TAB}result=size-mismatch"
expect_ev DOWNLOAD 6 "result=reported${TAB}code=904"
expect_job 6 "failed 904"

# ---- basic auth from HTTPUSER/HTTPPWD on JAD and JAR; an absolute path.
ev HTTP 7 | grep -q "url=$BASE/auth/app.jar${TAB}status=200${TAB}bytes=$JAR_SIZE${TAB}ua=EHS6/.*${TAB}user=otap$" ||
	fail "unit 7: no authenticated JAR request: $(ev HTTP 7)"
[ "$(grep -c "^GET /auth/app\.j[ar][dr]${TAB}EHS6/.*${TAB}Basic " "$WORK/http.req")" = 2 ] ||
	fail "the server did not see basic auth on the JAD and the JAR"
ev HTTP 7 | grep "method=POST" | grep -q "user=" && fail "unit 7 sent HTTPUSER with its report"
expect_job 7 "confirmed 900"

# ---- a JAD without MIDlet-Jar-Size: no JAR request, 906.
expect_ev JAD 8 "result=invalid${TAB}reason=MIDlet-Jar-Size missing"
[ "$(ev HTTP 8 | grep -c 'method=GET')" = 1 ] || fail "unit 8 fetched more than the JAD"
expect_job 8 "failed 906"

# ---- a configured code after a good download; a unit that never reports.
expect_ev DOWNLOAD 9 "result=reported${TAB}code=901"
expect_job 9 "failed 901"
expect_ev JAR 10 "bytes=$JAR_SIZE${TAB}of=$JAR_SIZE${TAB}result=ok"
expect_ev DOWNLOAD 10 "result=no-report${TAB}code=-"
expect_job 10 "sent -"

# ---- without download=: no GET (its JADURL is served by nobody), the
# notify POST as before.
[ -z "$(ev HTTP 11)$(ev DOWNLOAD 11)" ] || fail "the legacy unit downloaded"
expect_job 11 "confirmed 900"

# ---- the stalled JAD request held up neither the AT side nor the others:
# its unit got its SM and is still waiting (its connect timeout does not
# apply: the connection was accepted).
[ "$(sql "SELECT state FROM jobs WHERE msisdn = '$(num 12)'")" = sent ] || fail "the stall job was not sent"
[ -z "$(ev HTTP 12)$(ev DOWNLOAD 12)" ] || fail "the stalled request ended early: $(ev HTTP 12)"

# HTTPPWD is only in what went over the air (SM), never in a derived event.
! grep -v '^SM' "$WORK/m1.sms" | grep -q "dl-s3cret" || fail "HTTPPWD appeared in the simulator's derived events"
echo "ok: good, fleet-wide, unreachable, JAD-only, cut, 904, auth, 906, 901, silent and legacy units"
