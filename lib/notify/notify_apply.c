/* notify_apply.c - the units' reports handed to the store with the rules
 * of notify_rules.h, and what they did logged (see notify_apply.h). */
#include "notify_apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "notify_rules.h"
#include "pdu.h"

int notify_job_url(struct store *s, int64_t job_id, const char *public_url, char *url,
		   size_t cap, struct errbuf *err)
{
	char token[NOTIFY_TOKEN_LEN + 1];
	if (store_job_token(s, job_id, token, err) < 0)
		return -1;
	int n = notify_format_job_url(public_url, job_id, token, url, cap);
	explicit_bzero(token, sizeof token);
	if (n < 0)
		return errbuf_set(err, "job %" PRId64 ": the NOTIFYURL does not fit in %zu bytes",
				  job_id, cap);
	return 0;
}

int notify_job_profile(struct store *s, int64_t job_id, const char *public_url,
		       const struct otap_profile *p, struct otap_job_profile *out,
		       struct errbuf *err)
{
	char token[NOTIFY_TOKEN_LEN + 1];
	memset(out, 0, sizeof *out);
	out->profile = *p;
	if (!public_url)
		return 0;
	if (store_job_token(s, job_id, token, err) < 0)
		return -1;
	int rc = notify_format_job_url(public_url, job_id, token, out->notify_url,
				       sizeof out->notify_url);
	if (rc >= 0 && p->jar_file) {
		rc = notify_format_artifact_url(public_url, job_id, token, false, out->jad_url,
						sizeof out->jad_url);
		out->profile.jad_url = out->jad_url;
	}
	explicit_bzero(token, sizeof token);
	if (rc < 0)
		return errbuf_set(err, "job %" PRId64 ": its URLs do not fit in %zu bytes", job_id,
				  sizeof out->notify_url);
	return 0;
}

/* ---- notifications ---- */

static bool plan_notification(const struct job_view *j, void *arg, struct job_change *c)
{
	return notify_plan_notification(j, arg, c);
}

static int apply_keyed(struct store *s, const struct job_key *key, const struct notify_report *r,
		       int64_t now, struct notify_applied *out, struct errbuf *err)
{
	struct store_rules rules = { .plan = plan_notification, .arg = (void *)r };
	return store_apply_notification(s, key, &rules, now, out, err);
}

int notify_apply_job(struct store *s, int64_t job_id, const char *token,
		     const struct notify_report *r, int64_t now, struct notify_applied *out,
		     struct errbuf *err)
{
	struct job_key key = { .id = job_id, .token = token };
	if (job_id <= 0) {
		memset(out, 0, sizeof *out);
		out->result = NOTIFY_NO_JOB;
		return 0;
	}
	return apply_keyed(s, &key, r, now, out, err);
}

int notify_apply_imei(struct store *s, const char *imei, const struct notify_report *r,
		      int64_t now, struct notify_applied *out, struct errbuf *err)
{
	struct job_key key = { .imei = imei };
	return apply_keyed(s, &key, r, now, out, err);
}

/* ---- status reports ---- */

struct report_ctx {
	const char *modem;
	uint8_t mr, st;
	char mrs[8];
};

static bool plan_report(const struct job_view *j, void *arg, struct job_change *c)
{
	const struct report_ctx *r = arg;
	notify_plan_status_report(j, r->st, c);
	/* The attempt row names the modem and the MR the report came with. */
	c->modem = r->modem;
	c->mrs = r->mrs;
	return true;    /* every matched report is history */
}

static void log_report(const struct job_view *j, const struct job_change *c, void *arg)
{
	const struct report_ctx *r = arg;
	const char *meaning = notify_st_meaning(r->st);
	if (c->state == j->state)
		log_debug("job %" PRId64 " via %s: status report mr %u TP-ST 0x%02X (%s), no change",
			  j->id, r->modem, r->mr, r->st, meaning);
	else if (c->state == JOB_FAILED)
		log_warnx("job %" PRId64 " to %s via %s: failed: %s", j->id, j->msisdn, r->modem,
			  c->error);
	else
		log_info("job %" PRId64 " to %s via %s: %s (status report mr %u TP-ST 0x%02X %s)",
			 j->id, j->msisdn, r->modem, c->state == JOB_QUEUED ? "queued again" :
			 job_state_name(c->state), r->mr, r->st, meaning);
}

/* Modems print the +CDS PDU with the SMSC field (TS 27.005), but be lenient
 * about ones that do not. */
