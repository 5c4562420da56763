/* pg_open.c - the PostgreSQL engine: the location and the password,
 * connecting, applying the migrations compiled in from schema/pg/, lock
 * timeouts, wake-ups (LISTEN), and the operations table. */
#include "pg_engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "schema.h"

/* Long enough to ride out another instance's burst of claims, short
 * enough that a stuck lock is reported, not hidden (as SQLite's). */
#define BUSY_TIMEOUT_KNOB_MAX 600000
#define LOCATION_MAX 1024
/* pg_advisory_xact_lock key serialising migrations of concurrent openers
 * ("otap" and 1). */
#define PG_LOCK_MIGRATE 0x6f74617001LL
/* First pg_try_advisory_lock key of the one scheduler among instances
 * ("ot" and 2; the second key is the schema's hash, so each queue in a
 * database has its own lead). Session-level: held while the leading
 * connection lives. */
#define PG_LOCK_SCHEDULER 0x6f740002
/* Server-side TCP keepalives of the leading connection: a host that
 * vanishes (no FIN) loses the lead after about idle + interval * count. */
#define LEAD_KEEPALIVE_SQL "SELECT set_config('tcp_keepalives_idle', '5', false), " \
	"set_config('tcp_keepalives_interval', '2', false), " \
	"set_config('tcp_keepalives_count', '3', false)"

extern const struct store_ops pg_store_ops;

/* Process-wide: set before the first open (store_set_password,
 * store_set_instance), read by every connection. */
static char *pg_password;
static char pg_instance[STORE_INSTANCE_MAX + 1];

int store_set_password(const char *password, struct errbuf *err)
{
	if (pg_password) {
		explicit_bzero(pg_password, strlen(pg_password));
		free(pg_password);
		pg_password = NULL;
	}
	if (password && !(pg_password = strdup(password)))
		return errbuf_set(err, "database password: out of memory");
	return 0;
}

int store_set_instance(const char *instance, struct errbuf *err)
{
	if (!instance || !*instance) {
		pg_instance[0] = '\0';
		return 0;
	}
	size_t n = strlen(instance);
	if (n >= sizeof pg_instance)
		return errbuf_set(err, "instance name is %zu characters long (at most %zu)", n,
				  sizeof pg_instance - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)instance[i];
		if (c < 0x21 || c == 0x7f)
			return errbuf_set(err, "instance name has byte 0x%02x (expected printable "
					  "characters without spaces)", c);
	}
	memcpy(pg_instance, instance, n + 1);
	return 0;
}

/* This process's mark, the same for all its connections: its pid and
 * when it first opened a store. A restarted instance (same name, maybe the
 * same pid in a container) must not renew its predecessor's leases, or a
 * job the predecessor left in sending would never be taken back. */
static pthread_mutex_t mark_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t mark_pid;
static long long mark_stamp;

static void process_mark(pid_t *pid, long long *stamp)
{
	pthread_mutex_lock(&mark_lock);
	if (mark_pid != getpid()) {             /* first open, or a forked child */
		mark_pid = getpid();
		mark_stamp = (long long)(clock_wall_ms() & 0xffffff);
	}
	*pid = mark_pid;
	*stamp = mark_stamp;
	pthread_mutex_unlock(&mark_lock);
}

/* jobs.claimed_by of this process's claims: the configured instance name
 * (else the hostname), the pid and the start mark, "rack-a:4242:3f09c1". */
static void instance_name(char *out, size_t cap)
{
	char host[64] = "";
	pid_t pid;
	long long stamp;
	if (!pg_instance[0] && (gethostname(host, sizeof host - 1) < 0 || !host[0]))
		snprintf(host, sizeof host, "localhost");
	process_mark(&pid, &stamp);
	snprintf(out, cap, "%.*s:%ld:%06llx", STORE_INSTANCE_MAX, pg_instance[0] ? pg_instance : host,
		 (long)pid, stamp);
}

/* postgresql://USER@HOST:PORT/DBNAME (libpq's URI, query parameters
 * allowed). A password in it is refused: the location is logged and shown
 * in messages, the password must come from database_password_file or
 * libpq's PGPASSFILE. */
