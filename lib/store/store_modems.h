/* store_modems.h - each modem's health as otapd's worker last wrote it
 * (struct modem_health, lib/modem/modem_health.h): one row per modem name,
 * read by `otapctl modems`, `otapctl status` and /healthz. */
#ifndef OTAP_STORE_MODEMS_H
#define OTAP_STORE_MODEMS_H

#include "errbuf.h"
#include "modem_health.h"
#include "store.h"

/* Inserts or replaces h->name's row with *h, in one statement (its own
 * transaction). h->name must be non-empty and every text shorter than its
 * field. The worker calls it on a change and every MODEM_HEALTH_REFRESH_MS,
 * on a connection of its own with a short busy timeout, so a locked
 * database delays only the health row, never a send. Returns 0 or -1. */
int store_modem_update(struct store *s, const struct modem_health *h, struct errbuf *err);

/* Calls cb for each modem row, by name; non-zero from cb stops. Read-only.
 * Returns 0 or -1. */
int store_modem_list(struct store *s, int (*cb)(const struct modem_health *h, void *arg),
		     void *arg, struct errbuf *err);

#endif
