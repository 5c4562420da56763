/* test_pg_store.c - where the PostgreSQL engine's store differs from
 * SQLite's, against the throw-away cluster (tests/pg_cluster.sh): the
 * import's COPY carries any byte of a unit's metadata (quotes, tabs,
 * backslashes, newlines, control bytes) unchanged; two instances advancing
 * the same rollout at once open its next wave exactly once; an import that
 * runs holds its name against other importers on any host, and one that
 * died is cleaned up by a cancel; a job queued again on a report wakes
 * the other instances' idle modems; the metrics come from one snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_metrics.h"
#include "store_rollouts.h"
#include "testutil_store.h"

/* 2026-06-01 12:00:00 UTC */
#define T0 1780315200000LL

struct fixture {
	char location[640];
	struct store *q;
};

static struct store *open_ok(const char *location)
{
	struct errbuf err = { "" };
	struct store *s;
	if (store_open(location, &s, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	test_store_location(f->location, sizeof f->location, "/nonexistent", "unused.db");
	f->q = open_ok(f->location);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->q);
	test_store_drop(f->location);
	free(f);
	return 0;
}

/* A rollout of waves 50%,100% of `units` units. */
static struct rollout two_waves(const char *name, int64_t units)
{
	struct rollout r = { .action = OTAP_ACTION_INSTALL, .window = WINDOW_ALWAYS,
			     .max_failure_pct = -1, .start_at = T0, .total_units = units,
			     .gate_open = true };
	snprintf(r.name, sizeof r.name, "%s", name);
	snprintf(r.profile, sizeof r.profile, "p");
	assert_int_equal(rollout_waves_parse("50,100", &r.waves, NULL), 0);
	return r;
}

static struct import_unit unit(int i, int wave, const char *msisdn)
{
	return (struct import_unit){ .msisdn = msisdn, .profile = "p", .wave = wave,
				     .not_before = wave == 1 ? T0 : STORE_WAITING_FOR_WAVE,
				     .line = (size_t)i + 2 };
}

/* Imports units numbered +4917000000<i>, the first half in wave 1. */
static void import_units(struct store *q, const char *name, int units)
{
	struct errbuf err = { "" };
	struct rollout r = two_waves(name, units);
	struct store_import *imp;
	if (store_import_begin(q, &r, 3, T0, &imp, &err) < 0)
		fail_msg("import_begin: %s", err.msg);
	for (int i = 0; i < units; i++) {
		char msisdn[24];
		snprintf(msisdn, sizeof msisdn, "+4917%08d", i);
		struct import_unit u = unit(i, i < units / 2 ? 1 : 2, msisdn);
		if (store_import_add(imp, &u, &err) < 0)
			fail_msg("import_add: %s", err.msg);
	}
	if (store_import_commit(imp, &err) < 0)
		fail_msg("import_commit: %s", err.msg);
}

/* ---- COPY ---- */

struct meta_seen {
	char text[4][64];
	int n;
};

static void on_meta(const char *key, const char *value, void *arg)
{
	struct meta_seen *m = arg;
	snprintf(m->text[m->n++], sizeof m->text[0], "%s=%s", key, value);
}

/* The stored meta of job id equals want byte for byte (compared by the
 * server: the value goes as a parameter, not through COPY). */
static bool meta_is(struct store *q, int64_t id, const char *want)
{
	char sql[64];
	snprintf(sql, sizeof sql, "SELECT meta = $1 FROM jobs WHERE id = %lld", (long long)id);
	const char *values[1] = { want };
	PGresult *r = PQexecParams(store_pg_conn(q), sql, 1, NULL, values, NULL, NULL, 0);
	bool same = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return same;
}

static void test_copy_carries_every_byte(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	/* What COPY's text format gives meaning to: tab, newline, carriage
	 * return, backslash (also before N, the NULL marker, and before a
	 * dot, the old end marker), and any other byte but NUL. */
	const char *raw[] = {
		"a\tb\nc\rd\\e",
		"\\N",
		"\\.",
		"\x01\x02\x1b[31m\x7f 'quoted' \"double\" ;,",
		"{\"label\":\"A; \\\"1\\\"\",\"path\":\"C:\\\\x\\ty\"}",
	};
	enum { N = sizeof raw / sizeof raw[0] };
	struct rollout r = two_waves("bytes", N + 1);
	struct store_import *imp;
	if (store_import_begin(f->q, &r, 3, T0, &imp, &err) < 0)
		fail_msg("import_begin: %s", err.msg);
	for (int i = 0; i <= N; i++) {
		char msisdn[24];
		snprintf(msisdn, sizeof msisdn, "+4917%08d", i);
		struct import_unit u = unit(i, 1, msisdn);
		if (i < N) {
			u.meta = raw[i];
			u.meta_len = strlen(raw[i]);
		}
		if (store_import_add(imp, &u, &err) < 0)
			fail_msg("import_add: %s", err.msg);
	}
	if (store_import_commit(imp, &err) < 0)
		fail_msg("import_commit: %s", err.msg);
	for (int i = 0; i < N; i++)
		assert_true(meta_is(f->q, i + 1, raw[i]));
	/* No metadata is NULL, not the text "\N". */
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM jobs WHERE meta IS NULL"), 1);
	/* The JSON one reads back through the store, keys in order. */
	struct meta_seen m = { .n = 0 };
	assert_int_equal(store_job_meta(f->q, N, on_meta, &m, &err), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.text[0], "label=A; \"1\"");
	assert_string_equal(m.text[1], "path=C:\\x\ty");
	struct rollout got;
	assert_int_equal(store_rollout_get(f->q, "bytes", &got, &err), 1);
	assert_int_equal(got.state, ROLLOUT_ACTIVE);
	assert_int_equal(got.total_units, N + 1);
}

/* The units store.c lets through are ones the schema takes, so the
 * server's refusal of a COPY is made with a CHECK added under the import:
 * the import fails naming its lines, and nothing of it stays. */
static void test_failed_copy_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct rollout r = two_waves("broken", 2);
	struct store_import *imp;
	assert_int_equal(store_import_begin(f->q, &r, 3, T0, &imp, &err), 0);
	struct import_unit u = unit(0, 1, "+491700000001");
	assert_int_equal(store_import_add(imp, &u, &err), 0);
	assert_int_equal(test_sql_exec(f->q, "ALTER TABLE jobs ADD CONSTRAINT no_units "
				       "CHECK (msisdn <> '+491700000001')"), 0);
	assert_int_equal(store_import_commit(imp, &err), -1);
	assert_non_null(strstr(err.msg, "lines 2-2: importing units"));
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM rollouts"), 0);
	/* The name is free again. */
	assert_int_equal(test_sql_exec(f->q, "ALTER TABLE jobs DROP CONSTRAINT no_units"), 0);
	import_units(f->q, "broken", 2);
}

