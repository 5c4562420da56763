/* scheduler.c - periodic housekeeping on its own thread and connection,
 * so that slow bookkeeping never delays a modem's next AT+CMGS. */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include "clock.h"
#include "hooks.h"
#include "log.h"
#include "notify_sweep.h"
#include "rollout.h"
#include "stop.h"

#define SCHEDULER_PERIOD_MS 1000
/* Leases are renewed every tick: one small UPDATE a second, and many
 * renewals may fail before a lease (PostgreSQL: 30 s) runs out. */

/* A rollout the tick paused for failures (committed): its hook. */
static void on_rollout_paused(const struct rollout *r, void *arg)
{
	struct hook_event ev = { .kind = HOOK_ROLLOUT_PAUSED, .time_ms = clock_wall_ms() };
	snprintf(ev.rollout, sizeof ev.rollout, "%s", r->name);
	snprintf(ev.profile, sizeof ev.profile, "%s", r->profile);
	snprintf(ev.reason, sizeof ev.reason, "%s", r->pause_reason);
	hooks_post(arg, &ev);
}

/* Jobs a step failed (committed), for the on_job_failed hook once the
 * step is over. */
struct failed_jobs {
	int64_t *ids;
	size_t count, cap;
	size_t dropped;
};

static void note_failed(int64_t id, void *arg)
{
	struct failed_jobs *f = arg;
	if (f->count == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		int64_t *grown = cap <= HOOKS_QUEUE_MAX * 4 ? realloc(f->ids, cap * sizeof *grown)
							    : NULL;
		if (!grown) {
			f->dropped++;   /* more than the hook queue takes anyway */
			return;
		}
		f->ids = grown;
		f->cap = cap;
	}
	f->ids[f->count++] = id;
}

/* Posts the on_job_failed hook of each job in f, with the job as stored
 * (its number, profile, rollout and last error). */
static void post_failed(struct scheduler *s, struct failed_jobs *f)
{
	for (size_t i = 0; i < f->count; i++) {
		struct hook_event ev = { .kind = HOOK_JOB_FAILED, .job_id = f->ids[i],
					 .time_ms = clock_wall_ms() };
		struct errbuf err;
		struct job job;
		if (store_get(s->queue, f->ids[i], &job, &err) <= 0)
			continue;
		snprintf(ev.to, sizeof ev.to, "%s", job.msisdn);
		snprintf(ev.profile, sizeof ev.profile, "%s", job.profile);
		snprintf(ev.rollout, sizeof ev.rollout, "%s", job.rollout);
		snprintf(ev.reason, sizeof ev.reason, "%s", job.last_error);
		hooks_post(s->daemon->hooks, &ev);
	}
	if (f->dropped > 0)
		log_warnx("hooks: %zu on_job_failed event(s) dropped (too many jobs failed at once)",
			  f->dropped);
}

/* Keeps this instance's jobs in sending leased to it (a no-op on
 * SQLite). A failure is tried again at the next tick. */
static void renew_leases(struct scheduler *s)
{
	struct errbuf err;
	if (s->shared && store_renew_leases(s->queue, clock_wall_ms(), NULL, &err) < 0)
		log_errorx("leases: %s", err.msg);
}

/* Whether this instance does the housekeeping now; says so when that
 * changes. */
static bool leads(struct scheduler *s)
{
	struct errbuf err;
	int lead = store_lead(s->queue, &err);
	if (lead < 0)
		log_errorx("scheduler: %s", err.msg);
	if (lead >= 0 && lead != s->leading && s->shared)
		log_info(lead ? "scheduler: this instance leads (rollouts, sweeps, taking back "
			 "stopped instances' jobs)" : "scheduler: another instance leads");
	if (lead >= 0)
		s->leading = lead;
	return lead > 0;
}

/* Jobs of instances that died (their leases ran out) back to the queue. */
static void take_back(struct scheduler *s, int64_t now)
{
	struct errbuf err;
	int count = 0;
	if (store_recover_interrupted(s->queue, now, &count, &err) < 0)
		log_errorx("leases: %s", err.msg);
	else if (count > 0)
		log_warnx("%d job(s) of a stopped otapd instance queued again (their lease ran out; "
			  "a unit may receive a duplicate SMS)", count);
}

static void scheduler_step(struct scheduler *s)
{
	struct errbuf err;
	int64_t now = clock_wall_ms();
	int count = 0;
	/* Without hooks, the tick does not even look for pauses and failures. */
	rollout_paused_fn *paused = s->daemon->hooks ? on_rollout_paused : NULL;
	store_failed_fn *failed = s->daemon->hooks ? note_failed : NULL;
	struct failed_jobs jobs = { 0 };

	renew_leases(s);
	if (!leads(s))
		return;
	/* SQLite's recovery runs once at the start: every job in sending is
	 * then a leftover. PostgreSQL's only takes expired leases. */
	if (s->shared)
		take_back(s, now);

	if (store_expire_each(s->queue, now, failed, &jobs, NULL, &err) < 0)
		log_errorx("deadlines: %s", err.msg);
	if (rollout_tick(s->queue, now, paused, s->daemon->hooks, &err) < 0)
		log_errorx("rollouts: %s", err.msg);
	/* Confirmation is expected only where units have somewhere to report to;
	 * each profile's confirm_timeout as the newest config says (a reload). */
	if (s->daemon->cfg->notify.listen) {
		struct cfg_snap *snap = cfg_snap_acquire(&s->daemon->config);
		if (notify_sweep_unconfirmed_each(s->queue, &snap->cfg, now, failed, &jobs, &count,
						  &err) < 0)
			log_errorx("confirmation timeouts: %s", err.msg);
		cfg_snap_release(&s->daemon->config, snap);
	}
	post_failed(s, &jobs);
	free(jobs.ids);
}

static void *scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	int64_t next = clock_mono_ms();
	/* Asleep until the next tick or shutdown: one wake-up a second. */
	while (stop_sleep_until(s->daemon, next)) {
		scheduler_step(s);
		/* From the tick's deadline, so a slow step does not shift the
		 * cadence; a step longer than a period is not made up for. */
		next = max64(next + SCHEDULER_PERIOD_MS, clock_mono_ms());
	}
	return NULL;
}

int scheduler_start(struct scheduler *s, struct daemon_ctx *daemon)
{
	struct errbuf err;
	s->daemon = daemon;
	s->shared = store_location_is_shared(daemon->db_path);
	s->leading = -1;
	if (store_open(daemon->db_path, &s->queue, &err) < 0) {
		log_errorx("scheduler: %s", err.msg);
		return -1;
	}
	if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
		log_error("scheduler: cannot start thread");
		store_close(s->queue);
		return -1;
	}
	return 0;
}

void scheduler_join(struct scheduler *s)
{
	pthread_join(s->thread, NULL);
	store_close(s->queue);
}
