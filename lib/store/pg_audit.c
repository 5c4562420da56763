/* pg_audit.c - the PostgreSQL engine's audit trail of operator actions
 * (see store_audit_add and store_audit_list in store_admin.h; the SQLite
 * twin is sqlite_audit.c). "user" is a reserved word here: quoted. */
#include "pg_shared.h"

#include <string.h>

int pg_audit_add(struct store *base, const struct audit_entry *e, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, e->at);
	pg_param_text(&p, e->user);
	pg_param_text(&p, e->action);
	pg_param_text(&p, e->args);
	pg_param_text(&p, e->result);
	return pg_run(pg_of(base), "INSERT INTO audit (at, \"user\", action, args, result) "
		      "VALUES ($1, $2, $3, $4, $5)", &p, "recording an audit entry", err) < 0 ? -1 : 0;
}

struct audit_walk {
	int (*cb)(const struct audit_entry *e, void *arg);
	void *arg;
};

static int audit_row(const PGresult *res, int i, void *arg)
{
	const struct audit_walk *w = arg;
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.id = pg_col_int(res, i, 0, 0);
	e.at = pg_col_int(res, i, 1, 0);
	pg_col_text(e.user, sizeof e.user, res, i, 2);
	pg_col_text(e.action, sizeof e.action, res, i, 3);
	pg_col_text(e.args, sizeof e.args, res, i, 4);
	pg_col_text(e.result, sizeof e.result, res, i, 5);
	return w->cb(&e, w->arg);
}

/* limit <= 0: all (LIMIT NULL is no limit). */
int pg_audit_list(struct store *base, int limit, int (*cb)(const struct audit_entry *e, void *arg),
		  void *arg, struct errbuf *err)
{
	struct pg_params p = { 0 };
	if (limit > 0)
		pg_param_int(&p, limit);
	else
		pg_param_null(&p);
	struct audit_walk w = { cb, arg };
	return pg_walk(pg_of(base), "SELECT id, at, \"user\", action, args, result FROM audit "
		       "ORDER BY id DESC LIMIT $1", &p, audit_row, &w, "listing the audit trail",
		       err);
}
