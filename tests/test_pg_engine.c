/* test_pg_engine.c - the PostgreSQL engine's own concerns against the
 * throw-away cluster (tests/pg_cluster.sh): the location's form, the
 * password never shown, migrations applied once by concurrent openers,
 * the schema version, wake-ups through LISTEN/NOTIFY. The store's
 * behaviour itself is tested by the _pg runs of the store's tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "pg_engine.h"
#include "store.h"
#include "store_rollouts.h"
#include "testutil_store.h"

#define T0 1700000000000LL      /* an arbitrary "now", ms since the epoch */

struct fixture {
	char location[640];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	test_store_location(f->location, sizeof f->location, "/nonexistent", "unused.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_store_drop(f->location);
	free(f);
	return 0;
}

static struct store *open_ok(const char *location)
{
	struct errbuf err = { "" };
	struct store *s;
	if (store_open(location, &s, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	return s;
}

static void test_migrates_to_latest(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->location);
	assert_int_equal(store_schema_version(s),
			 pg_schema_migrations[pg_schema_migration_count - 1].version);
	/* The same numbers as SQLite's. */
	assert_int_equal(pg_schema_migration_count, schema_migration_count);
	for (int i = 0; i < schema_migration_count; i++)
		assert_int_equal(pg_schema_migrations[i].version, schema_migrations[i].version);
	store_close(s);
	s = open_ok(f->location);       /* nothing left to apply */
	assert_int_equal(store_schema_version(s), schema_migrations[schema_migration_count - 1].version);
	store_close(s);
}

static void *open_close(void *arg)
{
	struct errbuf err;
	struct store *s;
	if (store_open(arg, &s, &err) < 0)
		return strdup(err.msg);
	store_close(s);
	return NULL;
}

/* Instances starting together: each migration applied once, no opener
 * failing on another's half-made tables. */
static void test_concurrent_openers(void **state)
{
	struct fixture *f = *state;
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, open_close, f->location), 0);
	for (int i = 0; i < 4; i++) {
		void *msg;
		pthread_join(t[i], &msg);
		if (msg)
			fail_msg("concurrent open: %s", (char *)msg);
	}
	struct store *s = open_ok(f->location);
	assert_int_equal(store_schema_version(s), schema_migrations[schema_migration_count - 1].version);
	store_close(s);
}

static void test_password_in_location_refused(void **state)
{
	(void)state;
	struct errbuf err = { "" };
	struct store *s;
	assert_int_equal(store_open("postgresql://otap:secret99@127.0.0.1:1/otap", &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, "database_password_file"));
	assert_null(strstr(err.msg, "secret99"));
	assert_int_equal(store_open("postgresql://otap@127.0.0.1:1/otap?password=secret99", &s,
				    &err), -1);
	assert_null(strstr(err.msg, "secret99"));
	assert_true(store_location_is_shared("postgresql://a@b/c"));
	assert_false(store_location_is_shared("/var/lib/otapd/otapd.db"));
}

/* A wrong password: the reason says the login failed, never the password. */
static void test_wrong_password_not_shown(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct store *s;
	const char *passfile = getenv("PGPASSFILE");
	unsetenv("PGPASSFILE");
	assert_int_equal(store_set_password("wrong-Pa55word", &err), 0);
	assert_int_equal(store_open(f->location, &s, &err), -1);
	assert_null(strstr(err.msg, "wrong-Pa55word"));
	assert_non_null(strstr(err.msg, "password authentication failed"));
	/* The right one, as database_password_file gives it. */
	char pw[128] = "";
	FILE *pf = fopen(getenv("OTAP_TEST_PG_PASSWORD_FILE"), "r");
	assert_non_null(pf);
	assert_non_null(fgets(pw, sizeof pw, pf));
	fclose(pf);
	pw[strcspn(pw, "\n")] = '\0';
	assert_int_equal(store_set_password(pw, &err), 0);
	s = open_ok(f->location);
	store_close(s);
	assert_int_equal(store_set_password(NULL, &err), 0);
	setenv("PGPASSFILE", passfile, 1);
}

/* An enqueue on one connection makes another's wake fd readable and its
 * data version move. */
