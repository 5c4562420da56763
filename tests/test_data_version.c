/* test_data_version.c - store_data_version moves on other connections'
 * commits only: what an idle otapd worker relies on to notice a job that
 * otapctl enqueued, without reading a table. Runs against both engines
 * (test_data_version_pg: the version counts NOTIFYs, which arrive on the
 * connection's wake fd a moment after the commit). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "testutil.h"
#include "testutil_store.h"

static struct store *open_queue(const char *path)
{
	struct store *q;
	struct errbuf err = { "" };
	if (store_open(path, &q, &err) < 0)
		fail_msg("queue_open: %s", err.msg);
	return q;
}

static int64_t version(struct store *q)
{
	int64_t v = -1;
	struct errbuf err = { "" };
	if (store_data_version(q, &v, &err) < 0)
		fail_msg("queue_data_version: %s", err.msg);
	return v;
}

/* PostgreSQL: waits (at most 5 s) until a wake-up is readable on q. */
static void settle(struct store *q)
{
	struct pollfd p = { .fd = store_wake_fd(q), .events = POLLIN };
	if (p.fd >= 0)
		assert_int_equal(poll(&p, 1, 5000), 1);
}

/* q's version once it moved from was (PostgreSQL: the NOTIFY arrives a
 * moment after the commit, and other tests' queues in the same database
 * may wake q's socket first). Fails after 5 s. */
static int64_t moved_from(struct store *q, int64_t was)
{
	for (int i = 0; i < 50; i++) {
		int64_t v = version(q);
		if (v != was)
			return v;
		struct pollfd p = { .fd = store_wake_fd(q), .events = POLLIN };
		if (p.fd < 0)
			break;
		poll(&p, 1, 100);
	}
	fail_msg("the data version stayed at %lld", (long long)was);
	return was;
}

static void enqueue(struct store *q)
{
	struct job_new job = { .msisdn = "+491711234567", .profile = "p",
			       .action = OTAP_ACTION_INSTALL, .max_attempts = 3 };
	struct errbuf err = { "" };
	int64_t id;
	if (store_enqueue(q, &job, 1000, &id, &err) < 0)
		fail_msg("queue_enqueue: %s", err.msg);
}

static void test_other_connection_commits(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_data_version.XXXXXX";
	char path[640];
	assert_non_null(mkdtemp(dir));
	test_store_location(path, sizeof path, dir, "queue.db");
	struct store *worker = open_queue(path);
	struct store *ctl = open_queue(path);

	int64_t v0 = version(worker);
	assert_int_equal(version(worker), v0);          /* nothing happened */
	enqueue(ctl);
	int64_t v1 = moved_from(worker, v0);
	assert_int_equal(version(worker), v1);
	int64_t c0 = version(ctl);
	enqueue(worker);                                 /* its own commit */
	moved_from(ctl, c0);                             /* seen from the other side */
	assert_int_equal(version(worker), v1);

	/* Another queue of the same database (PostgreSQL: another schema)
	 * is not this one's work. */
	char other_path[640];
	test_store_location(other_path, sizeof other_path, dir, "other.db");
	struct store *other = open_queue(other_path);
	enqueue(other);
	settle(worker);
	assert_int_equal(version(worker), v1);
	store_close(other);
	test_store_drop(other_path);

	store_close(ctl);
	store_close(worker);
	test_store_drop(path);
	test_remove_dir(dir);
}

int main(void)
{
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_connection_commits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
