/* pg_engine.h - the PostgreSQL engine's connection and what its files
 * share: running parameterised statements with a reason on failure, one
 * transaction style, column readers, row walks. Internal to lib/store (and
 * to tests).
 *
 * Files: pg_db.c (the helpers below), pg_open.c (the location, the
 * password, connecting, migrations from schema/pg/, the operations table),
 * pg_jobs.c (job transitions and reads, claims with leases, wake-ups),
 * and one pg_<topic>.c per topic as for
 * SQLite (pg_rollouts.c, pg_import.c, pg_reports.c, pg_events.c, ...).
 *
 * Transactions: READ COMMITTED with explicit row locks, not SERIALIZABLE.
 * Every transition reads the row it changes with SELECT ... FOR UPDATE
 * (the job row; for a rollout's job also the rollout row, whose
 * next_send_at is the rate gate), checks its state under that lock and
 * writes it with its history row: the same "check under the lock" the
 * SQLite engine gets from BEGIN IMMEDIATE, but per row, so instances
 * claiming different jobs never wait for one another. SERIALIZABLE would
 * make every operation fail with serialization errors under load and need
 * a retry loop around each, including those that call the caller's
 * decision callbacks; and the claim's FOR UPDATE SKIP LOCKED, the heart of
 * several instances sharing the queue, is meant for READ COMMITTED (a
 * SERIALIZABLE transaction would abort on the rows skipped under it).
 * Inside a caller's transaction an operation runs in a savepoint.
 *
 * Times are BIGINT milliseconds since the epoch, passed in by the caller
 * as for SQLite; flags stay INTEGER 0/1 so that the SQL reads as the
 * SQLite engine's. Parameters go as text ($1, $2, ...), never spliced into
 * the SQL.
 */
#ifndef OTAP_PG_ENGINE_H
#define OTAP_PG_ENGINE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "store_engine.h"

/* The channel an enqueue, a retry, a resumed rollout or an opened wave
 * NOTIFYs, and every connection that may wait for work LISTENs on. */
#define PG_WAKE_CHANNEL "otap_queue"

/* How long a claim's lease lasts without renewal (store_renew_leases): a
 * job whose lease ran out belongs to an instance that died, and any
 * instance takes it back with an 'interrupted' attempt. The environment
 * variable OTAP_LEASE_MS (1000-600000), a test knob, overrides it. */
#define PG_LEASE_MS 30000

/* How long a statement waits for a row or table lock held by another
 * connection before it fails, as SQLite's busy timeout (lock_timeout). */
#define PG_LOCK_TIMEOUT_MS 10000

/* Statements prepared once per connection (pg_hot). */
#define PG_PREPARED_MAX 32

struct pg_store {
	struct store base;              /* first: a struct store * is one of these */
	PGconn *conn;
	char instance[STORE_NAME_MAX];  /* jobs.claimed_by of this process's claims:
					 * "<instance>:<pid>:<start mark>" */
	bool listening;                 /* LISTEN PG_WAKE_CHANNEL was sent */
	char schema[64];                /* current_schema(): the queue's name in the
					 * database, the wake-ups' payload and the lead's key */
	int64_t wakeups;                /* notifications received: the data version */
	bool leading;                   /* holds the scheduler's advisory lock */
	int64_t lease_ms;               /* PG_LEASE_MS or the OTAP_LEASE_MS knob */
	const char *prepared[PG_PREPARED_MAX];  /* pg_hot: statement i is "h<i>" */
	int prepared_count;
	bool in_tx;                     /* inside a transaction pg_tx_begin opened */
};

static inline struct pg_store *pg_of(struct store *s)
{
	return (struct pg_store *)s;
}

/* The connection of a PostgreSQL store, or NULL for another engine. For
 * tests only (as store_sqlite_db). */
PGconn *store_pg_conn(struct store *s);

/* ---- parameters ---- */

#define PG_PARAMS_MAX 16

/* Up to PG_PARAMS_MAX text parameters for $1..$n; numbers are formatted
 * into the struct's own buffers, texts are borrowed (valid until the
 * statement ran). NULL is SQL NULL. */
