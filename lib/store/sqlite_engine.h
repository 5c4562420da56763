/* sqlite_engine.h - the SQLite engine's connection and what its files
 * share: the statement cache, row readers, the job columns. Internal to
 * lib/store (and to tests, which may inspect the database directly).
 *
 * Files: sqlite_open.c (opening, migrations, the operations table),
 * sqlite_jobs.c (job transitions and reads), sqlite_purge.c and
 * sqlite_audit.c (retention and the audit trail), sqlite_reports.c (parts,
 * status reports, notifications), sqlite_rollouts.c (rollouts, their tick
 * and status), sqlite_import.c (creating a rollout with its units).
 */
#ifndef OTAP_SQLITE_ENGINE_H
#define OTAP_SQLITE_ENGINE_H

#include <sqlite3.h>
#include "db.h"
#include "store_engine.h"

/* The job states a rollout's wave counts as final / not final, as SQL
 * lists for "state IN (...)" (an IN list, unlike NOT IN, lets SQLite seek
 * the index). Static strings. */
const char *sqlite_final_states(bool confirmation_expected);
const char *sqlite_open_states(bool confirmation_expected);

/* The waves 1..ROLLOUT_WAVES_MAX as rows w.n of a CTE "wave", for naming
 * every wave of a rollout (one index seek each in jobs_rollout_wave). */
#define SQLITE_WAVES_CTE "WITH RECURSIVE wave(n) AS (SELECT 1 UNION ALL SELECT n + 1 " \
	"FROM wave WHERE n < " SQLITE_WAVES_MAX ") "
#define SQLITE_WAVES_MAX "16"
_Static_assert(ROLLOUT_WAVES_MAX == 16, "SQLITE_WAVES_MAX spells ROLLOUT_WAVES_MAX");

/* Statements used on hot or frequent paths, prepared on first use and kept
 * until the connection closes (the daemon claims and finishes many jobs a
 * second). The SQL is in sqlite_jobs.c. */
enum sqlite_stmt_id {
	ST_INSERT_JOB, ST_PICK, ST_CLAIM, ST_RATE_STEP, ST_GET_JOB, ST_JOB_STATE,
	ST_FINISH_JOB, ST_REVIVE_ROLLOUTS, ST_INSERT_ATTEMPT, ST_CANCEL,
	ST_RECOVER_ATTEMPTS, ST_RECOVER_JOBS, ST_COUNT_BY_STATE, ST_NEXT_DUE,
	ST_PRUNE_PARTS, ST_INSERT_PART, ST_DATA_VERSION,
	ST_COUNT
};

struct sqlite_store {
	struct store base;              /* first: a struct store * is one of these */
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_COUNT];
	struct store_lock_wait wait;    /* with store_set_lock_wait */
	int64_t wait_start;             /* monotonic ms: the current wait began */
	bool noted;                     /* the current wait was noted */
};

/* Installs w as the connection's busy handler (sqlite_lockwait.c). */
int sqlite_set_lock_wait(struct store *s, const struct store_lock_wait *w, struct errbuf *err);

