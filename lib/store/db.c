/* db.c - the SQLite helpers of the SQLite engine (see db.h). */
#include "db.h"

#include <stdio.h>

#include "log.h"

int db_fault_countdown;

/* True when the test hook says this call fails. */
static bool fault_now(void)
{
	return db_fault_countdown > 0 && --db_fault_countdown == 0;
}

static int injected(const char *doing, struct errbuf *err)
{
	return errbuf_set(err, "%s: database is locked (injected fault)", doing);
}

int db_fail(sqlite3 *db, const char *doing, struct errbuf *err)
{
	return errbuf_set(err, "%s: %s", doing, sqlite3_errmsg(db));
}

sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, const char *doing, struct errbuf *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(db, doing, err);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int db_step(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	if (fault_now())
		return injected(doing, err);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(db, doing, err);
}

int db_run(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	int rc;
	while ((rc = db_step(db, st, doing, err)) == 1)
		;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int db_run_once(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	if (!st)
		return -1;
	int rc = db_run(db, st, doing, err);
	sqlite3_finalize(st);
	return rc;
}

int db_exists(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err)
{
	if (!st)
		return -1;
	int found = db_step(db, st, doing, err);
	sqlite3_finalize(st);
	return found;
}

int db_int(sqlite3 *db, sqlite3_stmt *st, int64_t fallback, int64_t *out, const char *doing,
	   struct errbuf *err)
{
	*out = fallback;
	if (!st)
		return -1;
	int found = db_step(db, st, doing, err);
	if (found > 0)
		*out = db_column_or(st, 0, fallback);
	sqlite3_finalize(st);
	return found < 0 ? -1 : 0;
}

int db_walk(sqlite3 *db, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *arg), void *arg,
	    const char *doing, struct errbuf *err)
{
	if (!st)
		return -1;
	int rc;
	while ((rc = db_step(db, st, doing, err)) == 1) {
		if (row(st, arg) != 0) {
			rc = 0;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int db_exec(sqlite3 *db, const char *sql, const char *doing, struct errbuf *err)
{
	if (fault_now())
		return injected(doing, err);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, doing, err);
	return 0;
}

void db_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

void db_copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

int64_t db_column_or(sqlite3_stmt *st, int col, int64_t fallback)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? fallback : sqlite3_column_int64(st, col);
}

int db_tx_begin(struct db_tx *t, sqlite3 *db, const char *doing, struct errbuf *err)
{
	t->db = db;
	t->nested = !sqlite3_get_autocommit(db);
	return db_exec(db, t->nested ? "SAVEPOINT store_op" : "BEGIN IMMEDIATE", doing, err);
}

int db_tx_commit(struct db_tx *t, const char *doing, struct errbuf *err)
{
	return db_exec(t->db, t->nested ? "RELEASE store_op" : "COMMIT", doing, err);
}

void db_tx_rollback(struct db_tx *t)
{
	if (sqlite3_get_autocommit(t->db))
		return;         /* SQLite already rolled everything back */
	/* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
	const char *sql = t->nested ? "ROLLBACK TO store_op; RELEASE store_op" : "ROLLBACK";
	if (sqlite3_exec(t->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		log_errorx("store: rolling back failed: %s", sqlite3_errmsg(t->db));
}
