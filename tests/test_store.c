/* test_store.c - the store's transactions under faults: a SQLITE_BUSY
 * injected at every step of a transition (db_fault_countdown) or a real
 * write lock held by another connection leaves the job exactly as it was
 * or fully changed, never half; recording a send puts 'sent' and its parts
 * in together, so a crash at any point leaves a job that is either still
 * sending or sent with matchable parts. Under PostgreSQL (test_store_pg)
 * the injected faults are SQLite's and skip; a row lock held by another
 * connection stands for the write lock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "sqlite_engine.h"
#include "store.h"
#include "testutil_store.h"
#include "store_metrics.h"
#include "store_reports.h"
#include "store_rollouts.h"

#define T0 1700000000000LL
#define MSISDN "+491701234567"

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
	snprintf(f->dir, sizeof f->dir, "/tmp/test_store.XXXXXX");
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
	db_fault_countdown = 0;
	store_close(f->s);
	test_store_drop(f->path);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

static int64_t count(struct fixture *f, const char *sql, int64_t id)
{
	return test_sql_int_id(f->s, sql, id);
}

/* A queued job claimed by m1: in sending. */
static int64_t sending_job(struct fixture *f)
{
	struct job_new jn = { .msisdn = MSISDN, .profile = "p", .action = OTAP_ACTION_INSTALL,
			      .not_before = T0, .max_attempts = 3 };
	struct errbuf err = { "" };
	struct job job;
	int64_t id;
	assert_int_equal(store_enqueue(f->s, &jn, T0, &id, &err), 0);
	assert_int_equal(store_claim(f->s, "m1", T0, &job, &err), 1);
	assert_int_equal(job.id, id);
	return id;
}

/* Everything a send leaves behind: the state, the attempt rows, the parts. */
struct trace {
	enum job_state state;
	int attempts;
	int64_t attempt_rows, parts;
	bool sent_at;
};

static struct trace trace_of(struct fixture *f, int64_t id)
{
	struct errbuf err = { "" };
	struct job job;
	assert_int_equal(store_get(f->s, id, &job, &err), 1);
	return (struct trace){
		.state = job.state,
		.attempts = job.attempts,
		.attempt_rows = count(f, "SELECT count(*) FROM attempts WHERE job_id = ?1", id),
		.parts = count(f, "SELECT count(*) FROM sent_parts WHERE job_id = ?1", id),
		.sent_at = count(f, "SELECT sent_at IS NOT NULL FROM jobs WHERE id = ?1", id),
	};
}

static int mark_sent(struct fixture *f, int64_t id, struct errbuf *err)
{
	static const int mr[] = { 17, 18 };
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0 + 10,
				 .result = "sent", .cms_error = -1, .mrs = "17,18" };
	struct sent_parts parts = { mr, 2, NULL };
	return store_mark_sent(f->s, id, &o, &parts, err);
}

/* A failure at step k of recording a send, for every k until the send goes
 * through: each failure leaves the job untouched (as a kill -9 at that
 * point would: the transaction is not committed), and the one that goes
 * through leaves 'sent' with both parts. */
static void test_mark_sent_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* faults injected into SQLite's steps */
	int64_t id = sending_job(f);
	struct trace before = trace_of(f, id);
	int k;
	for (k = 1; k < 100; k++) {
		struct errbuf err = { "" };
		db_fault_countdown = k;
		int rc = mark_sent(f, id, &err);
		bool fired = db_fault_countdown == 0;
		db_fault_countdown = 0;
		struct trace t = trace_of(f, id);
		if (rc == 0) {
			assert_false(fired);
			assert_int_equal(t.state, JOB_SENT);
			assert_int_equal(t.attempts, 1);
			assert_int_equal(t.attempt_rows, 1);
			assert_int_equal(t.parts, 2);
			assert_true(t.sent_at);
			break;
		}
		assert_true(fired);
		assert_non_null(strstr(err.msg, "database is locked"));
		assert_int_equal(t.state, before.state);
		assert_int_equal(t.attempts, before.attempts);
		assert_int_equal(t.attempt_rows, before.attempt_rows);
		assert_int_equal(t.parts, 0);
		assert_false(t.sent_at);
	}
	assert_true(k > 3);     /* the fault really hit several steps */
	assert_true(k < 100);
}

static bool plan_delivered(const struct job_view *j, void *arg, struct job_change *c)
{
	(void)arg;
	c->state = j->part == j->part_count ? JOB_DELIVERED : j->state;
	c->delivered = c->state == JOB_DELIVERED;
	c->result = "delivered";
	return true;
}

/* The parts recorded with 'sent' are what a later status report matches. */
static void test_sent_parts_match_a_report(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	int64_t id = sending_job(f);
	assert_int_equal(mark_sent(f, id, &err), 0);
	struct store_rules rules = { .plan = plan_delivered };
	struct notify_applied applied;
	assert_int_equal(store_apply_status_report(f->s, "m1", 18, MSISDN, &rules, T0 + 20,
						   &applied, &err), 0);
	assert_int_equal(applied.job_id, id);
	assert_int_equal(applied.after, JOB_DELIVERED);
	assert_int_equal(trace_of(f, id).state, JOB_DELIVERED);
}

