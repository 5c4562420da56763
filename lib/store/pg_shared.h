/* pg_shared.h - what the PostgreSQL engine's topic files (reports,
 * rollouts, import, check, events, purge, metrics) share beyond
 * pg_engine.h: the job view and rollout rows, the staged import's
 * ownership, COPY FROM STDIN. Internal to lib/store. */
#ifndef OTAP_PG_SHARED_H
#define OTAP_PG_SHARED_H

#include "pg_engine.h"

/* ---- rows ---- */

/* Columns for pg_view_from_row(), starting at col; the jobs table is
 * aliased j (as SQLITE_VIEW_COLUMNS). */
#define PG_VIEW_COLUMNS "j.id, j.state, j.action, j.attempts, j.max_attempts, " \
	"j.notify_code, j.notified_at, j.sent_at, j.msisdn, j.notify_text, j.notify_pending"
void pg_view_from_row(const PGresult *res, int row, int col, struct job_view *j);

/* Columns for pg_rollout_from_row(), in order (as SQLITE_ROLLOUT_COLUMNS). */
#define PG_ROLLOUT_COLUMNS "name, profile, action, window_start_min, window_end_min, tz, " \
	"rate_per_min, waves, current_wave, max_failure_rate, waived_wave, await_confirmation, " \
	"start_at, state, paused_by, pause_reason, total_units, next_send_at, gate_open, " \
	"next_window_at, created_at, updated_at, preflight, importer_pid, deadline"
void pg_rollout_from_row(const PGresult *res, int row, struct rollout *out);
/* Reads rollout name; with lock, FOR UPDATE (the caller is in a
 * transaction and decides under that lock: it is what makes several
 * instances take turns on a rollout). Returns 1, 0 when there is none, -1. */
int pg_rollout_load(struct pg_store *s, const char *name, bool lock, struct rollout *out,
		    struct errbuf *err);

/* Text sorts as SQLite's (bytes), whatever the database's collation, so
 * that both engines list in the same order. */
#define PG_BYTE_ORDER " COLLATE \"C\""

/* ---- rollouts being imported (pg_staging.c) ---- */

/* An import holds a session-level advisory lock on its rollout's name
 * from its start to its end, so "is its importer still running?" is "is
 * the lock held?", answered by the server for otapctls on any host (a
 * process id would only mean something on the host that wrote it). The
 * lock goes with the importer's connection when it dies.
 *
 * Takes the lock of name. Returns 1, 0 when another session holds it, -1. */
int pg_import_lock(struct pg_store *s, const char *name, struct errbuf *err);
/* Releases it (errors are logged: the session's end releases it too). */
void pg_import_unlock(struct pg_store *s, const char *name);
/* With the lock held: deletes rollout name if it is importing, with its
 * staged jobs, a short transaction at a time, the row last. Returns 1
 * with *jobs (may be NULL) set, 0 when name is not an importing rollout,
 * -1. */
int pg_staged_delete(struct pg_store *s, const char *name, int64_t *jobs, struct errbuf *err);
/* With the lock held: importing -> active with total_units = units, if
 * this session is still its importer. Returns 0 or -1. */
int pg_staged_activate(struct pg_store *s, const char *name, int64_t units, int64_t now,
		       struct errbuf *err);

/* The import writes its buffered units with one COPY once they are this
 * many bytes of COPY text (pg_import.c; tests set less, to see an import
 * cut short with some of its units written). */
#define PG_IMPORT_FLUSH_BYTES (4 << 20)
extern int pg_import_flush_bytes;

/* ---- COPY FROM STDIN (pg_copy.c) ---- */

/* Rows in COPY's text format: tab between fields, newline after each
 * row, \N for NULL, and backslash, tab, newline and carriage return
 * escaped inside a value (so a value may hold any byte but NUL). */
struct pg_copybuf {
	char *data;
	size_t len, cap;
	bool oom;                       /* an append failed: the rows are incomplete */
	bool row_open;                  /* a field was added to the current row */
};
void pg_copy_text(struct pg_copybuf *b, const char *text, size_t len);
void pg_copy_str(struct pg_copybuf *b, const char *text);      /* NULL = \N */
void pg_copy_int(struct pg_copybuf *b, int64_t v);
void pg_copy_null(struct pg_copybuf *b);
void pg_copy_end_row(struct pg_copybuf *b);
/* Empties b, keeping its memory. */
void pg_copy_reset(struct pg_copybuf *b);
void pg_copy_free(struct pg_copybuf *b);
/* Runs copy_sql ("COPY t (cols) FROM STDIN") with b's rows as its data.
 * Returns the number of rows copied, or -1 with "<doing>: <reason>". */
int64_t pg_copy_in(struct pg_store *s, const char *copy_sql, const struct pg_copybuf *b,
		   const char *doing, struct errbuf *err);

#endif