static void test_wake_up(void **state)
{
	struct fixture *f = *state;
	struct store *idle = open_ok(f->location), *writer = open_ok(f->location);
	struct errbuf err = { "" };
	int64_t v0, v1;
	int fd = store_wake_fd(idle);
	assert_true(fd >= 0);
	assert_int_equal(store_data_version(idle, &v0, &err), 0);
	assert_int_equal(store_data_version(idle, &v1, &err), 0);
	assert_int_equal(v1, v0);                       /* nothing yet */
	struct job_new job = { .msisdn = "+491701234567", .profile = "p", .not_before = 0,
			       .max_attempts = 3 };
	if (store_enqueue(writer, &job, 1000, NULL, &err) < 0)
		fail_msg("enqueue: %s", err.msg);
	/* Other tests' queues in the same database may wake the socket
	 * first: wait (at most 5 s) for this queue's wake-up. */
	for (int i = 0; i < 50 && v1 == v0; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_true(poll(&p, 1, 100) >= 0);
		assert_int_equal(store_data_version(idle, &v1, &err), 0);
	}
	assert_true(v1 > v0);
	store_close(writer);
	store_close(idle);
}

/* Opens location as otapd instance `name`. */
static struct store *open_as(const char *location, const char *name)
{
	struct errbuf err = { "" };
	assert_int_equal(store_set_instance(name, &err), 0);
	struct store *s = open_ok(location);
	assert_int_equal(store_set_instance(NULL, &err), 0);
	return s;
}

static int64_t add_job(struct store *s, int64_t not_before)
{
	struct errbuf err = { "" };
	struct job_new job = { .msisdn = "+491701234567", .profile = "p", .not_before = not_before,
			       .max_attempts = 3 };
	int64_t id;
	if (store_enqueue(s, &job, not_before, &id, &err) < 0)
		fail_msg("enqueue: %s", err.msg);
	return id;
}

static struct job_outcome sent_outcome(void)
{
	return (struct job_outcome){ .modem = "m1", .started_at = T0, .finished_at = T0 + 10,
				     .cms_error = -1, .mrs = "7" };
}

struct one_attempt {
	int n;
	struct attempt last;
};

static int keep_attempt(const struct attempt *a, void *arg)
{
	struct one_attempt *o = arg;
	o->n++;
	o->last = *a;
	return 0;
}

/* An instance that stops renewing loses its jobs once the lease ran out:
 * any instance takes them back with an 'interrupted' attempt naming it,
 * and the late outcome of the first is refused. Renewed leases hold. */
static void test_leases(void **state)
{
	struct fixture *f = *state;
	struct store *a = open_as(f->location, "host-a"), *b = open_as(f->location, "host-b");
	struct errbuf err = { "" };
	struct job job;
	int count = -1;
	int64_t renewed = -1;
	int64_t id = add_job(a, T0), kept = add_job(a, T0);
	assert_int_equal(store_claim(a, "m1", T0, &job, &err), 1);
	assert_int_equal(job.id, id);
	assert_int_equal(store_claim(a, "m1", T0, &job, &err), 1);
	assert_int_equal(job.id, kept);
	assert_int_equal(test_sql_int(b, "SELECT count(*) FROM jobs WHERE claimed_by LIKE 'host-a:%' "
				      "AND state = 'sending'"), 2);
	/* Within the lease: nothing to take back. */
	assert_int_equal(store_recover_interrupted(b, T0 + PG_LEASE_MS - 1, &count, &err), 0);
	assert_int_equal(count, 0);
	/* host-a renews both, then one of them is finished normally. */
	assert_int_equal(store_renew_leases(a, T0 + 20000, &renewed, &err), 0);
	assert_int_equal(renewed, 2);
	assert_int_equal(store_recover_interrupted(b, T0 + PG_LEASE_MS + 1, &count, &err), 0);
	assert_int_equal(count, 0);
	struct job_outcome o = sent_outcome();
	assert_int_equal(store_mark_sent(a, kept, &o, NULL, &err), 0);
	/* host-a stops renewing: its job comes back past the renewed lease. */
	assert_int_equal(store_recover_interrupted(b, T0 + 20000 + PG_LEASE_MS + 1, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_get(b, id, &job, &err), 1);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 0);
	struct one_attempt h = { 0 };
	assert_int_equal(store_attempts(b, id, keep_attempt, &h, &err), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.last.result, "interrupted");
	assert_non_null(strstr(h.last.detail, "host-a"));
	/* host-b sends it; host-a's late outcome is refused. */
	assert_int_equal(store_claim(b, "m2", T0 + 60000, &job, &err), 1);
	assert_int_equal(job.id, id);
	assert_int_equal(store_mark_sent(a, id, &o, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "host-b"));
	o.modem = "m2";
	assert_int_equal(store_mark_sent(b, id, &o, NULL, &err), 0);
	assert_int_equal(store_get(b, kept, &job, &err), 1);
	assert_int_equal(job.state, JOB_SENT);
	store_close(b);
	store_close(a);
}

/* A restarted instance with the same name (here: another process) does not
 * renew the leases its predecessor left: those jobs come back. */
