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
#include "record.h"

void sendjob_init(struct sendjob *s, const struct cfg *cfg, const struct cfg_modem *modem_cfg,
		  struct modem *modem, struct store *queue, const struct breaker *breaker,
		  unsigned seed)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->modem_cfg = modem_cfg;
	s->modem = modem;
	s->queue = queue;
	s->breaker = breaker;
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

/* The record of p's try: the outcome and what its log line needs. */
static void record_for(struct sendjob_record *rec, const struct pending_job *p,
		       enum outcome_kind kind, const struct job_outcome *o,
		       const struct sent_parts *parts, bool counts)
{
	memset(rec, 0, sizeof *rec);
	outcome_set(&rec->oc, kind, p->job.id, o, parts);
	snprintf(rec->msisdn, sizeof rec->msisdn, "%s", p->job.msisdn);
	rec->attempts_done = p->job.attempts + (counts ? 1 : 0);
	rec->max_attempts = p->job.max_attempts;
}

static void fail_job_now(struct sendjob *s, struct pending_job *p, const char *detail)
{
	struct sendjob_record rec;
	struct job_outcome o = outcome_for(s, p, "permanent", -1, detail);
	record_for(&rec, p, OUTCOME_FAILED, &o, NULL, true);
	record_outcome(s, &rec);
}

/* Back to the queue, due at once, without using an attempt. */
static void requeue_for_modem(struct sendjob *s, struct pending_job *p, const char *result,
			      int cms_error, const char *detail)
{
	struct sendjob_record rec;
	struct job_outcome o = outcome_for(s, p, result, cms_error, detail);
	record_for(&rec, p, OUTCOME_RETRY, &o, NULL, false);
	rec.oc.not_before = o.finished_at;
	rec.oc.count_attempt = false;
	record_outcome(s, &rec);
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
		requeue_for_modem(s, p, "modem", -1, "cannot prepare the job's URLs");
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
	struct sendjob_record rec;
	struct job_outcome o = outcome_for(s, p, "sent", -1, NULL);
	/* The parts go in with 'sent', in one transaction: a status report
	 * can always be matched to a job the store says was sent. A modem may
	 * answer OK without +CMGS: <mr>; then there is nothing to match. */
	struct sent_parts parts = { p->mr, pending_all_mrs_known(p) ? p->msg.count : 0, NULL };
	record_for(&rec, p, OUTCOME_SENT, &o, &parts, true);
	rec.sm_count = p->msg.count;
	record_outcome(s, &rec);
}

/* A retry with backoff that uses an attempt; or, when the modem is to
 * blame (breaker.h), one that does not: due at once, so that another
 * modem takes it while this one backs off. */
static void record_retry(struct sendjob *s, struct pending_job *p, const struct send_decision *dec,
			 bool counts)
{
	struct sendjob_record rec;
	char detail[STORE_TEXT_MAX];
	const char *result = dec->result;
	snprintf(detail, sizeof detail, "%s", dec->detail);
	if (!counts) {
		result = "modem-suspect";
		snprintf(detail, sizeof detail, "%.150s on %s, which failed different units with it "
			 "in a row while other modems sent: not counted", dec->detail, s->modem_cfg->name);
	}
	struct job_outcome o = outcome_for(s, p, result, dec->cms_error, detail);
	record_for(&rec, p, OUTCOME_RETRY, &o, NULL, counts);
	rec.oc.count_attempt = counts;
	rec.oc.not_before = o.finished_at;
	if (counts) {
		double r = (double)rand_r(&s->rand_state) / ((double)RAND_MAX + 1.0);
		rec.delay_ms = policy_backoff_ms(s->cfg->retry.backoff_initial_ms,
						 s->cfg->retry.backoff_max_ms, rec.attempts_done,
						 dec->long_backoff, r);
		rec.oc.not_before += rec.delay_ms;
	}
	record_outcome(s, &rec);
}

/* What the breaker hears of a failed send. */
static void note_fault(struct sendjob_report *r, const struct pending_job *p,
		       const struct send_decision *dec, enum breaker_fault fault)
{
	r->failed_send = true;
	r->fault = fault;
	r->fault_code = dec->cms_error;
	r->job_id = p->job.id;
	snprintf(r->detail, sizeof r->detail, "%s", dec->detail);
}

/* Records a failed send as dec says; r gets the result and the modem's share. */
static void record_failure(struct sendjob *s, struct pending_job *p, const struct send_decision *dec,
			   struct sendjob_report *r)
{
	switch (dec->verdict) {
	case VERDICT_RETRY: {
		enum breaker_fault fault = dec->watchdog ? BREAKER_FAULT_TIMEOUT
							 : BREAKER_FAULT_TRANSIENT;
		record_retry(s, p, dec, !breaker_blames_modem(s->breaker, fault, dec->cms_error,
							       p->job.id));
		note_fault(r, p, dec, fault);
		r->result = SENDJOB_RETRY;
		break;
	}
	case VERDICT_FAIL: {
		struct sendjob_record rec;
		struct job_outcome o = outcome_for(s, p, dec->result, dec->cms_error, dec->detail);
		record_for(&rec, p, OUTCOME_FAILED, &o, NULL, true);
		record_outcome(s, &rec);
		r->result = SENDJOB_FAILED;
		break;
	}
	case VERDICT_MODEM:
		/* The CMS error code is kept in the attempt row for the operator. */
		requeue_for_modem(s, p, dec->result, dec->cms_error, dec->detail);
		note_fault(r, p, dec, BREAKER_FAULT_MODEM);
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

/* An earlier part's status report can come back during the split delay:
 * its part is recorded now so that the report finds the job. Best effort:
 * the whole send is recorded with 'sent' anyway. */
static void record_early_part(struct sendjob *s, const struct pending_job *p, int mr, int part)
{
	struct errbuf err;
	if (store_record_part(s->queue, p->job.id, s->modem_cfg->name, mr, part,
			      (int)p->msg.count, clock_wall_ms(), &err) < 0)
		log_warnx("job %lld: part %d: %s", (long long)p->job.id, part, err.msg);
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
	int part_no = (int)p->next_part + 1;
	if (pending_part_sent(p, mr, clock_mono_ms(), s->cfg->split_delay_ms)) {
		record_sent(s, p);
		pending_remove(&s->pending, p);
		r.result = SENDJOB_SENT;
	} else if (mr >= 0) {
		record_early_part(s, p, mr, part_no);
	}
	return r;
}

void sendjob_requeue_all(struct sendjob *s, const char *result, const char *why)
{
	while (pending_count(&s->pending) > 0) {
		struct pending_job *p = pending_get(&s->pending, 0);
		requeue_for_modem(s, p, result, -1, why);
		pending_remove(&s->pending, p);
	}
}
