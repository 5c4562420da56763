/* pg_purge.c - the PostgreSQL engine's retention: deleting old finished
 * jobs with their history, a chunk per transaction, then emptied finished
 * rollouts (see store_purge in store_admin.h; the SQLite twin is
 * sqlite_purge.c). The space of deleted rows is made reusable by the
 * server's autovacuum: the result says so (autovacuum), with the server's
 * page size and no free-page figures. */
#include "pg_shared.h"

#include <inttypes.h>
#include <string.h>


/* A job that may go ($1 = the cutoff): final, last changed before the
 * cutoff, and of no rollout still in progress. */
#define PURGEABLE "j.state IN ('confirmed', 'failed', 'cancelled') AND j.updated_at < $1 " \
	"AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE r.name = j.rollout " \
	"AND r.state NOT IN ('done', 'cancelled'))"
/* The purgeable jobs of one chunk: ids in ($2, $3]. */
#define CHUNK_JOBS "SELECT j.id FROM jobs j WHERE j.id > $2 AND j.id <= $3 AND " PURGEABLE

/* Finds the chunk after `after` (the highest id of the next `chunk`
 * purgeable jobs, walking the primary key) and adds its history rows to
 * *out. One statement: one snapshot. Returns its job count (0 = none
 * left) with *hi set, or -1. */
static int64_t take_chunk(struct pg_store *s, const struct purge_spec *p, int chunk,
			  int64_t after, int64_t *hi, struct purge_result *out, struct errbuf *err)
{
	struct pg_params q = { 0 };
	pg_param_int(&q, p->cutoff);
	pg_param_int(&q, after);
	pg_param_int(&q, chunk);
	PGresult *res = pg_query(s, "WITH c AS (SELECT j.id FROM jobs j WHERE j.id > $2 AND "
		PURGEABLE " ORDER BY j.id LIMIT $3) SELECT (SELECT count(*) FROM c), "
		"(SELECT max(id) FROM c), "
		"(SELECT count(*) FROM attempts WHERE job_id IN (SELECT id FROM c)), "
		"(SELECT count(*) FROM events WHERE job_id IN (SELECT id FROM c)), "
		"(SELECT count(*) FROM sent_parts WHERE job_id IN (SELECT id FROM c))", &q,
		"finding jobs to purge", err);
	if (!res)
		return -1;
	int64_t n = pg_col_int(res, 0, 0, 0);
	*hi = pg_col_int(res, 0, 1, after);
	out->attempts += pg_col_int(res, 0, 2, 0);
	out->events += pg_col_int(res, 0, 3, 0);
	out->sent_parts += pg_col_int(res, 0, 4, 0);
	PQclear(res);
	return n;
}

/* Deletes the chunk's jobs; the cascade takes their history. Returns the
 * number of jobs deleted, or -1. */
static int64_t delete_chunk(struct pg_store *s, int64_t cutoff, int64_t lo, int64_t hi,
			    struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, cutoff);
	pg_param_int(&p, lo);
	pg_param_int(&p, hi);
	return pg_run(s, "DELETE FROM jobs WHERE id IN (" CHUNK_JOBS ")", &p, "purging jobs", err);
}

/* One chunk after *after: counted (dry run) or counted and deleted in its
 * own transaction. Returns 1 when a chunk was taken, 0 when none is left,
 * -1. */
static int purge_chunk(struct pg_store *s, const struct purge_spec *p, int chunk,
		       int64_t *after, struct purge_result *out, struct errbuf *err)
{
	const char *doing = "purging a chunk of jobs";
	struct purge_result counted = *out;
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int64_t hi;
	int64_t n = take_chunk(s, p, chunk, *after, &hi, &counted, err);
	if (n > 0 && !p->dry_run)
		n = delete_chunk(s, p->cutoff, *after, hi, err);
	if (n <= 0 || p->dry_run) {
		pg_tx_rollback(&t);
	} else if (pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	if (n <= 0)
		return n < 0 ? -1 : 0;
	*out = counted;
	out->jobs += n;
	out->transactions += p->dry_run ? 0 : 1;
	*after = hi;
	return 1;
}

/* The finished rollouts that no job names any more (after the purge's
 * deletes; in a dry run, those whose every job would go), last changed
 * before the cutoff. */
static int purge_rollouts(struct pg_store *s, const struct purge_spec *p,
			  struct purge_result *out, struct errbuf *err)
{
	const char *doing = "purging finished rollouts";
	struct pg_params q = { 0 };
	pg_param_int(&q, p->cutoff);
	if (p->dry_run)
		return pg_int(s, "SELECT count(*) FROM rollouts r WHERE r.state IN ('done', "
			      "'cancelled') AND r.updated_at < $1 AND NOT EXISTS (SELECT 1 FROM jobs j "
			      "WHERE j.rollout = r.name AND NOT (j.state IN ('confirmed', 'failed', "
			      "'cancelled') AND j.updated_at < $1))", &q, 0, &out->rollouts, doing,
			      err) < 0 ? -1 : 0;
	int64_t n = pg_run(s, "DELETE FROM rollouts WHERE state IN ('done', 'cancelled') AND "
			   "updated_at < $1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE "
			   "j.rollout = rollouts.name)", &q, doing, err);
	if (n < 0)
		return -1;
	out->rollouts = n;
	out->transactions++;
	return 0;
}

int pg_purge(struct store *base, const struct purge_spec *p, struct purge_result *out,
	     struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	int chunk = p->chunk > 0 ? p->chunk : STORE_PURGE_CHUNK;
	int64_t after = 0;
	int more;
	memset(out, 0, sizeof *out);
	while ((more = purge_chunk(s, p, chunk, &after, out, err)) > 0)
		;
	if (more < 0 || purge_rollouts(s, p, out, err) < 0 ||
	    pg_int(s, "SELECT current_setting('block_size')::integer", NULL, 0, &out->page_size,
		   "reading the page size", err) < 0)
		return -1;
	out->autovacuum = true;
	return 0;
}
