/* test_notify.c - install notifications and status reports: tokens and the
 * per-job URL, paths, status codes and IMEIs (pure parts), then the rules
 * applied to a temporary queue database (notifications by token and by
 * IMEI, idempotency, status-report matching with MR wrap-around and
 * recency, TP-ST classes, the confirmation sweep) and the listener's
 * request-to-response routing. */
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
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "notify.h"
#include "notify_route.h"
#include "notify_apply.h"
#include "notify_sweep.h"
#include "pdu.h"
#include "sqlite_engine.h"
#include "testutil_store.h"
#include "store.h"
#include "store_modems.h"

#define T0 1700000000000LL      /* an arbitrary "now", ms since the epoch */
#define SEC 1000LL
#define HOUR (3600 * SEC)
#define IMEI_A "490154203237518"        /* valid Luhn check digits */
#define IMEI_B "356938035643809"
#define PUBLIC_URL "http://otap.example.com:8080"

struct fixture {
	char dir[64];
	char path[640];
	struct store *q;
};

/* ---- fixture and helpers ---- */

static int setup_db(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct errbuf err = { "" };
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_notify.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	test_store_location(f->path, sizeof f->path, f->dir, "queue.db");
	if (store_open(f->path, &f->q, &err) < 0)
		fail_msg("queue_open: %s", err.msg);
	*state = f;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *f = *state;
	store_close(f->q);
	test_store_drop(f->path);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

static int64_t add_job(struct fixture *f, const char *msisdn, enum otap_action action,
		       int max_attempts)
{
	struct job_new jn = { .msisdn = msisdn, .profile = "fast", .action = action,
			      .not_before = T0, .max_attempts = max_attempts };
	struct errbuf err = { "" };
	int64_t id = 0;
	if (store_enqueue(f->q, &jn, T0, &id, &err) < 0)
		fail_msg("enqueue: %s", err.msg);
	return id;
}

/* Marks job id (in sending) sent at `at` with the parts' MRs. */
static int mark_sent_parts(struct fixture *f, int64_t id, const char *modem, const int *mrs,
			   size_t count, int64_t at, struct errbuf *err)
{
	struct job_outcome o = { .modem = modem, .started_at = at, .finished_at = at,
				 .result = "sent", .cms_error = -1 };
	struct sent_parts parts = { mrs, count, NULL };
	return store_mark_sent(f->q, id, &o, &parts, err);
}

/* Claims the next due job (it must be id) and marks it sent at `at` with
 * the parts' MRs (count 0: none known). */
static void send_with_parts(struct fixture *f, int64_t id, const char *modem, const int *mrs,
			    size_t count, int64_t at)
{
	struct errbuf err = { "" };
	struct job job;
	assert_int_equal(store_claim(f->q, modem, at, &job, &err), 1);
	assert_int_equal(job.id, id);
	if (mark_sent_parts(f, id, modem, mrs, count, at, &err) < 0)
		fail_msg("mark_sent: %s", err.msg);
}

static void send_job(struct fixture *f, int64_t id, const char *modem, int64_t at)
{
	send_with_parts(f, id, modem, NULL, 0, at);
}

static struct job get_job(struct fixture *f, int64_t id)
{
	struct errbuf err = { "" };
	struct job job;
	assert_int_equal(store_get(f->q, id, &job, &err), 1);
	return job;
}

static struct notify_info get_info(struct fixture *f, int64_t id)
{
	struct errbuf err = { "" };
	struct notify_info info;
	assert_int_equal(store_job_info(f->q, id, &info, &err), 1);
	return info;
}

static int count_sql(struct fixture *f, const char *sql, int64_t id)
{
	return (int)test_sql_int_id(f->q, sql, id);
}

static int attempts_with(struct fixture *f, int64_t id, const char *result)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM attempts WHERE job_id = ?1 AND "
		 "result = '%s'", result);
	return count_sql(f, sql, id);
}

static int all_attempts(struct fixture *f, int64_t id)
{
	return count_sql(f, "SELECT count(*) FROM attempts WHERE job_id = ?1", id);
}

static void token_of(struct fixture *f, int64_t id, char token[NOTIFY_TOKEN_LEN + 1])
{
	char url[256];
	struct errbuf err = { "" };
	if (notify_job_url(f->q, id, PUBLIC_URL, url, sizeof url, &err) < 0)
		fail_msg("notify_job_url: %s", err.msg);
	const char *slash = strrchr(url, '/');
	assert_int_equal(strlen(slash + 1), NOTIFY_TOKEN_LEN);
	memcpy(token, slash + 1, NOTIFY_TOKEN_LEN + 1);
}

static struct notify_report report(int code, const char *text)
{
	struct notify_report r = { .code = code };
	snprintf(r.text, sizeof r.text, "%s", text);
	return r;
}

static enum notify_apply_result apply(struct fixture *f, int64_t id, const char *token, int code,
				      int64_t at)
{
	struct notify_report r = report(code, "text from the unit");
	struct notify_applied a;
	struct errbuf err = { "" };
	if (notify_apply_job(f->q, id, token, &r, at, &a, &err) < 0)
		fail_msg("apply: %s", err.msg);
	return a.result;
}

