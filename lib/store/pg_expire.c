/* pg_expire.c - the PostgreSQL engine's store_expire: queued jobs past
 * their deadline become failed "expired", with an attempt row each, a
 * batch per transaction (the SQLite twin is sqlite_expire.c). */
#include "pg_shared.h"

#include <inttypes.h>


/* Jobs expired per transaction: a few milliseconds of writing. */
#define EXPIRE_BATCH 1000

/* One statement per batch: the jobs are locked once (SKIP LOCKED: a job
 * being claimed right now is no longer queued, or is taken next time),
 * get their history row and their new state together, and come back
 * (RETURNING) for the caller's callback once the statement committed.
 * Returns the number expired, or -1. */
static int64_t expire_batch(struct pg_store *s, int64_t now, store_failed_fn *expired, void *arg,
			    const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	pg_param_int(&p, EXPIRE_BATCH);
	PGresult *res = pg_query(s, "WITH due AS (SELECT id FROM jobs WHERE state = 'queued' AND "
		"deadline IS NOT NULL AND deadline <= $1 ORDER BY deadline, id LIMIT $2 "
		"FOR UPDATE SKIP LOCKED), history AS (INSERT INTO attempts (job_id, started_at, "
		"finished_at, modem, result, detail) SELECT id, $1, $1, NULL, 'expired', "
		"'expired: still unsent at its deadline' FROM due) "
		"UPDATE jobs SET state = 'failed', last_error = 'expired', updated_at = $1 "
		"WHERE id IN (SELECT id FROM due) RETURNING id", &p, doing, err);
	if (!res)
		return -1;
	int64_t n = PQntuples(res);
	for (int i = 0; expired && i < n; i++)
		expired(pg_col_int(res, i, 0, 0), arg);
	PQclear(res);
	return n;
}

int pg_expire(struct store *base, int64_t now, store_failed_fn *expired, void *arg,
	      int64_t *count, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "expiring jobs past their deadline";
	int64_t total = 0, n = EXPIRE_BATCH;
	/* Outside a caller's transaction each statement commits on its own,
	 * before its jobs are told. */
	while (n == EXPIRE_BATCH) {
		if ((n = expire_batch(s, now, expired, arg, doing, err)) < 0)
			return -1;
		total += n;
	}
	*count = total;
	return 0;
}
