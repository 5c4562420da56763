/* test_policy.c - failure verdicts per +CMS ERROR class (spec §4), modem
 * restarts, timeouts, link loss, and the retry backoff with its jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy.h"

static struct at_event send_failed(enum at_send_failure failure, int cms_error, const char *text)
{
	struct at_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = AT_EV_SEND_FAILED;
	ev.failure = failure;
	ev.cms_error = cms_error;
	ev.creg_stat = -1;
	snprintf(ev.text, sizeof ev.text, "%s", text);
	return ev;
}

static struct send_decision decide_cms(int code)
{
	struct send_decision d;
	struct at_event ev = send_failed(AT_SEND_CMS_ERROR, code, "+CMS ERROR");
	policy_decide(&ev, false, &d);
	return d;
}

static void assert_verdict(int code, enum send_verdict verdict, const char *result)
{
	struct send_decision d = decide_cms(code);
	if (d.verdict != verdict || strcmp(d.result, result) != 0)
		fail_msg("+CMS ERROR %d: verdict %d/%s, expected %d/%s", code, d.verdict, d.result,
			 verdict, result);
	assert_int_equal(d.cms_error, code);
	assert_false(d.watchdog);
}

static void test_permanent(void **state)
{
	(void)state;
	static const int codes[] = { 1, 10, 21, 30, 96, 127, 128, 176, 198, 199, 255 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_verdict(codes[i], VERDICT_FAIL, "permanent");
	struct send_decision d = decide_cms(1);
	assert_string_equal(d.detail, "+CMS ERROR 1 (unassigned (unallocated) number)");
	assert_false(d.long_backoff);
}

/* 304 means our PDU is wrong: the job fails and the operator is asked to
 * report it. */
static void test_our_bug(void **state)
{
	(void)state;
	assert_verdict(304, VERDICT_FAIL, "permanent");
	struct send_decision d = decide_cms(304);
	assert_non_null(strstr(d.detail, "+CMS ERROR 304 (invalid PDU mode parameter)"));
	assert_non_null(strstr(d.detail, "please report this otapd bug"));
}

static void test_transient(void **state)
{
	(void)state;
	static const int codes[] = { 27, 28, 41, 42, 47, 192, 331, 332, 500, 512, 4000 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_verdict(codes[i], VERDICT_RETRY, "transient");
		assert_false(decide_cms(codes[i]).long_backoff);
	}
	/* Network out of order is likely to last. */
	assert_verdict(38, VERDICT_RETRY, "transient");
	assert_true(decide_cms(38).long_backoff);
}