static void test_restarted_instance_does_not_renew_old_leases(void **state)
{
	struct fixture *f = *state;
	struct store *a = open_as(f->location, "host-a");
	struct errbuf err = { "" };
	struct job job;
	add_job(a, T0);
	assert_int_equal(store_claim(a, "m1", T0, &job, &err), 1);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The connection is not carried across fork: a new one. */
		struct errbuf cerr;
		struct store *again;
		int64_t renewed = -1;
		if (store_set_instance("host-a", &cerr) < 0 ||
		    store_open(f->location, &again, &cerr) < 0 ||
		    store_renew_leases(again, T0 + 20000, &renewed, &cerr) < 0)
			_exit(2);
		_exit(renewed == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	int count = -1;
	assert_int_equal(store_recover_interrupted(a, T0 + PG_LEASE_MS + 1, &count, &err), 0);
	assert_int_equal(count, 1);
	store_close(a);
}

/* A rate-limited rollout's spacing holds across instances: decided under
 * the rollout row's lock in the claim's transaction. */
static void test_rate_across_instances(void **state)
{
	struct fixture *f = *state;
	struct store *a = open_as(f->location, "host-a"), *b = open_as(f->location, "host-b");
	struct errbuf err = { "" };
	/* 60 per minute: one claim per second. */
	assert_int_equal(test_sql_exec(a, "INSERT INTO rollouts (name, profile, waves, start_at, "
		"total_units, rate_per_min, created_at, updated_at) VALUES ('r', 'p', '100', 0, 10, "
		"60, 0, 0)"), 0);
	assert_int_equal(test_sql_exec(a, "INSERT INTO jobs (msisdn, profile, action, rollout, "
		"wave, not_before, max_attempts, created_at, updated_at) SELECT '+4917000000' || i, "
		"'p', 'install', 'r', 1, 0, 3, 0, 0 FROM generate_series(10, 19) i"), 0);
	struct job job;
	int claimed = 0;
	for (int64_t t = T0; t < T0 + 3000; t += 250) {
		claimed += store_claim(a, "m1", t, &job, &err) == 1;
		claimed += store_claim(b, "m2", t, &job, &err) == 1;
	}
	assert_int_equal(claimed, 3);       /* T0, T0 + 1 s, T0 + 2 s */
	int64_t next;
	assert_int_equal(store_next_due(b, &next, &err), 0);
	assert_int_equal(next, T0 + 3000);
	/* Without a limit, both take the rest side by side at once. */
	assert_int_equal(test_sql_exec(a, "UPDATE rollouts SET rate_per_min = 0"), 0);
	while (store_claim(a, "m1", T0 + 3000, &job, &err) == 1 &&
	       store_claim(b, "m2", T0 + 3000, &job, &err) == 1)
		claimed += 2;
	assert_string_equal(err.msg, "");
	assert_int_equal(claimed + 1, 10);
	store_close(b);
	store_close(a);
}

/* The server ends a connection (a restart, an administrator): the next
 * call may fail, the one after works on a new connection. The lead went
 * with the old session and another instance can take it. */
static void test_reconnects_and_loses_the_lead(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->location), *other = open_ok(f->location);
	struct errbuf err = { "" };
	struct job job;
	int64_t id = add_job(s, T0);
	assert_int_equal(store_lead(s, &err), 1);
	assert_int_equal(store_lead(other, &err), 0);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(store_pg_conn(s)));
	assert_int_equal(test_sql_exec(other, sql), 0);
	int lead = -1;
	for (int i = 0; i < 50 && lead != 1; i++) {
		lead = store_lead(other, &err);     /* once the old session is gone */
		if (lead != 1)
			poll(NULL, 0, 20);
	}
	assert_int_equal(lead, 1);
	if (store_get(s, id, &job, &err) != 1)           /* may see the end first */
		assert_int_equal(store_get(s, id, &job, &err), 1);
	assert_int_equal(job.id, id);
	assert_int_equal(store_lead(s, &err), 0);
	assert_true(store_wake_fd(s) >= 0);
	store_close(other);
	store_close(s);
}

static void test_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->location);
	assert_int_equal(test_sql_exec(s, "INSERT INTO otap_schema (version) VALUES (999)"), 0);
	store_close(s);
	struct errbuf err = { "" };
	assert_int_equal(store_open(f->location, &s, &err), -1);
	assert_non_null(strstr(err.msg, "newer than this otapd"));
}

int main(void)
{
	if (!test_engine_pg())
		setenv("OTAP_TEST_ENGINE", "postgresql", 1);
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrates_to_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_openers, setup, teardown),
		cmocka_unit_test(test_password_in_location_refused),
		cmocka_unit_test_setup_teardown(test_wrong_password_not_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restarted_instance_does_not_renew_old_leases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rate_across_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnects_and_loses_the_lead, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
