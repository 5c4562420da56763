/* test_purge.c - retention and the audit trail (store_admin.h): old final
 * jobs of finished rollouts and of no rollout go with their attempts,
 * events and parts, in chunks; jobs of active rollouts, recent or unfinished
 * jobs stay; emptied finished rollouts go; a dry run counts the same and
 * writes nothing; audit entries come back newest first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_admin.h"
#include "testutil_store.h"

#define DAY (24LL * 3600 * 1000)
#define NOW (1700000000000LL + 200 * DAY)
#define OLD (NOW - 100 * DAY)
#define RECENT (NOW - 10 * DAY)
#define CUTOFF (NOW - 90 * DAY)

struct fixture {
	char dir[64];
	char path[640];
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct errbuf err = { "" };
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_purge.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	test_store_location(f->path, sizeof f->path, f->dir, "store.db");
	if (store_open(f->path, &f->s, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->s);
	test_store_drop(f->path);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

static void sql(struct fixture *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (test_sql_exec(f->s, buf) < 0)
		fail_msg("%s: refused", buf);
}

static int64_t count(struct fixture *f, const char *query)
{
	return test_sql_int(f->s, query);
}

static void rollout(struct fixture *f, const char *name, const char *state, int64_t at)
{
	sql(f, "INSERT INTO rollouts (name, profile, waves, start_at, state, total_units, "
	    "created_at, updated_at) VALUES ('%s', 'p', '100', %lld, '%s', 1, %lld, %lld)",
	    name, (long long)at, state, (long long)at, (long long)at);
}

/* A job with one attempt, one event and one sent part. rollout NULL = none. */
static void job(struct fixture *f, int64_t id, const char *state, const char *rollout_name,
		int64_t at)
{
	char ro[80];
	snprintf(ro, sizeof ro, rollout_name ? "'%s'" : "NULL", rollout_name);
	sql(f, "INSERT INTO jobs (id, msisdn, profile, action, state, rollout, not_before, "
	    "max_attempts, created_at, updated_at) VALUES (%lld, '+4917012345', 'p', 'install', "
	    "'%s', %s, %lld, 3, %lld, %lld)", (long long)id, state, ro, (long long)at,
	    (long long)at, (long long)at);
	sql(f, "INSERT INTO attempts (job_id, started_at, finished_at, result) "
	    "VALUES (%lld, %lld, %lld, 'sent')", (long long)id, (long long)at, (long long)at);
	sql(f, "INSERT INTO events (job_id, at, kind) VALUES (%lld, %lld, 'sent')",
	    (long long)id, (long long)at);
	sql(f, "INSERT INTO sent_parts (job_id, attempt, part, part_count, modem, mr, sent_at) "
	    "VALUES (%lld, 1, 1, 1, 'm1', 7, %lld)", (long long)id, (long long)at);
}

/* Jobs 1-5 go: old final jobs of a done rollout, a cancelled one, none.
 * Jobs 10-16 stay: recent, unfinished, or of an active/paused/importing
 * rollout. Rollouts "done" and "gone" empty out ("gone" is cancelled). */
static void populate(struct fixture *f)
{
	rollout(f, "done", "done", OLD);
	rollout(f, "gone", "cancelled", OLD);
	rollout(f, "live", "active", OLD);
	rollout(f, "held", "paused", OLD);
	rollout(f, "new", "importing", OLD);
	rollout(f, "mixed", "done", OLD);
	job(f, 1, "confirmed", "done", OLD);
	job(f, 2, "failed", "done", OLD);
	job(f, 3, "cancelled", "gone", OLD);
	job(f, 4, "confirmed", NULL, OLD);
	job(f, 5, "failed", "mixed", OLD);
	job(f, 10, "confirmed", "mixed", RECENT);
	job(f, 11, "confirmed", "live", OLD);
	job(f, 12, "failed", "held", OLD);
	job(f, 13, "cancelled", "new", OLD);
	job(f, 14, "sent", NULL, OLD);
	job(f, 15, "delivered", NULL, OLD);
	job(f, 16, "queued", NULL, OLD);
}

static void assert_result(const struct purge_result *r)
{
	assert_int_equal(r->jobs, 5);
	assert_int_equal(r->attempts, 5);
	assert_int_equal(r->events, 5);
	assert_int_equal(r->sent_parts, 5);
	assert_int_equal(r->rollouts, 2);
}