/* The sending modem/SIM is at fault: no attempt used, modem re-initialised. */
static void test_modem_class(void **state)
{
	(void)state;
	static const int codes[] = { 8, 29, 50, 193, 300, 302, 310, 311, 318, 320, 322, 330 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_verdict(codes[i], VERDICT_MODEM, "modem");
	assert_string_equal(decide_cms(330).detail, "+CMS ERROR 330 (SMSC address unknown)");
}

/* ^SYSSTART during the exchange blames the modem whatever it answered. */
static void test_sysstart(void **state)
{
	(void)state;
	struct send_decision d;
	struct at_event ev = send_failed(AT_SEND_CMS_ERROR, 1, "+CMS ERROR: 1");
	policy_decide(&ev, true, &d);
	assert_int_equal(d.verdict, VERDICT_MODEM);
	assert_string_equal(d.result, "modem");
	assert_int_equal(d.cms_error, -1);
	assert_false(d.watchdog);
	assert_non_null(strstr(d.detail, "^SYSSTART"));
}

static void test_plain_error(void **state)
{
	(void)state;
	struct send_decision d;
	struct at_event ev = send_failed(AT_SEND_ERROR, -1, "AT+CMGS answered ERROR");
	policy_decide(&ev, false, &d);
	assert_int_equal(d.verdict, VERDICT_RETRY);
	assert_string_equal(d.result, "transient");
	assert_int_equal(d.cms_error, -1);
	assert_false(d.watchdog);
	assert_string_equal(d.detail, "modem answered AT+CMGS answered ERROR");
	ev = send_failed(AT_SEND_ERROR, -1, "");
	policy_decide(&ev, false, &d);
	assert_string_equal(d.detail, "modem answered ERROR");
}

/* No prompt or no +CMGS: an attempt is used and the watchdog counts it. */
static void test_timeouts(void **state)
{
	(void)state;
	static const enum at_send_failure kinds[] = { AT_SEND_TIMEOUT, AT_SEND_NO_PROMPT };
	for (size_t i = 0; i < 2; i++) {
		struct send_decision d;
		struct at_event ev = send_failed(kinds[i], -1, "no +CMGS within 60 s");
		policy_decide(&ev, false, &d);
		assert_int_equal(d.verdict, VERDICT_RETRY);
		assert_string_equal(d.result, "timeout");
		assert_int_equal(d.cms_error, -1);
		assert_true(d.watchdog);
		assert_false(d.long_backoff);
		assert_string_equal(d.detail, "no +CMGS within 60 s");
		ev = send_failed(kinds[i], -1, "");
		policy_decide(&ev, false, &d);
		assert_string_equal(d.detail, "no answer from the modem");
	}
}

static void test_link_lost(void **state)
{
	(void)state;
	struct send_decision d;
	policy_link_lost("tcp://127.0.0.1:1: connection closed by the modem", &d);
	assert_int_equal(d.verdict, VERDICT_MODEM);
	assert_string_equal(d.result, "modem");
	assert_int_equal(d.cms_error, -1);
	assert_false(d.watchdog);
	assert_false(d.long_backoff);
	assert_string_equal(d.detail, "modem link lost during the send: "
				      "tcp://127.0.0.1:1: connection closed by the modem");
}

/* The defaults of otapd.conf: backoff_initial 30 s, backoff_max 1 h. */
static int64_t backoff(int attempts_done, bool long_backoff, double rand01)
{
	return policy_backoff_ms(30000, 3600000, attempts_done, long_backoff, rand01);
}

/* rand01 = 0 gives exactly half of the undithered delay. */
static void test_backoff_doubles(void **state)
{
	(void)state;
	assert_int_equal(backoff(1, false, 0.0), 15000);
	assert_int_equal(backoff(2, false, 0.0), 30000);
	assert_int_equal(backoff(3, false, 0.0), 60000);
	assert_int_equal(backoff(4, false, 0.0), 120000);
	assert_int_equal(backoff(7, false, 0.0), 960000);
}

static void test_backoff_cap(void **state)
{
	(void)state;
	/* 30 s * 2^7 = 3840 s is over the 1 h cap. */
	assert_int_equal(backoff(8, false, 0.0), 1800000);
	assert_int_equal(backoff(1000, false, 0.0), 1800000);
	assert_int_equal(policy_backoff_ms(45000, 100000, 2, false, 0.0), 45000);
	assert_int_equal(policy_backoff_ms(45000, 100000, 3, false, 0.0), 50000);
}

static void test_long_backoff_goes_to_cap(void **state)
{
	(void)state;
	assert_int_equal(backoff(1, true, 0.0), 1800000);
	assert_int_equal(backoff(3, true, 0.0), 1800000);
}

/* Equal jitter: [delay/2, delay) for rand01 in [0, 1). */
static void test_jitter_bounds(void **state)
{
	(void)state;
	const double almost_one = 0.999999999;
	for (int attempts = 1; attempts <= 10; attempts++) {
		int64_t low = backoff(attempts, false, 0.0);
		int64_t high = backoff(attempts, false, almost_one);
		int64_t mid = backoff(attempts, false, 0.5);
		int64_t full = low * 2;
		assert_true(high < full);
		assert_true(high >= full - 1);
		assert_true(mid > low && mid < high);
	}
	assert_int_equal(backoff(1, true, almost_one), 3599999);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permanent),
		cmocka_unit_test(test_our_bug),
		cmocka_unit_test(test_transient),
		cmocka_unit_test(test_modem_class),
		cmocka_unit_test(test_sysstart),
		cmocka_unit_test(test_plain_error),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_link_lost),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_backoff_cap),
		cmocka_unit_test(test_long_backoff_goes_to_cap),
		cmocka_unit_test(test_jitter_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
