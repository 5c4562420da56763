/* modem_health.c - the pure readings of a modem's health (modem_health.h). */
#include "modem_health.h"

#include <string.h>

static const char *const state_names[MODEM_STATE_COUNT] = {
	[MODEM_CONNECTING] = "connecting",
	[MODEM_INITIALISING] = "initialising",
	[MODEM_READY] = "ready",
	[MODEM_SENDING] = "sending",
	[MODEM_FAILING] = "failing",
	[MODEM_DISABLED] = "disabled",
};

const char *modem_state_name(enum modem_state state)
{
	return (unsigned)state < MODEM_STATE_COUNT ? state_names[state] : "unknown";
}

int modem_state_parse(const char *name, enum modem_state *out)
{
	for (int i = 0; name && i < MODEM_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum modem_state)i;
			return 0;
		}
	}
	return -1;
}

const char *modem_registration_words(int creg_stat)
{
	switch (creg_stat) {
	case 0: return "not registered";
	case 1: return "home";
	case 2: return "searching";
	case 3: return "denied";
	case 5: return "roaming";
	default: return "unknown";      /* 4 is "unknown" in 27.007 too */
	}
}

bool modem_signal_known(int rssi)
{
	return rssi >= 0 && rssi <= 31;
}

int modem_signal_dbm(int rssi)
{
	return -113 + 2 * rssi;
}

int modem_signal_bars(int rssi)
{
	if (!modem_signal_known(rssi))
		return 0;
	int dbm = modem_signal_dbm(rssi);
	if (dbm >= -73)
		return 5;
	if (dbm >= -83)
		return 4;
	if (dbm >= -93)
		return 3;
	if (dbm >= -101)
		return 2;
	if (dbm >= -107)
		return 1;
	return 0;
}

bool modem_health_stale(const struct modem_health *h, int64_t now)
{
	return now - h->last_seen > MODEM_HEALTH_STALE_MS;
}

bool modem_health_usable(const struct modem_health *h, int64_t now)
{
	return (h->state == MODEM_READY || h->state == MODEM_SENDING) && !modem_health_stale(h, now);
}
