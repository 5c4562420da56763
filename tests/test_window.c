/* test_window.c - time zones (TZif reader and POSIX rules, checked against
 * glibc) and sending windows: crossing midnight, DST changes in Berlin and
 * New York, a non-default zone, and ETAs over several windows. Every case
 * passes "now" in: nothing sleeps or reads the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"
#include "window.h"

#define HOUR_MS (3600 * 1000LL)
#define MIN_MS (60 * 1000LL)

/* ms since the epoch of a UTC date and time. */
static int64_t utc_ms(int y, int mon, int d, int h, int min)
{
	return (tz_days_from_civil(y, mon, d) * 86400 + h * 3600 + min * 60) * 1000LL;
}

static struct tz *load(const char *name)
{
	struct tz *z;
	struct errbuf err = { "" };
	if (tz_load(name, &z, &err) < 0)
		fail_msg("tz_load %s: %s", name ? name : "(local)", err.msg);
	return z;
}

static struct window win(const char *text)
{
	struct window w;
	struct errbuf err = { "" };
	if (window_parse(text, &w, &err) < 0)
		fail_msg("window_parse %s: %s", text, err.msg);
	return w;
}

static struct window_state at(const char *window, const char *zone, int64_t now)
{
	struct tz *z = load(zone);
	struct window w = win(window);
	struct window_state st;
	window_at(&w, z, now, &st);
	tz_free(z);
	return st;
}

/* Compares tz_offset/tz_abbr with glibc (TZ set to the same zone) every
 * few hours over 1970-2060: the TZif table and, past its end, the footer rule. */
static void compare_with_libc(struct tz *z, const char *tz_env)
{
	setenv("TZ", tz_env, 1);
	tzset();
	for (int64_t t = 0; t < 2840000000LL; t += 3 * 3600 + 1234) {
		time_t tt = (time_t)t;
		struct tm tm;
		localtime_r(&tt, &tm);
		if (tz_offset(z, t) != tm.tm_gmtoff)
			fail_msg("%s at %lld: offset %d, glibc %ld", tz_env, (long long)t,
				 tz_offset(z, t), tm.tm_gmtoff);
		char abbr[16];
		tz_abbr(z, t, abbr, sizeof abbr);
		assert_string_equal(abbr, tm.tm_zone);
	}
	unsetenv("TZ");
	tzset();
}

static void test_tzif_offsets_match_glibc(void **state)
{
	(void)state;
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
		"America/Sao_Paulo", "Pacific/Chatham", "UTC",
	};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		struct tz *z = load(zones[i]);
		compare_with_libc(z, zones[i]);
		tz_free(z);
	}
}

static void test_posix_rules_match_glibc(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",         /* southern: DST over new year */
		"<+0530>-5:30", "IST-1GMT0,M10.5.0,M3.5.0/1",  /* negative DST (Dublin) */
		"XXX3YYY,J60/2,J300/2", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct tz *z;
		struct errbuf err = { "" };
		if (tz_from_rule(rules[i], &z, &err) < 0)
			fail_msg("%s: %s", rules[i], err.msg);
		compare_with_libc(z, rules[i]);
		tz_free(z);
	}
}

static void test_zone_names_are_checked(void **state)
{
	(void)state;
	struct tz *z;
	struct errbuf err = { "" };
	static const char *const bad[] = {
		"../../etc/passwd", "/etc/passwd", "Europe/../../etc", "Europe//Berlin", "",
		"Europe/Berlin ", "Europe/Berlin/",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(tz_check_name(bad[i], &err), -1);
		if (bad[i][0])
			assert_int_equal(tz_load(bad[i], &z, &err), -1);
	}
	assert_int_equal(tz_load("Mars/Olympus_Mons", &z, &err), -1);
	assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Olympus_Mons'"));
	assert_null(z);
	assert_int_equal(tz_load("Europe", &z, &err), -1);      /* a directory */
	assert_int_equal(tz_check_name("America/Argentina/Buenos_Aires", &err), 0);
	assert_int_equal(tz_check_name("Etc/GMT+5", &err), 0);
}