/* Another connection holds the write lock past the busy timeout: the
 * transition is refused with the reason, nothing is written, and it goes
 * through once the lock is free. */
static void test_held_lock_refuses_cleanly(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	int64_t id = sending_job(f);
	struct store *other;
	assert_int_equal(store_open(f->path, &other, &err), 0);
	char lock[128];
	/* PostgreSQL locks rows: the job's row is the lock to hold. */
	snprintf(lock, sizeof lock, test_engine_pg() ? "BEGIN; SELECT 1 FROM jobs WHERE id = %lld "
		 "FOR UPDATE" : "BEGIN IMMEDIATE", (long long)id);
	assert_int_equal(test_sql_exec(other, lock), 0);
	store_set_busy_timeout(f->s, 50);       /* instead of 10 s */
	assert_int_equal(mark_sent(f, id, &err), -1);
	assert_non_null(strstr(err.msg, "recording the outcome of a try: "));
	assert_non_null(strstr(err.msg, test_engine_pg() ? "lock timeout" : "database is locked"));
	struct trace t = trace_of(f, id);
	assert_int_equal(t.state, JOB_SENDING);
	assert_int_equal(t.attempt_rows, 0);
	assert_int_equal(t.parts, 0);
	assert_int_equal(test_sql_exec(other, "COMMIT"), 0);
	store_close(other);
	assert_int_equal(mark_sent(f, id, &err), 0);
	assert_int_equal(trace_of(f, id).state, JOB_SENT);
}

/* The same for a retry that uses up the last attempt: failed with its
 * attempt row, or untouched. */
static void test_retry_later_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* faults injected into SQLite's steps */
	int64_t id = sending_job(f);
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0 + 10,
				 .result = "transient", .cms_error = 42, .detail = "congestion" };
	for (int k = 1; k < 100; k++) {
		struct errbuf err = { "" };
		db_fault_countdown = k;
		int rc = store_retry_later(f->s, id, T0 + 1000, true, &o, NULL, &err);
		db_fault_countdown = 0;
		struct trace t = trace_of(f, id);
		if (rc == 0) {
			assert_int_equal(t.state, JOB_QUEUED);
			assert_int_equal(t.attempts, 1);
			assert_int_equal(t.attempt_rows, 1);
			return;
		}
		assert_int_equal(t.state, JOB_SENDING);
		assert_int_equal(t.attempts, 0);
		assert_int_equal(t.attempt_rows, 0);
	}
	fail_msg("store_retry_later never went through");
}

/* A rollout import that fails half-way leaves nothing any claim or count
 * sees: its rollout is never active, and the next import of the name
 * (or a cancel) cleans up what a failed cleanup left in 'importing'. */
static int import_600(struct fixture *f, const struct rollout *r, struct errbuf *err)
{
	struct store_import *imp;
	int rc = store_import_begin(f->s, r, 3, T0, &imp, err);
	for (int i = 0; rc == 0 && i < 600; i++) {
		char msisdn[32];
		snprintf(msisdn, sizeof msisdn, "+4917000%05d", i);
		struct import_unit u = { .msisdn = msisdn, .profile = "p", .wave = 1,
					 .not_before = T0, .line = (size_t)i + 2 };
		rc = store_import_add(imp, &u, err);
		if (rc < 0)
			store_import_abort(imp);
	}
	return rc == 0 ? store_import_commit(imp, err) : -1;
}

static void test_import_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* faults injected into SQLite's steps */
	struct rollout r = { .name = "r1", .profile = "p", .window = WINDOW_ALWAYS,
			     .waves = { .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } },
			     .current_wave = 1, .max_failure_pct = -1, .total_units = 600,
			     .gate_open = true };
	for (int k = 1; k < 400; k += 7) {
		struct errbuf err = { "" };
		db_fault_countdown = k;
		int rc = import_600(f, &r, &err);
		bool fired = db_fault_countdown == 0;
		db_fault_countdown = 0;
		int64_t visible = count(f, "SELECT count(*) FROM jobs j JOIN rollouts r ON "
				       "r.name = j.rollout WHERE r.state <> 'importing' AND ?1 = ?1", 0);
		int64_t active = count(f, "SELECT count(*) FROM rollouts WHERE state <> 'importing' "
				      "AND ?1 = ?1", 0);
		if (rc == 0) {
			assert_int_equal(visible, 600);
			assert_int_equal(active, 1);
			if (!fired)
				return;
			/* The fault hit a best-effort step: start over. */
			assert_int_equal(store_rollout_cancel(f->s, "r1", T0, NULL, &err), 0);
			assert_int_equal(test_sql_exec(f->s, "DELETE FROM jobs; DELETE FROM rollouts"),
					 0);
			continue;
		}
		assert_true(fired);
		assert_int_equal(visible, 0);
		assert_int_equal(active, 0);
	}
	fail_msg("the import never went through");
}

