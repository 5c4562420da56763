# e2e_notify_http.sh - the notify listener's HTTP handling against the real
# server (libmicrohttpd): the request checks that lib/http_request.c's unit
# tests used to make (request line, head and body limits, body delimiting),
# slow clients, the per-address and global connection limits, and TLS with a
# self-signed certificate: a notification over https confirms its job, plain
# http to the TLS port gets nothing.
. "$(dirname "$0")/testlib.sh"
trap '' PIPE

CLIENT=(python3 "$TESTS/http_client.py")

PORT=$(pick_port)

# expect STATUS TEXT WHAT: TEXT (escapes as in http_client.py) is answered STATUS.
expect() {
	local got
	got=$("${CLIENT[@]}" request "$PORT" "$2")
	[ "$got" = "$1" ] || fail "$3: expected $1, got $got"
}
long() { head -c "$1" /dev/zero | tr '\0' a; }

printf '%s notify=none\n' +491710000001 +491710000002 >"$WORK/fleet.txt"
start_sim m1 --fleet "$WORK/fleet.txt"
simple_config "notify = { listen = \"127.0.0.1:$PORT\"; public_url = \"http://127.0.0.1:$PORT/\"; };"
ctl init >/dev/null
start_otapd "$CONF"
wait_for "the listener" 10 bash -c "exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/$PORT"
wait_healthy "$PORT"   # /healthz is 200 once the modem is ready

# ---- request line and head
expect 200 'GET /healthz HTTP/1.0\n\n' "HTTP/1.0 with bare LF line ends"
expect 200 'GET http://otap.example.com:8080/healthz HTTP/1.1\r\n\r\n' "an absolute-form target"
expect 200 'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n' "HEAD /healthz"
expect 400 'GET /\r\n\r\n' "a request line without a version"
expect 400 'G@T /healthz HTTP/1.1\r\n\r\n' "a malformed method"
expect 400 'GET nopath HTTP/1.1\r\n\r\n' "a target that is not a path"
expect 400 'GET / HTTX/1.1\r\n\r\n' "a malformed version"
expect 505 'GET / HTTP/2.0\r\n\r\n' "HTTP/2.0 in a request line"
expect 400 'GET / HTTP/1.1\r\nNoColon\r\n\r\n' "a header line without ':'"
expect 200 "GET /healthz HTTP/1.1\r\nX: $(long 8000)\r\n\r\n" "a head just under 8 KiB"
expect 431 "GET /healthz HTTP/1.1\r\nX: $(long 9000)\r\n\r\n" "a head over 8 KiB"
expect 431 "GET /healthz HTTP/1.1\r\nX: $(long 40000)\r\n\r\n" "a head over the connection's memory"

# ---- body delimiting and size
expect 411 'POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n900 Success\n\r\n0\r\n\r\n' \
	"a chunked body"
expect 400 'POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 12\r\n\r\n' \
	"Transfer-Encoding with Content-Length"
expect 400 'POST /notify HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx' \
	"conflicting Content-Length headers"
expect 400 'POST /notify HTTP/1.1\r\nContent-Length: -1\r\n\r\n' "a negative Content-Length"
expect 400 'POST /notify HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n' "a hex Content-Length"
expect 411 'POST /notify HTTP/1.1\r\n\r\n900 Success\n' "a POST without Content-Length"
expect 413 'POST /notify HTTP/1.1\r\nContent-Length: 4097\r\n\r\n' "a body one byte over 4 KiB"
expect 413 'POST /notify HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n' \
	"an absurd Content-Length"
# A body of exactly 4 KiB is read and routed (no IMEI in a User-Agent: 404).
expect 404 "POST /notify HTTP/1.1\r\nContent-Length: 4096\r\n\r\n900 $(long 4092)" "a body of 4 KiB"
# Content-Length decides where the body ends: "hello" is no status code.
expect 400 'POST /notify HTTP/1.1\r\nUser-Agent: ELS61/490154203237518 x\r\nContent-Length: 5\r\n\r\nhello 900 Success' \
	"a body longer than its Content-Length"
expect 405 'PUT /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n' "PUT /healthz"

# ---- slow clients: a body trickled in is dropped 5 s after its head
trickle=$("${CLIENT[@]}" trickle "$PORT")
[[ "$trickle" == "dropped after "* ]] || fail "a trickled body was not dropped: $trickle"

# ---- connection limits (every address in 127/8 is this host)
# One address gets 32 connections; a second address is still served. The
# holders trickle a head so that the idle timeout does not end them (the
# per-address limit is what bounds such a client).
"${CLIENT[@]}" hold --trickle --seconds 30 "$PORT" 300 >"$WORK/hold1.out" &
HOLD1=$!
held() { grep -q "^held" "$1" 2>/dev/null; }
wait_for "the first client's connections" 10 held "$WORK/hold1.out"
[ "$(cat "$WORK/hold1.out")" = "held 32" ] ||
	fail "one address kept $(cat "$WORK/hold1.out") connections instead of 32"
