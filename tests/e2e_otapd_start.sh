# e2e_otapd_start.sh - what otapd says before it runs: --check-config's
# syntax error (libconfig's text once, with FILE:LINE) and its dump of a
# password read from password_file; and that otapd refuses a database that
# otapctl init has not created, creating nothing itself.
. "$(dirname "$0")/testlib.sh"

# ---- a syntax error: FILE:LINE, "syntax error" said once
printf 'database = "%s";\nprofiles = ( { name = "p"; } );\nbroken line\n' "$DB" >"$CONF"
set +e
out=$("$BIN/otapd" -c "$CONF" --check-config 2>&1)
rc=$?
set -e
[ $rc = 2 ] || fail "--check-config on a syntax error: exit $rc: $out"
grep -qF "otapd.conf:3: syntax error (libconfig could not parse the line; expected KEY = VALUE;)" \
	<<<"$out" || fail "syntax error message: $out"
! grep -q "syntax error: syntax error" <<<"$out" || fail "syntax error said twice: $out"

# ---- password_file: the dump names the file, never the secret
printf 'pw-from-file\n' >"$WORK/otap.pw"
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password_file = "otap.pw"; jad_url = "http://fw.example.com/a.jad"; } );
CONF
out=$("$BIN/otapd" -c "$CONF" --check-config) || fail "--check-config: $out"
grep -qF "password_file = \"$WORK/otap.pw\";" <<<"$out" || fail "dump lacks password_file: $out"
! grep -q 'pw-from-file\|password = ' <<<"$out" || fail "dump shows a password: $out"

# ---- no database: refused with the hint, nothing created
echo 'modems = ( { name = "m1"; device = "tcp://127.0.0.1:9"; } );' >>"$CONF"
set +e
out=$("$BIN/otapd" -c "$CONF" 2>&1)
rc=$?
set -e
[ $rc = 1 ] || fail "otapd without a database: exit $rc: $out"
grep -qF "database $DB does not exist: create it with otapctl init" <<<"$out" ||
	fail "missing database message: $out"
[ ! -e "$DB" ] && [ ! -e "$DB.lock" ] || fail "otapd created $(ls "$WORK")"
set +e
out=$("$BIN/otapd" -c "$CONF" --db "$WORK/other.db" 2>&1)
set -e
grep -qF "database $WORK/other.db does not exist" <<<"$out" || fail "--db: $out"
[ ! -e "$WORK/other.db" ] || fail "otapd created the --db database"
echo "ok: check-config messages; missing database refused"
