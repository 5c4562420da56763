#!/usr/bin/env bash
# e2e_purge.sh - the operator's view without a modem: rollout cancel of more
# than 1000 queued jobs refused without --yes (stdin not a terminal), purge
# --dry-run counting and purge deleting old finished jobs with their history
# but never those of an active rollout, and the audit trail listing every
# action newest first, as text and JSON.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

DB="$WORK/otap.db"
CONF="$WORK/otapd.conf"
SIM_PORT_m1=1   # never started: no otapd here
simple_config
DAY_MS=86400000

# run ARGS...: otapctl with stdin not a terminal; sets RC, OUT, ERR.
run() {
	RC=0
	ctl "$@" </dev/null >"$WORK/out" 2>"$WORK/err" || RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

expect_rc() {
	[ "$RC" -eq "$1" ] || fail "$2: exit $RC, expected $1 (stdout: $OUT) (stderr: $ERR)"
}

# units FILE N FIRST: a fleet file of N numbers from +49170FIRST on.
units() {
	{ echo msisdn; seq "$3" $(($3 + $2 - 1)) | sed "s/^/+49170/"; } >"$1"
}

units "$WORK/big.csv" 1001 1000000
units "$WORK/small.csv" 3 2000000
run rollout create big --no-preflight --profile p --file "$WORK/big.csv"
expect_rc 0 "rollout create big"
run rollout create small --no-preflight --profile p --file "$WORK/small.csv"
expect_rc 0 "rollout create small"

# ---------------------------------------------------------------- --yes
run rollout cancel big
expect_rc 2 "rollout cancel of 1001 queued jobs without --yes"
grep -q -- '--yes' "$WORK/err" || fail "refusal does not name --yes: $ERR"
grep -q '1001 queued jobs' "$WORK/err" || fail "refusal does not count the jobs: $ERR"
[ "$(sql "SELECT state FROM rollouts WHERE name = 'big'")" = active ] ||
	fail "refused cancel changed the rollout"
run cancel --rollout big
expect_rc 2 "cancel --rollout of 1001 queued jobs without --yes"
[ "$(count_state cancelled)" = 0 ] || fail "refused cancel cancelled jobs"
# On a terminal it asks; anything but y/yes leaves the rollout alone.
python3 - "$BIN/otapctl" "$CONF" <<'PY' || fail "rollout cancel on a terminal did not ask or obey"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-c", sys.argv[2], "rollout", "cancel", "big"])
seen = b""
while b"[y/N]" not in seen:
    seen += os.read(fd, 1024)
assert b"1001 queued jobs" in seen, seen
os.write(fd, b"n\n")
try:
    while os.read(fd, 1024):
        pass
except OSError:
    pass
_, status = os.waitpid(pid, 0)
assert os.WEXITSTATUS(status) == 2, status
PY
[ "$(sql "SELECT state FROM rollouts WHERE name = 'big'")" = active ] ||
	fail "unconfirmed cancel changed the rollout"
run rollout cancel big --yes
expect_rc 0 "rollout cancel --yes"
grep -q '1001 queued jobs cancelled' "$WORK/out" || fail "rollout cancel --yes: $OUT"
# A small rollout needs no --yes.
JOB_SMALL=$(sql "SELECT min(id) FROM jobs WHERE rollout = 'small'")
run cancel "$JOB_SMALL"
expect_rc 0 "cancel one job of an active rollout"

run enqueue --to +491709999999 --profile p
expect_rc 0 "enqueue"
JOB=$OUT
run cancel "$JOB"
expect_rc 0 "cancel the enqueued job"

# Everything cancelled so far is 100 days old; one job has an attempt and
# an event to go with it.
sqlite3 -cmd '.timeout 5000' "$DB" "
	UPDATE jobs SET updated_at = updated_at - 100 * $DAY_MS WHERE state = 'cancelled';
	UPDATE rollouts SET updated_at = updated_at - 100 * $DAY_MS WHERE name = 'big';
	INSERT INTO attempts (job_id, started_at, finished_at, result) VALUES ($JOB, 1, 2, 'sent');
	INSERT INTO events (job_id, at, kind) VALUES ($JOB, 2, 'sent');"

# ---------------------------------------------------------------- purge
run purge --older-than 90d --dry-run
expect_rc 0 "purge --dry-run"
grep -q '^would delete 1002 jobs .*(1 attempts, 1 events, 0 sent parts) and 1 emptied rollouts' \
	"$WORK/out" || fail "purge --dry-run: $OUT"
[ "$(sql 'SELECT count(*) FROM jobs')" = 1005 ] || fail "dry run deleted jobs"

run purge --older-than 120d
expect_rc 0 "purge of nothing that old"
grep -q '^deleted 0 jobs' "$WORK/out" || fail "purge 120d: $OUT"

run purge --older-than 90d
expect_rc 0 "purge"
grep -q '^deleted 1002 jobs .*(1 attempts, 1 events, 0 sent parts) and 1 emptied rollouts' \
	"$WORK/out" || fail "purge: $OUT"
grep -q '^space: .*VACUUM' "$WORK/out" || fail "purge does not say how space comes back: $OUT"
[ "$(sql 'SELECT count(*) FROM jobs')" = 3 ] || fail "purge left $(sql 'SELECT count(*) FROM jobs') jobs"
[ "$(sql "SELECT count(*) FROM jobs WHERE id = $JOB_SMALL")" = 1 ] ||
	fail "purge deleted the cancelled job of an active rollout"
[ "$(sql 'SELECT count(*) FROM attempts') $(sql 'SELECT count(*) FROM events')" = "0 0" ] ||
	fail "purge left history behind"
[ "$(sql "SELECT group_concat(name) FROM rollouts")" = small ] || fail "rollouts after purge"

run purge
expect_rc 2 "purge without --older-than"
run purge --older-than soon
expect_rc 2 "purge with a bad duration"
grep -q -- '--older-than' "$WORK/err" || fail "bad duration not named: $ERR"

# ---------------------------------------------------------------- audit
run audit
expect_rc 0 "audit"
ME=$(id -un)
actions=$(grep -v '^    ' "$WORK/out" | awk '{ print $5 }' | paste -sd,)
[ "$actions" = "purge,purge,cancel,enqueue,cancel,rollout,rollout,rollout" ] ||
	fail "audit order/actions: $actions ($OUT)"
grep -q "  $ME  *purge --older-than 90d\$" "$WORK/out" || fail "audit lacks user or args: $OUT"
grep -q "rollout cancel big --yes" "$WORK/out" || fail "audit lacks the rollout cancel: $OUT"
grep -q "^    deleted 1002 jobs, 1 rollouts" "$WORK/out" || fail "audit lacks the result: $OUT"
! grep -q 'dry-run' "$WORK/out" || fail "a dry run was recorded as an action"

run audit --json --limit 2
expect_rc 0 "audit --json"
python3 - "$WORK/out" "$ME" <<'PY' || fail "audit --json: $OUT"
import json, sys
entries = json.load(open(sys.argv[1]))
assert len(entries) == 2, entries
assert entries[0]["action"] == "purge" and entries[0]["args"] == "--older-than 90d", entries
assert entries[0]["user"] == sys.argv[2], entries
assert entries[0]["id"] > entries[1]["id"], entries
assert entries[0]["at"].endswith("Z"), entries
PY
run audit --limit x
expect_rc 2 "audit --limit x"

echo "e2e_purge: ok"
