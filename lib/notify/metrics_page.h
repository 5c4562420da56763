/* metrics_page.h - the /metrics page of the admin listener: the store's
 * counts (store_metrics.h) as Prometheus families (metrics_text.h). */
#ifndef OTAP_METRICS_PAGE_H
#define OTAP_METRICS_PAGE_H

#include <stdint.h>
#include "errbuf.h"
#include "metrics_text.h"
#include "store.h"

/* Writes every otapd_* family into out (initialised by the caller), from
 * one read transaction on s; now is the wall clock (ms) for ages and the
 * modems' staleness. Returns 0, or -1 with a reason (database, or out of
 * memory) and out incomplete. No secret ever appears: only states, names
 * of rollouts and modems, and numeric codes. */
int metrics_page(struct store *s, int64_t now, struct metrics_text *out, struct errbuf *err);

#endif
