/* sqlite_purge.c - the SQLite engine's retention: deleting old finished
 * jobs with their history, then emptied finished rollouts, then giving
 * space back (see store_purge in store_admin.h). */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <string.h>

/* A job that may go (?1 = the cutoff): final, last changed before the
 * cutoff, and of no rollout still in progress. The NOT EXISTS is one seek
 * on the rollouts' primary key; NULL rollout matches no row. */
#define PURGEABLE "j.state IN ('confirmed', 'failed', 'cancelled') AND j.updated_at < ?1 " \
	"AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE r.name = j.rollout " \
	"AND r.state NOT IN ('done', 'cancelled'))"
/* The purgeable jobs of one chunk: ids in (?2, ?3]. */
#define CHUNK_JOBS "SELECT j.id FROM jobs j WHERE j.id > ?2 AND j.id <= ?3 AND " PURGEABLE

/* The next chunk: the highest id of the next `chunk` purgeable jobs after
 * `after`, walking the primary key (so the whole purge reads the table
 * once). Returns the number found (0 = none left) with *hi set, or -1. */
static int64_t next_chunk(sqlite3 *db, int64_t cutoff, int64_t after, int chunk, int64_t *hi,
			  struct errbuf *err)
{
	const char *doing = "finding jobs to purge";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*), max(id) FROM (SELECT j.id FROM jobs j "
				      "WHERE j.id > ?2 AND " PURGEABLE " ORDER BY j.id LIMIT ?3)",
				      doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, chunk);
	int found = db_step(db, st, doing, err);
	int64_t n = found > 0 ? sqlite3_column_int64(st, 0) : -1;
	if (found > 0)
		*hi = db_column_or(st, 1, after);
	sqlite3_finalize(st);
	return n;
}

