#!/usr/bin/env bash
# deps.sh - installs the Debian packages otapd needs to build and test.
# Skips apt when everything is already there (so it is cheap to call).
set -euo pipefail
PKGS=(build-essential cmake pkg-config libserialport-dev libsqlite3-dev libconfig-dev
      libmicrohttpd-dev libcmocka-dev sqlite3
      libcurl4-openssl-dev    # the modem simulator's units, otapctl preflight: JAD and JAR
      libzip-dev              # otapctl preflight: the JAR's META-INF/MANIFEST.MF
      libsystemd-dev          # sd_notify: Type=notify readiness and the watchdog
      libsmpp34-dev           # SMPP 3.4 PDUs for the smpp:// links and the test SMSC
      curl openssl python3    # the notify listener's e2e tests (HTTPS, a second client address)
      groff-base man-db       # the install test formats the man pages; verify looks them up
      systemd                 # systemd-analyze verify/security of the installed unit
      chromium                # e2e_web: the status page in a real (headless) browser
      libpq-dev               # the store's PostgreSQL engine (database = "postgresql://...")
      postgresql)             # its tests: a throw-away cluster (tests/pg_cluster.sh: initdb, pg_ctl)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