static int check_location(const char *loc, struct errbuf *err)
{
	size_t n = strnlen(loc, LOCATION_MAX + 1);
	if (n > LOCATION_MAX)
		return errbuf_set(err, "database location is longer than %d bytes", LOCATION_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)loc[i];
		if (c < 0x21 || c == 0x7f)
			return errbuf_set(err, "database location has byte 0x%02x (expected "
					  "postgresql://USER@HOST:PORT/DBNAME)", c);
	}
	const char *rest = strstr(loc, "://") + 3;
	const char *at = strchr(rest, '@');
	const char *slash = strchr(rest, '/');
	if (at && (!slash || at < slash) && memchr(rest, ':', (size_t)(at - rest)))
		return errbuf_set(err, "database location carries a password (put it in "
				  "database_password_file or a PGPASSFILE instead: the location is "
				  "shown in logs)");
	if (strstr(loc, "password="))
		return errbuf_set(err, "database location carries a password parameter (put it "
				  "in database_password_file or a PGPASSFILE instead)");
	return 0;
}

/* NOTICEs (CREATE ... IF NOT EXISTS) go to the debug log, not stderr. */
static void notice_to_log(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgresql: %.*s", (int)strcspn(message, "\n"), message);
}

/* The test knob `name` when it holds a number in min..BUSY_TIMEOUT_KNOB_MAX,
 * else fallback. */
static int knob_ms(const char *name, int min, int fallback)
{
	const char *knob = getenv(name);
	if (!knob || !*knob)
		return fallback;
	char *end;
	long v = strtol(knob, &end, 10);
	return *end || v < min || v > BUSY_TIMEOUT_KNOB_MAX ? fallback : (int)v;
}

/* OTAP_BUSY_TIMEOUT_MS (1-600000), as for SQLite, else PG_LOCK_TIMEOUT_MS. */
static int default_lock_timeout(void)
{
	return knob_ms("OTAP_BUSY_TIMEOUT_MS", 1, PG_LOCK_TIMEOUT_MS);
}

static int set_lock_timeout(struct pg_store *s, int64_t ms, struct errbuf *err)
{
	char sql[64];
	snprintf(sql, sizeof sql, "SET lock_timeout = %lld", (long long)ms);
	return pg_run(s, sql, NULL, "setting the lock timeout", err) < 0 ? -1 : 0;
}

static int latest_version(void)
{
	return pg_schema_migration_count > 0
		       ? pg_schema_migrations[pg_schema_migration_count - 1].version : 0;
}

