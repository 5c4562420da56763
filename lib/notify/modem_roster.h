/* modem_roster.h - the configured modems with their health rows from the
 * store: which of them can take a job now, and in words why none can.
 * Shared by /healthz (notify_route.c), `otapctl modems` and `otapctl
 * status`. */
#ifndef OTAP_MODEM_ROSTER_H
#define OTAP_MODEM_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "errbuf.h"
#include "modem_health.h"
#include "store.h"

struct modem_roster_entry {
	struct modem_health h;          /* h.name always set; the rest only when seen */
	bool seen;                      /* otapd has written a row for it */
};

struct modem_roster {
	struct modem_roster_entry *v;
	size_t n;
};

/* One entry per modem of cfg, in the config's order, with its row when
 * there is one; with cfg NULL (no config: otapctl --db) one per row.
 * Returns 0 or -1 (database error, out of memory); free with
 * modem_roster_free either way. */
int modem_roster_load(struct store *s, const struct cfg *cfg, struct modem_roster *out,
		      struct errbuf *err);
void modem_roster_free(struct modem_roster *r);

/* Whether entry e can take a job at now (wall ms): seen, ready or
 * sending, not stale. */
bool modem_roster_usable(const struct modem_roster_entry *e, int64_t now);
/* How many entries are usable at now. */
size_t modem_roster_usable_count(const struct modem_roster *r, int64_t now);

/* e's condition in a few words: "ready", "failing: +CMS ERROR 302 ...",
 * "never seen", "stale (otapd not running?)"; into buf. */
void modem_roster_describe(const struct modem_roster_entry *e, int64_t now, char *buf,
			   size_t cap);

/* "m1 failing: ...; m2 never seen" for every entry, into buf (cut with
 * "..." when it does not fit); "no modem configured" when r is empty. */
void modem_roster_why_none(const struct modem_roster *r, int64_t now, char *buf, size_t cap);

/* Whether queued job j waits because no modem can take it now (every
 * modem failing, disabled, never seen or stale; cfg NULL: the modems otapd
 * recorded): then 1 with "no modem is ready (WHY)" in buf; 0 when a modem
 * is usable or j is not queued; -1 with a reason on a database error. */
int modem_roster_job_waiting(struct store *s, const struct cfg *cfg, const struct job *j,
			     int64_t now, char *buf, size_t cap, struct errbuf *err);

#endif
