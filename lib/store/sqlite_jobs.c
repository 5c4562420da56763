/* sqlite_jobs.c - the SQLite engine's job transitions and reads: enqueue,
 * claim, the outcome of each try, cancel, retry, crash recovery, tokens,
 * listing. Every change runs in one db_tx (BEGIN IMMEDIATE, or a savepoint
 * inside the caller's transaction) together with its history row. */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "store_try.h"

#define INTERRUPTED_DETAIL "otapd stopped while sending (the unit may receive a duplicate SMS)"

#define ATTEMPT_COLUMNS "id, job_id, started_at, finished_at, modem, result, cms_error, mrs, detail"

/* A job past its deadline is never claimed, even in the second before the
 * scheduler's store_expire gets to it. ?1 is now. */
#define NOT_EXPIRED(col) "(" col " IS NULL OR " col " > ?1)"

/* The cached statements (see enum sqlite_stmt_id). */
const char *const sqlite_stmt_sql[ST_COUNT] = {
	[ST_INSERT_JOB] = "INSERT INTO jobs (msisdn, profile, action, rollout, not_before, "
		"max_attempts, created_at, updated_at, imei, deadline) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
	/* The oldest due job a modem may take: among the jobs outside rollouts
	 * (one seek in the partial index jobs_loose_due) and, for each rollout
	 * whose gates are open, the oldest due job of each of its opened waves
	 * (one seek each in jobs_rollout_wave). Jobs of
	 * paused, closed or finished rollouts, and of waves not yet opened, are
	 * never read. Run once read-only (idle modems polling for work must not
	 * take the write lock and hold up otapctl) and again under the lock. */
	[ST_PICK] = SQLITE_WAVES_CTE
		"SELECT id FROM jobs WHERE id IN ("
		"SELECT (SELECT id FROM jobs WHERE wave IS NULL AND state = 'queued' "
		"AND not_before <= ?1 AND " NOT_EXPIRED("deadline") " "
		"ORDER BY not_before, id LIMIT 1) "
		"UNION ALL "
		"SELECT (SELECT j.id FROM jobs j WHERE j.rollout = r.name AND j.wave = w.n "
		"AND j.state = 'queued' AND j.not_before <= ?1 AND " NOT_EXPIRED("j.deadline") " "
		"ORDER BY j.not_before, j.id LIMIT 1) "
		"FROM rollouts r, wave w WHERE r.state = 'active' AND r.gate_open = 1 "
		"AND r.next_send_at <= ?1 AND w.n <= r.current_wave) "
		"ORDER BY not_before, id LIMIT 1",
	/* A new send starts its furthest step afresh (the unit may fetch its
	 * JAD before the send is recorded: mark_sent keeps what came). */
	[ST_CLAIM] = "UPDATE jobs SET state = 'sending', modem = ?1, updated_at = ?2, reached = 0 "
		"WHERE id = ?3 AND state = 'queued' AND (deadline IS NULL OR deadline > ?2) "
		"RETURNING " SQLITE_JOB_COLUMNS,
	/* The rollout's next send is one spacing after the time this one was
	 * allowed (a modem polling late does not lower the rate), or after
	 * now when the rollout has been idle for longer than a spacing (no
	 * burst to catch up). */
	[ST_RATE_STEP] = "UPDATE rollouts SET next_send_at = 60000 / rate_per_min + "
		"CASE WHEN ?2 - next_send_at < 60000 / rate_per_min THEN next_send_at ELSE ?2 END "
		"WHERE name = ?1 AND rate_per_min > 0",
	[ST_GET_JOB] = "SELECT " SQLITE_JOB_COLUMNS " FROM jobs WHERE id = ?1",
	/* With the state of the job's rollout: a try that ends after the
	 * rollout was cancelled must not queue the job again. */
	[ST_JOB_STATE] = "SELECT j.state, j.attempts, j.max_attempts, r.state FROM jobs j "
		"LEFT JOIN rollouts r ON j.wave IS NOT NULL AND r.name = j.rollout WHERE j.id = ?1",
	/* Into 'sent' (?9): the confirmation timeout counts from sent_at, a
	 * delivery report of an earlier send no longer applies, and the send
	 * has reached at least 'sent' (1, enum job_step; further when the unit
	 * was faster than this record: its events came already). */
	[ST_FINISH_JOB] = "UPDATE jobs SET state = ?2, attempts = ?3, "
		"not_before = COALESCE(?4, not_before), modem = COALESCE(?5, modem), "
		"last_error = CASE WHEN ?6 THEN ?7 ELSE last_error END, updated_at = ?8, "
		"sent_at = CASE WHEN ?9 THEN ?8 ELSE sent_at END, "
		"delivered_at = CASE WHEN ?9 THEN NULL ELSE delivered_at END, "
		"reached = CASE WHEN ?9 THEN max(reached, 1) ELSE reached END "
		"WHERE id = ?1",
	/* After a retry: a finished rollout has work again. */
	[ST_REVIVE_ROLLOUTS] = SQLITE_WAVES_CTE
		"UPDATE rollouts SET state = 'active', updated_at = ?1 WHERE state = 'done' AND "
		"EXISTS (SELECT 1 FROM wave w, jobs j WHERE j.rollout = rollouts.name AND j.wave = w.n "
		"AND j.state = 'queued')",
	[ST_INSERT_ATTEMPT] = "INSERT INTO attempts (job_id, started_at, finished_at, modem, "
		"result, cms_error, mrs, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CANCEL] = "UPDATE jobs SET state = 'cancelled', updated_at = ?2 "
		"WHERE id = ?1 AND state = 'queued'",
	/* A job in sending was claimed at updated_at: that is when the try began. */
	[ST_RECOVER_ATTEMPTS] = "INSERT INTO attempts (job_id, started_at, finished_at, modem, "
		"result, detail) SELECT id, updated_at, ?1, modem, 'interrupted', ?2 "
		"FROM jobs WHERE state = 'sending' ORDER BY id",
	[ST_RECOVER_JOBS] = "UPDATE jobs SET state = 'queued', updated_at = ?1, last_error = ?2 "
		"WHERE state = 'sending'",
	[ST_PRUNE_PARTS] = "DELETE FROM sent_parts WHERE modem = ?1 AND mr = ?2 AND sent_at < ?3",
	[ST_INSERT_PART] = "INSERT INTO sent_parts (job_id, attempt, part, part_count, modem, mr, "
		"sent_at, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_COUNT_BY_STATE] = "SELECT state, count(*) FROM jobs GROUP BY state",
	/* When the next claim can succeed: the same gates as ST_PICK (state,
	 * window, opened waves), the time coming from not_before and from
	 * the rollout's rate spacing (next_send_at). */
	[ST_NEXT_DUE] = SQLITE_WAVES_CTE
		"SELECT min(t) FROM ("
		"SELECT min(not_before) AS t FROM jobs WHERE wave IS NULL AND state = 'queued' "
		"UNION ALL "
		"SELECT max(r.next_send_at, (SELECT min(j.not_before) FROM jobs j "
		"WHERE j.rollout = r.name AND j.wave = w.n AND j.state = 'queued')) "
		"FROM rollouts r, wave w WHERE r.state = 'active' AND r.gate_open = 1 "
		"AND w.n <= r.current_wave)",
};


