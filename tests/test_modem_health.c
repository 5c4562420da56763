/* test_modem_health.c - the readings of a modem's health: +CREG stat in
 * words, +CSQ rssi as dBm and bars, state names, and the staleness rule;
 * and the store's modems rows (upsert, list, checks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modem_health.h"
#include "store.h"
#include "store_modems.h"
#include "testutil_store.h"

static void test_registration_words(void **state)
{
	(void)state;
	assert_string_equal(modem_registration_words(1), "home");
	assert_string_equal(modem_registration_words(5), "roaming");
	assert_string_equal(modem_registration_words(2), "searching");
	assert_string_equal(modem_registration_words(3), "denied");
	assert_string_equal(modem_registration_words(0), "not registered");
	assert_string_equal(modem_registration_words(4), "unknown");
	assert_string_equal(modem_registration_words(-1), "unknown");
}

static void test_signal(void **state)
{
	(void)state;
	assert_int_equal(modem_signal_dbm(0), -113);
	assert_int_equal(modem_signal_dbm(21), -71);
	assert_int_equal(modem_signal_dbm(31), -51);
	assert_false(modem_signal_known(99));
	assert_false(modem_signal_known(-1));
	assert_true(modem_signal_known(0));
	assert_int_equal(modem_signal_bars(99), 0);
	assert_int_equal(modem_signal_bars(0), 0);     /* -113 */
	assert_int_equal(modem_signal_bars(3), 1);     /* -107 */
	assert_int_equal(modem_signal_bars(6), 2);     /* -101 */
	assert_int_equal(modem_signal_bars(10), 3);    /* -93 */
	assert_int_equal(modem_signal_bars(15), 4);    /* -83 */
	assert_int_equal(modem_signal_bars(20), 5);    /* -73 */
	assert_int_equal(modem_signal_bars(31), 5);
}

static void test_states_and_staleness(void **state)
{
	(void)state;
	enum modem_state st;
	for (int i = 0; i < MODEM_STATE_COUNT; i++) {
		assert_int_equal(modem_state_parse(modem_state_name((enum modem_state)i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(modem_state_parse("asleep", &st), -1);
	assert_string_equal(modem_state_name(MODEM_STATE_COUNT), "unknown");
	struct modem_health h = { .state = MODEM_READY, .last_seen = 1000000 };
	assert_false(modem_health_stale(&h, 1000000 + MODEM_HEALTH_STALE_MS));
	assert_true(modem_health_stale(&h, 1000000 + MODEM_HEALTH_STALE_MS + 1));
	assert_true(modem_health_usable(&h, 1000000));
	h.state = MODEM_SENDING;
	assert_true(modem_health_usable(&h, 1000000));
	h.state = MODEM_FAILING;
	assert_false(modem_health_usable(&h, 1000000));
	assert_true(MODEM_HEALTH_REFRESH_MS * 3 <= MODEM_HEALTH_STALE_MS);
}

static int collect(const struct modem_health *h, void *arg)
{
	struct modem_health *out = arg;
	out[h->name[1] - '1'] = *h;
	return 0;
}

static void test_store_rows(void **state)
{
	(void)state;
	char dir[] = "/tmp/otap-mh.XXXXXX", path[640];
	struct store *q;
	struct errbuf err;
	assert_non_null(mkdtemp(dir));
	test_store_location(path, sizeof path, dir, "q.db");
	assert_int_equal(store_open(path, &q, &err), 0);
	struct modem_health h = { .name = "m1", .state = MODEM_READY, .state_since = 5,
				  .creg_stat = 5, .operator_name = "Net", .rssi = 21,
				  .model = "ELS61-E", .revision = "REV 2", .imei = "351234567890124",
				  .sms_sent = 3, .sms_failed = 1, .last_seen = 7 };
	assert_int_equal(store_modem_update(q, &h, &err), 0);
	struct modem_health m2 = { .name = "m2", .state = MODEM_FAILING, .why = "no answer",
				   .creg_stat = -1, .rssi = -1, .last_error = "no answer",
				   .last_error_at = 6, .last_seen = 8 };
	assert_int_equal(store_modem_update(q, &m2, &err), 0);
	h.sms_sent = 4;                 /* the upsert replaces */
	assert_int_equal(store_modem_update(q, &h, &err), 0);
	struct modem_health got[2];
	memset(got, 0, sizeof got);
	assert_int_equal(store_modem_list(q, collect, got, &err), 0);
	assert_string_equal(got[0].name, "m1");
	assert_int_equal(got[0].state, MODEM_READY);
	assert_string_equal(got[0].why, "");
	assert_int_equal(got[0].state_since, 5);
	assert_int_equal(got[0].creg_stat, 5);
	assert_string_equal(got[0].operator_name, "Net");
	assert_int_equal(got[0].rssi, 21);
	assert_string_equal(got[0].model, "ELS61-E");
	assert_string_equal(got[0].revision, "REV 2");
	assert_string_equal(got[0].imei, "351234567890124");
	assert_int_equal(got[0].sms_sent, 4);
	assert_int_equal(got[0].sms_failed, 1);
	assert_int_equal(got[0].last_error_at, 0);
	assert_int_equal(got[0].last_seen, 7);
	assert_int_equal(got[1].state, MODEM_FAILING);
	assert_string_equal(got[1].why, "no answer");
	assert_int_equal(got[1].creg_stat, -1);
	assert_int_equal(got[1].rssi, -1);
	assert_string_equal(got[1].operator_name, "");
	assert_int_equal(got[1].last_error_at, 6);
	/* refused: no name, a state out of range */
	struct modem_health bad = { .state = MODEM_READY };
	assert_int_equal(store_modem_update(q, &bad, &err), -1);
	snprintf(bad.name, sizeof bad.name, "m3");
	bad.state = MODEM_STATE_COUNT;
	assert_int_equal(store_modem_update(q, &bad, &err), -1);
	store_close(q);
	test_store_drop(path);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registration_words),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_states_and_staleness),
		cmocka_unit_test(test_store_rows),
	};
	return cmocka_run_group_tests_name("modem_health", tests, NULL, NULL);
}
