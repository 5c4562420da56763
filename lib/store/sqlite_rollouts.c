/* sqlite_rollouts.c - the SQLite engine's rollouts: reading the rollouts
 * table, the operator's state changes, the steps of the daemon's tick
 * (window gate, releasing parked waves, advancing waves with the caller's
 * decision) and the counts behind `rollout status` (see store_rollouts.h). */
#include "sqlite_engine.h"
#include "rollout_steps.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int rollout_release_chunk = ROLLOUT_RELEASE_CHUNK;

/* The rollout's queued jobs, waiting for their wave or not: one seek per
 * wave. */
#define QUEUED_JOBS SQLITE_WAVES_CTE "SELECT j.id FROM wave w, jobs j WHERE j.rollout = ?1 " \
	"AND j.wave = w.n AND j.state = 'queued'"

/* ---- rows ---- */

void sqlite_rollout_from_row(sqlite3_stmt *st, struct rollout *out)
{
	char text[64];
	memset(out, 0, sizeof *out);
	db_copy_column(out->name, sizeof out->name, st, 0);
	db_copy_column(out->profile, sizeof out->profile, st, 1);
	db_copy_column(text, sizeof text, st, 2);
	out->action = sqlite_action_from(text);
	out->window.start_min = (int)db_column_or(st, 3, -1);
	out->window.end_min = (int)db_column_or(st, 4, -1);
	if (out->window.start_min < 0 || out->window.end_min < 0)
		out->window = WINDOW_ALWAYS;
	db_copy_column(out->tz, sizeof out->tz, st, 5);
	out->rate_per_min = (int)db_column_or(st, 6, 0);
	db_copy_column(text, sizeof text, st, 7);
	if (rollout_waves_parse(text, &out->waves, NULL) < 0)
		out->waves = (struct rollout_waves){ .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } };
	out->current_wave = (int)db_column_or(st, 8, 1);
	out->max_failure_pct = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 :
		(int)lround(sqlite3_column_double(st, 9) * ROLLOUT_PCT_SCALE);
	out->waived_wave = (int)db_column_or(st, 10, 0);
	out->await_confirmation = db_column_or(st, 11, 0) != 0;
	out->start_at = db_column_or(st, 12, 0);
	db_copy_column(text, sizeof text, st, 13);
	if (rollout_state_parse(text, &out->state) < 0)
		out->state = ROLLOUT_PAUSED;    /* unreachable: the CHECK constraint */
	db_copy_column(text, sizeof text, st, 14);
	out->paused_by_failures = strcmp(text, "failures") == 0;
	db_copy_column(out->pause_reason, sizeof out->pause_reason, st, 15);
	out->total_units = db_column_or(st, 16, 0);
	out->next_send_at = db_column_or(st, 17, 0);
	out->gate_open = db_column_or(st, 18, 1) != 0;
	out->next_window_at = db_column_or(st, 19, 0);
	out->created_at = db_column_or(st, 20, 0);
	out->updated_at = db_column_or(st, 21, 0);
	db_copy_column(out->preflight, sizeof out->preflight, st, 22);
	out->importer_pid = (int)db_column_or(st, 23, 0);
	out->deadline = db_column_or(st, 24, 0);
}