/* Builds a +CDS PDU line: [SMSC 00] first octet 06, MR, RA, SCTS, DT, ST. */
static void make_cds(char *hex, bool with_smsc, uint8_t mr, const char *to, uint8_t st)
{
	static const uint8_t stamp[7] = { 0x42, 0x11, 0x52, 0x21, 0x03, 0x04, 0x00 };
	uint8_t pdu[64];
	size_t n = 0;
	const char *digits = to[0] == '+' ? to + 1 : to;
	size_t nd = strlen(digits);
	if (with_smsc)
		pdu[n++] = 0x00;
	pdu[n++] = 0x06;
	pdu[n++] = mr;
	pdu[n++] = (uint8_t)nd;
	pdu[n++] = to[0] == '+' ? 0x91 : 0x81;
	for (size_t i = 0; i < nd; i += 2) {
		uint8_t lo = (uint8_t)(digits[i] - '0');
		uint8_t hi = i + 1 < nd ? (uint8_t)(digits[i + 1] - '0') : 0x0F;
		pdu[n++] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(pdu + n, stamp, 7);
	memcpy(pdu + n + 7, stamp, 7);
	n += 14;
	pdu[n++] = st;
	hex_encode(pdu, n, hex);
}

static void cds(struct fixture *f, const char *modem, uint8_t mr, const char *to, uint8_t st,
		int64_t at)
{
	char hex[160];
	struct errbuf err = { "" };
	make_cds(hex, true, mr, to, st);
	if (notify_apply_status_report(f->q, modem, hex, at, &err) < 0)
		fail_msg("status report: %s", err.msg);
}

/* ---- pure parts ---- */

static void tokens(void **state)
{
	(void)state;
	char a[NOTIFY_TOKEN_LEN + 1], b[NOTIFY_TOKEN_LEN + 1];
	struct errbuf err;
	assert_int_equal(notify_token_new(a, &err), 0);
	assert_int_equal(notify_token_new(b, &err), 0);
	assert_int_equal(strlen(a), NOTIFY_TOKEN_LEN);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"), NOTIFY_TOKEN_LEN);
	assert_string_not_equal(a, b);
	assert_true(notify_token_equal(a, a));
	assert_false(notify_token_equal(a, b));
	assert_false(notify_token_equal(a, NULL));
	assert_false(notify_token_equal(NULL, NULL));
	assert_false(notify_token_equal("short", "short"));
	char longer[NOTIFY_TOKEN_LEN + 2];
	snprintf(longer, sizeof longer, "%sx", a);
	assert_false(notify_token_equal(a, longer));
}

static void paths(void **state)
{
	(void)state;
	struct notify_path p;
	char base[64];
	notify_base_path("http://h:8080", base, sizeof base);
	assert_string_equal(base, "");
	notify_base_path("http://h:8080/", base, sizeof base);
	assert_string_equal(base, "");
	notify_base_path("https://h/otap/", base, sizeof base);
	assert_string_equal(base, "/otap");

	assert_int_equal(notify_path_parse("/n/42/abcdefghijklmnop", "", &p), NOTIFY_PATH_JOB);
	assert_int_equal(p.job_id, 42);
	assert_string_equal(p.token, "abcdefghijklmnop");
	assert_int_equal(notify_path_parse("/otap/n/7/abcdefghijklmn23?x", "/otap", &p),
			 NOTIFY_PATH_JOB);
	assert_int_equal(p.job_id, 7);
	assert_int_equal(notify_path_parse("/n/7/abcdefghijklmn23", "/otap", &p), NOTIFY_PATH_JOB);
	assert_int_equal(notify_path_parse("/notify", "", &p), NOTIFY_PATH_FLEET);
	assert_int_equal(notify_path_parse("/otap/notify?a=b", "/otap", &p), NOTIFY_PATH_FLEET);
	assert_int_equal(notify_path_parse("/healthz", "", &p), NOTIFY_PATH_HEALTH);
	static const char *const bad[] = {
		"/", "/n/", "/n/42", "/n/42/", "/n/0/abcdefghijklmnop", "/n/042/abcdefghijklmnop",
		"/n/-4/abcdefghijklmnop", "/n/4x/abcdefghijklmnop", "/n/42/abcdefghijklmno",
		"/n/42/abcdefghijklmnopq", "/n/42/ABCDEFGHIJKLMNOP", "/n/42/abcdefghijklmn01",
		"/n/42/abcdefghijklmnop/", "/n/1234567890123456789/abcdefghijklmnop",
		"/notify/", "/otapnotify", "/healthz/x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (notify_path_parse(bad[i], "/otap", &p) != NOTIFY_PATH_UNKNOWN)
			fail_msg("path %s was accepted", bad[i]);
	}
}

static void bodies(void **state)
{
	(void)state;
	struct notify_report r;
	const char *ok = "900 Success\r\nmore lines\n";
	assert_int_equal(notify_body_parse((const uint8_t *)ok, strlen(ok), &r), 0);
	assert_int_equal(r.code, 900);
	assert_string_equal(r.text, "Success");
	assert_int_equal(notify_body_parse((const uint8_t *)"\r\n 901", 6, &r), 0);
	assert_int_equal(r.code, 901);
	assert_string_equal(r.text, "");
	assert_int_equal(notify_body_parse((const uint8_t *)"909\tBad  sig  \n", 15, &r), 0);
	assert_string_equal(r.text, "Bad  sig");
	const uint8_t odd[] = { '9', '0', '7', ' ', 'a', 0x00, 0x1B, 0xFF, 'b' };
	assert_int_equal(notify_body_parse(odd, sizeof odd, &r), 0);
	assert_string_equal(r.text, "a???b");
	char longtext[600] = "950 ";
	memset(longtext + 4, 'x', 500);
	assert_int_equal(notify_body_parse((const uint8_t *)longtext, strlen(longtext), &r), 0);
	assert_int_equal(strlen(r.text), NOTIFY_TEXT_MAX - 1);
	static const char *const bad[] = { "", "90", "90 x", "9000 x", "abc", "90x1", " \n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(notify_body_parse((const uint8_t *)bad[i], strlen(bad[i]), &r), -1);
}

static void codes(void **state)
{
	(void)state;
	char buf[STORE_TEXT_MAX];
	assert_int_equal(notify_verdict_for(900, OTAP_ACTION_INSTALL), NOTIFY_CONFIRM);
	assert_int_equal(notify_verdict_for(900, OTAP_ACTION_DELETE), NOTIFY_CONFIRM);
	assert_int_equal(notify_verdict_for(912, OTAP_ACTION_DELETE), NOTIFY_CONFIRM);
	assert_int_equal(notify_verdict_for(912, OTAP_ACTION_INSTALL), NOTIFY_FAIL);
	assert_int_equal(notify_verdict_for(903, OTAP_ACTION_INSTALL), NOTIFY_RETRY);
	for (int code = 901; code <= 911; code++) {
		if (code != 903)
			assert_int_equal(notify_verdict_for(code, OTAP_ACTION_INSTALL), NOTIFY_FAIL);
	}
	assert_int_equal(notify_verdict_for(950, OTAP_ACTION_INSTALL), NOTIFY_FAIL);
	struct notify_report r = report(901, "whatever the unit says");
	notify_describe(&r, buf, sizeof buf);
	assert_string_equal(buf, "901 Insufficient memory");
	r = report(950, "Strange thing");
	notify_describe(&r, buf, sizeof buf);
	assert_string_equal(buf, "950 Strange thing");
	r = report(7, "");
	notify_describe(&r, buf, sizeof buf);
	assert_string_equal(buf, "007 (unknown status code)");
	assert_null(notify_code_meaning(913));
	assert_string_equal(notify_code_meaning(909), "Application authentication failure");
}

static void imeis(void **state)
{
	(void)state;
	char imei[NOTIFY_IMEI_LEN + 1];
	assert_null(notify_imei_check(IMEI_A));
	assert_null(notify_imei_check(IMEI_B));
	assert_non_null(notify_imei_check("490154203237519"));
	assert_non_null(notify_imei_check("49015420323751"));
	assert_non_null(notify_imei_check("4901542032375180"));
	assert_non_null(notify_imei_check("49015420323751a"));
	assert_non_null(notify_imei_check(""));
	assert_int_equal(notify_user_agent_imei("ELS61/" IMEI_A " Profile/IMP-NG "
						"Configuration/CLDC-1.1", imei), 0);
	assert_string_equal(imei, IMEI_A);
	assert_int_equal(notify_user_agent_imei("Cinterion/EHS6/" IMEI_B, imei), 0);
	assert_string_equal(imei, IMEI_B);
	assert_int_equal(notify_user_agent_imei("ELS61 Profile/" IMEI_A, imei), -1);
	assert_int_equal(notify_user_agent_imei("ELS61/49015420323751 Profile/IMP-NG", imei), -1);
	assert_int_equal(notify_user_agent_imei("ELS61/4901542032375180 x", imei), -1);
	assert_int_equal(notify_user_agent_imei("ELS61/" IMEI_A "x", imei), -1);
	assert_int_equal(notify_user_agent_imei(NULL, imei), -1);
	assert_string_equal(sqlite_final_states(true), "'confirmed','failed','cancelled'");
	assert_string_equal(sqlite_final_states(false),
			    "'sent','delivered','confirmed','failed','cancelled'");
}

/* ---- the job URL ---- */

static void job_url(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	char url1[256], url2[256], small[20];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	assert_int_equal(notify_job_url(f->q, id, PUBLIC_URL "/", url1, sizeof url1, &err), 0);
	char prefix[128];
	snprintf(prefix, sizeof prefix, PUBLIC_URL "/n/%lld/", (long long)id);
	assert_memory_equal(url1, prefix, strlen(prefix));
	assert_int_equal(strlen(url1), strlen(prefix) + NOTIFY_TOKEN_LEN);
	/* A resend carries the same URL; the token is stored. */
	assert_int_equal(notify_job_url(f->q, id, PUBLIC_URL, url2, sizeof url2, &err), 0);
	assert_string_equal(url1, url2);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM jobs WHERE id = ?1 AND "
				   "length(notify_token) = 16", id), 1);
	/* Another job, another token. */
	int64_t other = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	assert_int_equal(notify_job_url(f->q, other, PUBLIC_URL, url2, sizeof url2, &err), 0);
	assert_string_not_equal(strrchr(url1, '/'), strrchr(url2, '/'));
	assert_int_equal(notify_job_url(f->q, 999, PUBLIC_URL, url2, sizeof url2, &err), -1);
	assert_non_null(strstr(err.msg, "no such job"));
	assert_int_equal(notify_job_url(f->q, id, PUBLIC_URL, small, sizeof small, &err), -1);
	assert_null(strstr(err.msg, strrchr(url1, '/') + 1));   /* never the token */
	assert_int_equal(notify_url_worst_case(PUBLIC_URL, url2, sizeof url2),
			 (int)strlen(PUBLIC_URL "/n/9999999999/") + NOTIFY_TOKEN_LEN);
	assert_int_equal(notify_url_worst_case(PUBLIC_URL, small, sizeof small), -1);
}

