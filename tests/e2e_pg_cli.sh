# e2e_pg_cli.sh - otapctl says the same against either engine: the same
# commands (init, enqueue, rollout create/list/status/pause/resume/cancel,
# status, diagnose, retry, cancel, modems, purge, audit, text and JSON) run
# once against a SQLite file and once against a fresh PostgreSQL database
# of the test cluster (tests/pg_cluster.sh, password from
# database_password_file), with the same jobs' outcomes written into each;
# their outputs and exit codes, with times masked, must be equal, apart
# from the one line that tells how the engine gives space back after a
# purge.
. "$(dirname "$0")/testlib.sh"

[ -s "${OTAP_TEST_PG_FILE:-}" ] || { echo "SKIP: no PostgreSQL test cluster (tests/pg_cluster.sh)"; exit 77; }
BASE_URL=$(cat "$OTAP_TEST_PG_FILE")
DBNAME=otap_cli_$$
URL=${BASE_URL%/*}/$DBNAME

drop_db() { psql -X -q "$BASE_URL" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true; }
trap 'cleanup; drop_db' EXIT
psql -X -q -v ON_ERROR_STOP=1 "$BASE_URL" -c "CREATE DATABASE $DBNAME" >/dev/null

# A modem nobody listens on: otapd is not running here.
PORT=$(pick_port)
write_conf() {
	{
		echo "database = \"$2\";"
		[ -z "${3:-}" ] || echo "database_password_file = \"$3\";"
		echo 'profiles = ( { name = "p"; password = "pw"; jad_url = "http://fw.example.com/a.jad"; } );'
		echo "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:$PORT\"; } );"
	} >"$1"
}
write_conf "$WORK/sqlite.conf" "$WORK/otap.db"
write_conf "$WORK/pg.conf" "$URL" "$OTAP_TEST_PG_PASSWORD_FILE"

# Units with what the fleet file may hold: quotes, separators, a backslash,
# a tab, a repeated number and a bad one.
printf 'msisdn;label;note\n' >"$WORK/units.csv"
for i in $(seq 1 12); do
	printf '+4917100000%02d;"unit ""%d"", a;b";C:\\fw\\%d\ttab\n' "$i" "$i" "$i" >>"$WORK/units.csv"
done
printf '+491710000003;again;x\n0000;bad;y\n' >>"$WORK/units.csv"

# sql ENGINE STATEMENT: the same statement on either database.
engine_sql() {
	if [ "$1" = sqlite ]; then
		sqlite3 -cmd '.timeout 5000' "$WORK/otap.db" "$2"
	else
		psql -X -A -t -q -v ON_ERROR_STOP=1 "$URL" -c "$2"
	fi
}

# run ENGINE ARGS...: one otapctl command, its output and exit code into
# ENGINE.out. PostgreSQL's password comes from the config, not PGPASSFILE.
run() {
	local engine=$1; shift
	{
		echo "\$ otapctl $*"
		env -u PGPASSFILE "$BIN/otapctl" -c "$WORK/$engine.conf" "$@" 2>&1 && echo "[exit 0]" ||
			echo "[exit $?]"
	} >>"$WORK/$engine.out"
}

# run_db ENGINE ARGS...: with --db and no config (PostgreSQL's password
# then comes from libpq's PGPASSFILE).
run_db() {
	local engine=$1; shift
	local db
	db=$(sed -n 's/^database = "\(.*\)";$/\1/p' "$WORK/$engine.conf")
	{
		echo "\$ otapctl --db DB $*"
		"$BIN/otapctl" --db "$db" "$@" 2>&1 && echo "[exit 0]" || echo "[exit $?]"
	} >>"$WORK/$engine.out"
}

session() {
	local e=$1
	run "$e" init
	run "$e" enqueue --to +491719999999 --profile p
	run "$e" enqueue --to +491719999998 --profile p --action delete --max-attempts 2
	run "$e" rollout create r1 --no-preflight --profile p --file "$WORK/units.csv" --waves 50%,100% \
		--window 00:00-23:59 --rate 30/min --max-failure-rate 20%
	run "$e" rollout create r1 --no-preflight --profile p --file "$WORK/units.csv"
	run "$e" rollout list
	run "$e" rollout list --json
	# Outcomes as otapd would have written them (otapd is not the subject).
	engine_sql "$e" "UPDATE jobs SET state = 'failed', attempts = 3, last_error =
		'+CMS ERROR: 21 (short message transfer rejected)' WHERE id IN (3, 4)"
	engine_sql "$e" "UPDATE jobs SET state = 'sent', attempts = 1, sent_at = updated_at,
		reached = 1 WHERE id = 5"
	run "$e" rollout status r1
	run "$e" rollout status r1 --json
	run "$e" rollout pause r1
	run "$e" rollout pause r1
	run "$e" rollout status r1
	run "$e" rollout resume r1
	run "$e" status
	run "$e" status 3
	run "$e" status --rollout r1 --state failed --json
	run "$e" diagnose --rollout r1
	run "$e" diagnose 5 --json
	run "$e" retry --failed --rollout r1
	run "$e" cancel 1
	run "$e" cancel 1
	run "$e" rollout cancel r1 --yes
	run "$e" rollout status r1
	run "$e" modems
	run "$e" modems --json
	sleep 1.1       # the purge's cutoff: a second after the jobs' last change
	run "$e" purge --older-than 1s --dry-run
	run "$e" purge --older-than 1s
	run "$e" audit
	run "$e" audit --json --limit 3
	run_db "$e" rollout list
	run_db "$e" status --json --limit 2
}

session sqlite
session pg

# Times, durations and the database's name differ between the runs.
mask() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?Z?/<TIME>/g' \
		-e 's/"(at|created_at|updated_at|not_before|sent_at|since|started_at|finished_at|last_seen|state_since|eta|next_window_at|closes_at|opens_at)": *[0-9]+/"\1": <MS>/g' \
		-e 's/[0-9]+(\.[0-9]+)? ?(ms|s|min|h|d) ago/<AGO>/g' \
		-e 's/(in|for) [0-9]+(h|min|s|d)( [0-9]+(min|s))?/\1 <DUR>/g' \
		-e "s#$WORK/otap.db|$URL#<DB>#g" \
		-e 's/^user: .*/user: <USER>/' \
		-e '/^space: /d' "$1"
}
mask "$WORK/sqlite.out" >"$WORK/sqlite.masked"
mask "$WORK/pg.out" >"$WORK/pg.masked"
diff -u "$WORK/sqlite.masked" "$WORK/pg.masked" >"$WORK/diff.log" ||
	{ cat "$WORK/diff.log" >&2; fail "otapctl says different things on SQLite and PostgreSQL"; }

# The runs did what they say (the same on both, checked on one).
grep -q '^\[exit 0\]' "$WORK/pg.out" || fail "no command succeeded"
[ "$(grep -c '^\$ otapctl' "$WORK/pg.out")" -ge 30 ] || fail "commands missing from the run"
grep -q 'r1 .*cancelled' "$WORK/pg.out" || fail "rollout r1 was not listed as cancelled"
grep -q '^space: .*autovacuum' "$WORK/pg.out" || fail "the PostgreSQL purge did not say how space comes back"
[ "$(engine_sql pg "SELECT count(*) FROM audit")" -ge 8 ] || fail "audit entries missing on PostgreSQL"
echo "ok: $(grep -c '^\$ otapctl' "$WORK/pg.out") otapctl commands say the same on SQLite and PostgreSQL"
