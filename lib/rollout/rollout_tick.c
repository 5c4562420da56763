/* rollout_tick.c - the daemon's periodic step for rollouts (see
 * rollout_tick() in rollout.h): window gates, opening waves, pausing on
 * failures, finishing. Cheap when nothing changes: one indexed probe per
 * active rollout, no write lock. */
#include "rollout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "rollout_db.h"

/* Reads the active rollouts into a fresh array (*out, free()d by the
 * caller): no statement may be left open while the tick writes. */
static int load_active(sqlite3 *db, struct rollout **out, size_t *count, struct errbuf *err)
{
	const char *doing = "reading active rollouts";
	sqlite3_stmt *st = db_prepare(db, "SELECT " ROLLOUT_COLUMNS " FROM rollouts "
					      "WHERE state = 'active' ORDER BY name", doing, err);
	*out = NULL;
	*count = 0;
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 8;
			struct rollout *grown = realloc(*out, cap * sizeof *grown);
			if (!grown) {
				sqlite3_finalize(st);
				return errbuf_set(err, "%s: out of memory", doing);
			}
			*out = grown;
		}
		rollout_db_read_row(st, &(*out)[(*count)++]);
	}
	if (rc != SQLITE_DONE)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Failed and all (but cancelled) jobs of one wave. */
