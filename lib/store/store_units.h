/* store_units.h - a rollout's units a page at a time, filtered by state
 * and furthest step, with what their diagnosis needs (the unit's report
 * code and whether a status report said delivered): the admin API's
 * /api/rollouts/NAME/units. Units come sorted by state (its name, in
 * byte order: cancelled, confirmed, delivered, failed, queued, sending,
 * sent), then furthest step, then id: the order of the index
 * jobs_rollout_units (schema/011), so a page costs one index walk without
 * a sort, also deep into a million units. */
#ifndef OTAP_STORE_UNITS_H
#define OTAP_STORE_UNITS_H

#include <stdbool.h>
#include <stdint.h>
#include "errbuf.h"
#include "store.h"

struct unit_filter {
	const char *rollout;
	unsigned states;                /* bit s for each enum job_state s; 0 = any */
	unsigned steps;                 /* bit t for each enum job_step t (furthest step);
					 * 0 = any */
	int64_t offset;                 /* matching units skipped (>= 0) */
	int limit;                      /* at most this many (> 0) */
};

struct unit_row {
	struct job job;
	int notify_code;                /* the unit's last report, -1 = none */
	bool delivered;                 /* a status report said delivered */
};

/* Calls cb for each unit of f->rollout matching f, in that order, from
 * the offset-th on, at most f->limit; non-zero from cb stops. Read-only.
 * Returns 0 or -1. */
int store_rollout_units(struct store *s, const struct unit_filter *f,
			int (*cb)(const struct unit_row *u, void *arg), void *arg,
			struct errbuf *err);
/* *out = how many units of f->rollout match f (offset and limit ignored).
 * Returns 0 or -1. */
int store_rollout_units_count(struct store *s, const struct unit_filter *f, int64_t *out,
			      struct errbuf *err);

#endif