[ "$("${CLIENT[@]}" request --bind 127.0.0.2 "$PORT" 'GET /healthz HTTP/1.1\r\n\r\n')" = 200 ] ||
	fail "a second address was not served while the first held its limit"
# Seven more addresses fill the 256 connections: an eighth waits or is refused.
HOLDS=()
for i in 2 3 4 5 6 7 8; do
	"${CLIENT[@]}" hold --trickle --bind "127.0.0.$i" --seconds 30 "$PORT" 32 >"$WORK/hold$i.out" &
	HOLDS+=($!)
done
for i in 2 3 4 5 6 7 8; do wait_for "client 127.0.0.$i" 10 held "$WORK/hold$i.out"; done
[ "$("${CLIENT[@]}" request --bind 127.0.0.9 --timeout 1.5 "$PORT" 'GET /healthz HTTP/1.1\r\n\r\n')" = none ] ||
	fail "a connection beyond the global limit of 256 was served"
kill "$HOLD1" "${HOLDS[@]}" 2>/dev/null || true
wait "$HOLD1" "${HOLDS[@]}" 2>/dev/null || true
healthy9() {
	[ "$("${CLIENT[@]}" request --bind 127.0.0.9 "$PORT" 'GET /healthz HTTP/1.1\r\n\r\n')" = 200 ]
}
wait_for "the listener to serve again after the limits" 15 healthy9
stop_otapd

# ---- TLS with a self-signed certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.log" || fail "openssl failed"
KEY_LINE=$(sed -n 2p "$WORK/key.pem")
simple_config "notify = { listen = \"127.0.0.1:$PORT\"; public_url = \"https://localhost:$PORT/\";
	tls_cert = \"$WORK/cert.pem\"; tls_key = \"$WORK/key.pem\"; };"
"$BIN/otapd" -c "$CONF" --check-config >"$WORK/check.out" || fail "the TLS config was rejected"
grep -q 'tls_key = "(set)";' "$WORK/check.out" || fail "--check-config does not hide tls_key"
grep -qF "tls_cert = \"$WORK/cert.pem\";" "$WORK/check.out" || fail "--check-config lacks tls_cert"
start_otapd "$CONF"
tls_up() { curl -sS --cacert "$WORK/cert.pem" -o /dev/null "https://localhost:$PORT/healthz"; }
wait_for "the TLS listener" 10 tls_up
JOB=$(ctl enqueue --to +491710000001 --profile p)
job_sent() { [ "$(sql "SELECT state FROM jobs WHERE id = $JOB")" = sent ]; }
wait_for "the job to be sent" 30 job_sent
TOKEN=$(sql "SELECT notify_token FROM jobs WHERE id = $JOB")
code=$(curl -sS --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
	-A "ELS61/490154203237518 Profile/IMP-NG" --data-binary '900 Success' \
	"https://localhost:$PORT/n/$JOB/$TOKEN") || fail "curl over https failed"
[ "$code" = 200 ] || fail "the notification over https was answered $code"
[ "$(sql "SELECT state || ' ' || notify_code FROM jobs WHERE id = $JOB")" = "confirmed 900" ] ||
	fail "the notification over https did not confirm job $JOB"
ctl status "$JOB" | grep -qE '^confirmed: +[0-9]{4}-' || fail "otapctl status lacks the confirmation"
# A forged token over https: 404 as over http.
code=$(curl -sS --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' --data-binary '900 Success' \
	"https://localhost:$PORT/n/$JOB/abcdefghijklmnop") || true
[ "$code" = 404 ] || fail "a forged token over https was answered $code"
# Plain http to the TLS port gets no HTTP answer.
if curl -sS -m 5 -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
	fail "plain http to the TLS port succeeded"
fi
[ "$("${CLIENT[@]}" request "$PORT" 'GET /healthz HTTP/1.1\r\n\r\n')" = none ] ||
	fail "plain http to the TLS port got an HTTP answer"
stop_otapd
grep -q "notify: listening on 127.0.0.1:$PORT (https)" "$WORK/otapd.log" || fail "no https listening line"
! grep -qF -e "$KEY_LINE" -e "$TOKEN" "$WORK/otapd.log" || fail "the TLS key or a token reached the log"
grep -q "notify: job $JOB (job URL): 900 Success" "$WORK/otapd.log" || fail "no log line for job $JOB"

# A key that does not belong to the certificate: otapd says so and exits.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=other \
	-keyout "$WORK/other-key.pem" -out "$WORK/other-cert.pem" 2>>"$WORK/openssl.log"
sed -i "s|$WORK/key.pem|$WORK/other-key.pem|" "$CONF"
if timeout 10 "$BIN/otapd" -c "$CONF" 2>"$WORK/mismatch.err"; then
	fail "otapd started with a key that does not match its certificate"
fi
grep -q "cannot start the listener on 127.0.0.1:$PORT" "$WORK/mismatch.err" ||
	fail "a mismatched key was not explained: $(cat "$WORK/mismatch.err")"
echo "ok: request checks, limits, slow clients, per-address and global connection limits, TLS"
