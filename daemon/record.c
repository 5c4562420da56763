/* record.c - a try's outcome into the store, held and retried while the
 * store refuses it (record.h, sendjob_holding/sendjob_retry_held). */
#include "record.h"

#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "hooks.h"
#include "log.h"
#include "notify_apply.h"

#define HELD_BACKOFF_MIN_MS 200
#define HELD_BACKOFF_MAX_MS 5000

static void log_sent(const struct sendjob *s, const struct sendjob_record *rec)
{
	struct errbuf err;
	/* A fast unit may have reported before 'sent' was committed. */
	if (notify_apply_deferred(s->queue, rec->oc.finished_at, NULL, &err) < 0)
		log_errorx("job %lld: %s", (long long)rec->oc.job_id, err.msg);
	log_info("job %lld to %s via %s: sent (%zu SM, mr %s)", (long long)rec->oc.job_id,
		 rec->msisdn, rec->oc.modem, rec->sm_count, rec->oc.mrs);
}

static void log_retry(const struct sendjob_record *rec, enum job_state state)
{
	long long id = (long long)rec->oc.job_id;
	const char *detail = rec->oc.detail;
	if (state == JOB_FAILED)
		log_warnx("job %lld to %s via %s: failed after %d attempts: %s", id, rec->msisdn,
			  rec->oc.modem, rec->attempts_done, detail);
	else if (!rec->oc.count_attempt)
		log_info("job %lld to %s via %s: back to the queue (%s)", id, rec->msisdn,
			 rec->oc.modem, detail);
	else
		log_info("job %lld to %s via %s: %s, retry in %llds (attempt %d of %d)", id,
			 rec->msisdn, rec->oc.modem, detail, (long long)(rec->delay_ms / 1000),
			 rec->attempts_done, rec->max_attempts);
}

/* The line of a committed outcome (the same whether at once or later). */
static void log_committed(const struct sendjob *s, const struct sendjob_record *rec,
			  enum job_state state)
{
	switch (rec->oc.kind) {
	case OUTCOME_SENT:
		log_sent(s, rec);
		break;
	case OUTCOME_RETRY:
		log_retry(rec, state);
		break;
	case OUTCOME_FAILED:
		log_warnx("job %lld to %s via %s: failed: %s", (long long)rec->oc.job_id,
			  rec->msisdn, rec->oc.modem, rec->oc.detail);
		break;
	}
}

/* A job that ended failed (committed): its hook, with the job's profile
 * and rollout as stored. */
static void post_failed(struct sendjob *s, const struct sendjob_record *rec)
{
	struct hook_event ev = { .kind = HOOK_JOB_FAILED, .job_id = rec->oc.job_id,
				 .time_ms = clock_wall_ms() };
	struct errbuf err;
	struct job job;
	if (!s->hooks)
		return;
	if (store_get(s->queue, rec->oc.job_id, &job, &err) > 0) {
		snprintf(ev.profile, sizeof ev.profile, "%s", job.profile);
		snprintf(ev.rollout, sizeof ev.rollout, "%s", job.rollout);
	}
	snprintf(ev.to, sizeof ev.to, "%s", rec->msisdn);
	snprintf(ev.reason, sizeof ev.reason, "%s", rec->oc.detail);
	hooks_post(s->hooks, &ev);
}

/* Commits rec. Returns 1 committed (logged), 0 dropped (cannot apply), -1
 * refused for now (err set). */
static int try_commit(struct sendjob *s, const struct sendjob_record *rec, struct errbuf *err)
{
	enum job_state state = JOB_QUEUED;
	if (outcome_commit(s->queue, &rec->oc, &state, err) == 0) {
		log_committed(s, rec, state);
		if (state == JOB_FAILED)
			post_failed(s, rec);
		return 1;
	}
	if (outcome_is_moot(s->queue, &rec->oc)) {
		log_errorx("job %lld: %s; the job is no longer sending, so this outcome "
			   "(%s) is not recorded", (long long)rec->oc.job_id, err->msg,
			   rec->oc.result[0] ? rec->oc.result : "sent");
		return 0;
	}
	return -1;
}

static void hold(struct sendjob *s, const struct sendjob_record *rec, const char *why)
{
	if (s->held_count == SENDJOB_HELD_MAX) {
		/* Cannot happen: the worker holds at most its pending jobs plus one. */
		log_errorx("job %lld: %s; no room to keep the outcome: the unit may be sent again",
			   (long long)rec->oc.job_id, why);
		return;
	}
	if (s->held_count == 0) {
		s->held_backoff_ms = HELD_BACKOFF_MIN_MS;
		s->held_due = clock_mono_ms() + s->held_backoff_ms;
	}
	s->held[s->held_count++] = *rec;
	log_warnx("job %lld to %s via %s: cannot record the outcome yet (%s); kept in memory and "
		  "retried until it is recorded, the modem takes no new work meanwhile",
		  (long long)rec->oc.job_id, rec->msisdn, rec->oc.modem, why);
}

void record_outcome(struct sendjob *s, const struct sendjob_record *rec)
{
	struct errbuf err;
	/* Behind held outcomes: they were first, and the worker should not be
	 * here with some, except when it puts its pending jobs back. */
	if (s->held_count > 0 || try_commit(s, rec, &err) < 0)
		hold(s, rec, s->held_count > 0 ? "earlier outcomes are not recorded yet" : err.msg);
}

bool sendjob_holding(const struct sendjob *s)
{
	return s->held_count > 0;
}

void sendjob_retry_held(struct sendjob *s, int64_t now)
{
	size_t done = 0;
	struct errbuf err;
	int rc = 1;
	while (done < s->held_count && (rc = try_commit(s, &s->held[done], &err)) >= 0) {
		if (rc > 0)
			log_info("job %lld: outcome recorded after all", (long long)s->held[done].oc.job_id);
		done++;
	}
	memmove(s->held, s->held + done, (s->held_count - done) * sizeof s->held[0]);
	s->held_count -= done;
	if (s->held_count > 0) {
		s->held_backoff_ms = min64(s->held_backoff_ms * 2, HELD_BACKOFF_MAX_MS);
		s->held_due = now + s->held_backoff_ms;
	}
}
