/* test_metrics_text.c - the Prometheus text writer: HELP/TYPE lines,
 * samples with and without labels, escaping of label values and help. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "metrics_text.h"

static void test_family_and_samples(void **state)
{
	(void)state;
	struct metrics_text t;
	metrics_text_init(&t);
	metrics_text_family(&t, "otapd_jobs", "gauge", "Jobs by state.");
	struct metrics_label l = { "state", "queued" };
	metrics_text_sample(&t, "otapd_jobs", &l, 1, 3);
	metrics_text_family(&t, "otapd_age_seconds", "gauge", "Age.");
	metrics_text_sample(&t, "otapd_age_seconds", NULL, 0, -2);
	assert_false(t.failed);
	assert_string_equal(t.buf, "# HELP otapd_jobs Jobs by state.\n"
			    "# TYPE otapd_jobs gauge\n"
			    "otapd_jobs{state=\"queued\"} 3\n"
			    "# HELP otapd_age_seconds Age.\n"
			    "# TYPE otapd_age_seconds gauge\n"
			    "otapd_age_seconds -2\n");
	assert_int_equal(t.len, strlen(t.buf));
	metrics_text_free(&t);
}

static void test_label_escaping(void **state)
{
	(void)state;
	struct metrics_text t;
	metrics_text_init(&t);
	struct metrics_label l[2] = { { "modem", "a\\b\"c\nd" }, { "code", "302" } };
	metrics_text_sample(&t, "otapd_sms_errors_total", l, 2, 12);
	assert_string_equal(t.buf, "otapd_sms_errors_total{modem=\"a\\\\b\\\"c\\nd\",code=\"302\"} 12\n");
	metrics_text_free(&t);
}

static void test_help_escaping(void **state)
{
	(void)state;
	struct metrics_text t;
	metrics_text_init(&t);
	metrics_text_family(&t, "x_total", "counter", "back\\slash \"quoted\"\nnext");
	assert_string_equal(t.buf, "# HELP x_total back\\\\slash \"quoted\"\\nnext\n"
			    "# TYPE x_total counter\n");
	metrics_text_free(&t);
}

static void test_grows(void **state)
{
	(void)state;
	struct metrics_text t;
	metrics_text_init(&t);
	metrics_text_family(&t, "m", "gauge", "many");
	for (int i = 0; i < 1000; i++)
		metrics_text_sample(&t, "m", NULL, 0, i);
	assert_false(t.failed);
	assert_non_null(strstr(t.buf, "\nm 999\n"));
	metrics_text_free(&t);
	assert_null(t.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_help_escaping),
		cmocka_unit_test(test_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