struct pg_params {
	int n;
	const char *value[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
};
/* Appends a parameter. Adding more than PG_PARAMS_MAX is a bug (abort). */
void pg_param_int(struct pg_params *p, int64_t v);
void pg_param_text(struct pg_params *p, const char *text);    /* NULL = SQL NULL */
void pg_param_null(struct pg_params *p);
void pg_param_bool(struct pg_params *p, bool v);               /* 1 or 0 */

/* ---- statements ---- */

/* Runs sql with params (NULL = none) and returns its result (PQclear it)
 * when it succeeded (rows or a command), or NULL with "<doing>: <the
 * server's message>" in err. The message is PostgreSQL's primary message
 * and never contains the connection's password (libpq does not put it in
 * any message, and the location refuses one). */
PGresult *pg_query(struct pg_store *s, const char *sql, const struct pg_params *params,
		   const char *doing, struct errbuf *err);
/* pg_query for the hot paths (claims, outcomes): sql, which must be a
 * string with static storage (a literal: the cache goes by its address),
 * is prepared on the connection at its first use and executed as such
 * afterwards, saving the server's parsing and planning. */
PGresult *pg_hot(struct pg_store *s, const char *sql, const struct pg_params *params,
		 const char *doing, struct errbuf *err);
/* pg_run through pg_hot. */
int64_t pg_hot_run(struct pg_store *s, const char *sql, const struct pg_params *params,
		   const char *doing, struct errbuf *err);
/* Forgets the prepared statements (the connection was reset). */
void pg_hot_forget(struct pg_store *s);
/* pg_query for a statement whose rows nobody reads. Returns the number of
 * rows it changed (PQcmdTuples) or -1. */
int64_t pg_run(struct pg_store *s, const char *sql, const struct pg_params *params,
	       const char *doing, struct errbuf *err);
/* Runs sql and puts the first column of its first row into *out (fallback
 * for NULL or no row). Returns 1 when there was a row, 0 when not, -1. */
int pg_int(struct pg_store *s, const char *sql, const struct pg_params *params,
	   int64_t fallback, int64_t *out, const char *doing, struct errbuf *err);
/* Runs sql and calls row(res, i, arg) for each row i until it returns
 * non-zero. The whole result is read first, so row may use the store
 * (store_get in a store_list callback). Returns 0 (also when row stopped
 * the walk) or -1. */
int pg_walk(struct pg_store *s, const char *sql, const struct pg_params *params,
	    int (*row)(const PGresult *res, int i, void *arg), void *arg, const char *doing,
	    struct errbuf *err);
/* A connection that broke (the server restarted, the network failed) is
 * reset, once per call, outside a transaction only (a statement of a
 * broken transaction must never run on a new connection in autocommit);
 * its session state (LISTEN, the lead, prepared statements, settings)
 * went with it and is made again as needed. pg_query and pg_tx_begin call
 * it. Returns 0 (connected) or -1. */
int pg_revive(struct pg_store *s, struct errbuf *err);
/* Sets err to "<doing>: <the connection's last message>" and returns -1. */
int pg_fail(struct pg_store *s, const char *doing, struct errbuf *err);

/* ---- columns ---- */

bool pg_col_null(const PGresult *res, int row, int col);
/* An integer column, fallback for NULL (or text that is not a number). */
int64_t pg_col_int(const PGresult *res, int row, int col, int64_t fallback);
/* Copies a text column ("" for NULL) into dst, cut to cap - 1 bytes. */
void pg_col_text(char *dst, size_t cap, const PGresult *res, int row, int col);
/* A text column, "" for NULL; borrowed from res. */
const char *pg_col_str(const PGresult *res, int row, int col);

/* ---- transactions ---- */

/* One write transaction: BEGIN (READ COMMITTED, see the top), or when the
 * connection is already inside a transaction, a savepoint in it, so that
 * an operation is all-or-nothing without ending its caller's. */
struct pg_tx {
	struct pg_store *s;
	bool nested;
};
/* Returns 0 or -1. */
int pg_tx_begin(struct pg_tx *t, struct pg_store *s, const char *doing, struct errbuf *err);
/* Returns 0 or -1 (then call pg_tx_rollback). */
int pg_tx_commit(struct pg_tx *t, const char *doing, struct errbuf *err);
/* Undoes the transaction (also the normal end of one that found nothing
 * to do). Failures are only logged: the caller is already returning the
 * error that matters. */
void pg_tx_rollback(struct pg_tx *t);

/* Sends NOTIFY PG_WAKE_CHANNEL, with the queue's schema as payload, in the current transaction (delivered at
 * its commit, once per transaction however often it is called). Returns
 * 0 or -1.
 * Every operation that can make a job due sooner than the idle modems
 * know must call it in its transaction, or they sleep until their next
 * look (up to a minute): an enqueue, a retry, a job queued again, jobs
 * taken back (pg_jobs.c), and — in the rollout files — a rollout made
 * active (import commit, resume, revived), a wave opened (release,
 * advance), a gate opened (set_gate with gate_open), a notification or
 * report that queues a job again. */
int pg_notify_wake(struct pg_store *s, struct errbuf *err);

/* ---- shared with the engine's files ---- */

/* The stored spellings, as the SQLite engine's (the CHECKs of the schema). */
const char *pg_action_name(enum otap_action action);
enum otap_action pg_action_from(const char *name);
/* The job states a rollout's wave counts as final / not final, as SQL
 * lists for "state IN (...)". Static strings. */
const char *pg_final_states(bool confirmation_expected);
const char *pg_open_states(bool confirmation_expected);

/* Columns for pg_job_from_row(), in order. */
#define PG_JOB_COLUMNS "id, msisdn, profile, action, state, rollout, not_before, attempts, " \
	"max_attempts, created_at, updated_at, modem, last_error, wave, reached, deadline"
void pg_job_from_row(const PGresult *res, int row, int col, struct job *out);

/* Inserts one attempt row in the caller's transaction. cms_error < 0 and
 * NULL texts are stored as NULL. Returns 0 or -1. */
int pg_insert_attempt(struct pg_store *s, int64_t job_id, int64_t started_at,
		      int64_t finished_at, const char *modem, const char *result, int cms_error,
		      const char *mrs, const char *detail, struct errbuf *err);

/* The parts of a send (pg_jobs.c), as SQLite's sqlite_record_parts and
 * sqlite_insert_part: in the caller's transaction. Return 0 or -1. */
int pg_record_parts(struct pg_store *s, int64_t job_id, int send, const char *modem,
		    const struct sent_parts *parts, int64_t now, struct errbuf *err);
int pg_insert_part(struct pg_store *s, int64_t job_id, int send, const char *modem, int mr,
		   const char *message_id, int part, int count, int64_t now, struct errbuf *err);
/* Inserts an event of job_id at `at` (client/imei/product/bytes/size from
 * ev when not NULL; code < 0: none) and raises the job's furthest step to
 * the event's, in the caller's transaction, as sqlite_insert_event.
 * Returns 0 or -1 ("no such job"). Defined in pg_jobs.c (mark_sent needs
 * it); the event operations of pg_events.c use it too. */
int pg_insert_event(struct pg_store *s, int64_t job_id, enum event_kind kind, int64_t at,
		    int code, const struct job_event *ev, struct errbuf *err);

/* The operations, by file. */
int pg_schema_version(struct store *s);
int pg_data_version(struct store *s, int64_t *out, struct errbuf *err);
int pg_wake_fd(struct store *s);
int pg_lead(struct store *s, struct errbuf *err);
void pg_set_busy_timeout(struct store *s, int ms);
int pg_set_lock_wait(struct store *s, const struct store_lock_wait *w, struct errbuf *err);

int pg_enqueue(struct store *s, const struct job_new *job, int64_t now, int64_t *id_out,
	       struct errbuf *err);
int pg_claim(struct store *s, const char *modem, int64_t now, struct job *out,
	     struct errbuf *err);
int pg_renew_lease(struct store *s, int64_t now, int64_t *count, struct errbuf *err);
int pg_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		 const struct sent_parts *parts, struct errbuf *err);
int pg_record_part(struct store *s, int64_t id, const char *modem, int mr, int part, int count,
		   int64_t at, struct errbuf *err);