/* A retry of many failed jobs goes a chunk per transaction and takes them all. */
static void test_retry_failed_in_chunks(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0 + 1,
				 .result = "permanent", .cms_error = 1, .detail = "unassigned" };
	for (int i = 0; i < 10; i++)
		assert_int_equal(store_mark_failed(f->s, sending_job(f), &o, &err), 0);
	rollout_release_chunk = 3;
	int64_t n = 0;
	struct retry_filter any = { .error_code = -1 };
	int rc = store_retry_failed(f->s, &any, T0 + 2, &n, &err);
	rollout_release_chunk = ROLLOUT_RELEASE_CHUNK;
	assert_int_equal(rc, 0);
	assert_int_equal(n, 10);
	assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE state = 'queued' AND ?1 = ?1", 0),
			 10);
}

/* The SQL lists of final states say what job_state_final says. */
static void test_final_states_agree(void **state)
{
	(void)state;
	for (int confirm = 0; confirm <= 1; confirm++) {
		for (int s = 0; s < JOB_STATE_COUNT; s++) {
			char quoted[32];
			snprintf(quoted, sizeof quoted, "'%s'", job_state_name((enum job_state)s));
			bool final = job_state_final((enum job_state)s, confirm);
			assert_int_equal(strstr(sqlite_final_states(confirm), quoted) != NULL, final);
			assert_int_equal(strstr(sqlite_open_states(confirm), quoted) != NULL, !final);
			assert_int_equal(strstr(pg_final_states(confirm), quoted) != NULL, final);
			assert_int_equal(strstr(pg_open_states(confirm), quoted) != NULL, !final);
		}
	}
}

/* What a metrics read handed over. */
struct metrics_seen {
	int begun[STORE_METRIC_COUNT];
	int order_ok;
	int last;
	int64_t jobs[JOB_STATE_COUNT];
	int64_t cms302_m1;
	int64_t oldest_ms;
};

static void seen_begin(void *arg, enum store_metric m)
{
	struct metrics_seen *w = arg;
	w->begun[m]++;
	if ((int)m != w->last + 1)
		w->order_ok = 0;
	w->last = (int)m;
}

static void seen_row(void *arg, enum store_metric m, const struct store_metric_row *r)
{
	struct metrics_seen *w = arg;
	if (m == STORE_METRIC_JOBS)
		w->jobs[r->state] = r->value;
	else if (m == STORE_METRIC_SMS_ERRORS && strcmp(r->name, "m1") == 0 && r->code == 302)
		w->cms302_m1 = r->value;
	else if (m == STORE_METRIC_OLDEST_DUE)
		w->oldest_ms = r->value;
}

/* store_metrics_read: every set in order (zeros too), +CMS errors by modem
 * and code, the oldest due job's age; a fault at any step fails the read
 * and leaves no transaction open. */
static void test_metrics_read(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0,
				 .result = "permanent", .cms_error = 302, .detail = "+CMS ERROR: 302" };
	assert_int_equal(store_mark_failed(f->s, sending_job(f), &o, &err), 0);
	struct job_new jn = { .msisdn = MSISDN, .profile = "p", .action = OTAP_ACTION_INSTALL,
			      .not_before = T0 + 1000, .max_attempts = 3 };
	assert_int_equal(store_enqueue(f->s, &jn, T0, NULL, &err), 0);
	for (int n = 1;; n++) {
		struct metrics_seen w = { .order_ok = 1, .last = -1 };
		struct store_metrics_sink sink = { seen_begin, seen_row, &w };
		db_fault_countdown = n;
		int rc = store_metrics_read(f->s, T0 + 6000, &sink, &err);
		db_fault_countdown = 0;
		if (rc < 0 && n < 100)
			continue;
		if (rc < 0)
			fail_msg("metrics read: %s", err.msg);
		assert_true(w.order_ok);
		for (int m = 0; m < STORE_METRIC_COUNT; m++)
			assert_int_equal(w.begun[m], 1);
		assert_int_equal(w.jobs[JOB_FAILED], 1);
		assert_int_equal(w.jobs[JOB_QUEUED], 1);
		assert_int_equal(w.jobs[JOB_SENT], 0);
		assert_int_equal(w.cms302_m1, 1);
		assert_int_equal(w.oldest_ms, 5000);
		assert_true(n > 1 || test_engine_pg());   /* PostgreSQL: no fault fired */
		break;
	}
	/* No transaction was left open: a write goes through. */
	assert_int_equal(store_enqueue(f->s, &jn, T0, NULL, &err), 0);
}

int main(void)
{
	log_init("test_store", LOG_LEVEL_ERROR);
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mark_sent_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_parts_match_a_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_lock_refuses_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_later_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_failed_in_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_read, setup, teardown),
		cmocka_unit_test(test_final_states_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
