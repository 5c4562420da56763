/* sqlite_open.c - the SQLite engine: creating the file privately, opening
 * a connection (WAL, busy timeout, foreign keys), applying the migrations
 * compiled in from schema/, the statement cache, and the operations table. */
#include "sqlite_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
/* Bounds of the OTAP_BUSY_TIMEOUT_MS test knob. */
#define BUSY_TIMEOUT_KNOB_MAX 600000
#define WAL_RETRY_MS 5

static void sqlite_close(struct store *base);
extern const struct store_ops sqlite_ops;

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

static int read_user_version(struct sqlite_store *q, int *out, struct errbuf *err)
{
	const char *doing = "reading the schema version";
	sqlite3_stmt *st = db_prepare(q->db, "PRAGMA user_version", doing, err);
	if (!st)
		return -1;
	int64_t version;
	if (db_int(q->db, st, 0, &version, doing, err) < 0)
		return -1;
	*out = (int)version;
	return 0;
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
static int try_enable_wal(struct sqlite_store *q, char *mode, size_t size)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		db_copy_column(mode, size, st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* WAL lets otapctl read (list, status) while otapd writes, and makes a
 * commit one append to the log instead of a rewrite of the database pages.
 * Switching a fresh database to WAL needs an exclusive lock, and SQLite
 * returns SQLITE_BUSY for it at once, without the busy handler, when
 * another process is doing the same: so retry here, within the same budget
 * as the busy timeout. */
static int enable_wal(struct sqlite_store *q, struct errbuf *err)
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
		return db_fail(q->db, "enabling WAL journal mode", err);
	if (strcmp(mode, "wal") != 0)
		return errbuf_set(err, "journal mode is \"%s\" after asking for WAL (expected \"wal\"; "
				  "is the file on a filesystem without shared memory, or not a database?)",
				  mode);
	return 0;
}

/* BUSY_TIMEOUT_MS, or $OTAP_BUSY_TIMEOUT_MS (1-600000) when set: a test
 * knob, so that a test holding the write lock from another process need
 * not wait 10 s per blocked call. Anything else in the variable is ignored. */
static int busy_timeout_ms(void)
{
	const char *knob = getenv("OTAP_BUSY_TIMEOUT_MS");
	if (!knob || !*knob)
		return BUSY_TIMEOUT_MS;
	char *end;
	long v = strtol(knob, &end, 10);
	return *end || v < 1 || v > BUSY_TIMEOUT_KNOB_MAX ? BUSY_TIMEOUT_MS : (int)v;
}

static int configure_connection(struct sqlite_store *q, struct errbuf *err)
{
	/* Set first so that even enabling WAL waits for a concurrent opener. */
	sqlite3_busy_timeout(q->db, busy_timeout_ms());
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
		return db_fail(q->db, "setting connection pragmas", err);
	return 0;
}

/* Applies one migration and its user_version in a single write transaction.
 * The version is read again under the write lock: another process opening
 * the same fresh database may have applied it while we waited. *version gets
 * the version after this call. */
static int apply_migration(struct sqlite_store *q, const struct schema_migration *m, int *version,
			   struct errbuf *err)
{
	struct db_tx t;
	if (db_tx_begin(&t, q->db, "starting a schema migration", err) < 0)
		return -1;
	if (read_user_version(q, version, err) < 0)
		goto fail;
	if (*version > latest_schema_version()) {
		refuse_newer(*version, err);
		goto fail;
	}
	if (*version >= m->version) {
		db_tx_rollback(&t);
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
		db_fail(q->db, "recording the schema version", err);
		goto fail;
	}
	if (db_tx_commit(&t, "committing a schema migration", err) < 0)
		goto fail;
	*version = m->version;
	log_info("store: applied schema migration %s", m->name);
	return 0;
fail:
	db_tx_rollback(&t);
	return -1;
}

static int migrate(struct sqlite_store *q, struct errbuf *err)
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

/* ":memory:" is refused: the store is shared between processes. */
int sqlite_store_open(const char *path, struct store **out, struct errbuf *err)
{
	*out = NULL;
	if (strcmp(path, ":memory:") == 0)
		return errbuf_set(err, "queue database cannot be \":memory:\": otapd and otapctl "
				  "share it, so it must be a file path");
	if (create_private_file(path, err) < 0)
		return -1;
	struct sqlite_store *q = calloc(1, sizeof *q);
	if (q)
		q->base.ops = &sqlite_ops;
	if (!q)
		return errbuf_set(err, "opening queue database %s: out of memory", path);
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(err, "opening queue database %s: %s", path,
			   q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		sqlite_close(&q->base);
		return -1;
	}
	/* SQLite quietly falls back to read-only for a file we may not write;
	 * say so now rather than at the first claim. */
	if (sqlite3_db_readonly(q->db, "main") == 1) {
		errbuf_set(err, "queue database %s is read-only for this user (expected write "
			   "access to it and to its directory, for the -wal and -shm files)", path);
		sqlite_close(&q->base);
		return -1;
	}
	if (configure_connection(q, err) < 0 || migrate(q, err) < 0) {
		errbuf_prefix(err, "queue database %s", path);
		sqlite_close(&q->base);
		return -1;
	}
	*out = &q->base;
	return 0;
}

/* Finalizes the cached statements and closes the connection. */
static void sqlite_close(struct store *base)
{
	struct sqlite_store *q = sqlite_of(base);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->stmts[i]);
	if (q->db && sqlite3_close(q->db) != SQLITE_OK)
		log_errorx("store: closing the database: %s", sqlite3_errmsg(q->db));
	free(q);
}

