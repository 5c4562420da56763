/* sqlite_check.c - the SQLite engine's bounded-memory fleet check: numbers
 * seen in a temporary table (appended in row order), the repeats found by
 * one sort (SQLite's external sorter) unless a Bloom filter saw none, and
 * an indexed look per unit for open jobs in other rollouts (see
 * store_check_begin in store_rollouts.h). */
#include "sqlite_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bloom.h"

/* Units per INSERT into the temporary table (as for the import: a
 * statement's fixed cost, paid per unit, would dominate). */
#define SEEN_BATCH 256
/* Pages of the temporary database kept in memory; the rest spills to its
 * temporary file (the OS page cache, not this process's memory). */
#define TEMP_CACHE_KIB 4096
/* The Bloom filter that lets a file without repeats skip the sort (about
 * 0.3 s of the check of a million units): with 7 bits per key in 64-byte
 * blocks, a million keys give a false "maybe" (the sort runs for nothing)
 * in about one file of twelve; from a few million keys on some "maybe" is
 * likely and the sort runs, as it must for real repeats. Freed before the
 * writing pass, so the import's peak memory does not grow. */
#define BLOOM_BYTES (8u << 20)
/* Repeated rows read ahead by store_check_is_repeat. */
#define REPEAT_WINDOW 1024

struct seen_row {
	int64_t key, row, line;
};

struct sqlite_check {
	struct store_check base;
	sqlite3 *db;
	char rollout[STORE_NAME_MAX];
	bool others;                    /* other active/paused rollouts exist */
	sqlite3_stmt *insert;           /* SEEN_BATCH rows */
	sqlite3_stmt *overlap;
	struct bloom *bloom;            /* NULL: out of memory, or after the last add */
	bool maybe_repeats;             /* the filter said "maybe" (or there is none) */
	struct seen_row batch[SEEN_BATCH];
	size_t count;
	int64_t repeat[REPEAT_WINDOW];  /* the next repeated rows, ascending */
	size_t repeat_n, repeat_i;
	int64_t repeat_after;           /* rows up to this one have been read ahead */
	bool repeat_done;               /* the window holds the last repeated rows */
};

static struct sqlite_check *check_of(struct store_check *c)
{
	return (struct sqlite_check *)c;
}

static const char *const create_sql =
	"PRAGMA temp.cache_size = -" /* KiB */ "4096;"
	"DROP TABLE IF EXISTS temp.check_seen; DROP TABLE IF EXISTS temp.check_repeats;"
	/* row as the rowid: rows arrive ascending, so every insert appends. */
	"CREATE TEMP TABLE check_seen (row INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
	"line INTEGER NOT NULL);"
	"CREATE TEMP TABLE check_repeats (row INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
	"line INTEGER NOT NULL, first_line INTEGER NOT NULL);";
_Static_assert(TEMP_CACHE_KIB == 4096, "create_sql spells TEMP_CACHE_KIB");

static sqlite3_stmt *prepare_insert(sqlite3 *db, struct errbuf *err)
{
	char sql[64 + SEEN_BATCH * 24];
	size_t n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO temp.check_seen VALUES ");
	for (int i = 0; i < SEEN_BATCH; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s(?%d,?%d,?%d)", i ? "," : "",
				      3 * i + 1, 3 * i + 2, 3 * i + 3);
	return db_prepare(db, sql, "checking the fleet's numbers", err);
}

/* Whether another rollout could overlap at all: without one, the check
 * costs no lookup per unit. */
static int other_rollouts(sqlite3 *db, const char *rollout, struct errbuf *err)
{
	const char *doing = "looking for other rollouts";
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM rollouts WHERE state IN ('active', "
				      "'paused') AND name <> ?1 LIMIT 1", doing, err);
	if (st)
		db_bind_text(st, 1, rollout);
	return db_exists(db, st, doing, err);
}

