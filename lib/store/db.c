/* db.c - shared SQLite helpers (see db.h). */
#include "db.h"

#include <stddef.h>

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
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(db, doing, err);
}

void db_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}