static int wave_failures(sqlite3 *db, const struct rollout *r, int wave, int64_t *failed,
			 int64_t *total, struct errbuf *err)
{
	const char *doing = "counting a wave's failures";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*), total(state = 'failed') "
					      "FROM jobs WHERE rollout = ?1 AND wave = ?2 "
					      "AND state <> 'cancelled'", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		*failed = (int64_t)sqlite3_column_double(st, 1);
	} else {
		db_fail(db, doing, err);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int set_state(sqlite3 *db, struct rollout *r, const char *state, const char *paused_by,
		     const char *reason, int64_t now, struct errbuf *err)
{
	const char *doing = "changing a rollout's state";
	sqlite3_stmt *st = db_prepare(db, "UPDATE rollouts SET state = ?2, paused_by = ?3, "
					      "pause_reason = ?4, updated_at = ?5 WHERE name = ?1",
					      doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, paused_by);
	db_bind_text(st, 4, reason);
	sqlite3_bind_int64(st, 5, now);
	return rollout_db_run(db, st, doing, err);
}

/* Returns 1 (and pauses r, saying why) when the finished current wave
 * failed more often than allowed, 0 when the next wave may open, -1. */
static int pause_if_failing(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	int wave = r->current_wave;
	if (r->max_failure_pct < 0 || r->waived_wave == wave)
		return 0;
	int64_t failed, total;
	if (wave_failures(db, r, wave, &failed, &total, err) < 0)
		return -1;
	/* failed / total > max, in exact integers (max is in hundredths of %). */
	if (total == 0 || failed * 100 * ROLLOUT_PCT_SCALE <= (int64_t)r->max_failure_pct * total)
		return 0;
	char reason[QUEUE_TEXT_MAX];
	snprintf(reason, sizeof reason, "wave %d: failure rate %.1f%% > %.1f%% (%" PRId64 " of %"
		 PRId64 " failed); resume with otapctl rollout resume %s", wave,
		 100.0 * (double)failed / (double)total, r->max_failure_pct / (double)ROLLOUT_PCT_SCALE,
		 failed, total, r->name);
	if (set_state(db, r, "paused", "failures", reason, now, err) < 0)
		return -1;
	log_warnx("rollout %s paused: %s", r->name, reason);
	return 1;
}

/* The last wave is finished: done once no job of any wave is left open
 * (a retried job of an earlier wave may still be). */
static int finish_if_done(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	int busy = rollout_db_wave_busy(db, r, 0, err);
	if (busy != 0)
		return busy < 0 ? -1 : 0;
	if (set_state(db, r, "done", NULL, NULL, now, err) < 0)
		return -1;
	log_info("rollout %s: done", r->name);
	return 0;
}

/* Opens waves while the current one is finished and healthy; empty waves
 * (rounding on small fleets) are passed straight through. Inside a
 * transaction; r is the row as read under the write lock. */
static int advance_waves(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	for (;;) {
		int busy = rollout_db_wave_busy(db, r, r->current_wave, err);
		if (busy != 0)
			return busy < 0 ? -1 : 0;
		if (r->current_wave >= r->waves.count)
			return finish_if_done(db, r, now, err);
		int paused = pause_if_failing(db, r, now, err);
		if (paused != 0)
			return paused < 0 ? -1 : 0;
		if (rollout_db_open_wave(db, r, r->current_wave + 1, now, err) < 0)
			return -1;
	}
}

/* The wave step, under the write lock: only when the read-only probe saw
 * the current wave finished. */
static int step_waves(sqlite3 *db, const char *name, int64_t now, struct errbuf *err)
{
	const char *doing = "advancing a rollout";
	struct rollout r;
	if (rollout_db_begin(db, doing, err) < 0)
		return -1;
	int found = rollout_db_load(db, name, &r, err);
	int rc = found < 0 ? -1 : 0;
	if (found == 1 && r.state == ROLLOUT_ACTIVE)
		rc = advance_waves(db, &r, now, err);
	if (rc == 0 && rollout_db_commit(db, doing, err) == 0)
		return 0;
	rollout_db_rollback(db);
	return -1;
}

/* Makes the rest of the current wave's parked jobs due, a chunk per
 * transaction, so the modems get the write lock in between. Also finishes
 * an opening that an earlier process could not complete. */
static int release_parked(sqlite3 *db, const struct rollout *r, int64_t now, struct errbuf *err)
{
	const char *doing = "opening a wave";
	int parked = rollout_db_parked(db, r, r->current_wave, err);
	while (parked > 0) {
		if (rollout_db_begin(db, doing, err) < 0)
			return -1;
		int released = rollout_db_release(db, r, r->current_wave, now, err);
		if (released < 0 || rollout_db_commit(db, doing, err) < 0) {
			rollout_db_rollback(db);
			return -1;
		}
		parked = released == rollout_release_chunk;
	}
	return parked;
}

static int tick_one(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	struct errbuf gate_err = { "" };
	/* A zone that cannot be read any more keeps the last gate: one bad
	 * rollout must not stop the others. */
	if (rollout_db_update_gate(db, r, now, &gate_err) < 0)
		log_errorx("rollout %s: cannot update the window: %s", r->name, gate_err.msg);
	if (release_parked(db, r, now, err) < 0)
		return -1;
	int busy = rollout_db_wave_busy(db, r, r->current_wave, err);
	/* In the last wave, retried jobs of earlier waves also keep it open:
	 * look before taking the write lock, as this repeats every second. */
	if (busy == 0 && r->current_wave >= r->waves.count)
		busy = rollout_db_wave_busy(db, r, 0, err);
	if (busy != 0)
		return busy < 0 ? -1 : 0;
	if (step_waves(db, r->name, now, err) < 0)
		return -1;
	/* A wave opened just now: release the rest of it right away. */
	struct rollout after;
	int found = rollout_db_load(db, r->name, &after, err);
	if (found <= 0)
		return found;
	return after.state == ROLLOUT_ACTIVE && after.current_wave != r->current_wave ?
	       release_parked(db, &after, now, err) : 0;
}

int rollout_tick(struct queue *q, int64_t now, struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	struct rollout *active;
	size_t count;
	if (load_active(db, &active, &count, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < count; i++) {
		struct errbuf one = { "" };
		if (tick_one(db, &active[i], now, &one) == 0)
			continue;
		/* Go on with the others; report the first failure. */
		log_errorx("rollout %s: %s", active[i].name, one.msg);
		if (rc == 0)
			errbuf_set(err, "rollout %s: %s", active[i].name, one.msg);
		rc = -1;
	}
	free(active);
	return rc;
}
