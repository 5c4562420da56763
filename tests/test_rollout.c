/* test_rollout.c - rollouts end to end inside one process: importing fleet
 * files (valid, invalid, repeated numbers, broken CSV, a million rows), the
 * claim's gates (waves, window, pause, rate), rollout_tick opening waves or
 * pausing on failures, resume/cancel, retrying failed jobs, and status.
 * Time is passed in: every "later" is a number, nothing sleeps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "rollout.h"
#include "testutil_store.h"

/* 2026-06-01 12:00:00 UTC */
#define T0 1780315200000LL
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL

struct fixture {
	char dir[64];
	char db[640];
	char csv[128];
	struct cfg cfg;
	struct store *q;
	char problems[8192];            /* "line:reason\n"... from the import hooks */
	int problem_count;
};

/* ---- fixture ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_rollout.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	test_store_location(f->db, sizeof f->db, f->dir, "otap.db");
	snprintf(f->csv, sizeof f->csv, "%s/units.csv", f->dir);
	char conf[160], text[1536];
	snprintf(conf, sizeof conf, "%s/otapd.conf", f->dir);
	snprintf(text, sizeof text,
		 "database = \"%s\";\n"
		 "profiles = (\n"
		 "  { name = \"els61\"; password = \"pw\"; jad_url = \"http://fw.example.com/a.jad\"; },\n"
		 "  { name = \"pls62\"; password = \"pw2\"; jad_url = \"http://fw.example.com/p.jad\"; }\n"
		 ");\n"
		 "modems = ( { name = \"m1\"; device = \"tcp://127.0.0.1:1\"; } );\n", f->db);
	test_write_text(conf, text);
	struct errbuf err = { "" };
	if (cfg_load(conf, &f->cfg, &err) < 0)
		fail_msg("cfg_load: %s", err.msg);
	if (store_open(f->db, &f->q, &err) < 0)
		fail_msg("queue_open: %s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->q);
	cfg_free(&f->cfg);
	test_store_drop(f->db);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---- */

__attribute__((format(printf, 2, 3)))
static int64_t sql_int(struct fixture *f, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return test_sql_int(f->q, sql);
}

static void on_problem(void *arg, size_t line, bool duplicate, const char *reason)
{
	struct fixture *f = arg;
	size_t n = strlen(f->problems);
	snprintf(f->problems + n, sizeof f->problems - n, "%zu:%s%s\n", line,
		 duplicate ? "dup:" : "", reason);
	f->problem_count++;
}

static struct rollout_spec spec(const char *name)
{
	return (struct rollout_spec){
		.name = name, .profile = "els61", .action = OTAP_ACTION_INSTALL,
		.window = WINDOW_ALWAYS, .tz = "UTC", .max_failure_pct = -1, .start_at = T0,
		.max_attempts = 3,
	};
}

/* Imports csv_text with s; returns rollout_create's result. */
static int import(struct fixture *f, const struct rollout_spec *s, const char *csv_text,
		  struct rollout_import_result *res, struct errbuf *err)
{
	struct rollout_import_hooks hooks = { .problem = on_problem, .arg = f };
	f->problems[0] = '\0';
	f->problem_count = 0;
	test_write_text(f->csv, csv_text);
	return rollout_create(f->q, &f->cfg, s, f->csv, T0, &hooks, res, err);
}

static void import_ok(struct fixture *f, const struct rollout_spec *s, const char *csv_text)
{
	struct rollout_import_result res;
	struct errbuf err = { "" };
	if (import(f, s, csv_text, &res, &err) < 0)
		fail_msg("import: %s\n%s", err.msg, f->problems);
}

/* A CSV of n units +4917000000001... with a label column. */
static char *fleet(int n)
{
	size_t size = 64 + (size_t)n * 40;
	char *text = malloc(size);
	assert_non_null(text);
	size_t len = (size_t)snprintf(text, size, "msisdn,label\n");
	for (int i = 1; i <= n; i++)
		len += (size_t)snprintf(text + len, size - len, "+49170%07d,unit %d\n", i, i);
	return text;
}

static int64_t claim(struct fixture *f, int64_t now)
{
	struct job job;
	struct errbuf err = { "" };
	int rc = store_claim(f->q, "m1", now, &job, &err);
	if (rc < 0)
		fail_msg("claim: %s", err.msg);
	return rc ? job.id : 0;
}

