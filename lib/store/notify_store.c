/* notify_store.c - install notifications applied to the jobs table (by
 * token or by IMEI, deferred while a worker owns the job) and the job
 * fields they record (see notify_store.h for the rules). Status reports
 * live in notify_report.c, the confirmation sweep in notify_sweep.c. */
#include "notify_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify_db.h"

#define OPEN_STATES "'queued', 'sending', 'sent', 'delivered'"

/* ---- planning ---- */

static bool is_repeat(const struct notify_job *j, const struct notify_report *r)
{
	/* The same code again, and the job was not sent since it came. */
	return j->notify_code == r->code && j->notified_at >= j->sent_at;
}

/* What a notification does to a job that is not in 'sending'. */
static void plan_verdict(const struct notify_job *j, const struct notify_report *r,
			 const char *desc, struct notify_change *c)
{
	enum notify_verdict verdict = notify_verdict_for(r->code, j->action);
	if (verdict == NOTIFY_CONFIRM) {
		/* Even cancelled jobs note it: the unit did install. */
		c->confirmed = true;
		if (j->state != JOB_CANCELLED)
			c->state = JOB_CONFIRMED;
	} else if (j->state == JOB_CANCELLED) {
		/* record only */
	} else if (verdict == NOTIFY_FAIL || j->state == JOB_FAILED) {
		c->state = JOB_FAILED;
		notify_change_error(c, "%s", desc);
	} else if (j->state == JOB_SENT || j->state == JOB_DELIVERED) {
		notify_plan_retry(j, desc, c);
	}
}

/* Returns false when the notification changes nothing. */
static bool plan_notification(const struct notify_job *j, const struct notify_report *r,
			      const char *desc, struct notify_change *c)
{
	memset(c, 0, sizeof *c);
	c->state = j->state;
	if (j->state == JOB_CONFIRMED || is_repeat(j, r))
		return false;
	c->report = r;
	/* The unit can be faster than our bookkeeping: recorded now, applied
	 * by the sweep once the worker has finished with the job. */
	if (j->state == JOB_SENDING) {
		c->defer = true;
	} else {
		c->undefer = j->notify_pending;    /* superseded by this one */
		plan_verdict(j, r, desc, c);
	}
	return true;
}

static void describe_notification(const struct notify_job *j, const struct notify_report *r,
				  char *buf, size_t cap)
{
	notify_describe(r, buf, cap);
	size_t len = strlen(buf);
	if (r->code == 912 && j->action == OTAP_ACTION_INSTALL)
		snprintf(buf + len, cap - len, " (but the job was an install)");
}

/* ---- finding the job ---- */

typedef int (*job_loader)(sqlite3 *db, const void *key, struct notify_job *j,
			  struct errbuf *err);

static int load_by_id(sqlite3 *db, const void *key, struct notify_job *j, struct errbuf *err)
{
	return notify_job_by_id(db, *(const int64_t *)key, j, err);
}

/* The unit's most recently sent open job, else its most recently sent job:
 * few rows per IMEI, found through jobs_imei. */
