# e2e_pg_unit_download.sh - e2e_unit_download.sh (units downloading their
# JAD and JAR from otapd and reporting, with every kind of fault) with
# otapd and otapctl on PostgreSQL (see OTAP_E2E_ENGINE in testlib.sh).
OTAP_E2E_ENGINE=postgresql exec bash "$(dirname "$0")/e2e_unit_download.sh"