static int decode_report(const char *hex, struct pdu_decoded *d, struct errbuf *err)
{
	if (pdu_decode(hex, true, d, err) == 0 && d->type == PDU_TYPE_STATUS_REPORT)
		return 0;
	if (pdu_decode(hex, false, d, err) == 0 && d->type == PDU_TYPE_STATUS_REPORT)
		return 0;
	return errbuf_prefix(err, "not an SMS-STATUS-REPORT PDU");
}

int notify_apply_status_report(struct store *s, const char *modem, const char *pdu_hex,
			       int64_t now, struct errbuf *err)
{
	struct pdu_decoded d;
	struct notify_applied applied;
	if (decode_report(pdu_hex, &d, err) < 0)
		return -1;
	struct report_ctx ctx = { .modem = modem, .mr = d.mr, .st = d.st };
	snprintf(ctx.mrs, sizeof ctx.mrs, "%u", d.mr);
	struct store_rules rules = { .plan = plan_report, .committed = log_report, .arg = &ctx };
	if (store_apply_status_report(s, modem, d.mr, d.addr, &rules, now, &applied, err) < 0)
		return -1;
	if (applied.result == NOTIFY_NO_JOB)
		log_debug("status report on %s for mr %u (%s) matches no recent send", modem, d.mr,
			  d.addr[0] ? d.addr : "no number");
	return 0;
}

/* ---- SMPP delivery receipts ---- */

struct receipt_ctx {
	const char *modem;
	const char *message_id;
	const char *stat;
	uint8_t st;
};

static bool plan_receipt(const struct job_view *j, void *arg, struct job_change *c)
{
	const struct receipt_ctx *r = arg;
	notify_plan_status_report(j, r->st, c);
	c->modem = r->modem;
	size_t n = strlen(c->detail);
	snprintf(c->detail + n, sizeof c->detail - n, " (SMPP receipt %.64s: %s)", r->message_id,
		 r->stat);
	return true;
}

static void log_receipt(const struct job_view *j, const struct job_change *c, void *arg)
{
	const struct receipt_ctx *r = arg;
	if (c->state == j->state)
		log_debug("job %" PRId64 " via %s: receipt for %s (%s), no change", j->id, r->modem,
			  r->message_id, r->stat);
	else if (c->state == JOB_FAILED)
		log_warnx("job %" PRId64 " to %s via %s: failed: %s", j->id, j->msisdn, r->modem,
			  c->error);
	else
		log_info("job %" PRId64 " to %s via %s: %s (receipt for %s: %s)", j->id, j->msisdn,
			 r->modem, c->state == JOB_QUEUED ? "queued again" : job_state_name(c->state),
			 r->message_id, r->stat);
}

int notify_apply_receipt(struct store *s, const char *modem, const char *message_id,
			 const char *stat, uint8_t st, int64_t now, struct errbuf *err)
{
	struct notify_applied applied;
	struct receipt_ctx ctx = { .modem = modem, .message_id = message_id, .stat = stat, .st = st };
	struct store_rules rules = { .plan = plan_receipt, .committed = log_receipt, .arg = &ctx };
	if (store_apply_receipt(s, modem, message_id, &rules, now, &applied, err) < 0)
		return -1;
	if (applied.result == NOTIFY_NO_JOB) {
		log_debug("receipt on %s for message %s matches no recent send", modem, message_id);
		return 0;
	}
	return 1;
}

/* ---- deferred notifications ---- */

static bool plan_deferred(const struct job_view *j, void *arg, struct job_change *c)
{
	(void)arg;
	notify_plan_deferred(j, c);
	return true;
}

static void log_deferred(const struct job_view *j, const struct job_change *c, void *arg)
{
	(void)arg;
	struct notify_report r = { .code = j->notify_code };
	char desc[STORE_TEXT_MAX];
	snprintf(r.text, sizeof r.text, "%s", j->notify_text);
	notify_describe(&r, desc, sizeof desc);
	log_info("notify: job %" PRId64 ": %s (reported while it was being sent): applied, "
		 "%s -> %s", j->id, desc, job_state_name(j->state), job_state_name(c->state));
}

int notify_apply_deferred(struct store *s, int64_t now, int *count, struct errbuf *err)
{
	struct store_rules rules = { .plan = plan_deferred, .committed = log_deferred };
	return store_apply_deferred(s, &rules, now, count, err);
}
