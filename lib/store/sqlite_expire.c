/* sqlite_expire.c - the SQLite engine's store_expire: queued jobs past
 * their deadline become failed "expired", with an attempt row each, a
 * batch per transaction. */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <stdlib.h>


/* Jobs expired per transaction: a few milliseconds of writing. */
#define EXPIRE_BATCH 1000

/* The same jobs for both statements of a batch: ordered by the index
 * (jobs_expiring: deadline, then rowid) and cut at the batch size. */
#define EXPIRED_JOBS "SELECT id FROM jobs WHERE state = 'queued' AND deadline IS NOT NULL " \
	"AND deadline <= ?1 ORDER BY deadline, id LIMIT ?2"

struct id_list {
	int64_t *ids;
	int n;
};

static int take_id(sqlite3_stmt *st, void *arg)
{
	struct id_list *l = arg;
	l->ids[l->n++] = sqlite3_column_int64(st, 0);
	return l->n == EXPIRE_BATCH;   /* the LIMIT says so too */
}

/* The ids of the batch, read inside its transaction (the same rows the
 * statements change) for the caller's expired callback. */
static int batch_ids(sqlite3 *db, int64_t now, int64_t *ids, const char *doing,
		     struct errbuf *err)
{
	struct id_list l = { ids, 0 };
	sqlite3_stmt *st = db_prepare(db, EXPIRED_JOBS, doing, err);
	if (st) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int(st, 2, EXPIRE_BATCH);
	}
	return db_walk(db, st, take_id, &l, doing, err);
}

/* One batch in one transaction; ids (NULL: not wanted) gets the ids of
 * the jobs it failed. Returns their number or -1. */
static int expire_batch(sqlite3 *db, int64_t now, int64_t *ids, const char *doing,
			struct errbuf *err)
{
	struct db_tx t;
	sqlite3_stmt *history = db_prepare(db, "INSERT INTO attempts (job_id, started_at, "
		"finished_at, modem, result, detail) SELECT id, ?1, ?1, NULL, 'expired', "
		"'expired: still unsent at its deadline' FROM jobs WHERE id IN (" EXPIRED_JOBS ")",
		doing, err);
	sqlite3_stmt *fail = history ? db_prepare(db, "UPDATE jobs SET state = 'failed', "
		"last_error = 'expired', updated_at = ?1 WHERE id IN (" EXPIRED_JOBS ")", doing,
		err) : NULL;
	int n = -1;
	if (!fail || db_tx_begin(&t, db, doing, err) < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = i == 0 ? history : fail;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int(st, 2, EXPIRE_BATCH);
	}
	if ((ids && batch_ids(db, now, ids, doing, err) < 0) ||
	    db_run(db, history, doing, err) < 0 || db_run(db, fail, doing, err) < 0 ||
	    (n = sqlite3_changes(db), db_tx_commit(&t, doing, err) < 0)) {
		db_tx_rollback(&t);
		n = -1;
	}
out:
	sqlite3_finalize(history);
	sqlite3_finalize(fail);
	return n;
}

static int any_expired(sqlite3 *db, int64_t now, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM jobs WHERE state = 'queued' AND "
				      "deadline IS NOT NULL AND deadline <= ?1 LIMIT 1", doing, err);
	if (st)
		sqlite3_bind_int64(st, 1, now);
	return db_exists(db, st, doing, err);
}

int sqlite_expire(struct store *base, int64_t now, store_failed_fn *expired, void *arg,
		  int64_t *count, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "expiring jobs past their deadline";
	int64_t total = 0;
	/* Read-only first: the scheduler asks every second. */
	int n = any_expired(db, now, doing, err);
	int64_t *ids = NULL;
	if (n > 0 && expired && !(ids = malloc(EXPIRE_BATCH * sizeof *ids)))
		return errbuf_set(err, "%s: out of memory", doing);
	if (n > 0)
		n = EXPIRE_BATCH;
	while (n == EXPIRE_BATCH) {
		if ((n = expire_batch(db, now, ids, doing, err)) < 0) {
			free(ids);
			return -1;
		}
		for (int i = 0; ids && i < n; i++)
			expired(ids[i], arg);
		total += n;
		if (n == EXPIRE_BATCH)
			sqlite_write_pause();
	}
	free(ids);
	if (n < 0)
		return -1;
	*count = total;
	return 0;
}
