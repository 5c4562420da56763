/* test_breaker.c - the modem circuit breaker: ok -> failing -> disabled,
 * capped exponential backoff, health check, and the blame streak (the same
 * error on different units in a row while other modems send). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "breaker.h"

#define CMS_CONGESTION 42
#define CMS_NOT_ALLOWED 302

static void make(struct breaker *b, int max_failures)
{
	struct breaker_config cfg = {
		.max_failures = max_failures, .backoff_min_ms = 1000, .backoff_max_ms = 8000,
		.suspect_jobs = 3,
	};
	breaker_init(b, &cfg);
}

static void test_starts_ok(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 5);
	assert_int_equal(b.state, BREAKER_OK);
	assert_true(breaker_may_send(&b, 0));
	assert_int_equal(breaker_next_try(&b), 0);
	assert_string_equal(breaker_state_name(BREAKER_FAILING), "failing");
}

static void test_modem_error_fails_with_doubling_capped_backoff(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 100);
	assert_true(breaker_blames_modem(&b, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 1));
	assert_true(breaker_failure(&b, 0, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 1));
	assert_int_equal(b.state, BREAKER_FAILING);
	assert_false(breaker_may_send(&b, 999));
	assert_true(breaker_may_send(&b, 1000));
	/* Further failures do not change the state (no new log line)... */
	assert_false(breaker_failure(&b, 1000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 2));
	assert_int_equal(breaker_next_try(&b), 3000);
	assert_false(breaker_failure(&b, 3000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 3));
	assert_int_equal(breaker_next_try(&b), 7000);
	/* ...and the backoff stops at the cap. */
	assert_false(breaker_failure(&b, 7000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 4));
	assert_int_equal(breaker_next_try(&b), 15000);
	assert_false(breaker_failure(&b, 15000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 5));
	assert_int_equal(breaker_next_try(&b), 23000);
}

static void test_disabled_until_health_check(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 3);
	breaker_failure(&b, 0, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 1);
	breaker_failure(&b, 1000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 2);
	assert_int_equal(b.state, BREAKER_FAILING);
	assert_true(breaker_failure(&b, 3000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 3));
	assert_int_equal(b.state, BREAKER_DISABLED);
	/* Past its backoff a disabled modem still does not send... */
	assert_false(breaker_may_send(&b, 100000));
	/* ...until the health check passes: then one send at once. */
	assert_true(breaker_health_passed(&b, 100000));
	assert_int_equal(b.state, BREAKER_FAILING);
	assert_true(breaker_may_send(&b, 100000));
	assert_false(breaker_health_passed(&b, 100000));     /* not disabled: no change */
	/* Failing again goes straight back to disabled. */
	assert_true(breaker_failure(&b, 100000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 4));
	assert_int_equal(b.state, BREAKER_DISABLED);
}

static void test_success_resets(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 3);
	breaker_failure(&b, 0, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 1);
	breaker_failure(&b, 1000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 2);
	assert_true(breaker_success(&b));
	assert_int_equal(b.state, BREAKER_OK);
	assert_int_equal(b.failures, 0);
	assert_false(breaker_success(&b));                  /* already ok: no change */
	/* The backoff starts small again. */
	breaker_failure(&b, 5000, BREAKER_FAULT_MODEM, CMS_NOT_ALLOWED, 3);
	assert_int_equal(breaker_next_try(&b), 6000);
}

static void test_timeout_fails_modem_but_counts_for_unit(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 5);
	breaker_observe_others(&b, 10);
	/* One unit without an answer: may be its PDU; the attempt counts. */
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TIMEOUT, -1, 1));
	assert_true(breaker_failure(&b, 0, BREAKER_FAULT_TIMEOUT, -1, 1));
	assert_int_equal(b.state, BREAKER_FAILING);
}

/* Transient errors: only K different units in a row, while other modems
 * send, blame the modem. */
static void test_transient_streak_blames_modem(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 5);
	breaker_observe_others(&b, 0);
	assert_false(breaker_failure(&b, 0, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 1));
	breaker_observe_others(&b, 4);
	assert_false(breaker_failure(&b, 10, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 2));
	assert_int_equal(b.state, BREAKER_OK);
	/* The same unit again does not lengthen the streak. */
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 2));
	/* A third unit does: the modem's fault, not the unit's. */
	assert_true(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 3));
	assert_true(breaker_failure(&b, 20, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 3));
	assert_int_equal(b.state, BREAKER_FAILING);
	/* It stays the modem's until a send gets through. */
	assert_true(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 4));
	breaker_success(&b);
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 4));
}

static void test_no_blame_without_other_modems_succeeding(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 5);
	breaker_observe_others(&b, 7);      /* constant: the others sent nothing since */
	for (int64_t job = 1; job <= 6; job++) {
		assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, job));
		/* The streak still pauses the modem (once: one state change). */
		assert_int_equal(breaker_failure(&b, job, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, job),
				 job == 3);
		assert_int_equal(b.state, job < 3 ? BREAKER_OK : BREAKER_FAILING);
	}
}

static void test_different_errors_break_the_streak(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 5);
	breaker_observe_others(&b, 0);
	breaker_failure(&b, 0, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 1);
	breaker_failure(&b, 0, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 2);
	breaker_observe_others(&b, 3);
	/* Another code, or a timeout, starts a new streak. */
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, 41, 3));
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TIMEOUT, -1, 3));
	breaker_failure(&b, 0, BREAKER_FAULT_TRANSIENT, 41, 3);
	assert_false(breaker_blames_modem(&b, BREAKER_FAULT_TRANSIENT, CMS_CONGESTION, 4));
}

static void test_timeouts_streak(void **state)
{
	(void)state;
	struct breaker b;
	make(&b, 10);
	breaker_observe_others(&b, 0);
	breaker_failure(&b, 0, BREAKER_FAULT_TIMEOUT, -1, 1);
	breaker_observe_others(&b, 1);
	breaker_failure(&b, 1000, BREAKER_FAULT_TIMEOUT, -1, 2);
	assert_true(breaker_blames_modem(&b, BREAKER_FAULT_TIMEOUT, -1, 3));
}

static void test_config_is_clamped(void **state)
{
	(void)state;
	struct breaker b;
	struct breaker_config cfg = { .max_failures = 0, .backoff_min_ms = 0, .backoff_max_ms = -5,
				      .suspect_jobs = 99 };
	breaker_init(&b, &cfg);
	assert_int_equal(b.cfg.max_failures, 1);
	assert_int_equal(b.cfg.backoff_min_ms, 1);
	assert_int_equal(b.cfg.backoff_max_ms, 1);
	assert_int_equal(b.cfg.suspect_jobs, BREAKER_STREAK_MAX);
	assert_true(breaker_failure(&b, 0, BREAKER_FAULT_MODEM, -1, 1));
	assert_int_equal(b.state, BREAKER_DISABLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_ok),
		cmocka_unit_test(test_modem_error_fails_with_doubling_capped_backoff),
		cmocka_unit_test(test_disabled_until_health_check),
		cmocka_unit_test(test_success_resets),
		cmocka_unit_test(test_timeout_fails_modem_but_counts_for_unit),
		cmocka_unit_test(test_transient_streak_blames_modem),
		cmocka_unit_test(test_no_blame_without_other_modems_succeeding),
		cmocka_unit_test(test_different_errors_break_the_streak),
		cmocka_unit_test(test_timeouts_streak),
		cmocka_unit_test(test_config_is_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
