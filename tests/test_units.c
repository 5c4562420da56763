/* test_units.c - a rollout's units page by page (store_units.h) and the
 * API's unit list over it (unit_list.h), on a real SQLite store: only the
 * rollout's units, in the order (state, furthest step, id), filtered by
 * state and step sets, offsets and limits that cut the same list, the
 * unit's report code and delivery; a cause the store cannot count is
 * found by walking, with total null; bad filters are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sqlite_engine.h"
#include "store.h"
#include "store_units.h"
#include "unit_list.h"

#define UNITS 40
#define AT 1700000000000LL

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
};

static void sql(struct fixture *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char *msg = NULL;
	if (sqlite3_exec(store_sqlite_db(f->s), buf, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", buf, msg);
}

/* Unit i of rollout "r": its state and furthest step cycle, so that every
 * (state, step) group holds units with ids far apart; 5 units of "other". */
static const char *const states[] = { "queued", "sent", "delivered", "confirmed", "failed" };
static const int steps[] = { 0, 1, 2, 6, 3 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct errbuf err = { "" };
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_units.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/store.db", f->dir);
	if (store_open(f->path, &f->s, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	for (int i = 1; i <= UNITS + 5; i++) {
		int k = (i * 7) % 5;
		sql(f, "INSERT INTO jobs (id, msisdn, profile, action, state, rollout, not_before, "
		    "max_attempts, created_at, updated_at, reached, notify_code, delivered_at) "
		    "VALUES (%d, '+49170%05d', 'p', 'install', '%s', '%s', %lld, 3, %lld, %lld, %d, "
		    "%s, %s)", i, i, states[k], i <= UNITS ? "r" : "other", AT, AT, AT, steps[k],
		    k == 3 ? "900" : "NULL", k == 2 ? "1700000000001" : "NULL");
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->s);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

struct seen {
	struct unit_row v[UNITS + 5];
	int n;
};

static int collect(const struct unit_row *u, void *arg)
{
	struct seen *s = arg;
	s->v[s->n++] = *u;
	return 0;
}

static struct seen *walk(struct fixture *f, unsigned st, unsigned sp, int64_t offset, int limit)
{
	static struct seen s;
	struct errbuf err = { "" };
	struct unit_filter filter = { .rollout = "r", .states = st, .steps = sp, .offset = offset,
				      .limit = limit };
	memset(&s, 0, sizeof s);
	if (store_rollout_units(f->s, &filter, collect, &s, &err) < 0)
		fail_msg("store_rollout_units: %s", err.msg);
	return &s;
}

static int64_t count(struct fixture *f, unsigned st, unsigned sp)
{
	struct errbuf err = { "" };
	struct unit_filter filter = { .rollout = "r", .states = st, .steps = sp };
	int64_t n = -1;
	if (store_rollout_units_count(f->s, &filter, &n, &err) < 0)
		fail_msg("store_rollout_units_count: %s", err.msg);
	return n;
}

static void test_order_and_rollout(void **state)
{
	struct fixture *f = *state;
	struct seen *s = walk(f, 0, 0, 0, 1000);
	assert_int_equal(s->n, UNITS);
	assert_int_equal(count(f, 0, 0), UNITS);
	for (int i = 0; i < s->n; i++) {
		const struct job *j = &s->v[i].job;
		assert_string_equal(j->rollout, "r");
		if (i == 0)
			continue;
		const struct job *p = &s->v[i - 1].job;
		int by_state = strcmp(job_state_name(p->state), job_state_name(j->state));
		assert_true(by_state < 0 || (by_state == 0 && (p->reached < j->reached ||
				(p->reached == j->reached && p->id < j->id))));
	}
}

static void test_filters_and_report(void **state)
{
	struct fixture *f = *state;
	struct seen *s = walk(f, 1u << JOB_CONFIRMED, 0, 0, 1000);
	assert_int_equal(s->n, UNITS / 5);
	assert_int_equal(count(f, 1u << JOB_CONFIRMED, 0), UNITS / 5);
	for (int i = 0; i < s->n; i++) {
		assert_int_equal(s->v[i].job.state, JOB_CONFIRMED);
		assert_int_equal(s->v[i].notify_code, 900);
		assert_false(s->v[i].delivered);
	}
	s = walk(f, 0, (1u << JOB_STEP_SENT) | (1u << JOB_STEP_DELIVERED), 0, 1000);
	assert_int_equal(s->n, 2 * UNITS / 5);
	for (int i = 0; i < s->n; i++) {
		assert_true(s->v[i].job.reached == 1 || s->v[i].job.reached == 2);
		assert_int_equal(s->v[i].delivered, s->v[i].job.reached == 2);
		assert_int_equal(s->v[i].notify_code, -1);
	}
	assert_int_equal(count(f, 1u << JOB_FAILED, 1u << JOB_STEP_SENT), 0);
	assert_int_equal(count(f, 1u << JOB_FAILED, 1u << JOB_STEP_JAD_FETCHED), UNITS / 5);
}

/* Pages cut the one list: offset 10, 7 units = units 10..16 of the whole. */
static void test_offset_and_limit(void **state)
{
	struct fixture *f = *state;
	struct seen all = *walk(f, 0, 0, 0, 1000);
	struct seen *page = walk(f, 0, 0, 10, 7);
	assert_int_equal(page->n, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(page->v[i].job.id, all.v[10 + i].job.id);
	assert_int_equal(walk(f, 0, 0, UNITS - 3, 7)->n, 3);
	assert_int_equal(walk(f, 0, 0, UNITS, 7)->n, 0);
}

static void test_bad_filters(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	struct unit_filter bad = { .rollout = "r", .limit = 0 };
	assert_int_equal(store_rollout_units(f->s, &bad, collect, NULL, &err), -1);
	bad = (struct unit_filter){ .rollout = "r", .limit = 1, .offset = -1 };
	assert_int_equal(store_rollout_units(f->s, &bad, collect, NULL, &err), -1);
	bad = (struct unit_filter){ .rollout = "r", .limit = 1, .states = 1u << JOB_STATE_COUNT };
	assert_int_equal(store_rollout_units(f->s, &bad, collect, NULL, &err), -1);
	int64_t n;
	bad = (struct unit_filter){ .rollout = NULL };
	assert_int_equal(store_rollout_units_count(f->s, &bad, &n, &err), -1);
}

static int occurrences(const char *text, const char *word)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
		n++;
	return n;
}

/* The API's list for q, as text (free it). */
static char *list_json(struct fixture *f, const struct unit_query *q)
{
	struct errbuf err = { "" };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	struct json_writer w;
	json_init(&w, out);
	if (unit_list_json(&w, f->s, NULL, q, &err) < 0)
		fail_msg("unit_list_json: %s", err.msg);
	assert_int_equal(json_finish(&w), 0);
	fclose(out);
	return buf;
}

/* A cause that depends on the profile (sent_external: sent, no profile
 * known) is walked, total null; an exact one is counted. */
static void test_unit_list_json(void **state)
{
	struct fixture *f = *state;
	struct unit_query q = { .rollout = "r", .state = -1, .stopped_at = -1,
				.cause = DIAG_SENT_EXTERNAL, .page = 2, .per_page = 3 };
	char *text = list_json(f, &q);
	/* 16 units stopped at sent or delivered without a profile: page 2. */
	assert_non_null(strstr(text, "\"cause\":\"sent_external\",\"page\":2,\"per_page\":3"));
	assert_non_null(strstr(text, "\"total\":null,\"more\":true"));
	assert_non_null(strstr(text, "\"rule\":\"sent_external\""));
	free(text);
	q = (struct unit_query){ .rollout = "r", .state = JOB_CONFIRMED, .stopped_at = -1,
				 .cause = DIAG_CONFIRMED, .page = 3, .per_page = 3 };
	text = list_json(f, &q);
	/* 8 confirmed: page 3 holds the last 2. */
	assert_non_null(strstr(text, "\"total\":8,\"more\":false"));
	assert_int_equal(occurrences(text, "\"rule\":\"confirmed\""), 2);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_rollout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offset_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_list_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