/* Adds the chunk's history rows (what the cascade will delete) to *out. */
static int count_history(sqlite3 *db, int64_t cutoff, int64_t lo, int64_t hi,
			 struct purge_result *out, struct errbuf *err)
{
	const char *doing = "counting the history of jobs to purge";
	sqlite3_stmt *st = db_prepare(db, "SELECT "
		"(SELECT count(*) FROM attempts WHERE job_id IN (" CHUNK_JOBS ")), "
		"(SELECT count(*) FROM events WHERE job_id IN (" CHUNK_JOBS ")), "
		"(SELECT count(*) FROM sent_parts WHERE job_id IN (" CHUNK_JOBS "))", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	int found = db_step(db, st, doing, err);
	if (found > 0) {
		out->attempts += sqlite3_column_int64(st, 0);
		out->events += sqlite3_column_int64(st, 1);
		out->sent_parts += sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return found > 0 ? 0 : -1;
}

/* Deletes the chunk's jobs; the cascade takes their history. Returns the
 * number of jobs deleted, or -1. */
static int64_t delete_chunk(sqlite3 *db, int64_t cutoff, int64_t lo, int64_t hi,
			    struct errbuf *err)
{
	const char *doing = "purging jobs";
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM jobs WHERE id IN (" CHUNK_JOBS ")",
				      doing, err);
	if (st) {
		sqlite3_bind_int64(st, 1, cutoff);
		sqlite3_bind_int64(st, 2, lo);
		sqlite3_bind_int64(st, 3, hi);
	}
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes64(db);
}

/* Finds and counts the chunk after *after, in the caller's transaction.
 * Returns its job count (0 = none left) with *hi set, or -1. */
static int64_t take_chunk(sqlite3 *db, const struct purge_spec *p, int chunk, int64_t after,
			  int64_t *hi, struct purge_result *out, struct errbuf *err)
{
	*hi = after;
	int64_t n = next_chunk(db, p->cutoff, after, chunk, hi, err);
	if (n > 0 && count_history(db, p->cutoff, after, *hi, out, err) < 0)
		return -1;
	return n;
}

/* Dry run: one chunk counted in a read transaction (a consistent view of
 * the chunk and its history). Returns 1 when counted, 0 when none left, -1. */
static int count_chunk(sqlite3 *db, const struct purge_spec *p, int chunk, int64_t *after,
		       struct purge_result *out, struct errbuf *err)
{
	const char *doing = "counting jobs to purge";
	if (db_exec(db, "BEGIN", doing, err) < 0)
		return -1;
	int64_t hi;
	int64_t n = take_chunk(db, p, chunk, *after, &hi, out, err);
	db_exec(db, "COMMIT", doing, NULL);     /* read-only: nothing to lose */
	if (n < 0)
		return -1;
	out->jobs += n;
	*after = hi;
	return n > 0;
}

/* One chunk after *after counted and deleted in its own write transaction.
 * Returns 1 when a chunk went, 0 when none is left, -1. */
static int purge_chunk(sqlite3 *db, const struct purge_spec *p, int chunk, int64_t *after,
		       struct purge_result *out, struct errbuf *err)
{
	const char *doing = "purging a chunk of jobs";
	struct purge_result counted = *out;
	struct db_tx t;
	if (db_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int64_t hi;
	int64_t n = take_chunk(db, p, chunk, *after, &hi, &counted, err);
	if (n > 0)
		n = delete_chunk(db, p->cutoff, *after, hi, err);
	if (n <= 0) {
		db_tx_rollback(&t);
		return n < 0 ? -1 : 0;
	}
	if (db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	*out = counted;
	out->jobs += n;
	out->transactions++;
	*after = hi;
	return 1;
}

/* The finished rollouts that no job names any more (after the purge's
 * deletes; in a dry run, those whose every job would go), last changed
 * before the cutoff. One statement. */
static int purge_rollouts(sqlite3 *db, const struct purge_spec *p, struct purge_result *out,
			  struct errbuf *err)
{
	const char *doing = "purging finished rollouts";
	const char *sql = p->dry_run
		? "SELECT count(*) FROM rollouts r WHERE r.state IN ('done', 'cancelled') "
		  "AND r.updated_at < ?1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE "
		  "j.rollout = r.name AND NOT (j.state IN ('confirmed', 'failed', 'cancelled') "
		  "AND j.updated_at < ?1))"
		: "DELETE FROM rollouts WHERE state IN ('done', 'cancelled') AND updated_at < ?1 "
		  "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.rollout = rollouts.name)";
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->cutoff);
	if (p->dry_run)
		return db_int(db, st, 0, &out->rollouts, doing, err);
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	out->rollouts = sqlite3_changes64(db);
	out->transactions++;
	return 0;
}

static int64_t pragma_int(sqlite3 *db, const char *sql, struct errbuf *err)
{
	int64_t v = -1;
	if (db_int(db, db_prepare(db, sql, "reading the file's space", err), -1, &v,
		   "reading the file's space", err) < 0)
		return -1;
	return v;
}

/* PRAGMA incremental_vacuum when the file is in incremental mode (auto_vacuum
 * = 2); SQLite switches a file into that mode only with a full VACUUM, which
 * otapd's store never runs behind the operator's back. */
static int reclaim_space(sqlite3 *db, const struct purge_spec *p, struct purge_result *out,
			 struct errbuf *err)
{
	int64_t mode = pragma_int(db, "PRAGMA auto_vacuum", err);
	int64_t before = pragma_int(db, "PRAGMA freelist_count", err);
	out->page_size = pragma_int(db, "PRAGMA page_size", err);
	if (mode < 0 || before < 0 || out->page_size < 0)
		return -1;
	out->incremental = mode == 2;
	out->free_pages = before;
	if (!out->incremental || p->dry_run)
		return 0;
	if (db_exec(db, "PRAGMA incremental_vacuum", "reclaiming space", err) < 0)
		return -1;
	out->free_pages = pragma_int(db, "PRAGMA freelist_count", err);
	if (out->free_pages < 0)
		return -1;
	out->pages_freed = before - out->free_pages;
	return 0;
}

int sqlite_purge(struct store *base, const struct purge_spec *p, struct purge_result *out,
		 struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	int chunk = p->chunk > 0 ? p->chunk : STORE_PURGE_CHUNK;
	int64_t after = 0;
	int more;
	memset(out, 0, sizeof *out);
	if (p->dry_run) {
		while ((more = count_chunk(db, p, chunk, &after, out, err)) > 0)
			;
	} else {
		while ((more = purge_chunk(db, p, chunk, &after, out, err)) > 0)
			sqlite_write_pause();
	}
	if (more < 0 || purge_rollouts(db, p, out, err) < 0 || reclaim_space(db, p, out, err) < 0)
		return -1;
	return 0;
}
