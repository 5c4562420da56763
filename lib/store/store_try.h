/* store_try.h - what a finished try does to its job, the same in every
 * engine: worked out from the job row as read under the engine's lock.
 * Internal to lib/store (sqlite_jobs.c, pg_jobs.c). */
#ifndef OTAP_STORE_TRY_H
#define OTAP_STORE_TRY_H

#include <stdbool.h>
#include "store.h"

enum try_end { END_SENT, END_RETRY, END_FAILED };

/* The job's state and counters, and whether its rollout (if any) is
 * cancelled. */
struct job_counters {
	enum job_state state;
	int attempts;
	int max_attempts;
	bool rollout_cancelled;
};

/* What a finished try does to its job. */
struct transition {
	enum job_state state;
	int attempts;
	bool set_error;                 /* last_error becomes error ("" clears it) */
	bool set_not_before;
	char error[STORE_TEXT_MAX];
};

/* Plans the transition of a try that ended with `end` (count_attempt: it
 * used an attempt; detail: the outcome's detail, may be NULL) for a job
 * in c's state. Cannot fail. */
void store_plan_transition(enum try_end end, bool count_attempt, const struct job_counters *c,
			   const char *detail, struct transition *t);

/* The attempt's result when the outcome names none. Static string. */
const char *store_try_result(enum try_end end, bool count_attempt);

#endif
