/* pg_db.c - the PostgreSQL helpers every file of the PostgreSQL engine
 * uses: parameters, statements with a reason on failure, column readers,
 * row walks, transactions (see pg_engine.h). */
#include "pg_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlite_engine.h"

/* ---- parameters ---- */

static void param_slot(struct pg_params *p)
{
	if (p->n >= PG_PARAMS_MAX) {
		log_errorx("store: more than %d statement parameters (a bug)", PG_PARAMS_MAX);
		abort();
	}
}

void pg_param_int(struct pg_params *p, int64_t v)
{
	param_slot(p);
	snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, v);
	p->value[p->n] = p->num[p->n];
	p->n++;
}

void pg_param_text(struct pg_params *p, const char *text)
{
	param_slot(p);
	p->value[p->n++] = text;
}

void pg_param_null(struct pg_params *p)
{
	pg_param_text(p, NULL);
}

void pg_param_bool(struct pg_params *p, bool v)
{
	pg_param_int(p, v ? 1 : 0);
}

/* ---- statements ---- */

/* PostgreSQL's messages end with a newline (and libpq's may span lines):
 * one line for a reason. */
static void set_reason(struct errbuf *err, const char *doing, const char *msg)
{
	char line[sizeof err->msg];
	snprintf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
	for (char *c = line; *c; c++) {
		if (*c == '\n' || *c == '\r')
			*c = (c[1] ? ' ' : '\0');
	}
	errbuf_set(err, "%s: %s", doing, line);
}

int pg_fail(struct pg_store *s, const char *doing, struct errbuf *err)
{
	set_reason(err, doing, PQerrorMessage(s->conn));
	return -1;
}

/* The result of a statement: res when it succeeded, else NULL with the
 * reason in err (res cleared). */
static PGresult *checked(struct pg_store *s, PGresult *res, const char *doing, struct errbuf *err)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	set_reason(err, doing, primary ? primary : PQerrorMessage(s->conn));
	PQclear(res);
	return NULL;
}

PGresult *pg_query(struct pg_store *s, const char *sql, const struct pg_params *params,
		   const char *doing, struct errbuf *err)
{
	if (pg_revive(s, err) < 0) {
		errbuf_prefix(err, "%s", doing);
		return NULL;
	}
	return checked(s, PQexecParams(s->conn, sql, params ? params->n : 0, NULL,
				       params ? params->value : NULL, NULL, NULL, 0), doing, err);
}

/* The index of sql among the prepared statements, preparing it if need
 * be; -1 (use the plain path) when the cache is full or preparing failed
 * (the plain path then reports the error). */
