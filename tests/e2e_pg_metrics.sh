# e2e_pg_metrics.sh - e2e_metrics.sh (the /metrics counts) with otapd and
# otapctl on PostgreSQL (see OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_metrics.sh"
