/* modem_json.c - the modems array of modem_json.h. */
#include "modem_json.h"

static void entry_json(struct json_writer *w, const struct modem_roster_entry *e, int64_t now)
{
	const struct modem_health *h = &e->h;
	char cond[320];
	modem_roster_describe(e, now, cond, sizeof cond);
	json_begin_object(w);
	json_member_string(w, "name", h->name);
	json_member_string(w, "condition", cond);
	json_member_bool(w, "seen", e->seen);
	json_member_bool(w, "stale", e->seen && modem_health_stale(h, now));
	json_member_bool(w, "usable", modem_roster_usable(e, now));
	json_member_string(w, "state", e->seen ? modem_state_name(h->state) : NULL);
	json_member_text_or_null(w, "why", h->why);
	json_member_time_or_null(w, "since", h->state_since);
	json_member_string(w, "registration", e->seen ? modem_registration_words(h->creg_stat) : NULL);
	json_member_int_or_null(w, "creg_stat", h->creg_stat >= 0, h->creg_stat);
	json_member_text_or_null(w, "operator", h->operator_name);
	json_member_int_or_null(w, "rssi", h->rssi >= 0, h->rssi);
	json_member_int_or_null(w, "signal_dbm", modem_signal_known(h->rssi),
				modem_signal_dbm(h->rssi));
	json_member_int(w, "signal_bars", modem_signal_bars(h->rssi));
	json_member_text_or_null(w, "model", h->model);
	json_member_text_or_null(w, "revision", h->revision);
	json_member_text_or_null(w, "imei", h->imei);
	json_member_int(w, "sms_sent", h->sms_sent);
	json_member_int(w, "sms_failed", h->sms_failed);
	json_member_text_or_null(w, "last_error", h->last_error);
	json_member_time_or_null(w, "last_error_at", h->last_error_at);
	json_member_time_or_null(w, "last_seen", h->last_seen);
	json_end_object(w);
}

void modem_roster_json(struct json_writer *w, const struct modem_roster *r, int64_t now)
{
	json_begin_array(w);
	for (size_t i = 0; i < r->n; i++)
		entry_json(w, &r->v[i], now);
	json_end_array(w);
}
