#!/usr/bin/env bash
# e2e_web.sh - the web status page in a real browser: otapd sends a
# 6-unit rollout to the simulator; 2 units report their install (900) on
# the notify listener. Headless chromium loads the admin listener's page
# once and the rendered DOM must show the rollout (name, 2 confirmed,
# counts), its units with diagnoses and the modem's row; then 3 more units
# confirm and the SAME page session must show 5 confirmed, the units
# table updated and a state filter applied server-side. The page must
# have loaded nothing but its own files. Without chromium the test skips
# (exit 77), unless OTAP_REQUIRE_BROWSER=1 (CI), where it fails.
. "$(dirname "$0")/testlib.sh"

CHROMIUM=${OTAP_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! "$CHROMIUM" --version >/dev/null 2>&1; then
	if [ "${OTAP_REQUIRE_BROWSER:-0}" = 1 ]; then
		fail "no chromium found and OTAP_REQUIRE_BROWSER=1 (apt-get install chromium)"
	fi
	echo "SKIP e2e_web: no chromium (apt-get install chromium, or set OTAP_CHROMIUM)"
	exit 77
fi

NPORT=$(pick_port)
APORT=$(pick_port)
while [ "$APORT" = "$NPORT" ]; do APORT=$(pick_port); done
SECRET=W3bPageSecretPassw0rd
start_sim m1
cat >"$CONF" <<CONF
database = "$DB";
profiles = ( { name = "p"; password = "$SECRET"; jad_url = "http://fw.example.com/a.jad"; } );
notify = { listen = "127.0.0.1:$NPORT"; public_url = "http://127.0.0.1:$NPORT/"; };
admin = { listen = "127.0.0.1:$APORT"; };
modems = ( { name = "m1"; device = "tcp://127.0.0.1:$SIM_PORT_m1"; } );
CONF
ctl init >/dev/null
{
	echo "msisdn,label"
	for i in 1 2 3 4 5 6; do echo "+4917300000$i,unit $i"; done
} >"$WORK/units.csv"
ctl rollout create spring --no-preflight --profile p --file "$WORK/units.csv" >/dev/null
start_otapd "$CONF"
sent_all() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('sent','delivered')")" = 6 ]; }
wait_for "the 6 units sent" 60 sent_all

# confirm N...: the units of those jobs report 900 on the notify listener.
cat >"$WORK/confirm.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
for id in "\$@"; do
	token=\$(sqlite3 -readonly -cmd '.timeout 5000' "$DB" "SELECT notify_token FROM jobs WHERE id = \$id")
	code=\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
		-A "ELS61/49015420323751\$id Profile/IMP-NG" --data-binary '900 Success' \
		"http://127.0.0.1:$NPORT/n/\$id/\$token")
	[ "\$code" = 200 ] || { echo "notification of job \$id answered \$code" >&2; exit 1; }
done
SH
chmod +x "$WORK/confirm.sh"
IDS=($(sql "SELECT id FROM jobs ORDER BY id"))
"$WORK/confirm.sh" "${IDS[0]}" "${IDS[1]}"

# Expressions over the rendered DOM.
row='document.querySelector("#rollouts tbody tr[data-name=\"spring\"]")'
text() { echo "(($row || {}).querySelector ? $row.querySelector(\"$1\").textContent : null)"; }
units_rows='document.querySelectorAll("#units tbody tr[data-id]")'
confirmed_units="Array.from($units_rows).filter(r => r.children[2].textContent === \"confirmed\").length"
modem='document.querySelector("#modems tbody tr[data-name=\"m1\"]")'
REPORT='JSON.stringify({body: document.body.innerText.slice(0, 3000),
	resources: performance.getEntriesByType("resource").map(e => e.name)})'

mkdir -p "$WORK/profile"
python3 "$TESTS/web_page.py" --chromium "$CHROMIUM" --profile "$WORK/profile" \
	--url "http://127.0.0.1:$APORT/" --timeout 20 --report "$REPORT" \
	--expect "$(text .rollout-name) === \"spring\" && $(text .count-confirmed) === \"2\"" \
	--expect "$(text .count-sent) === \"4\" && $(text .count-failed) === \"0\" && $(text .state) === \"active\"" \
	--expect "$units_rows.length === 6 && $confirmed_units === 2" \
	--expect "Array.from($units_rows).some(r => r.children[4].textContent.startsWith(\"updated: the unit confirmed\"))" \
	--expect "$modem !== null && $modem.querySelector(\".condition\").textContent.startsWith(\"ready\") && Number($modem.querySelector(\".sms-sent\").textContent) >= 6" \
	--expect "document.getElementById(\"funnel-title\").textContent === \"Funnel of spring\"" \
	--eval 'window.__sameSession = "yes"' \
	--then "$WORK/confirm.sh ${IDS[2]} ${IDS[3]} ${IDS[4]}" \
	--expect "$(text .count-confirmed) === \"5\" && $(text .count-sent) === \"1\" && $confirmed_units === 5" \
	--expect 'window.__sameSession === "yes"' \
	--eval 'const s = document.getElementById("f-state"); s.value = "confirmed"; s.dispatchEvent(new Event("change"));' \
	--expect "$units_rows.length === 5 && $confirmed_units === 5 && document.getElementById(\"page-info\").textContent.includes(\"5 units\")" \
	--expect "performance.getEntriesByType(\"resource\").every(e => e.name.startsWith(\"http://127.0.0.1:$APORT/\"))" \
	--expect "!document.body.innerHTML.includes(\"$SECRET\")" \
	>"$WORK/browser.out" 2>&1 || { cat "$WORK/browser.out" >&2; fail "the page in chromium"; }
grep -c '^ok:' "$WORK/browser.out" | grep -qx 11 || { cat "$WORK/browser.out" >&2; fail "not every step ran"; }
[ "$(count_state confirmed)" = 5 ] || fail "the database has $(count_state confirmed) confirmed, want 5"

stop_otapd
echo "PASS e2e_web (rollout, counts, units, modem row and their update in one session in $("$CHROMIUM" --version | head -1))"