int sqlite_check_begin(struct store *base, const char *rollout, struct store_check **out,
		       struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	struct sqlite_check *c = calloc(1, sizeof *c);
	if (!c)
		return errbuf_set(err, "checking the fleet: out of memory");
	c->base.store = base;
	c->db = db;
	c->repeat_after = -1;
	c->bloom = bloom_new(BLOOM_BYTES);
	c->maybe_repeats = !c->bloom;
	snprintf(c->rollout, sizeof c->rollout, "%s", rollout);
	int others = -1;
	if (db_exec(db, create_sql, "creating the check's temporary tables", err) == 0 &&
	    (c->insert = prepare_insert(db, err)) &&
	    (c->overlap = db_prepare(db, "SELECT j.rollout FROM jobs j JOIN rollouts r ON "
				     "r.name = j.rollout WHERE j.msisdn = ?1 AND j.wave IS NOT NULL "
				     "AND j.state IN ('queued', 'sending', 'sent', 'delivered') AND "
				     "r.state IN ('active', 'paused') AND r.name <> ?2 LIMIT 1",
				     "preparing the overlap check", err)))
		others = other_rollouts(db, rollout, err);
	if (others < 0) {
		sqlite_check_end(&c->base);
		return -1;
	}
	c->others = others == 1;
	db_bind_text(c->overlap, 2, rollout);
	*out = &c->base;
	return 0;
}

/* Appends the batch to check_seen; a short last batch row by row. */
static int flush_seen(struct sqlite_check *c, struct errbuf *err)
{
	const char *doing = "checking the fleet's numbers";
	if (c->count == SEEN_BATCH) {
		for (size_t i = 0; i < c->count; i++) {
			sqlite3_bind_int64(c->insert, 3 * (int)i + 1, c->batch[i].row);
			sqlite3_bind_int64(c->insert, 3 * (int)i + 2, c->batch[i].key);
			sqlite3_bind_int64(c->insert, 3 * (int)i + 3, c->batch[i].line);
		}
		c->count = 0;
		return db_run(c->db, c->insert, doing, err);
	}
	sqlite3_stmt *one = db_prepare(c->db, "INSERT INTO temp.check_seen VALUES (?1, ?2, ?3)",
				       doing, err);
	int rc = one ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < c->count; i++) {
		sqlite3_bind_int64(one, 1, c->batch[i].row);
		sqlite3_bind_int64(one, 2, c->batch[i].key);
		sqlite3_bind_int64(one, 3, c->batch[i].line);
		rc = db_run(c->db, one, doing, err);
	}
	c->count = 0;
	sqlite3_finalize(one);
	return rc;
}

static int find_overlap(struct sqlite_check *c, const char *msisdn, char other[STORE_NAME_MAX],
			struct errbuf *err)
{
	db_bind_text(c->overlap, 1, msisdn);
	int found = db_step(c->db, c->overlap, "checking for open jobs in other rollouts", err);
	if (found > 0)
		db_copy_column(other, STORE_NAME_MAX, c->overlap, 0);
	sqlite3_reset(c->overlap);     /* no read snapshot left open */
	return found;
}

int sqlite_check_add(struct store_check *base, uint64_t key, const char *msisdn, bool overlap,
		     int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err)
{
	struct sqlite_check *c = check_of(base);
	if (!c->bloom || bloom_add(c->bloom, key))
		c->maybe_repeats = true;
	c->batch[c->count++] = (struct seen_row){ (int64_t)key, row, line };
	if (c->count == SEEN_BATCH && flush_seen(c, err) < 0)
		return -1;
	return overlap && c->others ? find_overlap(c, msisdn, other, err) : 0;
}

/* Every row whose key an earlier row had, with that row's line, into
 * check_repeats: check_seen is walked once in (key, row) order, sorted by
 * SQLite's external sorter (bounded memory, spilling to temporary files);
 * equal keys are neighbours. (Building an index on (key, row, line) first
 * took half as long again; a window function over the same sort four
 * times as long.) */
