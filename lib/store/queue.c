/* queue.c - the SQLite job queue: opening and migrating the database,
 * claiming due jobs, recording each try's outcome, and reading jobs back.
 *
 * Every state change runs in a BEGIN IMMEDIATE transaction: the write lock is
 * taken up front, so two processes (otapd and otapctl, or two otapd modem
 * threads with their own connections) serialise on it through the busy
 * timeout instead of failing with SQLITE_BUSY halfway through a transaction.
 * (Inside a transaction the caller opened on queue_db(), an operation is a
 * savepoint instead.) Statements are cached per connection.
 */
#include "queue.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "schema.h"

/* Long enough to ride out another process's burst of claims or a large
 * otapctl enqueue, short enough that a stuck lock is reported, not hidden. */
#define BUSY_TIMEOUT_MS 10000
#define WAL_RETRY_MS 5

#define INTERRUPTED_DETAIL "otapd stopped while sending (the unit may receive a duplicate SMS)"

#define JOB_COLUMNS "id, msisdn, profile, action, state, rollout, not_before, attempts, " \
	"max_attempts, created_at, updated_at, modem, last_error, wave"
#define ATTEMPT_COLUMNS "id, job_id, started_at, finished_at, modem, result, cms_error, mrs, detail"

/* Statements used on hot or frequent paths, prepared on first use and kept
 * until queue_close (the daemon claims and finishes many jobs a second). */
enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_USER_VERSION, ST_INSERT_JOB, ST_PICK, ST_CLAIM, ST_RATE_STEP, ST_GET_JOB, ST_JOB_STATE,
	ST_FINISH_JOB, ST_REVIVE_ROLLOUTS,
	ST_INSERT_ATTEMPT, ST_CANCEL, ST_RECOVER_ATTEMPTS, ST_RECOVER_JOBS,
	ST_COUNT_BY_STATE, ST_NEXT_DUE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT queue_op",
	[ST_RELEASE] = "RELEASE queue_op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO queue_op",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_INSERT_JOB] = "INSERT INTO jobs (msisdn, profile, action, rollout, not_before, "
		"max_attempts, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
	/* The oldest due job a modem may take: among the jobs outside rollouts
	 * (one seek in the partial index jobs_loose_due) and, for each rollout
	 * whose gates are open, the oldest due job of each of its opened waves
	 * (one seek each in jobs_rollout_wave; 16 = ROLLOUT_WAVES_MAX). Jobs of
	 * paused, closed or finished rollouts, and of waves not yet opened, are
	 * never read. Run once read-only (idle modems polling for work must not
	 * take the write lock and hold up otapctl) and again under the lock. */
	[ST_PICK] = "WITH RECURSIVE wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM wave "
		"WHERE n < 16) "
		"SELECT id FROM jobs WHERE id IN ("
		"SELECT (SELECT id FROM jobs WHERE wave IS NULL AND state = 'queued' "
		"AND not_before <= ?1 ORDER BY not_before, id LIMIT 1) "
		"UNION ALL "
		"SELECT (SELECT j.id FROM jobs j WHERE j.rollout = r.name AND j.wave = w.n "
		"AND j.state = 'queued' AND j.not_before <= ?1 ORDER BY j.not_before, j.id LIMIT 1) "
		"FROM rollouts r, wave w WHERE r.state = 'active' AND r.gate_open = 1 "
		"AND r.next_send_at <= ?1 AND w.n <= r.current_wave) "
		"ORDER BY not_before, id LIMIT 1",
	[ST_CLAIM] = "UPDATE jobs SET state = 'sending', modem = ?1, updated_at = ?2 "
		"WHERE id = ?3 AND state = 'queued' RETURNING " JOB_COLUMNS,
	/* The rollout's next send is one spacing after the time this one was
	 * allowed (a modem polling late does not lower the rate), or after
	 * now when the rollout has been idle for longer than a spacing (no
	 * burst to catch up). */
	[ST_RATE_STEP] = "UPDATE rollouts SET next_send_at = 60000 / rate_per_min + "
		"CASE WHEN ?2 - next_send_at < 60000 / rate_per_min THEN next_send_at ELSE ?2 END "
		"WHERE name = ?1 AND rate_per_min > 0",
	[ST_GET_JOB] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
	/* With the state of the job's rollout: a try that ends after the
	 * rollout was cancelled must not queue the job again. */
	[ST_JOB_STATE] = "SELECT j.state, j.attempts, j.max_attempts, r.state FROM jobs j "
		"LEFT JOIN rollouts r ON j.wave IS NOT NULL AND r.name = j.rollout WHERE j.id = ?1",
	[ST_FINISH_JOB] = "UPDATE jobs SET state = ?2, attempts = ?3, "
		"not_before = COALESCE(?4, not_before), modem = COALESCE(?5, modem), "
		"last_error = CASE WHEN ?6 THEN ?7 ELSE last_error END, updated_at = ?8 "
		"WHERE id = ?1",
	/* After a retry: a finished rollout has work again. */
	[ST_REVIVE_ROLLOUTS] = "WITH RECURSIVE wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
		"FROM wave WHERE n < 16) "
		"UPDATE rollouts SET state = 'active', updated_at = ?1 WHERE state = 'done' AND "
		"EXISTS (SELECT 1 FROM wave w, jobs j WHERE j.rollout = rollouts.name AND j.wave = w.n "
		"AND j.state = 'queued')",
	[ST_INSERT_ATTEMPT] = "INSERT INTO attempts (job_id, started_at, finished_at, modem, "
		"result, cms_error, mrs, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CANCEL] = "UPDATE jobs SET state = 'cancelled', updated_at = ?2 "
		"WHERE id = ?1 AND state = 'queued'",
	/* A job in sending was claimed at updated_at: that is when the try began. */
	[ST_RECOVER_ATTEMPTS] = "INSERT INTO attempts (job_id, started_at, finished_at, modem, "
		"result, detail) SELECT id, updated_at, ?1, modem, 'interrupted', ?2 "
		"FROM jobs WHERE state = 'sending' ORDER BY id",
	[ST_RECOVER_JOBS] = "UPDATE jobs SET state = 'queued', updated_at = ?1, last_error = ?2 "
		"WHERE state = 'sending'",
	[ST_COUNT_BY_STATE] = "SELECT state, count(*) FROM jobs GROUP BY state",
	/* When the next claim can succeed: the same gates as ST_PICK (state,
	 * window, opened waves), the time coming from not_before and from
	 * the rollout's rate spacing (next_send_at). */
	[ST_NEXT_DUE] = "WITH RECURSIVE wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM wave "
		"WHERE n < 16) "
		"SELECT min(t) FROM ("
		"SELECT min(not_before) AS t FROM jobs WHERE wave IS NULL AND state = 'queued' "
		"UNION ALL "
		"SELECT max(r.next_send_at, (SELECT min(j.not_before) FROM jobs j "
		"WHERE j.rollout = r.name AND j.wave = w.n AND j.state = 'queued')) "
		"FROM rollouts r, wave w WHERE r.state = 'active' AND r.gate_open = 1 "
		"AND w.n <= r.current_wave)",
};

