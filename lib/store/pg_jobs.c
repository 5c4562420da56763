/* pg_jobs.c - the PostgreSQL engine's job transitions and reads: enqueue,
 * claim with a lease (FOR UPDATE SKIP LOCKED), the outcome of each try,
 * cancel, retry, taking back interrupted sends (dead instances' leases),
 * tokens, listing. Every change runs in one pg_tx with its history row,
 * the job row locked (FOR UPDATE) before its state is checked. */
#include "pg_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_try.h"

/* ---- enqueue ---- */

int pg_enqueue(struct store *base, const struct job_new *job, int64_t now, int64_t *id_out,
	       struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "enqueueing a job";
	struct pg_params p = { 0 };
	pg_param_text(&p, job->msisdn);
	pg_param_text(&p, job->profile);
	pg_param_text(&p, pg_action_name(job->action));
	pg_param_text(&p, job->rollout && *job->rollout ? job->rollout : NULL);
	pg_param_int(&p, job->not_before);
	pg_param_int(&p, job->max_attempts);
	pg_param_int(&p, now);
	pg_param_text(&p, job->imei);
	if (job->deadline > 0)
		pg_param_int(&p, job->deadline);
	else
		pg_param_null(&p);
	struct pg_tx t;
	int64_t id;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	if (pg_int(s, "INSERT INTO jobs (msisdn, profile, action, rollout, not_before, "
		   "max_attempts, created_at, updated_at, imei, deadline) "
		   "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id", &p, 0, &id, doing,
		   err) < 0 ||
	    pg_notify_wake(s, err) < 0 || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	if (id_out)
		*id_out = id;
	return 0;
}

/* ---- claim ---- */

/* A job past its deadline is never claimed. $1 is now. */
#define PG_NOT_EXPIRED(col) "(" col " IS NULL OR " col " > $1)"

/* The sources a claim tries, oldest due head first, read without locks
 * (an idle probe that finds nothing takes no lock and writes nothing):
 * the jobs outside rollouts, and each opened wave of each rollout whose
 * gates are open, with the not_before and id of its oldest due job (one
 * index seek each, as in SQLite). The rollout's rate comes along: the
 * claim locks the rollout row before it takes one of its jobs. */
#define PICK_SQL \
	"SELECT rollout, wave, rate FROM (" \
	"(SELECT not_before, id, NULL::text AS rollout, 0 AS wave, 0 AS rate FROM jobs " \
	"WHERE wave IS NULL AND state = 'queued' AND not_before <= $1 AND " \
	PG_NOT_EXPIRED("deadline") " ORDER BY not_before, id LIMIT 1) " \
	"UNION ALL " \
	"SELECT j.not_before, j.id, r.name, w.n, r.rate_per_min FROM rollouts r " \
	"CROSS JOIN LATERAL generate_series(1, r.current_wave) AS w(n) " \
	"CROSS JOIN LATERAL (SELECT not_before, id FROM jobs WHERE rollout = r.name AND " \
	"wave = w.n AND state = 'queued' AND not_before <= $1 AND " PG_NOT_EXPIRED("deadline") \
	" ORDER BY not_before, id LIMIT 1) j " \
	"WHERE r.state = 'active' AND r.gate_open = 1 AND r.next_send_at <= $1" \
	") c ORDER BY not_before, id LIMIT 16"

/* Locks the rollout row if its gates are still open, as of the newest
 * committed version (READ COMMITTED re-reads a row it locks once the lock
 * is granted). A rate-limited rollout is locked exclusively: its
 * next_send_at is decided and moved on under this lock, so the rate holds
 * across instances. An instance claiming from it at the same moment holds
 * that lock for a few milliseconds; waiting for it (rather than skipping)
 * lets this claim see the moved next_send_at, so that the worker sleeps
 * until then instead of probing blindly. An unlimited rollout is only
 * share-locked: instances claim its jobs side by side, and only a pause,
 * cancel or tick step on the row makes them wait. */
static int lock_rollout(struct pg_store *s, const char *name, bool limited, int64_t now,
			const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	if (limited)
		pg_param_int(&p, now);
	PGresult *res = pg_hot(s, limited
			       ? "SELECT 1 FROM rollouts WHERE name = $1 AND state = 'active' AND "
				 "gate_open = 1 AND next_send_at <= $2 FOR UPDATE"
			       : "SELECT 1 FROM rollouts WHERE name = $1 AND state = 'active' AND "
				 "gate_open = 1 FOR SHARE", &p, doing, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

/* The claim's UPDATE around a seek for the source's oldest due job that
 * no other transaction holds (FOR UPDATE SKIP LOCKED walks the index past
 * jobs another instance is taking right now). $1 now, $2 modem, $3
 * instance, $4 lease end, and for a wave $5 rollout, $6 wave. A new send
 * starts its furthest step afresh (as SQLite's claim). */
#define TAKE_SQL(source) "UPDATE jobs SET state = 'sending', modem = $2, updated_at = $1, " \
	"reached = 0, claimed_by = $3, lease_until = $4 WHERE id = (SELECT id FROM jobs WHERE " \
	source " AND state = 'queued' AND not_before <= $1 AND " PG_NOT_EXPIRED("deadline") \
	" ORDER BY not_before, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " PG_JOB_COLUMNS

/* queued -> sending for the oldest due job of the source (rollout ""
 * : the jobs outside rollouts). Returns 1 with *out, 0 when every due job
 * of it is taken, -1. */
static int take_job(struct pg_store *s, const char *modem, int64_t now, const char *rollout,
		    int wave, struct job *out, const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	pg_param_text(&p, modem);
	pg_param_text(&p, s->instance);
	pg_param_int(&p, now + s->lease_ms);
	if (rollout[0]) {
		pg_param_text(&p, rollout);
		pg_param_int(&p, wave);
	}
	PGresult *res = pg_hot(s, rollout[0] ? TAKE_SQL("rollout = $5 AND wave = $6")
					     : TAKE_SQL("wave IS NULL"), &p, doing, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found)
		pg_job_from_row(res, 0, 0, out);
	PQclear(res);
	return found;
}

/* The rollout's next send is one spacing after the time this one was
 * allowed, or after now when it has been idle longer than a spacing (the
 * same rule as SQLite's, see sqlite_jobs.c). */
static int rate_step(struct pg_store *s, const char *rollout, int64_t now, const char *doing,
		     struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, rollout);
	pg_param_int(&p, now);
	return pg_hot_run(s, "UPDATE rollouts SET next_send_at = 60000 / rate_per_min + "
		      "CASE WHEN $2 - next_send_at < 60000 / rate_per_min THEN next_send_at ELSE $2 END "
		      "WHERE name = $1 AND rate_per_min > 0", &p, doing, err) < 0 ? -1 : 0;
}

struct candidate {
	char rollout[STORE_NAME_MAX];   /* "" outside rollouts */
	int wave;
	bool limited;
};

#define CANDIDATES_MAX 16

/* Reads the candidates (PICK_SQL). Returns their number or -1. */
static int pick_candidates(struct pg_store *s, int64_t now, struct candidate *c,
			   const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	PGresult *res = pg_hot(s, PICK_SQL, &p, doing, err);
	if (!res)
		return -1;
	int n = PQntuples(res) < CANDIDATES_MAX ? PQntuples(res) : CANDIDATES_MAX;
	for (int i = 0; i < n; i++) {
		pg_col_text(c[i].rollout, sizeof c[i].rollout, res, i, 0);
		c[i].wave = (int)pg_col_int(res, i, 1, 0);
		c[i].limited = pg_col_int(res, i, 2, 0) > 0;
	}
	PQclear(res);
	return n;
}

/* Tries the sources in order inside the caller's transaction. Returns 1
 * with *out, 0 when other instances hold every due job of each, -1. */
static int claim_first(struct pg_store *s, const char *modem, int64_t now,
		       const struct candidate *c, int n, struct job *out, const char *doing,
		       struct errbuf *err)
{
	for (int i = 0; i < n; i++) {
		bool in_rollout = c[i].rollout[0] != '\0';
		int ok = in_rollout ? lock_rollout(s, c[i].rollout, c[i].limited, now, doing, err) : 1;
		if (ok > 0)
			ok = take_job(s, modem, now, c[i].rollout, c[i].wave, out, doing, err);
		if (ok > 0 && in_rollout && c[i].limited && rate_step(s, c[i].rollout, now, doing, err) < 0)
			ok = -1;
		if (ok != 0)
			return ok;
	}
	return 0;
}

/* Instances claim side by side: the job is found with SKIP LOCKED, so
 * two instances never take the same job nor wait for each other's; the
 * rollout's gates and rate are checked again under its row's lock (the
 * first read was without locks). */
int pg_claim(struct store *base, const char *modem, int64_t now, struct job *out,
	     struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "claiming a job";
	struct candidate c[CANDIDATES_MAX];
	int n = pick_candidates(s, now, c, doing, err);
	if (n <= 0)
		return n;
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = claim_first(s, modem, now, c, n, out, doing, err);
	if (found < 0 || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return found;
}

/* Every lease of this instance at once, from one thread that never waits
 * on a modem (the scheduler's): a worker waiting for a +CMGS could not
 * renew in time. */
int pg_renew_lease(struct store *base, int64_t now, int64_t *count, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	struct pg_params p = { 0 };
	pg_param_text(&p, s->instance);
	pg_param_int(&p, now + s->lease_ms);
	int64_t n = pg_hot_run(s, "UPDATE jobs SET lease_until = $2 WHERE state = 'sending' AND "
			   "claimed_by = $1", &p, "renewing this instance's leases", err);
	if (n >= 0 && count)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* ---- finishing a try ---- */

/* The job's counters (store_try.h) and which instance holds it, read
 * with the job row locked. */
struct pg_counters {
	struct job_counters job;
	char claimed_by[STORE_NAME_MAX];
};

/* Locks job id's row and reads it. Returns 1, 0 when there is no such
 * job, -1. */
static int load_counters(struct pg_store *s, int64_t id, struct pg_counters *c,
			 const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	PGresult *res = pg_hot(s, "SELECT j.state, j.attempts, j.max_attempts, "
		"(SELECT r.state FROM rollouts r WHERE j.wave IS NOT NULL AND r.name = j.rollout), "
		"j.claimed_by FROM jobs j WHERE j.id = $1 FOR UPDATE OF j", &p, doing, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found) {
		if (job_state_parse(pg_col_str(res, 0, 0), &c->job.state) < 0)
			c->job.state = JOB_FAILED;  /* unreachable: the CHECK constraint */
		c->job.attempts = (int)pg_col_int(res, 0, 1, 0);
		c->job.max_attempts = (int)pg_col_int(res, 0, 2, 0);
		c->job.rollout_cancelled = strcmp(pg_col_str(res, 0, 3), "cancelled") == 0;
		pg_col_text(c->claimed_by, sizeof c->claimed_by, res, 0, 4);
	}
	PQclear(res);
	return found;
}

/* A try may end only while the job is sending on this instance: a job
 * whose lease ran out was taken back (and may be sending elsewhere now).
 * Returns 0, or -1 with the refusal. */
static int check_ours(const struct pg_store *s, int64_t id, int found,
		      const struct pg_counters *c, struct errbuf *err)
{
	if (found == 0)
		return errbuf_set(err, "no such job %" PRId64, id);
	if (c->job.state != JOB_SENDING)
		return errbuf_set(err, "job %" PRId64 " is %s, not sending", id,
				  job_state_name(c->job.state));
	if (strcmp(c->claimed_by, s->instance) != 0)
		return errbuf_set(err, "job %" PRId64 " is sending on instance %s, not on this one "
				  "(its lease ran out and it was taken back)", id, c->claimed_by);
	return 0;
}

/* Writes the planned change; the lease ends with the try. Into 'sent':
 * sent_at, no earlier delivery, reached at least 'sent' (as SQLite's). */
static int write_transition(struct pg_store *s, int64_t id, int64_t not_before,
			    const struct job_outcome *o, const struct transition *t,
			    const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	pg_param_text(&p, job_state_name(t->state));
	pg_param_int(&p, t->attempts);
	if (t->set_not_before)
		pg_param_int(&p, not_before);
	else
		pg_param_null(&p);
	pg_param_text(&p, o->modem);
	pg_param_text(&p, t->error[0] ? t->error : NULL);
	pg_param_int(&p, o->finished_at);
	pg_param_bool(&p, t->state == JOB_SENT);
	return pg_hot_run(s, "UPDATE jobs SET state = $2, attempts = $3, "
		"not_before = COALESCE($4, not_before), modem = COALESCE($5, modem), "
		"last_error = $6, updated_at = $7, claimed_by = NULL, lease_until = NULL, "
		"sent_at = CASE WHEN $8 = 1 THEN $7 ELSE sent_at END, "
		"delivered_at = CASE WHEN $8 = 1 THEN NULL ELSE delivered_at END, "
		"reached = CASE WHEN $8 = 1 THEN greatest(reached, 1) ELSE reached END "
		"WHERE id = $1", &p, doing, err) < 0 ? -1 : 0;
}

/* The common body of mark_sent/retry_later/mark_failed: the job row
 * locked, checked sending on this instance, the transition with its
 * attempt, parts and event, in one transaction. A job queued again wakes
 * the idle modems of every instance (its not_before may be the earliest). */
static int finish_try(struct pg_store *s, int64_t id, enum try_end end, bool count_attempt,
		      int64_t not_before, const struct job_outcome *o,
		      const struct sent_parts *parts, enum job_state *state_out, struct errbuf *err)
{
	const char *doing = "recording the outcome of a try";
	struct pg_tx t;
	struct pg_counters c;
	struct transition tr;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found < 0 || check_ours(s, id, found, &c, err) < 0)
		goto fail;
	store_plan_transition(end, count_attempt, &c.job, o->detail, &tr);
	const char *result = o->result ? o->result : store_try_result(end, count_attempt);
	if (write_transition(s, id, not_before, o, &tr, doing, err) < 0 ||
	    pg_insert_attempt(s, id, o->started_at, o->finished_at, o->modem, result, o->cms_error,
			      o->mrs, o->detail, err) < 0)
		goto fail;
	if (parts && parts->count > 0 &&
	    pg_record_parts(s, id, tr.attempts, o->modem, parts, o->finished_at, err) < 0)
		goto fail;
	if (end == END_SENT && pg_insert_event(s, id, EVENT_SENT, o->finished_at, -1, NULL, err) < 0)
		goto fail;
	if (tr.state == JOB_QUEUED && pg_notify_wake(s, err) < 0)
		goto fail;
	if (pg_tx_commit(&t, doing, err) < 0)
		goto fail;
	if (state_out)
		*state_out = tr.state;
	return 0;
fail:
	pg_tx_rollback(&t);
	return -1;
}

int pg_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		 const struct sent_parts *parts, struct errbuf *err)
{
	return finish_try(pg_of(s), id, END_SENT, true, 0, o, parts, NULL, err);
}

int pg_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		   const struct job_outcome *o, enum job_state *state_out, struct errbuf *err)
{
	return finish_try(pg_of(s), id, END_RETRY, count_attempt, not_before, o, NULL, state_out,
			  err);
}

int pg_mark_failed(struct store *s, int64_t id, const struct job_outcome *o, struct errbuf *err)
{
	return finish_try(pg_of(s), id, END_FAILED, true, 0, o, NULL, NULL, err);
}

/* ---- parts of a send ---- */

int pg_insert_part(struct pg_store *s, int64_t job_id, int send, const char *modem, int mr,
		   const char *message_id, int part, int count, int64_t now, struct errbuf *err)
{
	const char *doing = "recording the parts of a send";
	struct pg_params prune = { 0 }, insert = { 0 };
	pg_param_text(&prune, modem);
	pg_param_int(&prune, mr);
	pg_param_int(&prune, now - NOTIFY_REPORT_HORIZON_MS);
	pg_param_int(&insert, job_id);
	pg_param_int(&insert, send);
	pg_param_int(&insert, part);
	pg_param_int(&insert, count);
	pg_param_text(&insert, modem);
	pg_param_int(&insert, mr);
	pg_param_int(&insert, now);
	pg_param_text(&insert, message_id);
	if (pg_hot_run(s, "DELETE FROM sent_parts WHERE modem = $1 AND mr = $2 AND sent_at < $3",
		   &prune, doing, err) < 0 ||
	    pg_hot_run(s, "INSERT INTO sent_parts (job_id, attempt, part, part_count, modem, mr, "
		   "sent_at, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", &insert, doing,
		   err) < 0)
		return -1;
	return 0;
}

int pg_record_parts(struct pg_store *s, int64_t job_id, int send, const char *modem,
		    const struct sent_parts *parts, int64_t now, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, job_id);
	pg_param_int(&p, send);
	if (pg_hot_run(s, "DELETE FROM sent_parts WHERE job_id = $1 AND attempt = $2", &p,
		   "recording the parts of a send", err) < 0)
		return -1;
	for (size_t i = 0; i < parts->count; i++) {
		const char *id = parts->message_id ? parts->message_id[i] : NULL;
		if (pg_insert_part(s, job_id, send, modem, id ? 0 : parts->mr[i], id, (int)i + 1,
				   (int)parts->count, now, err) < 0)
			return -1;
	}
	return 0;
}