static int find_repeats(struct sqlite_check *c, struct errbuf *err)
{
	const char *doing = "finding repeated numbers";
	sqlite3_stmt *walk = db_prepare(c->db, "SELECT key, row, line FROM temp.check_seen "
					"ORDER BY key, row", doing, err);
	sqlite3_stmt *add = walk ? db_prepare(c->db, "INSERT INTO temp.check_repeats VALUES "
					      "(?1, ?2, ?3, ?4)", doing, err) : NULL;
	int rc = add ? 1 : -1;
	int64_t key = 0, first_line = 0;
	bool any = false;
	while (rc == 1 && (rc = db_step(c->db, walk, doing, err)) == 1) {
		int64_t k = sqlite3_column_int64(walk, 0), line = sqlite3_column_int64(walk, 2);
		if (!any || k != key) {
			any = true;
			key = k;
			first_line = line;
			continue;
		}
		sqlite3_bind_int64(add, 1, sqlite3_column_int64(walk, 1));
		sqlite3_bind_int64(add, 2, k);
		sqlite3_bind_int64(add, 3, line);
		sqlite3_bind_int64(add, 4, first_line);
		rc = db_run(c->db, add, doing, err) < 0 ? -1 : 1;
	}
	sqlite3_finalize(walk);
	sqlite3_finalize(add);
	return rc < 0 ? -1 : 0;
}

int64_t sqlite_check_repeats(struct store_check *base,
			     void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			     void *arg, struct errbuf *err)
{
	struct sqlite_check *c = check_of(base);
	const char *doing = "listing repeated numbers";
	bloom_free(c->bloom);
	c->bloom = NULL;
	if (flush_seen(c, err) < 0 || (c->maybe_repeats && find_repeats(c, err) < 0))
		return -1;
	sqlite3_stmt *st = db_prepare(c->db, "SELECT key, line, first_line FROM "
				      "temp.check_repeats ORDER BY row", doing, err);
	if (!st)
		return -1;
	int64_t n = 0;
	int rc;
	while ((rc = db_step(c->db, st, doing, err)) == 1) {
		n++;
		if (cb)
			cb(arg, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			   sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : n;
}

/* Reads the next window of repeated rows after c->repeat_after. */
static int read_ahead(struct sqlite_check *c, struct errbuf *err)
{
	const char *doing = "reading repeated numbers";
	sqlite3_stmt *st = db_prepare(c->db, "SELECT row FROM temp.check_repeats WHERE row > ?1 "
				      "ORDER BY row LIMIT ?2", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->repeat_after);
	sqlite3_bind_int(st, 2, REPEAT_WINDOW);
	int rc;
	c->repeat_n = c->repeat_i = 0;
	while ((rc = db_step(c->db, st, doing, err)) == 1)
		c->repeat[c->repeat_n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	c->repeat_done = c->repeat_n < REPEAT_WINDOW;
	if (c->repeat_n)
		c->repeat_after = c->repeat[c->repeat_n - 1];
	return 0;
}

int sqlite_check_is_repeat(struct store_check *base, int64_t row, struct errbuf *err)
{
	struct sqlite_check *c = check_of(base);
	for (;;) {
		while (c->repeat_i < c->repeat_n && c->repeat[c->repeat_i] < row)
			c->repeat_i++;
		if (c->repeat_i < c->repeat_n)
			return c->repeat[c->repeat_i] == row;
		if (c->repeat_done)
			return 0;
		if (read_ahead(c, err) < 0)
			return -1;
	}
}

void sqlite_check_end(struct store_check *base)
{
	struct sqlite_check *c = check_of(base);
	sqlite3_finalize(c->insert);
	sqlite3_finalize(c->overlap);
	bloom_free(c->bloom);
	sqlite3_exec(c->db, "DROP TABLE IF EXISTS temp.check_seen; "
		     "DROP TABLE IF EXISTS temp.check_repeats", NULL, NULL, NULL);
	free(c);
}