/* ---- two instances advancing one rollout ---- */

struct racer {
	const char *location;
	pthread_barrier_t *start;
	bool opened;
	int rc;
	char err[sizeof ((struct errbuf *)0)->msg];
};

static int decisions;           /* decide calls, both threads */
static pthread_mutex_t decisions_lock = PTHREAD_MUTEX_INITIALIZER;

/* Opens the next wave when the current one is final; lingers first, so
 * that the other instance's advance certainly runs meanwhile. */
static void decide(const struct rollout *r, const struct wave_facts *f,
		   struct rollout_decision *out)
{
	(void)r;
	pthread_mutex_lock(&decisions_lock);
	decisions++;
	pthread_mutex_unlock(&decisions_lock);
	nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000000L }, NULL);
	out->move = !f->busy && !f->last ? ROLLOUT_OPEN_NEXT : ROLLOUT_WAIT;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct store *q = open_ok(r->location);
	struct errbuf err = { "" };
	pthread_barrier_wait(r->start);
	r->rc = store_rollout_advance(q, "race", T0 + 1000, decide, &r->opened, &err);
	snprintf(r->err, sizeof r->err, "%s", err.msg);
	store_close(q);
	return NULL;
}

static void test_one_instance_opens_the_wave(void **state)
{
	struct fixture *f = *state;
	import_units(f->q, "race", 4);
	/* Wave 1 (two units) is final. */
	assert_int_equal(test_sql_exec(f->q, "UPDATE jobs SET state = 'failed' WHERE wave = 1"), 0);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct racer a = { f->location, &start, false, 0, "" }, b = a;
	pthread_t ta, tb;
	decisions = 0;
	assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	if (a.rc < 0 || b.rc < 0)
		fail_msg("advance: %s%s", a.err, b.err);
	assert_int_equal(a.opened + b.opened, 1);
	/* The first saw wave 1 final and opened 2, then waited on wave 2; the
	 * second, once the lock was free, saw wave 2 open and busy. */
	assert_int_equal(decisions, 3);
	struct rollout r;
	struct errbuf err = { "" };
	assert_int_equal(store_rollout_get(f->q, "race", &r, &err), 1);
	assert_int_equal(r.current_wave, 2);
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM jobs WHERE wave = 2 AND "
				      "not_before = 1780315201000"), 2);
}

/* ---- imports on several hosts ---- */

/* The child imports "held" (a COPY's worth of units: they are committed)
 * and says so on ready, then waits to be killed. */
static void import_and_hang(const char *location, int ready)
{
	struct store *q;
	struct errbuf err = { "" };
	if (store_open(location, &q, &err) < 0)
		_exit(2);
	struct rollout r = two_waves("held", 60000);
	struct store_import *imp;
	if (store_import_begin(q, &r, 3, T0, &imp, &err) < 0)
		_exit(3);
	for (int i = 0; i < 60000; i++) {
		char msisdn[24];
		snprintf(msisdn, sizeof msisdn, "+4917%08d", i);
		struct import_unit u = unit(i, 1, msisdn);
		if (store_import_add(imp, &u, &err) < 0)
			_exit(4);
	}
	if (write(ready, "r", 1) != 1)
		_exit(5);
	pause();
	_exit(0);
}