struct queue {
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_COUNT];
	/* The current operation runs inside the caller's own transaction, as a
	 * savepoint (no queue operation runs inside another one). */
	bool nested;
};

static const char *const state_names[JOB_STATE_COUNT] = {
	[JOB_QUEUED] = "queued",
	[JOB_SENDING] = "sending",
	[JOB_SENT] = "sent",
	[JOB_DELIVERED] = "delivered",
	[JOB_CONFIRMED] = "confirmed",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
};

/* The stored spelling of an action is part of the schema (the CHECK in
 * 001_init.sql), so the queue keeps its own table rather than borrowing
 * otap_action_name(), whose output is meant for people. */
static const char *const action_names[] = {
	[OTAP_ACTION_INSTALL] = "install",
	[OTAP_ACTION_DELETE] = "delete",
};
#define ACTION_COUNT (sizeof action_names / sizeof action_names[0])

/* Returns a static string; "unknown" for a value outside the enum. */
const char *job_state_name(enum job_state state)
{
	if ((unsigned)state >= JOB_STATE_COUNT)
		return "unknown";
	return state_names[state];
}

int job_state_parse(const char *name, enum job_state *out)
{
	for (int i = 0; name && i < JOB_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

static const char *action_db_name(enum otap_action action)
{
	return (unsigned)action < ACTION_COUNT ? action_names[action] : NULL;
}

static enum otap_action action_from_db(const char *name)
{
	for (size_t i = 0; name && i < ACTION_COUNT; i++) {
		if (strcmp(name, action_names[i]) == 0)
			return (enum otap_action)i;
	}
	return OTAP_ACTION_INSTALL;     /* unreachable: the CHECK constraint */
}

/* ---- statement and transaction helpers ---- */

/* Records a failed SQLite call: what we were doing and SQLite's reason.
 * Call before anything else touches the connection (ROLLBACK would replace
 * the message). Returns -1. */
static int db_fail(struct queue *q, const char *doing, struct errbuf *err)
{
	return errbuf_set(err, "%s: %s", doing, sqlite3_errmsg(q->db));
}

/* Returns the cached statement, preparing it on first use; NULL on error. */
static sqlite3_stmt *stmt_get(struct queue *q, enum stmt_id id, const char *doing,
			      struct errbuf *err)
{
	if (!q->stmts[id] && sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
						&q->stmts[id], NULL) != SQLITE_OK) {
		db_fail(q, doing, err);
		q->stmts[id] = NULL;
		return NULL;
	}
	return q->stmts[id];
}

/* Makes a cached statement reusable. A statement left un-reset would keep a
 * read snapshot open and stop WAL checkpoints, so every path ends here. */
static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, idx);
}

/* Runs a cached statement that returns no rows. Returns 0 or -1. */
static int stmt_run(struct queue *q, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int run_simple(struct queue *q, enum stmt_id id, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, id, doing, err);
	return st ? stmt_run(q, st, doing, err) : -1;
}

/* Starts the write transaction of one queue operation. When the caller has
 * already opened a transaction on queue_db() (say, a rollout enqueueing all
 * its jobs at once; it should use BEGIN IMMEDIATE), the operation becomes a
 * savepoint inside it, so that it is all-or-nothing without ending the
 * caller's transaction. */
