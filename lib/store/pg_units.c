/* pg_units.c - a rollout's units a page at a time on PostgreSQL
 * (store_units.h; the SQLite twin is sqlite_units.c). */
#include "pg_shared.h"

#include <stdio.h>

/* The order of store_units.h, states compared as bytes (as SQLite does):
 * the index jobs_rollout_units of schema/pg/011. */
#define UNITS_STATE "state" PG_BYTE_ORDER
#define UNITS_ORDER UNITS_STATE ", reached, id"

/* " AND <column> IN ('queued','sent')" for the set bits of mask, from the
 * fixed names only (nothing of the caller's goes into the SQL text). */
static size_t in_list(char *sql, size_t size, const char *column, unsigned mask, int count,
		      bool quoted, const char *(*name)(int))
{
	size_t n = 0;
	if (mask == 0 || mask == (1u << count) - 1)
		return 0;
	n += (size_t)snprintf(sql, size, " AND %s IN (", column);
	const char *sep = "";
	for (int i = 0; i < count && n < size; i++) {
		if (mask & (1u << i)) {
			n += (size_t)snprintf(sql + n, size - n, quoted ? "%s'%s'" : "%s%s", sep,
					      name(i));
			sep = ",";
		}
	}
	if (n < size)
		n += (size_t)snprintf(sql + n, size - n, ")");
	return n;
}

static const char *state_text(int s)
{
	return job_state_name((enum job_state)s);
}

static const char *step_number(int t)
{
	static const char *const numbers[JOB_STEP_COUNT] = { "0", "1", "2", "3", "4", "5", "6" };
	return numbers[t];
}

static void units_where(const struct unit_filter *f, char *sql, size_t size)
{
	size_t n = (size_t)snprintf(sql, size, "rollout = $1");
	n += in_list(sql + n, size - n, UNITS_STATE, f->states, JOB_STATE_COUNT, true, state_text);
	in_list(sql + n, size - n, "reached", f->steps, JOB_STEP_COUNT, false, step_number);
}

struct unit_walk {
	int (*cb)(const struct unit_row *u, void *arg);
	void *arg;
};

static int unit_from_row(const PGresult *res, int i, void *arg)
{
	const struct unit_walk *w = arg;
	struct unit_row u;
	pg_job_from_row(res, i, 0, &u.job);
	u.notify_code = (int)pg_col_int(res, i, 16, -1);
	u.delivered = pg_col_int(res, i, 17, 0) > 0;
	return w->cb(&u, w->arg);
}

int pg_rollout_units(struct store *base, const struct unit_filter *f,
		     int (*cb)(const struct unit_row *u, void *arg), void *arg, struct errbuf *err)
{
	char where[512], sql[1024];
	units_where(f, where, sizeof where);
	snprintf(sql, sizeof sql, "SELECT " PG_JOB_COLUMNS ", notify_code, delivered_at FROM jobs "
		 "WHERE %s ORDER BY " UNITS_ORDER " LIMIT $2 OFFSET $3", where);
	struct pg_params p = { 0 };
	pg_param_text(&p, f->rollout);
	pg_param_int(&p, f->limit);
	pg_param_int(&p, f->offset);
	struct unit_walk w = { cb, arg };
	return pg_walk(pg_of(base), sql, &p, unit_from_row, &w, "listing a rollout's units", err);
}

int pg_rollout_units_count(struct store *base, const struct unit_filter *f, int64_t *out,
			   struct errbuf *err)
{
	char where[512], sql[640];
	units_where(f, where, sizeof where);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE %s", where);
	struct pg_params p = { 0 };
	pg_param_text(&p, f->rollout);
	return pg_int(pg_of(base), sql, &p, 0, out, "counting a rollout's units", err) < 0 ? -1 : 0;
}
