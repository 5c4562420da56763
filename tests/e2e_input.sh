#!/usr/bin/env bash
# e2e_input.sh - bad input gets a clear error, fast, and nothing is written:
# oversized or non-regular config, password and fleet files, NUL escapes and
# control bytes in config values, too-short numbers, far-future times, endless
# standard input, control bytes echoed back escaped, and decode masking PWD
# in CRLF bodies. Every command runs under `timeout 2`.
source "$(dirname "$0")/testlib.sh"
unset OTAPD_CONFIG

ESC=$'\x1b'

# run ARGS...: runs otapctl under timeout 2; sets RC, ERR (stdout in $WORK/out).
run() {
	RC=0
	timeout 2 "$BIN/otapctl" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || RC=$?
	ERR=$(cat "$WORK/err")
}

# run_in INPUT_CMD ARGS...: like run, with INPUT_CMD's output on standard input.
run_in() {
	local input=$1; shift
	RC=0
	timeout 2 bash -c "$input" | timeout 2 "$BIN/otapctl" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
	ERR=$(cat "$WORK/err")
}

# refused WHAT PATTERN: the last run failed (not by timeout: 124) with an
# otapctl: message matching PATTERN and no raw ESC byte on the terminal.
refused() {
	[ "$RC" -ne 0 ] || fail "$1: accepted"
	[ "$RC" -ne 124 ] || fail "$1: still running after 2 s"
	grep -qE -- "$2" "$WORK/err" || fail "$1: stderr does not match '$2': $ERR"
	! grep -q "$ESC" "$WORK/err" "$WORK/out" || fail "$1: a raw ESC reached the terminal"
}

nothing_written() {
	[ "$(sql 'SELECT count(*) FROM jobs')" = 0 ] || fail "$1: a job was written"
	[ "$(sql 'SELECT count(*) FROM rollouts')" = 0 ] || fail "$1: a rollout was written"
}

write_config() {
	{
		echo "database = \"$DB\";"
		echo "profiles = ( { name = \"p\"; jad_url = \"http://fw.example.com/a.jad\";"
		echo "  $1"
		echo "} );"
	} >"$CONF"
}

"$BIN/otapctl" --db "$DB" init >/dev/null
mkfifo "$WORK/fifo"
write_config 'password = "pw";'
cp "$CONF" "$WORK/good.conf"

# ---- 1. the config file itself
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$WORK/big.conf"
run -c "$WORK/big.conf" enqueue --to +491701234567 --profile p
refused "1 MiB config" "big.conf: config file is larger than 1048576 bytes \(1 MiB\), the limit"
run -c "$WORK/fifo" enqueue --to +491701234567 --profile p
refused "FIFO config" "fifo: not a regular file \(a FIFO\)"
RC=0; timeout 2 "$BIN/otapd" -c "$WORK/fifo" --check-config 2>"$WORK/err" || RC=$?; ERR=$(cat "$WORK/err")
refused "otapd: FIFO config" "otapd error: .*fifo: not a regular file \(a FIFO\)"

# ---- 2. password_file: regular, small
write_config "password_file = \"$WORK/fifo\";"
run -c "$CONF" enqueue --to +491701234567 --profile p
refused "FIFO password_file" "otapd.conf:3: profile 'p': password_file '.*/fifo': not a regular file \(a FIFO\)"
write_config 'password_file = "/dev/zero";'
run -c "$CONF" enqueue --to +491701234567 --profile p
refused "/dev/zero password_file" "password_file '/dev/zero': not a regular file \(a character device\)"
head -c 5000 /dev/zero | tr '\0' x >"$WORK/big.pw"
write_config "password_file = \"$WORK/big.pw\";"
run -c "$CONF" enqueue --to +491701234567 --profile p
refused "big password_file" "password_file '.*big.pw': larger than 4096 bytes"

# ---- 3. NUL escapes and control bytes in values
write_config 'password = "Zq7Marker\x00cd";'
run -c "$CONF" enqueue --to +491701234567 --profile p
refused "NUL escape" "otapd.conf:3: 'password': the escape .x00 \(a NUL byte\) is not allowed"
! grep -q Zq7Marker "$WORK/err" || fail "NUL escape: the password reached the reason"
{ echo "database = \"$DB\x1b[2J\";"; tail -n +2 "$WORK/good.conf"; } >"$CONF"
run -c "$CONF" status
refused "ESC in database" "otapd.conf:1: 'database' contains a control character"

# ---- 4. too-short numbers
for to in +49 +1 112 0; do
	run -c "$WORK/good.conf" enqueue --to "$to" --profile p
	refused "--to $to" "invalid MSISDN '.*': too short"
done

# ---- 5. times beyond the horizon, overflow
for at in +99999999999d "9999-12-31 23:59" +99999999999999999999d; do
	run -c "$WORK/good.conf" enqueue --to +491701234567 --profile p --at "$at"
	refused "--at $at" "invalid time"
done
run -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file /dev/null --start +99999999999d
refused "rollout --start" "invalid time '\+99999999999d': more than 366 days"

# ---- 6. control bytes from argv and CSV fields are shown escaped
run -c "$WORK/good.conf" enqueue --to "+49${ESC}[2J170" --profile p
refused "ESC in argv" "invalid MSISDN '\+49\\\\x1b\[2J170'"
printf 'msisdn,label\n+491701234567,a\n+4917\033]0;pwned\a,b\n' >"$WORK/esc.csv"
run -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file "$WORK/esc.csv"
refused "ESC in a CSV field" "line 3: invalid msisdn '\+4917\\\\x1b\]0;pwned\\\\x07'"
RC=0; timeout 2 "$BIN/otapd" -c "$WORK/no${ESC}[2Jsuch.conf" --check-config 2>"$WORK/err" || RC=$?
ERR=$(cat "$WORK/err")
refused "ESC in an otapd log line" "no\\\\x1b\[2Jsuch.conf: cannot open"

# ---- 7. fleet files: regular, bounded; '-' reads a pipe but ends
run -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file "$WORK/fifo"
refused "FIFO fleet file" "not a regular file \(a FIFO\); to read a pipe or device, pass '-'"
run -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file /dev/zero
refused "/dev/zero fleet file" "not a regular file \(a character device\)"
run_in "yes" -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file -
refused "endless stdin" "standard input: larger than 268435456 bytes \(256 MiB\)"
run_in "cat /dev/zero" -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file -
refused "stdin of NULs" "standard input: line 1: longer than 65536 bytes"
{ echo msisdn; head -c 70000 /dev/zero | tr '\0' 1; echo; } >"$WORK/long.csv"
run -c "$WORK/good.conf" rollout create r --no-preflight --profile p --file "$WORK/long.csv"
refused "long CSV record" "long.csv: line 2: record longer than 65536 bytes"

nothing_written "bad input"

# ---- 8. decode masks PWD whatever the line ends
body=$(printf 'OTAP_IMPNG\r\nPWD:Zq7Marker\r\nSTART:install\r\n' | od -An -tx1 | tr -d ' \n')
hex=$(printf '0011000C919471103254767DF5A7%02X%s' $(( ${#body} / 2 )) "$body")
run decode "$hex"
[ "$RC" = 0 ] || fail "decode CRLF body: exit $RC: $ERR"
grep -q 'PWD:\*\*\*\*\*\*\\r\\n' "$WORK/out" || fail "decode CRLF body: PWD not masked: $(cat "$WORK/out")"
! grep -q Zq7Marker "$WORK/out" || fail "decode CRLF body: the password was printed"

echo "e2e_input: ok"
