/* test_queue.c - the job queue: opening and migrations, the job state
 * machine, attempt history, and claiming from several processes at once.
 * Runs against SQLite and, as test_queue_pg, PostgreSQL (testutil_store.h);
 * the tests of SQLite's files, pragmas and locks skip there. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"
#include "testutil_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sqlite_engine.h"
#include "store.h"
#include "schema.h"

#define T0 1700000000000LL      /* an arbitrary "now", ms since the epoch */

struct fixture {
	char dir[64];
	char path[640];          /* a file, or a PostgreSQL URL with its own schema */
	struct store *q;
};

/* ---- helpers ---- */

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_queue.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	test_store_location(f->path, sizeof f->path, f->dir, "queue.db");
	*state = f;
	return 0;
}

static int setup_open(void **state)
{
	setup_dir(state);
	struct fixture *f = *state;
	struct errbuf err = { "" };
	if (store_open(f->path, &f->q, &err) < 0)
		fail_msg("queue_open: %s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->q);
	test_store_drop(f->path);
	test_remove_dir(f->dir);
	free(f);
	return 0;
}

static int64_t add_job(struct store *q, const char *msisdn, int64_t not_before, int max_attempts,
		       const char *rollout)
{
	struct job_new job = {
		.msisdn = msisdn,
		.profile = "field",
		.action = OTAP_ACTION_INSTALL,
		.rollout = rollout,
		.not_before = not_before,
		.max_attempts = max_attempts,
	};
	struct errbuf err = { "" };
	int64_t id = 0;
	if (store_enqueue(q, &job, T0, &id, &err) < 0)
		fail_msg("queue_enqueue: %s", err.msg);
	return id;
}

static struct job get_job(struct store *q, int64_t id)
{
	struct job job;
	struct errbuf err = { "" };
	if (store_get(q, id, &job, &err) != 1)
		fail_msg("queue_get %lld: %s", (long long)id, err.msg);
	return job;
}

static int64_t claim_one(struct store *q, int64_t now)
{
	struct job job;
	struct errbuf err = { "" };
	int rc = store_claim(q, "m1", now, &job, &err);
	if (rc < 0)
		fail_msg("queue_claim: %s", err.msg);
	return rc == 1 ? job.id : 0;
}

static struct job_outcome outcome(const char *result, int cms, const char *detail)
{
	struct job_outcome o = {
		.modem = "m1",
		.started_at = T0 + 10,
		.finished_at = T0 + 20,
		.result = result,
		.cms_error = cms,
		.mrs = NULL,
		.detail = detail,
	};
	return o;
}

static int64_t sql_int(struct store *q, const char *sql)
{
	return test_sql_int(q, sql);
}

static void sql_text(struct store *q, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_sqlite_db(q), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static mode_t file_mode(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

#define MAX_COLLECT 16

struct collected_jobs {
	int n;
	int stop_after;         /* 0 = never stop early */
	struct job jobs[MAX_COLLECT];
};

static int collect_job(const struct job *job, void *arg)
{
	struct collected_jobs *c = arg;
	if (c->n < MAX_COLLECT)
		c->jobs[c->n] = *job;
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static struct collected_jobs list(struct store *q, const struct job_filter *filter, int stop_after)
{
	struct collected_jobs c = { .stop_after = stop_after };
	struct errbuf err = { "" };
	if (store_list(q, filter, collect_job, &c, &err) < 0)
		fail_msg("queue_list: %s", err.msg);
	return c;
}

struct collected_attempts {
	int n;
	struct attempt attempts[MAX_COLLECT];
};

static int collect_attempt(const struct attempt *a, void *arg)
{
	struct collected_attempts *c = arg;
	if (c->n < MAX_COLLECT)
		c->attempts[c->n] = *a;
	c->n++;
	return 0;
}

static struct collected_attempts history(struct store *q, int64_t id)
{
	struct collected_attempts c = { 0 };
	struct errbuf err = { "" };
	if (store_attempts(q, id, collect_attempt, &c, &err) < 0)
		fail_msg("queue_attempts: %s", err.msg);
	return c;
}

/* Children report through their exit status and stderr only: a cmocka
 * assertion in a forked child would unwind into a copy of the test runner. */
static int child_fail(const char *what, const struct errbuf *err)
{
	fprintf(stderr, "child %d: %s: %s\n", (int)getpid(), what, err->msg);
	return 1;
}

/* ---- opening and migrations ---- */

static void test_state_names_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = {
		"queued", "sending", "sent", "delivered", "confirmed", "failed", "cancelled",
	};
	for (int i = 0; i < JOB_STATE_COUNT; i++) {
		enum job_state parsed;
		assert_string_equal(job_state_name((enum job_state)i), names[i]);
		assert_int_equal(job_state_parse(names[i], &parsed), 0);
		assert_int_equal(parsed, i);
	}
	enum job_state parsed;
	assert_int_equal(job_state_parse("Queued", &parsed), -1);
	assert_int_equal(job_state_parse("", &parsed), -1);
}

static void test_open_creates_private_wal_database(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	struct errbuf err = { "" };
	/* With umask 0 SQLite alone would create the file 0644: 0600 must come
	 * from queue_open itself. */
	mode_t old_umask = umask(0);
	int rc = store_open(f->path, &f->q, &err);
	umask(old_umask);
	if (rc < 0)
		fail_msg("queue_open: %s", err.msg);

	assert_int_equal(file_mode(f->path), 0600);
	char wal[sizeof ((struct fixture *)0)->path + 8];
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	assert_int_equal(file_mode(wal), 0600);

	char mode[16];
	sql_text(f->q, "PRAGMA journal_mode", mode, sizeof mode);
	assert_string_equal(mode, "wal");
	assert_int_equal(sql_int(f->q, "PRAGMA synchronous"), 1);       /* NORMAL */
	assert_int_equal(sql_int(f->q, "PRAGMA foreign_keys"), 1);
	assert_int_equal(sql_int(f->q, "PRAGMA busy_timeout"), 10000);
	assert_int_equal(store_schema_version(f->q), schema_migrations[schema_migration_count - 1].version);
	assert_int_equal(store_schema_version(f->q),
			 schema_migrations[schema_migration_count - 1].version);
}

static void test_open_keeps_mode_of_existing_file(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	int fd = open(f->path, O_CREAT | O_WRONLY, 0640);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0640), 0);
	close(fd);
	struct errbuf err = { "" };
	if (store_open(f->path, &f->q, &err) < 0)
		fail_msg("queue_open: %s", err.msg);
	assert_int_equal(file_mode(f->path), 0640);
}

static void test_reopen_keeps_data_and_version(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491701234567", T0, 3, NULL);
	int64_t objects = sql_int(f->q, "SELECT count(*) FROM sqlite_master");
	store_close(f->q);
	f->q = NULL;

	struct errbuf err = { "" };
	if (store_open(f->path, &f->q, &err) < 0)
		fail_msg("reopen: %s", err.msg);
	assert_int_equal(store_schema_version(f->q), schema_migrations[schema_migration_count - 1].version);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM sqlite_master"), objects);
	assert_string_equal(get_job(f->q, id).msisdn, "+491701234567");
}

/* Helper mode of this binary (see main): opens and closes the queue in a
 * fresh process. A plain fork() would not do: the child would inherit
 * SQLite's in-memory record of the parent's locks and never really try. */
static int open_and_close(const char *path)
{
	struct store *q;
	struct errbuf err = { "" };
	if (store_open(path, &q, &err) < 0)
		return child_fail("open", &err);
	store_close(q);         /* checkpoints and deletes the WAL if it is the last user */
	return 0;
}

/* Opening a second connection in the same process (otapd opens one per
 * thread) must not drop the first one's locks: the shared lock on the
 * database file is what stops another process, when it closes, from
 * deleting the WAL that this process still uses. */
static void test_second_open_keeps_first_connections_locks(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	add_job(f->q, "+491700000001", T0, 3, NULL);
	struct store *second;
	struct errbuf err = { "" };
	if (store_open(f->path, &second, &err) < 0)
		fail_msg("second open: %s", err.msg);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_queue", "--open-and-close", f->path, (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	char wal[sizeof ((struct fixture *)0)->path + 8];
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	assert_int_equal(access(wal, F_OK), 0);
	assert_int_equal(add_job(second, "+491700000002", T0, 3, NULL), 2);
	store_close(second);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 2);
	char check[16];
	sql_text(f->q, "PRAGMA integrity_check", check, sizeof check);
	assert_string_equal(check, "ok");
}

