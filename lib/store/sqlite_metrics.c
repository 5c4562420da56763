/* sqlite_metrics.c - the SQLite engine's read of the /metrics counts, one
 * deferred read transaction around all of them (see store_metrics.h). */
#include "sqlite_engine.h"
#include "metrics_common.h"

#include <string.h>

struct metric_walk {
	const struct store_metrics_sink *sink;
	enum store_metric m;
};

/* Rows of "name, state, count" (rollout jobs). */
static int rollout_row(sqlite3_stmt *st, void *arg)
{
	struct metric_walk *w = arg;
	enum job_state state;
	const char *text = (const char *)sqlite3_column_text(st, 1);
	if (!text || job_state_parse(text, &state) < 0)
		return 0;
	struct store_metric_row r = { .name = (const char *)sqlite3_column_text(st, 0),
				      .state = (int)state, .value = sqlite3_column_int64(st, 2) };
	w->sink->row(w->sink->arg, w->m, &r);
	return 0;
}

/* Rows of "name, code, count" (SMS errors, notifications: name NULL). */
static int code_row(sqlite3_stmt *st, void *arg)
{
	struct metric_walk *w = arg;
	const char *name = (const char *)sqlite3_column_text(st, 0);
	struct store_metric_row r = { .name = name ? name : "",
				      .code = (int)db_column_or(st, 1, -1),
				      .value = sqlite3_column_int64(st, 2) };
	w->sink->row(w->sink->arg, w->m, &r);
	return 0;
}

static int walk(struct sqlite_store *s, const struct store_metrics_sink *sink,
		enum store_metric m, const char *sql, int (*row)(sqlite3_stmt *, void *),
		struct errbuf *err)
{
	const char *doing = "reading the metrics";
	struct metric_walk w = { sink, m };
	sink->begin(sink->arg, m);
	return db_walk(s->db, db_prepare(s->db, sql, doing, err), row, &w, doing, err);
}

static int oldest_due(struct sqlite_store *s, int64_t now, const struct store_metrics_sink *sink,
		      struct errbuf *err)
{
	const char *doing = "reading the oldest due job";
	sqlite3_stmt *st = db_prepare(s->db, "SELECT min(not_before) FROM jobs "
				      "WHERE state = 'queued' AND not_before <= ?1", doing, err);
	if (st)
		sqlite3_bind_int64(st, 1, now);
	int64_t due;
	if (db_int(s->db, st, now, &due, doing, err) < 0)
		return -1;
	metrics_oldest_due(sink, now, due);
	return 0;
}

static int read_all(struct sqlite_store *s, int64_t now, const struct store_metrics_sink *sink,
		    struct errbuf *err)
{
	struct store *base = &s->base;
	if (metrics_jobs(base, sink, err) < 0 ||
	    walk(s, sink, STORE_METRIC_ROLLOUT_JOBS, "SELECT rollout, state, count(*) FROM jobs "
		 "WHERE rollout IS NOT NULL GROUP BY rollout, state ORDER BY rollout, state",
		 rollout_row, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_SMS_SENT, err) < 0 ||
	    walk(s, sink, STORE_METRIC_SMS_ERRORS, "SELECT modem, cms_error, count(*) "
		 "FROM attempts WHERE cms_error IS NOT NULL GROUP BY modem, cms_error "
		 "ORDER BY modem, cms_error", code_row, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_MODEM_UP, err) < 0 ||
	    metrics_modems(base, sink, STORE_METRIC_MODEM_SIGNAL, err) < 0 ||
	    walk(s, sink, STORE_METRIC_NOTIFICATIONS, "SELECT NULL, code, count(*) FROM events "
		 "WHERE kind = 'notified' GROUP BY code ORDER BY code", code_row, err) < 0)
		return -1;
	return oldest_due(s, now, sink, err);
}

int sqlite_metrics_read(struct store *base, int64_t now, const struct store_metrics_sink *sink,
			struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	/* Deferred: a read snapshot from the first SELECT to COMMIT (WAL). */
	if (db_exec(s->db, "BEGIN", "starting the metrics read", err) < 0)
		return -1;
	int rc = read_all(s, now, sink, err);
	if (rc == 0 && db_exec(s->db, "COMMIT", "ending the metrics read", err) == 0)
		return 0;
	struct errbuf ignored;
	if (!sqlite3_get_autocommit(s->db))
		db_exec(s->db, "ROLLBACK", "ending the metrics read", &ignored);
	return -1;
}
