/* smpp_send.c - an SMPP link's jobs: claim, build, submit part by part,
 * record each outcome (sent with message ids, retry, failed, back to the
 * queue), apply receipts. Runs on the link's worker thread. */
#include "smpp_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smpp34.h>

#include "clock.h"
#include "log.h"
#include "notify_apply.h"
#include "policy.h"
#include "record.h"
#include "smpp_receipt.h"
#include "smpp_status.h"
#include "worker.h"

/* The pause after ESME_RTHROTTLED / ESME_RMSGQFUL: doubles while the SMSC
 * keeps throttling, halves with each accepted submit. */
#define THROTTLE_MIN_MS 100
#define THROTTLE_MAX_MS 10000

static const char *link_name(const struct smpp_link *l)
{
	return l->w->cfg->name;
}

/* ---- outcomes ---- */

static struct job_outcome outcome_for(const struct smpp_link *l, const struct smpp_job *j,
				      const char *result, const char *detail)
{
	return (struct job_outcome){
		.modem = link_name(l),
		.started_at = j->started_at,
		.finished_at = clock_wall_ms(),
		.result = result,
		.cms_error = -1,
		.detail = detail,
	};
}

static void record(struct smpp_link *l, const struct smpp_job *j, enum outcome_kind kind,
		   const struct job_outcome *o, const struct sent_parts *parts, bool counts,
		   int64_t not_before, int64_t delay_ms)
{
	struct sendjob_record rec;
	memset(&rec, 0, sizeof rec);
	outcome_set(&rec.oc, kind, j->unit.id, o, parts);
	snprintf(rec.msisdn, sizeof rec.msisdn, "%s", j->unit.msisdn);
	rec.attempts_done = j->unit.attempts + (counts ? 1 : 0);
	rec.max_attempts = j->unit.max_attempts;
	rec.oc.count_attempt = counts;
	rec.oc.not_before = not_before;
	rec.delay_ms = delay_ms;
	rec.sm_count = j->count;
	record_outcome(&l->w->send, &rec);
	queue_watch_touch(&l->w->watch);
}

static void record_sent(struct smpp_link *l, const struct smpp_job *j)
{
	const char *ids[OTAP_MAX_PARTS];
	char detail[STORE_TEXT_MAX] = "", joined[64] = "";
	bool all_ids = true;
	size_t n = 0;
	for (size_t i = 0; i < j->count; i++) {
		ids[i] = j->parts[i].message_id;
		all_ids &= ids[i][0] != '\0';
		/* The attempt row's "mrs": the message ids, as far as they fit. */
		if (n < sizeof joined)
			n += (size_t)snprintf(joined + n, sizeof joined - n, "%s%s", i ? "," : "", ids[i]);
	}
	/* An SMSC may answer without a message id: nothing to match then. */
	struct sent_parts parts = { NULL, all_ids ? j->count : 0, ids };
	if (j->unsure)
		snprintf(detail, sizeof detail, "%d SM(s) resent after the SMPP link dropped before "
			 "the SMSC answered them: the unit may get them twice (harmless for OTAP)",
			 j->unsure);
	struct job_outcome o = outcome_for(l, j, "sent", detail[0] ? detail : NULL);
	o.mrs = joined[0] ? joined : NULL;
	record(l, j, OUTCOME_SENT, &o, &parts, true, 0, 0);
}

/* Back to the queue, due at once, without using an attempt. */
static void record_requeue(struct smpp_link *l, const struct smpp_job *j, const char *result,
			   const char *detail)
{
	struct job_outcome o = outcome_for(l, j, result, detail);
	record(l, j, OUTCOME_RETRY, &o, NULL, false, o.finished_at, 0);
}

static void record_failure(struct smpp_link *l, const struct smpp_job *j,
			   const struct send_decision *dec)
{
	struct job_outcome o = outcome_for(l, j, dec->result, dec->detail);
	switch (dec->verdict) {
	case VERDICT_RETRY: {
		int done = j->unit.attempts + 1;
		double r = (double)rand_r(&l->w->send.rand_state) / ((double)RAND_MAX + 1.0);
		const struct cfg_retry *retry = &l->w->send.cfg->retry;
		int64_t delay = policy_backoff_ms(retry->backoff_initial_ms, retry->backoff_max_ms,
						  done, dec->long_backoff, r);
		record(l, j, OUTCOME_RETRY, &o, NULL, true, o.finished_at + delay, delay);
		break;
	}
	case VERDICT_FAIL:
		record(l, j, OUTCOME_FAILED, &o, NULL, true, 0, 0);
		break;
	case VERDICT_MODEM:
		record_requeue(l, j, dec->result, dec->detail);
		break;
	}
}

/* ---- claiming ---- */

static void fail_now(struct smpp_link *l, const struct smpp_job *j, const char *detail)
{
	struct job_outcome o = outcome_for(l, j, "permanent", detail);
	record(l, j, OUTCOME_FAILED, &o, NULL, true, 0, 0);
}

/* The job's bodies (the same otap_build as for a modem) and submit fields.
 * Returns 0, or -1 with the outcome recorded. */