/* The version table, read under the migration lock. */
static int read_version(struct pg_store *s, int *out, struct errbuf *err)
{
	int64_t v;
	if (pg_int(s, "SELECT max(version) FROM otap_schema", NULL, 0, &v,
		   "reading the schema version", err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int run_migration(struct pg_store *s, const struct schema_migration *m, struct errbuf *err)
{
	/* PQexec: a migration is several statements (no parameters). */
	PGresult *res = PQexec(s->conn, m->sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		char doing[96];
		snprintf(doing, sizeof doing, "applying schema migration pg/%s", m->name);
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		errbuf_set(err, "%s: %s", doing, msg ? msg : "unknown error");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	struct pg_params p = { 0 };
	pg_param_int(&p, m->version);
	if (pg_run(s, "INSERT INTO otap_schema (version) VALUES ($1)", &p,
		   "recording the schema version", err) < 0)
		return -1;
	log_info("store: applied schema migration pg/%s", m->name);
	return 0;
}

/* All pending migrations in one transaction (PostgreSQL's DDL is
 * transactional), under an advisory lock so that instances starting
 * together apply each once. */
static int migrate(struct pg_store *s, struct errbuf *err)
{
	struct pg_tx t;
	int version;
	struct pg_params p = { 0 };
	pg_param_int(&p, PG_LOCK_MIGRATE);
	if (pg_tx_begin(&t, s, "starting the schema migrations", err) < 0)
		return -1;
	if (pg_run(s, "SELECT pg_advisory_xact_lock($1)", &p, "waiting for other migrations",
		   err) < 0 ||
	    pg_run(s, "CREATE TABLE IF NOT EXISTS otap_schema (version INTEGER NOT NULL)", NULL,
		   "creating the schema version table", err) < 0 ||
	    read_version(s, &version, err) < 0)
		goto fail;
	if (version > latest_version()) {
		errbuf_set(err, "database schema version %d is newer than this otapd (max %d)",
			   version, latest_version());
		goto fail;
	}
	for (int i = 0; i < pg_schema_migration_count; i++) {
		if (pg_schema_migrations[i].version > version &&
		    run_migration(s, &pg_schema_migrations[i], err) < 0)
			goto fail;
	}
	if (pg_tx_commit(&t, "committing the schema migrations", err) < 0)
		goto fail;
	return 0;
fail:
	pg_tx_rollback(&t);
	return -1;
}

/* Connects with the password given to store_set_password (if any: libpq
 * then reads PGPASSFILE or ~/.pgpass itself). The password goes as a
 * keyword, never into a string that is shown. */
static PGconn *connect_to(const char *location)
{
	const char *keys[] = { "dbname", "application_name", "connect_timeout", "password", NULL };
	const char *values[] = { location, "otapd", "10", pg_password, NULL };
	if (!pg_password)
		keys[3] = NULL;
	return PQconnectdbParams(keys, values, 1);
}

static void pg_close(struct store *base)
{
	struct pg_store *s = pg_of(base);
	PQfinish(s->conn);
	free(s);
}

/* The schema the location's search_path selects (usually "public"): the
 * queue's identity inside the database, for wake-ups and the lead. */
static int read_schema(struct pg_store *s, struct errbuf *err)
{
	PGresult *res = pg_query(s, "SELECT coalesce(current_schema(), '')", NULL,
				 "reading the schema", err);
	if (!res)
		return -1;
	snprintf(s->schema, sizeof s->schema, "%s", pg_col_str(res, 0, 0));
	PQclear(res);
	return 0;
}

int pg_store_open(const char *location, struct store **out, struct errbuf *err)
{
	*out = NULL;
	if (check_location(location, err) < 0)
		return -1;
	struct pg_store *s = calloc(1, sizeof *s);
	if (!s)
		return errbuf_set(err, "opening database %s: out of memory", location);
	s->base.ops = &pg_store_ops;
	instance_name(s->instance, sizeof s->instance);
	s->lease_ms = knob_ms("OTAP_LEASE_MS", 1000, PG_LEASE_MS);
	s->conn = connect_to(location);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		if (s->conn)
			pg_fail(s, "connecting", err);
		else
			errbuf_set(err, "connecting: out of memory");
		errbuf_prefix(err, "database %s", location);
		pg_close(&s->base);
		return -1;
	}
	PQsetNoticeProcessor(s->conn, notice_to_log, NULL);
	if (set_lock_timeout(s, default_lock_timeout(), err) < 0 || read_schema(s, err) < 0 ||
	    migrate(s, err) < 0) {
		errbuf_prefix(err, "database %s", location);
		pg_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

/* Borrowed: owned by s, valid until store_close. */
PGconn *store_pg_conn(struct store *s)
{
	return s && s->ops == &pg_store_ops ? pg_of(s)->conn : NULL;
}

int pg_schema_version(struct store *base)
{
	int version;
	return read_version(pg_of(base), &version, NULL) < 0 ? -1 : version;
}

/* LISTEN once per connection, on first use: a connection that never
 * waits for work (otapctl, the HTTP listener) must not collect
 * notifications it never reads. */
static int listen_once(struct pg_store *s, struct errbuf *err)
{
	if (s->listening)
		return 0;
	if (pg_run(s, "LISTEN " PG_WAKE_CHANNEL, NULL, "listening for new work", err) < 0)
		return -1;
	s->listening = true;
	return 0;
}

/* The number of wake-up notifications received from other connections
 * to the same queue (schema; a connection also hears its own NOTIFYs and
 * other schemas' ones: those are not counted, as
 * SQLite's data_version ignores the connection's own commits): it moves
 * when another connection committed an enqueue, a retry, a job queued
 * again, a resumed rollout or an opened wave. Reading it consumes what
 * arrived on the socket. */
int pg_data_version(struct store *base, int64_t *out, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	if (listen_once(s, err) < 0)
		return -1;
	if (!PQconsumeInput(s->conn))
		return pg_fail(s, "reading wake-ups", err);
	PGnotify *n;
	while ((n = PQnotifies(s->conn)) != NULL) {
		if (n->be_pid != PQbackendPID(s->conn) && strcmp(n->extra, s->schema) == 0)
			s->wakeups++;
		PQfreemem(n);
	}
	*out = s->wakeups;
	return 0;
}

/* The connection's socket, LISTENing: readable when a notification came
 * (or the server closed the connection). */
int pg_wake_fd(struct store *base)
{
	struct pg_store *s = pg_of(base);
	struct errbuf err;
	if (listen_once(s, &err) < 0) {
		log_errorx("store: %s", err.msg);
		return -1;
	}
	return PQsocket(s->conn);
}

int pg_revive(struct pg_store *s, struct errbuf *err)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (s->in_tx)
		return errbuf_set(err, "the connection to the database broke inside a transaction");
	s->listening = false;
	s->leading = false;
	pg_hot_forget(s);
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK)
		return pg_fail(s, "reconnecting", err);
	log_warnx("store: reconnected to the database (instance %s)", s->instance);
	return set_lock_timeout(s, default_lock_timeout(), err);
}

int pg_lead(struct store *base, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	if (pg_revive(s, err) < 0)
		return -1;
	if (s->leading)
		return 1;
	struct pg_params p = { 0 };
	pg_param_int(&p, PG_LOCK_SCHEDULER);
	pg_param_text(&p, s->schema);
	/* One lead per queue: the key is the scheduler's and the schema's. */
	PGresult *res = pg_query(s, "SELECT pg_try_advisory_lock($1::integer, hashtext($2))", &p,
				 "taking the lead", err);
	if (!res)
		return -1;
	s->leading = strcmp(pg_col_str(res, 0, 0), "t") == 0;
	PQclear(res);
	if (s->leading && pg_run(s, LEAD_KEEPALIVE_SQL, NULL, "setting keepalives", err) < 0)
		log_warnx("store: %s (a vanished host keeps the lead until TCP gives up)", err->msg);
	return s->leading ? 1 : 0;
}

void pg_set_busy_timeout(struct store *base, int ms)
{
	struct errbuf err;
	if (set_lock_timeout(pg_of(base), ms > 0 ? ms : default_lock_timeout(), &err) < 0)
		log_errorx("store: %s", err.msg);
}

/* PostgreSQL has no busy handler to call back while waiting: the wait is
 * bounded by lock_timeout = the limit, and no note is given. */
int pg_set_lock_wait(struct store *base, const struct store_lock_wait *w, struct errbuf *err)
{
	return set_lock_timeout(pg_of(base), w->limit_ms > 0 ? w->limit_ms : default_lock_timeout(),
				err);
}

/* One line per member: the engine's files are written by several hands. */
const struct store_ops pg_store_ops = {
	.name = "postgresql",
	.close = pg_close,
	.schema_version = pg_schema_version,
	.data_version = pg_data_version,
	.wake_fd = pg_wake_fd,
	.lead = pg_lead,
	.set_busy_timeout = pg_set_busy_timeout,
	.set_lock_wait = pg_set_lock_wait,
	.enqueue = pg_enqueue,
	.claim = pg_claim,
	.renew_lease = pg_renew_lease,
	.mark_sent = pg_mark_sent,
	.record_part = pg_record_part,
	.record_part_id = pg_record_part_id,
	.retry_later = pg_retry_later,
	.mark_failed = pg_mark_failed,
	.cancel = pg_cancel,
	.retry_failed = pg_retry_failed,
	.retry_job = pg_retry_job,
	.expire = pg_expire,
	.recover_interrupted = pg_recover_interrupted,
	.job_token = pg_job_token,
	.get = pg_get,
	.list = pg_list,
	.attempts = pg_attempts,
	.count_by_state = pg_count_by_state,
	.next_due = pg_next_due,
	.apply_notification = pg_apply_notification,
	.apply_status_report = pg_apply_status_report,
	.apply_receipt = pg_apply_receipt,
	.apply_deferred = pg_apply_deferred,
	.apply_unconfirmed = pg_apply_unconfirmed,
	.set_imei = pg_set_imei,
	.job_info = pg_job_info,
	.import_begin = pg_import_begin,
	.import_add = pg_import_add,
	.import_commit = pg_import_commit,
	.import_abort = pg_import_abort,
	.check_begin = pg_check_begin,
	.check_add = pg_check_add,
	.check_repeats = pg_check_repeats,
	.check_is_repeat = pg_check_is_repeat,
	.check_end = pg_check_end,
	.rollout_get = pg_rollout_get,
	.rollout_list = pg_rollout_list,
	.job_meta = pg_job_meta,
	.rollout_counts = pg_rollout_counts,
	.rollout_reasons = pg_rollout_reasons,
	.rollout_wave_busy = pg_rollout_wave_busy,
	.rollout_pause = pg_rollout_pause,
	.rollout_resume = pg_rollout_resume,
	.rollout_cancel = pg_rollout_cancel,
	.rollout_set_gate = pg_rollout_set_gate,
	.rollout_release = pg_rollout_release,
	.rollout_parked = pg_rollout_parked,
	.rollout_advance = pg_rollout_advance,
	.download_job = pg_download_job,
	.record_download = pg_record_download,
	.events = pg_events,
	.rollout_funnel = pg_rollout_funnel,
	.modem_update = pg_modem_update,
	.modem_list = pg_modem_list,
	.purge = pg_purge,
	.audit_add = pg_audit_add,
	.audit_list = pg_audit_list,
	.rollout_units = pg_rollout_units,
	.rollout_units_count = pg_rollout_units_count,
	.metrics_read = pg_metrics_read,
};