static void test_purge_deletes_old_final_jobs(void **state)
{
	struct fixture *f = *state;
	populate(f);
	struct purge_spec p = { .cutoff = CUTOFF, .chunk = 2 };
	struct purge_result r;
	struct errbuf err = { "" };
	if (store_purge(f->s, &p, &r, &err) < 0)
		fail_msg("store_purge: %s", err.msg);
	assert_result(&r);
	assert_int_equal(r.transactions, 3 + 1);        /* chunks of 2, 2, 1; the rollouts */
	assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE id < 10"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE id >= 10"), 7);
	assert_int_equal(count(f, "SELECT count(*) FROM attempts"), 7);
	assert_int_equal(count(f, "SELECT count(*) FROM events"), 7);
	assert_int_equal(count(f, "SELECT count(*) FROM sent_parts"), 7);
	assert_int_equal(count(f, "SELECT count(*) FROM rollouts WHERE name IN ('done', 'gone')"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM rollouts"), 4);
	assert_false(r.incremental);    /* a new file is not in incremental mode */
	assert_true(r.page_size > 0);
	/* PostgreSQL's autovacuum gives the space back, SQLite's file keeps it. */
	assert_int_equal(r.autovacuum, test_engine_pg());

	/* Nothing left to do the second time. */
	assert_int_equal(store_purge(f->s, &p, &r, &err), 0);
	assert_int_equal(r.jobs, 0);
	assert_int_equal(r.rollouts, 0);
}

static void test_purge_dry_run_writes_nothing(void **state)
{
	struct fixture *f = *state;
	populate(f);
	/* SQLite counts every change of the connection; PostgreSQL has no such
	 * count (the row counts below stand for it there). */
	bool pg = test_engine_pg();
	int64_t before = pg ? 0 : count(f, "SELECT total_changes()");
	struct purge_spec p = { .cutoff = CUTOFF, .dry_run = true, .chunk = 3 };
	struct purge_result r;
	struct errbuf err = { "" };
	if (store_purge(f->s, &p, &r, &err) < 0)
		fail_msg("store_purge: %s", err.msg);
	assert_result(&r);
	assert_int_equal(r.transactions, 0);
	if (!pg)
		assert_int_equal(count(f, "SELECT total_changes()"), before);
	assert_int_equal(count(f, "SELECT count(*) FROM jobs"), 12);
	assert_int_equal(count(f, "SELECT count(*) FROM attempts"), 12);
	assert_int_equal(count(f, "SELECT count(*) FROM rollouts"), 6);
}

static void test_purge_reclaims_in_incremental_mode(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* SQLite's file and its free pages */
	sql(f, "PRAGMA auto_vacuum = INCREMENTAL");
	sql(f, "VACUUM");
	populate(f);
	char pad[600];
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	for (int i = 0; i < 200; i++)
		sql(f, "INSERT INTO attempts (job_id, started_at, finished_at, result, detail) "
		    "VALUES (1, 0, 0, 'sent', '%s')", pad);
	struct purge_spec p = { .cutoff = CUTOFF };
	struct purge_result r;
	struct errbuf err = { "" };
	if (store_purge(f->s, &p, &r, &err) < 0)
		fail_msg("store_purge: %s", err.msg);
	assert_true(r.incremental);
	assert_int_equal(r.attempts, 205);
	assert_true(r.pages_freed > 0);
	assert_int_equal(r.free_pages, 0);
}

static void test_purge_refuses_bad_spec(void **state)
{
	struct fixture *f = *state;
	struct purge_spec p = { .cutoff = 0 };
	struct purge_result r;
	struct errbuf err = { "" };
	assert_int_equal(store_purge(f->s, &p, &r, &err), -1);
	assert_non_null(strstr(err.msg, "cutoff"));
}

struct collected {
	struct audit_entry e[4];
	int n;
};

static int collect(const struct audit_entry *e, void *arg)
{
	struct collected *c = arg;
	c->e[c->n++] = *e;
	return c->n == 4;
}

static void test_audit_newest_first(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct audit_entry e = { .at = NOW, .user = "ops", .action = "cancel", .args = "17",
				 .result = "cancelled job 17" };
	assert_int_equal(store_audit_add(f->s, &e, &err), 0);
	snprintf(e.action, sizeof e.action, "purge");
	snprintf(e.args, sizeof e.args, "--older-than 90d");
	e.at = NOW + 1;
	assert_int_equal(store_audit_add(f->s, &e, &err), 0);
	struct collected c = { .n = 0 };
	assert_int_equal(store_audit_list(f->s, 0, collect, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.e[0].action, "purge");
	assert_string_equal(c.e[0].args, "--older-than 90d");
	assert_string_equal(c.e[1].action, "cancel");
	assert_string_equal(c.e[1].user, "ops");
	c.n = 0;
	assert_int_equal(store_audit_list(f->s, 1, collect, &c, &err), 0);
	assert_int_equal(c.n, 1);

	/* Control bytes and empty required fields are refused by name. */
	snprintf(e.args, sizeof e.args, "a\nb");
	assert_int_equal(store_audit_add(f->s, &e, &err), -1);
	assert_non_null(strstr(err.msg, "args"));
	e.args[0] = '\0';
	e.user[0] = '\0';
	assert_int_equal(store_audit_add(f->s, &e, &err), -1);
	assert_non_null(strstr(err.msg, "user"));
}

int main(void)
{
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_purge_deletes_old_final_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_reclaims_in_incremental_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_purge_refuses_bad_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_newest_first, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