static int prepared_index(struct pg_store *s, const char *sql, int nparams)
{
	for (int i = 0; i < s->prepared_count; i++) {
		if (s->prepared[i] == sql)
			return i;
	}
	if (s->prepared_count == PG_PREPARED_MAX)
		return -1;
	char name[16];
	snprintf(name, sizeof name, "h%d", s->prepared_count);
	PGresult *res = PQprepare(s->conn, name, sql, nparams, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return -1;
	s->prepared[s->prepared_count] = sql;
	return s->prepared_count++;
}

PGresult *pg_hot(struct pg_store *s, const char *sql, const struct pg_params *params,
		 const char *doing, struct errbuf *err)
{
	/* Not inside a failed transaction (PQprepare would fail there too),
	 * nor on a broken connection (pg_query revives it or says why). */
	int i = PQtransactionStatus(s->conn) == PQTRANS_INERROR || PQstatus(s->conn) != CONNECTION_OK
			? -1 : prepared_index(s, sql, params ? params->n : 0);
	if (i < 0)
		return pg_query(s, sql, params, doing, err);
	char name[16];
	snprintf(name, sizeof name, "h%d", i);
	return checked(s, PQexecPrepared(s->conn, name, params ? params->n : 0,
					 params ? params->value : NULL, NULL, NULL, 0), doing, err);
}

int64_t pg_hot_run(struct pg_store *s, const char *sql, const struct pg_params *params,
		   const char *doing, struct errbuf *err)
{
	PGresult *res = pg_hot(s, sql, params, doing, err);
	if (!res)
		return -1;
	int64_t n = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n;
}

void pg_hot_forget(struct pg_store *s)
{
	s->prepared_count = 0;
}

int64_t pg_run(struct pg_store *s, const char *sql, const struct pg_params *params,
	       const char *doing, struct errbuf *err)
{
	PGresult *res = pg_query(s, sql, params, doing, err);
	if (!res)
		return -1;
	int64_t n = strtoll(PQcmdTuples(res), NULL, 10);   /* "" for commands without rows */
	PQclear(res);
	return n;
}

int pg_int(struct pg_store *s, const char *sql, const struct pg_params *params,
	   int64_t fallback, int64_t *out, const char *doing, struct errbuf *err)
{
	*out = fallback;
	PGresult *res = pg_query(s, sql, params, doing, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found)
		*out = pg_col_int(res, 0, 0, fallback);
	PQclear(res);
	return found;
}

int pg_walk(struct pg_store *s, const char *sql, const struct pg_params *params,
	    int (*row)(const PGresult *res, int i, void *arg), void *arg, const char *doing,
	    struct errbuf *err)
{
	PGresult *res = pg_query(s, sql, params, doing, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	for (int i = 0; i < n && row(res, i, arg) == 0; i++)
		;
	PQclear(res);
	return 0;
}

/* ---- columns ---- */

bool pg_col_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

int64_t pg_col_int(const PGresult *res, int row, int col, int64_t fallback)
{
	if (pg_col_null(res, row, col))
		return fallback;
	const char *text = PQgetvalue(res, row, col);
	char *end;
	long long v = strtoll(text, &end, 10);
	return end == text || *end ? fallback : (int64_t)v;
}

void pg_col_text(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	snprintf(dst, cap, "%s", pg_col_str(res, row, col));
}

const char *pg_col_str(const PGresult *res, int row, int col)
{
	return pg_col_null(res, row, col) ? "" : PQgetvalue(res, row, col);
}

/* ---- transactions ---- */

int pg_tx_begin(struct pg_tx *t, struct pg_store *s, const char *doing, struct errbuf *err)
{
	t->s = s;
	t->nested = PQtransactionStatus(s->conn) != PQTRANS_IDLE;
	if (pg_run(s, t->nested ? "SAVEPOINT store_op" : "BEGIN ISOLATION LEVEL READ COMMITTED",
		   NULL, doing, err) < 0)
		return -1;
	if (!t->nested)
		s->in_tx = true;
	return 0;
}

int pg_tx_commit(struct pg_tx *t, const char *doing, struct errbuf *err)
{
	int rc = pg_run(t->s, t->nested ? "RELEASE SAVEPOINT store_op" : "COMMIT", NULL, doing,
			err) < 0 ? -1 : 0;
	if (!t->nested && rc == 0)
		t->s->in_tx = false;
	return rc;
}

void pg_tx_rollback(struct pg_tx *t)
{
	PGTransactionStatusType st = PQtransactionStatus(t->s->conn);
	if (!t->nested)
		t->s->in_tx = false;
	if (st == PQTRANS_IDLE || st == PQTRANS_UNKNOWN)
		return;         /* nothing open (or the connection is gone) */
	/* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
	const char *sql = t->nested ? "ROLLBACK TO SAVEPOINT store_op; RELEASE SAVEPOINT store_op"
				    : "ROLLBACK";
	PGresult *res = PQexec(t->s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_errorx("store: rolling back failed: %s", PQerrorMessage(t->s->conn));
	PQclear(res);
}

int pg_notify_wake(struct pg_store *s, struct errbuf *err)
{
	/* The payload names the queue: one database may hold several (a
	 * schema each), whose modems must not count each other's work. */
	struct pg_params p = { 0 };
	pg_param_text(&p, s->schema);
	return pg_run(s, "SELECT pg_notify('" PG_WAKE_CHANNEL "', $1)", &p, "waking idle modems",
		      err) < 0 ? -1 : 0;
}

/* ---- names and rows ---- */

/* The spellings and state lists are the schema's, the same in both
 * engines: the SQLite engine's definitions serve. */
const char *pg_action_name(enum otap_action action)
{
	return sqlite_action_name(action);
}

enum otap_action pg_action_from(const char *name)
{
	return sqlite_action_from(name);
}

const char *pg_final_states(bool confirmation_expected)
{
	return sqlite_final_states(confirmation_expected);
}

const char *pg_open_states(bool confirmation_expected)
{
	return sqlite_open_states(confirmation_expected);
}

void pg_job_from_row(const PGresult *res, int row, int col, struct job *out)
{
	memset(out, 0, sizeof *out);
	out->id = pg_col_int(res, row, col + 0, 0);
	pg_col_text(out->msisdn, sizeof out->msisdn, res, row, col + 1);
	pg_col_text(out->profile, sizeof out->profile, res, row, col + 2);
	out->action = pg_action_from(pg_col_str(res, row, col + 3));
	if (job_state_parse(pg_col_str(res, row, col + 4), &out->state) < 0)
		out->state = JOB_FAILED;        /* unreachable: the CHECK constraint */
	pg_col_text(out->rollout, sizeof out->rollout, res, row, col + 5);
	out->not_before = pg_col_int(res, row, col + 6, 0);
	out->attempts = (int)pg_col_int(res, row, col + 7, 0);
	out->max_attempts = (int)pg_col_int(res, row, col + 8, 0);
	out->created_at = pg_col_int(res, row, col + 9, 0);
	out->updated_at = pg_col_int(res, row, col + 10, 0);
	pg_col_text(out->modem, sizeof out->modem, res, row, col + 11);
	pg_col_text(out->last_error, sizeof out->last_error, res, row, col + 12);
	out->wave = (int)pg_col_int(res, row, col + 13, 0);
	out->reached = (int)pg_col_int(res, row, col + 14, 0);
	out->deadline = pg_col_int(res, row, col + 15, 0);
}

int pg_insert_attempt(struct pg_store *s, int64_t job_id, int64_t started_at,
		      int64_t finished_at, const char *modem, const char *result, int cms_error,
		      const char *mrs, const char *detail, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, job_id);
	pg_param_int(&p, started_at);
	pg_param_int(&p, finished_at);
	pg_param_text(&p, modem);
	pg_param_text(&p, result);
	if (cms_error >= 0)
		pg_param_int(&p, cms_error);
	else
		pg_param_null(&p);
	pg_param_text(&p, mrs);
	pg_param_text(&p, detail);
	return pg_hot_run(s, "INSERT INTO attempts (job_id, started_at, finished_at, modem, result, "
		      "cms_error, mrs, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", &p,
		      "recording an attempt", err) < 0 ? -1 : 0;
}