static void test_open_refuses_newer_schema(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	assert_int_equal(sqlite3_exec(store_sqlite_db(f->q), "PRAGMA user_version = 999", NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(f->q);
	f->q = NULL;

	struct errbuf err = { "" };
	assert_int_equal(store_open(f->path, &f->q, &err), -1);
	assert_null(f->q);
	char expected[128];
	snprintf(expected, sizeof expected,
		 "database schema version 999 is newer than this otapd (max %d)",
		 schema_migrations[schema_migration_count - 1].version);
	assert_non_null(strstr(err.msg, expected));
	assert_non_null(strstr(err.msg, f->path));
}

static void test_open_reports_bad_paths(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	struct errbuf err = { "" };
	char missing[160];
	snprintf(missing, sizeof missing, "%s/no/such/dir/queue.db", f->dir);
	assert_int_equal(store_open(missing, &f->q, &err), -1);
	assert_non_null(strstr(err.msg, missing));

	assert_int_equal(store_open(f->dir, &f->q, &err), -1);   /* a directory */
	assert_non_null(strstr(err.msg, f->dir));

	assert_int_equal(store_open("", &f->q, &err), -1);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(store_open(":memory:", &f->q, &err), -1);
	assert_null(f->q);
	assert_int_equal(access(":memory:", F_OK), -1);          /* no stray file */
}

static void test_open_refuses_read_only_file(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	if (geteuid() == 0)
		skip();         /* root may write any file */
	int fd = open(f->path, O_CREAT | O_WRONLY, 0400);
	assert_true(fd >= 0);
	close(fd);
	struct errbuf err = { "" };
	assert_int_equal(store_open(f->path, &f->q, &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
}

static void test_open_refuses_non_database_file(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, but a text file long enough to have a header\n", fp);
	fclose(fp);
	struct errbuf err = { "" };
	assert_int_equal(store_open(f->path, &f->q, &err), -1);
	assert_non_null(strstr(err.msg, f->path));
}

/* ---- enqueue, get, list ---- */

static void test_enqueue_and_get(void **state)
{
	struct fixture *f = *state;
	struct job_new new = {
		.msisdn = "+491701234567",
		.profile = "field",
		.action = OTAP_ACTION_DELETE,
		.rollout = "r42",
		.not_before = T0 + 500,
		.max_attempts = 4,
	};
	struct errbuf err = { "" };
	int64_t id = 0;
	assert_int_equal(store_enqueue(f->q, &new, T0, &id, &err), 0);
	assert_true(id > 0);

	struct job job = get_job(f->q, id);
	assert_int_equal(job.id, id);
	assert_string_equal(job.msisdn, "+491701234567");
	assert_string_equal(job.profile, "field");
	assert_int_equal(job.action, OTAP_ACTION_DELETE);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_string_equal(job.rollout, "r42");
	assert_int_equal(job.not_before, T0 + 500);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.max_attempts, 4);
	assert_int_equal(job.created_at, T0);
	assert_int_equal(job.updated_at, T0);
	assert_string_equal(job.modem, "");
	assert_string_equal(job.last_error, "");

	int64_t plain = add_job(f->q, "+491700000001", T0, 1, NULL);
	assert_string_equal(get_job(f->q, plain).rollout, "");
	assert_int_equal(get_job(f->q, plain).action, OTAP_ACTION_INSTALL);
	assert_int_equal(store_get(f->q, 9999, &job, &err), 0);
}

static void test_enqueue_rejects_bad_jobs(void **state)
{
	struct fixture *f = *state;
	struct job_new good = {
		.msisdn = "+491701234567", .profile = "field", .action = OTAP_ACTION_INSTALL,
		.not_before = T0, .max_attempts = 1,
	};
	struct errbuf err = { "" };
	int64_t id = -7;

	struct job_new bad = good;
	bad.max_attempts = 0;
	assert_int_equal(store_enqueue(f->q, &bad, T0, &id, &err), -1);
	assert_non_null(strstr(err.msg, "max_attempts"));

	bad = good;
	bad.msisdn = "";
	assert_int_equal(store_enqueue(f->q, &bad, T0, &id, &err), -1);
	assert_non_null(strstr(err.msg, "msisdn"));

	char long_name[STORE_NAME_MAX + 8];
	memset(long_name, 'p', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	bad = good;
	bad.profile = long_name;
	assert_int_equal(store_enqueue(f->q, &bad, T0, &id, &err), -1);
	assert_non_null(strstr(err.msg, "profile"));

	bad = good;
	bad.action = (enum otap_action)7;
	assert_int_equal(store_enqueue(f->q, &bad, T0, &id, &err), -1);
	assert_non_null(strstr(err.msg, "action"));

	assert_int_equal(id, -7);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 0);
}

static void test_list_filters_newest_first(void **state)
{
	struct fixture *f = *state;
	int64_t a = add_job(f->q, "+491700000001", T0, 3, "north");
	int64_t b = add_job(f->q, "+491700000002", T0, 3, "north");
	int64_t c = add_job(f->q, "+491700000001", T0, 3, NULL);
	int64_t d = add_job(f->q, "+491700000003", T0, 3, "south");
	assert_int_equal(claim_one(f->q, T0), a);               /* a is now sending */

	struct collected_jobs all = list(f->q, NULL, 0);
	assert_int_equal(all.n, 4);
	assert_int_equal(all.jobs[0].id, d);
	assert_int_equal(all.jobs[1].id, c);
	assert_int_equal(all.jobs[2].id, b);
	assert_int_equal(all.jobs[3].id, a);

	struct job_filter by_msisdn = { .msisdn = "+491700000001", .state = -1 };
	struct collected_jobs got = list(f->q, &by_msisdn, 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.jobs[0].id, c);
	assert_int_equal(got.jobs[1].id, a);

	struct job_filter by_rollout = { .rollout = "north", .state = -1 };
	got = list(f->q, &by_rollout, 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.jobs[0].id, b);

	struct job_filter by_state = { .state = JOB_SENDING };
	got = list(f->q, &by_state, 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.jobs[0].id, a);

	struct job_filter combined = { .rollout = "north", .state = JOB_QUEUED };
	got = list(f->q, &combined, 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.jobs[0].id, b);

	struct job_filter by_id = { .id = c, .state = -1 };
	got = list(f->q, &by_id, 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.jobs[0].id, c);

	struct job_filter limited = { .state = -1, .limit = 3 };
	got = list(f->q, &limited, 0);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.jobs[2].id, b);

	struct job_filter none = { .msisdn = "+499999", .state = -1 };
	assert_int_equal(list(f->q, &none, 0).n, 0);

	assert_int_equal(list(f->q, NULL, 2).n, 2);              /* cb stops the walk */
}

struct nested {
	struct store *q;
	int reads;
};

static int read_inside_walk(const struct job *job, void *arg)
{
	struct nested *n = arg;
	struct job again;
	struct errbuf err = { "" };
	if (store_get(n->q, job->id, &again, &err) == 1 && again.id == job->id)
		n->reads++;
	return 0;
}

static void test_list_callback_may_read_the_queue(void **state)
{
	struct fixture *f = *state;
	add_job(f->q, "+491700000001", T0, 3, NULL);
	add_job(f->q, "+491700000002", T0, 3, NULL);
	struct nested n = { .q = f->q };
	struct errbuf err = { "" };
	assert_int_equal(store_list(f->q, NULL, read_inside_walk, &n, &err), 0);
	assert_int_equal(n.reads, 2);
}

/* ---- claiming ---- */

static void test_claim_takes_oldest_due_first(void **state)
{
	struct fixture *f = *state;
	int64_t late = add_job(f->q, "+491700000001", T0 + 300, 3, NULL);
	int64_t early1 = add_job(f->q, "+491700000002", T0 + 100, 3, NULL);
	int64_t early2 = add_job(f->q, "+491700000003", T0 + 100, 3, NULL);
	int64_t future = add_job(f->q, "+491700000004", T0 + 500, 3, NULL);

	assert_int_equal(claim_one(f->q, T0 + 99), 0);           /* nothing due yet */

	struct job job;
	struct errbuf err = { "" };
	assert_int_equal(store_claim(f->q, "modem-a", T0 + 400, &job, &err), 1);
	assert_int_equal(job.id, early1);
	assert_int_equal(job.state, JOB_SENDING);
	assert_string_equal(job.modem, "modem-a");
	assert_int_equal(job.updated_at, T0 + 400);
	assert_int_equal(get_job(f->q, early1).state, JOB_SENDING);

	assert_int_equal(claim_one(f->q, T0 + 400), early2);
	assert_int_equal(claim_one(f->q, T0 + 400), late);
	assert_int_equal(claim_one(f->q, T0 + 400), 0);          /* future is not due */
	assert_int_equal(get_job(f->q, future).state, JOB_QUEUED);
	assert_int_equal(claim_one(f->q, T0 + 500), future);
	assert_int_equal(claim_one(f->q, T0 + 10000), 0);
}

/* Idle modems poll often: with nothing due, a claim must not need the write
 * lock, and reads must not wait for a writer (WAL). */
static void test_idle_claim_and_reads_do_not_wait_for_a_writer(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0 + 1000, 3, NULL);
	struct store *writer;
	struct errbuf err = { "" };
	if (store_open(f->path, &writer, &err) < 0)
		fail_msg("second open: %s", err.msg);
	assert_int_equal(sqlite3_exec(store_sqlite_db(writer), "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(store_sqlite_db(f->q), 50);   /* fail fast instead of waiting 10 s */

	struct job job;
	assert_int_equal(store_claim(f->q, "m1", T0, &job, &err), 0);
	assert_int_equal(store_get(f->q, id, &job, &err), 1);
	assert_int_equal(list(f->q, NULL, 0).n, 1);
	/* A due job does need the lock: the refusal names what was being done. */
	assert_int_equal(store_claim(f->q, "m1", T0 + 1000, &job, &err), -1);
	assert_non_null(strstr(err.msg, "claiming a job: database is locked"));

	assert_int_equal(sqlite3_exec(store_sqlite_db(writer), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	store_close(writer);
	assert_int_equal(claim_one(f->q, T0 + 1000), id);
}

/* ---- finishing tries ---- */

static void test_mark_sent_records_attempt(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 3, NULL);
	assert_int_equal(claim_one(f->q, T0), id);
	struct job_outcome o = outcome("sent", -1, NULL);
	o.modem = "modem-b";
	o.mrs = "17,18";
	struct errbuf err = { "" };
	assert_int_equal(store_mark_sent(f->q, id, &o, NULL, &err), 0);

	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_SENT);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.modem, "modem-b");
	assert_int_equal(job.updated_at, T0 + 20);

	struct collected_attempts h = history(f->q, id);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.attempts[0].job_id, id);
	assert_int_equal(h.attempts[0].started_at, T0 + 10);
	assert_int_equal(h.attempts[0].finished_at, T0 + 20);
	assert_string_equal(h.attempts[0].modem, "modem-b");
	assert_string_equal(h.attempts[0].result, "sent");
	assert_int_equal(h.attempts[0].cms_error, -1);
	assert_string_equal(h.attempts[0].mrs, "17,18");
	assert_string_equal(h.attempts[0].detail, "");

	/* A second outcome for the same try is a bug in the caller. */
	assert_int_equal(store_mark_sent(f->q, id, &o, NULL, &err), -1);
	char expected[64];
	snprintf(expected, sizeof expected, "job %lld is sent, not sending", (long long)id);
	assert_string_equal(err.msg, expected);
	assert_int_equal(history(f->q, id).n, 1);
}

static void test_retry_later_counting_an_attempt(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 3, NULL);
	assert_int_equal(claim_one(f->q, T0), id);
	struct job_outcome o = outcome("transient", 42, "+CMS ERROR: 42 congestion");
	enum job_state after = JOB_CANCELLED;
	struct errbuf err = { "" };
	assert_int_equal(store_retry_later(f->q, id, T0 + 60000, true, &o, &after, &err), 0);
	assert_int_equal(after, JOB_QUEUED);

	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 1);
	assert_int_equal(job.not_before, T0 + 60000);
	assert_string_equal(job.last_error, "+CMS ERROR: 42 congestion");

	struct collected_attempts h = history(f->q, id);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.attempts[0].result, "transient");
	assert_int_equal(h.attempts[0].cms_error, 42);
	assert_string_equal(h.attempts[0].detail, "+CMS ERROR: 42 congestion");

	assert_int_equal(claim_one(f->q, T0 + 59999), 0);        /* backing off */
	assert_int_equal(claim_one(f->q, T0 + 60000), id);
}

