/* test_unit_jad.c - the simulated units' JAD reading (tests/modemsim/
 * unit_jad.c): attributes, line ends and white space, Jar-URL resolution,
 * and the reasons a unit rejects a descriptor (906). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "unit_jad.h"

#define JAD_URL "http://fw.example.com:8080/els61/app.jad?v=2"

static void parse(const char *text, struct jad_info *out)
{
	unit_jad_read(text, strlen(text), JAD_URL, out);
}

static void test_attributes_crlf(void **state)
{
	(void)state;
	struct jad_info j;
	parse("MIDlet-Name: Demo\r\nMIDlet-Jar-URL: app.jar\r\nMIDlet-Jar-Size: 1234\r\n"
	      "MIDlet-Install-Notify: http://n.example.com/notify\r\n", &j);
	assert_string_equal(j.invalid, "");
	assert_string_equal(j.jar_url, "http://fw.example.com:8080/els61/app.jar");
	assert_int_equal(j.jar_size, 1234);
	assert_string_equal(j.install_notify, "http://n.example.com/notify");
}

static void test_whitespace_lf_no_final_newline(void **state)
{
	(void)state;
	struct jad_info j;
	parse("MIDlet-Jar-Size:\t 77 \nMIDlet-Jar-URL:   http://cdn.example.com/a.jar  ", &j);
	assert_string_equal(j.invalid, "");
	assert_int_equal(j.jar_size, 77);
	assert_string_equal(j.jar_url, "http://cdn.example.com/a.jar");
	assert_string_equal(j.install_notify, "");
}

/* MIDP: an attribute given twice makes the descriptor invalid. */
static void test_duplicate_is_invalid(void **state)
{
	(void)state;
	struct jad_info j;
	parse("MIDlet-Jar-URL: a.jar\nMIDlet-Jar-Size: 1\nMIDlet-Jar-Size: 2\n", &j);
	assert_non_null(strstr(j.invalid, "not a JAD: line 3: MIDlet-Jar-Size is given twice"));
	assert_int_equal(j.jar_size, -1);
}

static void test_keys_are_case_sensitive(void **state)
{
	(void)state;
	struct jad_info j;
	parse("midlet-jar-url: a.jar\nMIDlet-Jar-Size: 1\n", &j);
	assert_string_equal(j.invalid, "MIDlet-Jar-URL missing");
}

static void test_invalid(void **state)
{
	(void)state;
	struct jad_info j;
	parse("MIDlet-Jar-URL: a.jar\n", &j);
	assert_string_equal(j.invalid, "MIDlet-Jar-Size missing");
	parse("MIDlet-Jar-URL: a.jar\nMIDlet-Jar-Size:\n", &j);
	assert_string_equal(j.invalid, "MIDlet-Jar-Size missing");
	parse("MIDlet-Jar-URL: a.jar\nMIDlet-Jar-Size: 12k\n", &j);
	assert_string_equal(j.invalid, "MIDlet-Jar-Size not a number");
	parse("MIDlet-Jar-URL: a.jar\nMIDlet-Jar-Size: -5\n", &j);
	assert_string_equal(j.invalid, "MIDlet-Jar-Size not a number");
	assert_int_equal(j.jar_size, -1);
	parse("", &j);
	assert_non_null(strstr(j.invalid, "not a JAD"));
	assert_int_equal(j.jar_size, -1);
}

static void test_resolve(void **state)
{
	(void)state;
	char out[JAD_URL_MAX];
	assert_int_equal(unit_jad_resolve_url(JAD_URL, "/b/x.jar", out, sizeof out), 0);
	assert_string_equal(out, "http://fw.example.com:8080/b/x.jar");
	assert_int_equal(unit_jad_resolve_url(JAD_URL, "../x.jar", out, sizeof out), 0);
	assert_string_equal(out, "http://fw.example.com:8080/x.jar");
	assert_int_equal(unit_jad_resolve_url(JAD_URL, "https://other.example.com/y.jar", out,
					      sizeof out), 0);
	assert_string_equal(out, "https://other.example.com/y.jar");
	assert_int_equal(unit_jad_resolve_url(JAD_URL, "x.jar", out, 10), -1);
	assert_int_equal(unit_jad_resolve_url("not a url", "x.jar", out, sizeof out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributes_crlf),
		cmocka_unit_test(test_whitespace_lf_no_final_newline),
		cmocka_unit_test(test_duplicate_is_invalid),
		cmocka_unit_test(test_keys_are_case_sensitive),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
