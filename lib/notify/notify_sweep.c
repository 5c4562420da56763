/* notify_sweep.c - the confirmation timeout: sent or delivered jobs whose
 * unit has not reported within the profile's confirm_timeout are queued
 * again or failed (notify_plan_unconfirmed). Run every few seconds by
 * otapd's scheduler when a notify listener is configured. */
#include "notify_sweep.h"

#include <inttypes.h>
#include <stdio.h>

#include "duration.h"
#include "log.h"
#include "notify_apply.h"
#include "notify_rules.h"

static bool plan_unconfirmed(const struct job_view *j, void *arg, struct job_change *c)
{
	notify_plan_unconfirmed(j, arg, c);
	return true;
}

static void log_unconfirmed(const struct job_view *j, const struct job_change *c, void *arg)
{
	(void)arg;
	if (c->state == JOB_FAILED)
		log_warnx("job %" PRId64 " to %s: failed: %s", j->id, j->msisdn, c->error);
	else
		log_info("job %" PRId64 " to %s: %s, queued again (attempt %d of %d used)", j->id,
			 j->msisdn, c->error, j->attempts, j->max_attempts);
}

int notify_sweep_unconfirmed(struct store *s, const struct cfg *cfg, int64_t now, int *count,
			     struct errbuf *err)
{
	int done = 0;
	if (count)
		*count = 0;
	/* Deferred notifications first: a unit that did report must not be
	 * timed out for want of bookkeeping. */
	if (notify_apply_deferred(s, now, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->profile_count; i++) {
		const struct otap_profile *p = &cfg->profiles[i];
		char timeout[32], why[64];
		int n;
		duration_format(p->confirm_timeout_ms, timeout, sizeof timeout);
		snprintf(why, sizeof why, "no confirmation within %s", timeout);
		struct store_rules rules = { .plan = plan_unconfirmed, .committed = log_unconfirmed,
					     .arg = why };
		if (store_apply_unconfirmed(s, p->name, now - p->confirm_timeout_ms, &rules, now, &n,
					    err) < 0)
			return -1;
		done += n;
	}
	if (count)
		*count = done;
	return 0;
}
