/* modem_health.h - what an operator sees of a modem: its state and why,
 * registration, operator, signal, identity, counters and when otapd last
 * vouched for it; with the pure readings of the raw AT values (+CREG stat
 * in words, +CSQ rssi as dBm and bars) and the staleness rule shared by
 * `otapctl modems`, `otapctl status` and /healthz. No I/O, no clock. */
#ifndef OTAP_MODEM_HEALTH_H
#define OTAP_MODEM_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum modem_state {
	MODEM_CONNECTING,       /* opening the link */
	MODEM_INITIALISING,     /* link open, AT init sequence running */
	MODEM_READY,            /* initialised, idle, may send */
	MODEM_SENDING,          /* initialised, a job is on it */
	MODEM_FAILING,          /* not used for now: why says what failed */
	MODEM_DISABLED,         /* not used until a health check or a restart: why */
	MODEM_STATE_COUNT
};

/* A live otapd rewrites each modem's row at least this often ... */
#define MODEM_HEALTH_REFRESH_MS (30 * 1000)
/* ... so a row older than this means otapd is not running (or stuck). */
#define MODEM_HEALTH_STALE_MS (90 * 1000)

#define MODEM_NAME_MAX 64
#define MODEM_TEXT_MAX 200
#define MODEM_ID_MAX 64

struct modem_health {
	char name[MODEM_NAME_MAX];
	enum modem_state state;
	char why[MODEM_TEXT_MAX];       /* failing/disabled: the reason; else "" */
	int64_t state_since;            /* wall ms: the state changed */
	int creg_stat;                  /* +CREG stat, -1 unknown */
	char operator_name[MODEM_ID_MAX];/* from +COPS, "" unknown */
	int rssi;                       /* +CSQ rssi 0..31, 99 or -1 unknown */
	char model[MODEM_ID_MAX];       /* AT+CGMM, "" unknown */
	char revision[MODEM_ID_MAX];    /* AT+CGMR */
	char imei[MODEM_ID_MAX];        /* AT+CGSN */
	char last_error[MODEM_TEXT_MAX];/* the latest failure, kept after recovery; "" none */
	int64_t last_error_at;          /* wall ms, 0 none */
	int64_t sms_sent;               /* SMs the modem took (+CMGS) since otapd started */
	int64_t sms_failed;             /* SMs it refused or did not answer */
	int64_t last_seen;              /* wall ms: otapd wrote this row */
};

/* "connecting", "initialising", "ready", "sending", "failing", "disabled";
 * "unknown" outside the enum. Static strings (also the stored spelling). */
const char *modem_state_name(enum modem_state state);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int modem_state_parse(const char *name, enum modem_state *out);

/* +CREG stat in words: 1 home, 5 roaming, 2 searching, 3 denied,
 * 0 not registered, 4 and anything else unknown. */
const char *modem_registration_words(int creg_stat);

/* Whether rssi is a measurement (0..31; 99 and -1 are not). */
bool modem_signal_known(int rssi);
/* dBm of a known rssi: -113 + 2 * rssi (27.007 8.5: 0 is -113 or less,
 * 31 is -51 or more). */
int modem_signal_dbm(int rssi);
/* Bars 0..5 of rssi (0 when unknown): < -107 dBm 0, then one bar per
 * 10 dB or so, >= -73 dBm 5. */
int modem_signal_bars(int rssi);

/* Whether the row is too old to believe (otapd not running): last_seen
 * more than MODEM_HEALTH_STALE_MS before now (wall ms). */
bool modem_health_stale(const struct modem_health *h, int64_t now);
/* Whether the modem can take a job now: ready or sending, and not stale. */
bool modem_health_usable(const struct modem_health *h, int64_t now);

#endif
