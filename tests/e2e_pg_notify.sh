# e2e_pg_notify.sh - e2e_notify.sh (install notifications: confirmed,
# failed, forged and repeated requests) with otapd and otapctl on
# PostgreSQL (see OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_notify.sh"
