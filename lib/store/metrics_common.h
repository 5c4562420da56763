/* metrics_common.h - the /metrics sets both engines hand over alike,
 * through the storage interface (store_metrics.h): jobs by state, the
 * modems' rows, the oldest due job. Internal to lib/store. */
#ifndef OTAP_METRICS_COMMON_H
#define OTAP_METRICS_COMMON_H

#include "store_engine.h"

/* STORE_METRIC_JOBS: every state, zeros too (ops->count_by_state, in the
 * caller's read transaction). Returns 0 or -1. */
int metrics_jobs(struct store *s, const struct store_metrics_sink *sink, struct errbuf *err);
/* Set m with a row per modem (ops->modem_list). Returns 0 or -1. */
int metrics_modems(struct store *s, const struct store_metrics_sink *sink, enum store_metric m,
		   struct errbuf *err);
/* STORE_METRIC_OLDEST_DUE from the oldest due not_before (now when none). */
void metrics_oldest_due(const struct store_metrics_sink *sink, int64_t now, int64_t due);

#endif
