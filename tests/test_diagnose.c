/* test_diagnose.c - the diagnosis rules one by one (spec §6): for each
 * step a unit can stop at, the cause and the advice the operator gets,
 * with and without status reports and local artifacts; the AT^SJOTAP
 * line masks the secrets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "diagnose.h"

static struct otap_profile local = {
	.name = "pls62", .password = "s3cret", .apn = "iot.example", .bearer = "gprs",
	.jar_file = "/srv/t.jar", .jad_file = "/srv/t.jad", .status_report = true,
};
static struct otap_profile external = {
	.name = "els61", .password = "s3cret", .jad_url = "https://fw.example.com/t.jad",
	.http_user = "u", .http_password = "hp",
};

static struct diagnosis run(enum job_state state, enum job_step reached,
			    const struct otap_profile *p, int code)
{
	struct job j = { .id = 7, .state = state, .reached = (int)reached };
	snprintf(j.msisdn, sizeof j.msisdn, "+491701234567");
	snprintf(j.profile, sizeof j.profile, "%s", p ? p->name : "gone");
	struct diag_input in = { .job = &j, .profile = p, .confirmation_expected = true,
				 .notify_code = code };
	struct diagnosis d;
	diagnose_job(&in, &d);
	assert_int_equal(d.stopped_at, reached);
	return d;
}

static bool advice_has(const struct diagnosis *d, const char *words)
{
	for (size_t i = 0; i < d->advice_count; i++) {
		if (strstr(d->advice[i], words))
			return true;
	}
	return false;
}

static void test_waiting_and_never_sent(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_QUEUED, JOB_STEP_QUEUED, &local, -1);
	assert_int_equal(d.rule, DIAG_WAITING);
	d = run(JOB_FAILED, JOB_STEP_QUEUED, &local, -1);
	assert_int_equal(d.rule, DIAG_NOT_SENT);
	assert_true(advice_has(&d, "otapctl retry 7"));
}

/* Sent, a status report asked for, none came: not delivered. */
static void test_sent_without_delivery(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_SENT, &local, -1);
	assert_int_equal(d.rule, DIAG_NO_DELIVERY);
	assert_non_null(strstr(d.cause, "PID 0x7D"));
	assert_true(advice_has(&d, "pid = 0x00"));
	assert_true(advice_has(&d, "sms_class = 0"));
	assert_true(advice_has(&d, "--stopped-at sent"));
}

/* Without local artifacts otapd cannot see the download: it says so. */
static void test_sent_external(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_SENT, &external, -1);
	assert_int_equal(d.rule, DIAG_SENT_EXTERNAL);
	assert_true(advice_has(&d, "jar_file"));
}

/* Delivered, no JAD request: the PLS62-W case, with the AT^SJOTAP line. */
static void test_delivered_no_jad(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_DELIVERED, &local, -1);
	assert_int_equal(d.rule, DIAG_NO_JAD);
	assert_non_null(strstr(d.cause, "JAD Server Not Found"));
	assert_non_null(strstr(d.cause, "password did not match"));
	assert_true(advice_has(&d, "AT^SJOTAP=****,,,,,gprs,iot.example,,,,"));
	assert_true(advice_has(&d, "cannot be overridden by SMS"));
	assert_true(advice_has(&d, "IP address"));
	assert_true(advice_has(&d, "plain http"));
	assert_true(advice_has(&d, "AT+CCLK?"));
	for (size_t i = 0; i < d.advice_count; i++)
		assert_null(strstr(d.advice[i], "s3cret"));
}

static void test_jad_only(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_JAD_FETCHED, &local, -1);
	assert_int_equal(d.rule, DIAG_DESCRIPTOR);
	assert_true(advice_has(&d, "otapctl preflight --profile pls62"));
}

static void test_jar_partial_is_transient(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_JAR_PARTIAL, &local, -1);
	assert_int_equal(d.rule, DIAG_JAR_CUT);
	assert_non_null(strstr(d.cause, "bearer dropped"));
	assert_true(advice_has(&d, "--stopped-at jar_partial"));
}

