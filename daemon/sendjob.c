/* sendjob.c - sending one job's parts on one modem and recording the
 * outcome (sent, retry with backoff, failed, or back to the queue when the
 * modem is at fault). */
#include "sendjob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "notify.h"
#include "notify_apply.h"
#include "policy.h"

void sendjob_init(struct sendjob *s, const struct cfg *cfg, const struct cfg_modem *modem_cfg,
		  struct modem *modem, struct store *queue, unsigned seed)
{
	s->cfg = cfg;
	s->modem_cfg = modem_cfg;
	s->modem = modem;
	s->queue = queue;
	s->rand_state = seed;
	pending_init(&s->pending);
}

static struct sendjob_report report(enum sendjob_result result)
{
	return (struct sendjob_report){ .result = result };
}

static struct job_outcome outcome_for(const struct sendjob *s, const struct pending_job *p,
				      const char *result, int cms_error, const char *detail)
{
	return (struct job_outcome){
		.modem = s->modem_cfg->name,
		.started_at = p->started_at,
		.finished_at = clock_wall_ms(),
		.result = result,
		.cms_error = cms_error,
		.mrs = p->mrs[0] ? p->mrs : NULL,
		.detail = detail,
	};
}

static void fail_job_now(struct sendjob *s, struct pending_job *p, const char *detail)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(s, p, "permanent", -1, detail);
	if (store_mark_failed(s->queue, p->job.id, &o, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	log_warnx("job %lld to %s via %s: failed: %s", (long long)p->job.id, p->job.msisdn,
		  s->modem_cfg->name, detail);
}

static void requeue_for_modem(struct sendjob *s, struct pending_job *p, const char *result,
			      const char *detail)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(s, p, result, -1, detail);
	if (store_retry_later(s->queue, p->job.id, clock_wall_ms(), false, &o, NULL, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	else
		log_info("job %lld to %s via %s: back to the queue (%s)", (long long)p->job.id,
			 p->job.msisdn, s->modem_cfg->name, detail);
}

/* Builds p's parts. Returns SENDJOB_PENDING, or the outcome recorded when
 * the job cannot be built. */
static enum sendjob_result build_parts(struct sendjob *s, struct pending_job *p,
				       const struct job *job)
{
	struct errbuf err;
	const struct otap_profile *profile = cfg_profile(s->cfg, job->profile);
	if (!profile) {
		snprintf(err.msg, sizeof err.msg, "profile '%s' is not in the configuration", job->profile);
		fail_job_now(s, p, err.msg);
		return SENDJOB_FAILED;
	}
	struct otap_job_profile jp;
	if (notify_job_profile(s->queue, job->id, s->cfg->notify.public_url, profile, &jp,
			       &err) < 0) {
		requeue_for_modem(s, p, "modem", "cannot prepare the job's URLs");
		log_errorx("job %lld: %s", (long long)job->id, err.msg);
		return SENDJOB_REQUEUED;
	}
	if (jobmsg_build(&jp.profile, job->action, job->msisdn, s->modem_cfg->smsc,
			 jp.notify_url[0] ? jp.notify_url : NULL, &p->msg, &err) < 0) {
		errbuf_prefix(&err, "cannot build the message");
		fail_job_now(s, p, err.msg);
		return SENDJOB_FAILED;
	}
	return SENDJOB_PENDING;
}

struct sendjob_report sendjob_start(struct sendjob *s, const struct job *job)
{
	struct pending_unit unit = { .id = job->id, .attempts = job->attempts,
				     .max_attempts = job->max_attempts };
	snprintf(unit.msisdn, sizeof unit.msisdn, "%s", job->msisdn);
	/* The worker claims only while the table has room. */
	struct pending_job *p = pending_add(&s->pending, &unit, clock_mono_ms(), clock_wall_ms());
	enum sendjob_result result = build_parts(s, p, job);
	if (result != SENDJOB_PENDING)
		pending_remove(&s->pending, p);
	return report(result);
}

static void record_sent(struct sendjob *s, struct pending_job *p)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(s, p, "sent", -1, NULL);
	/* The parts go in with 'sent', in one transaction: a status report
	 * can always be matched to a job the store says was sent. A modem may
	 * answer OK without +CMGS: <mr>; then there is nothing to match. */
	struct sent_parts parts = { p->mr, pending_all_mrs_known(p) ? p->msg.count : 0 };
	if (store_mark_sent(s->queue, p->job.id, &o, &parts, &err) < 0) {
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		return;
	}
	/* A fast unit may have reported before 'sent' was committed. */
	if (notify_apply_deferred(s->queue, o.finished_at, NULL, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	log_info("job %lld to %s via %s: sent (%zu SM, mr %s)", (long long)p->job.id,
			 p->job.msisdn, s->modem_cfg->name, p->msg.count, p->mrs);
}

static void record_retry(struct sendjob *s, struct pending_job *p, const struct send_decision *dec)
{
	struct errbuf err;
	enum job_state state;
	int attempts_done = p->job.attempts + 1;
	double r = (double)rand_r(&s->rand_state) / ((double)RAND_MAX + 1.0);
	int64_t delay = policy_backoff_ms(s->cfg->retry.backoff_initial_ms,
					  s->cfg->retry.backoff_max_ms, attempts_done,
					  dec->long_backoff, r);
	struct job_outcome o = outcome_for(s, p, dec->result, dec->cms_error, dec->detail);

	if (store_retry_later(s->queue, p->job.id, clock_wall_ms() + delay, true, &o, &state, &err) < 0) {
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		return;
	}
	if (state == JOB_FAILED)
		log_warnx("job %lld to %s via %s: failed after %d attempts: %s", (long long)p->job.id,
			  p->job.msisdn, s->modem_cfg->name, attempts_done, dec->detail);
	else
		log_info("job %lld to %s via %s: %s, retry in %llds (attempt %d of %d)",
			 (long long)p->job.id, p->job.msisdn, s->modem_cfg->name, dec->detail,
			 (long long)(delay / 1000), attempts_done, p->job.max_attempts);
}

/* Records a failed send as dec says; r gets the result and the modem's share. */
static void record_failure(struct sendjob *s, struct pending_job *p, const struct send_decision *dec,
			   struct sendjob_report *r)
{
	struct errbuf err;
	switch (dec->verdict) {
	case VERDICT_RETRY:
		record_retry(s, p, dec);
		r->result = SENDJOB_RETRY;
		break;
	case VERDICT_FAIL: {
		struct job_outcome o = outcome_for(s, p, dec->result, dec->cms_error, dec->detail);
		if (store_mark_failed(s->queue, p->job.id, &o, &err) < 0)
			log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		else
			log_warnx("job %lld to %s via %s: failed: %s", (long long)p->job.id,
				  p->job.msisdn, s->modem_cfg->name, dec->detail);
		r->result = SENDJOB_FAILED;
		break;
	}
	case VERDICT_MODEM:
		/* The CMS error code is kept in the attempt row for the operator. */
		requeue_for_modem(s, p, dec->result, dec->detail);
		r->result = SENDJOB_REQUEUED;
		r->reinit = true;
		break;
	}
	r->send_unanswered = dec->watchdog;
}

static void apply_status_report(struct sendjob *s, const struct at_event *ev)
{
	struct errbuf err;
	if (notify_apply_status_report(s->queue, s->modem_cfg->name, ev->text, clock_wall_ms(),
				       &err) < 0)
		log_warnx("modem %s: status report: %s", s->modem_cfg->name, err.msg);
}

struct sendjob_report sendjob_side_event(struct sendjob *s, const struct at_event *ev)
{
	struct sendjob_report r = report(SENDJOB_NONE);
	const char *name = s->modem_cfg->name;
	switch (ev->type) {
	case AT_EV_SYSSTART:
		log_warnx("modem %s: restarted (^SYSSTART), re-initialising", name);
		r.reinit = true;
		break;
	case AT_EV_TIMEOUT:
		r.side_timeouts = 1;
		break;
	case AT_EV_REGISTRATION:
		if (ev->creg_stat != 1 && ev->creg_stat != 5) {
			log_warnx("modem %s: not registered (+CREG stat %d), re-initialising", name,
				  ev->creg_stat);
			r.reinit = true;
		} else {
			log_debug("modem %s: registered (stat %d)", name, ev->creg_stat);
		}
		break;
	case AT_EV_SIGNAL:
		log_info("modem %s: signal rssi %d ber %d", name, ev->rssi, ev->ber);
		break;
	case AT_EV_STATUS_REPORT:
		apply_status_report(s, ev);
		break;
	default:
		log_debug("modem %s: unsolicited: %s", name, ev->text);
		break;
	}
	return r;
}

/* Folds the modem's share of a side event into the report of a send. */
static void side_event_during_send(struct sendjob *s, const struct at_event *ev,
				   struct sendjob_report *r)
{
	struct sendjob_report side = sendjob_side_event(s, ev);
	r->reinit |= side.reinit;
	r->side_timeouts += side.side_timeouts;
}

/* Waits for the reply to the send in progress. Returns 1 (sent, *mr set),
 * 0 (failed, *dec filled) or -1 (link lost, *dec filled); side events go
 * into r. */
static int await_send(struct sendjob *s, int *mr, struct send_decision *dec,
		      struct sendjob_report *r)
{
	struct at_event ev;
	struct errbuf err;
	bool restarted = false;
	for (;;) {
		int rc = modem_poll(s->modem, INT64_MAX, &ev, &err);
		if (rc < 0) {
			policy_link_lost(err.msg, dec);
			return -1;
		}
		if (rc == 0)
			continue;
		if (ev.type == AT_EV_SENT) {
			*mr = ev.mr;
			r->answered = true;
			return 1;
		}
		if (ev.type == AT_EV_SEND_FAILED) {
			struct at_event more;
			while (at_next_event(&s->modem->at, &more)) {
				restarted |= more.type == AT_EV_SYSSTART;
				side_event_during_send(s, &more, r);
			}
			policy_decide(&ev, restarted, dec);
			return 0;
		}
		restarted |= ev.type == AT_EV_SYSSTART;
		if (ev.type != AT_EV_TIMEOUT)   /* send timeouts are counted via the decision */
			side_event_during_send(s, &ev, r);
	}
}

struct sendjob_report sendjob_continue(struct sendjob *s, struct pending_job *p)
{
	const struct jobmsg_part *part = pending_next_part(p);
	struct sendjob_report r = report(SENDJOB_PENDING);
	struct send_decision dec;
	int mr = -1;
	int rc;

	if (at_start_send(&s->modem->at, part->hex, part->tpdu_len, clock_mono_ms()) < 0) {
		policy_link_lost("modem not ready for a send", &dec);
		rc = -1;
	} else {
		rc = await_send(s, &mr, &dec, &r);
	}
	if (rc != 1) {
		record_failure(s, p, &dec, &r);
		pending_remove(&s->pending, p);
		return r;
	}
	if (pending_part_sent(p, mr, clock_mono_ms(), s->cfg->split_delay_ms)) {
		record_sent(s, p);
		pending_remove(&s->pending, p);
		r.result = SENDJOB_SENT;
	}
	return r;
}

void sendjob_requeue_all(struct sendjob *s, const char *result, const char *why)
{
	while (pending_count(&s->pending) > 0) {
		struct pending_job *p = pending_get(&s->pending, 0);
		requeue_for_modem(s, p, result, why);
		pending_remove(&s->pending, p);
	}
}
