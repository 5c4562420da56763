/* test_duration.c - duration_parse / duration_format: units, rejects, round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "duration.h"

static int64_t parse_ok(const char *text)
{
	struct errbuf err = { { 0 } };
	int64_t ms = -1;
	if (duration_parse(text, &ms, &err) != 0)
		fail_msg("\"%s\" rejected: %s", text, err.msg);
	return ms;
}

/* Returns the reason; fails the test if text was accepted. */
static const char *parse_bad(const char *text, struct errbuf *err)
{
	int64_t ms = 12345;
	memset(err, 0, sizeof *err);
	if (duration_parse(text, &ms, err) != -1)
		fail_msg("\"%s\" accepted as %lld ms", text ? text : "(null)", (long long)ms);
	assert_int_equal(ms, 12345);    /* untouched on error */
	assert_true(err->msg[0] != '\0');
	return err->msg;
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("500ms"), 500);
	assert_int_equal(parse_ok("30s"), 30000);
	assert_int_equal(parse_ok("5m"), 300000);
	assert_int_equal(parse_ok("1h"), 3600000);
	assert_int_equal(parse_ok("2d"), 172800000);
	assert_int_equal(parse_ok("0s"), 0);
	assert_int_equal(parse_ok("0ms"), 0);
	assert_int_equal(parse_ok("007s"), 7000);
	assert_int_equal(parse_ok("1500ms"), 1500);
}

static void test_rejects(void **state)
{
	struct errbuf err;
	(void)state;
	assert_non_null(strstr(parse_bad("", &err), "empty"));
	parse_bad(NULL, &err);
	assert_non_null(strstr(parse_bad("30", &err), "no unit"));
	assert_non_null(strstr(parse_bad("30x", &err), "unknown unit"));
	parse_bad("-5s", &err);
	parse_bad("+5s", &err);
	parse_bad(" 5s", &err);
	assert_non_null(strstr(parse_bad("5 s", &err), "spaces"));
	parse_bad("5s ", &err);
	parse_bad("s", &err);
	parse_bad("1.5s", &err);
	parse_bad("5S", &err);
	parse_bad("5sec", &err);
	parse_bad("1h30m", &err);
	parse_bad("5mss", &err);
}

static void test_overflow(void **state)
{
	struct errbuf err;
	(void)state;
	/* INT64_MAX ms is fine; one more, or any unit that multiplies past it, is not. */
	assert_int_equal(parse_ok("9223372036854775807ms"), INT64_MAX);
	assert_non_null(strstr(parse_bad("9223372036854775808ms", &err), "too large"));
	assert_non_null(strstr(parse_bad("9223372036854775807s", &err), "too large"));
	assert_non_null(strstr(parse_bad("106751991167301d", &err), "too large"));
	assert_int_equal(parse_ok("106751991167d"), 106751991167LL * 86400000LL);
	parse_bad("99999999999999999999999999ms", &err);
}

static void assert_formats(int64_t ms, const char *expected)
{
	char buf[32];
	duration_format(ms, buf, sizeof buf);
	assert_string_equal(buf, expected);
}

static void test_format_shortest_exact(void **state)
{
	(void)state;
	assert_formats(0, "0s");
	assert_formats(1, "1ms");
	assert_formats(1500, "1500ms");
	assert_formats(1000, "1s");
	assert_formats(90000, "90s");
	assert_formats(300000, "5m");
	assert_formats(5400000, "90m");
	assert_formats(3600000, "1h");
	assert_formats(86400000, "1d");
	assert_formats(90000000, "25h");
	assert_formats(7 * 86400000LL, "7d");
}

static void test_format_truncates_safely(void **state)
{
	char buf[3] = "xx";
	(void)state;
	duration_format(86400000, buf, sizeof buf);
	assert_string_equal(buf, "1d");
	duration_format(1500, buf, sizeof buf);
	assert_string_equal(buf, "15");  /* snprintf truncation, still terminated */
	duration_format(1500, buf, 0);   /* must not write */
}

static void test_round_trip(void **state)
{
	static const int64_t values[] = { 0, 1, 999, 1000, 61000, 59 * 60000LL,
					  3 * 3600000LL, 441 * 86400000LL, INT64_MAX };
	(void)state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char buf[32];
		duration_format(values[i], buf, sizeof buf);
		assert_int_equal(parse_ok(buf), values[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_format_shortest_exact),
		cmocka_unit_test(test_format_truncates_safely),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
