/* rollout_db.c - SQL helpers shared by the rollout*.c files (see
 * rollout_db.h): statements, transactions, rollouts rows, wave questions. */
#include "rollout_db.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"



int rollout_db_run(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	int found = db_step(db, st, doing, err);
	sqlite3_finalize(st);
	return found < 0 ? -1 : 0;
}

int rollout_db_int(sqlite3 *db, sqlite3_stmt *st, int64_t fallback, int64_t *out,
		   const char *doing, struct errbuf *err)
{
	int found = db_step(db, st, doing, err);
	*out = fallback;
	if (found > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return found < 0 ? -1 : 0;
}


int rollout_db_begin(sqlite3 *db, const char *doing, struct errbuf *err)
{
	if (!sqlite3_get_autocommit(db))
		return errbuf_set(err, "%s: already inside a transaction", doing);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, doing, err);
	return 0;
}

int rollout_db_commit(sqlite3 *db, const char *doing, struct errbuf *err)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, doing, err);
	return 0;
}

void rollout_db_rollback(sqlite3 *db)
{
	if (sqlite3_get_autocommit(db))
		return;
	if (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_errorx("rollout: rolling back failed: %s", sqlite3_errmsg(db));
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", text ? (const char *)text : "");
}

static int64_t column_or(sqlite3_stmt *st, int col, int64_t fallback)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? fallback : sqlite3_column_int64(st, col);
}

void rollout_db_read_row(sqlite3_stmt *st, struct rollout *out)
{
	char text[64];
	memset(out, 0, sizeof *out);
	copy_text(out->name, sizeof out->name, st, 0);
	copy_text(out->profile, sizeof out->profile, st, 1);
	copy_text(text, sizeof text, st, 2);
	out->action = strcmp(text, "delete") == 0 ? OTAP_ACTION_DELETE : OTAP_ACTION_INSTALL;
	out->window.start_min = (int)column_or(st, 3, -1);
	out->window.end_min = (int)column_or(st, 4, -1);
	if (out->window.start_min < 0 || out->window.end_min < 0)
		out->window = WINDOW_ALWAYS;
	copy_text(out->tz, sizeof out->tz, st, 5);
	out->rate_per_min = (int)column_or(st, 6, 0);
	copy_text(text, sizeof text, st, 7);
	if (rollout_waves_parse(text, &out->waves, NULL) < 0)
		out->waves = (struct rollout_waves){ .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } };
	out->current_wave = (int)column_or(st, 8, 1);
	out->max_failure_pct = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 :
		(int)lround(sqlite3_column_double(st, 9) * ROLLOUT_PCT_SCALE);
	out->waived_wave = (int)column_or(st, 10, 0);
	out->await_confirmation = column_or(st, 11, 0) != 0;
	out->start_at = column_or(st, 12, 0);
	copy_text(text, sizeof text, st, 13);
	if (rollout_state_parse(text, &out->state) < 0)
		out->state = ROLLOUT_PAUSED;    /* unreachable: the CHECK constraint */
	copy_text(text, sizeof text, st, 14);
	out->paused_by_failures = strcmp(text, "failures") == 0;
	copy_text(out->pause_reason, sizeof out->pause_reason, st, 15);
	out->total_units = column_or(st, 16, 0);
	out->next_send_at = column_or(st, 17, 0);
	out->gate_open = column_or(st, 18, 1) != 0;
	out->next_window_at = column_or(st, 19, 0);
	out->created_at = column_or(st, 20, 0);
	out->updated_at = column_or(st, 21, 0);
}

