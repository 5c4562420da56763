/* modem_json.c - the modems array of modem_json.h. */
#include "modem_json.h"

static void member_opt_string(struct json_writer *w, const char *key, const char *s)
{
	json_member_string(w, key, s[0] ? s : NULL);
}

static void member_opt_time(struct json_writer *w, const char *key, int64_t ms)
{
	json_key(w, key);
	if (ms > 0)
		json_time_ms(w, ms);
	else
		json_null(w);
}

static void member_opt_int(struct json_writer *w, const char *key, bool known, int64_t v)
{
	json_key(w, key);
	if (known)
		json_int(w, v);
	else
		json_null(w);
}

static void member_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

static void entry_json(struct json_writer *w, const struct modem_roster_entry *e, int64_t now)
{
	const struct modem_health *h = &e->h;
	char cond[320];
	modem_roster_describe(e, now, cond, sizeof cond);
	json_begin_object(w);
	json_member_string(w, "name", h->name);
	json_member_string(w, "condition", cond);
	member_bool(w, "seen", e->seen);
	member_bool(w, "stale", e->seen && modem_health_stale(h, now));
	member_bool(w, "usable", modem_roster_usable(e, now));
	json_member_string(w, "state", e->seen ? modem_state_name(h->state) : NULL);
	member_opt_string(w, "why", h->why);
	member_opt_time(w, "since", h->state_since);
	json_member_string(w, "registration", e->seen ? modem_registration_words(h->creg_stat) : NULL);
	member_opt_int(w, "creg_stat", h->creg_stat >= 0, h->creg_stat);
	member_opt_string(w, "operator", h->operator_name);
	member_opt_int(w, "rssi", h->rssi >= 0, h->rssi);
	member_opt_int(w, "signal_dbm", modem_signal_known(h->rssi), modem_signal_dbm(h->rssi));
	json_member_int(w, "signal_bars", modem_signal_bars(h->rssi));
	member_opt_string(w, "model", h->model);
	member_opt_string(w, "revision", h->revision);
	member_opt_string(w, "imei", h->imei);
	json_member_int(w, "sms_sent", h->sms_sent);
	json_member_int(w, "sms_failed", h->sms_failed);
	member_opt_string(w, "last_error", h->last_error);
	member_opt_time(w, "last_error_at", h->last_error_at);
	member_opt_time(w, "last_seen", h->last_seen);
	json_end_object(w);
}

void modem_roster_json(struct json_writer *w, const struct modem_roster *r, int64_t now)
{
	json_begin_array(w);
	for (size_t i = 0; i < r->n; i++)
		entry_json(w, &r->v[i], now);
	json_end_array(w);
}