/* ---- rows ---- */

void sqlite_job_from_row(sqlite3_stmt *st, struct job *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	db_copy_column(out->msisdn, sizeof out->msisdn, st, 1);
	db_copy_column(out->profile, sizeof out->profile, st, 2);
	out->action = sqlite_action_from((const char *)sqlite3_column_text(st, 3));
	if (job_state_parse((const char *)sqlite3_column_text(st, 4), &out->state) < 0)
		out->state = JOB_FAILED;        /* unreachable: the CHECK constraint */
	db_copy_column(out->rollout, sizeof out->rollout, st, 5);
	out->not_before = sqlite3_column_int64(st, 6);
	out->attempts = sqlite3_column_int(st, 7);
	out->max_attempts = sqlite3_column_int(st, 8);
	out->created_at = sqlite3_column_int64(st, 9);
	out->updated_at = sqlite3_column_int64(st, 10);
	db_copy_column(out->modem, sizeof out->modem, st, 11);
	db_copy_column(out->last_error, sizeof out->last_error, st, 12);
	out->wave = sqlite3_column_int(st, 13);         /* NULL reads as 0 */
	out->reached = sqlite3_column_int(st, 14);
	out->deadline = db_column_or(st, 15, 0);
}

/* Fills *out from a row selected with ATTEMPT_COLUMNS. */
static void attempt_from_row(sqlite3_stmt *st, struct attempt *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->job_id = sqlite3_column_int64(st, 1);
	out->started_at = sqlite3_column_int64(st, 2);
	out->finished_at = sqlite3_column_int64(st, 3);
	db_copy_column(out->modem, sizeof out->modem, st, 4);
	db_copy_column(out->result, sizeof out->result, st, 5);
	out->cms_error = (int)db_column_or(st, 6, -1);
	db_copy_column(out->mrs, sizeof out->mrs, st, 7);
	db_copy_column(out->detail, sizeof out->detail, st, 8);
}

