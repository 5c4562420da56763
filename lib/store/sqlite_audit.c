/* sqlite_audit.c - the SQLite engine's audit trail of operator actions
 * (see store_audit_add and store_audit_list in store_admin.h). */
#include "sqlite_engine.h"

#include <string.h>

int sqlite_audit_add(struct store *base, const struct audit_entry *e, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "recording an audit entry";
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO audit (at, user, action, args, result) "
				      "VALUES (?1, ?2, ?3, ?4, ?5)", doing, err);
	if (st) {
		sqlite3_bind_int64(st, 1, e->at);
		db_bind_text(st, 2, e->user);
		db_bind_text(st, 3, e->action);
		db_bind_text(st, 4, e->args);
		db_bind_text(st, 5, e->result);
	}
	return db_run_once(db, st, doing, err);
}

struct audit_walk {
	int (*cb)(const struct audit_entry *e, void *arg);
	void *arg;
};

static int audit_row(sqlite3_stmt *st, void *arg)
{
	struct audit_walk *w = arg;
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.id = sqlite3_column_int64(st, 0);
	e.at = sqlite3_column_int64(st, 1);
	db_copy_column(e.user, sizeof e.user, st, 2);
	db_copy_column(e.action, sizeof e.action, st, 3);
	db_copy_column(e.args, sizeof e.args, st, 4);
	db_copy_column(e.result, sizeof e.result, st, 5);
	return w->cb(&e, w->arg);
}

int sqlite_audit_list(struct store *base, int limit,
		      int (*cb)(const struct audit_entry *e, void *arg), void *arg,
		      struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "listing the audit trail";
	struct audit_walk w = { cb, arg };
	sqlite3_stmt *st = db_prepare(db, "SELECT id, at, user, action, args, result FROM audit "
				      "ORDER BY id DESC LIMIT ?1", doing, err);
	if (st)
		sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	return db_walk(db, st, audit_row, &w, doing, err);
}
