/* rollout_status.c - one rollout's progress (see rollout_status() in
 * rollout.h): counts per state, the current wave, the most frequent failure
 * reasons, the window, and an ETA from the rate and the window's hours.
 * Every count is read from an index of the rollout's own jobs. */
#include "rollout.h"

#include <stdio.h>
#include <string.h>

#include "rollout_db.h"

static bool is_final(const struct rollout *r, const char *state)
{
	char quoted[32];
	snprintf(quoted, sizeof quoted, "'%s'", state);
	return strstr(rollout_final_states(r), quoted) != NULL;
}

/* Counts per state, and the current wave's final and failed jobs: one
 * count per (wave, state) pair, each over an exact key prefix of
 * jobs_rollout_wave (about twice as fast as one GROUP BY walk over a
 * million-job rollout, which decodes and compares every key). */
static int count_jobs(sqlite3 *db, const struct rollout *r, struct rollout_status *out,
		      struct errbuf *err)
{
	const char *doing = "counting a rollout's jobs";
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM jobs WHERE rollout = ?1 "
					      "AND wave = ?2 AND state = ?3", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	int rc = SQLITE_ROW;
	for (int w = 1; w <= r->waves.count && rc == SQLITE_ROW; w++) {
		for (int s = 0; s < JOB_STATE_COUNT && rc == SQLITE_ROW; s++) {
			const char *state = job_state_name((enum job_state)s);
			sqlite3_bind_int(st, 2, w);
			sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(st)) != SQLITE_ROW)
				break;
			int64_t n = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			out->counts[s] += n;
			if (w != r->current_wave)
				continue;
			if (is_final(r, state))
				out->wave_final += n;
			if (s == JOB_FAILED)
				out->wave_failed += n;
		}
	}
	if (rc != SQLITE_ROW)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int top_reasons(sqlite3 *db, const struct rollout *r, struct rollout_status *out,
		       struct errbuf *err)
{
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
	sqlite3_bind_int(st, 2, ROLLOUT_REASONS_MAX);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->reason_count < ROLLOUT_REASONS_MAX) {
		struct rollout_reason *reason = &out->reasons[out->reason_count++];
		snprintf(reason->text, sizeof reason->text, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		reason->count = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* The window now and, with a rate, when the remaining jobs will have been
 * sent if nothing pauses the rollout: remaining / rate minutes of open
 * window, counted from now or the start time. Without a rate the daemon's
 * modems set the pace and no ETA is given. */
static int window_and_eta(const struct rollout *r, int64_t now, struct rollout_status *out,
			  struct errbuf *err)
{
	struct tz *tz;
	if (tz_load(r->tz, &tz, err) < 0)
		return -1;
	window_at(&r->window, tz, now, &out->window);
	bool running = r->state == ROLLOUT_ACTIVE;
	if (running && r->rate_per_min > 0 && out->remaining > 0) {
		int64_t need = out->remaining * 60000 / r->rate_per_min;
		int64_t from = r->start_at > now ? r->start_at : now;
		int64_t eta = window_finish_time(&r->window, tz, from, need);
		out->eta = eta == INT64_MAX ? 0 : eta;
	}
	tz_free(tz);
	return 0;
}

int rollout_status(struct queue *q, const char *name, int64_t now, struct rollout_status *out,
		   struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	memset(out, 0, sizeof *out);
	int found = rollout_db_load(db, name, &out->r, err);
	if (found <= 0)
		return found;
	const struct rollout *r = &out->r;
	if (count_jobs(db, r, out, err) < 0 || top_reasons(db, r, out, err) < 0)
		return -1;
	for (int s = 0; s < JOB_STATE_COUNT; s++)
		out->total += out->counts[s];
	out->remaining = out->counts[JOB_QUEUED] + out->counts[JOB_SENDING];
	rollout_wave_sizes(&r->waves, r->total_units, out->wave_sizes);
	return window_and_eta(r, now, out, err) < 0 ? -1 : 1;
}
