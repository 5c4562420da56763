/* modem_json.h - the JSON of the modems' health (docs/json.md, "modems"):
 * one shape for `otapctl modems --json` and the admin listener's
 * /api/modems, written by the same function. */
#ifndef OTAP_MODEM_JSON_H
#define OTAP_MODEM_JSON_H

#include <stdint.h>
#include "json.h"
#include "modem_roster.h"

/* An array with one object per entry of r, as seen at now (wall ms):
 * name, condition, seen, stale, usable, state, why, since, registration,
 * creg_stat, operator, rssi, signal_dbm, signal_bars, model, revision,
 * imei, sms_sent, sms_failed, last_error, last_error_at, last_seen. Never
 * fails (the writer records misuse). */
void modem_roster_json(struct json_writer *w, const struct modem_roster *r, int64_t now);

#endif
