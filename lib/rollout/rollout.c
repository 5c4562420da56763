/* rollout.c - what a rollout is (names, waves, states) and the operator's
 * state changes: pause, resume, cancel; reading rollouts and unit metadata. */
#include "rollout.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "notify_store.h"
#include "rollout_db.h"

/* The SQL of lib/queue.c (claim, next due time, revival after a retry) and
 * of rollout_cancel walks the waves 1..16. */
_Static_assert(ROLLOUT_WAVES_MAX == 16, "wave lists in SQL count up to 16");

static const char *const state_names[ROLLOUT_STATE_COUNT] = {
	[ROLLOUT_ACTIVE] = "active",
	[ROLLOUT_PAUSED] = "paused",
	[ROLLOUT_CANCELLED] = "cancelled",
	[ROLLOUT_DONE] = "done",
};

/* Returns a static string; "unknown" outside the enum. */
const char *rollout_state_name(enum rollout_state state)
{
	return (unsigned)state < ROLLOUT_STATE_COUNT ? state_names[state] : "unknown";
}

int rollout_state_parse(const char *name, enum rollout_state *out)
{
	for (int i = 0; name && i < ROLLOUT_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum rollout_state)i;
			return 0;
		}
	}
	return -1;
}

/* The name travels into shell commands, file names and status output:
 * keep it to characters that need no quoting anywhere. */
int rollout_name_check(const char *name, struct errbuf *err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= QUEUE_NAME_MAX)
		return errbuf_set(err, "rollout name must have 1 to %d characters", QUEUE_NAME_MAX - 1);
	if (name[0] == '-' || name[0] == '.')
		return errbuf_set(err, "invalid rollout name '%s' (must not start with '-' or '.')", name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-')
			return errbuf_set(err, "invalid rollout name '%.*s' (expected letters, digits, "
					  "'.', '_' or '-')", QUEUE_NAME_MAX, name);
	}
	return 0;
}

/* ---- waves ---- */

/* Reads "12", "12.5" or "0.25" (an optional '%' after it) as hundredths. */
static bool read_pct(const char **p, int *out)
{
	const char *s = *p;
	long whole = 0;
	int digits = 0, frac = 0, frac_digits = 0;
	while (isspace((unsigned char)*s))
		s++;
	while (isdigit((unsigned char)*s) && digits < 4) {
		whole = whole * 10 + (*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s) && frac_digits < 2) {
			frac = frac * 10 + (*s++ - '0');
			frac_digits++;
		}
		if (frac_digits == 0)
			return false;
		if (frac_digits == 1)
			frac *= 10;
	}
	if (digits == 0 || isdigit((unsigned char)*s))
		return false;
	if (*s == '%')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	*out = (int)(whole * ROLLOUT_PCT_SCALE + frac);
	*p = s;
	return true;
}

int rollout_waves_parse(const char *text, struct rollout_waves *out, struct errbuf *err)
{
	const char *p = text ? text : "";
	struct rollout_waves w = { 0 };
	for (;;) {
		int pct;
		if (!read_pct(&p, &pct) || (*p != ',' && *p != '\0'))
			return errbuf_set(err, "invalid waves '%.60s' (expected cumulative percentages "
					  "such as 1%%,10%%,100%%)", text ? text : "");
		if (w.count == ROLLOUT_WAVES_MAX)
			return errbuf_set(err, "invalid waves '%.60s': at most %d waves", text,
					  ROLLOUT_WAVES_MAX);
		if (pct <= 0 || pct > 100 * ROLLOUT_PCT_SCALE ||
		    (w.count > 0 && pct <= w.pct[w.count - 1]))
			return errbuf_set(err, "invalid waves '%.60s': each wave's cumulative percentage "
					  "must grow, from above 0 up to 100", text);
		w.pct[w.count++] = pct;
		if (*p++ == '\0')
			break;
	}
	if (w.pct[w.count - 1] != 100 * ROLLOUT_PCT_SCALE)
		return errbuf_set(err, "invalid waves '%.60s': the last wave must reach 100%% "
				  "(sizes are cumulative: 1%%,10%%,100%%)", text);
	*out = w;
	return 0;
}

void rollout_pct_format(int pct, char *buf, size_t size)
{
	int whole = pct / ROLLOUT_PCT_SCALE, frac = pct % ROLLOUT_PCT_SCALE;
	if (frac == 0)
		snprintf(buf, size, "%d", whole);
	else if (frac % 10 == 0)
		snprintf(buf, size, "%d.%d", whole, frac / 10);
	else
		snprintf(buf, size, "%d.%02d", whole, frac);
}