/* ---- notifications by token ---- */

static void notification_confirms(void **state)
{
	struct fixture *f = *state;
	char token[NOTIFY_TOKEN_LEN + 1];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	token_of(f, id, token);
	send_job(f, id, "m1", T0);
	assert_int_equal(get_info(f, id).sent_at, T0);
	assert_int_equal(apply(f, id, token, 900, T0 + 60 * SEC), NOTIFY_APPLIED);
	struct job job = get_job(f, id);
	assert_int_equal(job.state, JOB_CONFIRMED);
	assert_int_equal(job.updated_at, T0 + 60 * SEC);
	struct notify_info info = get_info(f, id);
	assert_int_equal(info.confirmed_at, T0 + 60 * SEC);
	assert_int_equal(info.notified_at, T0 + 60 * SEC);
	assert_int_equal(info.notify_code, 900);
	assert_string_equal(info.notify_text, "text from the unit");
	assert_int_equal(attempts_with(f, id, "notified"), 1);
	/* Repeats change nothing, whatever they say. */
	int before = all_attempts(f, id);
	assert_int_equal(apply(f, id, token, 900, T0 + 70 * SEC), NOTIFY_UNCHANGED);
	assert_int_equal(apply(f, id, token, 909, T0 + 80 * SEC), NOTIFY_UNCHANGED);
	assert_int_equal(get_job(f, id).state, JOB_CONFIRMED);
	assert_int_equal(get_info(f, id).notified_at, T0 + 60 * SEC);
	assert_int_equal(all_attempts(f, id), before);
}

static void wrong_token_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char token[NOTIFY_TOKEN_LEN + 1], forged[NOTIFY_TOKEN_LEN + 1];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	token_of(f, id, token);
	send_job(f, id, "m1", T0);
	struct job before = get_job(f, id);
	memcpy(forged, token, sizeof forged);
	forged[0] = forged[0] == 'a' ? 'b' : 'a';
	assert_int_equal(apply(f, id, forged, 900, T0 + SEC), NOTIFY_NO_JOB);
	assert_int_equal(apply(f, id, "", 900, T0 + SEC), NOTIFY_NO_JOB);
	assert_int_equal(apply(f, id + 1, token, 900, T0 + SEC), NOTIFY_NO_JOB);
	struct job after = get_job(f, id);
	assert_memory_equal(&before, &after, sizeof before);
	assert_int_equal(get_info(f, id).notify_code, -1);
	assert_int_equal(all_attempts(f, id), 1);
	/* A job that never got a token cannot be notified by URL. */
	int64_t bare = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	assert_int_equal(apply(f, bare, token, 900, T0 + SEC), NOTIFY_NO_JOB);
}

