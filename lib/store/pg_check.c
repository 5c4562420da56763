/* pg_check.c - the PostgreSQL engine's bounded-memory fleet check: numbers
 * seen in a temporary table (COPY, a batch at a time), the repeats found
 * by one window over it on the server (whose sort spills to disk past
 * work_mem) unless a Bloom filter saw none, read back a window of rows at
 * a time, and a look for open jobs in other rollouts, asked of the server
 * only for the numbers a second Bloom filter (of those rollouts' open
 * numbers, read once) cannot rule out (see store_check_begin in
 * store_rollouts.h; the SQLite twin is sqlite_check.c). This process
 * holds a batch, the two filters and a window. */
#include "pg_shared.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bloom.h"

/* Units per COPY into the temporary table. */
#define SEEN_BATCH 4096
/* The Bloom filter that lets a file without repeats skip the window
 * (as sqlite_check.c: freed before the writing pass). */
#define BLOOM_BYTES (8u << 20)
/* The numbers with an open job in another rollout: a round trip per unit
 * to ask the server (SQLite asks in-process) made a 200 000-unit import
 * beside an active rollout take 50 s instead of 2; the filter, filled
 * from one walk of those numbers, lets the check ask only for the few it
 * cannot rule out. Rows fetched per round trip of that walk. */
#define BUSY_BYTES (8u << 20)
#define BUSY_FETCH 10000
/* Repeated rows read back per query (store_check_is_repeat, and the
 * listing of store_check_repeats). */
#define REPEAT_WINDOW 1024

struct pg_check {
	struct store_check base;
	struct pg_store *s;
	char rollout[STORE_NAME_MAX];
	bool others;                    /* other active/paused rollouts exist */
	bool busy_read;                 /* busy was filled (at the first overlap look) */
	struct bloom *busy;             /* their open numbers (NULL: ask for every unit) */
	struct bloom *bloom;            /* NULL: out of memory, or after the last add */
	bool maybe_repeats;             /* the filter said "maybe" (or there is none) */
	struct pg_copybuf batch;        /* rows of check_seen not copied yet */
	size_t count;
	int64_t repeat[REPEAT_WINDOW];  /* the next repeated rows, ascending */
	size_t repeat_n, repeat_i;
	int64_t repeat_after;           /* rows up to this one have been read ahead */
	bool repeat_done;               /* the window holds the last repeated rows */
};

static struct pg_check *check_of(struct store_check *c)
{
	return (struct pg_check *)c;
}

/* Temporary tables live as long as the connection (or check_end). The
 * key is the 64-bit number key as a signed BIGINT: equal stays equal. */
static const char *const create_sql =
	"DROP TABLE IF EXISTS pg_temp.check_seen; DROP TABLE IF EXISTS pg_temp.check_repeats;"
	"CREATE TEMP TABLE check_seen (row BIGINT NOT NULL, key BIGINT NOT NULL, "
	"line BIGINT NOT NULL);"
	"CREATE TEMP TABLE check_repeats (row BIGINT PRIMARY KEY, key BIGINT NOT NULL, "
	"line BIGINT NOT NULL, first_line BIGINT NOT NULL)";

/* Runs sql without parameters (several statements). */
static int exec_plain(struct pg_store *s, const char *sql, const char *doing, struct errbuf *err)
{
	PGresult *res = PQexec(s->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return ok ? 0 : pg_fail(s, doing, err);
}

/* FNV-1a of a number's text: the same text is the same key on both sides
 * (the overlap look compares the text too). */
static uint64_t number_key(const char *msisdn)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)msisdn; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

#define BUSY_NUMBERS "SELECT j.msisdn FROM jobs j JOIN rollouts r ON r.name = j.rollout " \
	"WHERE j.wave IS NOT NULL AND j.state IN ('queued', 'sending', 'sent', 'delivered') " \
	"AND r.state IN ('active', 'paused') AND r.name <> $1"

/* Fills c->busy from the other rollouts' open numbers, BUSY_FETCH at a
 * time through a cursor (bounded memory however many there are). Without
 * memory for the filter every unit is asked about instead. */
