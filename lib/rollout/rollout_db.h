/* rollout_db.h - SQL helpers shared by the rollout*.c files (internal; not
 * for other modules): statements, transactions, and reading a rollouts row. */
#ifndef OTAP_ROLLOUT_DB_H
#define OTAP_ROLLOUT_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "db.h"
#include "errbuf.h"
#include "rollout.h"

/* The columns rollout_db_read_row() expects, in order. */
#define ROLLOUT_COLUMNS "name, profile, action, window_start_min, window_end_min, tz, " \
	"rate_per_min, waves, current_wave, max_failure_rate, waived_wave, await_confirmation, " \
	"start_at, state, paused_by, pause_reason, total_units, next_send_at, gate_open, " \
	"next_window_at, created_at, updated_at"

/* Steps a statement that returns no rows, then finalizes it. Returns 0 or -1. */
int rollout_db_run(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Runs a statement whose first column of the first row is an integer
 * (NULL reads as fallback, no row too), then finalizes it. Returns 0 or -1. */
int rollout_db_int(sqlite3 *db, sqlite3_stmt *st, int64_t fallback, int64_t *out,
		   const char *doing, struct errbuf *err);

/* BEGIN IMMEDIATE (the write lock up front, like lib/queue.c). Refuses to
 * run inside a transaction the caller opened. Returns 0 or -1. */
int rollout_db_begin(sqlite3 *db, const char *doing, struct errbuf *err);
int rollout_db_commit(sqlite3 *db, const char *doing, struct errbuf *err);
/* Rolls back if a transaction is open; never fails (logs). */
void rollout_db_rollback(sqlite3 *db);

/* Fills *out from a row selected with ROLLOUT_COLUMNS. */
void rollout_db_read_row(sqlite3_stmt *st, struct rollout *out);
/* Reads rollout name. Returns 1, 0 when there is none, -1. */
int rollout_db_load(sqlite3 *db, const char *name, struct rollout *out, struct errbuf *err);

/* The SQL list of non-final job states for r, for "state IN (...)": the
 * complement of rollout_final_states(r) (an IN list, unlike NOT IN, lets
 * SQLite seek the index). */
void rollout_db_open_states(const struct rollout *r, char *buf, size_t size);
/* 1 when wave (0 = any wave) of r has a job in a non-final state, 0 when
 * not, -1 on error. */
int rollout_db_wave_busy(sqlite3 *db, const struct rollout *r, int wave, struct errbuf *err);
/* Sets r's gate_open/next_window_at from its window at now (no write when
 * they are unchanged). Returns 0, or -1 (zone gone, database error). */
int rollout_db_update_gate(sqlite3 *db, struct rollout *r, int64_t now, struct errbuf *err);
/* Jobs made due (or cancelled) per transaction when a wave opens (or a
 * rollout is cancelled): a wave of 900 000 jobs in one transaction would
 * hold the write lock, and every modem, for seconds. A variable so that
 * tests can make it small. */
#define ROLLOUT_RELEASE_CHUNK 10000
extern int rollout_release_chunk;

/* Opens wave `wave` of r: current_wave = wave, and the first chunk of its
 * parked jobs becomes due at now (or start_at, whichever is later); the
 * tick releases the rest (rollout_db_release). Inside the caller's
 * transaction. Returns 0 or -1. */
int rollout_db_open_wave(sqlite3 *db, struct rollout *r, int wave, int64_t now,
			 struct errbuf *err);
/* Makes up to rollout_release_chunk parked jobs (not_before =
 * QUEUE_WAITING_FOR_WAVE) of r's wave due. Returns how many, or -1. */
int rollout_db_release(sqlite3 *db, const struct rollout *r, int wave, int64_t now,
		       struct errbuf *err);
/* 1 when r's wave still has parked jobs, 0 when not, -1. */
int rollout_db_parked(sqlite3 *db, const struct rollout *r, int wave, struct errbuf *err);

#endif