static void notification_failures(void **state)
{
	struct fixture *f = *state;
	char t1[NOTIFY_TOKEN_LEN + 1], t2[NOTIFY_TOKEN_LEN + 1], t3[NOTIFY_TOKEN_LEN + 1];
	int64_t a = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t b = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	int64_t c = add_job(f, "+491700000003", OTAP_ACTION_DELETE, 3);
	token_of(f, a, t1);
	token_of(f, b, t2);
	token_of(f, c, t3);
	send_job(f, a, "m1", T0);
	send_job(f, b, "m1", T0);
	send_job(f, c, "m1", T0);
	assert_int_equal(apply(f, a, t1, 909, T0 + SEC), NOTIFY_APPLIED);
	struct job job = get_job(f, a);
	assert_int_equal(job.state, JOB_FAILED);
	assert_string_equal(job.last_error, "909 Application authentication failure");
	assert_int_equal(apply(f, a, t1, 909, T0 + 2 * SEC), NOTIFY_UNCHANGED);
	/* Unknown code: the unit's own text. 912 for an install job fails. */
	struct notify_report odd = report(950, "Odd thing");
	struct notify_applied res;
	struct errbuf err;
	assert_int_equal(notify_apply_job(f->q, b, t2, &odd, T0 + SEC, &res, &err), 0);
	assert_int_equal(res.before, JOB_SENT);
	assert_int_equal(res.after, JOB_FAILED);
	assert_string_equal(get_job(f, b).last_error, "950 Odd thing");
	/* 912 confirms a delete job. */
	assert_int_equal(apply(f, c, t3, 912, T0 + SEC), NOTIFY_APPLIED);
	assert_int_equal(get_job(f, c).state, JOB_CONFIRMED);
	/* A late success after a failure is the truth from the unit. */
	assert_int_equal(apply(f, a, t1, 900, T0 + 3 * SEC), NOTIFY_APPLIED);
	assert_int_equal(get_job(f, a).state, JOB_CONFIRMED);
}

static void install_job_912_fails(void **state)
{
	struct fixture *f = *state;
	char token[NOTIFY_TOKEN_LEN + 1];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	token_of(f, id, token);
	send_job(f, id, "m1", T0);
	assert_int_equal(apply(f, id, token, 912, T0 + SEC), NOTIFY_APPLIED);
	struct job job = get_job(f, id);
	assert_int_equal(job.state, JOB_FAILED);
	assert_non_null(strstr(job.last_error, "912 Deletion notification"));
	assert_non_null(strstr(job.last_error, "install"));
}

static void loss_of_service_retries(void **state)
{
	struct fixture *f = *state;
	char token[NOTIFY_TOKEN_LEN + 1];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 2);
	token_of(f, id, token);
	send_job(f, id, "m1", T0);
	assert_int_equal(apply(f, id, token, 903, T0 + SEC), NOTIFY_APPLIED);
	struct job job = get_job(f, id);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.not_before, T0 + SEC);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.last_error, "903 Loss of service");
	/* The same 903 again before the resend: nothing to do. */
	assert_int_equal(apply(f, id, token, 903, T0 + 2 * SEC), NOTIFY_UNCHANGED);
	assert_int_equal(get_job(f, id).state, JOB_QUEUED);
	/* Resent: a new 903 uses up the last attempt. */
	send_job(f, id, "m1", T0 + 10 * SEC);
	assert_int_equal(apply(f, id, token, 903, T0 + 11 * SEC), NOTIFY_APPLIED);
	job = get_job(f, id);
	assert_int_equal(job.state, JOB_FAILED);
	assert_string_equal(job.last_error, "gave up after 2 attempts: 903 Loss of service");
}

static void late_and_cancelled(void **state)
{
	struct fixture *f = *state;
	struct errbuf err;
	char t1[NOTIFY_TOKEN_LEN + 1], t2[NOTIFY_TOKEN_LEN + 1];
	int64_t a = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t b = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	token_of(f, a, t1);
	token_of(f, b, t2);
	send_job(f, a, "m1", T0);
	send_job(f, b, "m1", T0);
	/* Both time out and go back to the queue. */
	struct otap_profile prof = { .name = (char *)"fast", .confirm_timeout_ms = 2 * SEC };
	struct cfg cfg = { .profiles = &prof, .profile_count = 1 };
	int n = 0;
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 3 * SEC, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(get_job(f, a).state, JOB_QUEUED);
	/* The late 900 still confirms (no resend needed any more). */
	assert_int_equal(apply(f, a, t1, 900, T0 + 4 * SEC), NOTIFY_APPLIED);
	assert_int_equal(get_job(f, a).state, JOB_CONFIRMED);
	/* A cancelled job stays cancelled but keeps what the unit said. */
	assert_int_equal(store_cancel(f->q, b, T0 + 4 * SEC, &err), 0);
	assert_int_equal(apply(f, b, t2, 900, T0 + 5 * SEC), NOTIFY_APPLIED);
	assert_int_equal(get_job(f, b).state, JOB_CANCELLED);
	assert_int_equal(get_info(f, b).confirmed_at, T0 + 5 * SEC);
	assert_int_equal(apply(f, b, t2, 900, T0 + 6 * SEC), NOTIFY_UNCHANGED);
}

/* The unit can answer before the worker has recorded the send: the job is
 * the worker's while in 'sending', so the report waits for the sweep. */
static void notification_while_sending(void **state)
{
	struct fixture *f = *state;
	struct errbuf err;
	struct job job;
	char t1[NOTIFY_TOKEN_LEN + 1], t2[NOTIFY_TOKEN_LEN + 1];
	struct otap_profile prof = { .name = (char *)"fast", .confirm_timeout_ms = 2 * SEC };
	struct cfg cfg = { .profiles = &prof, .profile_count = 1 };
	int64_t a = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t b = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	token_of(f, a, t1);
	token_of(f, b, t2);
	assert_int_equal(store_claim(f->q, "m1", T0, &job, &err), 1);
	assert_int_equal(store_claim(f->q, "m1", T0, &job, &err), 1);
	struct notify_report ok = report(900, "Success");
	struct notify_applied res;
	assert_int_equal(notify_apply_job(f->q, a, t1, &ok, T0 + 10, &res, &err), 0);
	assert_int_equal(res.result, NOTIFY_APPLIED);
	assert_int_equal(res.after, JOB_SENDING);
	assert_int_equal(apply(f, a, t1, 900, T0 + 20), NOTIFY_UNCHANGED);
	assert_int_equal(apply(f, b, t2, 909, T0 + 10), NOTIFY_APPLIED);
	/* The sweep leaves them to their worker while they are sending. */
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 50, NULL, &err), 0);
	assert_int_equal(get_job(f, a).state, JOB_SENDING);
	/* a is recorded as sent (well after the timeout), b's send fails. */
	struct job_outcome o = { .modem = "m1", .started_at = T0, .finished_at = T0 + 100,
				 .result = "sent", .cms_error = -1 };
	assert_int_equal(store_mark_sent(f->q, a, &o, NULL, &err), 0);
	o.result = "transient";
	assert_int_equal(store_retry_later(f->q, b, T0 + 9 * SEC, true, &o, NULL, &err), 0);
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 5 * SEC, NULL, &err), 0);
	job = get_job(f, a);
	assert_int_equal(job.state, JOB_CONFIRMED);
	assert_int_equal(get_info(f, a).confirmed_at, T0 + 5 * SEC);
	assert_int_equal(get_info(f, a).notified_at, T0 + 10);
	assert_int_equal(attempts_with(f, a, "unconfirmed"), 0);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM attempts WHERE job_id = ?1 AND "
				   "detail LIKE '%while the job was being sent%'", a), 1);
	job = get_job(f, b);
	assert_int_equal(job.state, JOB_FAILED);
	assert_string_equal(job.last_error, "909 Application authentication failure");
	assert_int_equal(count_sql(f, "SELECT count(*) FROM jobs WHERE notify_pending = 1 AND "
				   "id = ?1", a), 0);
	/* Nothing left to apply. */
	int before = all_attempts(f, a);
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 6 * SEC, NULL, &err), 0);
	assert_int_equal(all_attempts(f, a), before);
}

