/* pg_staging.c - the PostgreSQL engine's rollouts in state 'importing':
 * the importer's advisory lock (a running import from a dead one, on any
 * host), deleting a dead one's staged jobs a short transaction at a time,
 * and the flip to active that ends an import (see pg_shared.h; the SQLite
 * twin is sqlite_staging.c). */
#include "pg_shared.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The advisory lock space of imports ("otap" as a 32-bit key); the second
 * key is the hash of the rollout's name. Two names with the same hash
 * only make one import wait for the other's end. */
#define PG_LOCK_IMPORT 0x6f746170

/* Jobs deleted per transaction. */
#define DELETE_STEP 10000

/* How long taking the lock waits for its holder. A session whose otapctl
 * just died holds it until its server process has noticed, a moment
 * later: a create or cancel run right after the kill waits for that
 * instead of refusing, while a running import is refused after this. */
#define LOCK_WAIT_MS "2000"

/* SQLSTATE lock_not_available: the lock_timeout ran out. */
#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"

int pg_import_lock(struct pg_store *s, const char *name, struct errbuf *err)
{
	const char *doing = "claiming the rollout's import";
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0 ||
	    pg_run(s, "SELECT set_config('lock_timeout', '" LOCK_WAIT_MS "', true)", NULL, doing,
		   err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	/* Session-level: it outlives this transaction, until unlocked or the
	 * session ends. libpq directly: the refusal is told by its SQLSTATE. */
	char key[16];
	snprintf(key, sizeof key, "%d", PG_LOCK_IMPORT);
	const char *values[2] = { key, name };
	PGresult *res = PQexecParams(s->conn, "SELECT pg_advisory_lock($1::integer, hashtext($2))",
				     2, NULL, values, NULL, NULL, 0);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int taken = PQresultStatus(res) == PGRES_TUPLES_OK ? 1 :
		    state && strcmp(state, SQLSTATE_LOCK_NOT_AVAILABLE) == 0 ? 0 : -1;
	if (taken < 0)
		pg_fail(s, doing, err);
	PQclear(res);
	if (taken == 1 && pg_tx_commit(&t, doing, err) < 0)
		taken = -1;
	if (taken != 1)
		pg_tx_rollback(&t);
	return taken;
}

void pg_import_unlock(struct pg_store *s, const char *name)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, PG_LOCK_IMPORT);
	pg_param_text(&p, name);
	struct errbuf err;
	if (pg_run(s, "SELECT pg_advisory_unlock($1::integer, hashtext($2))", &p,
		   "releasing the rollout's import", &err) < 0)
		log_warnx("store: %s", err.msg);
}

/* Deletes up to DELETE_STEP staged jobs of rollout name in one
 * transaction (autocommit). Returns how many, or -1. */
static int64_t delete_step(struct pg_store *s, const char *name, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	pg_param_int(&p, DELETE_STEP);
	return pg_run(s, "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE rollout = $1 "
		      "AND wave IS NOT NULL LIMIT $2)", &p, "deleting an interrupted import's jobs",
		      err);
}

/* Marks the staged rollout as this session's (importer_pid = our backend),
 * so that activate tells a rollout cleaned and created again by someone
 * else from ours. Returns 1, 0 when name is not importing, -1. */
static int take_over(struct pg_store *s, const char *name, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	int64_t n = pg_run(s, "UPDATE rollouts SET importer_pid = pg_backend_pid() WHERE name = $1 "
			   "AND state = 'importing'", &p, "taking over an interrupted import", err);
	return n < 0 ? -1 : n > 0;
}

int pg_staged_delete(struct pg_store *s, const char *name, int64_t *jobs, struct errbuf *err)
{
	int64_t total = 0, n;
	int taken = take_over(s, name, err);
	if (taken <= 0)
		return taken;
	/* The row goes last: until then a crash here leaves a rollout that
	 * says 'importing', which the next cleaner finishes. */
	while ((n = delete_step(s, name, err)) > 0)
		total += n;
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	if (n < 0 || pg_run(s, "DELETE FROM rollouts WHERE name = $1 AND state = 'importing'", &p,
			    "deleting an interrupted import", err) < 0)
		return -1;
	if (jobs)
		*jobs = total;
	return 1;
}

int pg_staged_activate(struct pg_store *s, const char *name, int64_t units, int64_t now,
		       struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	pg_param_int(&p, units);
	pg_param_int(&p, now);
	/* One statement: the check and the flip under the row's lock. */
	int64_t n = pg_run(s, "UPDATE rollouts SET state = 'active', importer_pid = NULL, "
			   "total_units = $2, updated_at = $3 WHERE name = $1 AND "
			   "state = 'importing' AND importer_pid = pg_backend_pid()", &p,
			   "activating the imported rollout", err);
	if (n < 0)
		return -1;
	if (n == 0)
		return errbuf_set(err, "rollout %s was cancelled or taken over while importing", name);
	/* Its first wave may be due: idle modems look now. */
	return pg_notify_wake(s, err);
}