int sqlite_rollout_load(sqlite3 *db, const char *name, struct rollout *out, struct errbuf *err)
{
	const char *doing = "reading a rollout";
	sqlite3_stmt *st = db_prepare(db, "SELECT " SQLITE_ROLLOUT_COLUMNS " FROM rollouts "
				      "WHERE name = ?1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	int found = db_step(db, st, doing, err);
	if (found > 0)
		sqlite_rollout_from_row(st, out);
	sqlite3_finalize(st);
	return found;
}

int sqlite_rollout_get(struct store *s, const char *name, struct rollout *out,
		       struct errbuf *err)
{
	return sqlite_rollout_load(sqlite_of(s)->db, name, out, err);
}

struct rollout_walk {
	int (*cb)(const struct rollout *r, void *arg);
	void *arg;
};

static int rollout_row(sqlite3_stmt *st, void *arg)
{
	const struct rollout_walk *w = arg;
	struct rollout r;
	sqlite_rollout_from_row(st, &r);
	return w->cb(&r, w->arg);
}

int sqlite_rollout_list(struct store *base, int state,
			int (*cb)(const struct rollout *r, void *arg), void *arg,
			struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "listing rollouts";
	sqlite3_stmt *st = db_prepare(db, state < 0 ?
		"SELECT " SQLITE_ROLLOUT_COLUMNS " FROM rollouts ORDER BY created_at DESC, name" :
		"SELECT " SQLITE_ROLLOUT_COLUMNS " FROM rollouts WHERE state = ?1 ORDER BY name",
		doing, err);
	if (!st)
		return -1;
	if (state >= 0)
		db_bind_text(st, 1, rollout_state_name((enum rollout_state)state));
	struct rollout_walk w = { cb, arg };
	return db_walk(db, st, rollout_row, &w, doing, err);
}

int sqlite_job_meta(struct store *base, int64_t id,
		    void (*cb)(const char *key, const char *value, void *arg), void *arg,
		    struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "reading unit metadata";
	sqlite3_stmt *st = db_prepare(db, "SELECT key, value FROM json_each("
				      "(SELECT meta FROM jobs WHERE id = ?1))", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = db_step(db, st, doing, err)) == 1) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *value = (const char *)sqlite3_column_text(st, 1);
		cb(key ? key : "", value ? value : "", arg);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- waves ---- */

/* One wave at a time, even for "any wave": each is a seek in
 * jobs_rollout_wave, where "rollout = ? AND state IN (...)" alone would
 * read every job of the rollout. */
static int one_wave_busy(sqlite3 *db, const struct rollout *r, int wave, struct errbuf *err)
{
	const char *doing = "checking a rollout's wave";
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM jobs WHERE rollout = ?1 AND wave = ?2 AND "
		 "state IN (%s) LIMIT 1", sqlite_open_states(r->await_confirmation));
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (st) {
		db_bind_text(st, 1, r->name);
		sqlite3_bind_int(st, 2, wave);
	}
	return db_exists(db, st, doing, err);
}

static int wave_busy(void *conn, const struct rollout *r, int wave, struct errbuf *err)
{
	sqlite3 *db = conn;
	if (wave > 0)
		return one_wave_busy(db, r, wave, err);
	for (int w = 1; w <= r->waves.count; w++) {
		int busy = one_wave_busy(db, r, w, err);
		if (busy != 0)
			return busy;
	}
	return 0;
}

int sqlite_rollout_wave_busy(struct store *s, const struct rollout *r, int wave,
			     struct errbuf *err)
{
	return wave_busy(sqlite_of(s)->db, r, wave, err);
}

/* Makes up to a chunk of wave's parked jobs due, in the caller's
 * transaction. Returns how many, or -1. */
static int release(sqlite3 *db, const struct rollout *r, int wave, int64_t now,
		   struct errbuf *err)
{
	const char *doing = "opening a wave";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET not_before = ?3 WHERE id IN "
				      "(SELECT id FROM jobs WHERE rollout = ?1 AND wave = ?2 "
				      "AND state = 'queued' AND not_before = ?4 LIMIT ?5)", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	sqlite3_bind_int64(st, 3, now > r->start_at ? now : r->start_at);
	sqlite3_bind_int64(st, 4, STORE_WAITING_FOR_WAVE);
	sqlite3_bind_int(st, 5, rollout_release_chunk);
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes(db);
}

