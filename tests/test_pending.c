/* test_pending.c - the table of jobs between parts: bound, due-time order,
 * the split delay before the START part, message references, removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pending.h"

static struct pending_job *add_job(struct pending_table *t, int64_t id, int64_t now)
{
	struct pending_unit job;
	memset(&job, 0, sizeof job);
	job.id = id;
	return pending_add(t, &job, now, 1700000000000LL);
}

/* A message of count parts; START on part start_index (-1: none). */
static void give_parts(struct pending_job *p, size_t count, int start_index)
{
	p->msg.count = count;
	for (size_t i = 0; i < count; i++)
		p->msg.parts[i].has_start = (int)i == start_index;
}

static bool holds(struct pending_table *t, int64_t id)
{
	for (size_t i = 0; i < pending_count(t); i++)
		if (pending_get(t, i)->job.id == id)
			return true;
	return false;
}

static void test_bound(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	for (int i = 0; i < PENDING_MAX; i++) {
		assert_false(pending_full(&t));
		assert_non_null(add_job(&t, i + 1, 0));
	}
	assert_true(pending_full(&t));
	assert_int_equal(pending_count(&t), PENDING_MAX);
	assert_null(add_job(&t, 999, 0));
	assert_int_equal(pending_count(&t), PENDING_MAX);
	assert_false(holds(&t, 999));
	pending_remove(&t, pending_get(&t, 0));
	assert_false(pending_full(&t));
	assert_non_null(add_job(&t, 999, 0));
}

static void test_add_starts_due_now(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	struct pending_job *p = add_job(&t, 7, 5000);
	assert_int_equal(p->job.id, 7);
	assert_int_equal(p->due, 5000);
	assert_int_equal(p->started_at, 1700000000000LL);
	assert_int_equal(p->next_part, 0);
	assert_string_equal(p->mrs, "");
}

static void test_empty_table(void **state)
{
	(void)state;
	struct pending_table t;
	int64_t earliest = 0;
	pending_init(&t);
	assert_null(pending_first_due(&t, INT64_MAX, &earliest));
	assert_true(earliest == INT64_MAX);
	assert_int_equal(pending_count(&t), 0);
}

static void test_order_by_due_time(void **state)
{
	(void)state;
	struct pending_table t;
	int64_t earliest;
	pending_init(&t);
	add_job(&t, 1, 300);
	add_job(&t, 2, 100);
	add_job(&t, 3, 200);

	assert_null(pending_first_due(&t, 50, &earliest));
	assert_int_equal(earliest, 100);
	struct pending_job *p = pending_first_due(&t, 250, &earliest);
	assert_non_null(p);
	assert_int_equal(p->job.id, 2);
	pending_remove(&t, p);
	p = pending_first_due(&t, 250, &earliest);
	assert_int_equal(p->job.id, 3);
	assert_int_equal(earliest, 200);
	pending_remove(&t, p);
	assert_null(pending_first_due(&t, 250, &earliest));
	assert_int_equal(earliest, 300);
	p = pending_first_due(&t, 300, &earliest);
	assert_int_equal(p->job.id, 1);
}

/* Three parts, START on the last: the second goes at once, the third only
 * after the split delay. */
static void test_split_delay_before_start_part(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	struct pending_job *p = add_job(&t, 1, 1000);
	give_parts(p, 3, 2);

	assert_false(pending_part_sent(p, 17, 1000, 5000));
	assert_int_equal(p->next_part, 1);
	assert_int_equal(p->due, 1000);
	assert_ptr_equal(pending_next_part(p), &p->msg.parts[1]);
	assert_false(pending_part_sent(p, 18, 1100, 5000));
	assert_int_equal(p->next_part, 2);
	assert_int_equal(p->due, 6100);
	assert_true(pending_part_sent(p, 19, 6100, 5000));
	assert_string_equal(p->mrs, "17,18,19");
}

/* Parts after the START part (or a message without one) are not delayed. */
static void test_no_delay_without_start_next(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	struct pending_job *p = add_job(&t, 1, 0);
	give_parts(p, 3, 0);
	assert_false(pending_part_sent(p, 1, 400, 5000));
	assert_int_equal(p->due, 400);
	assert_false(pending_part_sent(p, 2, 500, 5000));
	assert_int_equal(p->due, 500);

	struct pending_job *q = add_job(&t, 2, 0);
	give_parts(q, 2, -1);
	assert_false(pending_part_sent(q, 3, 700, 5000));
	assert_int_equal(q->due, 700);
}

static void test_mr_list(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	struct pending_job *p = add_job(&t, 1, 0);
	give_parts(p, 2, 1);
	pending_part_sent(p, 17, 0, 0);
	assert_string_equal(p->mrs, "17");
	assert_true(pending_part_sent(p, 18, 0, 0));
	assert_string_equal(p->mrs, "17,18");
	assert_int_equal(p->mr[0], 17);
	assert_int_equal(p->mr[1], 18);
	assert_true(pending_all_mrs_known(p));

	struct pending_job *q = add_job(&t, 2, 0);
	give_parts(q, 2, 1);
	pending_part_sent(q, 5, 0, 0);
	pending_part_sent(q, -1, 0, 0);
	assert_string_equal(q->mrs, "5,-1");
	assert_false(pending_all_mrs_known(q));
}

static void test_remove_keeps_others(void **state)
{
	(void)state;
	struct pending_table t;
	pending_init(&t);
	for (int64_t id = 1; id <= 4; id++) {
		struct pending_job *p = add_job(&t, id, id * 10);
		give_parts(p, 2, 1);
		pending_part_sent(p, (int)id, id * 10, 1000);
	}
	for (size_t i = 0; i < pending_count(&t); i++)
		if (pending_get(&t, i)->job.id == 2)
			pending_remove(&t, pending_get(&t, i));
	assert_int_equal(pending_count(&t), 3);
	assert_false(holds(&t, 2));
	for (int64_t id = 1; id <= 4; id++) {
		if (id == 2)
			continue;
		assert_true(holds(&t, id));
	}
	/* The moved entry keeps its state. */
	for (size_t i = 0; i < pending_count(&t); i++) {
		struct pending_job *p = pending_get(&t, i);
		assert_int_equal(p->next_part, 1);
		assert_int_equal(p->due, p->job.id * 10 + 1000);
		assert_int_equal(p->mr[0], (int)p->job.id);
	}
	pending_remove(&t, pending_get(&t, 0));
	pending_remove(&t, pending_get(&t, 0));
	pending_remove(&t, pending_get(&t, 0));
	assert_int_equal(pending_count(&t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_add_starts_due_now),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_order_by_due_time),
		cmocka_unit_test(test_split_delay_before_start_part),
		cmocka_unit_test(test_no_delay_without_start_next),
		cmocka_unit_test(test_mr_list),
		cmocka_unit_test(test_remove_keeps_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