static void test_dead_import_is_cleaned_up(void **state)
{
	struct fixture *f = *state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		import_and_hang(f->location, fds[1]);
	}
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	int64_t staged = test_sql_int(f->q, "SELECT count(*) FROM jobs WHERE rollout = 'held'");
	assert_true(staged > 0);

	/* While it runs, the name is its own: no second import, no cancel. */
	struct errbuf err = { "" };
	struct rollout r = two_waves("held", 1);
	struct store_import *imp;
	assert_int_equal(store_import_begin(f->q, &r, 3, T0, &imp, &err), -1);
	assert_non_null(strstr(err.msg, "rollout held is being imported by another otapctl"));
	int64_t jobs = -1;
	assert_int_equal(store_rollout_cancel(f->q, "held", T0, &jobs, &err), -1);
	assert_non_null(strstr(err.msg, "is being imported"));

	/* Killed: its connection ends, the server lets the lock go. */
	kill(child, SIGKILL);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	/* Killed: its connection ends and the server lets its lock go, soon
	 * but not at once. */
	int rc = -1;
	for (int i = 0; i < 500 && rc < 0; i++) {
		rc = store_rollout_cancel(f->q, "held", T0, &jobs, &err);
		if (rc < 0 && !strstr(err.msg, "is being imported"))
			fail_msg("cancel: %s", err.msg);
		if (rc < 0)
			nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(jobs, staged);
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(test_sql_int(f->q, "SELECT count(*) FROM rollouts"), 0);
}

/* ---- wake-ups ---- */

static bool plan_requeue(const struct job_view *j, void *arg, struct job_change *c)
{
	(void)j;
	(void)arg;
	c->state = JOB_QUEUED;
	c->requeue = true;
	c->result = "unconfirmed";
	return true;
}

/* Waits up to 5 s for q's data version to move from v. */
static bool version_moves(struct store *q, int64_t v)
{
	struct errbuf err = { "" };
	int64_t now = v;
	for (int i = 0; i < 500 && now == v; i++) {
		assert_int_equal(store_data_version(q, &now, &err), 0);
		if (now == v)
			nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
	return now != v;
}

static void test_requeue_on_a_report_wakes_idle_modems(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job_new jn = { .msisdn = "+491700000001", .profile = "p", .not_before = T0,
			      .max_attempts = 3 };
	int64_t id;
	struct job job;
	assert_int_equal(store_enqueue(f->q, &jn, T0, &id, &err), 0);
	assert_int_equal(store_claim(f->q, "m1", T0, &job, &err), 1);
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0,
				 .result = "sent", .cms_error = -1 };
	assert_int_equal(store_mark_sent(f->q, id, &o, NULL, &err), 0);
	/* Another instance's idle modem, listening from here on. */
	struct store *other = open_ok(f->location);
	int64_t v;
	assert_int_equal(store_data_version(other, &v, &err), 0);
	struct store_rules rules = { .plan = plan_requeue };
	int n = 0;
	assert_int_equal(store_apply_unconfirmed(f->q, "p", T0 + 1, &rules, T0 + 2, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(version_moves(other, v));
	store_close(other);
}

/* ---- metrics ---- */

struct metrics_seen {
	int begun[STORE_METRIC_COUNT];
	int64_t queued, rollout_queued;
};

static void seen_begin(void *arg, enum store_metric m)
{
	struct metrics_seen *w = arg;
	w->begun[m]++;
}

static void seen_row(void *arg, enum store_metric m, const struct store_metric_row *r)
{
	struct metrics_seen *w = arg;
	if (m == STORE_METRIC_JOBS && r->state == JOB_QUEUED)
		w->queued = r->value;
	if (m == STORE_METRIC_ROLLOUT_JOBS && r->state == JOB_QUEUED)
		w->rollout_queued += r->value;
}

static void test_metrics_in_one_snapshot(void **state)
{
	struct fixture *f = *state;
	import_units(f->q, "m", 6);
	struct metrics_seen w = { { 0 }, 0, 0 };
	struct store_metrics_sink sink = { seen_begin, seen_row, &w };
	struct errbuf err = { "" };
	assert_int_equal(store_metrics_read(f->q, T0, &sink, &err), 0);
	for (int m = 0; m < STORE_METRIC_COUNT; m++)
		assert_int_equal(w.begun[m], 1);
	assert_int_equal(w.queued, 6);
	assert_int_equal(w.rollout_queued, 6);
	assert_false(test_in_transaction(f->q));
}

int main(void)
{
	log_init("test_pg_store", LOG_LEVEL_ERROR);
	char url[512];
	if (!test_pg_url(url, sizeof url)) {
		printf("SKIP: no PostgreSQL test cluster\n");
		return TEST_SKIP;
	}
	setenv("OTAP_TEST_ENGINE", "postgresql", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_carries_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_copy_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_instance_opens_the_wave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_import_is_cleaned_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue_on_a_report_wakes_idle_modems, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_metrics_in_one_snapshot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
