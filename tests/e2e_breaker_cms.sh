# e2e_breaker_cms.sh - a modem whose every submit gets a modem-class error
# (+CMS ERROR 302) is put into 'failing' with a growing backoff instead of
# being re-initialised and used again at once: over 10 s only a handful of
# tries and log lines, no attempt of any unit used, and the +CMS code is
# kept in each attempt row.
. "$(dirname "$0")/testlib.sh"

start_sim m1 --cms-error 302@1-100000000
simple_config
ctl init >/dev/null
for i in 1 2 3 4 5; do ctl enqueue --to "+49171000001$i" --profile p >/dev/null; done

start_otapd "$CONF"
sleep 10
stop_otapd

tries=$(sql "SELECT count(*) FROM attempts")
lines=$(wc -l <"$WORK/otapd.log")
[ "$tries" -ge 1 ] || fail "the modem was never tried"
[ "$tries" -le 6 ] || fail "$tries tries in 10 s: the failing modem must back off"
[ "$lines" -le 40 ] || fail "$lines log lines in 10 s (expected a handful)"
grep -q 'modem m1: failing (+CMS ERROR 302' "$WORK/otapd.log" || fail "the log must say the modem is failing and why"
[ "$(grep -c 'modem m1: failing' "$WORK/otapd.log")" = 1 ] || fail "'failing' must be logged once per state change"
[ "$(sql "SELECT count(*) FROM attempts WHERE result='modem' AND cms_error=302")" = "$tries" ] ||
	fail "every try must be a 'modem' attempt with +CMS ERROR 302 kept"
[ "$(sql "SELECT sum(attempts) FROM jobs")" = 0 ] || fail "a modem-class error must not use a unit's attempt"
[ "$(count_state queued)" = 5 ] || fail "all jobs must stay queued"
echo "ok: CMS 302 modem: $tries tries and $lines log lines in 10 s, modem failing"
