# e2e_hooks.sh - event hooks: a job that fails for good (on a modem, past
# its deadline, unconfirmed) runs on_job_failed and the rollout it pauses
# runs on_rollout_paused, each with the details in
# OTAPD_* variables only (never the profile's password); a hook that hangs
# is killed at its timeout with a log line while the modem goes on sending.
. "$(dirname "$0")/testlib.sh"

num() { printf '+4917200%05d' "$1"; }
PW=s3cr3t-hook-pw

printf '%s cms=1\n%s cms=1\n%s notify=none\n' "$(num 2)" "$(num 9)" "$(num 20)" >"$WORK/fleet"
start_sim m1 --fleet "$WORK/fleet"
base_config() {
	cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$PW"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
retry = { max_attempts = 2; backoff_initial = "100ms"; backoff_max = "300ms"; };
CONF
	printf '%s\n' "$@" >>"$CONF"
}

# ---- config errors and --check-config
base_config 'hooks = { on_job_failed = "true"; timeout = 0; };'
! "$BIN/otapd" -c "$CONF" --check-config >/dev/null 2>"$WORK/err.txt" || fail "timeout 0 must be refused"
grep -q "'timeout' is 0; expected seconds, from 1 to 300" "$WORK/err.txt" || fail "timeout error: $(cat "$WORK/err.txt")"
base_config 'hooks = { on_job_faild = "true"; };'
! "$BIN/otapd" -c "$CONF" --check-config >/dev/null 2>"$WORK/err.txt" || fail "an unknown hook key must be refused"
grep -q "on_job_faild" "$WORK/err.txt" || fail "unknown key error: $(cat "$WORK/err.txt")"

# ---- a failed job and the paused rollout
base_config "hooks = {
	on_job_failed = \"env | grep ^OTAPD_ > $WORK/failed.\$OTAPD_JOB_ID.env\";
	on_rollout_paused = \"env | grep ^OTAPD_ > $WORK/paused.env\";
};"
out=$("$BIN/otapd" -c "$CONF" --check-config)
grep -q 'on_job_failed = "env | grep ^OTAPD_' <<<"$out" || fail "--check-config must show the hook: $out"
grep -q 'timeout = 10;' <<<"$out" || fail "--check-config must show the default timeout: $out"
ctl init >/dev/null
{ echo msisdn; for i in 1 2 3 4; do num "$i"; echo; done; } >"$WORK/units.csv"
ctl rollout create r1 --no-preflight --profile p --file "$WORK/units.csv" --waves 50%,100% \
	--max-failure-rate 20 >/dev/null
