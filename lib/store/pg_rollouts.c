/* pg_rollouts.c - the PostgreSQL engine's rollouts: reading the rollouts
 * table, the operator's state changes, the steps of the daemon's tick
 * (window gate, releasing parked waves, advancing waves with the caller's
 * decision) and the counts behind `rollout status` (see store_rollouts.h;
 * the SQLite twin is sqlite_rollouts.c).
 *
 * Several otapd instances tick the same rollouts: every change reads the
 * rollout row FOR UPDATE first and decides under that lock, so two
 * instances asking at once take turns and the second sees what the first
 * wrote (exactly one opens a wave). */
#include "pg_shared.h"
#include "rollout_steps.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ---- rows ---- */

void pg_rollout_from_row(const PGresult *res, int row, struct rollout *out)
{
	memset(out, 0, sizeof *out);
	pg_col_text(out->name, sizeof out->name, res, row, 0);
	pg_col_text(out->profile, sizeof out->profile, res, row, 1);
	out->action = pg_action_from(pg_col_str(res, row, 2));
	out->window.start_min = (int)pg_col_int(res, row, 3, -1);
	out->window.end_min = (int)pg_col_int(res, row, 4, -1);
	if (out->window.start_min < 0 || out->window.end_min < 0)
		out->window = WINDOW_ALWAYS;
	pg_col_text(out->tz, sizeof out->tz, res, row, 5);
	out->rate_per_min = (int)pg_col_int(res, row, 6, 0);
	if (rollout_waves_parse(pg_col_str(res, row, 7), &out->waves, NULL) < 0)
		out->waves = (struct rollout_waves){ .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } };
	out->current_wave = (int)pg_col_int(res, row, 8, 1);
	out->max_failure_pct = pg_col_null(res, row, 9) ? -1 :
		(int)lround(strtod(pg_col_str(res, row, 9), NULL) * ROLLOUT_PCT_SCALE);
	out->waived_wave = (int)pg_col_int(res, row, 10, 0);
	out->await_confirmation = pg_col_int(res, row, 11, 0) != 0;
	out->start_at = pg_col_int(res, row, 12, 0);
	if (rollout_state_parse(pg_col_str(res, row, 13), &out->state) < 0)
		out->state = ROLLOUT_PAUSED;    /* unreachable: the CHECK constraint */
	out->paused_by_failures = strcmp(pg_col_str(res, row, 14), "failures") == 0;
	pg_col_text(out->pause_reason, sizeof out->pause_reason, res, row, 15);
	out->total_units = pg_col_int(res, row, 16, 0);
	out->next_send_at = pg_col_int(res, row, 17, 0);
	out->gate_open = pg_col_int(res, row, 18, 1) != 0;
	out->next_window_at = pg_col_int(res, row, 19, 0);
	out->created_at = pg_col_int(res, row, 20, 0);
	out->updated_at = pg_col_int(res, row, 21, 0);
	pg_col_text(out->preflight, sizeof out->preflight, res, row, 22);
	out->importer_pid = (int)pg_col_int(res, row, 23, 0);
	out->deadline = pg_col_int(res, row, 24, 0);
}

int pg_rollout_load(struct pg_store *s, const char *name, bool lock, struct rollout *out,
		    struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	PGresult *res = pg_query(s, lock ? "SELECT " PG_ROLLOUT_COLUMNS " FROM rollouts "
				 "WHERE name = $1 FOR UPDATE" :
				 "SELECT " PG_ROLLOUT_COLUMNS " FROM rollouts WHERE name = $1", &p,
				 "reading a rollout", err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found)
		pg_rollout_from_row(res, 0, out);
	PQclear(res);
	return found;
}

int pg_rollout_get(struct store *s, const char *name, struct rollout *out, struct errbuf *err)
{
	return pg_rollout_load(pg_of(s), name, false, out, err);
}

struct rollout_walk {
	int (*cb)(const struct rollout *r, void *arg);
	void *arg;
};

static int rollout_row(const PGresult *res, int i, void *arg)
{
	const struct rollout_walk *w = arg;
	struct rollout r;
	pg_rollout_from_row(res, i, &r);
	return w->cb(&r, w->arg);
}

