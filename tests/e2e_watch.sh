# e2e_watch.sh - what `otapctl watch` and `rollout status` show, without
# otapd: lines wrap at the terminal's width (80 when not a terminal), Ctrl-C
# leaves watch with status 0, the ETA mentions window hours only when there
# is a window, times carry their zone, and the operator-pause reason names
# the rollout to resume.
. "$(dirname "$0")/testlib.sh"

cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );
CONF
ctl init >/dev/null
printf 'msisdn\n' >"$WORK/units.csv"
for i in $(seq 10); do printf '+4917200%05d\n' "$i" >>"$WORK/units.csv"; done
ctl rollout create open --no-preflight --profile p --file "$WORK/units.csv" --rate 5/min >/dev/null
ctl rollout create nightly --no-preflight --profile p --file "$WORK/units.csv" --rate 5/min \
	--window 01:00-05:00 --tz UTC --allow-overlap >/dev/null

# ---- ETA: "window hours only" only with a window
out=$(ctl rollout status open)
eta=$(grep '^eta ' <<<"$out") || fail "no eta line: $out"
! grep -q "window hours" <<<"$eta" || fail "ETA of a rollout without a window: $eta"
grep -q "(10 to send at 5/min)" <<<"$eta" || fail "ETA: $eta"
ctl rollout status nightly | grep -q '^eta .*, window hours only)$' ||
	fail "ETA of a windowed rollout: $(ctl rollout status nightly)"

# ---- not a terminal: wrapped at 80 columns, at item boundaries
out=$(ctl rollout status open)
long=$(awk 'length > 80' <<<"$out")
[ -z "$long" ] || fail "lines longer than 80 columns: $long"
grep -q '^stopped   queued 10 (0 failed)' <<<"$out" || fail "stopped line: $out"
grep -qE '^ {9} [a-z_]+ 0 \(0 failed\)' <<<"$out" || fail "no continuation line: $out"

# ---- times in tables carry the zone (strftime %Z)
TZ=UTC ctl rollout list | grep -qE ' [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC' ||
	fail "rollout list time without zone: $(TZ=UTC ctl rollout list)"
TZ=UTC ctl watch open --once | head -1 | grep -qE '^[0-9-]{10} [0-9:]{8} UTC  \(every' ||
	fail "watch header time without zone: $(TZ=UTC ctl watch open --once | head -1)"
id=$(sql "SELECT id FROM jobs LIMIT 1")
TZ=UTC ctl status --rollout open | grep -qE "^$id .* [0-9:]{8} UTC" ||
	fail "status table time without zone: $(TZ=UTC ctl status --rollout open)"

# ---- on a terminal: its width (TIOCGWINSZ); Ctrl-C exits 0
python3 - "$BIN/otapctl" "$CONF" <<'PY' || fail "watch on a terminal (see above)"
import fcntl, os, pty, signal, struct, subprocess, sys, termios, time
ctl, conf = sys.argv[1], sys.argv[2]

def run(cols, args, interrupt=False):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    p = subprocess.Popen([ctl, "-c", conf] + args, stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    if interrupt:
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    rc = p.wait(timeout=10)
    os.close(master)
    return rc, out.decode().replace("\r", "")

rc, out = run(200, ["rollout", "status", "open"])
stopped = [l for l in out.split("\n") if l.startswith("stopped")]
assert rc == 0 and len(stopped) == 1 and "reported 0 (0 failed)" in stopped[0], out
rc, out = run(50, ["rollout", "status", "open"])
items = [l for l in out.split("\n") if l.startswith(("jobs", "funnel", "stopped", " " * 10))]
assert rc == 0 and len(items) > 3 and max(len(l) for l in items) <= 50, out
rc, out = run(200, ["watch", "open", "--interval", "200ms"], interrupt=True)
assert rc == 0, "watch exited %d on SIGINT: %s" % (rc, out)
assert "rollout   open: active" in out, out
PY

# ---- the operator-pause hint names the rollout
ctl rollout pause open >/dev/null
ctl rollout status open | grep -qx 'paused    paused by the operator; resume with otapctl rollout resume open' ||
	fail "pause reason: $(ctl rollout status open)"
echo "ok: watch width, Ctrl-C, ETA, zones, pause hint"
