/* test_json.c - the JSON writer: escaping, separators, times, misuse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Captures what a writer produces in memory. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
	struct json_writer w;
};

static void capture_open(struct capture *c)
{
	memset(c, 0, sizeof *c);
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	json_init(&c->w, c->f);
}

/* Closes the stream and returns the text (owned by c until capture_free). */
static const char *capture_text(struct capture *c)
{
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

static void capture_free(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

static void assert_escaped(const char *in, const char *expected)
{
	struct capture c;
	capture_open(&c);
	json_write_escaped(c.f, in);
	assert_string_equal(capture_text(&c), expected);
	capture_free(&c);
}

static void test_plain_string_is_quoted(void **state)
{
	(void)state;
	assert_escaped("hello world", "\"hello world\"");
	assert_escaped("", "\"\"");
	assert_escaped("http://fw.example.com/a.jad", "\"http://fw.example.com/a.jad\"");
}

static void test_quote_and_backslash_are_escaped(void **state)
{
	(void)state;
	assert_escaped("say \"hi\"", "\"say \\\"hi\\\"\"");
	assert_escaped("a:\\app", "\"a:\\\\app\"");
}

static void test_control_chars_become_u00xx(void **state)
{
	(void)state;
	assert_escaped("a\nb", "\"a\\u000Ab\"");
	assert_escaped("\r\t\b\f", "\"\\u000D\\u0009\\u0008\\u000C\"");
	assert_escaped("\x01\x1f", "\"\\u0001\\u001F\"");
	assert_escaped("\x7f", "\"\\u007F\"");
}

static void test_valid_utf8_passes_through(void **state)
{
	(void)state;
	assert_escaped("M\xc3\xbcnchen", "\"M\xc3\xbcnchen\"");         /* 2 bytes */
	assert_escaped("\xe2\x82\xac", "\"\xe2\x82\xac\"");             /* euro, 3 bytes */
	assert_escaped("\xf0\x9f\x93\xb1", "\"\xf0\x9f\x93\xb1\"");     /* 4 bytes */
}

static void test_invalid_utf8_becomes_replacement(void **state)
{
	(void)state;
	assert_escaped("a\xff" "b", "\"a\\uFFFDb\"");
	/* Overlong encoding of '/' must not sneak through. */
	assert_escaped("\xc0\xaf", "\"\\uFFFD\\uFFFD\"");
	/* Truncated sequence at the end of the string. */
	assert_escaped("x\xe2\x82", "\"x\\uFFFD\\uFFFD\"");
	/* UTF-16 surrogate encoded in UTF-8 is not valid UTF-8. */
	assert_escaped("\xed\xa0\x80", "\"\\uFFFD\\uFFFD\\uFFFD\"");
}

static void test_null_string_is_null(void **state)
{
	(void)state;
	assert_escaped(NULL, "null");
}

static void test_object_and_array_separators(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	json_begin_object(&c.w);
	json_member_int(&c.w, "id", 42);
	json_member_string(&c.w, "rollout", NULL);
	json_key(&c.w, "list");
	json_begin_array(&c.w);
	json_int(&c.w, -1);
	json_bool(&c.w, true);
	json_null(&c.w);
	json_begin_object(&c.w);
	json_end_object(&c.w);
	json_end_array(&c.w);
	json_member_string(&c.w, "k\"", "v\n");
	json_end_object(&c.w);
	assert_int_equal(json_finish(&c.w), 0);
	assert_string_equal(capture_text(&c),
			    "{\"id\":42,\"rollout\":null,\"list\":[-1,true,null,{}],"
			    "\"k\\\"\":\"v\\u000A\"}");
	capture_free(&c);
}

static void test_int64_extremes(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	json_begin_array(&c.w);
	json_int(&c.w, INT64_MAX);
	json_int(&c.w, INT64_MIN);
	json_end_array(&c.w);
	assert_int_equal(json_finish(&c.w), 0);
	assert_string_equal(capture_text(&c), "[9223372036854775807,-9223372036854775808]");
	capture_free(&c);
}

static void test_time_is_iso8601_utc_with_ms(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	json_begin_array(&c.w);
	json_time_ms(&c.w, 1795568523456);     /* 2026-11-25T01:02:03.456Z */
	json_time_ms(&c.w, 0);
	json_time_ms(&c.w, -1);                /* floor, not truncation */
	json_end_array(&c.w);
	assert_int_equal(json_finish(&c.w), 0);
	assert_string_equal(capture_text(&c),
			    "[\"2026-11-25T01:02:03.456Z\",\"1970-01-01T00:00:00.000Z\","
			    "\"1969-12-31T23:59:59.999Z\"]");
	capture_free(&c);
}

static void test_unbalanced_document_is_reported(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	json_begin_array(&c.w);
	assert_int_equal(json_finish(&c.w), -1);       /* still open */
	json_end_array(&c.w);
	assert_int_equal(json_finish(&c.w), 0);
	json_end_array(&c.w);                           /* one end too many */
	assert_int_equal(json_finish(&c.w), -1);
	capture_free(&c);
}

static void test_dangling_key_is_reported(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	json_begin_object(&c.w);
	json_key(&c.w, "a");
	json_end_object(&c.w);
	assert_int_equal(json_finish(&c.w), -1);
	capture_free(&c);
}

static void test_too_deep_nesting_is_reported(void **state)
{
	(void)state;
	struct capture c;
	capture_open(&c);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_begin_array(&c.w);
	assert_int_equal(json_finish(&c.w), -1);
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_string_is_quoted),
		cmocka_unit_test(test_quote_and_backslash_are_escaped),
		cmocka_unit_test(test_control_chars_become_u00xx),
		cmocka_unit_test(test_valid_utf8_passes_through),
		cmocka_unit_test(test_invalid_utf8_becomes_replacement),
		cmocka_unit_test(test_null_string_is_null),
		cmocka_unit_test(test_object_and_array_separators),
		cmocka_unit_test(test_int64_extremes),
		cmocka_unit_test(test_time_is_iso8601_utc_with_ms),
		cmocka_unit_test(test_unbalanced_document_is_reported),
		cmocka_unit_test(test_dangling_key_is_reported),
		cmocka_unit_test(test_too_deep_nesting_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
