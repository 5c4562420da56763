/* unit_list.h - a page of a rollout's units with their diagnosis, as the
 * admin listener's /api/rollouts/NAME/units serves it: filtered by state,
 * furthest step and cause, sorted by state, furthest step and id (the
 * store's order, store_units.h), each unit the
 * diagnosis object of `otapctl diagnose --json` (job_json.h). */
#ifndef OTAP_UNIT_LIST_H
#define OTAP_UNIT_LIST_H

#include <stdbool.h>
#include "config.h"
#include "diagnose.h"
#include "json.h"
#include "store.h"

#define UNIT_PAGE_DEFAULT 100
#define UNIT_PAGE_MAX 1000              /* per_page at most */
#define UNIT_PAGE_NUMBER_MAX 1000000    /* page at most */

struct unit_query {
	const char *rollout;
	int state;                      /* enum job_state, -1 = any */
	int stopped_at;                 /* enum job_step, -1 = any */
	int cause;                      /* enum diag_cause, -1 = any */
	int page;                       /* 1..UNIT_PAGE_NUMBER_MAX */
	int per_page;                   /* 1..UNIT_PAGE_MAX */
};

/* The diagnosis of stored job j whose unit last reported notify_code (-1 =
 * none) and whose delivery a status report confirmed (delivered): the
 * profile and whether a confirmation is expected come from cfg (NULL:
 * generic advice). Shared by otapctl diagnose and the units page. */
void diagnose_stored(const struct cfg *cfg, const struct job *j, int notify_code, bool delivered,
		     struct diagnosis *out);

/* Writes {"rollout", "state", "stopped_at", "cause", "page", "per_page",
 * "total", "more", "units": [DIAGNOSIS...]} for q (docs/json.md). total is
 * null for a cause whose units the store cannot count by itself (the rule
 * depends on the profile); those pages are found by walking. Returns 0, or
 * -1 with a reason (the writer then holds a partial document: discard it).
 * The rollout must exist (the caller checks). */
int unit_list_json(struct json_writer *w, struct store *q, const struct cfg *cfg,
		   const struct unit_query *uq, struct errbuf *err);

#endif