static int load_busy(struct pg_check *c, struct errbuf *err)
{
	const char *doing = "reading the numbers of other rollouts";
	c->busy_read = true;
	if (!(c->busy = bloom_new(BUSY_BYTES)))
		return 0;
	struct pg_params p = { 0 };
	pg_param_text(&p, c->rollout);
	struct pg_tx t;
	if (pg_tx_begin(&t, c->s, doing, err) < 0)
		return -1;
	if (pg_run(c->s, "DECLARE check_busy NO SCROLL CURSOR FOR " BUSY_NUMBERS, &p, doing,
		   err) < 0)
		goto fail;
	int n;
	do {
		PGresult *res = pg_query(c->s, "FETCH 10000 FROM check_busy", NULL, doing, err);
		if (!res)
			goto fail;
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			bloom_add(c->busy, number_key(pg_col_str(res, i, 0)));
		PQclear(res);
	} while (n == BUSY_FETCH);
	/* Read only: the end of the transaction closes the cursor. */
	pg_tx_rollback(&t);
	return 0;
fail:
	pg_tx_rollback(&t);
	return -1;
}
_Static_assert(BUSY_FETCH == 10000, "load_busy's FETCH spells BUSY_FETCH");

int pg_check_begin(struct store *base, const char *rollout, struct store_check **out,
		   struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	struct pg_check *c = calloc(1, sizeof *c);
	if (!c)
		return errbuf_set(err, "checking the fleet: out of memory");
	c->base.store = base;
	c->s = s;
	c->repeat_after = -1;
	c->bloom = bloom_new(BLOOM_BYTES);
	c->maybe_repeats = !c->bloom;
	snprintf(c->rollout, sizeof c->rollout, "%s", rollout);
	struct pg_params p = { 0 };
	pg_param_text(&p, rollout);
	int64_t one;
	int others = exec_plain(s, create_sql, "creating the check's temporary tables", err) < 0 ? -1 :
		pg_int(s, "SELECT 1 FROM rollouts WHERE state IN ('active', 'paused') AND "
		       "name <> $1 LIMIT 1", &p, 0, &one, "looking for other rollouts", err);
	if (others < 0) {
		pg_check_end(&c->base);
		return -1;
	}
	c->others = others == 1;
	*out = &c->base;
	return 0;
}

static int flush_seen(struct pg_check *c, struct errbuf *err)
{
	if (c->count == 0)
		return 0;
	int64_t n = pg_copy_in(c->s, "COPY pg_temp.check_seen (row, key, line) FROM STDIN",
			       &c->batch, "checking the fleet's numbers", err);
	c->count = 0;
	pg_copy_reset(&c->batch);
	return n < 0 ? -1 : 0;
}

static int find_overlap(struct pg_check *c, const char *msisdn, char other[STORE_NAME_MAX],
			struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, msisdn);
	pg_param_text(&p, c->rollout);
	PGresult *res = pg_query(c->s, "SELECT j.rollout FROM jobs j JOIN rollouts r ON "
				 "r.name = j.rollout WHERE j.msisdn = $1 AND j.wave IS NOT NULL "
				 "AND j.state IN ('queued', 'sending', 'sent', 'delivered') AND "
				 "r.state IN ('active', 'paused') AND r.name <> $2 LIMIT 1", &p,
				 "checking for open jobs in other rollouts", err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found)
		pg_col_text(other, STORE_NAME_MAX, res, 0, 0);
	PQclear(res);
	return found;
}

int pg_check_add(struct store_check *base, uint64_t key, const char *msisdn, bool overlap,
		 int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err)
{
	struct pg_check *c = check_of(base);
	if (!c->bloom || bloom_add(c->bloom, key))
		c->maybe_repeats = true;
	pg_copy_int(&c->batch, row);
	pg_copy_int(&c->batch, (int64_t)key);
	pg_copy_int(&c->batch, line);
	pg_copy_end_row(&c->batch);
	if (++c->count == SEEN_BATCH && flush_seen(c, err) < 0)
		return -1;
	if (!overlap || !c->others)
		return 0;
	/* Read at the first look: --allow-overlap never needs it. */
	if (!c->busy_read && load_busy(c, err) < 0)
		return -1;
	if (c->busy && !bloom_maybe(c->busy, number_key(msisdn)))
		return 0;
	return find_overlap(c, msisdn, other, err);
}

