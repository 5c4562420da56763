/* notify_db.c - the SQL shared by the report rules: transactions, reading
 * the job fields they look at, and writing a planned change with its
 * attempt row (see notify_db.h). */
#include "notify_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* ---- SQLite helpers ---- */



int notify_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_fail(db, doing, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int notify_db_exists(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	int found = db_step(db, st, doing, err);
	sqlite3_finalize(st);
	return found;
}


void notify_db_copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

int64_t notify_db_column_time(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, col);
}

/* ---- transactions ---- */

int notify_tx_begin(struct notify_tx *t, sqlite3 *db, const char *doing, struct errbuf *err)
{
	t->db = db;
	t->nested = !sqlite3_get_autocommit(db);
	if (sqlite3_exec(db, t->nested ? "SAVEPOINT notify_op" : "BEGIN IMMEDIATE", NULL, NULL,
			 NULL) != SQLITE_OK)
		return db_fail(db, doing, err);
	return 0;
}

int notify_tx_commit(struct notify_tx *t, const char *doing, struct errbuf *err)
{
	if (sqlite3_exec(t->db, t->nested ? "RELEASE notify_op" : "COMMIT", NULL, NULL,
			 NULL) != SQLITE_OK)
		return db_fail(t->db, doing, err);
	return 0;
}

void notify_tx_rollback(struct notify_tx *t)
{
	if (sqlite3_get_autocommit(t->db))
		return;         /* SQLite already rolled everything back */
	const char *sql = t->nested ? "ROLLBACK TO notify_op; RELEASE notify_op" : "ROLLBACK";
	if (sqlite3_exec(t->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		log_errorx("notify: rolling back failed: %s", sqlite3_errmsg(t->db));
}

/* ---- reading jobs ---- */

void notify_job_from_row(sqlite3_stmt *st, int col, struct notify_job *j)
{
	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(st, col);
	if (job_state_parse((const char *)sqlite3_column_text(st, col + 1), &j->state) < 0)
		j->state = JOB_FAILED;          /* unreachable: the CHECK constraint */
	const char *action = (const char *)sqlite3_column_text(st, col + 2);
	if (!action || otap_action_parse(action, &j->action) < 0)
		j->action = OTAP_ACTION_INSTALL;
	j->attempts = sqlite3_column_int(st, col + 3);
	j->max_attempts = sqlite3_column_int(st, col + 4);
	notify_db_copy_column(j->token, sizeof j->token, st, col + 5);
	j->notify_code = sqlite3_column_type(st, col + 6) == SQLITE_NULL
			 ? -1 : sqlite3_column_int(st, col + 6);
	j->notified_at = notify_db_column_time(st, col + 7);
	j->sent_at = notify_db_column_time(st, col + 8);
	notify_db_copy_column(j->msisdn, sizeof j->msisdn, st, col + 9);
	notify_db_copy_column(j->notify_text, sizeof j->notify_text, st, col + 10);
	j->notify_pending = sqlite3_column_int(st, col + 11) != 0;
}

int notify_job_load(sqlite3 *db, sqlite3_stmt *st, struct notify_job *j, const char *doing,
		    struct errbuf *err)
{
	int found = db_step(db, st, doing, err);
	if (found > 0)
		notify_job_from_row(st, 0, j);
	sqlite3_finalize(st);
	return found;
}

int notify_job_by_id(sqlite3 *db, int64_t id, struct notify_job *j, struct errbuf *err)
{
	const char *doing = "reading a job";
	sqlite3_stmt *st = db_prepare(db, "SELECT " NOTIFY_JOB_COLUMNS " FROM jobs j "
					     "WHERE j.id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return notify_job_load(db, st, j, doing, err);
}

int notify_jobs_load(sqlite3 *db, sqlite3_stmt *st, struct notify_job *rows, int max,
		     const char *doing, struct errbuf *err)
{
	int n = 0, rc = SQLITE_DONE;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		notify_job_from_row(st, 0, &rows[n++]);
	bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	if (failed)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return failed ? -1 : n;
}

/* ---- writing a change ---- */

static int write_change(sqlite3 *db, int64_t id, int64_t now, const struct notify_change *c,
			struct errbuf *err)
{
	const char *doing = "recording a report on a job";
	/* Right-hand sides see the row before the update: updated_at moves
	 * only with a state change (it means "last state change"). */
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET state = ?2, "
		"updated_at = CASE WHEN state <> ?2 THEN ?3 ELSE updated_at END, "
		"not_before = CASE WHEN ?4 THEN ?3 ELSE not_before END, "
		"last_error = CASE WHEN ?5 THEN ?6 ELSE last_error END, "
		"notify_code = CASE WHEN ?7 THEN ?8 ELSE notify_code END, "
		"notify_text = CASE WHEN ?7 THEN ?9 ELSE notify_text END, "
		"notified_at = CASE WHEN ?7 THEN ?3 ELSE notified_at END, "
		"confirmed_at = CASE WHEN ?10 THEN ?3 ELSE confirmed_at END, "
		"delivered_at = CASE WHEN ?11 THEN ?3 ELSE delivered_at END, "
		"notify_pending = CASE WHEN ?12 THEN 1 WHEN ?13 THEN 0 ELSE notify_pending END "
		"WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, job_state_name(c->state));
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, c->requeue);
	sqlite3_bind_int(st, 5, c->set_error);
	db_bind_text(st, 6, c->error);
	sqlite3_bind_int(st, 7, c->report != NULL);
	if (c->report) {
		sqlite3_bind_int(st, 8, c->report->code);
		db_bind_text(st, 9, c->report->text[0] ? c->report->text : NULL);
	}
	sqlite3_bind_int(st, 10, c->confirmed);
	sqlite3_bind_int(st, 11, c->delivered);
	sqlite3_bind_int(st, 12, c->defer);
	sqlite3_bind_int(st, 13, c->undefer);
	int rc = notify_db_step_done(db, st, doing, err);
	sqlite3_finalize(st);
	return rc;
}

static int insert_history(sqlite3 *db, int64_t id, int64_t now, const struct notify_history *h,
			  struct errbuf *err)
{
	const char *doing = "recording a report in the attempt history";
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO attempts (job_id, started_at, "
					     "finished_at, modem, result, mrs, detail) "
					     "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	db_bind_text(st, 3, h->modem);
	db_bind_text(st, 4, h->result);
	db_bind_text(st, 5, h->mrs);
	db_bind_text(st, 6, h->detail);
	int rc = notify_db_step_done(db, st, doing, err);
	sqlite3_finalize(st);
	return rc;
}

int notify_job_apply(sqlite3 *db, int64_t id, int64_t now, const struct notify_change *c,
		     const struct notify_history *h, struct errbuf *err)
{
	if (write_change(db, id, now, c, err) < 0)
		return -1;
	return insert_history(db, id, now, h, err);
}

/* ---- planning helpers ---- */

void notify_change_error(struct notify_change *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	c->set_error = true;
}

void notify_history_detail(struct notify_history *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof h->detail, fmt, ap);
	va_end(ap);
}

void notify_plan_retry(const struct notify_job *j, const char *why, struct notify_change *c)
{
	if (j->attempts >= j->max_attempts) {
		c->state = JOB_FAILED;
		notify_change_error(c, "gave up after %d attempts: %s", j->attempts, why);
	} else {
		c->state = JOB_QUEUED;
		c->requeue = true;
		notify_change_error(c, "%s", why);
	}
}
