/* test_msisdn.c - accept/reject rules of msisdn_check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "msisdn.h"

static void assert_accepted(const char *text)
{
	const char *why = msisdn_check(text);
	if (why)
		fail_msg("\"%s\" rejected: %s", text, why);
}

/* Rejected, and the reason mentions `hint` so users learn what is wrong. */
static void assert_rejected(const char *text, const char *hint)
{
	const char *why = msisdn_check(text);
	if (!why)
		fail_msg("\"%s\" accepted", text ? text : "(null)");
	if (!strstr(why, hint))
		fail_msg("\"%s\": reason \"%s\" does not mention \"%s\"", text ? text : "(null)",
			 why, hint);
}

static void test_accepts_international(void **state)
{
	(void)state;
	assert_accepted("+491701234567");
	assert_accepted("+1");
	assert_accepted("+123456789012345");     /* 15 digits: the E.164 maximum */
}

static void test_accepts_plain_digits(void **state)
{
	(void)state;
	assert_accepted("01701234567");
	assert_accepted("0");
	assert_accepted("123456789012345");
	assert_accepted("000");
}

static void test_rejects_empty(void **state)
{
	(void)state;
	assert_rejected("", "empty");
	assert_rejected(NULL, "empty");
}

static void test_rejects_plus_alone(void **state)
{
	(void)state;
	assert_rejected("+", "no digits");
}

static void test_rejects_too_long(void **state)
{
	(void)state;
	assert_rejected("+1234567890123456", "15 digits");
	assert_rejected("1234567890123456", "15 digits");
	assert_rejected("+12345678901234567890", "15 digits");
}

static void test_rejects_plus_not_first(void **state)
{
	(void)state;
	assert_rejected("49+1701234567", "first character");
	assert_rejected("++491701234567", "first character");
	assert_rejected("4917012345+", "first character");
}

static void test_rejects_whitespace(void **state)
{
	(void)state;
	assert_rejected(" +491701234567", "whitespace");
	assert_rejected("+49 170 1234567", "whitespace");
	assert_rejected("+491701234567 ", "whitespace");
	assert_rejected("0170\t1234567", "whitespace");
}

static void test_rejects_other_characters(void **state)
{
	(void)state;
	assert_rejected("+49170abc", "not a digit");
	assert_rejected("0170-1234567", "not a digit");
	assert_rejected("(0170)1234567", "not a digit");
	assert_rejected("+491701234567\n", "not a digit");
	assert_rejected("*100#", "not a digit");
	assert_rejected("00491701234567\xC3\xA9", "not a digit");
}

/* ---- msisdn_check_destination: the minimum lengths per TOA ---- */

static void assert_dest_accepted(const char *text)
{
	const char *why = msisdn_check_destination(text);
	if (why)
		fail_msg("\"%s\" rejected as destination: %s", text, why);
}

static void assert_dest_rejected(const char *text, const char *hint)
{
	const char *why = msisdn_check_destination(text);
	if (!why)
		fail_msg("\"%s\" accepted as destination", text ? text : "(null)");
	if (!strstr(why, hint))
		fail_msg("\"%s\": reason \"%s\" does not mention \"%s\"",
			 text ? text : "(null)", why, hint);
}

static void test_dest_international_minimum(void **state)
{
	(void)state;
	assert_dest_rejected("+49", "at least 7 digits");
	assert_dest_rejected("+1", "at least 7 digits");
	assert_dest_rejected("+491234", "at least 7 digits");      /* 6 digits */
	assert_dest_accepted("+6831234");                           /* Niue: 683 + 4 digits */
	assert_dest_accepted("+491701234567");
	assert_dest_accepted("+123456789012345");
}

static void test_dest_national_minimum(void **state)
{
	(void)state;
	assert_dest_rejected("0", "at least 4 digits");
	assert_dest_rejected("112", "at least 4 digits");
	assert_dest_rejected("000", "at least 4 digits");
	assert_dest_accepted("1234");
	assert_dest_accepted("01701234567");
}

static void test_dest_keeps_syntax_rules(void **state)
{
	(void)state;
	assert_dest_rejected("", "empty");
	assert_dest_rejected(NULL, "empty");
	assert_dest_rejected("+", "no digits");
	assert_dest_rejected("+1234567890123456", "15 digits");
	assert_dest_rejected("+49170abc1234", "not a digit");
	assert_dest_rejected("+49170\x1b" "1234", "not a digit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_international),
		cmocka_unit_test(test_accepts_plain_digits),
		cmocka_unit_test(test_rejects_empty),
		cmocka_unit_test(test_rejects_plus_alone),
		cmocka_unit_test(test_rejects_too_long),
		cmocka_unit_test(test_rejects_plus_not_first),
		cmocka_unit_test(test_rejects_whitespace),
		cmocka_unit_test(test_rejects_other_characters),
		cmocka_unit_test(test_dest_international_minimum),
		cmocka_unit_test(test_dest_national_minimum),
		cmocka_unit_test(test_dest_keeps_syntax_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
