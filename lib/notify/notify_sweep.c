/* notify_sweep.c - the confirmation timeout: sent or delivered jobs whose
 * unit has not reported within the profile's confirm_timeout are queued
 * again or failed (see notify_store.h). Run every few seconds by otapd's
 * scheduler when a notify listener is configured. */
#include "notify_sweep.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "duration.h"
#include "log.h"
#include "notify_db.h"

/* One range seek per (state, profile) on jobs_unconfirmed. */
#define UNCONFIRMED_WHERE " FROM jobs j WHERE j.state IN ('sent', 'delivered') " \
	"AND j.profile = ?1 AND j.sent_at < ?2"

static sqlite3_stmt *prepare_unconfirmed(sqlite3 *db, const char *sql, const char *profile,
					 int64_t cutoff, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (st) {
		db_bind_text(st, 1, profile);
		sqlite3_bind_int64(st, 2, cutoff);
	}
	return st;
}

static void log_unconfirmed(const struct notify_job *j, const struct notify_change *c)
{
	if (c->state == JOB_FAILED)
		log_warnx("job %" PRId64 " to %s: failed: %s", j->id, j->msisdn, c->error);
	else
		log_info("job %" PRId64 " to %s: %s, queued again (attempt %d of %d used)", j->id,
			 j->msisdn, c->error, j->attempts, j->max_attempts);
}

/* Requeues or fails the rows, all in the caller's transaction. */
static int apply_unconfirmed(sqlite3 *db, const struct notify_job *rows, int n, const char *why,
			     int64_t now, struct errbuf *err)
{
	for (int i = 0; i < n; i++) {
		struct notify_history h = { .result = "unconfirmed" };
		struct notify_change c = { 0 };
		notify_plan_retry(&rows[i], why, &c);
		notify_history_detail(&h, "%s", c.error);
		if (notify_job_apply(db, rows[i].id, now, &c, &h, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads and handles up to NOTIFY_BATCH overdue jobs of profile in one
 * transaction. Returns their number, or -1. */
static int sweep_batch(sqlite3 *db, const char *profile, int64_t cutoff, const char *why,
		       struct notify_job *rows, int64_t now, struct errbuf *err)
{
	const char *doing = "handling unconfirmed jobs";
	struct notify_tx t;
	if (notify_tx_begin(&t, db, doing, err) < 0)
		return -1;
	sqlite3_stmt *st = prepare_unconfirmed(db, "SELECT " NOTIFY_JOB_COLUMNS UNCONFIRMED_WHERE,
					       profile, cutoff, doing, err);
	int n = st ? notify_jobs_load(db, st, rows, NOTIFY_BATCH, doing, err) : -1;
	if (n < 0 || apply_unconfirmed(db, rows, n, why, now, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	return n;
}

static int sweep_profile(sqlite3 *db, const struct otap_profile *p, int64_t now, int *count,
			 struct errbuf *err)
{
	const char *doing = "looking for unconfirmed jobs";
	int64_t cutoff = now - p->confirm_timeout_ms;
	char timeout[32], why[64];

	/* A read-only probe first, so an idle sweep never takes the write lock. */
	sqlite3_stmt *st = prepare_unconfirmed(db, "SELECT 1" UNCONFIRMED_WHERE " LIMIT 1",
					       p->name, cutoff, doing, err);
	int any = st ? notify_db_exists(db, st, doing, err) : -1;
	if (any <= 0)
		return any;
	struct notify_job *rows = calloc(NOTIFY_BATCH, sizeof *rows);
	if (!rows)
		return errbuf_set(err, "%s: out of memory", doing);
	duration_format(p->confirm_timeout_ms, timeout, sizeof timeout);
	snprintf(why, sizeof why, "no confirmation within %s", timeout);
	int n = sweep_batch(db, p->name, cutoff, why, rows, now, err);
	for (int i = 0; i < n; i++) {
		struct notify_change c = { 0 };
		notify_plan_retry(&rows[i], why, &c);   /* again, to log what was committed */
		log_unconfirmed(&rows[i], &c);
	}
	free(rows);
	if (n < 0)
		return -1;
	*count += n;
	return 0;
}

int notify_sweep_unconfirmed(struct queue *q, const struct cfg *cfg, int64_t now, int *count,
			     struct errbuf *err)
{
	int done = 0;
	if (count)
		*count = 0;
	/* Deferred notifications first: a unit that did report must not be
	 * timed out for want of bookkeeping. */
	if (notify_apply_deferred(q, now, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->profile_count; i++) {
		if (sweep_profile(queue_db(q), &cfg->profiles[i], now, &done, err) < 0)
			return -1;
	}
	if (count)
		*count = done;
	return 0;
}
