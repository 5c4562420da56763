/* pg_modems.c - the PostgreSQL engine's modem health rows: the worker's
 * upsert and the readers' list (see store_modems.h; the SQLite twin is
 * sqlite_modems.c). */
#include "pg_shared.h"

#include <string.h>

#define MODEM_COLUMNS "name, state, why, state_since, creg_stat, operator, rssi, model, " \
	"revision, imei, last_error, last_error_at, sms_sent, sms_failed, last_seen"

/* "" is stored as NULL: not known. */
static void param_opt_text(struct pg_params *p, const char *text)
{
	pg_param_text(p, text[0] ? text : NULL);
}

static void param_opt_int(struct pg_params *p, int64_t v, int64_t none)
{
	if (v != none)
		pg_param_int(p, v);
	else
		pg_param_null(p);
}

/* One statement, so a worker's row is never seen half-written; a modem's
 * name is unique across the instances sharing the database. */
int pg_modem_update(struct store *base, const struct modem_health *h, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, h->name);
	pg_param_text(&p, modem_state_name(h->state));
	param_opt_text(&p, h->why);
	pg_param_int(&p, h->state_since);
	param_opt_int(&p, h->creg_stat, -1);
	param_opt_text(&p, h->operator_name);
	param_opt_int(&p, h->rssi, -1);
	param_opt_text(&p, h->model);
	param_opt_text(&p, h->revision);
	param_opt_text(&p, h->imei);
	param_opt_text(&p, h->last_error);
	param_opt_int(&p, h->last_error_at, 0);
	pg_param_int(&p, h->sms_sent);
	pg_param_int(&p, h->sms_failed);
	pg_param_int(&p, h->last_seen);
	return pg_run(pg_of(base), "INSERT INTO modems (" MODEM_COLUMNS ") VALUES ($1, $2, $3, $4, "
		      "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (name) DO UPDATE "
		      "SET state = EXCLUDED.state, why = EXCLUDED.why, state_since = "
		      "EXCLUDED.state_since, creg_stat = EXCLUDED.creg_stat, operator = "
		      "EXCLUDED.operator, rssi = EXCLUDED.rssi, model = EXCLUDED.model, revision = "
		      "EXCLUDED.revision, imei = EXCLUDED.imei, last_error = EXCLUDED.last_error, "
		      "last_error_at = EXCLUDED.last_error_at, sms_sent = EXCLUDED.sms_sent, "
		      "sms_failed = EXCLUDED.sms_failed, last_seen = EXCLUDED.last_seen", &p,
		      "recording a modem's health", err) < 0 ? -1 : 0;
}

struct modem_walk {
	int (*cb)(const struct modem_health *h, void *arg);
	void *arg;
};

static int modem_row(const PGresult *res, int i, void *arg)
{
	const struct modem_walk *w = arg;
	struct modem_health h;
	memset(&h, 0, sizeof h);
	pg_col_text(h.name, sizeof h.name, res, i, 0);
	if (modem_state_parse(pg_col_str(res, i, 1), &h.state) < 0)
		h.state = MODEM_FAILING;        /* unreachable: the CHECK constraint */
	pg_col_text(h.why, sizeof h.why, res, i, 2);
	h.state_since = pg_col_int(res, i, 3, 0);
	h.creg_stat = (int)pg_col_int(res, i, 4, -1);
	pg_col_text(h.operator_name, sizeof h.operator_name, res, i, 5);
	h.rssi = (int)pg_col_int(res, i, 6, -1);
	pg_col_text(h.model, sizeof h.model, res, i, 7);
	pg_col_text(h.revision, sizeof h.revision, res, i, 8);
	pg_col_text(h.imei, sizeof h.imei, res, i, 9);
	pg_col_text(h.last_error, sizeof h.last_error, res, i, 10);
	h.last_error_at = pg_col_int(res, i, 11, 0);
	h.sms_sent = pg_col_int(res, i, 12, 0);
	h.sms_failed = pg_col_int(res, i, 13, 0);
	h.last_seen = pg_col_int(res, i, 14, 0);
	return w->cb(&h, w->arg);
}

int pg_modem_list(struct store *base, int (*cb)(const struct modem_health *h, void *arg),
		  void *arg, struct errbuf *err)
{
	struct modem_walk w = { cb, arg };
	return pg_walk(pg_of(base), "SELECT " MODEM_COLUMNS " FROM modems ORDER BY name"
		       PG_BYTE_ORDER, NULL, modem_row, &w, "reading the modems", err);
}
