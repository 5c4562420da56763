/* sqlite_staging.c - the SQLite engine's rollouts in state 'importing':
 * telling a running import from a dead one, deleting a dead one's staged
 * jobs a short transaction at a time, and the flip to active that ends an
 * import (see store_import_begin in store_rollouts.h). */
#include "sqlite_engine.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

int store_write_slice_ms = STORE_WRITE_SLICE_MS;

/* Jobs deleted per statement; statements run until the slice is used up. */
#define DELETE_STEP 1000

void sqlite_write_pause(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = SQLITE_WRITE_PAUSE_MS * 1000000L }, NULL);
}

/* Whether process pid still runs (EPERM: it does, as another user). */
static bool pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

bool sqlite_import_running(const struct rollout *r)
{
	return r->state == ROLLOUT_IMPORTING && r->importer_pid != (int)getpid() &&
	       pid_alive(r->importer_pid);
}

/* Deletes up to DELETE_STEP jobs of rollout name. Returns how many, -1. */
static int delete_step(sqlite3 *db, const char *name, struct errbuf *err)
{
	const char *doing = "deleting an interrupted import's jobs";
	/* One seek per wave in jobs_rollout_wave, as everywhere else. */
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM jobs WHERE id IN (WITH RECURSIVE "
				      "wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM wave WHERE "
				      "n < 16) SELECT j.id FROM wave w, jobs j WHERE j.rollout = ?1 "
				      "AND j.wave = w.n LIMIT ?2)", doing, err);
	_Static_assert(ROLLOUT_WAVES_MAX == 16, "delete_step walks the waves 1..16");
	if (st) {
		db_bind_text(st, 1, name);
		sqlite3_bind_int(st, 2, DELETE_STEP);
	}
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes(db);
}

/* One transaction of at most store_write_slice_ms of deleting. Returns
 * the jobs deleted (0: none left), or -1. */
static int64_t delete_slice(sqlite3 *db, const char *name, struct errbuf *err)
{
	struct db_tx t;
	int64_t total = 0, until = clock_mono_ms() + store_write_slice_ms;
	int n;
	if (db_tx_begin(&t, db, "deleting an interrupted import's jobs", err) < 0)
		return -1;
	do {
		if ((n = delete_step(db, name, err)) < 0) {
			db_tx_rollback(&t);
			return -1;
		}
		total += n;
	} while (n == DELETE_STEP && clock_mono_ms() < until);
	if (db_tx_commit(&t, "deleting an interrupted import's jobs", err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return total;
}

/* Takes the staged rollout over for deleting (importer_pid = ours), so
 * that a second cleaner or creator sees a live owner. Returns 1, 0 when it
 * is not (or no longer) a dead import, -1 with a refusal or error. */
static int take_over(sqlite3 *db, const char *name, struct errbuf *err)
{
	const char *doing = "taking over an interrupted import";
	struct db_tx t;
	struct rollout r;
	if (db_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int found = sqlite_rollout_load(db, name, &r, err);
	if (found == 1 && r.state != ROLLOUT_IMPORTING)
		found = 0;
	if (found == 1 && sqlite_import_running(&r)) {
		errbuf_set(err, "rollout %s is being imported by another otapctl (pid %d); wait "
			   "for it, or stop it and run otapctl rollout cancel %s", name,
			   r.importer_pid, name);
		found = -1;
	}
	sqlite3_stmt *st = found == 1 ? db_prepare(db, "UPDATE rollouts SET importer_pid = ?2 "
						   "WHERE name = ?1", doing, err) : NULL;
	if (st) {
		db_bind_text(st, 1, name);
		sqlite3_bind_int(st, 2, (int)getpid());
	}
	if (found == 1 && db_run_once(db, st, doing, err) < 0)
		found = -1;
	if (found <= 0 || db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return found == 0 ? 0 : -1;
	}
	return 1;
}

static int delete_row(sqlite3 *db, const char *name, struct errbuf *err)
{
	const char *doing = "deleting an interrupted import";
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM rollouts WHERE name = ?1 AND "
				      "state = 'importing'", doing, err);
	if (st)
		db_bind_text(st, 1, name);
	return db_run_once(db, st, doing, err);
}

int sqlite_staged_delete(sqlite3 *db, const char *name, int64_t *jobs, struct errbuf *err)
{
	int64_t total = 0, n;
	int taken = take_over(db, name, err);
	if (taken <= 0)
		return taken;
	/* The row goes last: until then a crash here leaves a rollout that
	 * says 'importing', which the next cleaner finishes. */
	while ((n = delete_slice(db, name, err)) > 0) {
		total += n;
		sqlite_write_pause();
	}
	if (n < 0 || delete_row(db, name, err) < 0)
		return -1;
	if (jobs)
		*jobs = total;
	return 1;
}

int sqlite_staged_activate(sqlite3 *db, const char *name, int64_t units, int64_t now,
			   struct errbuf *err)
{
	const char *doing = "activating the imported rollout";
	struct db_tx t;
	struct rollout r;
	if (db_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int found = sqlite_rollout_load(db, name, &r, err);
	if (found == 0 || (found == 1 && (r.state != ROLLOUT_IMPORTING ||
					  r.importer_pid != (int)getpid())))
		errbuf_set(err, "rollout %s was cancelled or taken over while importing", name);
	sqlite3_stmt *st = NULL;
	if (found == 1 && r.state == ROLLOUT_IMPORTING && r.importer_pid == (int)getpid())
		st = db_prepare(db, "UPDATE rollouts SET state = 'active', importer_pid = NULL, "
				"total_units = ?2, updated_at = ?3 WHERE name = ?1", doing, err);
	if (st) {
		db_bind_text(st, 1, name);
		sqlite3_bind_int64(st, 2, units);
		sqlite3_bind_int64(st, 3, now);
	}
	if (!st || db_run_once(db, st, doing, err) < 0 || db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return 0;
}
