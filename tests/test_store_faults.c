/* test_store_faults.c - "faults never cost a unit its update", the store's
 * side: imports staged in state importing (invisible to claims until the
 * flip, cleaned up after an error or a crash), units busy in another
 * rollout refused, deadlines (never claimed, expired by store_expire),
 * last_error cleared at sent with the earlier errors kept in the history. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "rollout.h"
#include "pg_shared.h"
#include "sqlite_engine.h"
#include "testutil_store.h"
#include "store.h"

/* 2026-06-01 12:00:00 UTC */
#define T0 1780315200000LL

struct fixture {
	char dir[64], db[640], csv[128];
	struct cfg cfg;
	struct store *q;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_store_faults.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	test_store_location(f->db, sizeof f->db, f->dir, "otap.db");
	snprintf(f->csv, sizeof f->csv, "%s/units.csv", f->dir);
	char conf[160], text[1536];
	snprintf(conf, sizeof conf, "%s/otapd.conf", f->dir);
	snprintf(text, sizeof text,
		 "database = \"%s\";\n"
		 "profiles = ( { name = \"els61\"; password = \"pw\"; "
		 "jad_url = \"http://fw.example.com/a.jad\"; } );\n"
		 "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:1\"; } );\n", f->db);
	test_write_text(conf, text);
	struct errbuf err = { "" };
	if (cfg_load(conf, &f->cfg, &err) < 0 || store_open(f->db, &f->q, &err) < 0)
		fail_msg("setup: %s", err.msg);
	store_write_slice_ms = STORE_WRITE_SLICE_MS;
	/* PostgreSQL: COPYs of about 100 units, as SQLite's slices of 256
	 * with store_write_slice_ms = 0 (an import cut short has written most
	 * of its units). */
	pg_import_flush_bytes = 8192;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->q);
	cfg_free(&f->cfg);
	test_store_drop(f->db);
	test_remove_dir(f->dir);
	free(f);
	db_fault_countdown = 0;
	store_write_slice_ms = STORE_WRITE_SLICE_MS;
	pg_import_flush_bytes = PG_IMPORT_FLUSH_BYTES;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int64_t sql_int(struct store *q, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return test_sql_int(q, sql);
}

static struct rollout_spec spec(const char *name)
{
	return (struct rollout_spec){
		.name = name, .profile = "els61", .action = OTAP_ACTION_INSTALL,
		.window = WINDOW_ALWAYS, .tz = "UTC", .max_failure_pct = -1, .start_at = T0,
		.max_attempts = 3,
	};
}

/* Units +491700000<first>... to <first + n - 1>. */
static void write_fleet(struct fixture *f, int first, int n)
{
	FILE *out = fopen(f->csv, "w");
	assert_non_null(out);
	fprintf(out, "msisdn,label\n");
	for (int i = first; i < first + n; i++)
		fprintf(out, "+49170%07d,unit %d\n", i, i);
	assert_int_equal(fclose(out), 0);
}

static int create(struct fixture *f, const struct rollout_spec *s, struct errbuf *err)
{
	struct rollout_import_result res;
	return rollout_create(f->q, &f->cfg, s, f->csv, T0, NULL, &res, err);
}

static int64_t claim(struct store *q, int64_t now)
{
	struct job job;
	struct errbuf err = { "" };
	int rc = store_claim(q, "m1", now, &job, &err);
	if (rc < 0)
		fail_msg("claim: %s", err.msg);
	return rc ? job.id : 0;
}

/* ---- staged imports ---- */

static void test_staged_import_is_invisible_until_the_flip(void **state)
{
	struct fixture *f = *state;
	struct store *other;
	struct errbuf err = { "" };
	assert_int_equal(store_open(f->db, &other, &err), 0);
	store_write_slice_ms = 0;       /* every batch of 256 commits on its own */
	struct rollout r = { .name = "big", .profile = "els61", .window = WINDOW_ALWAYS,
			     .waves = { .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } },
			     .max_failure_pct = -1, .start_at = T0, .total_units = 1000,
			     .gate_open = true };
	struct store_import *imp;
	assert_int_equal(store_import_begin(f->q, &r, 3, T0, &imp, &err), 0);
	char msisdn[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(msisdn, sizeof msisdn, "+49170%07d", i);
		struct import_unit u = { .msisdn = msisdn, .profile = "els61", .wave = 1,
					 .not_before = T0, .line = (size_t)i + 2 };
		assert_int_equal(store_import_add(imp, &u, &err), 0);
	}
	/* Committed, but neither claimed nor counted as a live rollout. */
	assert_true(sql_int(other, "SELECT count(*) FROM jobs WHERE rollout = 'big'") >= 768);
	struct rollout got;
	assert_int_equal(store_rollout_get(other, "big", &got, &err), 1);
	assert_int_equal(got.state, ROLLOUT_IMPORTING);
	assert_string_equal(rollout_state_name(got.state), "importing");
	assert_int_equal(claim(other, T0 + 1000), 0);
	if (test_engine_pg()) {
		/* PostgreSQL: the import is its connection's (an advisory lock
		 * of the session), so any other connection is refused, and
		 * giving up deletes what was staged. */
		assert_int_equal(store_rollout_cancel(other, "big", T0, NULL, &err), -1);
		assert_non_null(strstr(err.msg, "rollout big is being imported"));
		store_import_abort(imp);
		assert_int_equal(store_rollout_get(other, "big", &got, &err), 0);
		assert_int_equal(sql_int(other, "SELECT count(*) FROM jobs"), 0);
		store_close(other);
		return;
	}
	/* SQLite: inside one process a running import looks like its own: the
	 * cancel deletes it (another process's live import is refused), and
	 * the flip then says why it cannot happen. */
	assert_int_equal(store_rollout_cancel(other, "big", T0, NULL, &err), 0);
	assert_int_equal(store_import_commit(imp, &err), -1);
	assert_non_null(strstr(err.msg, "cancelled or taken over"));
	store_close(other);
}