static void test_wall_to_utc_in_gaps_and_overlaps(void **state)
{
	(void)state;
	struct tz *z = load("Europe/Berlin");
	int64_t day = tz_days_from_civil(2026, 3, 29) * 86400;
	/* 02:30 does not exist: the next valid instant is 03:00 CEST = 01:00 UTC. */
	assert_int_equal(tz_to_utc(z, day + 2 * 3600 + 1800, false), utc_ms(2026, 3, 29, 1, 0) / 1000);
	assert_int_equal(tz_to_utc(z, day + 3600, false), utc_ms(2026, 3, 29, 0, 0) / 1000);
	day = tz_days_from_civil(2026, 10, 25) * 86400;
	/* 02:30 happens twice: 00:30 UTC (CEST) and 01:30 UTC (CET). */
	assert_int_equal(tz_to_utc(z, day + 2 * 3600 + 1800, false), utc_ms(2026, 10, 25, 0, 30) / 1000);
	assert_int_equal(tz_to_utc(z, day + 2 * 3600 + 1800, true), utc_ms(2026, 10, 25, 1, 30) / 1000);
	char buf[64];
	tz_format(z, utc_ms(2026, 10, 25, 1, 30), buf, sizeof buf);
	assert_string_equal(buf, "2026-10-25 02:30 CET");
	tz_format(z, utc_ms(2026, 10, 25, 0, 30), buf, sizeof buf);
	assert_string_equal(buf, "2026-10-25 02:30 CEST");
	tz_free(z);
}

static void test_window_parse(void **state)
{
	(void)state;
	struct window w;
	struct errbuf err = { "" };
	assert_int_equal(window_parse("01:00-05:00", &w, &err), 0);
	assert_int_equal(w.start_min, 60);
	assert_int_equal(w.end_min, 300);
	assert_int_equal(window_parse("22:30-2:15", &w, &err), 0);
	assert_int_equal(w.end_min, 135);
	assert_int_equal(window_parse("20:00-24:00", &w, &err), 0);
	assert_int_equal(w.end_min, 0);
	char buf[32];
	window_format(&w, buf, sizeof buf);
	assert_string_equal(buf, "20:00-00:00");
	static const char *const bad[] = {
		"01:00", "01:00-05", "1-5", "25:00-02:00", "01:60-02:00", "03:00-03:00",
		"24:00-02:00", "01:00-05:00 ", "", "00:00-24:00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (window_parse(bad[i], &w, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_non_null(strstr(err.msg, "start and end are equal"));
}

static void test_window_crossing_midnight(void **state)
{
	(void)state;
	/* 22:00-02:00 UTC, looked at from several instants. */
	struct window_state st = at("22:00-02:00", "UTC", utc_ms(2026, 6, 1, 23, 0));
	assert_true(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 6, 1, 22, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 6, 2, 2, 0));

	st = at("22:00-02:00", "UTC", utc_ms(2026, 6, 2, 1, 59));
	assert_true(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 6, 1, 22, 0));

	st = at("22:00-02:00", "UTC", utc_ms(2026, 6, 2, 2, 0));      /* the end is exclusive */
	assert_false(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 6, 2, 22, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 6, 3, 2, 0));

	st = at("22:00-02:00", "UTC", utc_ms(2026, 6, 2, 21, 59));
	assert_false(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 6, 2, 22, 0));
}

static void test_window_on_spring_forward_day_is_shorter(void **state)
{
	(void)state;
	/* Europe/Berlin 2026-03-29: 02:00 CET -> 03:00 CEST. */
	struct window_state st = at("01:00-05:00", "Europe/Berlin", utc_ms(2026, 3, 28, 12, 0));
	assert_false(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 3, 29, 0, 0));      /* 01:00 CET */
	assert_int_equal(st.closes_at, utc_ms(2026, 3, 29, 3, 0));      /* 05:00 CEST */
	assert_int_equal(st.closes_at - st.opened_at, 3 * HOUR_MS);

	st = at("01:00-05:00", "Europe/Berlin", utc_ms(2026, 3, 29, 1, 30));
	assert_true(st.open);
	/* An opening edge inside the skipped hour opens at 03:00 CEST. */
	st = at("02:30-05:00", "Europe/Berlin", utc_ms(2026, 3, 28, 12, 0));
	assert_int_equal(st.opened_at, utc_ms(2026, 3, 29, 1, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 3, 29, 3, 0));
	/* An opening entirely inside the skipped hour does not happen. */
	st = at("02:10-02:50", "Europe/Berlin", utc_ms(2026, 3, 28, 12, 0));
	assert_int_equal(st.opened_at, utc_ms(2026, 3, 30, 0, 10));     /* next day, CEST */
}

static void test_window_on_fall_back_day_is_longer(void **state)
{
	(void)state;
	/* Europe/Berlin 2026-10-25: 03:00 CEST -> 02:00 CET. */
	struct window_state st = at("01:00-05:00", "Europe/Berlin", utc_ms(2026, 10, 24, 12, 0));
	assert_false(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 10, 24, 23, 0));    /* 01:00 CEST */
	assert_int_equal(st.closes_at, utc_ms(2026, 10, 25, 4, 0));     /* 05:00 CET */
	assert_int_equal(st.closes_at - st.opened_at, 5 * HOUR_MS);
	/* During the repeated hour the window is open both times. */
	assert_true(at("01:00-05:00", "Europe/Berlin", utc_ms(2026, 10, 25, 0, 30)).open);
	assert_true(at("01:00-05:00", "Europe/Berlin", utc_ms(2026, 10, 25, 1, 30)).open);
	/* A window ending in the repeated hour closes at the second 02:30. */
	st = at("01:00-02:30", "Europe/Berlin", utc_ms(2026, 10, 24, 12, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 10, 25, 1, 30));
}

