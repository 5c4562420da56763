# e2e_pg_rollout.sh - e2e_rollout.sh (a rollout paused on failures,
# resumed, finished, retried) with otapd and otapctl on PostgreSQL (see
# OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_rollout.sh"