void rollout_waves_format(const struct rollout_waves *w, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < w->count && n < size; i++) {
		char pct[16];
		rollout_pct_format(w->pct[i], pct, sizeof pct);
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "", pct);
	}
}

void rollout_wave_sizes(const struct rollout_waves *w, int64_t total,
			int64_t sizes[ROLLOUT_WAVES_MAX])
{
	const int64_t scale = 100 * ROLLOUT_PCT_SCALE;
	int64_t before = 0;
	memset(sizes, 0, ROLLOUT_WAVES_MAX * sizeof sizes[0]);
	for (int i = 0; i < w->count; i++) {
		int64_t end = (total * w->pct[i] + scale - 1) / scale;
		sizes[i] = end - before;
		before = end;
	}
}

/* The one definition of "final" for the wave gate; the notify module owns
 * the list (which states a confirmed install moves through). */
const char *rollout_final_states(const struct rollout *r)
{
	return notify_final_states_sql(r->await_confirmation);
}

/* ---- reading ---- */

int rollout_get(struct queue *q, const char *name, struct rollout *out, struct errbuf *err)
{
	return rollout_db_load(queue_db(q), name, out, err);
}

int rollout_list(struct queue *q, int (*cb)(const struct rollout *r, void *arg), void *arg,
		 struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	const char *doing = "listing rollouts";
	sqlite3_stmt *st = db_prepare(db, "SELECT " ROLLOUT_COLUMNS " FROM rollouts "
					      "ORDER BY created_at DESC, name", doing, err);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rollout r;
		rollout_db_read_row(st, &r);
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rollout_job_meta(struct queue *q, int64_t id,
		     void (*cb)(const char *key, const char *value, void *arg), void *arg,
		     struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	const char *doing = "reading unit metadata";
	sqlite3_stmt *st = db_prepare(db, "SELECT key, value FROM json_each("
					      "(SELECT meta FROM jobs WHERE id = ?1))", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *value = (const char *)sqlite3_column_text(st, 1);
		cb(key ? key : "", value ? value : "", arg);
	}
	if (rc != SQLITE_DONE)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- the operator's state changes ---- */

/* Starts a state change: the write lock, then the current row. Returns 0
 * with *r filled, or -1 (rolled back) with a reason. */
static int begin_change(sqlite3 *db, const char *name, const char *doing, struct rollout *r,
			struct errbuf *err)
{
	if (rollout_db_begin(db, doing, err) < 0)
		return -1;
	int found = rollout_db_load(db, name, r, err);
	if (found == 1)
		return 0;
	if (found == 0)
		errbuf_set(err, "no such rollout '%s'", name);
	rollout_db_rollback(db);
	return -1;
}

static int refuse(sqlite3 *db, const struct rollout *r, const char *what, struct errbuf *err)
{
	rollout_db_rollback(db);
	return errbuf_set(err, "rollout %s is %s; %s", r->name, rollout_state_name(r->state), what);
}

/* Writes state, pause fields and updated_at. paused_by NULL clears the pause. */
static int write_state(sqlite3 *db, struct rollout *r, enum rollout_state state,
		       const char *paused_by, const char *reason, int64_t now, struct errbuf *err)
{
	const char *doing = "changing a rollout's state";
	sqlite3_stmt *st = db_prepare(db, "UPDATE rollouts SET state = ?2, paused_by = ?3, "
					      "pause_reason = ?4, waived_wave = ?5, updated_at = ?6 "
					      "WHERE name = ?1", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	db_bind_text(st, 2, rollout_state_name(state));
	db_bind_text(st, 3, paused_by);
	db_bind_text(st, 4, reason);
	sqlite3_bind_int(st, 5, r->waived_wave);
	sqlite3_bind_int64(st, 6, now);
	if (rollout_db_run(db, st, doing, err) < 0)
		return -1;
	r->state = state;
	return 0;
}

static int finish_change(sqlite3 *db, const char *doing, struct errbuf *err)
{
	if (rollout_db_commit(db, doing, err) == 0)
		return 0;
	rollout_db_rollback(db);
	return -1;
}

int rollout_pause(struct queue *q, const char *name, int64_t now, struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	const char *doing = "pausing a rollout";
	struct rollout r;
	if (begin_change(db, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_ACTIVE)
		return refuse(db, &r, "only an active rollout can be paused", err);
	if (write_state(db, &r, ROLLOUT_PAUSED, "operator", "paused by the operator; resume with "
			"otapctl rollout resume", now, err) < 0) {
		rollout_db_rollback(db);
		return -1;
	}
	log_info("rollout %s: paused by the operator", name);
	return finish_change(db, doing, err);
}

/* After a pause for failures, resuming accepts the current wave's failure
 * rate: the next wave opens now if the current one is finished (else the
 * tick opens it when it is, without looking at the rate again). */
static int accept_failures(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err)
{
	r->waived_wave = r->current_wave;
	if (r->current_wave >= r->waves.count)
		return 0;
	int busy = rollout_db_wave_busy(db, r, r->current_wave, err);
	if (busy != 0)
		return busy < 0 ? -1 : 0;
	return rollout_db_open_wave(db, r, r->current_wave + 1, now, err);
}

int rollout_resume(struct queue *q, const char *name, int64_t now, struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	const char *doing = "resuming a rollout";
	struct rollout r;
	if (begin_change(db, name, doing, &r, err) < 0)
		return -1;
	if (r.state != ROLLOUT_PAUSED)
		return refuse(db, &r, "only a paused rollout can be resumed", err);
	if ((r.paused_by_failures && accept_failures(db, &r, now, err) < 0) ||
	    write_state(db, &r, ROLLOUT_ACTIVE, NULL, NULL, now, err) < 0 ||
	    rollout_db_update_gate(db, &r, now, err) < 0) {
		rollout_db_rollback(db);
		return -1;
	}
	log_info("rollout %s: resumed", name);
	return finish_change(db, doing, err);
}

/* The rollout's queued jobs, waiting for their wave or not: one seek per
 * wave (16 = ROLLOUT_WAVES_MAX). */
#define QUEUED_JOBS "WITH RECURSIVE wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM wave " \
	"WHERE n < 16) SELECT j.id FROM wave w, jobs j WHERE j.rollout = ?1 AND j.wave = w.n " \
	"AND j.state = 'queued'"

/* Cancels up to rollout_release_chunk queued jobs of the rollout. Returns
 * how many, or -1. */
static int cancel_chunk(sqlite3 *db, const char *name, int64_t now, struct errbuf *err)
{
	const char *doing = "cancelling a rollout's jobs";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET state = 'cancelled', "
					      "updated_at = ?2 WHERE id IN (" QUEUED_JOBS " LIMIT ?3)",
					      doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, rollout_release_chunk);
	if (rollout_db_run(db, st, doing, err) < 0)
		return -1;
	return sqlite3_changes(db);
}

/* The first transaction cancels the rollout (nothing more is claimed from
 * it, and tries that end in a retry cancel their job) and a first chunk of
 * jobs; the rest follows a chunk per transaction, so that otapd's modems
 * are not held up for seconds by a big rollout. Cancelling an already
 * cancelled rollout finishes an earlier, interrupted cancel. */
int rollout_cancel(struct queue *q, const char *name, int64_t now, int64_t *jobs,
		   struct errbuf *err)
{
	sqlite3 *db = queue_db(q);
	const char *doing = "cancelling a rollout";
	struct rollout r;
	if (begin_change(db, name, doing, &r, err) < 0)
		return -1;
	bool was_cancelled = r.state == ROLLOUT_CANCELLED;
	int n = cancel_chunk(db, name, now, err);
	if (n < 0 || (!was_cancelled && write_state(db, &r, ROLLOUT_CANCELLED, NULL, NULL, now,
						    err) < 0)) {
		rollout_db_rollback(db);
		return -1;
	}
	if (was_cancelled && n == 0)
		return refuse(db, &r, "nothing to cancel", err);
	if (finish_change(db, doing, err) < 0)
		return -1;
	int64_t cancelled = n;
	while (n == rollout_release_chunk) {
		if (rollout_db_begin(db, doing, err) < 0)
			return -1;
		if ((n = cancel_chunk(db, name, now, err)) < 0 || finish_change(db, doing, err) < 0) {
			rollout_db_rollback(db);
			return -1;
		}
		cancelled += n;
	}
	log_info("rollout %s: cancelled (%" PRId64 " queued jobs)", name, cancelled);
	if (jobs)
		*jobs = cancelled;
	return 0;
}
