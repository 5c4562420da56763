/* pg_metrics.c - the PostgreSQL engine's read of the /metrics counts, one
 * REPEATABLE READ READ ONLY transaction around all of them, so that they
 * come from one snapshot (see store_metrics.h; the SQLite twin is
 * sqlite_metrics.c). */
#include "pg_shared.h"
#include "metrics_common.h"

#include <string.h>

struct metric_walk {
	const struct store_metrics_sink *sink;
	enum store_metric m;
};

/* Rows of "name, state, count" (rollout jobs). */
static int rollout_row(const PGresult *res, int i, void *arg)
{
	struct metric_walk *w = arg;
	enum job_state state;
	if (job_state_parse(pg_col_str(res, i, 1), &state) < 0)
		return 0;
	struct store_metric_row r = { .name = pg_col_str(res, i, 0), .state = (int)state,
				      .value = pg_col_int(res, i, 2, 0) };
	w->sink->row(w->sink->arg, w->m, &r);
	return 0;
}

/* Rows of "name, code, count" (SMS errors, notifications: name NULL). */
static int code_row(const PGresult *res, int i, void *arg)
{
	struct metric_walk *w = arg;
	struct store_metric_row r = { .name = pg_col_str(res, i, 0),
				      .code = (int)pg_col_int(res, i, 1, -1),
				      .value = pg_col_int(res, i, 2, 0) };
	w->sink->row(w->sink->arg, w->m, &r);
	return 0;
}

static int walk(struct pg_store *s, const struct store_metrics_sink *sink, enum store_metric m,
		const char *sql, int (*row)(const PGresult *, int, void *), struct errbuf *err)
{
	struct metric_walk w = { sink, m };
	sink->begin(sink->arg, m);
	return pg_walk(s, sql, NULL, row, &w, "reading the metrics", err);
}

static int oldest_due(struct pg_store *s, int64_t now, const struct store_metrics_sink *sink,
		      struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, now);
	int64_t due;
	if (pg_int(s, "SELECT min(not_before) FROM jobs WHERE state = 'queued' AND "
		   "not_before <= $1", &p, now, &due, "reading the oldest due job", err) < 0)
		return -1;
	metrics_oldest_due(sink, now, due);
	return 0;
}

static int read_all(struct pg_store *s, int64_t now, const struct store_metrics_sink *sink,
		    struct errbuf *err)
{
	struct store *base = &s->base;
	if (metrics_jobs(base, sink, err) < 0 ||
	    walk(s, sink, STORE_METRIC_ROLLOUT_JOBS, "SELECT rollout, state, count(*) FROM jobs "
		 "WHERE rollout IS NOT NULL GROUP BY rollout, state ORDER BY rollout" PG_BYTE_ORDER
		 ", state" PG_BYTE_ORDER, rollout_row, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_SMS_SENT, err) < 0 ||
	    walk(s, sink, STORE_METRIC_SMS_ERRORS, "SELECT modem, cms_error, count(*) "
		 "FROM attempts WHERE cms_error IS NOT NULL GROUP BY modem, cms_error "
		 "ORDER BY modem" PG_BYTE_ORDER " NULLS FIRST, cms_error", code_row, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_MODEM_UP, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_MODEM_SIGNAL, err) < 0 ||
	    walk(s, sink, STORE_METRIC_NOTIFICATIONS, "SELECT NULL, code, count(*) FROM events "
		 "WHERE kind = 'notified' GROUP BY code ORDER BY code NULLS FIRST", code_row,
		 err) < 0)
		return -1;
	return oldest_due(s, now, sink, err);
}

int pg_metrics_read(struct store *base, int64_t now, const struct store_metrics_sink *sink,
		    struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	if (pg_run(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL,
		   "starting the metrics read", err) < 0)
		return -1;
	int rc = read_all(s, now, sink, err);
	if (rc == 0 && pg_run(s, "COMMIT", NULL, "ending the metrics read", err) >= 0)
		return 0;
	PGresult *res = PQexec(s->conn, "ROLLBACK");   /* read only: nothing to lose */
	PQclear(res);
	return -1;
}