static int sqlite_schema_version(struct store *base)
{
	int version;
	return read_user_version(sqlite_of(base), &version, NULL) < 0 ? -1 : version;
}

/* SQLite's own counter: it moves when another connection commits. */
static int sqlite_data_version(struct store *base, int64_t *out, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "reading the data version";
	sqlite3_stmt *st = sqlite_stmt(s, ST_DATA_VERSION, doing, err);
	if (!st)
		return -1;
	int found = db_step(s->db, st, doing, err);
	if (found > 0)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return found > 0 ? 0 : -1;
}

/* SQLite tells no one: the queue watch looks at data_version instead. */
static int sqlite_wake_fd(struct store *base)
{
	(void)base;
	return -1;
}

/* One otapd per SQLite database (its lock file): it always leads. */
static int sqlite_lead(struct store *base, struct errbuf *err)
{
	(void)base, (void)err;
	return 1;
}

/* One otapd per SQLite database (its lock file): no other instance can
 * take a job from it, so there is no lease to renew. */
static int sqlite_renew_lease(struct store *base, int64_t now, int64_t *count, struct errbuf *err)
{
	(void)base, (void)now, (void)count, (void)err;
	return 0;
}

/* Borrowed: owned by s, valid until store_close. */
sqlite3 *store_sqlite_db(struct store *s)
{
	return s && s->ops == &sqlite_ops ? sqlite_of(s)->db : NULL;
}

/* ---- statements and names shared by the engine's files ---- */

extern const char *const sqlite_stmt_sql[ST_COUNT];

sqlite3_stmt *sqlite_stmt(struct sqlite_store *s, enum sqlite_stmt_id id, const char *doing,
			  struct errbuf *err)
{
	if (!s->stmts[id] && sqlite3_prepare_v3(s->db, sqlite_stmt_sql[id], -1,
						SQLITE_PREPARE_PERSISTENT, &s->stmts[id],
						NULL) != SQLITE_OK) {
		db_fail(s->db, doing, err);
		s->stmts[id] = NULL;
	}
	return s->stmts[id];
}

/* The queue keeps its own spelling rather than borrowing otap_action_name(),
 * whose output is meant for people. */
const char *sqlite_action_name(enum otap_action action)
{
	return action == OTAP_ACTION_DELETE ? "delete" : "install";
}