static int load_by_imei(sqlite3 *db, const void *key, struct notify_job *j, struct errbuf *err)
{
	const char *doing = "finding the job of an IMEI";
	sqlite3_stmt *st = db_prepare(db, "SELECT " NOTIFY_JOB_COLUMNS " FROM jobs j "
					     "WHERE j.imei = ?1 AND j.sent_at IS NOT NULL "
					     "ORDER BY j.state IN (" OPEN_STATES ") DESC, "
					     "j.sent_at DESC, j.id DESC LIMIT 1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	return notify_job_load(db, st, j, doing, err);
}

/* Returns 1 when the job exists and token (NULL = not checked) matches. */
static int find_target(sqlite3 *db, job_loader load, const void *key, const char *token,
		       struct notify_job *j, struct errbuf *err)
{
	int found = load(db, key, j, err);
	if (found == 1 && token && !notify_token_equal(j->token, token))
		found = 0;
	return found;
}

/* ---- applying ---- */

static int apply_notification(struct queue *q, job_loader load, const void *key,
			      const char *token, const struct notify_report *r, int64_t now,
			      struct notify_applied *out, struct errbuf *err)
{
	const char *doing = "applying a notification";
	sqlite3 *db = queue_db(q);
	struct notify_job j;
	memset(out, 0, sizeof *out);
	out->result = NOTIFY_NO_JOB;
	/* Checked before taking the write lock: forged or stray requests must
	 * not hold up the modems' writes. */
	int found = find_target(db, load, key, token, &j, err);
	if (found <= 0)
		return found;
	struct notify_tx t;
	if (notify_tx_begin(&t, db, doing, err) < 0)
		return -1;
	found = find_target(db, load, key, token, &j, err);
	if (found <= 0) {
		notify_tx_rollback(&t);
		return found;
	}
	struct notify_history h = { .result = "notified" };
	struct notify_change c;
	char desc[QUEUE_TEXT_MAX];
	describe_notification(&j, r, desc, sizeof desc);
	notify_history_detail(&h, "unit reported %s", desc);
	out->job_id = j.id;
	out->before = out->after = j.state;
	out->result = NOTIFY_UNCHANGED;
	if (!plan_notification(&j, r, desc, &c)) {
		notify_tx_rollback(&t);
		return 0;
	}
	if (notify_job_apply(db, j.id, now, &c, &h, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	out->result = NOTIFY_APPLIED;
	out->after = c.state;
	return 0;
}

int notify_apply_job(struct queue *q, int64_t job_id, const char *token,
		     const struct notify_report *r, int64_t now, struct notify_applied *out,
		     struct errbuf *err)
{
	return apply_notification(q, load_by_id, &job_id, token, r, now, out, err);
}

int notify_apply_imei(struct queue *q, const char *imei, const struct notify_report *r,
		      int64_t now, struct notify_applied *out, struct errbuf *err)
{
	return apply_notification(q, load_by_imei, imei, NULL, r, now, out, err);
}

/* ---- notifications deferred while their job was in 'sending' ---- */

#define DEFERRED_WHERE " FROM jobs j WHERE j.notify_pending = 1 AND j.state <> 'sending'"

/* The stored report of a deferred notification, applied now. */
static void plan_deferred(const struct notify_job *j, struct notify_report *r,
			  struct notify_change *c, struct notify_history *h)
{
	char desc[QUEUE_TEXT_MAX];
	memset(r, 0, sizeof *r);
	r->code = j->notify_code;
	snprintf(r->text, sizeof r->text, "%s", j->notify_text);
	describe_notification(j, r, desc, sizeof desc);
	memset(c, 0, sizeof *c);
	c->state = j->state;
	c->undefer = true;
	if (j->state != JOB_CONFIRMED)
		plan_verdict(j, r, desc, c);
	h->result = "notified";
	notify_history_detail(h, "unit reported %s (while the job was being sent)", desc);
}

static int apply_deferred_rows(sqlite3 *db, const struct notify_job *rows, int n, int64_t now,
			       struct errbuf *err)
{
	for (int i = 0; i < n; i++) {
		struct notify_report r;
		struct notify_change c;
		struct notify_history h = { 0 };
		plan_deferred(&rows[i], &r, &c, &h);
		if (notify_job_apply(db, rows[i].id, now, &c, &h, err) < 0)
			return -1;
	}
	return 0;
}

static void log_deferred(const struct notify_job *j)
{
	struct notify_report r;
	struct notify_change c;
	struct notify_history h = { 0 };
	char desc[QUEUE_TEXT_MAX];
	plan_deferred(j, &r, &c, &h);
	notify_describe(&r, desc, sizeof desc);
	log_info("notify: job %" PRId64 ": %s (reported while it was being sent): applied, "
		 "%s -> %s", j->id, desc, job_state_name(j->state), job_state_name(c.state));
}

/* Reads and applies up to NOTIFY_BATCH deferred notifications in one
 * transaction. Returns the number applied, or -1. */
static int apply_deferred_batch(sqlite3 *db, struct notify_job *rows, int64_t now,
				struct errbuf *err)
{
	const char *doing = "applying deferred notifications";
	struct notify_tx t;
	if (notify_tx_begin(&t, db, doing, err) < 0)
		return -1;
	sqlite3_stmt *st = db_prepare(db, "SELECT " NOTIFY_JOB_COLUMNS DEFERRED_WHERE,
					     doing, err);
	int n = st ? notify_jobs_load(db, st, rows, NOTIFY_BATCH, doing, err) : -1;
	if (n < 0 || apply_deferred_rows(db, rows, n, now, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	return n;
}

int notify_apply_deferred(struct queue *q, int64_t now, int *count, struct errbuf *err)
{
	const char *doing = "looking for deferred notifications";
	sqlite3 *db = queue_db(q);
	if (count)
		*count = 0;
	/* A read-only probe first, so an idle sweep never takes the write lock. */
	sqlite3_stmt *st = db_prepare(db, "SELECT 1" DEFERRED_WHERE " LIMIT 1", doing, err);
	int any = st ? notify_db_exists(db, st, doing, err) : -1;
	if (any <= 0)
		return any;
	struct notify_job *rows = calloc(NOTIFY_BATCH, sizeof *rows);
	if (!rows)
		return errbuf_set(err, "%s: out of memory", doing);
	int n = apply_deferred_batch(db, rows, now, err);
	for (int i = 0; i < n; i++)
		log_deferred(&rows[i]);
	free(rows);
	if (n >= 0 && count)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* ---- job fields ---- */

int notify_set_imei(struct queue *q, int64_t job_id, const char *imei, struct errbuf *err)
{
	const char *doing = "recording the unit's IMEI";
	sqlite3 *db = queue_db(q);
	const char *why = notify_imei_check(imei);
	if (why)
		return errbuf_set(err, "invalid IMEI '%.20s': %s", imei, why);
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET imei = ?2 WHERE id = ?1", doing,
					     err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	db_bind_text(st, 2, imei);
	int rc = notify_db_step_done(db, st, doing, err);
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_changes(db) == 0)
		return errbuf_set(err, "no such job %" PRId64, job_id);
	return rc;
}

int notify_enqueue_unit(struct queue *q, const struct job_new *job, const char *imei,
			int64_t now, int64_t *id_out, struct errbuf *err)
{
	const char *doing = "enqueueing a job for a unit";
	const char *why = imei ? notify_imei_check(imei) : NULL;
	if (why)
		return errbuf_set(err, "invalid IMEI '%.20s': %s", imei, why);
	if (!imei)
		return queue_enqueue(q, job, now, id_out, err);
	struct notify_tx t;
	int64_t id = 0;
	if (notify_tx_begin(&t, queue_db(q), doing, err) < 0)
		return -1;
	/* Inside our transaction the queue's own becomes a savepoint. */
	if (queue_enqueue(q, job, now, &id, err) < 0 || notify_set_imei(q, id, imei, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	if (id_out)
		*id_out = id;
	return 0;
}

int notify_job_info(struct queue *q, int64_t job_id, struct notify_info *out,
		    struct errbuf *err)
{
	const char *doing = "reading a job's reports";
	sqlite3 *db = queue_db(q);
	sqlite3_stmt *st = db_prepare(db, "SELECT imei, sent_at, delivered_at, "
					     "confirmed_at, notified_at, notify_code, notify_text "
					     "FROM jobs WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	memset(out, 0, sizeof *out);
	out->notify_code = -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		notify_db_copy_column(out->imei, sizeof out->imei, st, 0);
		out->sent_at = notify_db_column_time(st, 1);
		out->delivered_at = notify_db_column_time(st, 2);
		out->confirmed_at = notify_db_column_time(st, 3);
		out->notified_at = notify_db_column_time(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			out->notify_code = sqlite3_column_int(st, 5);
		notify_db_copy_column(out->notify_text, sizeof out->notify_text, st, 6);
	} else if (rc != SQLITE_DONE) {
		db_fail(db, doing, err);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- the job's URL ---- */

/* Reads the job's token into token ("" when it has none yet). Returns 1,
 * 0 when there is no such job, -1 on a database error. */
static int read_token(sqlite3 *db, int64_t job_id, char *token, size_t cap, struct errbuf *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT notify_token FROM jobs WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return errbuf_set(err, "reading a notify token: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, job_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		snprintf(token, cap, "%s", text ? (const char *)text : "");
	} else if (rc != SQLITE_DONE) {
		errbuf_set(err, "reading a notify token: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Stores token unless the job got one meanwhile (then that one wins, and
 * the caller reads it back). One statement: atomic without a transaction. */
static int store_token(sqlite3 *db, int64_t job_id, const char *token, struct errbuf *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "UPDATE jobs SET notify_token = ?2 WHERE id = ?1 AND "
			       "notify_token IS NULL", -1, &st, NULL) != SQLITE_OK)
		return errbuf_set(err, "storing a notify token: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		errbuf_set(err, "storing a notify token: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int notify_job_url(struct queue *q, int64_t job_id, const char *public_url, char *url,
		   size_t cap, struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	char token[NOTIFY_TOKEN_LEN + 8];
	int found = read_token(db, job_id, token, sizeof token, err);
	if (found == 0)
		return errbuf_set(err, "no such job %" PRId64, job_id);
	if (found < 0)
		return -1;
	if (!token[0]) {
		if (notify_token_new(token, err) < 0 || store_token(db, job_id, token, err) < 0 ||
		    read_token(db, job_id, token, sizeof token, err) < 0)
			return -1;
	}
	int n = notify_format_job_url(public_url, job_id, token, url, cap);
	explicit_bzero(token, sizeof token);
	if (n < 0)
		return errbuf_set(err, "job %" PRId64 ": the NOTIFYURL does not fit in %zu bytes",
				  job_id, cap);
	return 0;
}

const char *notify_final_states_sql(bool confirmation_expected)
{
	return confirmation_expected ? "'confirmed','failed','cancelled'"
				     : "'sent','delivered','confirmed','failed','cancelled'";
}
