# e2e_pg_admin_api.sh - e2e_admin_api.sh (the admin listener's JSON API:
# the same objects as otapctl --json, the unit list's filters and pages,
# errors, the access token) with otapd and otapctl on PostgreSQL (see
# OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_admin_api.sh"