/* ---- notifications by IMEI ---- */

static enum notify_apply_result apply_imei(struct fixture *f, const char *imei, int code,
					   int64_t at, int64_t *job_id)
{
	struct notify_report r = report(code, "");
	struct notify_applied a;
	struct errbuf err = { "" };
	if (notify_apply_imei(f->q, imei, &r, at, &a, &err) < 0)
		fail_msg("apply_imei: %s", err.msg);
	*job_id = a.job_id;
	return a.result;
}

static void imei_matching(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	int64_t old = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t recent = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t unsent = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t other = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	assert_int_equal(store_set_imei(f->q, old, IMEI_A, &err), 0);
	assert_int_equal(store_set_imei(f->q, recent, IMEI_A, &err), 0);
	assert_int_equal(store_set_imei(f->q, unsent, IMEI_A, &err), 0);
	assert_int_equal(store_set_imei(f->q, other, IMEI_B, &err), 0);
	assert_int_equal(store_set_imei(f->q, other, "490154203237519", &err), -1);
	assert_non_null(strstr(err.msg, "check digit"));
	assert_int_equal(store_set_imei(f->q, 999, IMEI_A, &err), -1);
	send_job(f, old, "m1", T0);
	send_job(f, recent, "m1", T0 + HOUR);
	int64_t hit = 0;
	/* The most recently sent open job of the unit. */
	assert_int_equal(apply_imei(f, IMEI_A, 900, T0 + 2 * HOUR, &hit), NOTIFY_APPLIED);
	assert_int_equal(hit, recent);
	assert_int_equal(get_job(f, recent).state, JOB_CONFIRMED);
	assert_int_equal(get_job(f, old).state, JOB_SENT);
	/* Then the older one, still open. */
	assert_int_equal(apply_imei(f, IMEI_A, 909, T0 + 3 * HOUR, &hit), NOTIFY_APPLIED);
	assert_int_equal(hit, old);
	assert_int_equal(get_job(f, old).state, JOB_FAILED);
	/* Nothing open any more: a repeat lands on the newest and is a no-op. */
	assert_int_equal(apply_imei(f, IMEI_A, 900, T0 + 4 * HOUR, &hit), NOTIFY_UNCHANGED);
	assert_int_equal(hit, recent);
	/* Never sent, or unknown IMEI: no job. */
	assert_int_equal(apply_imei(f, IMEI_B, 900, T0 + HOUR, &hit), NOTIFY_NO_JOB);
	assert_int_equal(apply_imei(f, "353456789012347", 900, T0 + HOUR, &hit), NOTIFY_NO_JOB);
	assert_string_equal(get_info(f, other).imei, IMEI_B);
	assert_string_equal(get_info(f, unsent).imei, IMEI_A);
}

/* ---- status reports ---- */

static void status_report_classes(void **state)
{
	struct fixture *f = *state;
	int64_t ok = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t unconf = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	int64_t perm = add_job(f, "+491700000003", OTAP_ACTION_INSTALL, 3);
	int64_t temp = add_job(f, "+491700000004", OTAP_ACTION_INSTALL, 3);
	int64_t last = add_job(f, "+491700000005", OTAP_ACTION_INSTALL, 1);
	send_with_parts(f, ok, "m1", (int[]){ 10 }, 1, T0);
	send_with_parts(f, unconf, "m1", (int[]){ 11 }, 1, T0);
	send_with_parts(f, perm, "m1", (int[]){ 12 }, 1, T0);
	send_with_parts(f, temp, "m1", (int[]){ 13 }, 1, T0);
	send_with_parts(f, last, "m1", (int[]){ 14 }, 1, T0);
	cds(f, "m1", 10, "+491700000001", 0x00, T0 + SEC);
	cds(f, "m1", 11, "+491700000002", 0x01, T0 + SEC);
	cds(f, "m1", 12, "+491700000003", 0x41, T0 + SEC);
	cds(f, "m1", 13, "+491700000004", 0x60, T0 + SEC);
	cds(f, "m1", 14, "+491700000005", 0x62, T0 + SEC);

	assert_int_equal(get_job(f, ok).state, JOB_DELIVERED);
	assert_int_equal(get_info(f, ok).delivered_at, T0 + SEC);
	assert_int_equal(attempts_with(f, ok, "delivered"), 1);
	assert_int_equal(get_job(f, unconf).state, JOB_SENT);
	assert_int_equal(attempts_with(f, unconf, "report"), 1);
	assert_int_equal(get_info(f, unconf).delivered_at, 0);
	struct job job = get_job(f, perm);
	assert_int_equal(job.state, JOB_FAILED);
	assert_non_null(strstr(job.last_error, "TP-ST 0x41"));
	assert_int_equal(attempts_with(f, perm, "report-failed"), 1);
	job = get_job(f, temp);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.not_before, T0 + SEC);
	assert_int_equal(attempts_with(f, temp, "report-retry"), 1);
	job = get_job(f, last);
	assert_int_equal(job.state, JOB_FAILED);
	assert_non_null(strstr(job.last_error, "gave up after 1 attempts"));
	/* A second delivery report for the same SM moves nothing. */
	cds(f, "m1", 10, "+491700000001", 0x00, T0 + 2 * SEC);
	assert_int_equal(get_job(f, ok).state, JOB_DELIVERED);
	/* A new send clears delivered_at. */
	send_with_parts(f, temp, "m1", (int[]){ 20 }, 1, T0 + 5 * SEC);
	assert_int_equal(get_info(f, temp).sent_at, T0 + 5 * SEC);
	cds(f, "m1", 20, "+491700000004", 0x00, T0 + 6 * SEC);
	assert_int_equal(get_info(f, temp).delivered_at, T0 + 6 * SEC);
}

