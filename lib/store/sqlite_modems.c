/* sqlite_modems.c - the SQLite engine's modem health rows: the worker's
 * upsert and the readers' list (see store_modems.h). */
#include "sqlite_engine.h"

#include <string.h>

#define MODEM_COLUMNS "name, state, why, state_since, creg_stat, operator, rssi, model, " \
	"revision, imei, last_error, last_error_at, sms_sent, sms_failed, last_seen"

/* "" is stored as NULL: not known. */
static void bind_opt_text(sqlite3_stmt *st, int idx, const char *text)
{
	db_bind_text(st, idx, text[0] ? text : NULL);
}

static void bind_opt_int(sqlite3_stmt *st, int idx, int64_t v, int64_t none)
{
	if (v != none)
		sqlite3_bind_int64(st, idx, v);
}

int sqlite_modem_update(struct store *base, const struct modem_health *h, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "recording a modem's health";
	sqlite3_stmt *st = db_prepare(s->db, "INSERT OR REPLACE INTO modems (" MODEM_COLUMNS ") "
				      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
				      "?13, ?14, ?15)", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, h->name);
	db_bind_text(st, 2, modem_state_name(h->state));
	bind_opt_text(st, 3, h->why);
	sqlite3_bind_int64(st, 4, h->state_since);
	bind_opt_int(st, 5, h->creg_stat, -1);
	bind_opt_text(st, 6, h->operator_name);
	bind_opt_int(st, 7, h->rssi, -1);
	bind_opt_text(st, 8, h->model);
	bind_opt_text(st, 9, h->revision);
	bind_opt_text(st, 10, h->imei);
	bind_opt_text(st, 11, h->last_error);
	bind_opt_int(st, 12, h->last_error_at, 0);
	sqlite3_bind_int64(st, 13, h->sms_sent);
	sqlite3_bind_int64(st, 14, h->sms_failed);
	sqlite3_bind_int64(st, 15, h->last_seen);
	return db_run_once(s->db, st, doing, err);
}

static void modem_from_row(sqlite3_stmt *st, struct modem_health *h)
{
	char state[16];
	memset(h, 0, sizeof *h);
	db_copy_column(h->name, sizeof h->name, st, 0);
	db_copy_column(state, sizeof state, st, 1);
	if (modem_state_parse(state, &h->state) < 0)
		h->state = MODEM_FAILING;       /* unreachable: the CHECK constraint */
	db_copy_column(h->why, sizeof h->why, st, 2);
	h->state_since = db_column_or(st, 3, 0);
	h->creg_stat = (int)db_column_or(st, 4, -1);
	db_copy_column(h->operator_name, sizeof h->operator_name, st, 5);
	h->rssi = (int)db_column_or(st, 6, -1);
	db_copy_column(h->model, sizeof h->model, st, 7);
	db_copy_column(h->revision, sizeof h->revision, st, 8);
	db_copy_column(h->imei, sizeof h->imei, st, 9);
	db_copy_column(h->last_error, sizeof h->last_error, st, 10);
	h->last_error_at = db_column_or(st, 11, 0);
	h->sms_sent = db_column_or(st, 12, 0);
	h->sms_failed = db_column_or(st, 13, 0);
	h->last_seen = db_column_or(st, 14, 0);
}

int sqlite_modem_list(struct store *base, int (*cb)(const struct modem_health *h, void *arg),
		      void *arg, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "reading the modems";
	sqlite3_stmt *st = db_prepare(s->db, "SELECT " MODEM_COLUMNS " FROM modems ORDER BY name",
				      doing, err);
	if (!st)
		return -1;
	int rc;
	struct modem_health h;
	while ((rc = db_step(s->db, st, doing, err)) == 1) {
		modem_from_row(st, &h);
		if (cb(&h, arg) != 0) {
			rc = 0;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}