static void finish(struct fixture *f, int64_t id, int64_t now, bool ok, int cms)
{
	struct job_outcome o = {
		.modem = "m1", .started_at = now, .finished_at = now, .result = ok ? "sent" : "permanent",
		.cms_error = ok ? -1 : cms, .detail = ok ? NULL : (cms == 1 ? "+CMS ERROR: 1 (unassigned "
		"number)" : "+CMS ERROR: 21 (SM rejected)"),
	};
	struct errbuf err = { "" };
	int rc = ok ? store_mark_sent(f->q, id, &o, NULL, &err) : store_mark_failed(f->q, id, &o, &err);
	if (rc < 0)
		fail_msg("finish job %lld: %s", (long long)id, err.msg);
}

/* Claims and finishes every due job at now; the first `fail` of them fail
 * with CMS 1. Returns how many were claimed. */
static int send_all(struct fixture *f, int64_t now, int fail)
{
	int n = 0;
	int64_t id;
	while ((id = claim(f, now)) != 0) {
		finish(f, id, now, n >= fail, 1);
		n++;
	}
	return n;
}

static void tick(struct fixture *f, int64_t now)
{
	struct errbuf err = { "" };
	if (rollout_tick(f->q, now, NULL, NULL, &err) < 0)
		fail_msg("tick: %s", err.msg);
}

static struct rollout get(struct fixture *f, const char *name)
{
	struct rollout r;
	struct errbuf err = { "" };
	assert_int_equal(store_rollout_get(f->q, name, &r, &err), 1);
	return r;
}

/* ---- import ---- */

static void test_import_columns_meta_and_waves(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("north");
	assert_int_equal(rollout_waves_parse("10%,50%,100%", &s.waves, NULL), 0);
	import_ok(f, &s,
		  "\xEF\xBB\xBF" "Label;MSISDN;Profile;IMEI;serial\r\n"
		  "\"A; \"\"1\"\"\";+491700000001;;490154203237518;S-1\r\n"
		  "b;+491700000002;pls62;;\r\n"
		  "c;+491700000003;;;S-3\r\n"
		  "d;+491700000004;;;\r\n"
		  "e;+491700000005;;;\r\n");
	assert_int_equal(f->problem_count, 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE rollout = 'north'"), 5);
	/* Waves of 10/50/100% of 5 units end at units 1, 3 and 5. */
	assert_int_equal(sql_int(f, test_engine_pg() ?
				 "SELECT string_agg(wave::text, '' ORDER BY id) FROM jobs" :
				 "SELECT group_concat(wave, '') FROM (SELECT wave FROM jobs ORDER BY id)"),
			 12233);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE wave = 1 AND not_before = %lld", T0), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE wave > 1 AND not_before = %lld",
				 STORE_WAITING_FOR_WAVE), 4);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE profile = 'pls62' AND id = 2"), 1);
	assert_int_equal(sql_int(f, "SELECT imei = '490154203237518' FROM jobs WHERE id = 1"), 1);
	assert_int_equal(sql_int(f, "SELECT meta = '{\"Label\":\"A; \\\"1\\\"\",\"serial\":\"S-1\"}' "
				 "FROM jobs WHERE id = 1"), 1);
	assert_int_equal(sql_int(f, "SELECT meta IS NULL FROM jobs WHERE id = 4"), 0);
	assert_int_equal(sql_int(f, "SELECT max_attempts FROM jobs WHERE id = 5"), 3);
	struct rollout r = get(f, "north");
	assert_int_equal(r.total_units, 5);
	assert_int_equal(r.current_wave, 1);
	assert_int_equal(r.waves.count, 3);
	assert_int_equal(r.state, ROLLOUT_ACTIVE);
	assert_true(r.gate_open);
}

static void collect_meta(const char *key, const char *value, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 256 - n, "%s=%s;", key, value);
}

static void test_unit_metadata_reads_back(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("meta");
	import_ok(f, &s, "msisdn,label,serial,note\n+491700000001,Depot \xC3\xA4,S1,\n"
		  "+491700000002,bad \xFF byte,,\n+491700000003,,,\n");
	char buf[256] = "";
	struct errbuf err = { "" };
	assert_int_equal(store_job_meta(f->q, 1, collect_meta, buf, &err), 0);
	assert_string_equal(buf, "label=Depot \xC3\xA4;serial=S1;");
	buf[0] = '\0';
	assert_int_equal(store_job_meta(f->q, 2, collect_meta, buf, &err), 0);
	assert_string_equal(buf, "label=bad \xEF\xBF\xBD byte;");     /* U+FFFD */
	buf[0] = '\0';
	assert_int_equal(store_job_meta(f->q, 3, collect_meta, buf, &err), 0);
	assert_string_equal(buf, "");
}