static inline struct sqlite_store *sqlite_of(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* The connection of a SQLite store, or NULL for another engine. For the
 * engine's files and for tests only. */
sqlite3 *store_sqlite_db(struct store *s);

/* Returns the cached statement id, preparing it on first use; NULL with a
 * reason on error. */
sqlite3_stmt *sqlite_stmt(struct sqlite_store *s, enum sqlite_stmt_id id, const char *doing,
			  struct errbuf *err);

/* The stored spelling of an action (part of the schema: the CHECK in
 * 001_init.sql), and back. */
const char *sqlite_action_name(enum otap_action action);
enum otap_action sqlite_action_from(const char *name);

/* Columns for sqlite_job_from_row(), in order. */
#define SQLITE_JOB_COLUMNS "id, msisdn, profile, action, state, rollout, not_before, attempts, " \
	"max_attempts, created_at, updated_at, modem, last_error, wave, reached, deadline"
void sqlite_job_from_row(sqlite3_stmt *st, struct job *out);

/* Columns for sqlite_view_from_row(), starting at col; the jobs table is
 * aliased j. */
#define SQLITE_VIEW_COLUMNS "j.id, j.state, j.action, j.attempts, j.max_attempts, " \
	"j.notify_code, j.notified_at, j.sent_at, j.msisdn, j.notify_text, j.notify_pending"
void sqlite_view_from_row(sqlite3_stmt *st, int col, struct job_view *j);

/* Inserts one attempt row. Returns 0 or -1. */
int sqlite_insert_attempt(struct sqlite_store *s, int64_t job_id, int64_t started_at,
			  int64_t finished_at, const char *modem, const char *result,
			  int cms_error, const char *mrs, const char *detail, struct errbuf *err);

/* Columns for sqlite_rollout_from_row(), in order. */
#define SQLITE_ROLLOUT_COLUMNS "name, profile, action, window_start_min, window_end_min, tz, " \
	"rate_per_min, waves, current_wave, max_failure_rate, waived_wave, await_confirmation, " \
	"start_at, state, paused_by, pause_reason, total_units, next_send_at, gate_open, " \
	"next_window_at, created_at, updated_at, preflight, importer_pid, deadline"
void sqlite_rollout_from_row(sqlite3_stmt *st, struct rollout *out);
/* Reads rollout name. Returns 1, 0 when there is none, -1. */
int sqlite_rollout_load(sqlite3 *db, const char *name, struct rollout *out, struct errbuf *err);

/* Writers never hold the lock long: big writes (imports, expiry,
 * deleting an interrupted import) commit after store_write_slice_ms of
 * work (store_rollouts.h), then pause so that a waiting writer (a modem's
 * claim, sleeping in SQLite's busy handler) gets the lock before the next
 * slice. */
#define SQLITE_WRITE_PAUSE_MS 10
/* Sleeps SQLITE_WRITE_PAUSE_MS (sqlite_staging.c). */
void sqlite_write_pause(void);

/* Rollouts being imported (sqlite_staging.c). True when r is importing
 * and its importer is another process that still runs. */
bool sqlite_import_running(const struct rollout *r);
/* Deletes the interrupted import of rollout name (state importing, its
 * importer gone) with its jobs, a short transaction at a time, the row
 * last. Returns 1 with *jobs (may be NULL) set, 0 when name is not an
 * importing rollout, -1 (refused while its importer runs, or an error). */
int sqlite_staged_delete(sqlite3 *db, const char *name, int64_t *jobs, struct errbuf *err);
/* importing -> active with total_units = units, if this process is still
 * its importer. Returns 0 or -1. */
int sqlite_staged_activate(sqlite3 *db, const char *name, int64_t units, int64_t now,
			   struct errbuf *err);

/* The operations, by file. */
int sqlite_enqueue(struct store *s, const struct job_new *job, int64_t now, int64_t *id_out,
		   struct errbuf *err);
int sqlite_claim(struct store *s, const char *modem, int64_t now, struct job *out,
		 struct errbuf *err);
int sqlite_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		     const struct sent_parts *parts, struct errbuf *err);
int sqlite_record_part(struct store *s, int64_t id, const char *modem, int mr, int part,
		       int count, int64_t at, struct errbuf *err);
int sqlite_record_part_id(struct store *s, int64_t id, const char *modem,
			  const char *message_id, int part, int count, int64_t at,
			  struct errbuf *err);
int sqlite_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		       const struct job_outcome *o, enum job_state *state_out, struct errbuf *err);
int sqlite_mark_failed(struct store *s, int64_t id, const struct job_outcome *o,
		       struct errbuf *err);
int sqlite_cancel(struct store *s, int64_t id, int64_t now, struct errbuf *err);
int sqlite_retry_failed(struct store *s, const struct retry_filter *f, int64_t now,
			int64_t *count, struct errbuf *err);
int sqlite_retry_job(struct store *s, int64_t id, int64_t now, struct errbuf *err);
int sqlite_expire(struct store *s, int64_t now, store_failed_fn *expired, void *arg,
		  int64_t *count, struct errbuf *err);
int sqlite_recover_interrupted(struct store *s, int64_t now, int *count, struct errbuf *err);
int sqlite_job_token(struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		     struct errbuf *err);
int sqlite_get(struct store *s, int64_t id, struct job *out, struct errbuf *err);
int sqlite_list(struct store *s, const struct job_filter *f,
		int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err);
int sqlite_attempts(struct store *s, int64_t id, int (*cb)(const struct attempt *a, void *arg),
		    void *arg, struct errbuf *err);
int sqlite_count_by_state(struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err);
int sqlite_next_due(struct store *s, int64_t *out, struct errbuf *err);

int sqlite_record_parts(struct sqlite_store *s, int64_t job_id, int send, const char *modem,
			const struct sent_parts *parts, int64_t now, struct errbuf *err);
/* Inserts one part of send `send` of job_id (pruning older parts of the
 * same modem and MR), in the caller's transaction; message_id NULL for a
 * modem's part. Returns 0 or -1. */
int sqlite_insert_part(struct sqlite_store *s, int64_t job_id, int send, const char *modem,
		       int mr, const char *message_id, int part, int count, int64_t now,
		       struct errbuf *err);
int sqlite_apply_notification(struct store *s, const struct job_key *key,
			      const struct store_rules *rules, int64_t now,
			      struct notify_applied *out, struct errbuf *err);
int sqlite_apply_status_report(struct store *s, const char *modem, int mr, const char *number,
			       const struct store_rules *rules, int64_t now,
			       struct notify_applied *out, struct errbuf *err);
int sqlite_apply_receipt(struct store *s, const char *modem, const char *message_id,
			 const struct store_rules *rules, int64_t now,
			 struct notify_applied *out, struct errbuf *err);
int sqlite_apply_deferred(struct store *s, const struct store_rules *rules, int64_t now,
			  int *count, struct errbuf *err);
