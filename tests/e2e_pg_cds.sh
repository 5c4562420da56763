# e2e_pg_cds.sh - e2e_cds.sh (status reports: delivered, failed, retried,
# left sent) with otapd and otapctl on PostgreSQL (see OTAP_E2E_ENGINE in
# testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_cds.sh"
