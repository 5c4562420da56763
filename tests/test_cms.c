/* test_cms.c - +CMS ERROR classification against the table in spec §4. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cms.h"

static void assert_class(int code, enum cms_class want)
{
	enum cms_class got = cms_classify(code);
	if (got != want)
		fail_msg("+CMS ERROR: %d classified %s, spec says %s", code,
			 cms_class_name(got), cms_class_name(want));
}

static void assert_class_range(int from, int to, enum cms_class want)
{
	for (int code = from; code <= to; code++)
		assert_class(code, want);
}

static void test_permanent_codes(void **state)
{
	(void)state;
	static const int codes[] = { 1, 10, 21, 30, 96, 111, 127, 128, 176, 198, 199, 255, 304 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_class(codes[i], CMS_PERMANENT);
	assert_class_range(96, 191, CMS_PERMANENT);
	assert_class_range(194, 255, CMS_PERMANENT);
}

static void test_transient_codes(void **state)
{
	(void)state;
	static const int codes[] = { 27, 28, 38, 41, 42, 47, 192, 331, 332, 500, 512, 513, 1000, 65535 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_class(codes[i], CMS_TRANSIENT);
}

static void test_modem_codes(void **state)
{
	(void)state;
	static const int codes[] = { 8, 29, 50, 193, 300, 302, 320, 322, 330 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_class(codes[i], CMS_MODEM);
	assert_class_range(310, 318, CMS_MODEM);
}

/* Codes the spec does not list: never permanent unless understood. */
static void test_unlisted_codes(void **state)
{
	(void)state;
	static const int transient[] = { -1, 0, 2, 3, 7, 22, 69, 81, 256, 299,
					 306, 309, 319, 321, 340, 499, 501, 511 };
	for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
		assert_class(transient[i], CMS_TRANSIENT);
	assert_class(301, CMS_MODEM);
	assert_class(303, CMS_MODEM);
	assert_class(305, CMS_MODEM);
	assert_class(95, CMS_PERMANENT);
}

static void test_flags(void **state)
{
	(void)state;
	assert_true(cms_long_backoff(38));
	assert_false(cms_long_backoff(41));
	assert_false(cms_long_backoff(500));
	assert_true(cms_is_our_bug(304));
	assert_false(cms_is_our_bug(305));
	assert_false(cms_is_our_bug(500));
}

static void test_meanings(void **state)
{
	(void)state;
	assert_string_equal(cms_meaning(1), "unassigned (unallocated) number");
	assert_string_equal(cms_meaning(38), "network out of order");
	assert_string_equal(cms_meaning(192), "SC busy");
	assert_string_equal(cms_meaning(304), "invalid PDU mode parameter");
	assert_string_equal(cms_meaning(500), "unknown error");
	assert_string_equal(cms_meaning(600), "vendor specific error");
	assert_string_equal(cms_meaning(2), "unknown error");
	assert_string_equal(cms_meaning(-5), "unknown error");
	/* Every code the spec names has a meaning of its own. */
	static const int named[] = { 1, 8, 10, 21, 27, 28, 29, 30, 38, 41, 42, 47, 50,
				     176, 192, 193, 198, 199, 300, 302, 310, 311, 312,
				     313, 314, 315, 316, 317, 318, 320, 322, 330, 331, 332 };
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		if (strcmp(cms_meaning(named[i]), "unknown error") == 0)
			fail_msg("+CMS ERROR: %d has no meaning", named[i]);
	}
}

static void test_class_names(void **state)
{
	(void)state;
	assert_string_equal(cms_class_name(CMS_TRANSIENT), "transient");
	assert_string_equal(cms_class_name(CMS_PERMANENT), "permanent");
	assert_string_equal(cms_class_name(CMS_MODEM), "modem");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permanent_codes),
		cmocka_unit_test(test_transient_codes),
		cmocka_unit_test(test_modem_codes),
		cmocka_unit_test(test_unlisted_codes),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_meanings),
		cmocka_unit_test(test_class_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
