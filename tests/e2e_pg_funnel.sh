# e2e_pg_funnel.sh - e2e_funnel.sh (the download funnel: notifications,
# status reports, events, diagnose, retry --stopped-at) with otapd and
# otapctl on PostgreSQL (see OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_funnel.sh"
