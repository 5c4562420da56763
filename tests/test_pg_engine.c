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
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store.h"
#include "testutil_store.h"

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
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);            /* nothing yet */
	struct job_new job = { .msisdn = "+491701234567", .profile = "p", .not_before = 0,
			       .max_attempts = 3 };
	if (store_enqueue(writer, &job, 1000, NULL, &err) < 0)
		fail_msg("enqueue: %s", err.msg);
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(store_data_version(idle, &v1, &err), 0);
	assert_true(v1 > v0);
	store_close(writer);
	store_close(idle);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