static void status_report_start_part_decides(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	send_with_parts(f, id, "m1", (int[]){ 30, 31 }, 2, T0);
	cds(f, "m1", 30, "+491700000001", 0x00, T0 + SEC);
	assert_int_equal(get_job(f, id).state, JOB_SENT);       /* part 1 of 2 */
	assert_int_equal(attempts_with(f, id, "delivered"), 1);
	cds(f, "m1", 31, "+491700000001", 0x00, T0 + SEC);
	assert_int_equal(get_job(f, id).state, JOB_DELIVERED);
}

static void status_report_matching(void **state)
{
	struct fixture *f = *state;
	struct errbuf err;
	char hex[160];
	int64_t old = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t newer = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	int64_t other_modem = add_job(f, "+491700000003", OTAP_ACTION_INSTALL, 3);
	int64_t stale = add_job(f, "+491700000004", OTAP_ACTION_INSTALL, 3);
	/* MR 5 was used twice on m1 (the MR wrapped) and once on m2. */
	send_with_parts(f, old, "m1", (int[]){ 5 }, 1, T0);
	send_with_parts(f, newer, "m1", (int[]){ 5 }, 1, T0 + HOUR);
	send_with_parts(f, other_modem, "m2", (int[]){ 5 }, 1, T0 + HOUR);
	send_with_parts(f, stale, "m1", (int[]){ 6 }, 1, T0);
	/* The newest send with that MR on that modem... */
	cds(f, "m1", 5, "", 0x00, T0 + 2 * HOUR);
	assert_int_equal(get_job(f, newer).state, JOB_DELIVERED);
	assert_int_equal(get_job(f, old).state, JOB_SENT);
	assert_int_equal(get_job(f, other_modem).state, JOB_SENT);
	/* ...unless the recipient says otherwise (national form is fine). */
	cds(f, "m1", 5, "01700000001", 0x00, T0 + 2 * HOUR);
	assert_int_equal(get_job(f, old).state, JOB_DELIVERED);
	/* No send with that MR and number: nothing happens. */
	cds(f, "m1", 5, "+491709999999", 0x41, T0 + 2 * HOUR);
	cds(f, "m3", 5, "+491700000003", 0x41, T0 + 2 * HOUR);
	assert_int_equal(get_job(f, other_modem).state, JOB_SENT);
	/* Older than the horizon: another message with a reused MR. */
	cds(f, "m1", 6, "+491700000004", 0x41, T0 + NOTIFY_REPORT_HORIZON_MS + SEC);
	assert_int_equal(get_job(f, stale).state, JOB_SENT);
	assert_int_equal(all_attempts(f, stale), 1);
	/* Without the SMSC field, the PDU is still understood. */
	make_cds(hex, false, 5, "+491700000003", 0x00);
	assert_int_equal(notify_apply_status_report(f->q, "m2", hex, T0 + 2 * HOUR, &err), 0);
	assert_int_equal(get_job(f, other_modem).state, JOB_DELIVERED);
	/* Garbage and other PDU types are errors. */
	assert_int_equal(notify_apply_status_report(f->q, "m1", "zz", T0, &err), -1);
	assert_int_equal(notify_apply_status_report(f->q, "m1", "0011000C91", T0, &err), -1);
}

/* SMPP: the parts are named by the submit_sm_resp message ids; a receipt
 * lands like a +CDS (the START part decides), matched by link and id. */
static void smpp_receipts_match_message_ids(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct job job;
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t other = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	assert_int_equal(store_claim(f->q, "smsc", T0, &job, &err), 1);
	assert_int_equal(store_record_part_id(f->q, id, "smsc", "a-1", 1, 2, T0, &err), 0);
	const char *ids[] = { "a-1", "a-2" };
	struct job_outcome o = { .modem = "smsc", .started_at = T0, .finished_at = T0,
				 .result = "sent", .cms_error = -1 };
	struct sent_parts parts = { NULL, 2, ids };
	assert_int_equal(store_mark_sent(f->q, id, &o, &parts, &err), 0);
	assert_int_equal(store_claim(f->q, "smsc", T0, &job, &err), 1);
	const char *other_ids[] = { "b-1" };
	struct sent_parts other_parts = { NULL, 1, other_ids };
	assert_int_equal(store_mark_sent(f->q, other, &o, &other_parts, &err), 0);
	/* Part 1 delivered: history only. */
	assert_int_equal(notify_apply_receipt(f->q, "smsc", "a-1", "DELIVRD", 0x00, T0 + SEC,
					      &err), 1);
	assert_int_equal(get_job(f, id).state, JOB_SENT);
	assert_int_equal(attempts_with(f, id, "delivered"), 1);
	/* Another link's id, or an unknown one: nothing. */
	assert_int_equal(notify_apply_receipt(f->q, "other", "a-2", "DELIVRD", 0x00, T0 + SEC,
					      &err), 0);
	assert_int_equal(notify_apply_receipt(f->q, "smsc", "zz", "DELIVRD", 0x00, T0 + SEC,
					      &err), 0);
	assert_int_equal(get_job(f, id).state, JOB_SENT);
	assert_int_equal(notify_apply_receipt(f->q, "smsc", "a-2", "DELIVRD", 0x00, T0 + SEC,
					      &err), 1);
	assert_int_equal(get_job(f, id).state, JOB_DELIVERED);
	assert_int_equal(notify_apply_receipt(f->q, "smsc", "b-1", "UNDELIV", 0x43, T0 + SEC,
					      &err), 1);
	assert_int_equal(get_job(f, other).state, JOB_FAILED);
	assert_non_null(strstr(get_job(f, other).last_error, "0x43"));
	/* An id that is too long is refused before the store. */
	char long_id[80];
	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	assert_int_equal(notify_apply_receipt(f->q, "smsc", long_id, "DELIVRD", 0, T0, &err), -1);
}