static void test_jar_without_report(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_FAILED, JOB_STEP_JAR_FETCHED, &local, -1);
	assert_int_equal(d.rule, DIAG_NO_REPORT);
	assert_true(advice_has(&d, "notify URL"));
}

/* Each reported code names what to fix. */
static void test_reported_codes(void **state)
{
	(void)state;
	static const struct { int code; const char *words; } cases[] = {
		{ 901, "free memory" }, { 904, "MIDlet-Jar-Size" }, { 905, "manifest" },
		{ 906, "descriptor" }, { 907, "JAR is invalid" }, { 909, "sign" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct diagnosis d = run(JOB_FAILED, JOB_STEP_REPORTED, &local, cases[i].code);
		assert_int_equal(d.rule, DIAG_REPORTED);
		assert_int_equal(d.code, cases[i].code);
		assert_true(advice_has(&d, cases[i].words));
	}
}

/* A job still waiting for its unit says so. */
static void test_still_waiting(void **state)
{
	(void)state;
	struct diagnosis d = run(JOB_DELIVERED, JOB_STEP_DELIVERED, &local, -1);
	assert_non_null(strstr(d.cause, "(still waiting for the unit)"));
}

/* Every diagnosis falls inside its rule's scope (the states and steps the
 * units page narrows a cause filter to), for every state, step and
 * profile; the rules whose scope is exact are found nowhere else; the
 * names go both ways. */
static void test_cause_scope_and_names(void **state)
{
	(void)state;
	const struct otap_profile *profiles[] = { &local, &external, NULL };
	bool seen_outside[DIAG_CAUSE_COUNT] = { false };
	for (int rule = 0; rule < DIAG_CAUSE_COUNT; rule++) {
		enum diag_cause back;
		assert_int_equal(diag_cause_parse(diag_cause_name((enum diag_cause)rule), &back), 0);
		assert_int_equal(back, rule);
	}
	assert_int_equal(diag_cause_parse("gremlins", &(enum diag_cause){ 0 }), -1);
	for (int st = 0; st < JOB_STATE_COUNT; st++) {
		for (int step = 0; step < JOB_STEP_COUNT; step++) {
			for (size_t p = 0; p < 3; p++) {
				struct diagnosis d = run((enum job_state)st, (enum job_step)step,
							 profiles[p], step == JOB_STEP_REPORTED ? 905 : -1);
				unsigned states, steps;
				diag_cause_scope(d.rule, &states, &steps);
				assert_true(states & (1u << st));
				assert_true(steps & (1u << step));
				/* Who else lands in an exact rule's scope? */
				for (int rule = 0; rule < DIAG_CAUSE_COUNT; rule++) {
					diag_cause_scope((enum diag_cause)rule, &states, &steps);
					if (rule != (int)d.rule && (states & (1u << st)) &&
					    (steps & (1u << step)))
						seen_outside[rule] = true;
				}
			}
		}
	}
	/* The units page counts these in the store: nothing else may match. */
	enum diag_cause exact[] = { DIAG_WAITING, DIAG_NOT_SENT, DIAG_DESCRIPTOR, DIAG_JAR_CUT,
				    DIAG_NO_REPORT, DIAG_REPORTED, DIAG_CONFIRMED };
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		assert_false(seen_outside[exact[i]]);
}

static void test_sjotap_masks_secrets(void **state)
{
	(void)state;
	char line[256];
	diagnose_sjotap_line(&external, line, sizeof line);
	assert_string_equal(line, "AT^SJOTAP=****,https://fw.example.com/t.jad,,u,****,,,,,,");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting_and_never_sent),
		cmocka_unit_test(test_sent_without_delivery),
		cmocka_unit_test(test_sent_external),
		cmocka_unit_test(test_delivered_no_jad),
		cmocka_unit_test(test_jad_only),
		cmocka_unit_test(test_jar_partial_is_transient),
		cmocka_unit_test(test_jar_without_report),
		cmocka_unit_test(test_reported_codes),
		cmocka_unit_test(test_still_waiting),
		cmocka_unit_test(test_cause_scope_and_names),
		cmocka_unit_test(test_sjotap_masks_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