static void test_retry_later_for_modem_problem_keeps_attempts(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 1, NULL);
	struct errbuf err = { "" };
	/* max_attempts is 1, yet modem trouble never uses it up. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(claim_one(f->q, T0 + i), id);
		struct job_outcome o = outcome(NULL, 311, "SIM PIN required");
		enum job_state after;
		assert_int_equal(store_retry_later(f->q, id, T0 + i + 1, false, &o, &after, &err), 0);
		assert_int_equal(after, JOB_QUEUED);
	}
	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.not_before, T0 + 3);

	struct collected_attempts h = history(f->q, id);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.attempts[2].result, "modem");      /* the default result */
	assert_int_equal(h.attempts[2].cms_error, 311);
}

static void test_retry_later_gives_up_when_attempts_exhausted(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 2, NULL);
	struct errbuf err = { "" };
	enum job_state after;

	assert_int_equal(claim_one(f->q, T0), id);
	struct job_outcome o = outcome("timeout", -1, "no +CMGS reply");
	assert_int_equal(store_retry_later(f->q, id, T0 + 100, true, &o, &after, &err), 0);
	assert_int_equal(after, JOB_QUEUED);

	assert_int_equal(claim_one(f->q, T0 + 100), id);
	o = outcome("transient", 42, "congestion");
	assert_int_equal(store_retry_later(f->q, id, T0 + 200, true, &o, &after, &err), 0);
	assert_int_equal(after, JOB_FAILED);

	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_FAILED);
	assert_int_equal(job.attempts, 2);
	assert_string_equal(job.last_error, "gave up after 2 attempts: congestion");
	assert_int_equal(history(f->q, id).n, 2);
	assert_int_equal(claim_one(f->q, T0 + 1000000), 0);      /* never claimed again */
}