static void status_report_prunes_and_earlier_sends(void **state)
{
	struct fixture *f = *state;
	int64_t a = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t b = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	send_with_parts(f, a, "m1", (int[]){ 7 }, 1, T0);
	/* Reusing MR 7 after the horizon prunes the old row. */
	send_with_parts(f, b, "m1", (int[]){ 7 }, 1, T0 + NOTIFY_REPORT_HORIZON_MS + SEC);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM sent_parts WHERE mr = ?1", 7), 1);
	/* A report on the first send of a job that was sent again only goes
	 * into the history. */
	int64_t c = add_job(f, "+491700000003", OTAP_ACTION_INSTALL, 3);
	send_with_parts(f, c, "m1", (int[]){ 40 }, 1, T0 + NOTIFY_REPORT_HORIZON_MS);
	struct errbuf err;
	struct otap_profile prof = { .name = (char *)"fast", .confirm_timeout_ms = SEC };
	struct cfg cfg = { .profiles = &prof, .profile_count = 1 };
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + NOTIFY_REPORT_HORIZON_MS +
						  10 * SEC, NULL, &err), 0);
	int64_t t1 = T0 + NOTIFY_REPORT_HORIZON_MS + 20 * SEC;
	/* All three went back to the queue; they are claimed in id order. */
	send_with_parts(f, a, "m1", (int[]){ 43 }, 1, t1);
	send_with_parts(f, b, "m1", (int[]){ 41 }, 1, t1);
	send_with_parts(f, c, "m1", (int[]){ 42 }, 1, t1);
	cds(f, "m1", 40, "+491700000003", 0x41, t1 + SEC);
	assert_int_equal(get_job(f, c).state, JOB_SENT);
	assert_int_equal(attempts_with(f, c, "report-failed"), 1);
	cds(f, "m1", 42, "+491700000003", 0x00, t1 + SEC);
	assert_int_equal(get_job(f, c).state, JOB_DELIVERED);
}

static void record_parts_checks(void **state)
{
	struct fixture *f = *state;
	struct errbuf err;
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	struct job job;
	assert_int_equal(store_claim(f->q, "m1", T0, &job, &err), 1);
	/* The parts are recorded with 'sent': a refused part refuses the send. */
	assert_int_equal(mark_sent_parts(f, id, "m1", (int[]){ 256 }, 1, T0, &err), -1);
	assert_int_equal(mark_sent_parts(f, id, "m1", (int[]){ -1 }, 1, T0, &err), -1);
	assert_int_equal(mark_sent_parts(f, 999, "m1", (int[]){ 1 }, 1, T0, &err), -1);
	assert_int_equal(mark_sent_parts(f, id, "", (int[]){ 1 }, 1, T0, &err), -1);
	assert_int_equal(get_job(f, id).state, JOB_SENDING);
	assert_int_equal(mark_sent_parts(f, id, "m1", (int[]){ 1, 255 }, 2, T0, &err), 0);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM sent_parts WHERE job_id = ?1", id), 2);
}

/* ---- the confirmation sweep ---- */

static void sweep(void **state)
{
	struct fixture *f = *state;
	struct errbuf err;
	struct otap_profile profs[2] = {
		{ .name = (char *)"fast", .confirm_timeout_ms = 2 * SEC },
		{ .name = (char *)"slow", .confirm_timeout_ms = 30 * 60 * SEC },
	};
	struct cfg cfg = { .profiles = profs, .profile_count = 2 };
	int64_t a = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 2);
	int64_t b = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 2);
	struct job_new slow = { .msisdn = "+491700000003", .profile = "slow", .not_before = T0,
				.max_attempts = 2 };
	int64_t c = 0;
	assert_int_equal(store_enqueue(f->q, &slow, T0, &c, &err), 0);
	send_with_parts(f, a, "m1", (int[]){ 1 }, 1, T0);
	send_with_parts(f, b, "m1", (int[]){ 2 }, 1, T0);
	send_job(f, c, "m1", T0);
	cds(f, "m1", 2, "+491700000002", 0x00, T0 + SEC);      /* delivered, still unconfirmed */
	int n = -1;
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 2 * SEC, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 2 * SEC + 1, &n, &err), 0);
	assert_int_equal(n, 2);
	struct job job = get_job(f, a);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.last_error, "no confirmation within 2s");
	assert_int_equal(get_job(f, b).state, JOB_QUEUED);
	assert_int_equal(get_job(f, c).state, JOB_SENT);
	assert_int_equal(attempts_with(f, a, "unconfirmed"), 1);
	/* Second and last try, again without an answer. */
	send_job(f, a, "m1", T0 + 10 * SEC);
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 13 * SEC, &n, &err), 0);
	assert_int_equal(n, 1);
	job = get_job(f, a);
	assert_int_equal(job.state, JOB_FAILED);
	assert_string_equal(job.last_error, "gave up after 2 attempts: no confirmation within 2s");
	/* The slow profile's job waits its own timeout. */
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 30 * 60 * SEC + 1, &n, &err), 0);
	assert_int_equal(get_job(f, c).state, JOB_QUEUED);
	/* Nothing due: no change. */
	assert_int_equal(notify_sweep_unconfirmed(f->q, &cfg, T0 + 30 * 60 * SEC + 2, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void sweep_uses_the_index(void **state)
{
	struct fixture *f = *state;
	TEST_SQLITE_ONLY();     /* SQLite's query plan */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_sqlite_db(f->q), "EXPLAIN QUERY PLAN SELECT id FROM jobs j "
					    "WHERE j.state IN ('sent', 'delivered') AND j.profile = ?1 "
					    "AND j.sent_at < ?2", -1, &st, NULL), SQLITE_OK);
	bool indexed = false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		indexed |= detail && strstr(detail, "jobs_unconfirmed") != NULL;
	}
	sqlite3_finalize(st);
	assert_true(indexed);
}

/* ---- routing ---- */

struct route_fixture {
	struct fixture db;
	struct notify_router router;
};

static int setup_route(void **state)
{
	struct route_fixture *rf = calloc(1, sizeof *rf);
	void *db_state;
	assert_non_null(rf);
	setup_db(&db_state);
	rf->db = *(struct fixture *)db_state;
	free(db_state);
	notify_router_init(&rf->router, rf->db.q, NULL, PUBLIC_URL "/otap");
	*state = rf;
	return 0;
}

static int teardown_route(void **state)
{
	struct route_fixture *rf = *state;
	struct fixture *f = malloc(sizeof *f);
	assert_non_null(f);
	*f = rf->db;
	void *db_state = f;
	teardown_db(&db_state);
	free(rf);
	return 0;
}

/* One request as the listener hands it over (method, path, User-Agent, body). */
static int route(struct route_fixture *rf, const char *method, const char *target,
		 const char *ua, const char *body, struct notify_reply *out)
{
	struct notify_request req = { .method = method, .target = target, .user_agent = ua,
				      .body = (const uint8_t *)body,
				      .body_len = body ? strlen(body) : 0, .peer = "192.0.2.1" };
	notify_route(&rf->router, &req, T0 + HOUR, out);
	return out->status;
}

static int post(struct route_fixture *rf, const char *path, const char *ua, const char *body,
		struct notify_reply *out)
{
	return route(rf, "POST", path, ua, body, out);
}

