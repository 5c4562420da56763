/* sqlite_units.c - a rollout's units a page at a time (store_units.h). */
#include <stdio.h>

#include "db.h"
#include "sqlite_engine.h"

/* " AND state IN ('queued','sent')" for the set bits of mask, from the
 * fixed names only (nothing of the caller's goes into the SQL text). */
static size_t in_names(char *sql, size_t size, const char *column, unsigned mask, int count,
		       const char *(*name)(int))
{
	size_t n = 0;
	if (mask == 0 || mask == (1u << count) - 1)
		return 0;
	n += (size_t)snprintf(sql + n, size - n, " AND %s IN (", column);
	const char *sep = "";
	for (int i = 0; i < count && n < size; i++) {
		if (mask & (1u << i)) {
			n += (size_t)snprintf(sql + n, size - n, "%s%s", sep, name(i));
			sep = ",";
		}
	}
	if (n < size)
		n += (size_t)snprintf(sql + n, size - n, ")");
	return n;
}

static const char *quoted_state(int s)
{
	static const char *const names[JOB_STATE_COUNT] = {
		"'queued'", "'sending'", "'sent'", "'delivered'", "'confirmed'", "'failed'",
		"'cancelled'",
	};
	return names[s];
}

static const char *step_number(int t)
{
	static const char *const numbers[JOB_STEP_COUNT] = { "0", "1", "2", "3", "4", "5", "6" };
	return numbers[t];
}

/* The order of store_units.h: jobs_rollout_units (rollout, state,
 * reached), whose entries end in the id. */
#define UNITS_ORDER "state, reached, id"

/* The WHERE clause of f (rollout = ?1 and the sets): a range of
 * jobs_rollout_units, so the count and a page are walks of that index. */
static void units_where(const struct unit_filter *f, char *sql, size_t size)
{
	size_t n = (size_t)snprintf(sql, size, "rollout = ?1");
	n += in_names(sql + n, size - n, "state", f->states, JOB_STATE_COUNT, quoted_state);
	in_names(sql + n, size - n, "reached", f->steps, JOB_STEP_COUNT, step_number);
}

struct unit_walk {
	int (*cb)(const struct unit_row *u, void *arg);
	void *arg;
};

static int unit_from_row(sqlite3_stmt *st, void *arg)
{
	const struct unit_walk *w = arg;
	struct unit_row u;
	sqlite_job_from_row(st, &u.job);
	u.notify_code = (int)db_column_or(st, 16, -1);
	u.delivered = db_column_or(st, 17, 0) > 0;
	return w->cb(&u, w->arg);
}

int sqlite_rollout_units(struct store *base, const struct unit_filter *f,
			 int (*cb)(const struct unit_row *u, void *arg), void *arg,
			 struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "listing a rollout's units";
	char where[512], sql[1024];
	units_where(f, where, sizeof where);
	/* In the index's order, so nothing is sorted; the rows the offset
	 * skips are index entries only (SQLite defers the table row until a
	 * column of it is read). */
	snprintf(sql, sizeof sql, "SELECT " SQLITE_JOB_COLUMNS ", notify_code, delivered_at "
		 "FROM jobs WHERE %s ORDER BY " UNITS_ORDER " LIMIT ?2 OFFSET ?3", where);
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, f->rollout);
	sqlite3_bind_int(st, 2, f->limit);
	sqlite3_bind_int64(st, 3, f->offset);
	struct unit_walk w = { cb, arg };
	return db_walk(db, st, unit_from_row, &w, doing, err);
}

int sqlite_rollout_units_count(struct store *base, const struct unit_filter *f, int64_t *out,
			       struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "counting a rollout's units";
	char where[512], sql[640];
	units_where(f, where, sizeof where);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE %s", where);
	sqlite3_stmt *st = db_prepare(db, sql, doing, err);
	if (st)
		db_bind_text(st, 1, f->rollout);
	return db_int(db, st, 0, out, doing, err);
}
