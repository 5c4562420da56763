/* store_metrics.h - the counts an operator's scraper asks for (/metrics):
 * jobs by state and by rollout, +CMS errors by modem and code, install
 * notifications by code, the modems' rows and the oldest due job, read in
 * one read transaction so the numbers agree with each other. */
#ifndef OTAP_STORE_METRICS_H
#define OTAP_STORE_METRICS_H

#include <stdint.h>
#include "errbuf.h"
#include "modem_health.h"
#include "store.h"

/* The sets of rows, in the order store_metrics_read hands them over. */
enum store_metric {
	STORE_METRIC_JOBS,              /* state, value: every state, zeros too */
	STORE_METRIC_ROLLOUT_JOBS,      /* name (rollout), state, value */
	STORE_METRIC_SMS_SENT,          /* modem: its row */
	STORE_METRIC_SMS_ERRORS,        /* name (modem, "" unknown), code (+CMS), value */
	STORE_METRIC_MODEM_UP,          /* modem: its row */
	STORE_METRIC_MODEM_SIGNAL,      /* modem: its row */
	STORE_METRIC_NOTIFICATIONS,     /* code (-1 none given), value */
	STORE_METRIC_OLDEST_DUE,        /* value: ms since the oldest due queued job was due,
					 * 0 when none is due */
	STORE_METRIC_COUNT
};

struct store_metric_row {
	const char *name;
	int state;                      /* enum job_state */
	int code;
	int64_t value;
	const struct modem_health *modem;
};

struct store_metrics_sink {
	/* Called before the rows of each set, also when it has none. */
	void (*begin)(void *arg, enum store_metric m);
	void (*row)(void *arg, enum store_metric m, const struct store_metric_row *r);
	void *arg;
};

/* Hands every set of enum store_metric, in that order, to sink, all read
 * in one read transaction (no write lock; writers are not held up). now
 * (wall ms) dates the oldest due job. Returns 0, or -1 with a reason (the
 * sink may then have seen part of the rows). */
int store_metrics_read(struct store *s, int64_t now, const struct store_metrics_sink *sink,
		       struct errbuf *err);

#endif