int pg_rollout_list(struct store *base, int state, int (*cb)(const struct rollout *r, void *arg),
		    void *arg, struct errbuf *err)
{
	struct pg_params p = { 0 };
	if (state >= 0)
		pg_param_text(&p, rollout_state_name((enum rollout_state)state));
	struct rollout_walk w = { cb, arg };
	return pg_walk(pg_of(base), state < 0 ?
		       "SELECT " PG_ROLLOUT_COLUMNS " FROM rollouts ORDER BY created_at DESC, "
		       "name" PG_BYTE_ORDER :
		       "SELECT " PG_ROLLOUT_COLUMNS " FROM rollouts WHERE state = $1 ORDER BY "
		       "name" PG_BYTE_ORDER, &p, rollout_row, &w, "listing rollouts", err);
}

struct meta_walk {
	void (*cb)(const char *key, const char *value, void *arg);
	void *arg;
};

static int meta_row(const PGresult *res, int i, void *arg)
{
	const struct meta_walk *w = arg;
	w->cb(pg_col_str(res, i, 0), pg_col_str(res, i, 1), w->arg);
	return 0;
}

/* json, not jsonb: json_each_text keeps the object's key order, as
 * SQLite's json_each. */
int pg_job_meta(struct store *base, int64_t id,
		void (*cb)(const char *key, const char *value, void *arg), void *arg,
		struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	struct meta_walk w = { cb, arg };
	return pg_walk(pg_of(base), "SELECT key, value FROM json_each_text("
		       "(SELECT meta FROM jobs WHERE id = $1)::json)", &p, meta_row, &w,
		       "reading unit metadata", err);
}

/* ---- waves ---- */

static int one_wave_busy(struct pg_store *s, const struct rollout *r, int wave,
			 struct errbuf *err)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM jobs WHERE rollout = $1 AND wave = $2 AND "
		 "state IN (%s) LIMIT 1", pg_open_states(r->await_confirmation));
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, wave);
	int64_t one;
	return pg_int(s, sql, &p, 0, &one, "checking a rollout's wave", err);
}

/* One wave at a time, even for "any wave": each is a seek in
 * jobs_rollout_wave. */
static int wave_busy(void *db, const struct rollout *r, int wave, struct errbuf *err)
{
	struct pg_store *s = db;
	if (wave > 0)
		return one_wave_busy(s, r, wave, err);
	for (int w = 1; w <= r->waves.count; w++) {
		int busy = one_wave_busy(s, r, w, err);
		if (busy != 0)
			return busy;
	}
	return 0;
}

int pg_rollout_wave_busy(struct store *s, const struct rollout *r, int wave, struct errbuf *err)
{
	return wave_busy(pg_of(s), r, wave, err);
}

/* Failed and all (but cancelled) jobs of one wave. */
static int wave_failures(void *db, const struct rollout *r, int wave, int64_t *failed,
			 int64_t *total, struct errbuf *err)
{
	struct pg_store *s = db;
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, wave);
	PGresult *res = pg_query(s, "SELECT count(*), count(*) FILTER (WHERE state = 'failed') "
				 "FROM jobs WHERE rollout = $1 AND wave = $2 AND "
				 "state <> 'cancelled'", &p, "counting a wave's failures", err);
	if (!res)
		return -1;
	*total = pg_col_int(res, 0, 0, 0);
	*failed = pg_col_int(res, 0, 1, 0);
	PQclear(res);
	return 0;
}

/* Makes up to a chunk of wave's parked jobs due, in the caller's
 * transaction, and wakes the idle modems at its commit. The conditions
 * stand in the outer WHERE too: a row another transaction changed while
 * this one waited for it is checked again there. Returns how many, -1. */
