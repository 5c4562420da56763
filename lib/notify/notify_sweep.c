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

/* One profile's pass: the reason its timeouts give, and whom to tell of
 * the jobs that failed. */
struct sweep_pass {
	char why[64];
	store_failed_fn *failed;
	void *arg;
};

static bool plan_unconfirmed(const struct job_view *j, void *arg, struct job_change *c)
{
	const struct sweep_pass *pass = arg;
	notify_plan_unconfirmed(j, pass->why, c);
	return true;
}

static void log_unconfirmed(const struct job_view *j, const struct job_change *c, void *arg)
{
	const struct sweep_pass *pass = arg;
	if (c->state == JOB_FAILED) {
		log_warnx("job %" PRId64 " to %s: failed: %s", j->id, j->msisdn, c->error);
		if (pass->failed)
			pass->failed(j->id, pass->arg);
	} else
		log_info("job %" PRId64 " to %s: %s, queued again (attempt %d of %d used)", j->id,
			 j->msisdn, c->error, j->attempts, j->max_attempts);
}

int notify_sweep_unconfirmed(struct store *s, const struct cfg *cfg, int64_t now, int *count,
			     struct errbuf *err)
{
	return notify_sweep_unconfirmed_each(s, cfg, now, NULL, NULL, count, err);
}

int notify_sweep_unconfirmed_each(struct store *s, const struct cfg *cfg, int64_t now,
				  store_failed_fn *failed, void *arg, int *count,
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
		char timeout[32];
		struct sweep_pass pass = { .failed = failed, .arg = arg };
		int n;
		duration_format(p->confirm_timeout_ms, timeout, sizeof timeout);
		snprintf(pass.why, sizeof pass.why, "no confirmation within %s", timeout);
		struct store_rules rules = { .plan = plan_unconfirmed, .committed = log_unconfirmed,
					     .arg = &pass };
		if (store_apply_unconfirmed(s, p->name, now - p->confirm_timeout_ms, &rules, now, &n,
					    err) < 0)
			return -1;
		done += n;
	}
	if (count)
		*count = done;
	return 0;
}
