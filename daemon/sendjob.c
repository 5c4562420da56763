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

/* Consecutive no-answer failures after which the modem is re-initialised. */
#define WATCHDOG_TIMEOUTS 3

static void pending_remove(struct worker *w, struct pending_job *p)
{
	size_t i = (size_t)(p - w->pending);
	w->pending[i] = w->pending[--w->pending_count];
}

static struct job_outcome outcome_for(const struct worker *w, const struct pending_job *p,
				      const char *result, int cms_error, const char *detail)
{
	return (struct job_outcome){
		.modem = w->cfg->name,
		.started_at = p->started_at,
		.finished_at = clock_wall_ms(),
		.result = result,
		.cms_error = cms_error,
		.mrs = p->mrs[0] ? p->mrs : NULL,
		.detail = detail,
	};
}

static void fail_job_now(struct worker *w, struct pending_job *p, const char *detail)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(w, p, "permanent", -1, detail);
	if (store_mark_failed(w->queue, p->job.id, &o, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	log_warnx("job %lld to %s via %s: failed: %s", (long long)p->job.id, p->job.msisdn,
		  w->cfg->name, detail);
}

static void requeue_for_modem(struct worker *w, struct pending_job *p, const char *result,
			      const char *detail)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(w, p, result, -1, detail);
	if (store_retry_later(w->queue, p->job.id, clock_wall_ms(), false, &o, NULL, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	else
		log_info("job %lld to %s via %s: back to the queue (%s)", (long long)p->job.id,
			 p->job.msisdn, w->cfg->name, detail);
}

void sendjob_start(struct worker *w, const struct job *job)
{
	struct pending_job *p = &w->pending[w->pending_count++];
	struct errbuf err;

	memset(p, 0, sizeof *p);
	p->job = *job;
	p->started_at = clock_wall_ms();
	p->due = clock_mono_ms();
	const struct otap_profile *profile = cfg_profile(w->daemon->cfg, job->profile);
	if (!profile) {
		snprintf(err.msg, sizeof err.msg, "profile '%s' is not in the configuration", job->profile);
		fail_job_now(w, p, err.msg);
		pending_remove(w, p);
		return;
	}
	char url[512];
	const char *notify_url = NULL;
	if (w->daemon->cfg->notify.public_url) {
		if (notify_job_url(w->queue, job->id, w->daemon->cfg->notify.public_url, url,
				   sizeof url, &err) < 0) {
			requeue_for_modem(w, p, "modem", "cannot prepare the notify URL");
			log_errorx("job %lld: %s", (long long)job->id, err.msg);
			pending_remove(w, p);
			return;
		}
		notify_url = url;
	}
	if (jobmsg_build(profile, job->action, job->msisdn, w->cfg->smsc, notify_url, &p->msg,
			 &err) < 0) {
		errbuf_prefix(&err, "cannot build the message");
		fail_job_now(w, p, err.msg);
		pending_remove(w, p);
	}
}

static void record_sent(struct worker *w, struct pending_job *p)
{
	struct errbuf err;
	struct job_outcome o = outcome_for(w, p, "sent", -1, NULL);
	bool all_mrs_known = true;   /* a modem may answer OK without +CMGS: <mr> */
	for (size_t i = 0; i < p->msg.count; i++)
		all_mrs_known &= p->mr[i] >= 0;
	/* The parts go in with 'sent', in one transaction: a status report
	 * can always be matched to a job the store says was sent. */
	struct sent_parts parts = { p->mr, all_mrs_known ? p->msg.count : 0 };
	if (store_mark_sent(w->queue, p->job.id, &o, &parts, &err) < 0) {
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		return;
	}
	/* A fast unit may have reported before 'sent' was committed. */
	if (notify_apply_deferred(w->queue, o.finished_at, NULL, &err) < 0)
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
	log_info("job %lld to %s via %s: sent (%zu SM, mr %s)", (long long)p->job.id,
			 p->job.msisdn, w->cfg->name, p->msg.count, p->mrs);
}

static void record_retry(struct worker *w, struct pending_job *p, const struct send_decision *dec)
{
	struct errbuf err;
	enum job_state state;
	int attempts_done = p->job.attempts + 1;
	double r = (double)rand_r(&w->rand_state) / ((double)RAND_MAX + 1.0);
	int64_t delay = policy_backoff_ms(w->daemon->cfg->retry.backoff_initial_ms,
					  w->daemon->cfg->retry.backoff_max_ms, attempts_done,
					  dec->long_backoff, r);
	struct job_outcome o = outcome_for(w, p, dec->result, dec->cms_error, dec->detail);

	if (store_retry_later(w->queue, p->job.id, clock_wall_ms() + delay, true, &o, &state, &err) < 0) {
		log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		return;
	}
	if (state == JOB_FAILED)
		log_warnx("job %lld to %s via %s: failed after %d attempts: %s", (long long)p->job.id,
			  p->job.msisdn, w->cfg->name, attempts_done, dec->detail);
	else
		log_info("job %lld to %s via %s: %s, retry in %llds (attempt %d of %d)",
			 (long long)p->job.id, p->job.msisdn, w->cfg->name, dec->detail,
			 (long long)(delay / 1000), attempts_done, p->job.max_attempts);
}

static void record_failure(struct worker *w, struct pending_job *p, const struct send_decision *dec)
{
	struct errbuf err;
	switch (dec->verdict) {
	case VERDICT_RETRY:
		record_retry(w, p, dec);
		break;
	case VERDICT_FAIL: {
		struct job_outcome o = outcome_for(w, p, dec->result, dec->cms_error, dec->detail);
		if (store_mark_failed(w->queue, p->job.id, &o, &err) < 0)
			log_errorx("job %lld: %s", (long long)p->job.id, err.msg);
		else
			log_warnx("job %lld to %s via %s: failed: %s", (long long)p->job.id,
				  p->job.msisdn, w->cfg->name, dec->detail);
		break;
	}
	case VERDICT_MODEM:
		/* The CMS error code is kept in the attempt row for the operator. */
		requeue_for_modem(w, p, dec->result, dec->detail);
		w->need_reinit = true;
		break;
	}
	if (dec->watchdog && ++w->consecutive_timeouts >= WATCHDOG_TIMEOUTS) {
		log_warnx("modem %s: %d exchanges without an answer, re-initialising", w->cfg->name,
			  w->consecutive_timeouts);
		w->need_reinit = true;
	}
}

void sendjob_side_event(struct worker *w, const struct at_event *ev)
{
	switch (ev->type) {
	case AT_EV_SYSSTART:
		log_warnx("modem %s: restarted (^SYSSTART), re-initialising", w->cfg->name);
		w->need_reinit = true;
		break;
	case AT_EV_TIMEOUT:
		if (++w->consecutive_timeouts >= WATCHDOG_TIMEOUTS) {
			log_warnx("modem %s: stopped answering, re-initialising", w->cfg->name);
			w->need_reinit = true;
		}
		break;
	case AT_EV_REGISTRATION:
		if (ev->creg_stat != 1 && ev->creg_stat != 5) {
			log_warnx("modem %s: not registered (+CREG stat %d), re-initialising",
				  w->cfg->name, ev->creg_stat);
			w->need_reinit = true;
		} else {
			log_debug("modem %s: registered (stat %d)", w->cfg->name, ev->creg_stat);
		}
		break;
	case AT_EV_SIGNAL:
		log_info("modem %s: signal rssi %d ber %d", w->cfg->name, ev->rssi, ev->ber);
		break;
	case AT_EV_STATUS_REPORT: {
		struct errbuf err;
		if (notify_apply_status_report(w->queue, w->cfg->name, ev->text, clock_wall_ms(),
					       &err) < 0)
			log_warnx("modem %s: status report: %s", w->cfg->name, err.msg);
		break;
	}
	default:
		log_debug("modem %s: unsolicited: %s", w->cfg->name, ev->text);
		break;
	}
}

/* Waits for the reply to the send in progress. Returns 1 (sent, *mr set),
 * 0 (failed, *dec filled) or -1 (link lost, *dec filled). */
static int await_send(struct worker *w, int *mr, struct send_decision *dec)
{
	struct at_event ev;
	struct errbuf err;
	bool restarted = false;
	for (;;) {
		int rc = modem_poll(&w->modem, INT64_MAX, &ev, &err);
		if (rc < 0) {
			policy_link_lost(err.msg, dec);
			return -1;
		}
		if (rc == 0)
			continue;
		if (ev.type == AT_EV_SENT) {
			*mr = ev.mr;
			w->consecutive_timeouts = 0;
			return 1;
		}
		if (ev.type == AT_EV_SEND_FAILED) {
			struct at_event more;
			while (at_next_event(&w->modem.at, &more)) {
				restarted |= more.type == AT_EV_SYSSTART;
				sendjob_side_event(w, &more);
			}
			policy_decide(&ev, restarted, dec);
			return 0;
		}
		restarted |= ev.type == AT_EV_SYSSTART;
		if (ev.type != AT_EV_TIMEOUT)   /* send timeouts are counted via the decision */
			sendjob_side_event(w, &ev);
	}
}

static void append_mr(struct pending_job *p, int mr)
{
	size_t len = strlen(p->mrs);
	p->mr[p->next_part] = mr;
	snprintf(p->mrs + len, sizeof p->mrs - len, "%s%d", len ? "," : "", mr);
}

void sendjob_continue(struct worker *w, struct pending_job *p)
{
	const struct jobmsg_part *part = &p->msg.parts[p->next_part];
	struct send_decision dec;
	int mr = -1;
	int rc;

	if (at_start_send(&w->modem.at, part->hex, part->tpdu_len, clock_mono_ms()) < 0) {
		policy_link_lost("modem not ready for a send", &dec);
		rc = -1;
	} else {
		rc = await_send(w, &mr, &dec);
	}
	if (rc != 1) {
		record_failure(w, p, &dec);
		pending_remove(w, p);
		return;
	}
	append_mr(p, mr);
	if (++p->next_part == p->msg.count) {
		record_sent(w, p);
		pending_remove(w, p);
		return;
	}
	/* The network may reorder SMs: give the earlier parts a head start
	 * before the one carrying START (spec §2). Other jobs go meanwhile. */
	p->due = clock_mono_ms();
	if (p->msg.parts[p->next_part].has_start)
		p->due += w->daemon->cfg->split_delay_ms;
}

void sendjob_requeue_all(struct worker *w, const char *result, const char *why)
{
	while (w->pending_count > 0) {
		requeue_for_modem(w, &w->pending[0], result, why);
		pending_remove(w, &w->pending[0]);
	}
}
