/* sqlite_events.c - the SQLite engine's events: inserting one with the
 * job's furthest step, recording downloads, reading a job's timeline and a
 * rollout's funnel (see store_events.h). */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define EVENT_COLUMNS "id, job_id, at, kind, client, imei, product, bytes, size, code, late"

static const char *const kind_names[EVENT_KIND_COUNT] = {
	[EVENT_SENT] = "sent",
	[EVENT_DELIVERED] = "delivered",
	[EVENT_JAD_FETCHED] = "jad_fetched",
	[EVENT_JAR_PARTIAL] = "jar_partial",
	[EVENT_JAR_FETCHED] = "jar_fetched",
	[EVENT_NOTIFIED] = "notified",
};

static enum event_kind kind_from(const char *name)
{
	for (int i = 0; name && i < EVENT_KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0)
			return (enum event_kind)i;
	}
	return EVENT_SENT;      /* unreachable: the CHECK constraint */
}

const char *event_kind_name(enum event_kind kind)
{
	return (unsigned)kind < EVENT_KIND_COUNT ? kind_names[kind] : "unknown";
}

int sqlite_insert_event(struct sqlite_store *s, int64_t job_id, enum event_kind kind,
			int64_t at, int code, const struct job_event *ev, struct errbuf *err)
{
	const char *doing = "recording an event";
	/* late: the job had already reached an end the event cannot change. */
	sqlite3_stmt *st = db_prepare(s->db, "INSERT INTO events (job_id, at, kind, client, imei, "
				      "product, bytes, size, code, late) SELECT ?1, ?2, ?3, ?4, ?5, ?6, "
				      "?7, ?8, ?9, state IN ('cancelled', 'confirmed') "
				      "FROM jobs WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, at);
	db_bind_text(st, 3, event_kind_name(kind));
	if (ev) {
		db_bind_text(st, 4, ev->client[0] ? ev->client : NULL);
		db_bind_text(st, 5, ev->imei[0] ? ev->imei : NULL);
		db_bind_text(st, 6, ev->product[0] ? ev->product : NULL);
		if (ev->bytes >= 0)
			sqlite3_bind_int64(st, 7, ev->bytes);
		if (ev->size >= 0)
			sqlite3_bind_int64(st, 8, ev->size);
	}
	if (code >= 0)
		sqlite3_bind_int(st, 9, code);
	if (db_run_once(s->db, st, doing, err) < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return errbuf_set(err, "no such job %" PRId64, job_id);
	st = db_prepare(s->db, "UPDATE jobs SET reached = ?2 WHERE id = ?1 AND reached < ?2", doing,
			err);
	if (st) {
		sqlite3_bind_int64(st, 1, job_id);
		sqlite3_bind_int(st, 2, (int)event_step(kind));
	}
	return db_run_once(s->db, st, doing, err);
}

int sqlite_download_job(struct store *base, int64_t id, const char *token,
			struct download_job *out, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "looking up a download";
	char stored[NOTIFY_TOKEN_LEN + 8] = "", state[16] = "", action[16] = "";
	sqlite3_stmt *st = db_prepare(db, "SELECT profile, action, state, notify_token FROM jobs "
				      "WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int found = db_step(db, st, doing, err);
	if (found > 0) {
		memset(out, 0, sizeof *out);
		out->id = id;
		db_copy_column(out->profile, sizeof out->profile, st, 0);
		db_copy_column(action, sizeof action, st, 1);
		db_copy_column(state, sizeof state, st, 2);
		db_copy_column(stored, sizeof stored, st, 3);
		out->action = sqlite_action_from(action);
		if (job_state_parse(state, &out->state) < 0)
			out->state = JOB_FAILED;
		found = notify_token_equal(stored, token) ? 1 : 0;
	}
	explicit_bzero(stored, sizeof stored);
	sqlite3_finalize(st);
	return found;
}

int sqlite_record_download(struct store *base, const struct job_event *ev, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "recording a download";
	struct db_tx t;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	if (sqlite_insert_event(s, ev->job_id, ev->kind, ev->at, -1, ev, err) < 0 ||
	    db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return 0;
}

static void event_from_row(sqlite3_stmt *st, struct job_event *e)
{
	char kind[16];
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(st, 0);
	e->job_id = sqlite3_column_int64(st, 1);
	e->at = sqlite3_column_int64(st, 2);
	db_copy_column(kind, sizeof kind, st, 3);
	e->kind = kind_from(kind);
	db_copy_column(e->client, sizeof e->client, st, 4);
	db_copy_column(e->imei, sizeof e->imei, st, 5);
	db_copy_column(e->product, sizeof e->product, st, 6);
	e->bytes = db_column_or(st, 7, -1);
	e->size = db_column_or(st, 8, -1);
	e->code = (int)db_column_or(st, 9, -1);
	e->late = sqlite3_column_int(st, 10) != 0;
}

struct event_walk {
	int (*cb)(const struct job_event *e, void *arg);
	void *arg;
};

static int event_row(sqlite3_stmt *st, void *arg)
{
	const struct event_walk *w = arg;
	struct job_event e;
	event_from_row(st, &e);
	return w->cb(&e, w->arg);
}

int sqlite_events(struct store *base, int64_t id, int (*cb)(const struct job_event *e, void *arg),
		  void *arg, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "reading a job's events";
	sqlite3_stmt *st = db_prepare(db, "SELECT " EVENT_COLUMNS " FROM events WHERE job_id = ?1 "
				      "ORDER BY id", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	struct event_walk w = { cb, arg };
	return db_walk(db, st, event_row, &w, doing, err);
}

/* One count per (state, step) pair past the queue, each over an exact
 * key prefix of jobs_rollout_units (rollout, state, reached;
 * schema/011): the units that stopped at each step, and of them the
 * failed ones. One GROUP BY walk over the former jobs_rollout_reached
 * decodes and compares every key: 380 ms for a million units under way,
 * against about 50 ms for these counts (bench/README.md, "Web API"). The
 * jobs that never got past the queue are the rest of the rollout's total. */
static int funnel_steps(sqlite3 *db, const struct rollout *r, struct job_funnel *out,
			int64_t *past_queue, struct errbuf *err)
{
	const char *doing = "counting a rollout's funnel";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM jobs WHERE rollout = ?1 AND "
				      "state = ?2 AND reached = ?3", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	int rc = 1;
	for (int s = 0; s < JOB_STATE_COUNT && rc == 1; s++) {
		sqlite3_bind_text(st, 2, job_state_name((enum job_state)s), -1, SQLITE_STATIC);
		for (int step = 1; step < JOB_STEP_COUNT && rc == 1; step++) {
			sqlite3_bind_int(st, 3, step);
			if ((rc = db_step(db, st, doing, err)) != 1)
				break;
			int64_t n = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			out->at[step] += n;
			if (s == JOB_FAILED)
				out->failed[step] += n;
			*past_queue += n;
		}
	}
	sqlite3_finalize(st);
	return rc == 1 ? 0 : -1;
}

int sqlite_rollout_funnel(struct store *base, const struct rollout *r, struct job_funnel *out,
			  struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "counting a rollout's funnel";
	int64_t past_queue = 0;
	memset(out, 0, sizeof *out);
	if (funnel_steps(db, r, out, &past_queue, err) < 0)
		return -1;
	/* Never sent: the rest of the rollout; of them failed, the failed jobs
	 * not counted above (one seek per wave in jobs_rollout_wave). */
	int64_t failed_all, failed_sent = 0, total = r->total_units;
	sqlite3_stmt *f = db_prepare(db, SQLITE_WAVES_CTE "SELECT count(*) FROM wave w, jobs j "
				     "WHERE j.rollout = ?1 AND j.wave = w.n AND j.state = 'failed'",
				     doing, err);
	if (f)
		db_bind_text(f, 1, r->name);
	if (db_int(db, f, 0, &failed_all, doing, err) < 0)
		return -1;
	for (int step = 1; step < JOB_STEP_COUNT; step++)
		failed_sent += out->failed[step];
	out->failed[JOB_STEP_QUEUED] = failed_all - failed_sent;
	out->at[JOB_STEP_QUEUED] = total - past_queue;
	return 0;
}