static int build(struct smpp_link *l, const struct job *job, const struct smpp_job *shell,
		 struct otap_message *msg, struct smpp_message *proto)
{
	const struct cfg *cfg = l->w->send.cfg;    /* the newest the link took */
	const struct cfg_smpp *a = &l->w->cfg->smpp;
	struct smpp_source source = { .addr = a->source_addr ? a->source_addr : "",
				      .ton = (uint8_t)a->source_ton, .npi = (uint8_t)a->source_npi };
	struct errbuf err;
	struct otap_job_profile jp;
	const struct otap_profile *profile = cfg_profile(cfg, job->profile);
	if (!profile) {
		snprintf(err.msg, sizeof err.msg, "profile '%s' is not in the configuration",
			 job->profile);
		fail_now(l, shell, err.msg);
		return -1;
	}
	if (notify_job_profile(l->w->queue, job->id, cfg->notify.public_url, profile, &jp,
			       &err) < 0) {
		log_errorx("job %lld: %s", (long long)job->id, err.msg);
		record_requeue(l, shell, "modem", "cannot prepare the job's URLs");
		return -1;
	}
	if (otap_build(&jp.profile, job->action, jp.notify_url[0] ? jp.notify_url : NULL, msg,
		       &err) < 0 ||
	    smpp_message_for(&jp.profile, job->msisdn, &source, proto, &err) < 0) {
		errbuf_prefix(&err, "cannot build the message");
		fail_now(l, shell, err.msg);
		return -1;
	}
	return 0;
}

bool smpp_send_claim(struct smpp_link *l, int64_t now)
{
	struct job job;
	if (!worker_claim(l->w, now, "smpp", &job))
		return false;
	struct smpp_job shell;
	memset(&shell, 0, sizeof shell);
	shell.unit = (struct pending_unit){ .id = job.id, .attempts = job.attempts,
					    .max_attempts = job.max_attempts };
	snprintf(shell.unit.msisdn, sizeof shell.unit.msisdn, "%s", job.msisdn);
	shell.started_at = clock_wall_ms();
	struct otap_message msg;
	struct smpp_message proto;
	if (build(l, &job, &shell, &msg, &proto) == 0)
		smpp_jobs_add(&l->jobs, &shell.unit, &proto, &msg, now, shell.started_at);
	return true;
}

/* ---- submitting ---- */

bool smpp_send_next(struct smpp_link *l, struct smpp_conn *conn, int64_t now)
{
	int64_t earliest;
	struct errbuf err;
	if (!smpp_session_can_submit(&conn->session) || now < l->throttle_until ||
	    now < l->next_send)
		return false;
	struct smpp_job *j = smpp_jobs_next_due(&l->jobs, now, &earliest);
	if (!j)
		return false;
	struct smpp_message m;
	smpp_job_message(j, &m);
	if (smpp_session_submit(&conn->session, &m, smpp_tag(j->unit.id, j->next), now, &err) < 0) {
		/* The fields were checked when the job was built: the output is
		 * full, the SMSC does not read. The link starts again; the part
		 * waits for the next bind. */
		log_warnx("smpp %s: job %lld: %s", link_name(l), (long long)j->unit.id, err.msg);
		smpp_session_lost(&conn->session, "the SMSC does not read what otapd sends");
		return false;
	}
	smpp_job_submitted(j);
	if (l->w->cfg->max_rate > 0)
		l->next_send = now + 60000 / l->w->cfg->max_rate;
	return true;
}

int64_t smpp_send_next_due(struct smpp_link *l, int64_t now)
{
	int64_t earliest;
	(void)smpp_jobs_next_due(&l->jobs, now, &earliest);
	if (earliest == INT64_MAX)
		return INT64_MAX;
	return max64(earliest, max64(l->throttle_until, l->next_send));
}

/* ---- answers ---- */

/* A throttled part goes again after the pause, no attempt used. The
 * answers of a whole window come back throttled together: only the first
 * one after a pause ended starts a new, longer pause. */
static void throttled(struct smpp_link *l, struct smpp_job *j, uint32_t status, int64_t now)
{
	if (now >= l->throttle_until) {
		log_info("smpp %s: throttled by the SMSC (%s); pausing %lld ms", link_name(l),
			 smpp_status_meaning(status), (long long)l->throttle_ms);
		l->throttle_until = now + l->throttle_ms;
		l->throttle_ms = min64(l->throttle_ms * 2, THROTTLE_MAX_MS);
	}
	smpp_job_resend(j, l->throttle_until, false);
}

/* The link is fine: the account's errors start over, throttling eases. */
static void accepted(struct smpp_link *l)
{
	l->throttle_ms = max64(THROTTLE_MIN_MS, l->throttle_ms / 2);
	health_count(&l->w->health, 1, 0);
}

/* An earlier part's receipt can come back during the split delay: its id
 * is recorded now. Best effort: 'sent' records every part again. */
