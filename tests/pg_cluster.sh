#!/usr/bin/env bash
# pg_cluster.sh - a throw-away PostgreSQL cluster for the tests of the
# store's PostgreSQL engine: `pg_cluster.sh start STATE_DIR` runs initdb and
# pg_ctl as the postgres user (initdb refuses root) in a temp dir, on a
# loopback port below the ephemeral range, with password (SCRAM) login for
# a role "otap" owning a database "otap"; it writes into STATE_DIR:
#   url       postgresql://otap@127.0.0.1:PORT/otap (no password in it)
#   password  the role's password, for database_password_file (0600)
#   pgpass    the same as a PGPASSFILE (0600)
#   cluster   the cluster's directory, for stop
# and prints the URL. `pg_cluster.sh stop STATE_DIR` stops it and removes
# everything. ctest runs them as the fixture pair pg_cluster_start /
# pg_cluster_stop (tests/CMakeLists.txt).
#
# Without PostgreSQL (no initdb under /usr/lib/postgresql/*/bin) start
# writes no url and succeeds, so the tests that need it skip and say why;
# in CI (CI=true) a missing PostgreSQL fails instead.
set -euo pipefail

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }

# shellcheck source=tests/testlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"     # pick_port, fail

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"    # already an unprivileged user that may run initdb
	fi
}

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

stop_cluster() {
	[ -s "$state/cluster" ] || { rm -rf "$state"; return 0; }
	local dir bindir
	dir=$(cat "$state/cluster")
	bindir=$(pg_bindir || true)
	if [ -n "$bindir" ] && [ -d "$dir/data" ]; then
		as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir" "$state"
}

start_cluster() {
	stop_cluster
	mkdir -p "$state"
	local bindir
	if ! bindir=$(pg_bindir); then
		if [ "${CI:-}" = true ]; then
			echo "pg_cluster: PostgreSQL is not installed (scripts/deps.sh installs postgresql)" >&2
			exit 1
		fi
		echo "pg_cluster: no PostgreSQL here (apt-get install postgresql): its tests skip"
		return 0
	fi
	local dir port password
	dir=$(mktemp -d /tmp/otap-pg.XXXXXX)
	echo "$dir" >"$state/cluster"
	port=$(pick_port)
	password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$password" >"$dir/pwfile"
	chmod 700 "$dir"
	chown -R postgres: "$dir" 2>/dev/null || true
	# Local (socket) logins as postgres are trusted, for the setup below;
	# TCP logins need the password, as a real deployment's would.
	as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; fail "initdb failed"; }
	# fsync off: a throw-away cluster, speed over durability.
	as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
		start >/dev/null || { cat "$dir/server.log" >&2; fail "pg_ctl start failed"; }
	as_postgres "$bindir/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE otap LOGIN CREATEDB PASSWORD '$password'" \
		-c "CREATE DATABASE otap OWNER otap" >/dev/null
	umask 077
	printf '%s\n' "$password" >"$state/password"
	printf '127.0.0.1:%s:*:otap:%s\n' "$port" "$password" >"$state/pgpass"
	echo "postgresql://otap@127.0.0.1:$port/otap" >"$state/url"
	cat "$state/url"
}

case $cmd in
start) start_cluster ;;
stop) stop_cluster ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