/* A health row for modem name in state, last written at last_seen. */
static void put_modem(struct fixture *f, const char *name, enum modem_state state,
		      const char *why, int64_t last_seen)
{
	struct errbuf err;
	struct modem_health h = { .state = state, .state_since = T0, .creg_stat = 1, .rssi = 20,
				  .last_seen = last_seen };
	snprintf(h.name, sizeof h.name, "%s", name);
	snprintf(h.why, sizeof h.why, "%s", why);
	assert_int_equal(store_modem_update(f->q, &h, &err), 0);
}

/* /healthz is 200 only while a modem is ready (or sending) by a fresh row. */
static void healthz(void **state)
{
	struct route_fixture *rf = *state;
	struct fixture *f = &rf->db;
	struct notify_reply out;
	assert_int_equal(route(rf, "GET", "/healthz", NULL, NULL, &out), 503);
	assert_string_equal(out.body, "no modem ready: 0 of 0 (no modem configured)");
	put_modem(f, "m1", MODEM_FAILING, "+CMS ERROR: 302 (operation not allowed)", T0 + HOUR);
	assert_int_equal(route(rf, "GET", "/healthz", NULL, NULL, &out), 503);
	assert_string_equal(out.body, "no modem ready: 0 of 1 (m1 failing: +CMS ERROR: 302 "
			    "(operation not allowed))");
	put_modem(f, "m2", MODEM_SENDING, "", T0 + HOUR - MODEM_HEALTH_STALE_MS);
	assert_int_equal(route(rf, "GET", "/healthz", NULL, NULL, &out), 200);
	assert_string_equal(out.body, "ok: 1 of 2 modems ready");
	/* otapd stopped writing: stale rows say nothing is ready */
	put_modem(f, "m2", MODEM_READY, "", T0 + HOUR - MODEM_HEALTH_STALE_MS - 1);
	assert_int_equal(route(rf, "HEAD", "/healthz", NULL, NULL, &out), 503);
	assert_string_equal(out.body, "no modem ready: 0 of 2 (m1 failing: +CMS ERROR: 302 "
			    "(operation not allowed); m2 stale (otapd not running?))");
}

static void routing(void **state)
{
	struct route_fixture *rf = *state;
	struct fixture *f = &rf->db;
	struct notify_reply out;
	struct errbuf err;
	char path[128], token[NOTIFY_TOKEN_LEN + 1];
	int64_t id = add_job(f, "+491700000001", OTAP_ACTION_INSTALL, 3);
	int64_t fleet = add_job(f, "+491700000002", OTAP_ACTION_INSTALL, 3);
	token_of(f, id, token);
	assert_int_equal(store_set_imei(f->q, fleet, IMEI_B, &err), 0);
	send_job(f, id, "m1", T0);
	send_job(f, fleet, "m1", T0);
	put_modem(f, "m1", MODEM_READY, "", T0 + HOUR);        /* /healthz: see healthz() */

	assert_int_equal(route(rf, "GET", "/otap/healthz", NULL, NULL, &out), 200);
	assert_int_equal(route(rf, "HEAD", "/healthz", NULL, NULL, &out), 200);
	assert_int_equal(route(rf, "DELETE", "/healthz", NULL, NULL, &out), 405);
	assert_string_equal(out.allow, "GET, HEAD");
	assert_int_equal(route(rf, "GET", "/elsewhere", NULL, NULL, &out), 404);
	snprintf(path, sizeof path, "/otap/n/%lld/%s", (long long)id, token);
	assert_int_equal(route(rf, "GET", path, NULL, NULL, &out), 405);
	assert_string_equal(out.allow, "POST");
	assert_int_equal(post(rf, path, "ELS61/" IMEI_A " Profile/IMP-NG", "hello", &out), 400);
	assert_int_equal(post(rf, path, "ELS61/" IMEI_A " Profile/IMP-NG", NULL, &out), 400);
	/* A forged token: 404, nothing changes. */
	char forged[128];
	snprintf(forged, sizeof forged, "/otap/n/%lld/%s", (long long)id, "aaaaaaaaaaaaaaaa");
	assert_int_equal(post(rf, forged, "x", "900 Success\n", &out), 404);
	assert_int_equal(get_job(f, id).state, JOB_SENT);
	/* The genuine one, then a repeat: both 200. */
	assert_int_equal(post(rf, path, "ELS61/" IMEI_A " Profile/IMP-NG", "900 Success\n", &out),
			 200);
	assert_int_equal(get_job(f, id).state, JOB_CONFIRMED);
	assert_int_equal(post(rf, path, "ELS61/" IMEI_A " Profile/IMP-NG", "900 Success\n", &out),
			 200);
	/* Fleet-wide: by the IMEI in the User-Agent. */
	assert_int_equal(post(rf, "/otap/notify", "ELS61/" IMEI_B " Profile/IMP-NG", "909 Auth\n",
			      &out), 200);
	assert_int_equal(get_job(f, fleet).state, JOB_FAILED);
	assert_int_equal(post(rf, "/notify", "ELS61 Profile/IMP-NG", "900 Success\n", &out), 404);
	assert_int_equal(post(rf, "/notify", NULL, "900 Success\n", &out), 404);
	assert_int_equal(post(rf, "/notify", "ELS61/353456789012347 Profile/IMP-NG",
			      "900 Success\n", &out), 404);
	/* A flood of forgeries is answered but not logged line by line. */
	for (int i = 0; i < 50; i++)
		assert_int_equal(post(rf, forged, "x", "900 Success\n", &out), 404);
	assert_true(rf->router.warns_suppressed > 0);
}

int main(void)
{
	log_init("test_notify", LOG_LEVEL_ERROR);
	if (test_engine_missing())
		return TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokens),
		cmocka_unit_test(paths),
		cmocka_unit_test(bodies),
		cmocka_unit_test(codes),
		cmocka_unit_test(imeis),
		cmocka_unit_test_setup_teardown(job_url, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(notification_confirms, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(wrong_token_changes_nothing, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(notification_failures, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(install_job_912_fails, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(loss_of_service_retries, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(late_and_cancelled, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(notification_while_sending, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(imei_matching, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(status_report_classes, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(smpp_receipts_match_message_ids, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(status_report_start_part_decides, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(status_report_matching, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(status_report_prunes_and_earlier_sends, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(record_parts_checks, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(sweep, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(sweep_uses_the_index, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(routing, setup_route, teardown_route),
		cmocka_unit_test_setup_teardown(healthz, setup_route, teardown_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