static void test_invalid_rows_are_listed_and_nothing_is_written(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("bad");
	struct rollout_import_result res;
	struct errbuf err = { "" };
	const char *text =
		"msisdn,imei,profile,label\n"
		"+491700000001,,,ok\n"
		"+49170000000x,,,letter\n"
		"+4917000000000000001,,,too long\n"
		",,,empty\n"
		"+491700000002,12345,,short imei\n"
		"+491700000003,,nosuch,unknown profile\n"
		"+491700000005,,\n"
		"+491700000001,,,repeat\n";
	assert_int_equal(import(f, &s, text, &res, &err), -1);
	assert_true(res.bad_input);
	assert_non_null(strstr(err.msg, "6 of 8 rows are invalid; nothing was imported"));
	assert_int_equal(res.invalid, 6);
	assert_int_equal(res.duplicates, 1);
	assert_int_equal(res.imported, 1);
	const char *expected[] = {
		"3:invalid msisdn '+49170000000x'", "4:invalid msisdn '+4917000000000000001'",
		"5:no msisdn", "6:invalid imei '12345'", "7:unknown profile 'nosuch' (configured: els61, pls62)",
		"8:3 fields, but the header has 4", "9:dup:+491700000001 repeats line 2 (imported once)",
	};
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		if (!strstr(f->problems, expected[i]))
			fail_msg("missing \"%s\" in:\n%s", expected[i], f->problems);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM rollouts"), 0);

	/* --skip-invalid: the valid unit is imported, once. */
	s.skip_invalid = true;
	assert_int_equal(import(f, &s, text, &res, &err), 0);
	assert_int_equal(res.imported, 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE rollout = 'bad'"), 1);
	assert_int_equal(get(f, "bad").total_units, 1);
}

static void test_file_level_errors(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("x");
	struct rollout_import_result res;
	struct errbuf err = { "" };
	static const struct {
		const char *csv, *msg;
	} cases[] = {
		{ "", "units.csv is empty (expected a header row with an msisdn column" },
		{ "\n\n", "units.csv is empty" },
		{ "msisdn,label\n", "units.csv has a header but no units" },
		{ "number,label\n+491700000001,a\n", "units.csv: line 1: no msisdn column (found: "
		  "number, label; expected a header row" },
		{ "+491700000001\n+491700000002\n", "no msisdn column (found: +491700000001" },
		{ "msisdn,label,msisdn\n", "line 1: column 'msisdn' appears twice" },
		{ "msisdn,,label\n", "line 1: column 2 has no name" },
		{ "msisdn,label\n+491700000001,\"open\n+491700000002,b\n",
		  "units.csv: line 2: unterminated quoted field" },
		{ "msisdn,label\n+491700000001,\"a\"b\n", "units.csv: line 2: unexpected text after a "
		  "closing quote" },
		{ "msisdn\nfoo\nbar\n", "none of the 2 rows is a valid unit" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err.msg[0] = '\0';
		if (import(f, &s, cases[i].csv, &res, &err) != -1 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].msg);
		assert_true(res.bad_input);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(rollout_create(f->q, &f->cfg, &s, "/nonexistent/units.csv", T0, NULL, &res,
					&err), -1);
	assert_non_null(strstr(err.msg, "cannot open /nonexistent/units.csv"));
}

static void test_spec_is_checked(void **state)
{
	struct fixture *f = *state;
	struct rollout_import_result res;
	struct errbuf err = { "" };
	struct rollout_spec s = spec("ok");
	import_ok(f, &s, "msisdn\n+491700000001\n");
	assert_int_equal(import(f, &s, "msisdn\n+491700000002\n", &res, &err), -1);
	assert_non_null(strstr(err.msg, "rollout ok already exists"));
	s = spec("bad name");
	assert_int_equal(import(f, &s, "msisdn\n+491700000002\n", &res, &err), -1);
	assert_non_null(strstr(err.msg, "invalid rollout name"));
	s = spec("z");
	s.profile = "nosuch";
	assert_int_equal(import(f, &s, "msisdn\n+491700000002\n", &res, &err), -1);
	assert_non_null(strstr(err.msg, "unknown profile 'nosuch'"));
	s = spec("z");
	s.tz = "Mars/Base";
	assert_int_equal(import(f, &s, "msisdn\n+491700000002\n", &res, &err), -1);
	assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Base'"));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs"), 1);
}

static void test_waves_parse(void **state)
{
	(void)state;
	struct rollout_waves w;
	struct errbuf err = { "" };
	assert_int_equal(rollout_waves_parse("1%,10%,100%", &w, &err), 0);
	assert_int_equal(w.count, 3);
	assert_int_equal(w.pct[0], 100);
	assert_int_equal(rollout_waves_parse("0.5, 12.25,100", &w, &err), 0);
	assert_int_equal(w.pct[0], 50);
	assert_int_equal(w.pct[1], 1225);
	char buf[64];
	rollout_waves_format(&w, buf, sizeof buf);
	assert_string_equal(buf, "0.5,12.25,100");
	static const char *const bad[] = { "", "10,5,100", "10,50", "0,100", "10,,100", "abc",
					   "100,100", "1.234,100", "101" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (rollout_waves_parse(bad[i], &w, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	int64_t sizes[ROLLOUT_WAVES_MAX];
	assert_int_equal(rollout_waves_parse("1,10,100", &w, &err), 0);
	rollout_wave_sizes(&w, 50000, sizes);
	assert_int_equal(sizes[0], 500);
	assert_int_equal(sizes[1], 4500);
	assert_int_equal(sizes[2], 45000);
	rollout_wave_sizes(&w, 40, sizes);                      /* rounded up, at least one */
	assert_int_equal(sizes[0], 1);
	assert_int_equal(sizes[1], 3);
	assert_int_equal(sizes[2], 36);
}

/* A million units (a fifth of that under the sanitizers, which slow our
 * code, not SQLite's, several times): the import must stay fast (bench/import
 * measures it properly; this guards against an accidental O(n^2) or a lost
 * index), and claims must not slow down with a million jobs waiting. */
#ifdef __SANITIZE_ADDRESS__
#define MILLION 200000
#else
#define MILLION 1000000
#endif

static void test_million_row_import(void **state)
{
	struct fixture *f = *state;
	/* PostgreSQL: a fifth, for the suite's time (bench/ imports a million). */
	const int N = test_engine_pg() ? MILLION / 5 : MILLION;
	FILE *out = fopen(f->csv, "w");
	assert_non_null(out);
	fputs("msisdn,label\n", out);
	for (int i = 0; i < N; i++)
		fprintf(out, "+4917%08d,unit-%d\n", i, i);
	fprintf(out, "+4917%08d,repeat\n", 7);
	assert_int_equal(fclose(out), 0);

	struct rollout_spec s = spec("big");
	assert_int_equal(rollout_waves_parse("1,10,100", &s.waves, NULL), 0);
	struct rollout_import_result res;
	struct errbuf err = { "" };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (rollout_create(f->q, &f->cfg, &s, f->csv, T0, NULL, &res, &err) < 0)
		fail_msg("import: %s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("%d-row import: %.2f s (%.0f units/s)\n", N, secs, N / secs);
	assert_int_equal(res.imported, N);
	assert_int_equal(res.duplicates, 1);
	assert_int_equal(res.wave_sizes[0], N / 100);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE rollout = 'big' AND wave = 2"),
			 N / 100 * 9);

	/* With a million jobs waiting, claiming and polling stay index seeks. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 200; i++)
		finish(f, claim(f, T0), T0, true, 0);
	int64_t next;
	assert_int_equal(store_next_due(f->q, &next, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("200 claims: %.3f s\n", secs);
	assert_true(secs < 5);
	assert_int_equal(next, T0);
}

/* ---- the claim's gates ---- */

static void test_claim_takes_only_open_waves(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("w");
	assert_int_equal(rollout_waves_parse("50,100", &s.waves, NULL), 0);
	import_ok(f, &s, "msisdn\n+491700000001\n+491700000002\n+491700000003\n+491700000004\n");
	int64_t loose = 0;
	struct job_new one = { .msisdn = "+491709999999", .profile = "els61", .not_before = T0 + 1,
			       .max_attempts = 1 };
	struct errbuf err = { "" };
	assert_int_equal(store_enqueue(f->q, &one, T0, &loose, &err), 0);

	int64_t next;
	assert_int_equal(store_next_due(f->q, &next, &err), 0);
	assert_int_equal(next, T0);
	assert_int_equal(claim(f, T0 - 1), 0);                  /* before the start */
	assert_int_equal(claim(f, T0), 1);
	assert_int_equal(claim(f, T0), 2);
	/* Wave 2 waits; the loose job is due at T0 + 1. */
	assert_int_equal(claim(f, T0), 0);
	assert_int_equal(store_next_due(f->q, &next, &err), 0);
	assert_int_equal(next, T0 + 1);
	assert_int_equal(claim(f, T0 + 5), loose);
	assert_int_equal(claim(f, T0 + 5), 0);
}

static void test_claim_respects_pause_window_and_rate(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("gated");
	s.rate_per_min = 2;                                     /* one per 30 s */
	assert_int_equal(window_parse("13:00-14:00", &s.window, NULL), 0);
	char *text = fleet(10);
	import_ok(f, &s, text);
	free(text);
	struct rollout r = get(f, "gated");
	assert_false(r.gate_open);                              /* 12:00 UTC: closed */
	assert_int_equal(r.next_window_at, T0 + HOUR_MS);
	assert_int_equal(claim(f, T0), 0);
	int64_t next;
	struct errbuf err = { "" };
	assert_int_equal(store_next_due(f->q, &next, &err), 0);
	assert_int_equal(next, INT64_MAX);

	int64_t t = T0 + HOUR_MS;                               /* 13:00: the tick opens the gate */
	tick(f, t);
	assert_true(get(f, "gated").gate_open);
	assert_int_equal(claim(f, t), 1);
	assert_int_equal(claim(f, t), 0);                       /* rate: next one 30 s later */
	assert_int_equal(store_next_due(f->q, &next, &err), 0);
	assert_int_equal(next, t + 30000);
	assert_int_equal(claim(f, t + 29999), 0);
	assert_int_equal(claim(f, t + 30000), 2);
	/* Late polling does not let a burst through, nor lose the cadence. */
	assert_int_equal(claim(f, t + 60500), 3);
	assert_int_equal(claim(f, t + 60500), 0);
	assert_int_equal(claim(f, t + 90000), 4);

	assert_int_equal(store_rollout_pause(f->q, "gated", t + 90001, &err), 0);
	assert_int_equal(claim(f, t + 200000), 0);
	assert_int_equal(store_rollout_pause(f->q, "gated", t + 200001, &err), -1);
	assert_non_null(strstr(err.msg, "rollout gated is paused; only an active rollout can be paused"));
	assert_int_equal(rollout_resume(f->q, "gated", t + 200002, &err), 0);
	assert_int_equal(claim(f, t + 200002), 5);

	tick(f, T0 + 2 * HOUR_MS);                              /* 14:00: closed again */
	assert_false(get(f, "gated").gate_open);
	assert_int_equal(claim(f, T0 + 2 * HOUR_MS), 0);
	assert_int_equal(get(f, "gated").next_window_at, T0 + 25 * HOUR_MS);
}

/* ---- waves ---- */

static void test_failures_above_threshold_pause_the_rollout(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("fleet");
	assert_int_equal(rollout_waves_parse("10,100", &s.waves, NULL), 0);
	s.max_failure_pct = 20 * ROLLOUT_PCT_SCALE;
	char *text = fleet(40);
	import_ok(f, &s, text);
	free(text);

	tick(f, T0);
	assert_int_equal(send_all(f, T0, 2), 4);                /* wave 1: 2 of 4 fail */
	tick(f, T0 + 1000);
	struct rollout r = get(f, "fleet");
	assert_int_equal(r.state, ROLLOUT_PAUSED);
	assert_true(r.paused_by_failures);
	assert_string_equal(r.pause_reason, "wave 1: failure rate 50.0% > 20.0% (2 of 4 failed); "
			    "resume with otapctl rollout resume fleet");
	assert_int_equal(r.current_wave, 1);
	assert_int_equal(claim(f, T0 + 2000), 0);               /* wave 2 not sent */
	tick(f, T0 + 3000);                                     /* a paused rollout stays paused */
	assert_int_equal(get(f, "fleet").state, ROLLOUT_PAUSED);

	struct errbuf err = { "" };
	assert_int_equal(rollout_resume(f->q, "fleet", T0 + 4000, &err), 0);
	r = get(f, "fleet");
	assert_int_equal(r.state, ROLLOUT_ACTIVE);
	assert_int_equal(r.current_wave, 2);
	assert_int_equal(send_all(f, T0 + 4000, 0), 36);
	tick(f, T0 + 5000);
	assert_int_equal(get(f, "fleet").state, ROLLOUT_DONE);
}

static void test_failures_within_threshold_open_the_next_wave(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("fine");
	assert_int_equal(rollout_waves_parse("10,50,100", &s.waves, NULL), 0);
	s.max_failure_pct = 25 * ROLLOUT_PCT_SCALE;
	char *text = fleet(40);
	import_ok(f, &s, text);
	free(text);

	assert_int_equal(send_all(f, T0, 1), 4);                /* 1 of 4 = 25%: not above */
	tick(f, T0 + 1000);
	struct rollout r = get(f, "fine");
	assert_int_equal(r.state, ROLLOUT_ACTIVE);
	assert_int_equal(r.current_wave, 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE wave = 2 AND not_before = %lld",
				 T0 + 1000), 16);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE wave = 3 AND not_before = %lld",
				 STORE_WAITING_FOR_WAVE), 20);
	/* Half of wave 2 sent: still the current wave. */
	for (int i = 0; i < 8; i++)
		finish(f, claim(f, T0 + 2000), T0 + 2000, true, 0);
	tick(f, T0 + 3000);
	assert_int_equal(get(f, "fine").current_wave, 2);
	/* A job still being sent keeps the wave open. */
	int64_t busy = claim(f, T0 + 4000);
	assert_int_equal(send_all(f, T0 + 4000, 0), 7);
	tick(f, T0 + 5000);
	assert_int_equal(get(f, "fine").current_wave, 2);
	finish(f, busy, T0 + 6000, true, 0);
	tick(f, T0 + 7000);
	assert_int_equal(get(f, "fine").current_wave, 3);
	assert_int_equal(send_all(f, T0 + 7000, 0), 20);
	tick(f, T0 + 8000);
	assert_int_equal(get(f, "fine").state, ROLLOUT_DONE);
}

static void test_operator_pause_and_resume_keep_the_failure_check(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("op");
	assert_int_equal(rollout_waves_parse("10,100", &s.waves, NULL), 0);
	s.max_failure_pct = 0;
	char *text = fleet(20);
	import_ok(f, &s, text);
	free(text);
	struct errbuf err = { "" };
	assert_int_equal(send_all(f, T0, 1), 2);
	assert_int_equal(store_rollout_pause(f->q, "op", T0 + 1, &err), 0);
	tick(f, T0 + 1000);                                     /* paused: no wave step */
	assert_int_equal(get(f, "op").current_wave, 1);
	assert_int_equal(rollout_resume(f->q, "op", T0 + 2000, &err), 0);
	tick(f, T0 + 3000);                                     /* 1 of 2 failed > 0% */
	struct rollout r = get(f, "op");
	assert_int_equal(r.state, ROLLOUT_PAUSED);
	assert_true(r.paused_by_failures);
	/* Retrying first: resume accepts wave 1's rate, the tick opens wave 2
	 * once the retried unit is final, even though it fails again. */
	int64_t n;
	struct retry_filter rf = { .rollout = "op", .error_code = -1 };
	assert_int_equal(store_retry_failed(f->q, &rf, T0 + 4000, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rollout_resume(f->q, "op", T0 + 4000, &err), 0);
	assert_int_equal(get(f, "op").current_wave, 1);
	assert_int_equal(send_all(f, T0 + 5000, 1), 1);
	tick(f, T0 + 6000);
	r = get(f, "op");
	assert_int_equal(r.state, ROLLOUT_ACTIVE);
	assert_int_equal(r.current_wave, 2);
}

static void test_cancel_cancels_queued_and_waiting_jobs(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("c");
	assert_int_equal(rollout_waves_parse("20,100", &s.waves, NULL), 0);
	char *text = fleet(10);
	import_ok(f, &s, text);
	free(text);
	int64_t sending = claim(f, T0);
	struct errbuf err = { "" };
	int64_t n;
	assert_int_equal(store_rollout_cancel(f->q, "c", T0 + 1, &n, &err), 0);
	assert_int_equal(n, 9);
	assert_int_equal(get(f, "c").state, ROLLOUT_CANCELLED);
	assert_int_equal(claim(f, T0 + 2), 0);
	/* The try in progress ends in a retry: the job is cancelled, not queued. */
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0 + 3,
				 .result = "transient", .cms_error = 27, .detail = "+CMS ERROR: 27" };
	enum job_state st;
	assert_int_equal(store_retry_later(f->q, sending, T0 + 60000, true, &o, &st, &err), 0);
	assert_int_equal(st, JOB_CANCELLED);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 10);
	assert_int_equal(store_rollout_cancel(f->q, "c", T0 + 4, &n, &err), -1);
	assert_non_null(strstr(err.msg, "rollout c is cancelled"));
	assert_int_equal(rollout_resume(f->q, "c", T0 + 4, &err), -1);
	assert_int_equal(store_rollout_cancel(f->q, "nosuch", T0 + 4, &n, &err), -1);
	assert_non_null(strstr(err.msg, "no such rollout 'nosuch'"));
}

/* Big waves are opened and cancelled a chunk per transaction (here 3 jobs),
 * and an opening or cancel that was cut short is finished later. */
static void test_big_waves_open_and_cancel_in_chunks(void **state)
{
	struct fixture *f = *state;
	rollout_release_chunk = 3;
	struct rollout_spec s = spec("chunky");
	assert_int_equal(rollout_waves_parse("10,100", &s.waves, NULL), 0);
	char *text = fleet(20);
	import_ok(f, &s, text);
	free(text);
	assert_int_equal(send_all(f, T0, 0), 2);
	tick(f, T0 + 1000);
	assert_int_equal(get(f, "chunky").current_wave, 2);
#define PARKED "SELECT count(*) FROM jobs WHERE wave = 2 AND not_before = %lld"
	assert_int_equal(sql_int(f, PARKED, (long long)(STORE_WAITING_FOR_WAVE)), 0);
	assert_int_equal(sql_int(f, PARKED, (long long)(T0 + 1000)), 18);
	/* An opening interrupted after some chunks: the next tick finishes it. */
	assert_int_equal(test_sql_exec(f->q, "UPDATE jobs SET not_before = 64060588800000 "
				       "WHERE wave = 2 AND id % 3 = 0"), 0);
	assert_int_equal(sql_int(f, PARKED, (long long)(STORE_WAITING_FOR_WAVE)), 6);
	tick(f, T0 + 2000);
	assert_int_equal(sql_int(f, PARKED, (long long)(STORE_WAITING_FOR_WAVE)), 0);
	assert_int_equal(sql_int(f, PARKED, (long long)(T0 + 2000)), 6);

	struct errbuf err = { "" };
	int64_t n;
	assert_int_equal(store_rollout_cancel(f->q, "chunky", T0 + 3000, &n, &err), 0);
	assert_int_equal(n, 18);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM jobs WHERE state = 'queued'"), 0);
	/* A cancel cut short leaves queued jobs: cancelling again finishes it. */
	assert_int_equal(test_sql_exec(f->q, "UPDATE jobs SET state = 'queued' WHERE id = 7"), 0);
	assert_int_equal(store_rollout_cancel(f->q, "chunky", T0 + 4000, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_rollout_cancel(f->q, "chunky", T0 + 5000, &n, &err), -1);
	assert_non_null(strstr(err.msg, "rollout chunky is cancelled; nothing to cancel"));
	rollout_release_chunk = ROLLOUT_RELEASE_CHUNK;
}

/* ---- retry ---- */

static void test_retry_failed_renews_the_budget_and_keeps_history(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("r");
	char *text = fleet(6);
	import_ok(f, &s, text);
	free(text);
	/* Jobs 1-2 fail with CMS 1, job 3 with CMS 21, the rest are sent. */
	for (int i = 1; i <= 6; i++)
		finish(f, claim(f, T0), T0, i > 3, i == 3 ? 21 : 1);
	tick(f, T0 + 1);
	assert_int_equal(get(f, "r").state, ROLLOUT_DONE);

	struct errbuf err = { "" };
	int64_t n;
	struct retry_filter by_code = { .rollout = "r", .error_code = 21 };
	assert_int_equal(store_retry_failed(f->q, &by_code, T0 + 10, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sql_int(f, "SELECT state = 'queued' AND attempts = 0 AND not_before = %lld "
				 "AND last_error LIKE '%%21%%' FROM jobs WHERE id = 3", T0 + 10), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM attempts WHERE job_id = 3"), 1);
	assert_int_equal(get(f, "r").state, ROLLOUT_ACTIVE);    /* done -> active again */

	struct retry_filter other = { .rollout = "elsewhere", .error_code = -1 };
	assert_int_equal(store_retry_failed(f->q, &other, T0 + 10, &n, &err), 0);
	assert_int_equal(n, 0);
	struct retry_filter all = { .error_code = -1 };
	assert_int_equal(store_retry_failed(f->q, &all, T0 + 11, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(send_all(f, T0 + 12, 0), 3);
	tick(f, T0 + 13);
	assert_int_equal(get(f, "r").state, ROLLOUT_DONE);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM attempts WHERE job_id IN (1, 2, 3)"), 6);
}

static void test_retry_one_job(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("one");
	char *text = fleet(3);
	import_ok(f, &s, text);
	free(text);
	finish(f, claim(f, T0), T0, false, 1);
	finish(f, claim(f, T0), T0, true, 0);
	struct errbuf err = { "" };
	assert_int_equal(store_retry_job(f->q, 1, T0 + 5, &err), 0);
	assert_int_equal(sql_int(f, "SELECT state = 'queued' FROM jobs WHERE id = 1"), 1);
	assert_int_equal(store_retry_job(f->q, 2, T0 + 5, &err), -1);
	assert_string_equal(err.msg, "job 2 is sent; only failed jobs can be retried");
	assert_int_equal(store_retry_job(f->q, 99, T0 + 5, &err), -1);
	assert_string_equal(err.msg, "no such job 99");
	/* A cancelled rollout's failed job stays failed. */
	assert_int_equal(claim(f, T0 + 6), 3);                  /* due since T0, before job 1 */
	finish(f, 3, T0 + 6, false, 1);
	int64_t n;
	assert_int_equal(store_rollout_cancel(f->q, "one", T0 + 7, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_retry_job(f->q, 3, T0 + 8, &err), -1);
	assert_string_equal(err.msg, "job 3 belongs to a cancelled rollout");
	struct retry_filter all = { .error_code = -1 };
	assert_int_equal(store_retry_failed(f->q, &all, T0 + 8, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* ---- status ---- */

static void test_status_counts_reasons_window_and_eta(void **state)
{
	struct fixture *f = *state;
	struct rollout_spec s = spec("st");
	s.rate_per_min = 10;
	s.tz = "Europe/Berlin";
	assert_int_equal(window_parse("01:00-05:00", &s.window, NULL), 0);
	assert_int_equal(rollout_waves_parse("50,100", &s.waves, NULL), 0);
	char *text = fleet(100);
	import_ok(f, &s, text);
	free(text);
	/* 2026-06-02 01:00 CEST, the window (23:00-03:00 UTC) opens: 3 sent, 3 failed. */
	int64_t night = T0 + 11 * HOUR_MS;
	tick(f, night);
	for (int i = 0; i < 6; i++) {
		int64_t id = claim(f, night + i * 6000);
		assert_true(id > 0);
		finish(f, id, night + i * 6000, i >= 3, i == 0 ? 21 : 1);
	}
	struct rollout_status st;
	struct errbuf err = { "" };
	assert_int_equal(rollout_status(f->q, "st", night + MIN_MS, &st, &err), 1);
	assert_int_equal(st.total, 100);
	assert_int_equal(st.counts[JOB_SENT], 3);
	assert_int_equal(st.counts[JOB_FAILED], 3);
	assert_int_equal(st.remaining, 94);
	assert_int_equal(st.wave_sizes[0], 50);
	assert_int_equal(st.wave_final, 6);
	assert_int_equal(st.wave_failed, 3);
	assert_int_equal(st.reason_count, 2);
	assert_int_equal(st.reasons[0].count, 2);
	assert_string_equal(st.reasons[0].text, "+CMS ERROR: 1 (unassigned number)");
	assert_true(st.window.open);
	assert_int_equal(st.window.closes_at, T0 + 15 * HOUR_MS);      /* 05:00 CEST */
	/* 94 jobs at 10/min = 9.4 min, all inside tonight's window. */
	assert_int_equal(st.eta, night + MIN_MS + 94 * 6000);
	/* At 04:59 only one minute is left: the rest goes the next night. */
	int64_t late = T0 + 15 * HOUR_MS - MIN_MS;
	assert_int_equal(rollout_status(f->q, "st", late, &st, &err), 1);
	assert_int_equal(st.eta, T0 + 35 * HOUR_MS + 94 * 6000 - MIN_MS);
	assert_int_equal(rollout_status(f->q, "nosuch", late, &st, &err), 0);
}

int main(void)
{
	log_init("test_rollout", LOG_LEVEL_ERROR);
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_columns_meta_and_waves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_metadata_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_rows_are_listed_and_nothing_is_written,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_level_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_is_checked, setup, teardown),
		cmocka_unit_test(test_waves_parse),
		cmocka_unit_test_setup_teardown(test_million_row_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_takes_only_open_waves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_respects_pause_window_and_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_above_threshold_pause_the_rollout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_within_threshold_open_the_next_wave,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_pause_and_resume_keep_the_failure_check,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_cancels_queued_and_waiting_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_waves_open_and_cancel_in_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_failed_renews_the_budget_and_keeps_history,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_one_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_counts_reasons_window_and_eta, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
