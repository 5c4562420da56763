/* sqlite_expire.c - the SQLite engine's store_expire: queued jobs past
 * their deadline become failed "expired", with an attempt row each, a
 * batch per transaction. */
#include "sqlite_engine.h"

#include <inttypes.h>

#include "log.h"

/* Jobs expired per transaction: a few milliseconds of writing. */
#define EXPIRE_BATCH 1000

/* The same jobs for both statements of a batch: ordered by the index
 * (jobs_expiring: deadline, then rowid) and cut at the batch size. */
#define EXPIRED_JOBS "SELECT id FROM jobs WHERE state = 'queued' AND deadline IS NOT NULL " \
	"AND deadline <= ?1 ORDER BY deadline, id LIMIT ?2"

static int expire_batch(sqlite3 *db, int64_t now, const char *doing, struct errbuf *err)
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
	if (db_run(db, history, doing, err) < 0 || db_run(db, fail, doing, err) < 0 ||
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

int sqlite_expire(struct store *base, int64_t now, int64_t *count, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "expiring jobs past their deadline";
	int64_t total = 0;
	/* Read-only first: the scheduler asks every second. */
	int n = any_expired(db, now, doing, err);
	if (n > 0)
		n = EXPIRE_BATCH;
	while (n == EXPIRE_BATCH) {
		if ((n = expire_batch(db, now, doing, err)) < 0)
			return -1;
		total += n;
		if (n == EXPIRE_BATCH)
			sqlite_write_pause();
	}
	if (n < 0)
		return -1;
	if (total > 0)
		log_info("queue: %" PRId64 " jobs expired (still unsent at their deadline)", total);
	if (count)
		*count = total;
	return 0;
}