int sqlite_insert_attempt(struct sqlite_store *s, int64_t job_id, int64_t started_at,
			  int64_t finished_at, const char *modem, const char *result,
			  int cms_error, const char *mrs, const char *detail, struct errbuf *err)
{
	const char *doing = "recording an attempt";
	sqlite3_stmt *st = sqlite_stmt(s, ST_INSERT_ATTEMPT, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, started_at);
	sqlite3_bind_int64(st, 3, finished_at);
	db_bind_text(st, 4, modem);
	db_bind_text(st, 5, result);
	if (cms_error >= 0)
		sqlite3_bind_int(st, 6, cms_error);
	db_bind_text(st, 7, mrs);
	db_bind_text(st, 8, detail);
	return db_run(s->db, st, doing, err);
}

/* ---- enqueue and claim ---- */

int sqlite_enqueue(struct store *base, const struct job_new *job, int64_t now, int64_t *id_out,
		   struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "enqueueing a job";
	struct db_tx t;
	sqlite3_stmt *st = sqlite_stmt(s, ST_INSERT_JOB, doing, err);
	if (!st || db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	db_bind_text(st, 1, job->msisdn);
	db_bind_text(st, 2, job->profile);
	db_bind_text(st, 3, sqlite_action_name(job->action));
	db_bind_text(st, 4, job->rollout && *job->rollout ? job->rollout : NULL);
	sqlite3_bind_int64(st, 5, job->not_before);
	sqlite3_bind_int(st, 6, job->max_attempts);
	sqlite3_bind_int64(st, 7, now);
	db_bind_text(st, 8, job->imei);
	if (job->deadline > 0)
		sqlite3_bind_int64(st, 9, job->deadline);
	if (db_run(s->db, st, doing, err) < 0)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	if (db_tx_commit(&t, doing, err) < 0)
		goto fail;
	if (id_out)
		*id_out = id;
	return 0;
fail:
	db_tx_rollback(&t);
	return -1;
}

/* Sets *id to the job a claim would take at now. Returns 1, 0 when none is
 * due, -1 on error. */
static int pick_due(struct sqlite_store *s, int64_t now, int64_t *id, const char *doing,
		    struct errbuf *err)
{
	sqlite3_stmt *st = sqlite_stmt(s, ST_PICK, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int found = db_step(s->db, st, doing, err);
	if (found > 0)
		*id = sqlite3_column_int64(st, 0);
	/* A statement left un-reset would keep a read snapshot open and stop
	 * WAL checkpoints. */
	sqlite3_reset(st);
	return found;
}

/* queued -> sending for job id. Returns 1 with *out filled, 0 if it is no
 * longer queued, -1. */
static int take_job(struct sqlite_store *s, const char *modem, int64_t now, int64_t id,
		    struct job *out, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = sqlite_stmt(s, ST_CLAIM, doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, modem);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	int found = 0, rc;
	/* RETURNING rows are produced before the update is final: step to the end. */
	while ((rc = db_step(s->db, st, doing, err)) == 1) {
		sqlite_job_from_row(st, out);
		found = 1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc < 0 ? -1 : found;
}

/* Spaces the next claim of a rate-limited rollout. Returns 0 or -1. */
static int rate_step(struct sqlite_store *s, const char *rollout, int64_t now, const char *doing,
		     struct errbuf *err)
{
	sqlite3_stmt *st = sqlite_stmt(s, ST_RATE_STEP, doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, rollout);
	sqlite3_bind_int64(st, 2, now);
	return db_run(s->db, st, doing, err);
}

int sqlite_claim(struct store *base, const char *modem, int64_t now, struct job *out,
		 struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "claiming a job";
	struct db_tx t;
	int64_t id;
	int found = pick_due(s, now, &id, doing, err);
	if (found <= 0 || db_tx_begin(&t, s->db, doing, err) < 0)
		return found <= 0 ? found : -1;
	/* Again under the write lock: another modem may have taken it, or
	 * used up the rollout's rate spacing, in between. */
	found = pick_due(s, now, &id, doing, err);
	if (found > 0)
		found = take_job(s, modem, now, id, out, doing, err);
	if (found > 0 && out->wave > 0 && rate_step(s, out->rollout, now, doing, err) < 0)
		found = -1;
	if (found < 0 || db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return found;
}

/* ---- finishing a try ---- */

/* Returns 1 with *c filled, 0 when there is no such job, or -1. */
static int load_counters(struct sqlite_store *s, int64_t id, struct job_counters *c,
			 const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = sqlite_stmt(s, ST_JOB_STATE, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int found = db_step(s->db, st, doing, err);
	if (found > 0) {
		if (job_state_parse((const char *)sqlite3_column_text(st, 0), &c->state) < 0)
			c->state = JOB_FAILED;  /* unreachable: the CHECK constraint */
		c->attempts = sqlite3_column_int(st, 1);
		c->max_attempts = sqlite3_column_int(st, 2);
		const unsigned char *rollout_state = sqlite3_column_text(st, 3);
		c->rollout_cancelled = rollout_state &&
				       strcmp((const char *)rollout_state, "cancelled") == 0;
	}
	sqlite3_reset(st);
	return found;
}

static int write_transition(struct sqlite_store *s, int64_t id, int64_t not_before,
			    const struct job_outcome *o, const struct transition *t,
			    const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = sqlite_stmt(s, ST_FINISH_JOB, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, job_state_name(t->state));
	sqlite3_bind_int(st, 3, t->attempts);
	if (t->set_not_before)
		sqlite3_bind_int64(st, 4, not_before);
	db_bind_text(st, 5, o->modem);
	sqlite3_bind_int(st, 6, t->set_error);
	db_bind_text(st, 7, t->error[0] ? t->error : NULL);
	sqlite3_bind_int64(st, 8, o->finished_at);
	sqlite3_bind_int(st, 9, t->state == JOB_SENT);
	return db_run(s->db, st, doing, err);
}

/* The common body of mark_sent/retry_later/mark_failed: checks the job is
 * in sending, applies the transition, records the attempt and (for a
 * send) its parts, all in one transaction. */
static int finish_try(struct sqlite_store *s, int64_t id, enum try_end end, bool count_attempt,
		      int64_t not_before, const struct job_outcome *o,
		      const struct sent_parts *parts, enum job_state *state_out,
		      struct errbuf *err)
{
	const char *doing = "recording the outcome of a try";
	struct db_tx t;
	struct job_counters c;
	struct transition tr;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found > 0 && c.state != JOB_SENDING)
		errbuf_set(err, "job %" PRId64 " is %s, not sending", id, job_state_name(c.state));
	if (found <= 0 || c.state != JOB_SENDING)
		goto fail;
	store_plan_transition(end, count_attempt, &c, o->detail, &tr);
	const char *result = o->result ? o->result : store_try_result(end, count_attempt);
	if (write_transition(s, id, not_before, o, &tr, doing, err) < 0 ||
	    sqlite_insert_attempt(s, id, o->started_at, o->finished_at, o->modem, result,
				  o->cms_error, o->mrs, o->detail, err) < 0)
		goto fail;
	/* jobs.attempts after this send numbers it: a report on an earlier
	 * send must not move the current one. */
	if (parts && parts->count > 0 &&
	    sqlite_record_parts(s, id, tr.attempts, o->modem, parts, o->finished_at, err) < 0)
		goto fail;
	if (end == END_SENT &&
	    sqlite_insert_event(s, id, EVENT_SENT, o->finished_at, -1, NULL, err) < 0)
		goto fail;
	if (db_tx_commit(&t, doing, err) < 0)
		goto fail;
	if (state_out)
		*state_out = tr.state;
	return 0;
fail:
	db_tx_rollback(&t);
	return -1;
}

int sqlite_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		     const struct sent_parts *parts, struct errbuf *err)
{
	return finish_try(sqlite_of(s), id, END_SENT, true, 0, o, parts, NULL, err);
}

/* The send's number is the job's attempts after it: attempts + 1. An
 * SMPP part (message_id set) keeps mr 0. */
static int record_part(struct store *base, int64_t id, const char *modem, int mr,
		       const char *message_id, int part, int count, int64_t at,
		       struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "recording a part of a send";
	struct db_tx t;
	struct job_counters c;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found > 0 && c.state != JOB_SENDING)
		errbuf_set(err, "job %" PRId64 " is %s, not sending", id, job_state_name(c.state));
	if (found <= 0 || c.state != JOB_SENDING ||
	    sqlite_insert_part(s, id, c.attempts + 1, modem, mr, message_id, part, count, at,
			       err) < 0 ||
	    db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return 0;
}

int sqlite_record_part(struct store *base, int64_t id, const char *modem, int mr, int part,
		       int count, int64_t at, struct errbuf *err)
{
	return record_part(base, id, modem, mr, NULL, part, count, at, err);
}

int sqlite_record_part_id(struct store *base, int64_t id, const char *modem,
			  const char *message_id, int part, int count, int64_t at,
			  struct errbuf *err)
{
	return record_part(base, id, modem, 0, message_id, part, count, at, err);
}

int sqlite_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		       const struct job_outcome *o, enum job_state *state_out, struct errbuf *err)
{
	return finish_try(sqlite_of(s), id, END_RETRY, count_attempt, not_before, o, NULL,
			  state_out, err);
}

int sqlite_mark_failed(struct store *s, int64_t id, const struct job_outcome *o,
		       struct errbuf *err)
{
	return finish_try(sqlite_of(s), id, END_FAILED, true, 0, o, NULL, NULL, err);
}

/* ---- operator actions and recovery ---- */

int sqlite_cancel(struct store *base, int64_t id, int64_t now, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "cancelling a job";
	struct db_tx t;
	sqlite3_stmt *st = sqlite_stmt(s, ST_CANCEL, doing, err);
	if (!st || db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (db_run(s->db, st, doing, err) < 0)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		/* Not queued: say why, from the same snapshot we hold the lock on. */
		struct job_counters c;
		int found = load_counters(s, id, &c, doing, err);
		if (found == 0)
			errbuf_set(err, "no such job %" PRId64, id);
		else if (found == 1)
			errbuf_set(err, "job %" PRId64 " is %s; only queued jobs can be cancelled",
				   id, job_state_name(c.state));
		goto fail;
	}
	if (db_tx_commit(&t, doing, err) < 0)
		goto fail;
	return 0;
fail:
	db_tx_rollback(&t);
	return -1;
}

/* The UPDATE behind both retries, on at most ?6 jobs. Parameters: ?1 now,
 * ?2 rollout, ?3 error code, ?4 job id, ?5 furthest step (each present only
 * when its condition is). A job of a cancelled rollout stays failed: queued,
 * it would never be claimed. */
static void retry_sql(const struct retry_filter *f, bool one_job, char *sql, size_t size)
{
	snprintf(sql, size, "UPDATE jobs SET state = 'queued', attempts = 0, not_before = ?1, "
		 "updated_at = ?1 WHERE id IN (SELECT id FROM jobs WHERE state = 'failed'%s%s%s "
		 "AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE jobs.wave IS NOT NULL AND "
		 "r.name = jobs.rollout AND r.state = 'cancelled')%s LIMIT ?6)",
		 one_job ? " AND id = ?4" : "",
		 f && f->rollout ? " AND rollout = ?2" : "",
		 f && f->error_code >= 0 ? " AND (notify_code = ?3 OR (SELECT a.cms_error FROM "
		 "attempts a WHERE a.job_id = jobs.id ORDER BY a.id DESC LIMIT 1) = ?3)" : "",
		 f && f->by_step ? " AND reached = ?5" : "");
}

/* Runs the retry UPDATE and revives finished rollouts, inside the caller's
 * transaction. *count (may be NULL) gets the number of jobs. */
static int run_retry(struct sqlite_store *s, const struct retry_filter *f, int64_t id,
		     int64_t now, int64_t *count, const char *doing, struct errbuf *err)
{
	char sql[768];
	retry_sql(f, id > 0, sql, sizeof sql);
	sqlite3_stmt *st = db_prepare(s->db, sql, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	db_bind_text(st, 2, f ? f->rollout : NULL);
	sqlite3_bind_int(st, 3, f ? f->error_code : -1);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int(st, 5, f && f->by_step ? f->stopped_at : -1);
	sqlite3_bind_int(st, 6, rollout_release_chunk);
	if (db_run_once(s->db, st, doing, err) < 0)
		return -1;
	if (count)
		*count = sqlite3_changes64(s->db);
	sqlite3_stmt *revive = sqlite_stmt(s, ST_REVIVE_ROLLOUTS, doing, err);
	if (!revive)
		return -1;
	sqlite3_bind_int64(revive, 1, now);
	return db_run(s->db, revive, doing, err);
}

/* A chunk of jobs per transaction (rollout_release_chunk), so that a
 * retry of a million failed jobs never holds the modems' write lock for
 * long. Each chunk is whole; an interrupted retry leaves the rest failed,
 * and running it again takes them. */
int sqlite_retry_failed(struct store *base, const struct retry_filter *f, int64_t now,
			int64_t *count, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "retrying failed jobs";
	struct db_tx t;
	int64_t n = 0, chunk;
	do {
		chunk = 0;
		if (db_tx_begin(&t, s->db, doing, err) < 0)
			return -1;
		if (run_retry(s, f, 0, now, &chunk, doing, err) < 0 ||
		    db_tx_commit(&t, doing, err) < 0) {
			db_tx_rollback(&t);
			return -1;
		}
		n += chunk;
	} while (chunk == rollout_release_chunk);
	*count = n;
	return 0;
}

int sqlite_retry_job(struct store *base, int64_t id, int64_t now, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "retrying a job";
	struct db_tx t;
	struct job_counters c;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found == 1 && c.state != JOB_FAILED)
		errbuf_set(err, "job %" PRId64 " is %s; only failed jobs can be retried", id,
			   job_state_name(c.state));
	else if (found == 1 && c.rollout_cancelled)
		errbuf_set(err, "job %" PRId64 " belongs to a cancelled rollout", id);
	if (found != 1 || c.state != JOB_FAILED || c.rollout_cancelled ||
	    run_retry(s, NULL, id, now, NULL, doing, err) < 0 || db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* attempts is not incremented: the try was cut short by us, not refused by
 * the network or the unit, and a few restarts of otapd must not use up a
 * unit's attempts. The 'interrupted' rows keep each possible duplicate
 * visible in the history instead. A job another running otapd is sending
 * would be put back too: hence "at otapd's start". */
int sqlite_recover_interrupted(struct store *base, int64_t now, int *count, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "recovering jobs interrupted while sending";
	struct db_tx t;
	sqlite3_stmt *history = sqlite_stmt(s, ST_RECOVER_ATTEMPTS, doing, err);
	sqlite3_stmt *requeue = sqlite_stmt(s, ST_RECOVER_JOBS, doing, err);
	if (!history || !requeue || db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	sqlite3_bind_int64(history, 1, now);
	db_bind_text(history, 2, INTERRUPTED_DETAIL);
	sqlite3_bind_int64(requeue, 1, now);
	db_bind_text(requeue, 2, INTERRUPTED_DETAIL);
	if (db_run(s->db, history, doing, err) < 0 || db_run(s->db, requeue, doing, err) < 0)
		goto fail;
	int changed = sqlite3_changes(s->db);
	if (db_tx_commit(&t, doing, err) < 0)
		goto fail;
	if (count)
		*count = changed;
	return 0;
fail:
	db_tx_rollback(&t);
	return -1;
}

/* ---- the notify token ---- */

/* Reads the job's token into token ("" when it has none yet). Returns 1,
 * 0 when there is no such job, -1 on a database error. */
static int read_token(sqlite3 *db, int64_t id, char *token, size_t cap, struct errbuf *err)
{
	const char *doing = "reading a notify token";
	sqlite3_stmt *st = db_prepare(db, "SELECT notify_token FROM jobs WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int found = db_step(db, st, doing, err);
	if (found > 0)
		db_copy_column(token, cap, st, 0);
	sqlite3_finalize(st);
	return found;
}

/* Stores token unless the job got one meanwhile (then that one wins, and
 * the caller reads it back). One statement: atomic without a transaction. */
static int store_token(sqlite3 *db, int64_t id, const char *token, struct errbuf *err)
{
	const char *doing = "storing a notify token";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET notify_token = ?2 WHERE id = ?1 AND "
				      "notify_token IS NULL", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	return db_run_once(db, st, doing, err);
}

int sqlite_job_token(struct store *base, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		     struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	char buf[NOTIFY_TOKEN_LEN + 8] = "";
	int found = read_token(db, id, buf, sizeof buf, err);
	if (found == 0)
		return errbuf_set(err, "no such job %" PRId64, id);
	if (found > 0 && !buf[0] &&
	    (notify_token_new(buf, err) < 0 || store_token(db, id, buf, err) < 0 ||
	     read_token(db, id, buf, sizeof buf, err) < 0))
		found = -1;
	if (found > 0) {
		memcpy(token, buf, NOTIFY_TOKEN_LEN);
		token[NOTIFY_TOKEN_LEN] = '\0';
	}
	explicit_bzero(buf, sizeof buf);
	return found > 0 ? 0 : -1;
}

/* ---- reading ---- */

int sqlite_get(struct store *base, int64_t id, struct job *out, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "reading a job";
	sqlite3_stmt *st = sqlite_stmt(s, ST_GET_JOB, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int found = db_step(s->db, st, doing, err);
	if (found > 0)
		sqlite_job_from_row(st, out);
	sqlite3_reset(st);
	return found;
}

/* Builds the WHERE clause of a listing from the filter; only the set fields
 * become conditions, so SQLite can use the msisdn/rollout indexes. The
 * parameter numbers are fixed, whichever conditions are present. */
static void list_sql(const struct job_filter *f, char *sql, size_t size)
{
	const char *sep = " WHERE";
	size_t n = (size_t)snprintf(sql, size, "SELECT " SQLITE_JOB_COLUMNS " FROM jobs");
	if (f->id > 0) {
		n += (size_t)snprintf(sql + n, size - n, "%s id = ?1", sep);
		sep = " AND";
	}
	if (f->msisdn) {
		n += (size_t)snprintf(sql + n, size - n, "%s msisdn = ?2", sep);
		sep = " AND";
	}
	if (f->state >= 0) {
		n += (size_t)snprintf(sql + n, size - n, "%s state = ?3", sep);
		sep = " AND";
	}
	if (f->rollout)
		n += (size_t)snprintf(sql + n, size - n, "%s rollout = ?4", sep);
	snprintf(sql + n, size - n, " ORDER BY id DESC LIMIT ?5");
}

struct job_walk {
	int (*cb)(const struct job *job, void *arg);
	void *arg;
};

static int job_row(sqlite3_stmt *st, void *arg)
{
	const struct job_walk *w = arg;
	struct job job;
	sqlite_job_from_row(st, &job);
	return w->cb(&job, w->arg);
}

struct attempt_walk {
	int (*cb)(const struct attempt *a, void *arg);
	void *arg;
};

static int attempt_row(sqlite3_stmt *st, void *arg)
{
	const struct attempt_walk *w = arg;
	struct attempt a;
	attempt_from_row(st, &a);
	return w->cb(&a, w->arg);
}

/* Prepared per call, not cached, so that a callback may itself read the
 * store (store_get, store_attempts) while the walk is in progress. */
int sqlite_list(struct store *base, const struct job_filter *f,
		int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "listing jobs";
	char sql[512];
	list_sql(f, sql, sizeof sql);
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, f->id);
	db_bind_text(st, 2, f->msisdn);
	db_bind_text(st, 3, f->state >= 0 ? job_state_name((enum job_state)f->state) : NULL);
	db_bind_text(st, 4, f->rollout);
	sqlite3_bind_int(st, 5, f->limit > 0 ? f->limit : -1);     /* -1: no limit */
	struct job_walk w = { cb, arg };
	return db_walk(db, st, job_row, &w, doing, err);
}

int sqlite_attempts(struct store *base, int64_t id,
		    int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "reading attempt history";
	sqlite3_stmt *st = db_prepare(db, "SELECT " ATTEMPT_COLUMNS " FROM attempts "
				      "WHERE job_id = ?1 ORDER BY id", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	struct attempt_walk w = { cb, arg };
	return db_walk(db, st, attempt_row, &w, doing, err);
}

int sqlite_count_by_state(struct store *base, int64_t counts[JOB_STATE_COUNT],
			  struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "counting jobs by state";
	sqlite3_stmt *st = sqlite_stmt(s, ST_COUNT_BY_STATE, doing, err);
	if (!st)
		return -1;
	memset(counts, 0, JOB_STATE_COUNT * sizeof counts[0]);
	int rc;
	while ((rc = db_step(s->db, st, doing, err)) == 1) {
		enum job_state state;
		if (job_state_parse((const char *)sqlite3_column_text(st, 0), &state) == 0)
			counts[state] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc;
}

int sqlite_next_due(struct store *base, int64_t *out, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "finding the next due job";
	sqlite3_stmt *st = sqlite_stmt(s, ST_NEXT_DUE, doing, err);
	if (!st)
		return -1;
	int found = db_step(s->db, st, doing, err);
	if (found > 0)
		*out = db_column_or(st, 0, INT64_MAX);
	else if (found == 0)
		errbuf_set(err, "%s: no result row", doing);
	sqlite3_reset(st);
	return found > 0 ? 0 : -1;
}
