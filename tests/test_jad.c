/* test_jad.c - otapd's JAD reader and writer (lib/sms/jad.c) and the JAD
 * it serves a job (notify_render_jad): attributes replaced in place or
 * added, the template's others kept, bad descriptors refused with the line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jad.h"
#include "notify_artifacts.h"

#define TEMPLATE "MIDlet-Name: Tracker\r\nMIDlet-Vendor: Acme\nMIDlet-Version: 4.17\n" \
	"MIDlet-Jar-URL: http://old.example.com/t.jar\nMIDlet-Jar-Size: 1\n" \
	"MicroEdition-Profile: IMP-NG\n"

static void test_parse_and_get(void **state)
{
	(void)state;
	struct jad j;
	struct errbuf err;
	assert_int_equal(jad_parse(TEMPLATE, strlen(TEMPLATE), &j, &err), 0);
	assert_int_equal(j.count, 6);
	assert_string_equal(jad_get(&j, "MIDlet-Name"), "Tracker");
	assert_string_equal(jad_get(&j, "MIDlet-Version"), "4.17");
	assert_null(jad_get(&j, "midlet-name"));        /* case sensitive */
	jad_free(&j);
}

static void test_refusals(void **state)
{
	(void)state;
	struct jad j;
	struct errbuf err;
	assert_int_equal(jad_parse("", 0, &j, &err), -1);
	assert_string_equal(err.msg, "has no attributes");
	assert_int_equal(jad_parse("A: 1\nno colon\n", 12, &j, &err), -1);
	assert_string_equal(err.msg, "line 2: expected 'Name: value'");
	assert_int_equal(jad_parse("A: 1\nA: 2\n", 10, &j, &err), -1);
	assert_string_equal(err.msg, "line 2: A is given twice");
	assert_int_equal(jad_parse("A B: 1\n", 7, &j, &err), -1);
	assert_int_equal(jad_parse("A: \x1b[31m\n", 9, &j, &err), -1);
	assert_int_equal(jad_parse("A: 1\0\n", 6, &j, &err), -1);
}

static void test_set_and_write(void **state)
{
	(void)state;
	struct jad j;
	struct errbuf err;
	char *text;
	size_t len;
	assert_int_equal(jad_parse("A: 1\nB: 2\n", 10, &j, &err), 0);
	assert_int_equal(jad_set(&j, "A", "one", &err), 0);
	assert_int_equal(jad_set(&j, "C", "3", &err), 0);
	assert_int_equal(jad_set(&j, "D", "bad\nvalue", &err), -1);
	assert_int_equal(jad_write(&j, &text, &len, &err), 0);
	assert_string_equal(text, "A: one\r\nB: 2\r\nC: 3\r\n");
	assert_int_equal(len, strlen(text));
	free(text);
	jad_free(&j);
}

static void test_rendered_for_a_job(void **state)
{
	(void)state;
	struct otap_profile p = { .name = "t", .jad_text = TEMPLATE, .jad_len = strlen(TEMPLATE) };
	struct errbuf err;
	char *text;
	size_t len;
	assert_int_equal(notify_render_jad(&p, "https://ota.example.com/otap/", 42,
					   "abcdefghijklmnop", 123456, &text, &len, &err), 0);
	struct jad j;
	assert_int_equal(jad_parse(text, len, &j, &err), 0);
	assert_string_equal(jad_get(&j, "MIDlet-Jar-URL"),
			    "https://ota.example.com/otap/j/42/abcdefghijklmnop.jar");
	assert_string_equal(jad_get(&j, "MIDlet-Jar-Size"), "123456");
	assert_string_equal(jad_get(&j, "MIDlet-Install-Notify"),
			    "https://ota.example.com/otap/n/42/abcdefghijklmnop");
	assert_string_equal(jad_get(&j, "MIDlet-Name"), "Tracker");
	assert_string_equal(jad_get(&j, "MicroEdition-Profile"), "IMP-NG");
	assert_int_equal(j.count, 7);
	jad_free(&j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_get),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_set_and_write),
		cmocka_unit_test(test_rendered_for_a_job),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
