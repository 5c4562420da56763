/* health.h - a worker's record of its modem's health (lib/modem/
 * modem_health.h) and when it goes to the store: at once on a change that
 * matters (state other than ready<->sending, registration, operator, an
 * error), within HEALTH_SOFT_MS for the rest (signal, counters, ready<->
 * sending), and at least every MODEM_HEALTH_REFRESH_MS so that a live
 * otapd's rows never look stale. Writes go through a connection of their
 * own with a short busy timeout: a locked database delays the health row,
 * never a send. All functions run on the worker's thread. */
#ifndef OTAPD_HEALTH_H
#define OTAPD_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include "at.h"
#include "modem_health.h"
#include "store.h"

/* The longest a minor change waits before it is written. */
#define HEALTH_SOFT_MS 5000

struct health {
	struct modem_health h;          /* what the next write says */
	struct store *store;            /* own connection; NULL: health is not recorded */
	bool urgent;                    /* a change to write at once */
	bool dirty;                     /* a change to write within HEALTH_SOFT_MS */
	int64_t written;                /* monotonic: the last write (or failed try) */
	bool failing;                   /* the last write failed (logged once) */
};

/* Starts the record of modem name in state connecting and opens its
 * connection to db_path (on failure health is logged and not recorded). */
void health_init(struct health *hl, const char *name, const char *db_path);

/* The modem's state and, for failing/disabled, why (NULL = ""). The state
 * time moves only when the state changes. */
void health_set_state(struct health *hl, enum modem_state state, const char *why);

/* The current state (to decide what to show while reconnecting). */
enum modem_state health_state(const struct health *hl);

/* A failure in words: kept as the last error, with its time. */
void health_note_error(struct health *hl, const char *text);

/* SMs the modem took and refused or left unanswered, to add. */
void health_count(struct health *hl, int sent, int failed);

/* What the AT session has learnt (registration, signal, operator, identity). */
void health_take_info(struct health *hl, const struct at_info *info);

/* The link cannot be opened: registration, operator and signal are not
 * known any more (the identity stays: it is still that modem). */
void health_forget_network(struct health *hl);

/* Writes the row when a change or the refresh is due at now (monotonic). */
void health_flush(struct health *hl, int64_t now);

/* The monotonic time of the next write due without further change. */
int64_t health_next_due(const struct health *hl);

/* Closes the connection. */
void health_close(struct health *hl);

#endif
