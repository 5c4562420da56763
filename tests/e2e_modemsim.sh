# e2e_modemsim.sh - self-test of otap-modemsim over a real TCP byte stream,
# in pure bash (/dev/tcp): echo, OK/ERROR, SIM PIN/PUK, registration, a full
# AT+CMGS of the spec's worked example and its SM log line, wrong length,
# bad PDU, ESC, the fault plan (--cms-error, --drop, --no-prompt,
# --sysstart), latency, +CDS status reports, fleet behaviour (PWD check,
# cms=), --garbage, bad options, and the install-notify POST (needs python3
# or socat as the HTTP listener; SKIPped clearly otherwise).
set -euo pipefail

BIN=${OTAP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin}
SIM=$BIN/otap-modemsim
WORK=$(mktemp -d /tmp/otap-modemsim.XXXXXX)
PIDS=()
SIM_PIDS=()

cleanup() {
	exec 3>&- 2>/dev/null || true
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# A write racing the simulator closing the connection must fail, not kill the shell.
trap '' PIPE

fail() {
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.sms "$WORK"/*.err; do
		[ -s "$f" ] || continue
		echo "---- $f (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

# start_sim NAME [options...]: starts a simulator logging to $WORK/NAME.sms;
# waits (<= 5 s) for its port file and sets PORT.
start_sim() {
	local name=$1; shift
	"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/$name.port" --log "$WORK/$name.sms" \
		"$@" 2>>"$WORK/$name.err" &
	PIDS+=($!)
	SIM_PID=$!
	SIM_PIDS+=($!)
	local i
	for i in $(seq 100); do
		[ -s "$WORK/$name.port" ] && break
		sleep 0.05
	done
	[ -s "$WORK/$name.port" ] || fail "simulator $name did not write its port file within 5 s"
	PORT=$(cat "$WORK/$name.port")
}

connect() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect to port $PORT"
}

disconnect() {
	exec 3>&-
}

# read_reply: reads from the modem until a final result code or the "> "
# prompt; sets REPLY_TEXT (raw, CR/LF kept). Fails after 3 s of silence.
read_reply() {
	local buf="" ch
	while :; do
		IFS= read -r -N 1 -t 3 -u 3 ch ||
			fail "no final result from the modem; got: $(printf %q "$buf")"
		buf+=$ch
		case $buf in
		*$'\r\n> ' | *$'\r\nOK\r\n' | *$'\r\nERROR\r\n') break ;;
		*$'\r\n+CME ERROR: '*$'\r\n' | *$'\r\n+CMS ERROR: '*$'\r\n' | *$'\r\n^SYSSTART\r\n') break ;;
		esac
	done
	REPLY_TEXT=$buf
}

# read_line WHAT: reads one line (CR kept) into LINE; fails after 3 s.
read_line() {
	IFS= read -r -t 3 -u 3 LINE || fail "timed out waiting for $1"
}

# at CMD: sends one command line and reads the reply.
at() {
	printf '%s\r' "$1" >&3
	read_reply
}

# expect_reply CMD EXACT: the raw reply to CMD must be EXACT.
expect_reply() {
	at "$1"
	[ "$REPLY_TEXT" = "$2" ] ||
		fail "$1: expected $(printf %q "$2"), got $(printf %q "$REPLY_TEXT")"
}

# expect_in CMD TEXT: the reply to CMD must contain TEXT and end as it should.
expect_in() {
	at "$1"
	case $REPLY_TEXT in
	*"$2"*) ;;
	*) fail "$1: expected $(printf %q "$2") in $(printf %q "$REPLY_TEXT")" ;;
	esac
}

# send_pdu LEN HEX: AT+CMGS=LEN, waits for the prompt, sends HEX + Ctrl-Z,
# reads the final reply into REPLY_TEXT.
send_pdu() {
	at "AT+CMGS=$1"
	case $REPLY_TEXT in
	*$'\r\n> ') ;;
	*) return 0 ;;  # refused: REPLY_TEXT holds the error
	esac
	printf '%s\x1a' "$2" >&3
	read_reply
}

# hex_of TEXT: upper-case hex of TEXT's bytes.
hex_of() {
	local s=$1 i out=""
	for ((i = 0; i < ${#s}; i++)); do
		printf -v out '%s%02X' "$out" "'${s:i:1}"
	done
	printf '%s' "$out"
}

# submit_pdu TO BODY [FIRST_OCTET]: sets PDU_HEX and PDU_LEN for an 8-bit
# class-1 SMS-SUBMIT with PID 7D and VP A7 (TO: '+' and an even number of
# digits, which keeps the BCD code simple).
submit_pdu() {
	local to=${1#+} body=$2 fo=${3:-11} da="" i
	for ((i = 0; i < ${#to}; i += 2)); do da+="${to:i+1:1}${to:i:1}"; done
	local ud
	ud=$(hex_of "$body")
	PDU_HEX=$(printf '00%s00%02X91%s7DF5A7%02X%s' "$fo" "${#to}" "$da" "${#body}" "$ud")
	PDU_LEN=$((${#PDU_HEX} / 2 - 1))
}

log_has() {
	grep -qxF -- "$2" "$WORK/$1.sms" || fail "$1: log lacks the line $(printf %q "$2")"
}

# wait_log NAME PATTERN: waits (<= 5 s) for a log line matching PATTERN (ERE).
wait_log() {
	local i
	for i in $(seq 100); do
		grep -qE -- "$2" "$WORK/$1.sms" && return 0
		sleep 0.05
	done
	fail "$1: no log line matching '$2' within 5 s"
}

TAB=$'\t'
SPEC_HEX=0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A53544152543A696E7374616C6C0A
SPEC_BODY='OTAP_IMPNG\nPWD:secret\nJADURL:http://fw.example.com/app.jad\nSTART:install\n'

# --- options -----------------------------------------------------------
"$SIM" --help >"$WORK/help.out" || fail "--help did not exit 0"
grep -q -- '--fleet FILE' "$WORK/help.out" || fail "--help does not document --fleet"
grep -q 'SM .*to= pid= dcs=' "$WORK/help.out" || fail "--help does not document the log format"
for bad in "--drop 0" "--cms-error 5x@2" "--cms-error-rate 500:2" "--latency -1" "--pin 12" \
	"--listen nowhere" "--bogus" "--not-registered --register-after 5"; do
	# shellcheck disable=SC2086
	if "$SIM" --log "$WORK/bad.sms" $bad 2>"$WORK/bad.out"; then
		fail "'$bad' was accepted"
	fi
	grep -q 'error: ' "$WORK/bad.out" || fail "'$bad': no clear message: $(cat "$WORK/bad.out")"
done
if "$SIM" 2>"$WORK/bad.out"; then fail "running without --log was accepted"; fi
grep -q -- '--log' "$WORK/bad.out" || fail "missing --log not explained"
echo "ok: options and --help"

# --- basic AT, PIN, registration, the worked example -------------------
start_sim basic --pin 4711 --verbose   # --verbose: the AT trace must hide the PIN too
DEAD_PORT=$PORT                      # refuses connections once this simulator is gone
connect
expect_reply AT $'AT\r\r\nOK\r\n'              # echo is on at power-on
expect_reply ATE0 $'ATE0\r\r\nOK\r\n'          # ATE0 itself is still echoed
expect_reply AT $'\r\nOK\r\n'
expect_reply ATX $'\r\nERROR\r\n'
expect_reply AT+CMEE=1 $'\r\nOK\r\n'
expect_reply AT+CPIN? $'\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n'
expect_reply AT+CREG? $'\r\n+CREG: 0,0\r\n\r\nOK\r\n'   # no network before the PIN
expect_reply AT+CMGS=87 $'\r\n+CMS ERROR: 311\r\n'     # send 1: SIM locked
expect_reply 'AT+CPIN="0000"' $'\r\n+CME ERROR: 16\r\n'
expect_reply 'AT+CPIN="4711"' $'\r\nOK\r\n'
expect_reply AT+CPIN? $'\r\n+CPIN: READY\r\n\r\nOK\r\n'
expect_reply AT+CREG? $'\r\n+CREG: 0,1\r\n\r\nOK\r\n'
expect_reply AT+CSQ $'\r\n+CSQ: 21,99\r\n\r\nOK\r\n'
expect_reply AT+CMGF=0 $'\r\nOK\r\n'
expect_reply AT+CNMI=2,1,0,1,0 $'\r\nOK\r\n'
expect_reply AT+CNMI? $'\r\n+CNMI: 2,1,0,1,0\r\n\r\nOK\r\n'
expect_reply 'AT+CSCA="+491710760000",145' $'\r\nOK\r\n'
expect_reply AT+CSCA? $'\r\n+CSCA: "+491710760000",145\r\n\r\nOK\r\n'
expect_in AT+CGSN $'\r\n351234567890124\r\n'
expect_in ATI $'\r\nCinterion\r\n'
expect_in AT+CSMS? '+CSMS: 0,1,1,1'

send_pdu 87 "$SPEC_HEX"                                     # send 2
[ "$REPLY_TEXT" = $'\r\n+CMGS: 0\r\n\r\nOK\r\n' ] || fail "worked example: $(printf %q "$REPLY_TEXT")"
log_has basic "SM${TAB}to=+491701234567${TAB}pid=7D${TAB}dcs=F5${TAB}srr=0${TAB}vp=A7${TAB}mr=0${TAB}udl=73${TAB}body=$SPEC_BODY"
log_has basic "OTAP${TAB}to=+491701234567${TAB}action=install${TAB}params=JADURL${TAB}JADURL=http://fw.example.com/app.jad"

send_pdu 86 "$SPEC_HEX"                                     # send 3
[ "$REPLY_TEXT" = $'\r\n+CMS ERROR: 304\r\n' ] || fail "wrong length: $(printf %q "$REPLY_TEXT")"
log_has basic "BADLEN${TAB}n=3${TAB}given=86${TAB}actual=87"
# The same hex split over lines with CR/LF is tolerated (send 4, MR 1).
send_pdu 87 "${SPEC_HEX:0:40}"$'\r\n'"${SPEC_HEX:40}"
[ "$REPLY_TEXT" = $'\r\n+CMGS: 1\r\n\r\nOK\r\n' ] || fail "hex with CR/LF: $(printf %q "$REPLY_TEXT")"
send_pdu 4 "0001020Z00"                                     # send 5
[ "$REPLY_TEXT" = $'\r\n+CMS ERROR: 304\r\n' ] || fail "non-hex PDU: $(printf %q "$REPLY_TEXT")"
grep -q "^BADPDU${TAB}n=5${TAB}reason=" "$WORK/basic.sms" || fail "no BADPDU for send 5"
# An SMS-DELIVER is not something to send (send 6).
send_pdu 25 00040C919471103254767DF44230512143008006414243440A0B
[ "$REPLY_TEXT" = $'\r\n+CMS ERROR: 304\r\n' ] || fail "DELIVER accepted: $(printf %q "$REPLY_TEXT")"
grep -q "^BADPDU${TAB}n=6${TAB}reason=.*SUBMIT" "$WORK/basic.sms" || fail "no BADPDU naming SMS-SUBMIT"
# ESC after the prompt aborts: OK and nothing sent (send 7).
at AT+CMGS=87
printf '0011\x1b' >&3
read_reply
[ "$REPLY_TEXT" = $'\r\nOK\r\n' ] || fail "ESC: $(printf %q "$REPLY_TEXT")"
log_has basic "ESC${TAB}n=7"
[ "$(grep -c '^SM' "$WORK/basic.sms")" = 2 ] || fail "expected exactly 2 SMs"
disconnect
wait_log basic '^DISCONNECT$'
# Echo stays off (no --reset-on-connect); the PIN state persists.
connect
expect_reply AT $'\r\nOK\r\n'
expect_reply AT+CPIN? $'\r\n+CPIN: READY\r\n\r\nOK\r\n'
disconnect
log_has basic "PIN_WRONG${TAB}left=2"
log_has basic "PIN_OK"
log_has basic "REFUSED${TAB}n=1${TAB}code=311"
! grep -q 4711 "$WORK/basic.sms" "$WORK/basic.err" || fail "the PIN appeared in the simulator's output"
grep -qF 'rx AT+CPIN=***' "$WORK/basic.err" || fail "--verbose did not trace the (masked) PIN command"
[ "$(grep -c '^CONNECT$' "$WORK/basic.sms")" = 2 ] || fail "expected two CONNECT lines"
kill -TERM "$SIM_PID"
wait "$SIM_PID" || fail "the simulator did not exit cleanly on SIGTERM"
echo "ok: AT basics, PIN, worked example, BADLEN/BADPDU, ESC, SIGTERM"

# --- PUK after three wrong PINs, --reset-on-connect, --register-after ---
start_sim puk --pin 1234 --reset-on-connect --register-after 300 --cmd-latency 20
connect
expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
for i in 1 2 3; do expect_reply 'AT+CPIN="9999"' $'\r\nERROR\r\n'; done   # CMEE=0: plain ERROR
expect_reply AT+CPIN? $'\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n'
expect_reply AT+CMEE=1 $'\r\nOK\r\n'
expect_reply 'AT+CPIN="1234"' $'\r\n+CME ERROR: 16\r\n'  # too late: PUK forever
disconnect
connect
expect_reply AT $'AT\r\r\nOK\r\n'          # --reset-on-connect: echo back on
expect_reply AT+CPIN? $'AT+CPIN?\r\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n'
disconnect
log_has puk "PIN_WRONG${TAB}left=0"
! grep -q '^PIN_OK' "$WORK/puk.sms" || fail "PUK state accepted a PIN"
start_sim reg --register-after 400
connect
expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
expect_reply AT+CREG? $'\r\n+CREG: 0,2\r\n\r\nOK\r\n'
expect_reply AT+CREG=1 $'\r\nOK\r\n'
read_line "the +CREG URC"    # the empty line of the "\r\n" framing
read_line "the +CREG URC"
[ "$LINE" = $'+CREG: 1\r' ] || fail "registration URC: $(printf %q "$LINE")"
expect_reply AT+CREG? $'\r\n+CREG: 1,1\r\n\r\nOK\r\n'
disconnect
echo "ok: PUK, --reset-on-connect, --register-after with +CREG URC"

# --- fault plan, latency, MR start -------------------------------------
start_sim faults --cms-error 500@2 --drop 4 --no-prompt 5 --sysstart 6 --mr-start 254 --latency 300
submit_pdu +491701234567 $'OTAP_IMPNG\nPWD:x\n'
connect
expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
t0=$EPOCHREALTIME
send_pdu "$PDU_LEN" "$PDU_HEX"
t1=$EPOCHREALTIME
[ "$REPLY_TEXT" = $'\r\n+CMGS: 254\r\n\r\nOK\r\n' ] || fail "send 1: $(printf %q "$REPLY_TEXT")"
elapsed_ms=$(( (10#${t1//[.,]/} - 10#${t0//[.,]/}) / 1000 ))
[ "$elapsed_ms" -ge 290 ] || fail "--latency 300 answered after ${elapsed_ms} ms"
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n+CMS ERROR: 500\r\n' ] || fail "send 2: $(printf %q "$REPLY_TEXT")"
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n+CMGS: 255\r\n\r\nOK\r\n' ] || fail "send 3: $(printf %q "$REPLY_TEXT")"
at "AT+CMGS=$PDU_LEN"
printf '%s\x1a' "$PDU_HEX" >&3
if IFS= read -r -N 1 -t 3 -u 3 ch; then fail "send 4 was answered instead of dropped: $(printf %q "$ch")"; fi
disconnect
wait_log faults '^DROP'"$TAB"'n=4$'
connect
printf 'AT+CMGS=%s\r' "$PDU_LEN" >&3
if IFS= read -r -N 1 -t 0.4 -u 3 ch; then fail "send 5 gave a prompt/answer: $(printf %q "$ch")"; fi
printf '\x1b' >&3
read_reply
[ "$REPLY_TEXT" = $'\r\nOK\r\n' ] || fail "ESC after no prompt: $(printf %q "$REPLY_TEXT")"
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n^SYSSTART\r\n' ] || fail "send 6: $(printf %q "$REPLY_TEXT")"
expect_reply AT $'AT\r\r\nOK\r\n'          # the restart turned echo back on
expect_reply "AT+CMGS=$PDU_LEN" $'AT+CMGS='"$PDU_LEN"$'\r\r\n> '
printf '%s\x1a' "$PDU_HEX" >&3
read_reply
[ "$REPLY_TEXT" = $'\r\n+CMGS: 0\r\n\r\nOK\r\n' ] || fail "send 7 (MR wraps to 0): $(printf %q "$REPLY_TEXT")"
disconnect
log_has faults "CMS${TAB}n=2${TAB}to=+491701234567${TAB}code=500"
log_has faults "NOPROMPT${TAB}n=5"
log_has faults "SYSSTART${TAB}n=6"
[ "$(grep -c '^SM' "$WORK/faults.sms")" = 3 ] || fail "faults: expected 3 delivered SMs"
[ "$(grep -c '^CONNECT$' "$WORK/faults.sms")" = 2 ] || fail "faults: expected 2 connections"
echo "ok: --cms-error, --drop, --no-prompt, --sysstart, --latency, MR wrap"

# --- fleet: status reports, PWD check, cms=, --cms-error-rate ----------
cat >"$WORK/fleet" <<'FLEET'
# test fleet
+491701234567 password=secret cds=46 notify=900 imei=490154203237518 product=EHS6
+491709999999 password=other   # PWD mismatch
+491700000001 cms=21
FLEET
start_sim fleet --fleet "$WORK/fleet" --cds-delay 30
connect
expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
expect_reply AT+CNMI=2,1,0,1,0 $'\r\nOK\r\n'
submit_pdu +491701234567 $'OTAP_IMPNG\nPWD:secret\nAPPDIR:a:/app\nSTART:delete\n' 31
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n+CMGS: 0\r\n\r\nOK\r\n' ] || fail "SRR send: $(printf %q "$REPLY_TEXT")"
read_line "+CDS"
read_line "+CDS"
[ "$LINE" = $'+CDS: 25\r' ] || fail "+CDS header: $(printf %q "$LINE")"
read_line "the +CDS PDU line"
[[ $LINE =~ ^0006000C91947110325476[0-9]{28}46$'\r'$ ]] || fail "+CDS PDU: $(printf %q "$LINE")"
log_has fleet "CDS${TAB}to=+491701234567${TAB}mr=0${TAB}st=46"
log_has fleet "OTAP${TAB}to=+491701234567${TAB}action=delete${TAB}params=APPDIR${TAB}APPDIR=a:/app"
# No NOTIFYURL was sent, so the unit cannot report.
log_has fleet "NOTIFY${TAB}to=+491701234567${TAB}url=${TAB}code=912${TAB}http=error:no NOTIFYURL"
# A NOTIFYURL nobody listens on: the POST fails and says why.
submit_pdu +491701234567 $'OTAP_IMPNG\nPWD:secret\nNOTIFYURL:http://127.0.0.1:'"$DEAD_PORT"$'/x\nSTART:\n'
send_pdu "$PDU_LEN" "$PDU_HEX"
wait_log fleet "^NOTIFY${TAB}to=\\+491701234567${TAB}url=http://127.0.0.1:$DEAD_PORT/x${TAB}code=900${TAB}http=error:connection refused$"
submit_pdu +491709999999 $'OTAP_IMPNG\nPWD:secret\nSTART:install\n'
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n+CMGS: 2\r\n\r\nOK\r\n' ] || fail "mismatch send: $(printf %q "$REPLY_TEXT")"
log_has fleet "PWD_MISMATCH${TAB}to=+491709999999"
! grep -q "^OTAP${TAB}to=+491709999999" "$WORK/fleet.sms" || fail "a unit acted on a wrong PWD"
submit_pdu +491700000001 $'OTAP_IMPNG\nSTART:install\n'
send_pdu "$PDU_LEN" "$PDU_HEX"
[ "$REPLY_TEXT" = $'\r\n+CMS ERROR: 21\r\n' ] || fail "fleet cms=21: $(printf %q "$REPLY_TEXT")"
disconnect
! grep -q 'other' "$WORK/fleet.sms" || fail "a fleet password appeared in the log"
echo "ok: +CDS status report, fleet cds/password/cms, OTAP delete, refused notify"

# Deterministic --cms-error-rate: the same seed hits the same sends. (Not
# run in $(...): the simulator would hold the substitution's pipe open.)
rate_run() {
	start_sim "$1" --cms-error-rate 42:0.5 --seed 7
	submit_pdu +491701234567 $'hello'
	connect
	expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
	local i
	for i in $(seq 12); do send_pdu "$PDU_LEN" "$PDU_HEX"; done
	disconnect
	HITS=$(grep '^CMS' "$WORK/$1.sms" | cut -f2 | tr '\n' ' ')
}
rate_run rate1
hits1=$HITS
rate_run rate2
hits2=$HITS
[ -n "$hits1" ] || fail "--cms-error-rate 0.5 hit none of 12 sends"
[ "$hits1" = "$hits2" ] || fail "--cms-error-rate not reproducible: '$hits1' vs '$hits2'"
[ "$(grep -c '^CMS' "$WORK/rate1.sms")" -lt 12 ] || fail "--cms-error-rate 0.5 failed every send"
echo "ok: --cms-error-rate reproducible with --seed ($hits1)"

# --- --garbage: unsolicited junk never breaks the dialogue or the PDU ----
start_sim garbage --garbage --seed 3
connect
transcript=""
for cmd in ATE0 AT AT+CSQ AT+CREG? AT+CPIN? AT AT+CSQ AT AT+CMGF=0 AT; do
	sleep 0.05
	at "$cmd"
	case $REPLY_TEXT in *$'\r\nOK\r\n') ;; *) fail "garbage: $cmd ended with $(printf %q "$REPLY_TEXT")" ;; esac
	transcript+=$REPLY_TEXT
done
for i in 1 2 3; do
	send_pdu 87 "$SPEC_HEX"
	case $REPLY_TEXT in *$'\r\n+CMGS: '*$'\r\n\r\nOK\r\n') ;; *) fail "garbage: send $i: $(printf %q "$REPLY_TEXT")" ;; esac
	transcript+=$REPLY_TEXT
done
disconnect
[ "$(grep -cF "body=$SPEC_BODY" "$WORK/garbage.sms")" = 3 ] || fail "garbage: expected 3 intact SMs"
printf '%s' "$transcript" | grep -qE '^(RING|\+CREG: 1|\+CMTI: "SM",3|\+CIEV: signal,3|[#$%&*~!].*)'$'\r''?$' ||
	fail "garbage: no unsolicited line was seen"
[ -z "${DEBUG_GARBAGE:-}" ] || printf '%q\n' "$transcript"
echo "ok: --garbage"

# --- install notification POST ------------------------------------------
# A one-shot HTTP listener that records the request and answers 200:
# python3, else socat, else SKIP. MODEMSIM_LISTENER=python3|socat|none
# forces one (to exercise the fallbacks).
start_listener() {
	local want=${MODEMSIM_LISTENER:-auto}
	if [[ $want =~ ^(auto|python3)$ ]] && command -v python3 >/dev/null 2>&1; then
		python3 - "$WORK" <<'PY' &
import socket, sys, os
work = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(10)
with open(work + "/http.port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(work + "/http.port.tmp", work + "/http.port")
c, _ = s.accept()
c.settimeout(5)
data = b""
while b"\r\n\r\n" not in data:
    chunk = c.recv(4096)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
length = 0
for line in head.split(b"\r\n"):
    if line.lower().startswith(b"content-length:"):
        length = int(line.split(b":")[1])
while len(body) < length:
    chunk = c.recv(4096)
    if not chunk:
        break
    body += chunk
with open(work + "/http.req", "wb") as f:
    f.write(head + b"\r\n\r\n" + body)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
c.close()
PY
		PIDS+=($!)
		local i
		for i in $(seq 100); do
			[ -s "$WORK/http.port" ] && break
			sleep 0.05
		done
		[ -s "$WORK/http.port" ] || fail "the python3 HTTP listener did not start"
		HTTP_PORT=$(cat "$WORK/http.port")
		return 0
	fi
	if [[ $want =~ ^(auto|socat)$ ]] && command -v socat >/dev/null 2>&1; then
		# socat cannot report an ephemeral port: pick one at random.
		HTTP_PORT=$((20000 + RANDOM % 20000))
		cat >"$WORK/respond.sh" <<'SH'
exec 3<&0                 # a background job's stdin would be /dev/null
cat <&3 >"$1" &
sleep 0.5
printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
SH
		socat -T 5 "TCP-LISTEN:$HTTP_PORT,bind=127.0.0.1,reuseaddr" \
			EXEC:"bash $WORK/respond.sh $WORK/http.req" &
		PIDS+=($!)
		sleep 0.3
		return 0
	fi
	return 1
}
if start_listener; then
	start_sim notify --fleet "$WORK/fleet" --notify-delay 50
	connect
	expect_reply ATE0 $'ATE0\r\r\nOK\r\n'
	submit_pdu +491701234567 $'OTAP_IMPNG\nPWD:secret\nNOTIFYURL:http://127.0.0.1:'"$HTTP_PORT"$'/n/tok42\n'
	send_pdu "$PDU_LEN" "$PDU_HEX"
	submit_pdu +491701234567 $'OTAP_IMPNG\nPWD:secret\nSTART:install\n'
	send_pdu "$PDU_LEN" "$PDU_HEX"
	log_has notify "OTAP${TAB}to=+491701234567${TAB}action=install${TAB}params=NOTIFYURL${TAB}NOTIFYURL=http://127.0.0.1:$HTTP_PORT/n/tok42"
	expect_reply AT $'\r\nOK\r\n'     # the AT loop keeps going during the POST
	disconnect
	wait_log notify "^NOTIFY${TAB}to=\\+491701234567${TAB}url=http://127.0.0.1:$HTTP_PORT/n/tok42${TAB}code=900${TAB}http=200$"
	for i in $(seq 100); do    # the listener may still be writing the file
		grep -q 'Success' "$WORK/http.req" 2>/dev/null && break
		sleep 0.05
	done
	grep -q $'^POST /n/tok42 HTTP/1.1\r$' "$WORK/http.req" || fail "notify: bad request line"
	grep -q $'^User-Agent: EHS6/490154203237518 Profile/IMP-NG Configuration/CLDC-1.1\r$' "$WORK/http.req" ||
		fail "notify: bad User-Agent: $(cat "$WORK/http.req")"
	grep -q $'^Content-Type: text/plain\r$' "$WORK/http.req" || fail "notify: no Content-Type"
	tail -n 1 "$WORK/http.req" | grep -qx '900 Success' || fail "notify: bad body: $(cat "$WORK/http.req")"
	echo "ok: install notification POST"
else
	echo "SKIP: install notification POST (neither python3 nor socat to listen for it)"
fi

# Every simulator must stop cleanly on SIGTERM, with no sanitizer report
# (this script also runs against the ASan/UBSan build).
for pid in "${SIM_PIDS[@]}"; do
	kill -TERM "$pid" 2>/dev/null || continue
	wait "$pid" || fail "simulator $pid exited with status $? after SIGTERM"
done
! grep -lE 'Sanitizer|runtime error' "$WORK"/*.err || fail "sanitizer report in the simulator's stderr"
echo "ok: e2e_modemsim"