static void test_mark_failed(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 5, NULL);
	assert_int_equal(claim_one(f->q, T0), id);
	struct job_outcome o = outcome(NULL, 1, "+CMS ERROR: 1 unassigned number");
	struct errbuf err = { "" };
	assert_int_equal(store_mark_failed(f->q, id, &o, &err), 0);

	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_FAILED);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.last_error, "+CMS ERROR: 1 unassigned number");
	struct collected_attempts h = history(f->q, id);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.attempts[0].result, "permanent");
	assert_int_equal(h.attempts[0].cms_error, 1);
}

static void test_outcomes_need_a_job_in_sending(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 5, NULL);
	struct job_outcome o = outcome("sent", -1, NULL);
	struct errbuf err = { "" };
	char expected[64];

	snprintf(expected, sizeof expected, "job %lld is queued, not sending", (long long)id);
	assert_int_equal(store_mark_sent(f->q, id, &o, NULL, &err), -1);
	assert_string_equal(err.msg, expected);
	assert_int_equal(store_mark_failed(f->q, id, &o, &err), -1);
	assert_string_equal(err.msg, expected);
	assert_int_equal(store_retry_later(f->q, id, T0, true, &o, NULL, &err), -1);
	assert_string_equal(err.msg, expected);

	assert_int_equal(store_mark_sent(f->q, 99, &o, NULL, &err), -1);
	assert_string_equal(err.msg, "no such job 99");

	struct job job = get_job(f->q, id);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(history(f->q, id).n, 0);
	/* The refusals rolled back cleanly: the connection can still write. */
	assert_int_equal(claim_one(f->q, T0), id);
}

