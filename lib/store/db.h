/* db.h - small SQLite helpers shared by the modules that keep their own
 * SQL (notify_*, rollout_*): prepare, bind and fail with a reason. */
#ifndef OTAP_DB_H
#define OTAP_DB_H

#include <sqlite3.h>
#include "errbuf.h"

/* Sets err to "<doing>: <sqlite's message>" and returns -1. */
int db_fail(sqlite3 *db, const char *doing, struct errbuf *err);

/* Prepares sql. Returns the statement (the caller finalizes it), or NULL
 * with the reason in err. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, const char *doing, struct errbuf *err);

/* Steps st once: 1 when it gave a row, 0 when it is done, -1 (reason in
 * err) on an error. Does not reset or finalize st. */
int db_step(sqlite3 *db, sqlite3_stmt *st, const char *doing, struct errbuf *err);

/* Binds text (copied), or NULL when text is NULL. */
void db_bind_text(sqlite3_stmt *st, int idx, const char *text);

#endif