static void test_flip_makes_the_rollout_claimable(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	store_write_slice_ms = 0;
	write_fleet(f, 1, 600);
	struct rollout_spec s = spec("r");
	if (create(f, &s, &err) < 0)
		fail_msg("create: %s", err.msg);
	struct rollout got;
	assert_int_equal(store_rollout_get(f->q, "r", &got, &err), 1);
	assert_int_equal(got.state, ROLLOUT_ACTIVE);
	assert_int_equal(got.total_units, 600);
	assert_int_equal(got.importer_pid, 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 'r'"), 600);
	assert_true(claim(f->q, T0 + 1) > 0);
}

static void test_error_mid_import_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* faults injected into SQLite's steps */
	struct errbuf err = { "" };
	store_write_slice_ms = 0;
	write_fleet(f, 1, 2000);
	struct rollout_spec s = spec("r");
	/* Some batches get in, then the database "fails". */
	db_fault_countdown = 40;
	assert_int_equal(create(f, &s, &err), -1);
	db_fault_countdown = 0;
	assert_non_null(strstr(err.msg, "injected fault"));
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM rollouts"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 0);
}

/* A child process imports and dies before the flip: a real crash. */
static void crash_mid_import(struct fixture *f, const char *name, int units)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *q;
		struct errbuf err;
		struct store_import *imp;
		struct rollout r = { .window = WINDOW_ALWAYS, .max_failure_pct = -1,
				     .waves = { .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } },
				     .start_at = T0, .total_units = units, .gate_open = true };
		snprintf(r.name, sizeof r.name, "%s", name);
		snprintf(r.profile, sizeof r.profile, "els61");
		store_write_slice_ms = 0;
		if (store_open(f->db, &q, &err) < 0 || store_import_begin(q, &r, 3, T0, &imp, &err) < 0)
			_exit(1);
		char msisdn[32];
		for (int i = 0; i < units; i++) {
			snprintf(msisdn, sizeof msisdn, "+49171%07d", i);
			struct import_unit u = { .msisdn = msisdn, .profile = "els61", .wave = 1,
						 .not_before = T0, .line = (size_t)i + 2 };
			if (store_import_add(imp, &u, &err) < 0)
				_exit(1);
		}
		_exit(0);       /* no commit, no abort: killed mid-import */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_crash_mid_import_is_cleaned_by_create_and_cancel(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	crash_mid_import(f, "r", 3000);
	struct rollout got;
	assert_int_equal(store_rollout_get(f->q, "r", &got, &err), 1);
	assert_int_equal(got.state, ROLLOUT_IMPORTING);
	assert_true(sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 'r'") >= 2816);
	assert_int_equal(claim(f->q, T0 + 1), 0);
	/* create of the same name deletes the leftovers and imports afresh */
	write_fleet(f, 1, 10);
	struct rollout_spec s = spec("r");
	if (create(f, &s, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 'r'"), 10);
	assert_int_equal(store_rollout_get(f->q, "r", &got, &err), 1);
	assert_int_equal(got.state, ROLLOUT_ACTIVE);
	/* cancel deletes another crashed import, row and jobs */
	crash_mid_import(f, "s", 1000);
	int64_t jobs = 0;
	assert_int_equal(store_rollout_cancel(f->q, "s", T0, &jobs, &err), 0);
	assert_true(jobs >= 768);
	assert_int_equal(store_rollout_get(f->q, "s", &got, &err), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 's'"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 10);
}

/* ---- overlapping rollouts ---- */

static void test_overlap_is_refused_unless_allowed(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct rollout_spec s = spec("first");
	write_fleet(f, 1, 10);
	assert_int_equal(create(f, &s, &err), 0);
	/* units 8-10 are busy in "first" */
	write_fleet(f, 8, 10);
	s = spec("second");
	assert_int_equal(create(f, &s, &err), -1);
	assert_non_null(strstr(err.msg, "3 units have an open job in another rollout (first)"));
	assert_non_null(strstr(err.msg, "+491700000008, +491700000009, +491700000010"));
	assert_non_null(strstr(err.msg, "--allow-overlap"));
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM rollouts WHERE name = 'second'"), 0);
	s.allow_overlap = true;
	if (create(f, &s, &err) < 0)
		fail_msg("create --allow-overlap: %s", err.msg);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 'second'"), 10);
	/* a cancelled rollout holds nothing */
	assert_int_equal(store_rollout_cancel(f->q, "first", T0, NULL, &err), 0);
	assert_int_equal(store_rollout_cancel(f->q, "second", T0, NULL, &err), 0);
	s = spec("third");
	assert_int_equal(create(f, &s, &err), 0);
}

/* ---- deadlines ---- */

static void test_deadline_expires_unsent_jobs(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job_new due = { .msisdn = "+491701111111", .profile = "els61", .not_before = T0,
			       .max_attempts = 3, .deadline = T0 + 60000 };
	struct job_new open = due;
	open.msisdn = "+491702222222";
	open.deadline = 0;
	int64_t a, b;
	assert_int_equal(store_enqueue(f->q, &due, T0, &a, &err), 0);
	assert_int_equal(store_enqueue(f->q, &open, T0, &b, &err), 0);
	struct job job;
	assert_int_equal(store_get(f->q, a, &job, &err), 1);
	assert_int_equal(job.deadline, T0 + 60000);
	/* Past its deadline it is never claimed, even before store_expire. */
	assert_int_equal(claim(f->q, T0 + 60000), b);
	int64_t count = -1;
	assert_int_equal(store_expire(f->q, T0 + 59999, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(store_expire(f->q, T0 + 60000, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_get(f->q, a, &job, &err), 1);
	assert_int_equal(job.state, JOB_FAILED);
	assert_string_equal(job.last_error, "expired");
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts WHERE job_id = %lld AND "
				 "result = 'expired'", (long long)a), 1);
	/* the job being sent is left alone */
	assert_int_equal(store_get(f->q, b, &job, &err), 1);
	assert_int_equal(job.state, JOB_SENDING);
}

/* store_expire_each's callback: how many, and whether each was failed
 * already (committed) when told. */
struct told {
	struct store *q;
	int64_t count;
	int64_t not_failed;
};

static void tell_expired(int64_t id, void *arg)
{
	struct told *t = arg;
	struct errbuf err;
	struct job job;
	t->count++;
	if (store_get(t->q, id, &job, &err) != 1 || job.state != JOB_FAILED)
		t->not_failed++;
}

static void test_rollout_deadline_reaches_every_unit(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	write_fleet(f, 1, 1200);
	struct rollout_spec s = spec("late");
	s.deadline = T0 + 3600000;
	s.waves = (struct rollout_waves){ .count = 2, .pct = { 10 * ROLLOUT_PCT_SCALE,
							       100 * ROLLOUT_PCT_SCALE } };
	assert_int_equal(create(f, &s, &err), 0);
	struct rollout got;
	assert_int_equal(store_rollout_get(f->q, "late", &got, &err), 1);
	assert_int_equal(got.deadline, T0 + 3600000);
	int64_t count = 0;
	struct told told = { .q = f->q };
	assert_int_equal(store_expire_each(f->q, T0 + 3600000, tell_expired, &told, &count, &err), 0);
	assert_int_equal(count, 1200);  /* more than one batch, waiting waves too */
	assert_int_equal(told.count, 1200);     /* each job told once, after its commit */
	assert_int_equal(told.not_failed, 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE state = 'failed' AND "
				 "last_error = 'expired'"), 1200);
}

/* ---- history ---- */

static void test_last_error_is_cleared_at_sent(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job_new n = { .msisdn = "+491701111111", .profile = "els61", .not_before = T0,
			     .max_attempts = 3 };
	int64_t id;
	assert_int_equal(store_enqueue(f->q, &n, T0, &id, &err), 0);
	assert_int_equal(claim(f->q, T0), id);
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0,
				 .cms_error = 42, .detail = "+CMS ERROR: 42 congestion" };
	assert_int_equal(store_retry_later(f->q, id, T0, true, &o, NULL, &err), 0);
	assert_int_equal(claim(f->q, T0), id);
	struct job_outcome sent = { .modem = "m1", .started_at = T0, .finished_at = T0 + 1,
				    .cms_error = -1 };
	assert_int_equal(store_mark_sent(f->q, id, &sent, NULL, &err), 0);
	struct job job;
	assert_int_equal(store_get(f->q, id, &job, &err), 1);
	assert_int_equal(job.state, JOB_SENT);
	assert_string_equal(job.last_error, "");
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts WHERE job_id = %lld AND "
				 "cms_error = 42 AND detail LIKE '%%congestion'", (long long)id), 1);
}

int main(void)
{
	log_init("test_store_faults", LOG_LEVEL_ERROR);
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_staged_import_is_invisible_until_the_flip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_makes_the_rollout_claimable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_mid_import_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_mid_import_is_cleaned_by_create_and_cancel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_is_refused_unless_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_expires_unsent_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollout_deadline_reaches_every_unit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_last_error_is_cleared_at_sent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
