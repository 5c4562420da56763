# e2e_pg_smpp.sh - e2e_smpp.sh (jobs sent through an SMPP link, settled by
# its delivery receipts) with otapd and otapctl on PostgreSQL (see
# OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_smpp.sh"
