/* notify_db.h - internal to lib/notify_*.c (not a contract between
 * engineers): the job fields the report rules look at, a planned change of
 * a job with the attempt row documenting it, transactions, and SQLite
 * helpers on the queue's connection.
 *
 * Each public entry point (notify_store.h) reads the job inside its own
 * write transaction, plans the change in plain C, then writes the job row
 * and one attempt row with notify_job_apply(), so the decision and the
 * write see the same state while otapd's workers and otapctl write too.
 */
#ifndef OTAP_NOTIFY_DB_H
#define OTAP_NOTIFY_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "db.h"
#include "errbuf.h"
#include "notify.h"
#include "queue.h"

/* Rows handled per transaction by the sweeps. */
#define NOTIFY_BATCH 256

/* Columns for notify_job_from_row(); the jobs table is aliased j. */
#define NOTIFY_JOB_COLUMNS "j.id, j.state, j.action, j.attempts, j.max_attempts, " \
	"j.notify_token, j.notify_code, j.notified_at, j.sent_at, j.msisdn, j.notify_text, " \
	"j.notify_pending"

/* The fields of a job that the rules look at. */
struct notify_job {
	int64_t id;
	enum job_state state;
	enum otap_action action;
	int attempts;
	int max_attempts;
	char token[NOTIFY_TOKEN_LEN + 1];
	int notify_code;                /* -1 = none */
	int64_t notified_at;            /* 0 = never */
	int64_t sent_at;                /* 0 = never */
	char msisdn[MSISDN_MAX_LEN + 1];
	char notify_text[NOTIFY_TEXT_MAX];
	bool notify_pending;
};

/* A planned change of one job. */
struct notify_change {
	enum job_state state;           /* new state (may equal the old one) */
	bool requeue;                   /* not_before = now */
	bool set_error;
	char error[QUEUE_TEXT_MAX];
	const struct notify_report *report;     /* record code, text, notified_at */
	bool confirmed;                 /* confirmed_at = now */
	bool delivered;                 /* delivered_at = now */
	bool defer;                     /* notify_pending = 1 */
	bool undefer;                   /* notify_pending = 0 */
};

/* The attempt row that documents a change. */
struct notify_history {
	const char *modem;
	const char *result;
	const char *mrs;
	char detail[QUEUE_TEXT_MAX];
};

/* One write transaction, or a savepoint inside the caller's transaction
 * (the same convention as queue.c). */
struct notify_tx {
	sqlite3 *db;
	bool nested;
};

/* Steps a statement that returns no rows, then resets it for reuse. Returns 0 or -1. */
int notify_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Steps st once and finalizes it: 1 when it gave a row, 0 when not, -1 on error. */
int notify_db_exists(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Copies a text column ("" for NULL) into dst. */
void notify_db_copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col);
/* A time column, 0 for NULL. */
int64_t notify_db_column_time(sqlite3_stmt *st, int col);

/* BEGIN IMMEDIATE (or SAVEPOINT). Returns 0 or -1. */
int notify_tx_begin(struct notify_tx *t, sqlite3 *db, const char *doing, struct errbuf *err);
int notify_tx_commit(struct notify_tx *t, const char *doing, struct errbuf *err);
/* Ends the transaction without changes (also the normal end of a read that
 * found nothing to do). Failures are only logged. */
void notify_tx_rollback(struct notify_tx *t);

/* Fills *j from NOTIFY_JOB_COLUMNS starting at column col. */
void notify_job_from_row(sqlite3_stmt *st, int col, struct notify_job *j);
/* Steps st (a query for NOTIFY_JOB_COLUMNS), fills *j from its first row
 * and finalizes it. Returns 1, 0 when there was no row, or -1. */
int notify_job_load(sqlite3 *db, sqlite3_stmt *st, struct notify_job *j, const char *doing,
		    struct errbuf *err);
/* Returns 1, 0 when there is no such job, or -1. */
int notify_job_by_id(sqlite3 *db, int64_t id, struct notify_job *j, struct errbuf *err);
/* Steps st into rows (at most max) and finalizes it. Returns the count or -1. */
int notify_jobs_load(sqlite3 *db, sqlite3_stmt *st, struct notify_job *rows, int max,
		     const char *doing, struct errbuf *err);
/* Writes the change to job id and inserts the attempt row. Returns 0 or -1. */
int notify_job_apply(sqlite3 *db, int64_t id, int64_t now, const struct notify_change *c,
		     const struct notify_history *h, struct errbuf *err);

/* Sets c->error (and set_error) from a format. */
void notify_change_error(struct notify_change *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets h->detail from a format. */
void notify_history_detail(struct notify_history *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The try was counted when the job was sent: plans queued again (not_before
 * now, last_error why) unless that was its last one, then failed "gave up
 * after N attempts: why". */
void notify_plan_retry(const struct notify_job *j, const char *why, struct notify_change *c);

#endif
