/* pg_events.c - the PostgreSQL engine's events: looking up a download,
 * recording it, reading a job's timeline and a rollout's funnel (see
 * store_events.h; the SQLite twin is sqlite_events.c; inserting an event
 * with the job's furthest step is pg_insert_event in pg_jobs.c). */
#include "pg_shared.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define EVENT_COLUMNS "id, job_id, at, kind, client, imei, product, bytes, size, code, late"

static enum event_kind kind_from(const char *name)
{
	for (int i = 0; i < EVENT_KIND_COUNT; i++) {
		if (strcmp(name, event_kind_name((enum event_kind)i)) == 0)
			return (enum event_kind)i;
	}
	return EVENT_SENT;      /* unreachable: the CHECK constraint */
}

int pg_download_job(struct store *base, int64_t id, const char *token, struct download_job *out,
		    struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	/* Prepared (pg_hot): every JAD and JAR request of a unit asks. */
	PGresult *res = pg_hot(pg_of(base), "SELECT profile, action, state, notify_token FROM jobs "
				 "WHERE id = $1", &p, "looking up a download", err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found) {
		memset(out, 0, sizeof *out);
		out->id = id;
		pg_col_text(out->profile, sizeof out->profile, res, 0, 0);
		out->action = pg_action_from(pg_col_str(res, 0, 1));
		if (job_state_parse(pg_col_str(res, 0, 2), &out->state) < 0)
			out->state = JOB_FAILED;
		found = notify_token_equal(pg_col_str(res, 0, 3), token) ? 1 : 0;
	}
	/* The stored token is not left behind in freed memory. */
	if (PQntuples(res) > 0 && !pg_col_null(res, 0, 3))
		explicit_bzero(PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3));
	PQclear(res);
	return found;
}

int pg_record_download(struct store *base, const struct job_event *ev, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "recording a download";
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	if (pg_insert_event(s, ev->job_id, ev->kind, ev->at, -1, ev, err) < 0 ||
	    pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

struct event_walk {
	int (*cb)(const struct job_event *e, void *arg);
	void *arg;
};

static int event_row(const PGresult *res, int i, void *arg)
{
	const struct event_walk *w = arg;
	struct job_event e;
	memset(&e, 0, sizeof e);
	e.id = pg_col_int(res, i, 0, 0);
	e.job_id = pg_col_int(res, i, 1, 0);
	e.at = pg_col_int(res, i, 2, 0);
	e.kind = kind_from(pg_col_str(res, i, 3));
	pg_col_text(e.client, sizeof e.client, res, i, 4);
	pg_col_text(e.imei, sizeof e.imei, res, i, 5);
	pg_col_text(e.product, sizeof e.product, res, i, 6);
	e.bytes = pg_col_int(res, i, 7, -1);
	e.size = pg_col_int(res, i, 8, -1);
	e.code = (int)pg_col_int(res, i, 9, -1);
	e.late = pg_col_int(res, i, 10, 0) != 0;
	return w->cb(&e, w->arg);
}

int pg_events(struct store *base, int64_t id, int (*cb)(const struct job_event *e, void *arg),
	      void *arg, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	struct event_walk w = { cb, arg };
	return pg_walk(pg_of(base), "SELECT " EVENT_COLUMNS " FROM events WHERE job_id = $1 "
		       "ORDER BY id", &p, event_row, &w, "reading a job's events", err);
}

/* One count per (step, failed or not) over the partial index
 * jobs_rollout_reached, and the rollout's failed jobs; the jobs that
 * never got past the queue are the rest of the rollout's total. One
 * statement: one snapshot for both counts. */
int pg_rollout_funnel(struct store *base, const struct rollout *r, struct job_funnel *out,
		      struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	PGresult *res = pg_query(pg_of(base), "SELECT reached, (state = 'failed')::integer, "
				 "count(*) FROM jobs WHERE rollout = $1 AND reached > 0 GROUP BY 1, 2 "
				 "UNION ALL SELECT -1, 1, count(*) FROM jobs WHERE rollout = $1 AND "
				 "wave IS NOT NULL AND state = 'failed'", &p,
				 "counting a rollout's funnel", err);
	if (!res)
		return -1;
	memset(out, 0, sizeof *out);
	int64_t past_queue = 0, failed_all = 0, failed_sent = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		int step = (int)pg_col_int(res, i, 0, 0);
		int64_t n = pg_col_int(res, i, 2, 0);
		if (step == -1)
			failed_all = n;
		if (step <= 0 || step >= JOB_STEP_COUNT)
			continue;
		out->at[step] += n;
		if (pg_col_int(res, i, 1, 0))
			out->failed[step] += n;
		past_queue += n;
	}
	PQclear(res);
	for (int step = 1; step < JOB_STEP_COUNT; step++)
		failed_sent += out->failed[step];
	out->failed[JOB_STEP_QUEUED] = failed_all - failed_sent;
	out->at[JOB_STEP_QUEUED] = r->total_units - past_queue;
	return 0;
}
