/* test_textesc.c - textesc: control bytes escaped, printable text and UTF-8 kept. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "textesc.h"

static void assert_escaped(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = textesc(out, sizeof out, in, len);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_printable_unchanged(void **state)
{
	(void)state;
	assert_escaped("line 7: bad number '+49'", 24, "line 7: bad number '+49'");
	assert_escaped("a\\x1b", 5, "a\\x1b");
	assert_escaped("", 0, "");
}

static void test_controls_escaped(void **state)
{
	(void)state;
	assert_escaped("\x1b[31mred", 8, "\\x1b[31mred");
	assert_escaped("a\nb\rc\td", 7, "a\\x0ab\\x0dc\\x09d");
	assert_escaped("x\x7fy", 3, "x\\x7fy");
	assert_escaped("a\0b", 3, "a\\x00b");
}

static void test_utf8(void **state)
{
	(void)state;
	assert_escaped("M\xC3\xBCnchen", 8, "M\xC3\xBCnchen");           /* ü */
	assert_escaped("\xE2\x82\xAC", 3, "\xE2\x82\xAC");                /* € */
	assert_escaped("\xF0\x9F\x93\xB1", 4, "\xF0\x9F\x93\xB1");        /* U+1F4F1 */
	assert_escaped("\x9b" "2J", 3, "\\x9b2J");                        /* 8-bit CSI */
	assert_escaped("\xC2\x9B" "2J", 4, "\\xc2\\x9b2J");               /* U+009B CSI */
	assert_escaped("\xC0\xAF", 2, "\\xc0\\xaf");                      /* overlong */
	assert_escaped("\xED\xA0\x80", 3, "\\xed\\xa0\\x80");             /* surrogate */
	assert_escaped("\xE2\x82", 2, "\\xe2\\x82");                      /* cut short */
	assert_escaped("\xFF", 1, "\\xff");
}

static void test_truncation(void **state)
{
	(void)state;
	char out[6];
	assert_int_equal(textesc(out, sizeof out, "abcdefgh", 8), 5);
	assert_string_equal(out, "abcde");
	/* An escape that does not fit is left out whole. */
	assert_int_equal(textesc(out, sizeof out, "ab\x1b", 3), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(textesc(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	assert_int_equal(textesc(out, 0, "abc", 3), 0);
}

static void test_str(void **state)
{
	(void)state;
	char out[32];
	textesc_str(out, sizeof out, "\x1b]0;pwned\x07");
	assert_string_equal(out, "\\x1b]0;pwned\\x07");
	textesc_str(out, sizeof out, NULL);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_unchanged),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