/* ---- cancel and recovery ---- */

static void test_cancel_only_queued_jobs(void **state)
{
	struct fixture *f = *state;
	int64_t queued = add_job(f->q, "+491700000001", T0, 3, NULL);
	int64_t sent = add_job(f->q, "+491700000002", T0, 3, NULL);
	struct errbuf err = { "" };
	char expected[80];

	assert_int_equal(store_cancel(f->q, queued, T0 + 5, &err), 0);
	struct job job = get_job(f->q, queued);
	assert_int_equal(job.state, JOB_CANCELLED);
	assert_int_equal(job.updated_at, T0 + 5);
	assert_int_equal(claim_one(f->q, T0 + 5), sent);         /* the cancelled one is skipped */

	struct job_outcome o = outcome("sent", -1, NULL);
	assert_int_equal(store_mark_sent(f->q, sent, &o, NULL, &err), 0);
	assert_int_equal(store_cancel(f->q, sent, T0 + 6, &err), -1);
	snprintf(expected, sizeof expected, "job %lld is sent; only queued jobs can be cancelled",
		 (long long)sent);
	assert_string_equal(err.msg, expected);
	assert_int_equal(get_job(f->q, sent).state, JOB_SENT);

	assert_int_equal(store_cancel(f->q, queued, T0 + 7, &err), -1);
	snprintf(expected, sizeof expected,
		 "job %lld is cancelled; only queued jobs can be cancelled", (long long)queued);
	assert_string_equal(err.msg, expected);

	assert_int_equal(store_cancel(f->q, 12, T0, &err), -1);
	assert_string_equal(err.msg, "no such job 12");
}