int sqlite_rollout_release(struct store *base, const struct rollout *r, int wave, int64_t now,
			   struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "opening a wave";
	struct db_tx t;
	if (db_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int released = release(db, r, wave, now, err);
	if (released < 0 || db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return released;
}

int sqlite_rollout_parked(struct store *base, const struct rollout *r, int wave,
			  struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "checking a wave";
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM jobs WHERE rollout = ?1 AND wave = ?2 "
				      "AND state = 'queued' AND not_before = ?3 LIMIT 1", doing, err);
	if (st) {
		db_bind_text(st, 1, r->name);
		sqlite3_bind_int(st, 2, wave);
		sqlite3_bind_int64(st, 3, STORE_WAITING_FOR_WAVE);
	}
	return db_exists(db, st, doing, err);
}

/* current_wave = wave, and the first chunk of its parked jobs becomes due;
 * the tick releases the rest. In the caller's transaction. */
static int open_wave(void *conn, struct rollout *r, int wave, int64_t now, struct errbuf *err)
{
	sqlite3 *db = conn;
	const char *doing = "opening a wave";
	sqlite3_stmt *row = db_prepare(db, "UPDATE rollouts SET current_wave = ?2, "
				       "updated_at = ?3 WHERE name = ?1", doing, err);
	if (row) {
		db_bind_text(row, 1, r->name);
		sqlite3_bind_int(row, 2, wave);
		sqlite3_bind_int64(row, 3, now);
	}
	if (db_run_once(db, row, doing, err) < 0 || release(db, r, wave, now, err) < 0)
		return -1;
	r->current_wave = wave;
	r->updated_at = now;
	int64_t sizes[ROLLOUT_WAVES_MAX];
	rollout_wave_sizes(&r->waves, r->total_units, sizes);
	log_info("rollout %s: wave %d of %d opened (%lld units)", r->name, wave, r->waves.count,
		 (long long)sizes[wave - 1]);
	return 0;
}

/* ---- state changes ---- */

/* Writes state, pause fields, waived_wave and updated_at. */
static int write_state(void *conn, struct rollout *r, enum rollout_state state,
		       const char *paused_by, const char *reason, int64_t now, struct errbuf *err)
{
	sqlite3 *db = conn;
	const char *doing = "changing a rollout's state";
	sqlite3_stmt *st = db_prepare(db, "UPDATE rollouts SET state = ?2, paused_by = ?3, "
				      "pause_reason = ?4, waived_wave = ?5, updated_at = ?6 "
				      "WHERE name = ?1", doing, err);
	if (st) {
		db_bind_text(st, 1, r->name);
		db_bind_text(st, 2, rollout_state_name(state));
		db_bind_text(st, 3, paused_by);
		db_bind_text(st, 4, reason);
		sqlite3_bind_int(st, 5, r->waived_wave);
		sqlite3_bind_int64(st, 6, now);
	}
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	r->state = state;
	return 0;
}

static int write_gate(sqlite3 *db, const char *name, bool gate_open, int64_t next_window_at,
		      struct errbuf *err)
{
	const char *doing = "updating a rollout's window";
	sqlite3_stmt *st = db_prepare(db, "UPDATE rollouts SET gate_open = ?2, next_window_at = ?3 "
				      "WHERE name = ?1", doing, err);
	if (st) {
		db_bind_text(st, 1, name);
		sqlite3_bind_int(st, 2, gate_open);
		if (next_window_at)
			sqlite3_bind_int64(st, 3, next_window_at);
	}
	return db_run_once(db, st, doing, err);
}

int sqlite_rollout_set_gate(struct store *s, const char *name, bool gate_open,
			    int64_t next_window_at, struct errbuf *err)
{
	return write_gate(sqlite_of(s)->db, name, gate_open, next_window_at, err);
}

/* Starts a state change: the write lock, then the current row. Returns 0
 * with *r filled, or -1 (rolled back) with a reason. */
static int begin_change(struct db_tx *t, sqlite3 *db, const char *name, const char *doing,
			struct rollout *r, struct errbuf *err)
{
	if (db_tx_begin(t, db, doing, err) < 0)
		return -1;
	int found = sqlite_rollout_load(db, name, r, err);
	if (found == 1)
		return 0;
	if (found == 0)
		errbuf_set(err, "no such rollout '%s'", name);
	db_tx_rollback(t);
	return -1;
}

static int refuse(struct db_tx *t, const struct rollout *r, const char *what, struct errbuf *err)
{
	db_tx_rollback(t);
	return errbuf_set(err, "rollout %s is %s; %s", r->name, rollout_state_name(r->state), what);
}

static int finish_change(struct db_tx *t, int rc, const char *doing, struct errbuf *err)
{
	if (rc == 0 && db_tx_commit(t, doing, err) == 0)
		return 0;
	db_tx_rollback(t);
	return -1;
}

int sqlite_rollout_pause(struct store *base, const char *name, int64_t now, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "pausing a rollout";
	struct db_tx t;
	struct rollout r;
	if (begin_change(&t, db, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_ACTIVE)
		return refuse(&t, &r, "only an active rollout can be paused", err);
	/* The hint names the rollout so it can be pasted as it stands. */
	char reason[STORE_TEXT_MAX];
	snprintf(reason, sizeof reason, "paused by the operator; resume with otapctl rollout "
		 "resume %s", r.name);
	int rc = write_state(db, &r, ROLLOUT_PAUSED, "operator", reason, now, err);
	return finish_change(&t, rc, doing, err) < 0 ? -1 : 0;
}

/* Failed and all (but cancelled) jobs of one wave. */
static int wave_failures(void *conn, const struct rollout *r, int wave, int64_t *failed,
			 int64_t *total, struct errbuf *err)
{
	sqlite3 *db = conn;
	const char *doing = "counting a wave's failures";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*), total(state = 'failed') FROM jobs "
				      "WHERE rollout = ?1 AND wave = ?2 AND state <> 'cancelled'",
				      doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	int found = db_step(db, st, doing, err);
	if (found > 0) {
		*total = sqlite3_column_int64(st, 0);
		*failed = (int64_t)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	return found > 0 ? 0 : -1;
}

/* This engine's statements for rollout_steps.c. */
static struct rollout_engine engine(sqlite3 *db)
{
	return (struct rollout_engine){ .db = db, .wave_busy = wave_busy,
					.wave_failures = wave_failures, .open_wave = open_wave,
					.write_state = write_state };
}

int sqlite_rollout_resume(struct store *base, const char *name, bool gate_open,
			  int64_t next_window_at, int64_t now, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "resuming a rollout";
	struct db_tx t;
	struct rollout r;
	if (begin_change(&t, db, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_PAUSED)
		return refuse(&t, &r, "only a paused rollout can be resumed", err);
	struct rollout_engine e = engine(db);
	int rc = (r.paused_by_failures && rollout_steps_accept_failures(&e, &r, now, err) < 0) ||
		 write_state(db, &r, ROLLOUT_ACTIVE, NULL, NULL, now, err) < 0 ||
		 write_gate(db, name, gate_open, next_window_at, err) < 0 ? -1 : 0;
	if (finish_change(&t, rc, doing, err) < 0)
		return -1;
	if (gate_open != r.gate_open)
		log_info("rollout %s: window %s", name, gate_open ? "opened" : "closed");
	log_info("rollout %s: resumed", name);
	return 0;
}

/* Cancels up to rollout_release_chunk queued jobs of the rollout. Returns
 * how many, or -1. */
static int cancel_chunk(sqlite3 *db, const char *name, int64_t now, struct errbuf *err)
{
	const char *doing = "cancelling a rollout's jobs";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET state = 'cancelled', updated_at = ?2 "
				      "WHERE id IN (" QUEUED_JOBS " LIMIT ?3)", doing, err);
	if (st) {
		db_bind_text(st, 1, name);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, rollout_release_chunk);
	}
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes(db);
}

/* An import that died leaves nothing worth keeping: its rollout and its
 * staged jobs are deleted (a running import is refused). */
static int cancel_import(sqlite3 *db, const char *name, int64_t *jobs, struct errbuf *err)
{
	int64_t deleted = 0;
	int done = sqlite_staged_delete(db, name, &deleted, err);
	if (done == 0)
		errbuf_set(err, "rollout %s changed while cancelling; try again", name);
	if (done <= 0)
		return -1;
	log_info("rollout %s: interrupted import deleted (%" PRId64 " staged jobs)", name, deleted);
	if (jobs)
		*jobs = deleted;
	return 0;
}

/* The first transaction cancels the rollout (nothing more is claimed from
 * it, and tries that end in a retry cancel their job) and a first chunk of
 * jobs; the rest follows a chunk per transaction, so that otapd's modems
 * are not held up for seconds by a big rollout. */
int sqlite_rollout_cancel(struct store *base, const char *name, int64_t now, int64_t *jobs,
			  struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "cancelling a rollout";
	struct db_tx t;
	struct rollout r;
	if (begin_change(&t, db, name, doing, &r, err) < 0)
		return -1;
	if (r.state == ROLLOUT_IMPORTING) {
		db_tx_rollback(&t);
		return cancel_import(db, name, jobs, err);
	}
	bool was_cancelled = r.state == ROLLOUT_CANCELLED;
	int n = cancel_chunk(db, name, now, err);
	if (n < 0 || (!was_cancelled && write_state(db, &r, ROLLOUT_CANCELLED, NULL, NULL, now,
						    err) < 0))
		return finish_change(&t, -1, doing, err);
	if (was_cancelled && n == 0)
		return refuse(&t, &r, "nothing to cancel", err);
	if (finish_change(&t, 0, doing, err) < 0)
		return -1;
	int64_t cancelled = n;
	while (n == rollout_release_chunk) {
		if (db_tx_begin(&t, db, doing, err) < 0)
			return -1;
		n = cancel_chunk(db, name, now, err);
		if (finish_change(&t, n < 0 ? -1 : 0, doing, err) < 0)
			return -1;
		cancelled += n;
	}
	log_info("rollout %s: cancelled (%" PRId64 " queued jobs)", name, cancelled);
	if (jobs)
		*jobs = cancelled;
	return 0;
}

/* ---- the tick's wave step (rollout_steps.c) ---- */

int sqlite_rollout_advance(struct store *base, const char *name, int64_t now,
			   void (*decide)(const struct rollout *r, const struct wave_facts *f,
					  struct rollout_decision *out),
			   bool *opened, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "advancing a rollout";
	struct db_tx t;
	struct rollout r;
	if (db_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int found = sqlite_rollout_load(db, name, &r, err);
	struct rollout_engine e = engine(db);
	int rc = found <= 0 ? found : rollout_steps_advance(&e, &r, now, decide, opened, err);
	if (rc >= 0 && db_tx_commit(&t, doing, err) == 0)
		return 0;
	db_tx_rollback(&t);
	*opened = false;
	return -1;
}

/* ---- status ---- */

/* One count per (wave, state) pair, each over an exact key prefix of
 * jobs_rollout_wave (about twice as fast as one GROUP BY walk over a
 * million-job rollout, which decodes and compares every key). */
int sqlite_rollout_counts(struct store *base, const struct rollout *r,
			  int64_t counts[JOB_STATE_COUNT], int64_t *wave_final, int64_t *wave_failed,
			  struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "counting a rollout's jobs";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM jobs WHERE rollout = ?1 "
				      "AND wave = ?2 AND state = ?3", doing, err);
	if (!st)
		return -1;
	memset(counts, 0, JOB_STATE_COUNT * sizeof counts[0]);
	*wave_final = *wave_failed = 0;
	db_bind_text(st, 1, r->name);
	int rc = 1;
	for (int w = 1; w <= r->waves.count && rc == 1; w++) {
		for (int s = 0; s < JOB_STATE_COUNT && rc == 1; s++) {
			sqlite3_bind_int(st, 2, w);
			sqlite3_bind_text(st, 3, job_state_name((enum job_state)s), -1, SQLITE_STATIC);
			if ((rc = db_step(db, st, doing, err)) != 1)
				break;
			int64_t n = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			counts[s] += n;
			if (w != r->current_wave)
				continue;
			if (job_state_final((enum job_state)s, r->await_confirmation))
				*wave_final += n;
			if (s == JOB_FAILED)
				*wave_failed += n;
		}
	}
	sqlite3_finalize(st);
	return rc == 1 ? 0 : -1;
}

int sqlite_rollout_reasons(struct store *base, const struct rollout *r,
			   struct rollout_reason *out, size_t max, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "reading failure reasons";
	/* Naming every wave makes it one seek per wave in jobs_rollout_wave;
	 * with the rollout alone SQLite would read all of its jobs. */
	char waves[64] = "", sql[256];
	size_t n = 0;
	for (int w = 1; w <= r->waves.count && n < sizeof waves; w++)
		n += (size_t)snprintf(waves + n, sizeof waves - n, "%s%d", w > 1 ? "," : "", w);
	snprintf(sql, sizeof sql, "SELECT coalesce(last_error, ''), count(*) AS n FROM jobs "
		 "WHERE rollout = ?1 AND wave IN (%s) AND state = 'failed' "
		 "GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?2", waves);
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, (int)max);
	size_t count = 0;
	int rc;
	while (count < max && (rc = db_step(db, st, doing, err)) == 1) {
		db_copy_column(out[count].text, sizeof out[count].text, st, 0);
		out[count++].count = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : (int)count;
}