int sqlite_apply_unconfirmed(struct store *s, const char *profile, int64_t cutoff,
			     const struct store_rules *rules, int64_t now, int *count,
			     struct errbuf *err);
int sqlite_set_imei(struct store *s, int64_t id, const char *imei, struct errbuf *err);
int sqlite_job_info(struct store *s, int64_t id, struct notify_info *out, struct errbuf *err);
int sqlite_rollout_units(struct store *s, const struct unit_filter *f,
			 int (*cb)(const struct unit_row *u, void *arg), void *arg,
			 struct errbuf *err);
int sqlite_rollout_units_count(struct store *s, const struct unit_filter *f, int64_t *out,
			       struct errbuf *err);

int sqlite_import_begin(struct store *s, const struct rollout *r, int max_attempts, int64_t now,
			struct store_import **out, struct errbuf *err);
int sqlite_import_add(struct store_import *imp, const struct import_unit *u, struct errbuf *err);
int sqlite_import_commit(struct store_import *imp, struct errbuf *err);
void sqlite_import_abort(struct store_import *imp);

int sqlite_check_begin(struct store *s, const char *rollout, struct store_check **out,
		       struct errbuf *err);
int sqlite_check_add(struct store_check *c, uint64_t key, const char *msisdn, bool overlap,
		     int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err);
int64_t sqlite_check_repeats(struct store_check *c,
			     void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			     void *arg, struct errbuf *err);
int sqlite_check_is_repeat(struct store_check *c, int64_t row, struct errbuf *err);
void sqlite_check_end(struct store_check *c);

int sqlite_rollout_get(struct store *s, const char *name, struct rollout *out,
		       struct errbuf *err);
int sqlite_rollout_list(struct store *s, int state, int (*cb)(const struct rollout *r, void *arg),
			void *arg, struct errbuf *err);
int sqlite_job_meta(struct store *s, int64_t id,
		    void (*cb)(const char *key, const char *value, void *arg), void *arg,
		    struct errbuf *err);
int sqlite_rollout_counts(struct store *s, const struct rollout *r,
			  int64_t counts[JOB_STATE_COUNT], int64_t *wave_final, int64_t *wave_failed,
			  struct errbuf *err);
int sqlite_rollout_reasons(struct store *s, const struct rollout *r, struct rollout_reason *out,
			   size_t max, struct errbuf *err);
int sqlite_rollout_wave_busy(struct store *s, const struct rollout *r, int wave,
			     struct errbuf *err);
int sqlite_rollout_pause(struct store *s, const char *name, int64_t now, struct errbuf *err);
int sqlite_rollout_resume(struct store *s, const char *name, bool gate_open,
			  int64_t next_window_at, int64_t now, struct errbuf *err);
int sqlite_rollout_cancel(struct store *s, const char *name, int64_t now, int64_t *jobs,
			  struct errbuf *err);
int sqlite_rollout_set_gate(struct store *s, const char *name, bool gate_open,
			    int64_t next_window_at, struct errbuf *err);
int sqlite_rollout_release(struct store *s, const struct rollout *r, int wave, int64_t now,
			   struct errbuf *err);
int sqlite_rollout_parked(struct store *s, const struct rollout *r, int wave,
			  struct errbuf *err);
int sqlite_download_job(struct store *s, int64_t id, const char *token,
			struct download_job *out, struct errbuf *err);
int sqlite_record_download(struct store *s, const struct job_event *ev, struct errbuf *err);
int sqlite_events(struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg),
		  void *arg, struct errbuf *err);
int sqlite_rollout_funnel(struct store *s, const struct rollout *r, struct job_funnel *out,
			  struct errbuf *err);
/* Inserts an event of job_id at `at` (client/imei/product/bytes/size from
 * ev when not NULL) and raises the job's furthest step to the event's, in
 * the caller's transaction. Returns 0 or -1. */
int sqlite_insert_event(struct sqlite_store *s, int64_t job_id, enum event_kind kind,
			int64_t at, int code, const struct job_event *ev, struct errbuf *err);

int sqlite_rollout_advance(struct store *s, const char *name, int64_t now,
			   void (*decide)(const struct rollout *r, const struct wave_facts *f,
					  struct rollout_decision *out),
			   bool *opened, struct errbuf *err);

int sqlite_modem_update(struct store *s, const struct modem_health *h, struct errbuf *err);
int sqlite_modem_list(struct store *s, int (*cb)(const struct modem_health *h, void *arg),
		      void *arg, struct errbuf *err);

int sqlite_purge(struct store *s, const struct purge_spec *p, struct purge_result *out,
		 struct errbuf *err);
int sqlite_audit_add(struct store *s, const struct audit_entry *e, struct errbuf *err);
int sqlite_audit_list(struct store *s, int limit,
		      int (*cb)(const struct audit_entry *e, void *arg), void *arg,
		      struct errbuf *err);
int sqlite_metrics_read(struct store *s, int64_t now, const struct store_metrics_sink *sink,
			struct errbuf *err);

#endif