int pg_record_part_id(struct store *s, int64_t id, const char *modem, const char *message_id,
		      int part, int count, int64_t at, struct errbuf *err);
int pg_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		   const struct job_outcome *o, enum job_state *state_out, struct errbuf *err);
int pg_mark_failed(struct store *s, int64_t id, const struct job_outcome *o,
		   struct errbuf *err);
int pg_cancel(struct store *s, int64_t id, int64_t now, struct errbuf *err);
int pg_retry_failed(struct store *s, const struct retry_filter *f, int64_t now, int64_t *count,
		    struct errbuf *err);
int pg_retry_job(struct store *s, int64_t id, int64_t now, struct errbuf *err);
int pg_expire(struct store *s, int64_t now, store_failed_fn *expired, void *arg,
	      int64_t *count, struct errbuf *err);
int pg_recover_interrupted(struct store *s, int64_t now, int *count, struct errbuf *err);
int pg_job_token(struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		 struct errbuf *err);
int pg_get(struct store *s, int64_t id, struct job *out, struct errbuf *err);
int pg_list(struct store *s, const struct job_filter *f,
	    int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err);
int pg_attempts(struct store *s, int64_t id, int (*cb)(const struct attempt *a, void *arg),
		void *arg, struct errbuf *err);
int pg_count_by_state(struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err);
int pg_next_due(struct store *s, int64_t *out, struct errbuf *err);

int pg_apply_notification(struct store *s, const struct job_key *key,
			  const struct store_rules *rules, int64_t now, struct notify_applied *out,
			  struct errbuf *err);
int pg_apply_status_report(struct store *s, const char *modem, int mr, const char *number,
			   const struct store_rules *rules, int64_t now, struct notify_applied *out,
			   struct errbuf *err);