static int release(struct pg_store *s, const struct rollout *r, int wave, int64_t now,
		   struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, wave);
	pg_param_int(&p, now > r->start_at ? now : r->start_at);
	pg_param_int(&p, STORE_WAITING_FOR_WAVE);
	pg_param_int(&p, rollout_release_chunk);
	int64_t n = pg_run(s, "UPDATE jobs SET not_before = $3 WHERE state = 'queued' AND "
			   "not_before = $4 AND id IN (SELECT id FROM jobs WHERE rollout = $1 AND "
			   "wave = $2 AND state = 'queued' AND not_before = $4 LIMIT $5)", &p,
			   "opening a wave", err);
	if (n > 0 && pg_notify_wake(s, err) < 0)
		return -1;
	return (int)n;
}

int pg_rollout_release(struct store *base, const struct rollout *r, int wave, int64_t now,
		       struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "opening a wave";
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int released = release(s, r, wave, now, err);
	if (released < 0 || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return released;
}

int pg_rollout_parked(struct store *base, const struct rollout *r, int wave, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, wave);
	pg_param_int(&p, STORE_WAITING_FOR_WAVE);
	int64_t one;
	return pg_int(pg_of(base), "SELECT 1 FROM jobs WHERE rollout = $1 AND wave = $2 AND "
		      "state = 'queued' AND not_before = $3 LIMIT 1", &p, 0, &one,
		      "checking a wave", err);
}

/* current_wave = wave, and the first chunk of its parked jobs becomes due;
 * the tick releases the rest. In the caller's transaction, the rollout
 * row locked. */
static int open_wave(void *db, struct rollout *r, int wave, int64_t now, struct errbuf *err)
{
	struct pg_store *s = db;
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, wave);
	pg_param_int(&p, now);
	if (pg_run(s, "UPDATE rollouts SET current_wave = $2, updated_at = $3 WHERE name = $1",
		   &p, "opening a wave", err) < 0 || release(s, r, wave, now, err) < 0)
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
static int write_state(void *db, struct rollout *r, enum rollout_state state,
		       const char *paused_by, const char *reason, int64_t now, struct errbuf *err)
{
	struct pg_store *s = db;
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_text(&p, rollout_state_name(state));
	pg_param_text(&p, paused_by);
	pg_param_text(&p, reason);
	pg_param_int(&p, r->waived_wave);
	pg_param_int(&p, now);
	if (pg_run(s, "UPDATE rollouts SET state = $2, paused_by = $3, pause_reason = $4, "
		   "waived_wave = $5, updated_at = $6 WHERE name = $1", &p,
		   "changing a rollout's state", err) < 0)
		return -1;
	r->state = state;
	return 0;
}

/* Writes the window gate; an opening wakes the idle modems at commit
 * (the rollout's jobs may be claimed from now on). */
static int write_gate(struct pg_store *s, const char *name, bool gate_open,
		      int64_t next_window_at, bool was_open, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	pg_param_bool(&p, gate_open);
	if (next_window_at)
		pg_param_int(&p, next_window_at);
	else
		pg_param_null(&p);
	if (pg_run(s, "UPDATE rollouts SET gate_open = $2, next_window_at = $3 WHERE name = $1",
		   &p, "updating a rollout's window", err) < 0)
		return -1;
	return gate_open && !was_open ? pg_notify_wake(s, err) : 0;
}