int rollout_db_load(sqlite3 *db, const char *name, struct rollout *out, struct errbuf *err)
{
	const char *doing = "reading a rollout";
	sqlite3_stmt *st = db_prepare(db, "SELECT " ROLLOUT_COLUMNS " FROM rollouts "
					      "WHERE name = ?1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	int found = db_step(db, st, doing, err);
	if (found > 0)
		rollout_db_read_row(st, out);
	sqlite3_finalize(st);
	return found;
}

void rollout_db_open_states(const struct rollout *r, char *buf, size_t size)
{
	const char *final = rollout_final_states(r);
	size_t n = 0;
	buf[0] = '\0';
	for (int s = 0; s < JOB_STATE_COUNT; s++) {
		char quoted[32];
		snprintf(quoted, sizeof quoted, "'%s'", job_state_name((enum job_state)s));
		if (!strstr(final, quoted) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", quoted);
	}
}

/* One wave at a time, even for "any wave": each is a seek in
 * jobs_rollout_wave, where "rollout = ? AND state IN (...)" alone would
 * read every job of the rollout. */
static int one_wave_busy(sqlite3 *db, const struct rollout *r, int wave, const char *states,
			 struct errbuf *err)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM jobs WHERE rollout = ?1 AND wave = ?2 AND "
		 "state IN (%s) LIMIT 1", states);
	sqlite3_stmt *st = db_prepare(db, sql, "checking a rollout's wave", err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	int64_t found;
	if (rollout_db_int(db, st, 0, &found, "checking a rollout's wave", err) < 0)
		return -1;
	return found ? 1 : 0;
}

int rollout_db_wave_busy(sqlite3 *db, const struct rollout *r, int wave, struct errbuf *err)
{
	char states[128];
	rollout_db_open_states(r, states, sizeof states);
	if (wave > 0)
		return one_wave_busy(db, r, wave, states, err);
	for (int w = 1; w <= r->waves.count; w++) {
		int busy = one_wave_busy(db, r, w, states, err);
		if (busy != 0)
			return busy;
	}
	return 0;
}

int rollout_db_update_gate(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	struct tz *tz;
	if (tz_load(r->tz, &tz, err) < 0)
		return errbuf_prefix(err, "rollout %s", r->name);
	struct window_state ws;
	window_at(&r->window, tz, now, &ws);
	tz_free(tz);
	bool gate = ws.open;
	int64_t next = ws.open || ws.opened_at == INT64_MAX ? 0 : ws.opened_at;
	if (gate == r->gate_open && next == r->next_window_at)
		return 0;
	const char *doing = "updating a rollout's window";
	sqlite3_stmt *st = db_prepare(db, "UPDATE rollouts SET gate_open = ?2, "
					      "next_window_at = ?3 WHERE name = ?1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, gate);
	if (next)
		sqlite3_bind_int64(st, 3, next);
	if (rollout_db_run(db, st, doing, err) < 0)
		return -1;
	if (gate != r->gate_open)
		log_info("rollout %s: window %s", r->name, gate ? "opened" : "closed");
	r->gate_open = gate;
	r->next_window_at = next;
	return 0;
}

int rollout_release_chunk = ROLLOUT_RELEASE_CHUNK;

int rollout_db_release(sqlite3 *db, const struct rollout *r, int wave, int64_t now,
		       struct errbuf *err)
{
	const char *doing = "opening a wave";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET not_before = ?3 WHERE id IN "
					      "(SELECT id FROM jobs WHERE rollout = ?1 AND wave = ?2 "
					      "AND state = 'queued' AND not_before = ?4 LIMIT ?5)",
					      doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	sqlite3_bind_int64(st, 3, now > r->start_at ? now : r->start_at);
	sqlite3_bind_int64(st, 4, QUEUE_WAITING_FOR_WAVE);
	sqlite3_bind_int(st, 5, rollout_release_chunk);
	if (rollout_db_run(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes(db);
}

int rollout_db_parked(sqlite3 *db, const struct rollout *r, int wave, struct errbuf *err)
{
	const char *doing = "checking a wave";
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM jobs WHERE rollout = ?1 AND "
					      "wave = ?2 AND state = 'queued' AND not_before = ?3 "
					      "LIMIT 1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	sqlite3_bind_int(st, 2, wave);
	sqlite3_bind_int64(st, 3, QUEUE_WAITING_FOR_WAVE);
	int64_t found;
	if (rollout_db_int(db, st, 0, &found, doing, err) < 0)
		return -1;
	return found ? 1 : 0;
}

int rollout_db_open_wave(sqlite3 *db, struct rollout *r, int wave, int64_t now,
			 struct errbuf *err)
{
	const char *doing = "opening a wave";
	sqlite3_stmt *row = db_prepare(db, "UPDATE rollouts SET current_wave = ?2, "
					       "updated_at = ?3 WHERE name = ?1", doing, err);
	if (!row)
		return -1;
	db_bind_text(row, 1, r->name);
	sqlite3_bind_int(row, 2, wave);
	sqlite3_bind_int64(row, 3, now);
	if (rollout_db_run(db, row, doing, err) < 0 || rollout_db_release(db, r, wave, now, err) < 0)
		return -1;
	r->current_wave = wave;
	r->updated_at = now;
	int64_t sizes[ROLLOUT_WAVES_MAX];
	rollout_wave_sizes(&r->waves, r->total_units, sizes);
	log_info("rollout %s: wave %d of %d opened (%lld units)", r->name, wave, r->waves.count,
		 (long long)sizes[wave - 1]);
	return 0;
}