static void test_recover_interrupted_requeues_sending_jobs(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	int64_t a = add_job(f->q, "+491700000001", T0, 3, NULL);
	int64_t b = add_job(f->q, "+491700000002", T0, 3, NULL);
	int64_t c = add_job(f->q, "+491700000003", T0, 3, NULL);
	assert_int_equal(claim_one(f->q, T0 + 1), a);
	assert_int_equal(claim_one(f->q, T0 + 2), b);

	int count = -1;
	struct errbuf err = { "" };
	assert_int_equal(store_recover_interrupted(f->q, T0 + 1000, &count, &err), 0);
	assert_int_equal(count, 2);

	struct job job = get_job(f->q, a);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.updated_at, T0 + 1000);
	assert_non_null(strstr(job.last_error, "duplicate SMS"));
	assert_int_equal(get_job(f->q, b).state, JOB_QUEUED);
	assert_int_equal(get_job(f->q, c).state, JOB_QUEUED);

	struct collected_attempts h = history(f->q, b);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.attempts[0].result, "interrupted");
	assert_int_equal(h.attempts[0].started_at, T0 + 2);      /* claimed then */
	assert_int_equal(h.attempts[0].finished_at, T0 + 1000);
	assert_string_equal(h.attempts[0].modem, "m1");
	assert_string_equal(h.attempts[0].detail,
			    "otapd stopped while sending (the unit may receive a duplicate SMS)");
	assert_int_equal(history(f->q, c).n, 0);

	assert_int_equal(store_recover_interrupted(f->q, T0 + 2000, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(claim_one(f->q, T0 + 2000), a);         /* order is kept */
}

/* ---- counts, next due, history housekeeping ---- */

static void test_counts_and_next_due(void **state)
{
	struct fixture *f = *state;
	int64_t counts[JOB_STATE_COUNT];
	int64_t due = 0;
	struct errbuf err = { "" };

	assert_int_equal(store_next_due(f->q, &due, &err), 0);
	assert_int_equal(due, INT64_MAX);
	assert_int_equal(store_count_by_state(f->q, counts, &err), 0);
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		assert_int_equal(counts[i], 0);

	int64_t first = add_job(f->q, "+491700000001", T0 + 10, 3, NULL);
	add_job(f->q, "+491700000002", T0 + 30, 3, NULL);
	int64_t third = add_job(f->q, "+491700000003", T0 + 20, 3, NULL);
	add_job(f->q, "+491700000004", T0 + 40, 3, NULL);
	assert_int_equal(store_next_due(f->q, &due, &err), 0);
	assert_int_equal(due, T0 + 10);

	/* Only queued jobs count towards the next due time. */
	assert_int_equal(claim_one(f->q, T0 + 10), first);
	assert_int_equal(store_next_due(f->q, &due, &err), 0);
	assert_int_equal(due, T0 + 20);
	assert_int_equal(store_cancel(f->q, third, T0, &err), 0);
	assert_int_equal(store_next_due(f->q, &due, &err), 0);
	assert_int_equal(due, T0 + 30);

	assert_int_equal(store_count_by_state(f->q, counts, &err), 0);
	assert_int_equal(counts[JOB_QUEUED], 2);
	assert_int_equal(counts[JOB_SENDING], 1);
	assert_int_equal(counts[JOB_CANCELLED], 1);
	assert_int_equal(counts[JOB_SENT], 0);
}

static void test_deleting_a_job_deletes_its_history(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 3, NULL);
	assert_int_equal(claim_one(f->q, T0), id);
	struct job_outcome o = outcome("sent", -1, NULL);
	struct errbuf err = { "" };
	assert_int_equal(store_mark_sent(f->q, id, &o, NULL, &err), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts"), 1);
	assert_int_equal(test_sql_exec(f->q, "DELETE FROM jobs"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts"), 0);
}

static void test_job_ids_are_never_reused(void **state)
{
	struct fixture *f = *state;
	add_job(f->q, "+491700000001", T0, 3, NULL);
	int64_t newest = add_job(f->q, "+491700000002", T0, 3, NULL);
	assert_int_equal(test_sql_exec(f->q, "DELETE FROM jobs"), 0);
	assert_true(add_job(f->q, "+491700000003", T0, 3, NULL) > newest);
}

static void test_schema_rejects_unknown_state(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_job(f->q, "+491700000001", T0, 3, NULL);
	char sql[96];
	snprintf(sql, sizeof sql, "UPDATE jobs SET state = 'done' WHERE id = %lld", (long long)id);
	assert_int_equal(test_sql_exec(f->q, sql), -1);        /* the CHECK constraint */
}

/* A caller may wrap several queue operations in its own transaction (a
 * rollout enqueueing all of its jobs at once): they join it, and a refused
 * operation leaves it open and intact. */
static void test_operations_join_the_callers_transaction(void **state)
{
	struct fixture *f = *state;
	struct errbuf err = { "" };
	/* SQLite's writer takes the write lock up front, as the store does. */
	const char *begin = test_engine_pg() ? "BEGIN" : "BEGIN IMMEDIATE";

	assert_int_equal(test_sql_exec(f->q, begin), 0);
	int64_t a = add_job(f->q, "+491700000001", T0, 3, "r1");
	add_job(f->q, "+491700000002", T0, 3, "r1");
	struct job_outcome o = outcome("sent", -1, NULL);
	assert_int_equal(store_mark_sent(f->q, a, &o, NULL, &err), -1);   /* a is queued */
	assert_true(test_in_transaction(f->q));                 /* still in our transaction */
	assert_int_equal(claim_one(f->q, T0), a);
	assert_int_equal(store_mark_sent(f->q, a, &o, NULL, &err), 0);
	assert_int_equal(test_sql_exec(f->q, "ROLLBACK"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts"), 0);

	assert_int_equal(test_sql_exec(f->q, begin), 0);
	int64_t c = add_job(f->q, "+491700000003", T0, 3, "r2");
	assert_int_equal(store_cancel(f->q, 999, T0, &err), -1);
	assert_int_equal(test_sql_exec(f->q, "COMMIT"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), 1);
	/* Back in autocommit mode, operations use their own transactions again. */
	assert_int_equal(claim_one(f->q, T0), c);
	assert_false(test_in_transaction(f->q));
}

/* ---- several processes ---- */

#define PRELOADED_JOBS 400
#define LATE_JOBS 100
#define CLAIMERS 4
#define CHILD_DEADLINE_S 60

static bool all_jobs_taken(struct store *q, int64_t expected, struct errbuf *err, bool *done)
{
	int64_t counts[JOB_STATE_COUNT];
	if (store_count_by_state(q, counts, err) < 0)
		return false;
	int64_t total = 0;
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		total += counts[i];
	*done = total == expected && counts[JOB_QUEUED] == 0;
	return true;
}

/* Claims and marks sent until every job (including the late ones another
 * child is still adding) has been taken. */
static int claimer(const char *path, int n)
{
	struct store *q;
	struct errbuf err = { "" };
	if (store_open(path, &q, &err) < 0)
		return child_fail("open", &err);
	char modem[16];
	snprintf(modem, sizeof modem, "modem%d", n);
	time_t deadline = time(NULL) + CHILD_DEADLINE_S;
	for (;;) {
		struct job job;
		int rc = store_claim(q, modem, T0, &job, &err);
		if (rc < 0)
			return child_fail("claim", &err);
		if (rc == 1) {
			struct job_outcome o = { .modem = modem, .started_at = T0, .finished_at = T0,
						 .result = "sent", .cms_error = -1, .mrs = "1" };
			if (store_mark_sent(q, job.id, &o, NULL, &err) < 0)
				return child_fail("mark_sent", &err);
			continue;
		}
		bool done;
		if (!all_jobs_taken(q, PRELOADED_JOBS + LATE_JOBS, &err, &done))
			return child_fail("count", &err);
		if (done)
			break;
		if (time(NULL) > deadline) {
			fprintf(stderr, "child %d: jobs still missing after %d s\n", (int)getpid(),
				CHILD_DEADLINE_S);
			return 1;
		}
		usleep(1000);
	}
	store_close(q);
	return 0;
}

static int enqueuer(const char *path)
{
	struct store *q;
	struct errbuf err = { "" };
	if (store_open(path, &q, &err) < 0)
		return child_fail("open", &err);
	for (int i = 0; i < LATE_JOBS; i++) {
		struct job_new job = {
			.msisdn = "+491709999999", .profile = "late", .action = OTAP_ACTION_INSTALL,
			.not_before = T0, .max_attempts = 1,
		};
		if (store_enqueue(q, &job, T0, NULL, &err) < 0)
			return child_fail("enqueue", &err);
	}
	store_close(q);
	return 0;
}

/* Waits for every child before asserting, so that a failure does not leave
 * children running while teardown deletes their database. */
static void wait_children(const pid_t *pids, int n)
{
	int failed = 0;
	for (int i = 0; i < n; i++) {
		int status;
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	assert_int_equal(failed, 0);
}

static void test_concurrent_claims_never_double_claim(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < PRELOADED_JOBS; i++)
		add_job(f->q, "+491700000001", T0 - PRELOADED_JOBS + i, 1, NULL);
	/* A connection must not be carried across fork(). */
	store_close(f->q);
	f->q = NULL;

	pid_t pids[CLAIMERS + 1];
	for (int i = 0; i <= CLAIMERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(i < CLAIMERS ? claimer(f->path, i) : enqueuer(f->path));
	}
	wait_children(pids, CLAIMERS + 1);

	struct errbuf err = { "" };
	if (store_open(f->path, &f->q, &err) < 0)
		fail_msg("reopen: %s", err.msg);
	const int64_t total = PRELOADED_JOBS + LATE_JOBS;
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs"), total);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM jobs WHERE state = 'sent' "
				 "AND attempts = 1"), total);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM attempts"), total);
	assert_int_equal(sql_int(f->q, "SELECT count(*) FROM (SELECT job_id FROM attempts "
				 "GROUP BY job_id HAVING count(*) != 1) repeated"), 0);
	assert_int_equal(sql_int(f->q, "SELECT count(DISTINCT job_id) FROM attempts"), total);
}

#define OPENERS 4
#define OPEN_ROUNDS 8

/* Several processes open the same fresh file at the same moment: each must
 * succeed and the schema must be applied exactly once. */
static void test_concurrent_open_migrates_once(void **state)
{
	TEST_SQLITE_ONLY();
	struct fixture *f = *state;
	for (int round = 0; round < OPEN_ROUNDS; round++) {
		char path[160];
		snprintf(path, sizeof path, "%s/race%d.db", f->dir, round);
		int gate[2];
		assert_int_equal(pipe(gate), 0);
		pid_t pids[OPENERS];
		for (int i = 0; i < OPENERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char c;
				close(gate[1]);
				/* EOF when the parent closes its end: all start together. */
				if (read(gate[0], &c, 1) != 0)
					_exit(2);
				struct store *q;
				struct errbuf err = { "" };
				if (store_open(path, &q, &err) < 0)
					_exit(child_fail("open", &err));
				store_close(q);
				_exit(0);
			}
		}
		close(gate[0]);
		close(gate[1]);
		wait_children(pids, OPENERS);

		struct store *q;
		struct errbuf err = { "" };
		if (store_open(path, &q, &err) < 0)
			fail_msg("reopen: %s", err.msg);
		assert_int_equal(store_schema_version(q), schema_migrations[schema_migration_count - 1].version);
		assert_int_equal(file_mode(path), 0600);
		store_close(q);
	}
}

int main(int argc, char **argv)
{
	log_init("test_queue", LOG_LEVEL_WARN);
	if (test_engine_missing())
		return TEST_SKIP;
	if (argc == 3 && strcmp(argv[1], "--open-and-close") == 0)
		return open_and_close(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names_round_trip),
		cmocka_unit_test_setup_teardown(test_open_creates_private_wal_database, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_open_keeps_mode_of_existing_file, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_keeps_first_connections_locks,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_open_reports_bad_paths, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_read_only_file, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_non_database_file, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_and_get, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_rejects_bad_jobs, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_newest_first, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_list_callback_may_read_the_queue, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_claim_takes_oldest_due_first, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_idle_claim_and_reads_do_not_wait_for_a_writer,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_mark_sent_records_attempt, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_retry_later_counting_an_attempt, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_retry_later_for_modem_problem_keeps_attempts,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_retry_later_gives_up_when_attempts_exhausted,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_mark_failed, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes_need_a_job_in_sending, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_only_queued_jobs, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_recover_interrupted_requeues_sending_jobs,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_counts_and_next_due, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_deleting_a_job_deletes_its_history, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_job_ids_are_never_reused, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_schema_rejects_unknown_state, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_operations_join_the_callers_transaction,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_claims_never_double_claim,
						setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_open_migrates_once, setup_dir, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