int pg_rollout_set_gate(struct store *base, const char *name, bool gate_open,
			int64_t next_window_at, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "updating a rollout's window";
	struct pg_tx t;
	struct rollout r;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = pg_rollout_load(s, name, true, &r, err);
	if (found < 0 || (found == 1 && write_gate(s, name, gate_open, next_window_at, r.gate_open,
						   err) < 0) ||
	    pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* Starts a state change: a transaction, then the current row, locked.
 * Returns 0 with *r filled, or -1 (rolled back) with a reason. */
static int begin_change(struct pg_tx *t, struct pg_store *s, const char *name,
			const char *doing, struct rollout *r, struct errbuf *err)
{
	if (pg_tx_begin(t, s, doing, err) < 0)
		return -1;
	int found = pg_rollout_load(s, name, true, r, err);
	if (found == 1)
		return 0;
	if (found == 0)
		errbuf_set(err, "no such rollout '%s'", name);
	pg_tx_rollback(t);
	return -1;
}

static int refuse(struct pg_tx *t, const struct rollout *r, const char *what, struct errbuf *err)
{
	pg_tx_rollback(t);
	return errbuf_set(err, "rollout %s is %s; %s", r->name, rollout_state_name(r->state), what);
}

static int finish_change(struct pg_tx *t, int rc, const char *doing, struct errbuf *err)
{
	if (rc == 0 && pg_tx_commit(t, doing, err) == 0)
		return 0;
	pg_tx_rollback(t);
	return -1;
}

int pg_rollout_pause(struct store *base, const char *name, int64_t now, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "pausing a rollout";
	struct pg_tx t;
	struct rollout r;
	if (begin_change(&t, s, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_ACTIVE)
		return refuse(&t, &r, "only an active rollout can be paused", err);
	/* The hint names the rollout so it can be pasted as it stands. */
	char reason[STORE_TEXT_MAX];
	snprintf(reason, sizeof reason, "paused by the operator; resume with otapctl rollout "
		 "resume %s", r.name);
	int rc = write_state(s, &r, ROLLOUT_PAUSED, "operator", reason, now, err);
	return finish_change(&t, rc, doing, err) < 0 ? -1 : 0;
}

/* This engine's statements for rollout_steps.c. */
static struct rollout_engine engine(struct pg_store *s)
{
	return (struct rollout_engine){ .db = s, .wave_busy = wave_busy,
					.wave_failures = wave_failures, .open_wave = open_wave,
					.write_state = write_state };
}

/* The resumed rollout's due jobs may be claimed at once: the modems that
 * sleep in LISTEN are woken at commit. */
int pg_rollout_resume(struct store *base, const char *name, bool gate_open, int64_t next_window_at,
		      int64_t now, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "resuming a rollout";
	struct pg_tx t;
	struct rollout r;
	if (begin_change(&t, s, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_PAUSED)
		return refuse(&t, &r, "only a paused rollout can be resumed", err);
	struct rollout_engine e = engine(s);
	int rc = (r.paused_by_failures && rollout_steps_accept_failures(&e, &r, now, err) < 0) ||
		 write_state(s, &r, ROLLOUT_ACTIVE, NULL, NULL, now, err) < 0 ||
		 write_gate(s, name, gate_open, next_window_at, true, err) < 0 ||
		 pg_notify_wake(s, err) < 0 ? -1 : 0;
	if (finish_change(&t, rc, doing, err) < 0)
		return -1;
	if (gate_open != r.gate_open)
		log_info("rollout %s: window %s", name, gate_open ? "opened" : "closed");
	log_info("rollout %s: resumed", name);
	return 0;
}

/* Cancels up to rollout_release_chunk queued jobs of the rollout (state
 * checked again in the outer WHERE, as in release). Returns how many, -1. */
static int cancel_chunk(struct pg_store *s, const char *name, int64_t now, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, name);
	pg_param_int(&p, now);
	pg_param_int(&p, rollout_release_chunk);
	return (int)pg_run(s, "UPDATE jobs SET state = 'cancelled', updated_at = $2 WHERE "
			   "state = 'queued' AND id IN (SELECT id FROM jobs WHERE rollout = $1 AND "
			   "wave IS NOT NULL AND state = 'queued' LIMIT $3)", &p,
			   "cancelling a rollout's jobs", err);
}

/* An import that died leaves nothing worth keeping: its rollout and its
 * staged jobs are deleted (a running import is refused). */
static int cancel_import(struct pg_store *s, const char *name, int64_t *jobs,
			 struct errbuf *err)
{
	int locked = pg_import_lock(s, name, err);
	if (locked == 0)
		errbuf_set(err, "rollout %s is being imported by another otapctl; wait for it, or "
			   "stop it and run otapctl rollout cancel %s", name, name);
	if (locked <= 0)
		return -1;
	int64_t deleted = 0;
	int done = pg_staged_delete(s, name, &deleted, err);
	pg_import_unlock(s, name);
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
 * jobs; the rest follows a chunk per transaction. */
int pg_rollout_cancel(struct store *base, const char *name, int64_t now, int64_t *jobs,
		      struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "cancelling a rollout";
	struct pg_tx t;
	struct rollout r;
	if (begin_change(&t, s, name, doing, &r, err) < 0)
		return -1;
	if (r.state == ROLLOUT_IMPORTING) {
		pg_tx_rollback(&t);
		return cancel_import(s, name, jobs, err);
	}
	bool was_cancelled = r.state == ROLLOUT_CANCELLED;
	int n = cancel_chunk(s, name, now, err);
	if (n < 0 || (!was_cancelled && write_state(s, &r, ROLLOUT_CANCELLED, NULL, NULL, now,
						    err) < 0))
		return finish_change(&t, -1, doing, err);
	if (was_cancelled && n == 0)
		return refuse(&t, &r, "nothing to cancel", err);
	if (finish_change(&t, 0, doing, err) < 0)
		return -1;
	int64_t cancelled = n;
	while (n == rollout_release_chunk) {
		if (pg_tx_begin(&t, s, doing, err) < 0)
			return -1;
		n = cancel_chunk(s, name, now, err);
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

/* The rollout row stays locked from the facts to the decision's writes:
 * another instance advancing the same rollout waits, then sees the wave
 * already open (or the rollout paused or done) and decides on that. */
int pg_rollout_advance(struct store *base, const char *name, int64_t now,
		       void (*decide)(const struct rollout *r, const struct wave_facts *f,
				      struct rollout_decision *out),
		       bool *opened, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "advancing a rollout";
	struct pg_tx t;
	struct rollout r;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = pg_rollout_load(s, name, true, &r, err);
	struct rollout_engine e = engine(s);
	int rc = found <= 0 ? found : rollout_steps_advance(&e, &r, now, decide, opened, err);
	if (rc >= 0 && pg_tx_commit(&t, doing, err) == 0)
		return 0;
	pg_tx_rollback(&t);
	*opened = false;
	return -1;
}

/* ---- status ---- */

/* One walk of the rollout's part of jobs_rollout_wave, grouped. */
int pg_rollout_counts(struct store *base, const struct rollout *r, int64_t counts[JOB_STATE_COUNT],
		      int64_t *wave_final, int64_t *wave_failed, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, r->waves.count);
	PGresult *res = pg_query(pg_of(base), "SELECT wave, state, count(*) FROM jobs "
				 "WHERE rollout = $1 AND wave BETWEEN 1 AND $2 GROUP BY wave, state",
				 &p, "counting a rollout's jobs", err);
	if (!res)
		return -1;
	memset(counts, 0, JOB_STATE_COUNT * sizeof counts[0]);
	*wave_final = *wave_failed = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		enum job_state st;
		if (job_state_parse(pg_col_str(res, i, 1), &st) < 0)
			continue;
		int64_t n = pg_col_int(res, i, 2, 0);
		counts[st] += n;
		if (pg_col_int(res, i, 0, 0) != r->current_wave)
			continue;
		if (job_state_final(st, r->await_confirmation))
			*wave_final += n;
		if (st == JOB_FAILED)
			*wave_failed += n;
	}
	PQclear(res);
	return 0;
}

int pg_rollout_reasons(struct store *base, const struct rollout *r, struct rollout_reason *out,
		       size_t max, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_int(&p, (int64_t)max);
	pg_param_int(&p, r->waves.count);
	PGresult *res = pg_query(pg_of(base), "SELECT coalesce(last_error, ''), count(*) AS n "
				 "FROM jobs WHERE rollout = $1 AND wave BETWEEN 1 AND $3 AND "
				 "state = 'failed' GROUP BY 1 ORDER BY n DESC, coalesce(last_error, '')"
				 PG_BYTE_ORDER " LIMIT $2", &p, "reading failure reasons", err);
	if (!res)
		return -1;
	size_t count = 0;
	for (int i = 0; i < PQntuples(res) && count < max; i++, count++) {
		pg_col_text(out[count].text, sizeof out[count].text, res, i, 0);
		out[count].count = pg_col_int(res, i, 1, 0);
	}
	PQclear(res);
	return (int)count;
}
