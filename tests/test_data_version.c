/* test_data_version.c - queue_data_version moves on other connections'
 * commits only: what an idle otapd worker relies on to notice a job that
 * otapctl enqueued, without reading a table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "testutil.h"

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
	char path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/queue.db", dir);
	struct store *worker = open_queue(path);
	struct store *ctl = open_queue(path);

	int64_t v0 = version(worker);
	assert_int_equal(version(worker), v0);          /* nothing happened */
	enqueue(ctl);
	int64_t v1 = version(worker);
	assert_int_not_equal(v1, v0);
	assert_int_equal(version(worker), v1);
	int64_t c0 = version(ctl);
	enqueue(worker);                                 /* its own commit */
	assert_int_equal(version(worker), v1);
	assert_int_not_equal(version(ctl), c0);          /* seen from the other side */

	store_close(ctl);
	store_close(worker);
	test_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_connection_commits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