static int tx_begin(struct queue *q, const char *doing, struct errbuf *err)
{
	q->nested = !sqlite3_get_autocommit(q->db);
	return run_simple(q, q->nested ? ST_SAVEPOINT : ST_BEGIN, doing, err);
}

static int tx_commit(struct queue *q, const char *doing, struct errbuf *err)
{
	return run_simple(q, q->nested ? ST_RELEASE : ST_COMMIT, doing, err);
}

/* Undoes the operation's changes, if SQLite has not already rolled the whole
 * transaction back itself (it does on some errors). Failures are only
 * logged: the caller is already returning the error that matters. */
static void tx_rollback(struct queue *q)
{
	if (sqlite3_get_autocommit(q->db))
		return;
	int rc;
	if (q->nested) {
		/* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
		rc = run_simple(q, ST_ROLLBACK_TO, "rolling back", NULL);
		if (rc == 0)
			rc = run_simple(q, ST_RELEASE, "rolling back", NULL);
	} else {
		rc = run_simple(q, ST_ROLLBACK, "rolling back", NULL);
	}
	if (rc < 0)
		log_errorx("queue: rolling back failed: %s", sqlite3_errmsg(q->db));
}

static void copy_column(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", text ? (const char *)text : "");
}

/* Fills *out from a row selected with JOB_COLUMNS. */
static void job_from_row(sqlite3_stmt *st, struct job *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	copy_column(out->msisdn, sizeof out->msisdn, st, 1);
	copy_column(out->profile, sizeof out->profile, st, 2);
	out->action = action_from_db((const char *)sqlite3_column_text(st, 3));
	if (job_state_parse((const char *)sqlite3_column_text(st, 4), &out->state) < 0)
		out->state = JOB_FAILED;        /* unreachable: the CHECK constraint */
	copy_column(out->rollout, sizeof out->rollout, st, 5);
	out->not_before = sqlite3_column_int64(st, 6);
	out->attempts = sqlite3_column_int(st, 7);
	out->max_attempts = sqlite3_column_int(st, 8);
	out->created_at = sqlite3_column_int64(st, 9);
	out->updated_at = sqlite3_column_int64(st, 10);
	copy_column(out->modem, sizeof out->modem, st, 11);
	copy_column(out->last_error, sizeof out->last_error, st, 12);
	out->wave = sqlite3_column_int(st, 13);         /* NULL reads as 0 */
}

/* Fills *out from a row selected with ATTEMPT_COLUMNS. */
static void attempt_from_row(sqlite3_stmt *st, struct attempt *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->job_id = sqlite3_column_int64(st, 1);
	out->started_at = sqlite3_column_int64(st, 2);
	out->finished_at = sqlite3_column_int64(st, 3);
	copy_column(out->modem, sizeof out->modem, st, 4);
	copy_column(out->result, sizeof out->result, st, 5);
	out->cms_error = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
	copy_column(out->mrs, sizeof out->mrs, st, 7);
	copy_column(out->detail, sizeof out->detail, st, 8);
}

/* ---- opening and migrations ---- */

/* Creates the database file owner-only before SQLite sees it: it holds the
 * fleet's phone numbers, and SQLite would create it 0644 (umask permitting).
 * An existing file is not touched, so it keeps the mode its owner chose.
 * SQLite gives the -wal and -shm files the database file's mode.
 *
 * Why not simply open(O_CREAT) and close(): closing any descriptor of a file
 * drops every POSIX lock this process holds on it, including those of other
 * SQLite connections (otapd opens one per thread), which can corrupt the
 * database. So the empty file is made under a temporary name and linked into
 * place: no connection can have the final path open before our close(). */
static int create_private_file(const char *path, struct errbuf *err)
{
	if (access(path, F_OK) == 0)
		return 0;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.new-XXXXXX", path) >= (int)sizeof tmp)
		return errbuf_set(err, "queue database path %s is too long", path);
	int fd = mkstemp(tmp);     /* 0600, O_EXCL */
	if (fd < 0)
		return errbuf_set(err, "cannot create %s: %s (expected a writable, existing "
				  "directory)", path, strerror(errno));
	close(fd);
	int rc = link(tmp, path);
	int link_errno = errno;
	unlink(tmp);
	if (rc == 0 || link_errno == EEXIST)    /* EEXIST: another process won the race */
		return 0;
	if (link_errno == EPERM || link_errno == ENOTSUP || link_errno == EOPNOTSUPP) {
		/* No hard links on this filesystem: create in place; the lock
		 * hazard above is then limited to threads racing on a fresh file. */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 || errno == EEXIST)
			return 0;
		link_errno = errno;
	}
	return errbuf_set(err, "cannot create %s: %s (expected a writable, existing directory)",
			  path, strerror(link_errno));
}

static int read_user_version(struct queue *q, int *out, struct errbuf *err)
{
	const char *doing = "reading the schema version";
	sqlite3_stmt *st = stmt_get(q, ST_USER_VERSION, doing, err);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int latest_schema_version(void)
{
	return schema_migration_count > 0 ? schema_migrations[schema_migration_count - 1].version : 0;
}

static int refuse_newer(int version, struct errbuf *err)
{
	return errbuf_set(err, "database schema version %d is newer than this otapd (max %d)",
			  version, latest_schema_version());
}

/* Runs PRAGMA journal_mode = WAL once; *mode gets the resulting mode.
 * Returns the SQLite result code. */
static int try_enable_wal(struct queue *q, char *mode, size_t size)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		copy_column(mode, size, st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* WAL lets otapctl read (list, status) while otapd writes, and makes a
 * commit one append to the log instead of a rewrite of the database pages.
 * Switching a fresh database to WAL needs an exclusive lock, and SQLite
 * returns SQLITE_BUSY for it at once, without the busy handler, when
 * another process is doing the same: so retry here, within the same budget
 * as the busy timeout. */
static int enable_wal(struct queue *q, struct errbuf *err)
{
	char mode[16] = "";
	int rc;
	for (int waited_ms = 0;; waited_ms += WAL_RETRY_MS) {
		rc = try_enable_wal(q, mode, sizeof mode);
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = WAL_RETRY_MS * 1000000L }, NULL);
	}
	if (rc != SQLITE_ROW)
		return db_fail(q, "enabling WAL journal mode", err);
	if (strcmp(mode, "wal") != 0)
		return errbuf_set(err, "journal mode is \"%s\" after asking for WAL (expected \"wal\"; "
				  "is the file on a filesystem without shared memory, or not a database?)",
				  mode);
	return 0;
}

static int configure_connection(struct queue *q, struct errbuf *err)
{
	/* Set first so that even enabling WAL waits for a concurrent opener. */
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if (enable_wal(q, err) < 0)
		return -1;
	/* synchronous=NORMAL is safe with WAL: a committed transaction is in the
	 * log before COMMIT returns, so it survives otapd crashing or being
	 * killed; only an OS crash or power loss can lose the last few commits
	 * (never corrupt the file). That costs at most a re-sent SMS, while FULL
	 * would fsync on every claim. foreign_keys is per connection and off by
	 * default, and ON DELETE CASCADE depends on it. */
	if (sqlite3_exec(q->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(q, "setting connection pragmas", err);
	return 0;
}

/* Applies one migration and its user_version in a single write transaction.
 * The version is read again under the write lock: another process opening
 * the same fresh database may have applied it while we waited. *version gets
 * the version after this call. */
static int apply_migration(struct queue *q, const struct schema_migration *m, int *version,
			   struct errbuf *err)
{
	if (tx_begin(q, "starting a schema migration", err) < 0)
		return -1;
	if (read_user_version(q, version, err) < 0)
		goto fail;
	if (*version > latest_schema_version()) {
		refuse_newer(*version, err);
		goto fail;
	}
	if (*version >= m->version) {
		tx_rollback(q);
		return 0;
	}
	char *msg = NULL;
	if (sqlite3_exec(q->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
		errbuf_set(err, "applying schema migration %s: %s", m->name, msg ? msg : "unknown error");
		sqlite3_free(msg);
		goto fail;
	}
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
	if (sqlite3_exec(q->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(q, "recording the schema version", err);
		goto fail;
	}
	if (tx_commit(q, "committing a schema migration", err) < 0)
		goto fail;
	*version = m->version;
	log_info("queue: applied schema migration %s", m->name);
	return 0;
fail:
	tx_rollback(q);
	return -1;
}

static int migrate(struct queue *q, struct errbuf *err)
{
	int version;
	if (read_user_version(q, &version, err) < 0)
		return -1;
	if (version > latest_schema_version())
		return refuse_newer(version, err);
	for (int i = 0; i < schema_migration_count; i++) {
		if (schema_migrations[i].version > version &&
		    apply_migration(q, &schema_migrations[i], &version, err) < 0)
			return -1;
	}
	return 0;
}

/* See queue.h. *out is NULL on error. ":memory:" is refused: the queue is
 * shared between processes. Safe to call from several threads or processes
 * at once on the same (even fresh) file. */
int queue_open(const char *path, struct queue **out, struct errbuf *err)
{
	*out = NULL;
	if (!path || !*path)
		return errbuf_set(err, "queue database path is empty (expected a file path)");
	if (strcmp(path, ":memory:") == 0)
		return errbuf_set(err, "queue database cannot be \":memory:\": otapd and otapctl "
				  "share it, so it must be a file path");
	if (create_private_file(path, err) < 0)
		return -1;
	struct queue *q = calloc(1, sizeof *q);
	if (!q)
		return errbuf_set(err, "opening queue database %s: out of memory", path);
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(err, "opening queue database %s: %s", path,
			   q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		queue_close(q);
		return -1;
	}
	/* SQLite quietly falls back to read-only for a file we may not write;
	 * say so now rather than at the first claim. */
	if (sqlite3_db_readonly(q->db, "main") == 1) {
		errbuf_set(err, "queue database %s is read-only for this user (expected write "
			   "access to it and to its directory, for the -wal and -shm files)", path);
		queue_close(q);
		return -1;
	}
	if (configure_connection(q, err) < 0 || migrate(q, err) < 0) {
		errbuf_prefix(err, "queue database %s", path);
		queue_close(q);
		return -1;
	}
	*out = q;
	return 0;
}

/* Finalizes the cached statements and closes the connection; NULL is a
 * no-op. Cannot fail (a failed close is logged). */
void queue_close(struct queue *q)
{
	if (!q)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->stmts[i]);
	if (q->db && sqlite3_close(q->db) != SQLITE_OK)
		log_errorx("queue: closing the database: %s", sqlite3_errmsg(q->db));
	free(q);
}

/* Returns the version, or -1 when it cannot be read. */
int queue_schema_version(struct queue *q)
{
	int version;
	return read_user_version(q, &version, NULL) < 0 ? -1 : version;
}

/* Borrowed: owned by q, valid until queue_close. */
struct sqlite3 *queue_db(struct queue *q)
{
	return q->db;
}

/* ---- enqueue and claim ---- */

static int check_name(const char *what, const char *value, size_t max, bool required,
		      struct errbuf *err)
{
	if (!value || !*value) {
		if (required)
			return errbuf_set(err, "job has no %s (expected a non-empty %s)", what, what);
		return 0;
	}
	size_t len = strlen(value);
	if (len > max)
		return errbuf_set(err, "job %s \"%.*s...\" is %zu characters long (at most %zu fit)",
				  what, 16, value, len, max);
	return 0;
}

static int check_new_job(const struct job_new *job, struct errbuf *err)
{
	if (check_name("msisdn", job->msisdn, MSISDN_MAX_LEN, true, err) < 0 ||
	    check_name("profile", job->profile, QUEUE_NAME_MAX - 1, true, err) < 0 ||
	    check_name("rollout", job->rollout, QUEUE_NAME_MAX - 1, false, err) < 0)
		return -1;
	if (!action_db_name(job->action))
		return errbuf_set(err, "job action %d is unknown (expected install or delete)",
				  (int)job->action);
	if (job->max_attempts < 1)
		return errbuf_set(err, "job max_attempts is %d (expected at least 1)", job->max_attempts);
	return 0;
}

int queue_enqueue(struct queue *q, const struct job_new *job, int64_t now, int64_t *id_out,
		  struct errbuf *err)
{
	const char *doing = "enqueueing a job";
	if (check_new_job(job, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt_get(q, ST_INSERT_JOB, doing, err);
	if (!st || tx_begin(q, doing, err) < 0)
		return -1;
	bind_text(st, 1, job->msisdn);
	bind_text(st, 2, job->profile);
	bind_text(st, 3, action_db_name(job->action));
	bind_text(st, 4, job->rollout && *job->rollout ? job->rollout : NULL);
	sqlite3_bind_int64(st, 5, job->not_before);
	sqlite3_bind_int(st, 6, job->max_attempts);
	sqlite3_bind_int64(st, 7, now);
	if (stmt_run(q, st, doing, err) < 0)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(q->db);
	if (tx_commit(q, doing, err) < 0)
		goto fail;
	if (id_out)
		*id_out = id;
	return 0;
fail:
	tx_rollback(q);
	return -1;
}

/* Sets *id to the job queue_claim would take at now. Returns 1, 0 when
 * none is due, -1 on error. */
static int pick_due(struct queue *q, int64_t now, int64_t *id, const char *doing,
		    struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_PICK, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* queued -> sending for job id. Returns 1 with *out filled, 0 if it is no
 * longer queued, -1. */
static int take_job(struct queue *q, const char *modem, int64_t now, int64_t id,
		    struct job *out, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_CLAIM, doing, err);
	if (!st)
		return -1;
	bind_text(st, 1, modem);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	int found = 0;
	int rc;
	/* RETURNING rows are produced before the update is final: step to DONE. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_from_row(st, out);
		found = 1;
	}
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_DONE ? found : -1;
}

/* Spaces the next claim of a rate-limited rollout. Returns 0 or -1. */
static int rate_step(struct queue *q, const char *rollout, int64_t now, const char *doing,
		     struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_RATE_STEP, doing, err);
	if (!st)
		return -1;
	bind_text(st, 1, rollout);
	sqlite3_bind_int64(st, 2, now);
	return stmt_run(q, st, doing, err);
}

int queue_claim(struct queue *q, const char *modem, int64_t now, struct job *out,
		struct errbuf *err)
{
	const char *doing = "claiming a job";
	int64_t id;
	int found = pick_due(q, now, &id, doing, err);
	if (found <= 0)
		return found;
	if (tx_begin(q, doing, err) < 0)
		return -1;
	/* Again under the write lock: another modem may have taken it, or
	 * used up the rollout's rate spacing, in between. */
	found = pick_due(q, now, &id, doing, err);
	if (found > 0)
		found = take_job(q, modem, now, id, out, doing, err);
	if (found > 0 && out->wave > 0 && rate_step(q, out->rollout, now, doing, err) < 0)
		found = -1;
	if (found < 0 || tx_commit(q, doing, err) < 0) {
		tx_rollback(q);
		return -1;
	}
	return found;
}

/* ---- finishing a try ---- */

enum try_end { END_SENT, END_RETRY, END_FAILED };

/* What a finished try does to its job, worked out from the current row. */
struct transition {
	enum job_state state;
	int attempts;
	bool set_error;
	bool set_not_before;
	char error[QUEUE_TEXT_MAX];
};

/* Reads the job's state and attempt counters, and whether its rollout
 * (if any) is cancelled. Returns 1, 0 when there is no such job, or -1. */
static int load_counters(struct queue *q, int64_t id, enum job_state *state, int *attempts,
			 int *max_attempts, bool *rollout_cancelled, const char *doing,
			 struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_JOB_STATE, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (job_state_parse((const char *)sqlite3_column_text(st, 0), state) < 0)
			*state = JOB_FAILED;    /* unreachable: the CHECK constraint */
		*attempts = sqlite3_column_int(st, 1);
		*max_attempts = sqlite3_column_int(st, 2);
		const unsigned char *rollout_state = sqlite3_column_text(st, 3);
		*rollout_cancelled = rollout_state &&
				     strcmp((const char *)rollout_state, "cancelled") == 0;
	} else if (rc != SQLITE_DONE) {
		db_fail(q, doing, err);
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void plan_transition(enum try_end end, bool count_attempt, int attempts, int max_attempts,
			    bool rollout_cancelled, const char *detail, struct transition *t)
{
	memset(t, 0, sizeof *t);
	t->attempts = count_attempt ? attempts + 1 : attempts;
	switch (end) {
	case END_SENT:
		t->state = JOB_SENT;
		return;         /* last_error keeps the history of earlier tries */
	case END_FAILED:
		t->state = JOB_FAILED;
		break;
	case END_RETRY:
		if (count_attempt && t->attempts >= max_attempts) {
			t->state = JOB_FAILED;
			t->set_error = true;
			snprintf(t->error, sizeof t->error, "gave up after %d attempts%s%s",
				 t->attempts, detail ? ": " : "", detail ? detail : "");
			return;
		}
		/* Its rollout was cancelled while this try ran: the job
		 * would wait in the queue forever. */
		t->state = rollout_cancelled ? JOB_CANCELLED : JOB_QUEUED;
		t->set_not_before = !rollout_cancelled;
		break;
	}
	t->set_error = true;
	snprintf(t->error, sizeof t->error, "%s", detail ? detail : "");
}

static const char *default_result(enum try_end end, bool count_attempt)
{
	switch (end) {
	case END_SENT:
		return "sent";
	case END_FAILED:
		return "permanent";
	case END_RETRY:
		break;
	}
	return count_attempt ? "transient" : "modem";
}

static int write_transition(struct queue *q, int64_t id, int64_t not_before,
			    const struct job_outcome *o, const struct transition *t,
			    const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_FINISH_JOB, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, state_names[t->state]);
	sqlite3_bind_int(st, 3, t->attempts);
	if (t->set_not_before)
		sqlite3_bind_int64(st, 4, not_before);
	bind_text(st, 5, o->modem);
	sqlite3_bind_int(st, 6, t->set_error);
	bind_text(st, 7, t->error[0] ? t->error : NULL);
	sqlite3_bind_int64(st, 8, o->finished_at);
	return stmt_run(q, st, doing, err);
}

static int insert_attempt(struct queue *q, int64_t id, const struct job_outcome *o,
			  const char *result, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = stmt_get(q, ST_INSERT_ATTEMPT, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, o->started_at);
	sqlite3_bind_int64(st, 3, o->finished_at);
	bind_text(st, 4, o->modem);
	bind_text(st, 5, result);
	if (o->cms_error >= 0)
		sqlite3_bind_int(st, 6, o->cms_error);
	bind_text(st, 7, o->mrs);
	bind_text(st, 8, o->detail);
	return stmt_run(q, st, doing, err);
}

/* The common body of mark_sent/retry_later/mark_failed: checks the job is
 * in sending, applies the transition and records the attempt, all in one
 * transaction. */
static int finish_try(struct queue *q, int64_t id, enum try_end end, bool count_attempt,
		      int64_t not_before, const struct job_outcome *o, enum job_state *state_out,
		      struct errbuf *err)
{
	const char *doing = "recording the outcome of a try";
	if (!o)
		return errbuf_set(err, "job %" PRId64 ": no outcome given for the try", id);
	if (tx_begin(q, doing, err) < 0)
		return -1;
	enum job_state state;
	int attempts, max_attempts;
	bool rollout_cancelled;
	int found = load_counters(q, id, &state, &attempts, &max_attempts, &rollout_cancelled,
				  doing, err);
	if (found <= 0) {
		if (found == 0)
			errbuf_set(err, "no such job %" PRId64, id);
		goto fail;
	}
	if (state != JOB_SENDING) {
		errbuf_set(err, "job %" PRId64 " is %s, not sending", id, job_state_name(state));
		goto fail;
	}
	struct transition t;
	plan_transition(end, count_attempt, attempts, max_attempts, rollout_cancelled, o->detail, &t);
	const char *result = o->result ? o->result : default_result(end, count_attempt);
	if (write_transition(q, id, not_before, o, &t, doing, err) < 0 ||
	    insert_attempt(q, id, o, result, doing, err) < 0 ||
	    tx_commit(q, doing, err) < 0)
		goto fail;
	if (state_out)
		*state_out = t.state;
	return 0;
fail:
	tx_rollback(q);
	return -1;
}

/* last_error is left as it was: it explains the earlier tries. */
int queue_mark_sent(struct queue *q, int64_t id, const struct job_outcome *o, struct errbuf *err)
{
	return finish_try(q, id, END_SENT, true, 0, o, NULL, err);
}

/* last_error becomes o->detail (NULL clears it), or "gave up after N
 * attempts: <detail>" when the job fails for good. */
int queue_retry_later(struct queue *q, int64_t id, int64_t not_before, bool count_attempt,
		      const struct job_outcome *o, enum job_state *state_out, struct errbuf *err)
{
	return finish_try(q, id, END_RETRY, count_attempt, not_before, o, state_out, err);
}

int queue_mark_failed(struct queue *q, int64_t id, const struct job_outcome *o, struct errbuf *err)
{
	return finish_try(q, id, END_FAILED, true, 0, o, NULL, err);
}

/* ---- operator actions and recovery ---- */

int queue_cancel(struct queue *q, int64_t id, int64_t now, struct errbuf *err)
{
	const char *doing = "cancelling a job";
	sqlite3_stmt *st = stmt_get(q, ST_CANCEL, doing, err);
	if (!st || tx_begin(q, doing, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (stmt_run(q, st, doing, err) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		/* Not queued: say why, from the same snapshot we hold the lock on. */
		enum job_state state;
		int attempts, max_attempts;
		bool rollout_cancelled;
		int found = load_counters(q, id, &state, &attempts, &max_attempts,
					  &rollout_cancelled, doing, err);
		if (found == 0)
			errbuf_set(err, "no such job %" PRId64, id);
		else if (found == 1)
			errbuf_set(err, "job %" PRId64 " is %s; only queued jobs can be cancelled",
				   id, job_state_name(state));
		goto fail;
	}
	if (tx_commit(q, doing, err) < 0)
		goto fail;
	return 0;
fail:
	tx_rollback(q);
	return -1;
}

/* ---- retrying failed jobs ---- */

/* The UPDATE behind both retries. Parameters: ?1 now, ?2 rollout, ?3 error
 * code, ?4 job id (each present only when its condition is). A job of a
 * cancelled rollout stays failed: queued, it would never be claimed. */
static void retry_sql(const struct retry_filter *f, bool one_job, char *sql, size_t size)
{
	snprintf(sql, size, "UPDATE jobs SET state = 'queued', attempts = 0, not_before = ?1, "
		 "updated_at = ?1 WHERE state = 'failed'%s%s%s AND NOT EXISTS (SELECT 1 FROM "
		 "rollouts r WHERE jobs.wave IS NOT NULL AND r.name = jobs.rollout AND "
		 "r.state = 'cancelled')",
		 one_job ? " AND id = ?4" : "",
		 f && f->rollout ? " AND rollout = ?2" : "",
		 f && f->error_code >= 0 ? " AND (notify_code = ?3 OR (SELECT a.cms_error FROM "
		 "attempts a WHERE a.job_id = jobs.id ORDER BY a.id DESC LIMIT 1) = ?3)" : "");
}

/* Runs the retry UPDATE and revives finished rollouts, inside the caller's
 * transaction. *count (may be NULL) gets the number of jobs. */
static int run_retry(struct queue *q, const struct retry_filter *f, int64_t id, int64_t now,
		     int64_t *count, const char *doing, struct errbuf *err)
{
	char sql[768];
	sqlite3_stmt *st;
	retry_sql(f, id > 0, sql, sizeof sql);
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, doing, err);
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, f ? f->rollout : NULL);
	sqlite3_bind_int(st, 3, f ? f->error_code : -1);
	sqlite3_bind_int64(st, 4, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (count)
		*count = sqlite3_changes64(q->db);
	sqlite3_stmt *revive = stmt_get(q, ST_REVIVE_ROLLOUTS, doing, err);
	if (!revive)
		return -1;
	sqlite3_bind_int64(revive, 1, now);
	return stmt_run(q, revive, doing, err);
}

int queue_retry_failed(struct queue *q, const struct retry_filter *f, int64_t now,
		       int64_t *count, struct errbuf *err)
{
	const char *doing = "retrying failed jobs";
	int64_t n = 0;
	if (tx_begin(q, doing, err) < 0)
		return -1;
	if (run_retry(q, f, 0, now, &n, doing, err) < 0 || tx_commit(q, doing, err) < 0) {
		tx_rollback(q);
		return -1;
	}
	if (n > 0)
		log_info("queue: %lld failed jobs queued again%s%s", (long long)n,
			 f && f->rollout ? " in rollout " : "", f && f->rollout ? f->rollout : "");
	if (count)
		*count = n;
	return 0;
}

int queue_retry_job(struct queue *q, int64_t id, int64_t now, struct errbuf *err)
{
	const char *doing = "retrying a job";
	enum job_state state;
	int attempts, max_attempts;
	bool rollout_cancelled;
	if (tx_begin(q, doing, err) < 0)
		return -1;
	int found = load_counters(q, id, &state, &attempts, &max_attempts, &rollout_cancelled,
				  doing, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, id);
	else if (found == 1 && state != JOB_FAILED)
		errbuf_set(err, "job %" PRId64 " is %s; only failed jobs can be retried", id,
			   job_state_name(state));
	else if (found == 1 && rollout_cancelled)
		errbuf_set(err, "job %" PRId64 " belongs to a cancelled rollout", id);
	if (found != 1 || state != JOB_FAILED || rollout_cancelled ||
	    run_retry(q, NULL, id, now, NULL, doing, err) < 0 || tx_commit(q, doing, err) < 0) {
		tx_rollback(q);
		return -1;
	}
	log_info("queue: job %" PRId64 " queued again", id);
	return 0;
}

/* Meant for otapd's start, before its modems claim anything: a job another
 * running otapd is sending would be put back too.
 *
 * attempts is not incremented: the try was cut short by us, not refused by
 * the network or the unit, and a few restarts of otapd must not use up a
 * unit's attempts. The 'interrupted' rows keep each possible duplicate
 * visible in the history instead. */
int queue_recover_interrupted(struct queue *q, int64_t now, int *count, struct errbuf *err)
{
	const char *doing = "recovering jobs interrupted while sending";
	sqlite3_stmt *history = stmt_get(q, ST_RECOVER_ATTEMPTS, doing, err);
	sqlite3_stmt *requeue = stmt_get(q, ST_RECOVER_JOBS, doing, err);
	if (!history || !requeue || tx_begin(q, doing, err) < 0)
		return -1;
	sqlite3_bind_int64(history, 1, now);
	bind_text(history, 2, INTERRUPTED_DETAIL);
	sqlite3_bind_int64(requeue, 1, now);
	bind_text(requeue, 2, INTERRUPTED_DETAIL);
	if (stmt_run(q, history, doing, err) < 0 || stmt_run(q, requeue, doing, err) < 0)
		goto fail;
	int changed = sqlite3_changes(q->db);
	if (tx_commit(q, doing, err) < 0)
		goto fail;
	if (count)
		*count = changed;
	return 0;
fail:
	tx_rollback(q);
	return -1;
}

/* ---- reading ---- */

int queue_get(struct queue *q, int64_t id, struct job *out, struct errbuf *err)
{
	const char *doing = "reading a job";
	sqlite3_stmt *st = stmt_get(q, ST_GET_JOB, doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		job_from_row(st, out);
	else if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Builds the WHERE clause of queue_list from the filter; only the set fields
 * become conditions, so SQLite can use the msisdn/rollout indexes. The
 * parameter numbers are fixed, whichever conditions are present. */
static void list_sql(const struct job_filter *f, char *sql, size_t size)
{
	const char *sep = " WHERE";
	size_t n = (size_t)snprintf(sql, size, "SELECT " JOB_COLUMNS " FROM jobs");
	if (f->id > 0) {
		n += (size_t)snprintf(sql + n, size - n, "%s id = ?1", sep);
		sep = " AND";
	}
	if (f->msisdn) {
		n += (size_t)snprintf(sql + n, size - n, "%s msisdn = ?2", sep);
		sep = " AND";
	}
	if (f->state >= 0) {
		n += (size_t)snprintf(sql + n, size - n, "%s state = ?3", sep);
		sep = " AND";
	}
	if (f->rollout)
		n += (size_t)snprintf(sql + n, size - n, "%s rollout = ?4", sep);
	snprintf(sql + n, size - n, " ORDER BY id DESC LIMIT ?5");
}

/* Prepared per call, not cached, so that a callback may itself read the
 * queue (queue_get, queue_attempts) while the walk is in progress. A
 * callback should not change the queue: collect ids and act afterwards.
 * filter NULL = every job. */
int queue_list(struct queue *q, const struct job_filter *filter,
	       int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err)
{
	const char *doing = "listing jobs";
	static const struct job_filter any = { .state = -1 };
	const struct job_filter *f = filter ? filter : &any;
	if (f->state >= JOB_STATE_COUNT)
		return errbuf_set(err, "job state filter %d is unknown", f->state);
	char sql[512];
	list_sql(f, sql, sizeof sql);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, doing, err);
	sqlite3_bind_int64(st, 1, f->id);
	bind_text(st, 2, f->msisdn);
	bind_text(st, 3, f->state >= 0 ? state_names[f->state] : NULL);
	bind_text(st, 4, f->rollout);
	sqlite3_bind_int(st, 5, f->limit > 0 ? f->limit : -1);     /* -1: no limit */
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct job job;
		job_from_row(st, &job);
		if (cb(&job, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int queue_attempts(struct queue *q, int64_t id,
		   int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err)
{
	const char *doing = "reading attempt history";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT " ATTEMPT_COLUMNS " FROM attempts WHERE job_id = ?1 "
			       "ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, doing, err);
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct attempt a;
		attempt_from_row(st, &a);
		if (cb(&a, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int queue_count_by_state(struct queue *q, int64_t counts[JOB_STATE_COUNT], struct errbuf *err)
{
	const char *doing = "counting jobs by state";
	sqlite3_stmt *st = stmt_get(q, ST_COUNT_BY_STATE, doing, err);
	if (!st)
		return -1;
	memset(counts, 0, JOB_STATE_COUNT * sizeof counts[0]);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum job_state state;
		if (job_state_parse((const char *)sqlite3_column_text(st, 0), &state) == 0)
			counts[state] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int queue_next_due(struct queue *q, int64_t *out, struct errbuf *err)
{
	const char *doing = "finding the next due job";
	sqlite3_stmt *st = stmt_get(q, ST_NEXT_DUE, doing, err);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX
								 : sqlite3_column_int64(st, 0);
	else
		db_fail(q, doing, err);
	stmt_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