/* Every row whose key an earlier row had, with the first such row's line,
 * into check_repeats: one sort of check_seen by (key, row) on the server. */
static int find_repeats(struct pg_check *c, struct errbuf *err)
{
	return pg_run(c->s, "INSERT INTO pg_temp.check_repeats (row, key, line, first_line) "
		      "SELECT row, key, line, first_line FROM (SELECT row, key, line, "
		      "first_value(line) OVER w AS first_line, row_number() OVER w AS n "
		      "FROM pg_temp.check_seen WINDOW w AS (PARTITION BY key ORDER BY row)) x "
		      "WHERE n > 1", NULL, "finding repeated numbers", err) < 0 ? -1 : 0;
}

/* The next window of repeated rows after c->repeat_after into c->repeat;
 * with cb, each is also reported. */
static int read_ahead(struct pg_check *c,
		      void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
		      void *arg, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, c->repeat_after);
	pg_param_int(&p, REPEAT_WINDOW);
	PGresult *res = pg_query(c->s, "SELECT row, key, line, first_line FROM "
				 "pg_temp.check_repeats WHERE row > $1 ORDER BY row LIMIT $2", &p,
				 "reading repeated numbers", err);
	if (!res)
		return -1;
	c->repeat_n = c->repeat_i = 0;
	for (int i = 0; i < PQntuples(res) && c->repeat_n < REPEAT_WINDOW; i++) {
		c->repeat[c->repeat_n++] = pg_col_int(res, i, 0, 0);
		if (cb)
			cb(arg, (uint64_t)pg_col_int(res, i, 1, 0), pg_col_int(res, i, 2, 0),
			   pg_col_int(res, i, 3, 0));
	}
	PQclear(res);
	c->repeat_done = c->repeat_n < REPEAT_WINDOW;
	if (c->repeat_n)
		c->repeat_after = c->repeat[c->repeat_n - 1];
	return 0;
}

int64_t pg_check_repeats(struct store_check *base,
			 void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			 void *arg, struct errbuf *err)
{
	struct pg_check *c = check_of(base);
	bloom_free(c->bloom);
	c->bloom = NULL;
	if (flush_seen(c, err) < 0 || (c->maybe_repeats && find_repeats(c, err) < 0))
		return -1;
	int64_t n = 0;
	do {
		if (read_ahead(c, cb, arg, err) < 0)
			return -1;
		n += (int64_t)c->repeat_n;
	} while (!c->repeat_done);
	/* is_repeat reads from the first row again. */
	c->repeat_after = -1;
	c->repeat_n = c->repeat_i = 0;
	c->repeat_done = false;
	return n;
}

int pg_check_is_repeat(struct store_check *base, int64_t row, struct errbuf *err)
{
	struct pg_check *c = check_of(base);
	for (;;) {
		while (c->repeat_i < c->repeat_n && c->repeat[c->repeat_i] < row)
			c->repeat_i++;
		if (c->repeat_i < c->repeat_n)
			return c->repeat[c->repeat_i] == row;
		if (c->repeat_done)
			return 0;
		if (read_ahead(c, NULL, NULL, err) < 0)
			return -1;
	}
}

void pg_check_end(struct store_check *base)
{
	struct pg_check *c = check_of(base);
	struct errbuf ignored;
	pg_copy_free(&c->batch);
	bloom_free(c->bloom);
	bloom_free(c->busy);
	exec_plain(c->s, "DROP TABLE IF EXISTS pg_temp.check_seen; "
		   "DROP TABLE IF EXISTS pg_temp.check_repeats", "dropping the check's tables",
		   &ignored);
	free(c);
}