/* The send's number is the job's attempts after it: attempts + 1. An
 * SMPP part (message_id set) keeps mr 0. */
static int record_part(struct store *base, int64_t id, const char *modem, int mr,
		       const char *message_id, int part, int count, int64_t at, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "recording a part of a send";
	struct pg_tx t;
	struct pg_counters c;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found < 0 || check_ours(s, id, found, &c, err) < 0 ||
	    pg_insert_part(s, id, c.job.attempts + 1, modem, mr, message_id, part, count, at,
			   err) < 0 ||
	    pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

int pg_record_part(struct store *base, int64_t id, const char *modem, int mr, int part, int count,
		   int64_t at, struct errbuf *err)
{
	return record_part(base, id, modem, mr, NULL, part, count, at, err);
}

int pg_record_part_id(struct store *base, int64_t id, const char *modem, const char *message_id,
		      int part, int count, int64_t at, struct errbuf *err)
{
	return record_part(base, id, modem, 0, message_id, part, count, at, err);
}

/* ---- events of a send ---- */

int pg_insert_event(struct pg_store *s, int64_t job_id, enum event_kind kind, int64_t at,
		    int code, const struct job_event *ev, struct errbuf *err)
{
	const char *doing = "recording an event";
	struct pg_params p = { 0 };
	pg_param_int(&p, job_id);
	pg_param_int(&p, at);
	pg_param_text(&p, event_kind_name(kind));
	pg_param_text(&p, ev && ev->client[0] ? ev->client : NULL);
	pg_param_text(&p, ev && ev->imei[0] ? ev->imei : NULL);
	pg_param_text(&p, ev && ev->product[0] ? ev->product : NULL);
	if (ev && ev->bytes >= 0)
		pg_param_int(&p, ev->bytes);
	else
		pg_param_null(&p);
	if (ev && ev->size >= 0)
		pg_param_int(&p, ev->size);
	else
		pg_param_null(&p);
	if (code >= 0)
		pg_param_int(&p, code);
	else
		pg_param_null(&p);
	/* late: the job had already reached an end the event cannot change. */
	int64_t n = pg_hot_run(s, "INSERT INTO events (job_id, at, kind, client, imei, product, bytes, "
			   "size, code, late) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, "
			   "CASE WHEN state IN ('cancelled', 'confirmed') THEN 1 ELSE 0 END "
			   "FROM jobs WHERE id = $1", &p, doing, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return errbuf_set(err, "no such job %" PRId64, job_id);
	struct pg_params r = { 0 };
	pg_param_int(&r, job_id);
	pg_param_int(&r, (int)event_step(kind));
	return pg_hot_run(s, "UPDATE jobs SET reached = $2 WHERE id = $1 AND reached < $2", &r, doing,
		      err) < 0 ? -1 : 0;
}

/* ---- operator actions ---- */

int pg_cancel(struct store *base, int64_t id, int64_t now, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "cancelling a job";
	struct pg_tx t;
	struct pg_counters c;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found > 0 && c.job.state != JOB_QUEUED)
		errbuf_set(err, "job %" PRId64 " is %s; only queued jobs can be cancelled", id,
			   job_state_name(c.job.state));
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	pg_param_int(&p, now);
	if (found <= 0 || c.job.state != JOB_QUEUED ||
	    pg_run(s, "UPDATE jobs SET state = 'cancelled', updated_at = $2 WHERE id = $1", &p,
		   doing, err) < 0 ||
	    pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* The UPDATE behind both retries, on at most $6 jobs (see sqlite_jobs.c's
 * retry_sql: the same conditions). Parameters: $1 now, $2 rollout, $3 error
 * code, $4 job id, $5 furthest step, $6 chunk. */
static void retry_sql(const struct retry_filter *f, bool one_job, char *sql, size_t size)
{
	snprintf(sql, size, "UPDATE jobs SET state = 'queued', attempts = 0, not_before = $1, "
		 "updated_at = $1 WHERE id IN (SELECT id FROM jobs WHERE state = 'failed'%s%s%s "
		 "AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE jobs.wave IS NOT NULL AND "
		 "r.name = jobs.rollout AND r.state = 'cancelled')%s "
		 "AND $2::text IS NOT DISTINCT FROM $2 AND $3::int = $3 AND $4::bigint = $4 "
		 "AND $5::int = $5 ORDER BY id LIMIT $6 FOR UPDATE SKIP LOCKED)",
		 one_job ? " AND id = $4" : "",
		 f && f->rollout ? " AND rollout = $2" : "",
		 f && f->error_code >= 0 ? " AND (notify_code = $3 OR (SELECT a.cms_error FROM "
		 "attempts a WHERE a.job_id = jobs.id ORDER BY a.id DESC LIMIT 1) = $3)" : "",
		 f && f->by_step ? " AND reached = $5" : "");
}

/* Runs the retry UPDATE, revives finished rollouts and wakes the modems,
 * inside the caller's transaction. *count (may be NULL) gets the jobs. */
static int run_retry(struct pg_store *s, const struct retry_filter *f, int64_t id, int64_t now,
		     int64_t *count, const char *doing, struct errbuf *err)
{
	char sql[1024];
	retry_sql(f, id > 0, sql, sizeof sql);
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	pg_param_text(&p, f ? f->rollout : NULL);
	pg_param_int(&p, f ? f->error_code : -1);
	pg_param_int(&p, id);
	pg_param_int(&p, f && f->by_step ? f->stopped_at : -1);
	pg_param_int(&p, rollout_release_chunk);
	int64_t n = pg_run(s, sql, &p, doing, err);
	if (n < 0)
		return -1;
	if (count)
		*count = n;
	if (n == 0)
		return 0;
	struct pg_params r = { 0 };
	pg_param_int(&r, now);
	if (pg_run(s, "UPDATE rollouts SET state = 'active', updated_at = $1 WHERE state = 'done' "
		   "AND EXISTS (SELECT 1 FROM jobs j WHERE j.rollout = rollouts.name AND "
		   "j.wave IS NOT NULL AND j.state = 'queued')", &r, doing, err) < 0)
		return -1;
	return pg_notify_wake(s, err);
}

/* A chunk of jobs per transaction, as SQLite's (never a long lock). */
int pg_retry_failed(struct store *base, const struct retry_filter *f, int64_t now, int64_t *count,
		    struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "retrying failed jobs";
	struct pg_tx t;
	int64_t n = 0, chunk;
	do {
		chunk = 0;
		if (pg_tx_begin(&t, s, doing, err) < 0)
			return -1;
		if (run_retry(s, f, 0, now, &chunk, doing, err) < 0 ||
		    pg_tx_commit(&t, doing, err) < 0) {
			pg_tx_rollback(&t);
			return -1;
		}
		n += chunk;
	} while (chunk == rollout_release_chunk);
	*count = n;
	return 0;
}

int pg_retry_job(struct store *base, int64_t id, int64_t now, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "retrying a job";
	struct pg_tx t;
	struct pg_counters c;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = load_counters(s, id, &c, doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found == 1 && c.job.state != JOB_FAILED)
		errbuf_set(err, "job %" PRId64 " is %s; only failed jobs can be retried", id,
			   job_state_name(c.job.state));
	else if (found == 1 && c.job.rollout_cancelled)
		errbuf_set(err, "job %" PRId64 " belongs to a cancelled rollout", id);
	if (found != 1 || c.job.state != JOB_FAILED || c.job.rollout_cancelled ||
	    run_retry(s, NULL, id, now, NULL, doing, err) < 0 || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* ---- taking back interrupted sends ---- */

/* Jobs in sending whose lease ran out: their instance died (or lost the
 * database for longer than a lease). Each gets an 'interrupted' attempt
 * naming it and goes back to the queue; attempts is not incremented (as
 * SQLite's crash recovery). Rows another connection is taking back right
 * now are skipped (SKIP LOCKED); READ COMMITTED checks lease_until again on
 * the newest version of each row it locks, so a lease renewed meanwhile is
 * left alone. Jobs of instances that are alive are never touched: unlike
 * SQLite's (one otapd, at its start), this runs at any time. */
#define TAKE_BACK_SQL \
	"WITH gone AS (SELECT id FROM jobs WHERE state = 'sending' AND lease_until < $1 " \
	"ORDER BY id FOR UPDATE SKIP LOCKED), " \
	"history AS (INSERT INTO attempts (job_id, started_at, finished_at, modem, result, detail) " \
	"SELECT j.id, j.updated_at, $1, j.modem, 'interrupted', " \
	"'otapd instance ' || coalesce(j.claimed_by, '?') || $2 FROM jobs j JOIN gone USING (id)) " \
	"UPDATE jobs SET state = 'queued', updated_at = $1, claimed_by = NULL, lease_until = NULL, " \
	"last_error = 'otapd instance ' || coalesce(jobs.claimed_by, '?') || $2 " \
	"FROM gone WHERE jobs.id = gone.id"

int pg_recover_interrupted(struct store *base, int64_t now, int *count, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "taking back jobs of stopped instances";
	struct pg_tx t;
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	pg_param_text(&p, " stopped while sending (its lease ran out; the unit may receive a "
		      "duplicate SMS)");
	int64_t one;
	/* Read-only first: the scheduler asks every second. */
	struct pg_params q = { 0 };
	pg_param_int(&q, now);
	int any = pg_int(s, "SELECT 1 FROM jobs WHERE state = 'sending' AND lease_until < $1 LIMIT 1",
			 &q, 0, &one, doing, err);
	if (any <= 0) {
		if (any == 0 && count)
			*count = 0;
		return any;
	}
	int64_t n = -1;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	if ((n = pg_run(s, TAKE_BACK_SQL, &p, doing, err)) < 0 ||
	    (n > 0 && pg_notify_wake(s, err) < 0) || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	if (count)
		*count = (int)n;
	return 0;
}

/* ---- the notify token ---- */

int pg_job_token(struct store *base, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		 struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "reading a notify token";
	char fresh[NOTIFY_TOKEN_LEN + 8];
	if (notify_token_new(fresh, err) < 0)
		return -1;
	/* One statement: the job keeps a token it has; else it gets fresh. */
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	pg_param_text(&p, fresh);
	PGresult *res = pg_query(s, "UPDATE jobs SET notify_token = coalesce(notify_token, $2) "
				 "WHERE id = $1 RETURNING notify_token", &p, doing, err);
	explicit_bzero(fresh, sizeof fresh);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0 && strlen(pg_col_str(res, 0, 0)) == NOTIFY_TOKEN_LEN;
	if (found) {
		memcpy(token, pg_col_str(res, 0, 0), NOTIFY_TOKEN_LEN);
		token[NOTIFY_TOKEN_LEN] = '\0';
	}
	if (PQntuples(res) > 0)
		explicit_bzero(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	if (!found)
		return errbuf_set(err, "no such job %" PRId64, id);
	return 0;
}

/* ---- reading ---- */

int pg_get(struct store *base, int64_t id, struct job *out, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	PGresult *res = pg_hot(pg_of(base), "SELECT " PG_JOB_COLUMNS " FROM jobs WHERE id = $1",
				 &p, "reading a job", err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found)
		pg_job_from_row(res, 0, 0, out);
	PQclear(res);
	return found;
}

/* Only the set fields become conditions; parameter numbers are fixed. */
static void list_sql(const struct job_filter *f, char *sql, size_t size)
{
	snprintf(sql, size, "SELECT " PG_JOB_COLUMNS " FROM jobs WHERE true%s%s%s%s "
		 "AND $1::bigint = $1 AND $2::text IS NOT DISTINCT FROM $2 "
		 "AND $3::text IS NOT DISTINCT FROM $3 AND $4::text IS NOT DISTINCT FROM $4 "
		 "ORDER BY id DESC LIMIT $5",
		 f->id > 0 ? " AND id = $1" : "", f->msisdn ? " AND msisdn = $2" : "",
		 f->state >= 0 ? " AND state = $3" : "", f->rollout ? " AND rollout = $4" : "");
}

struct job_walk {
	int (*cb)(const struct job *job, void *arg);
	void *arg;
};

static int job_row(const PGresult *res, int i, void *arg)
{
	const struct job_walk *w = arg;
	struct job job;
	pg_job_from_row(res, i, 0, &job);
	return w->cb(&job, w->arg);
}

int pg_list(struct store *base, const struct job_filter *f,
	    int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err)
{
	char sql[768];
	list_sql(f, sql, sizeof sql);
	struct pg_params p = { 0 };
	pg_param_int(&p, f->id);
	pg_param_text(&p, f->msisdn);
	pg_param_text(&p, f->state >= 0 ? job_state_name((enum job_state)f->state) : NULL);
	pg_param_text(&p, f->rollout);
	if (f->limit > 0)
		pg_param_int(&p, f->limit);
	else
		pg_param_null(&p);         /* LIMIT NULL: no limit */
	struct job_walk w = { cb, arg };
	return pg_walk(pg_of(base), sql, &p, job_row, &w, "listing jobs", err);
}

struct attempt_walk {
	int (*cb)(const struct attempt *a, void *arg);
	void *arg;
};

static int attempt_row(const PGresult *res, int i, void *arg)
{
	const struct attempt_walk *w = arg;
	struct attempt a;
	memset(&a, 0, sizeof a);
	a.id = pg_col_int(res, i, 0, 0);
	a.job_id = pg_col_int(res, i, 1, 0);
	a.started_at = pg_col_int(res, i, 2, 0);
	a.finished_at = pg_col_int(res, i, 3, 0);
	pg_col_text(a.modem, sizeof a.modem, res, i, 4);
	pg_col_text(a.result, sizeof a.result, res, i, 5);
	a.cms_error = (int)pg_col_int(res, i, 6, -1);
	pg_col_text(a.mrs, sizeof a.mrs, res, i, 7);
	pg_col_text(a.detail, sizeof a.detail, res, i, 8);
	return w->cb(&a, w->arg);
}

int pg_attempts(struct store *base, int64_t id, int (*cb)(const struct attempt *a, void *arg),
		void *arg, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	struct attempt_walk w = { cb, arg };
	return pg_walk(pg_of(base), "SELECT id, job_id, started_at, finished_at, modem, result, "
		       "cms_error, mrs, detail FROM attempts WHERE job_id = $1 ORDER BY id", &p,
		       attempt_row, &w, "reading attempt history", err);
}

int pg_count_by_state(struct store *base, int64_t counts[JOB_STATE_COUNT], struct errbuf *err)
{
	PGresult *res = pg_query(pg_of(base), "SELECT state, count(*) FROM jobs GROUP BY state",
				 NULL, "counting jobs by state", err);
	if (!res)
		return -1;
	memset(counts, 0, JOB_STATE_COUNT * sizeof counts[0]);
	for (int i = 0; i < PQntuples(res); i++) {
		enum job_state state;
		if (job_state_parse(pg_col_str(res, i, 0), &state) == 0)
			counts[state] = pg_col_int(res, i, 1, 0);
	}
	PQclear(res);
	return 0;
}

/* The same gates as the claim's candidates (see SQLite's ST_NEXT_DUE). */
int pg_next_due(struct store *base, int64_t *out, struct errbuf *err)
{
	int rc = pg_int(pg_of(base), "SELECT min(t) FROM ("
		"SELECT min(not_before) AS t FROM jobs WHERE wave IS NULL AND state = 'queued' "
		"UNION ALL "
		"SELECT greatest(r.next_send_at, m.t) "
		"FROM rollouts r CROSS JOIN LATERAL generate_series(1, r.current_wave) AS w(n) "
		"CROSS JOIN LATERAL (SELECT min(j.not_before) AS t FROM jobs j "
		"WHERE j.rollout = r.name AND j.wave = w.n AND j.state = 'queued') m "
		"WHERE r.state = 'active' AND r.gate_open = 1 AND m.t IS NOT NULL) due", NULL,
		INT64_MAX, out,
		"finding the next due job", err);
	return rc < 0 ? -1 : 0;
}
