/* db.h - the SQLite helpers every file of the SQLite engine uses: one
 * transaction style, prepare/bind/step with a reason on failure, column
 * readers, and a fault-injection hook for tests. Internal to lib/store. */
#ifndef OTAP_DB_H
#define OTAP_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

/* Sets err to "<doing>: <sqlite's message>" and returns -1. Call before
 * anything else touches the connection (ROLLBACK would replace the
 * message). */
int db_fail(sqlite3 *db, const char *doing, struct errbuf *err);

/* Prepares sql. Returns the statement (the caller finalizes it), or NULL
 * with the reason in err. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, const char *doing, struct errbuf *err);

/* Steps st once: 1 when it gave a row, 0 when it is done, -1 (reason in
 * err) on an error. Does not reset or finalize st. */
int db_step(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Steps st until it is done (a statement returning no rows, or RETURNING
 * rows nobody reads), then resets it and clears its bindings for reuse.
 * Returns 0 or -1. */
int db_run(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* db_run, then finalizes st (NULL st: -1, the reason already in err). */
int db_run_once(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Steps st once and finalizes it: 1 when it gave a row, 0 when not, -1. */
int db_exists(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);
/* Runs st (NULL: -1) and puts its first column of the first row into *out
 * (fallback for NULL or no row), then finalizes it. Returns 0 or -1. */
int db_int(sqlite3 *db, sqlite3_stmt *st, int64_t fallback, int64_t *out, const char *doing,
	   struct errbuf *err);
/* Steps st (NULL: -1) and calls row(st, arg) for each row until it returns
 * non-zero, then finalizes st. Returns 0 (also when row stopped the walk)
 * or -1. */
int db_walk(sqlite3 *db, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *arg), void *arg,
	    const char *doing, struct errbuf *err);
/* Runs a statement without parameters or rows (PRAGMA, BEGIN). Returns 0 or -1. */
int db_exec(sqlite3 *db, const char *sql, const char *doing, struct errbuf *err);

/* Binds text (copied), or NULL when text is NULL. */
void db_bind_text(sqlite3_stmt *st, int idx, const char *text);
/* Copies a text column ("" for NULL) into dst. */
void db_copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col);
/* An integer column, fallback for NULL. */
int64_t db_column_or(sqlite3_stmt *st, int col, int64_t fallback);

/* One write transaction: BEGIN IMMEDIATE, so the write lock is taken up
 * front and two writers (otapd's modem threads, otapctl) serialise on it
 * through the busy timeout instead of failing halfway through; or, when
 * the connection is already inside a transaction, a savepoint in it, so
 * that an operation is all-or-nothing without ending its caller's. */
struct db_tx {
	sqlite3 *db;
	bool nested;
};
/* Returns 0 or -1. */
int db_tx_begin(struct db_tx *t, sqlite3 *db, const char *doing, struct errbuf *err);
/* Returns 0 or -1 (then call db_tx_rollback). */
int db_tx_commit(struct db_tx *t, const char *doing, struct errbuf *err);
/* Undoes the transaction (also the normal end of one that found nothing to
 * do), unless SQLite already rolled it back itself. Failures are only
 * logged: the caller is already returning the error that matters. */
void db_tx_rollback(struct db_tx *t);

/* Fault injection for tests (as sqlite's fault tests do): when set to
 * N > 0, the Nth db_step/db_run/db_exec from now fails as if the database
 * were locked (SQLITE_BUSY after the busy timeout), and the counter stops
 * at 0. Not thread-safe: tests only. */
extern int db_fault_countdown;

#endif
