/* test_outcome.c - the recovery file's line (daemon/outcome.c): an SMPP
 * send's message ids survive a round trip as the 14th field, escaped
 * (commas, spaces, '%', control bytes); a modem's line keeps its 13 fields;
 * malformed id fields are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "outcome.h"

static struct outcome smpp_outcome(const char *const *ids, size_t n)
{
	struct outcome oc;
	struct job_outcome o = { .modem = "smsc", .started_at = 1, .finished_at = 2,
				 .result = "sent", .cms_error = -1, .mrs = "a,b",
				 .detail = "resent: may get it twice" };
	struct sent_parts parts = { NULL, n, ids };
	outcome_set(&oc, OUTCOME_SENT, 42, &o, &parts);
	return oc;
}

static void test_ids_round_trip(void **state)
{
	(void)state;
	const char *ids[] = { "M0001", "a,b c%d", "\x01x" };
	struct outcome oc = smpp_outcome(ids, 3), back;
	char line[OUTCOME_LINE_MAX];
	struct errbuf err;
	outcome_format(&oc, line);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "\tM0001,a%2Cb%20c%25d,%01x"));
	assert_int_equal(outcome_parse(line, &back, &err), 0);
	assert_int_equal(back.part_count, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(back.message_id[i], ids[i]);
	assert_string_equal(back.detail, oc.detail);
	assert_int_equal(back.job_id, 42);
}

static void test_modem_line_unchanged(void **state)
{
	(void)state;
	int mr[] = { 17, 18 };
	struct job_outcome o = { .modem = "m1", .started_at = 1, .finished_at = 2,
				 .cms_error = -1 };
	struct sent_parts parts = { mr, 2, NULL };
	struct outcome oc, back;
	char line[OUTCOME_LINE_MAX];
	struct errbuf err;
	outcome_set(&oc, OUTCOME_SENT, 7, &o, &parts);
	outcome_format(&oc, line);
	size_t tabs = 0;
	for (const char *p = line; *p; p++)
		tabs += *p == '\t';
	assert_int_equal(tabs, 12);                     /* 13 fields, as before */
	assert_int_equal(outcome_parse(line, &back, &err), 0);
	assert_int_equal(back.mr[1], 18);
	assert_string_equal(back.message_id[0], "");
}

static void test_bad_id_fields(void **state)
{
	(void)state;
	const char *ids[] = { "A", "B" };
	struct outcome oc = smpp_outcome(ids, 2), back;
	char line[OUTCOME_LINE_MAX], bad[OUTCOME_LINE_MAX + 8];
	struct errbuf err;
	outcome_format(&oc, line);
	/* One id for two parts, three for two, empty ones, a bad escape. */
	const char *tails[] = { "\tA", "\tA,B,C", "\tA,", "\t,A,B", "\tA,,B", "\tA,%G1" };
	char *tab = strrchr(line, '\t');
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		snprintf(bad, sizeof bad, "%.*s%s", (int)(tab - line), line, tails[i]);
		assert_int_equal(outcome_parse(bad, &back, &err), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_round_trip),
		cmocka_unit_test(test_modem_line_unchanged),
		cmocka_unit_test(test_bad_id_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