enum otap_action sqlite_action_from(const char *name)
{
	return name && strcmp(name, "delete") == 0 ? OTAP_ACTION_DELETE : OTAP_ACTION_INSTALL;
}

/* Kept equal to job_state_final() (test_store checks it). */
const char *sqlite_final_states(bool confirmation_expected)
{
	return confirmation_expected ? "'confirmed','failed','cancelled'"
				     : "'sent','delivered','confirmed','failed','cancelled'";
}

const char *sqlite_open_states(bool confirmation_expected)
{
	return confirmation_expected ? "'queued','sending','sent','delivered'"
				     : "'queued','sending'";
}

/* 0 restores the connection's default (busy_timeout_ms). */
static void sqlite_set_busy_timeout(struct store *base, int ms)
{
	sqlite3_busy_timeout(sqlite_of(base)->db, ms > 0 ? ms : busy_timeout_ms());
}

const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.data_version = sqlite_data_version,
	.wake_fd = sqlite_wake_fd,
	.lead = sqlite_lead,
	.set_busy_timeout = sqlite_set_busy_timeout,
	.set_lock_wait = sqlite_set_lock_wait,
	.enqueue = sqlite_enqueue,
	.claim = sqlite_claim,
	.renew_lease = sqlite_renew_lease,
	.mark_sent = sqlite_mark_sent,
	.record_part = sqlite_record_part,
	.record_part_id = sqlite_record_part_id,
	.retry_later = sqlite_retry_later,
	.mark_failed = sqlite_mark_failed,
	.cancel = sqlite_cancel,
	.retry_failed = sqlite_retry_failed,
	.retry_job = sqlite_retry_job,
	.expire = sqlite_expire,
	.recover_interrupted = sqlite_recover_interrupted,
	.job_token = sqlite_job_token,
	.get = sqlite_get,
	.list = sqlite_list,
	.attempts = sqlite_attempts,
	.count_by_state = sqlite_count_by_state,
	.next_due = sqlite_next_due,
	.apply_notification = sqlite_apply_notification,
	.apply_status_report = sqlite_apply_status_report,
	.apply_receipt = sqlite_apply_receipt,
	.apply_deferred = sqlite_apply_deferred,
	.apply_unconfirmed = sqlite_apply_unconfirmed,
	.set_imei = sqlite_set_imei,
	.job_info = sqlite_job_info,
	.import_begin = sqlite_import_begin,
	.import_add = sqlite_import_add,
	.import_commit = sqlite_import_commit,
	.import_abort = sqlite_import_abort,
	.check_begin = sqlite_check_begin,
	.check_add = sqlite_check_add,
	.check_repeats = sqlite_check_repeats,
	.check_is_repeat = sqlite_check_is_repeat,
	.check_end = sqlite_check_end,
	.rollout_get = sqlite_rollout_get,
	.rollout_list = sqlite_rollout_list,
	.job_meta = sqlite_job_meta,
	.rollout_counts = sqlite_rollout_counts,
	.rollout_reasons = sqlite_rollout_reasons,
	.rollout_wave_busy = sqlite_rollout_wave_busy,
	.rollout_pause = sqlite_rollout_pause,
	.rollout_resume = sqlite_rollout_resume,
	.rollout_cancel = sqlite_rollout_cancel,
	.rollout_set_gate = sqlite_rollout_set_gate,
	.rollout_release = sqlite_rollout_release,
	.rollout_parked = sqlite_rollout_parked,
	.rollout_advance = sqlite_rollout_advance,
	.download_job = sqlite_download_job,
	.record_download = sqlite_record_download,
	.events = sqlite_events,
	.rollout_funnel = sqlite_rollout_funnel,
	.modem_update = sqlite_modem_update,
	.modem_list = sqlite_modem_list,
	.purge = sqlite_purge,
	.audit_add = sqlite_audit_add,
	.audit_list = sqlite_audit_list,
	.rollout_units = sqlite_rollout_units,
	.rollout_units_count = sqlite_rollout_units_count,
	.metrics_read = sqlite_metrics_read,
};