start_otapd "$CONF"
wait_for "the paused hook" 30 test -s "$WORK/paused.env"
id=$(sql "SELECT id FROM jobs WHERE msisdn='$(num 2)'")
wait_for "the failed hook" 10 test -s "$WORK/failed.$id.env"
stop_otapd
env_is() { grep -qxF "$2" "$1" || fail "$1 must have '$2', has: $(cat "$1")"; }
f=$WORK/failed.$id.env
env_is "$f" "OTAPD_EVENT=job_failed"
env_is "$f" "OTAPD_JOB_ID=$id"
env_is "$f" "OTAPD_TO=$(num 2)"
env_is "$f" "OTAPD_PROFILE=p"
env_is "$f" "OTAPD_ROLLOUT=r1"
env_is "$f" "OTAPD_REASON=$(sql "SELECT last_error FROM jobs WHERE id=$id")"
grep -q '^OTAPD_REASON=.*CMS ERROR 1' "$f" || fail "reason must name the error: $(cat "$f")"
grep -Eqx 'OTAPD_TIME=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' "$f" || fail "time: $(cat "$f")"
[ "$(wc -l <"$f")" = 7 ] || fail "exactly seven OTAPD_ variables expected: $(cat "$f")"
p=$WORK/paused.env
env_is "$p" "OTAPD_EVENT=rollout_paused"
env_is "$p" "OTAPD_ROLLOUT=r1"
env_is "$p" "OTAPD_JOB_ID="
env_is "$p" "OTAPD_REASON=$(sql "SELECT pause_reason FROM rollouts WHERE name='r1'")"
! grep -rqF "$PW" "$WORK"/*.env || fail "the profile's password reached a hook"
[ "$(ls "$WORK"/failed.*.env | wc -l)" = 1 ] || fail "one failed job, one hook run"

# ---- a hook that hangs: killed at its timeout, sending goes on meanwhile
ctl rollout cancel r1 >/dev/null 2>&1 || true
base_config 'hooks = { on_job_failed = "sleep 61"; timeout = 3; };'
ctl enqueue --to "$(num 9)" --profile p >/dev/null
for i in 11 12 13; do ctl enqueue --to "$(num "$i")" --profile p >/dev/null; done
: >"$WORK/otapd.log"
start_otapd "$CONF"
sent_three() { [ "$(sql "SELECT count(*) FROM jobs WHERE state='sent' AND msisdn IN ('$(num 11)','$(num 12)','$(num 13)')")" = 3 ]; }
wait_for "the failure of $(num 9)" 10 grep -q "to $(num 9) via m1: failed" "$WORK/otapd.log"
wait_for "the other jobs sent" 10 sent_three
! grep -q "timed out" "$WORK/otapd.log" || fail "the jobs must be sent while the hook still runs"
wait_for "the timeout line" 10 grep -q "hook on_job_failed timed out after 3s" "$WORK/otapd.log"
sleep 0.5
! pgrep -f 'sleep 61' >/dev/null || fail "the timed-out hook's command must be killed"
stop_otapd
# ---- jobs the scheduler fails run on_job_failed too: past their deadline
# (no modem can send: its only modem is unreachable) ...
hook_failed="hooks = { on_job_failed = \"env | grep ^OTAPD_ > $WORK/sched.\$OTAPD_JOB_ID.env\"; };"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$PW"; jad_url = "http://fw.example.com/a.jad"; } );
modems = ( { name = "dead"; device = "tcp://127.0.0.1:1"; } );
$hook_failed
CONF
id=$(ctl enqueue --to "$(num 19)" --profile p --until +1s)
start_otapd "$CONF"
wait_for "the expired job's hook" 20 test -s "$WORK/sched.$id.env"
stop_otapd
env_is "$WORK/sched.$id.env" "OTAPD_EVENT=job_failed"
env_is "$WORK/sched.$id.env" "OTAPD_TO=$(num 19)"
env_is "$WORK/sched.$id.env" "OTAPD_REASON=expired"
# ... and unconfirmed within confirm_timeout with no attempt left.
PORT=$(pick_port)
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$PW"; jad_url = "http://fw.example.com/a.jad";
               confirm_timeout = "1s"; } );
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
notify = { listen = "127.0.0.1:$PORT"; public_url = "http://127.0.0.1:$PORT/"; };
retry = { max_attempts = 1; };
$hook_failed
CONF
id=$(ctl enqueue --to "$(num 20)" --profile p)
start_otapd "$CONF"
wait_for "the unconfirmed job's hook" 20 test -s "$WORK/sched.$id.env"
stop_otapd
env_is "$WORK/sched.$id.env" "OTAPD_TO=$(num 20)"
env_is "$WORK/sched.$id.env" "OTAPD_PROFILE=p"
grep -q '^OTAPD_REASON=.*no confirmation within 1s' "$WORK/sched.$id.env" ||
	fail "the reason must say why: $(cat "$WORK/sched.$id.env")"
[ "$(sql "SELECT state FROM jobs WHERE id=$id")" = failed ] || fail "job $id must have failed"
echo "ok: hooks: job_failed and rollout_paused variables, no password, timeout kills the hook, expired and unconfirmed jobs"