int pg_apply_receipt(struct store *s, const char *modem, const char *message_id,
		     const struct store_rules *rules, int64_t now, struct notify_applied *out,
		     struct errbuf *err);
int pg_apply_deferred(struct store *s, const struct store_rules *rules, int64_t now, int *count,
		      struct errbuf *err);
int pg_apply_unconfirmed(struct store *s, const char *profile, int64_t cutoff,
			 const struct store_rules *rules, int64_t now, int *count,
			 struct errbuf *err);
int pg_set_imei(struct store *s, int64_t id, const char *imei, struct errbuf *err);
int pg_job_info(struct store *s, int64_t id, struct notify_info *out, struct errbuf *err);

int pg_check_begin(struct store *s, const char *rollout, struct store_check **out,
		   struct errbuf *err);
int pg_check_add(struct store_check *c, uint64_t key, const char *msisdn, bool overlap,
		 int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err);
int64_t pg_check_repeats(struct store_check *c,
			 void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			 void *arg, struct errbuf *err);
int pg_check_is_repeat(struct store_check *c, int64_t row, struct errbuf *err);
void pg_check_end(struct store_check *c);
int pg_import_begin(struct store *s, const struct rollout *r, int max_attempts, int64_t now,
		    struct store_import **out, struct errbuf *err);
int pg_import_add(struct store_import *imp, const struct import_unit *u, struct errbuf *err);
int pg_import_commit(struct store_import *imp, struct errbuf *err);
void pg_import_abort(struct store_import *imp);
int pg_rollout_get(struct store *s, const char *name, struct rollout *out, struct errbuf *err);
int pg_rollout_list(struct store *s, int state, int (*cb)(const struct rollout *r, void *arg),
		    void *arg, struct errbuf *err);
int pg_job_meta(struct store *s, int64_t id,
		void (*cb)(const char *key, const char *value, void *arg), void *arg,
		struct errbuf *err);
int pg_rollout_counts(struct store *s, const struct rollout *r, int64_t counts[JOB_STATE_COUNT],
		      int64_t *wave_final, int64_t *wave_failed, struct errbuf *err);
int pg_rollout_reasons(struct store *s, const struct rollout *r, struct rollout_reason *out,
		       size_t max, struct errbuf *err);
int pg_rollout_wave_busy(struct store *s, const struct rollout *r, int wave, struct errbuf *err);
int pg_rollout_pause(struct store *s, const char *name, int64_t now, struct errbuf *err);
int pg_rollout_resume(struct store *s, const char *name, bool gate_open, int64_t next_window_at,
		      int64_t now, struct errbuf *err);
int pg_rollout_cancel(struct store *s, const char *name, int64_t now, int64_t *jobs,
		      struct errbuf *err);
int pg_rollout_set_gate(struct store *s, const char *name, bool gate_open,
			int64_t next_window_at, struct errbuf *err);
int pg_rollout_release(struct store *s, const struct rollout *r, int wave, int64_t now,
		       struct errbuf *err);
int pg_rollout_parked(struct store *s, const struct rollout *r, int wave, struct errbuf *err);
int pg_rollout_advance(struct store *s, const char *name, int64_t now,
		       void (*decide)(const struct rollout *r, const struct wave_facts *f,
				      struct rollout_decision *out),
		       bool *opened, struct errbuf *err);
int pg_download_job(struct store *s, int64_t id, const char *token, struct download_job *out,
		    struct errbuf *err);
int pg_record_download(struct store *s, const struct job_event *ev, struct errbuf *err);
int pg_events(struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg),
	      void *arg, struct errbuf *err);
int pg_rollout_funnel(struct store *s, const struct rollout *r, struct job_funnel *out,
		      struct errbuf *err);
int pg_modem_update(struct store *s, const struct modem_health *h, struct errbuf *err);
int pg_modem_list(struct store *s, int (*cb)(const struct modem_health *h, void *arg), void *arg,
		  struct errbuf *err);
int pg_purge(struct store *s, const struct purge_spec *p, struct purge_result *out,
	     struct errbuf *err);
int pg_audit_add(struct store *s, const struct audit_entry *e, struct errbuf *err);
int pg_audit_list(struct store *s, int limit, int (*cb)(const struct audit_entry *e, void *arg),
		  void *arg, struct errbuf *err);
int pg_rollout_units(struct store *s, const struct unit_filter *f,
		     int (*cb)(const struct unit_row *u, void *arg), void *arg, struct errbuf *err);
int pg_rollout_units_count(struct store *s, const struct unit_filter *f, int64_t *out,
			   struct errbuf *err);
int pg_metrics_read(struct store *s, int64_t now, const struct store_metrics_sink *sink,
		    struct errbuf *err);

#endif