static void test_window_in_new_york(void **state)
{
	(void)state;
	/* 2026-03-08 02:00 EST -> 03:00 EDT; the window crosses midnight and
	 * its end (02:30) falls into the skipped hour: it closes at 03:00 EDT. */
	struct window_state st = at("22:00-02:30", "America/New_York", utc_ms(2026, 3, 7, 12, 0));
	assert_int_equal(st.opened_at, utc_ms(2026, 3, 8, 3, 0));       /* 22:00 EST */
	assert_int_equal(st.closes_at, utc_ms(2026, 3, 8, 7, 0));       /* 03:00 EDT */
	/* The next night is in EDT. */
	st = at("22:00-02:30", "America/New_York", utc_ms(2026, 3, 8, 12, 0));
	assert_int_equal(st.opened_at, utc_ms(2026, 3, 9, 2, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 3, 9, 6, 30));
	/* 2026-11-01 02:00 EDT -> 01:00 EST: 00:00-03:00 lasts four hours. */
	st = at("00:00-03:00", "America/New_York", utc_ms(2026, 10, 31, 12, 0));
	assert_int_equal(st.opened_at, utc_ms(2026, 11, 1, 4, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 11, 1, 8, 0));
}

static void test_window_in_a_zone_other_than_the_machines(void **state)
{
	(void)state;
	/* Tokyo is UTC+9 all year: 01:00-05:00 JST = 16:00-20:00 UTC the day before. */
	struct window_state st = at("01:00-05:00", "Asia/Tokyo", utc_ms(2026, 7, 1, 17, 0));
	assert_true(st.open);
	assert_int_equal(st.opened_at, utc_ms(2026, 7, 1, 16, 0));
	assert_int_equal(st.closes_at, utc_ms(2026, 7, 1, 20, 0));
	/* The machine's zone (tz NULL) follows $TZ like every other program. */
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	struct window_state local = at("01:00-05:00", NULL, utc_ms(2026, 7, 1, 17, 0));
	unsetenv("TZ");
	tzset();
	assert_true(local.open);
	assert_int_equal(local.opened_at, st.opened_at);
	assert_int_equal(local.closes_at, st.closes_at);
}

static void test_always_open_window(void **state)
{
	(void)state;
	struct tz *z = load("UTC");
	struct window w = WINDOW_ALWAYS;
	struct window_state st;
	window_at(&w, z, 1000, &st);
	assert_true(st.open);
	assert_int_equal(st.closes_at, INT64_MAX);
	assert_int_equal(window_finish_time(&w, z, 1000, 5000), 6000);
	tz_free(z);
}

static void test_finish_time_counts_only_open_hours(void **state)
{
	(void)state;
	struct tz *z = load("UTC");
	struct window w = win("01:00-05:00");
	int64_t now = utc_ms(2026, 6, 1, 0, 0);
	/* 5 h of sending: 4 h the first night, 1 h the second. */
	assert_int_equal(window_finish_time(&w, z, now, 5 * HOUR_MS), utc_ms(2026, 6, 2, 2, 0));
	/* Inside the window: what is left of it counts first. */
	now = utc_ms(2026, 6, 1, 4, 30);
	assert_int_equal(window_finish_time(&w, z, now, 20 * MIN_MS), utc_ms(2026, 6, 1, 4, 50));
	assert_int_equal(window_finish_time(&w, z, now, HOUR_MS), utc_ms(2026, 6, 2, 1, 30));
	/* Beyond the horizon: unknown. */
	assert_int_equal(window_finish_time(&w, z, now, 10000 * HOUR_MS), INT64_MAX);
	tz_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tzif_offsets_match_glibc),
		cmocka_unit_test(test_posix_rules_match_glibc),
		cmocka_unit_test(test_zone_names_are_checked),
		cmocka_unit_test(test_wall_to_utc_in_gaps_and_overlaps),
		cmocka_unit_test(test_window_parse),
		cmocka_unit_test(test_window_crossing_midnight),
		cmocka_unit_test(test_window_on_spring_forward_day_is_shorter),
		cmocka_unit_test(test_window_on_fall_back_day_is_longer),
		cmocka_unit_test(test_window_in_new_york),
		cmocka_unit_test(test_window_in_a_zone_other_than_the_machines),
		cmocka_unit_test(test_always_open_window),
		cmocka_unit_test(test_finish_time_counts_only_open_hours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