static void record_early_part(struct smpp_link *l, const struct smpp_job *j, size_t part)
{
	struct errbuf err;
	if (!j->parts[part].message_id[0])
		return;
	if (store_record_part_id(l->w->queue, j->unit.id, link_name(l), j->parts[part].message_id,
				 (int)part + 1, (int)j->count, clock_wall_ms(), &err) < 0)
		log_warnx("job %lld: part %zu: %s", (long long)j->unit.id, part + 1, err.msg);
	queue_watch_touch(&l->w->watch);
}

void smpp_send_answered(struct smpp_link *l, uint64_t tag, uint32_t status,
			const char *message_id, int64_t now)
{
	struct smpp_job *j = smpp_jobs_find(&l->jobs, smpp_tag_job(tag));
	size_t part = smpp_tag_part(tag);
	if (!j || j->next != part || j->parts[part].state != SMPP_PART_INFLIGHT) {
		log_warnx("smpp %s: an answer for job %lld part %zu, which is not waiting for one",
			  link_name(l), (long long)smpp_tag_job(tag), part + 1);
		return;
	}
	if (status == 0) {
		accepted(l);
		if (smpp_job_acked(j, message_id, now, l->w->send.cfg->split_delay_ms)) {
			record_sent(l, j);
			smpp_jobs_remove(&l->jobs, j);
		} else {
			record_early_part(l, j, part);
		}
		return;
	}
	if (smpp_status_throttled(status)) {
		throttled(l, j, status, now);
		return;
	}
	struct send_decision dec;
	smpp_status_decide(status, &dec);
	health_count(&l->w->health, 0, 1);
	health_note_error(&l->w->health, dec.detail);
	if (dec.verdict == VERDICT_MODEM) {
		log_warnx("smpp %s: %s: the account or bind is at fault; binding again", link_name(l),
			  dec.detail);
		l->rebind = true;
		snprintf(l->rebind_why, sizeof l->rebind_why, "%s", dec.detail);
	}
	record_failure(l, j, &dec);
	smpp_jobs_remove(&l->jobs, j);
}

static bool any_unanswered(struct smpp_link *l)
{
	for (size_t i = 0; i < smpp_jobs_count(&l->jobs); i++) {
		const struct smpp_job *j = smpp_jobs_get(&l->jobs, i);
		if (j->next < j->count && j->parts[j->next].state == SMPP_PART_INFLIGHT)
			return true;
	}
	return false;
}

uint32_t smpp_send_delivered(struct smpp_link *l, const struct smpp_message *m)
{
	struct smpp_receipt r;
	struct errbuf err;
	int rc = smpp_receipt_parse(m, &r, &err);
	if (rc == 0) {
		log_debug("smpp %s: a message from %s that is not a delivery receipt (ignored)",
			  link_name(l), m->source_addr);
		return 0;
	}
	if (rc < 0) {
		log_warnx("smpp %s: %s", link_name(l), err.msg);
		return 0;       /* sending it again would not make it readable */
	}
	int rc2 = notify_apply_receipt(l->w->queue, link_name(l), r.message_id,
				       smpp_state_stat(r.state), r.tp_st, clock_wall_ms(), &err);
	if (rc2 < 0) {
		log_warnx("smpp %s: receipt for %s: %s; the SMSC will send it again", link_name(l),
			  r.message_id, err.msg);
		return ESME_RX_T_APPN;
	}
	queue_watch_touch(&l->w->watch);
	/* With two binds a receipt can overtake the submit_sm_resp that names
	 * its id (one connection keeps the SMSC's order): while answers are
	 * outstanding, the SMSC is asked to send an unknown one again later. */
	if (rc2 == 0 && l->conn_count == 2 && any_unanswered(l)) {
		log_debug("smpp %s: receipt for %s before its answer; asking for it again",
			  link_name(l), r.message_id);
		return ESME_RX_T_APPN;
	}
	return 0;
}

/* ---- the link went away ---- */

void smpp_send_unanswered(struct smpp_link *l, struct smpp_conn *conn, int64_t now)
{
	struct smpp_session *s = &conn->session;
	for (size_t i = 0; i < smpp_session_inflight_count(s); i++) {
		const struct smpp_inflight *f = smpp_session_inflight(s, i);
		struct smpp_job *j = smpp_jobs_find(&l->jobs, smpp_tag_job(f->tag));
		if (!j || j->next != smpp_tag_part(f->tag))
			continue;
		bool written = smpp_session_written(s, f);
		if (written)
			log_warnx("smpp %s: job %lld part %zu got no answer before the link went "
				  "away; it is sent again on the next bind (the unit may get it twice)",
				  link_name(l), (long long)j->unit.id, smpp_tag_part(f->tag) + 1);
		smpp_job_resend(j, now, written);
	}
}

void smpp_send_requeue_all(struct smpp_link *l, const char *result, const char *why)
{
	while (smpp_jobs_count(&l->jobs) > 0) {
		struct smpp_job *j = smpp_jobs_get(&l->jobs, 0);
		char detail[STORE_TEXT_MAX];
		snprintf(detail, sizeof detail, "%s%s", why, j->unsure ? "; a part was written but "
			 "not answered before the link went away: the unit may get it twice" : "");
		record_requeue(l, j, result, detail);
		smpp_jobs_remove(&l->jobs, j);
	}
}
