/* notify_rules.c - the rules of notify_rules.h: what a notification, a
 * deferred notification, a status report or a confirmation timeout does
 * to a job. Pure: no I/O. */
#include "notify_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

enum report_class { REPORT_DELIVERED, REPORT_INFO, REPORT_PERMANENT, REPORT_GAVE_UP };

static const char *const report_results[] = {
	[REPORT_DELIVERED] = "delivered",
	[REPORT_INFO] = "report",
	[REPORT_PERMANENT] = "report-failed",
	[REPORT_GAVE_UP] = "report-retry",
};

static void set_error(struct job_change *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct job_change *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	c->set_error = true;
}

static void set_detail(struct job_change *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_detail(struct job_change *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
}

/* The try was counted when the job was sent: queued again (not_before
 * now, last_error why) unless that was its last one, then failed "gave up
 * after N attempts: why". */
static void plan_retry(const struct job_view *j, const char *why, struct job_change *c)
{
	c->set_error = true;
	if (policy_gives_up(j->attempts, j->max_attempts, why, c->error, sizeof c->error)) {
		c->state = JOB_FAILED;
	} else {
		c->state = JOB_QUEUED;
		c->requeue = true;
	}
}

/* ---- notifications ---- */

static bool is_repeat(const struct job_view *j, const struct notify_report *r)
{
	/* The same code again, and the job was not sent since it came. */
	return j->notify_code == r->code && j->notified_at >= j->sent_at;
}

/* What a notification does to a job that is not in 'sending'. */
static void plan_verdict(const struct job_view *j, const struct notify_report *r,
			 const char *desc, struct job_change *c)
{
	enum notify_verdict verdict = notify_verdict_for(r->code, j->action);
	if (verdict == NOTIFY_CONFIRM) {
		/* Even cancelled jobs note it: the unit did install. */
		c->confirmed = true;
		if (j->state != JOB_CANCELLED)
			c->state = JOB_CONFIRMED;
	} else if (j->state == JOB_CANCELLED) {
		/* record only */
	} else if (verdict == NOTIFY_FAIL || j->state == JOB_FAILED) {
		c->state = JOB_FAILED;
		set_error(c, "%s", desc);
	} else if (j->state == JOB_SENT || j->state == JOB_DELIVERED) {
		plan_retry(j, desc, c);
	}
}

void notify_describe_for(const struct job_view *j, const struct notify_report *r, char *buf,
			 size_t cap)
{
	notify_describe(r, buf, cap);
	size_t len = strlen(buf);
	if (r->code == 912 && j->action == OTAP_ACTION_INSTALL)
		snprintf(buf + len, cap - len, " (but the job was an install)");
}

bool notify_plan_notification(const struct job_view *j, const struct notify_report *r,
			      struct job_change *c)
{
	char desc[STORE_TEXT_MAX];
	memset(c, 0, sizeof *c);
	c->state = j->state;
	if (j->state == JOB_CONFIRMED || is_repeat(j, r))
		return false;
	c->report = r;
	c->result = "notified";
	notify_describe_for(j, r, desc, sizeof desc);
	set_detail(c, "unit reported %s", desc);
	/* The unit can be faster than our bookkeeping: recorded now, applied
	 * by the sweep once the worker has finished with the job. */
	if (j->state == JOB_SENDING) {
		c->defer = true;
	} else {
		c->undefer = j->notify_pending;    /* superseded by this one */
		plan_verdict(j, r, desc, c);
	}
	return true;
}

void notify_plan_deferred(const struct job_view *j, struct job_change *c)
{
	struct notify_report r = { .code = j->notify_code };
	char desc[STORE_TEXT_MAX];
	snprintf(r.text, sizeof r.text, "%s", j->notify_text);
	notify_describe_for(j, &r, desc, sizeof desc);
	memset(c, 0, sizeof *c);
	c->state = j->state;
	c->undefer = true;
	if (j->state != JOB_CONFIRMED)
		plan_verdict(j, &r, desc, c);
	c->result = "notified";
	set_detail(c, "unit reported %s (while the job was being sent)", desc);
}

/* ---- status reports ---- */

static enum report_class classify_st(uint8_t st)
{
	if (st == 0x00)
		return REPORT_DELIVERED;
	if (st >= 0x40 && st <= 0x5F)
		return REPORT_PERMANENT;
	if (st >= 0x60 && st <= 0x7F)
		return REPORT_GAVE_UP;
	/* 0x01-0x1F done but not known delivered, 0x20-0x3F still trying,
	 * 0x80 and up reserved: nothing to act on. */
	return REPORT_INFO;
}

const char *notify_st_meaning(uint8_t st)
{
	static const struct { uint8_t st; const char *text; } names[] = {
		{ 0x00, "received by the unit" },
		{ 0x01, "forwarded, delivery unconfirmed" },
		{ 0x02, "replaced by the SMSC" },
		{ 0x20, "congestion, still trying" }, { 0x21, "unit busy, still trying" },
		{ 0x22, "no response from the unit, still trying" },
		{ 0x23, "service rejected, still trying" },
		{ 0x24, "quality of service not available, still trying" },
		{ 0x25, "error in the unit, still trying" },
		{ 0x40, "remote procedure error" }, { 0x41, "incompatible destination" },
		{ 0x42, "connection rejected by the unit" }, { 0x43, "not obtainable" },
		{ 0x44, "quality of service not available" }, { 0x45, "no interworking available" },
		{ 0x46, "validity period expired" }, { 0x47, "deleted by the sender" },
		{ 0x48, "deleted by the SMSC administration" }, { 0x49, "message does not exist" },
		{ 0x60, "congestion, SMSC gave up" }, { 0x61, "unit busy, SMSC gave up" },
		{ 0x62, "no response from the unit, SMSC gave up" },
		{ 0x63, "service rejected, SMSC gave up" },
		{ 0x64, "quality of service not available, SMSC gave up" },
		{ 0x65, "error in the unit, SMSC gave up" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].st == st)
			return names[i].text;
	}
	switch (classify_st(st)) {
	case REPORT_PERMANENT: return "permanent error";
	case REPORT_GAVE_UP: return "temporary error, SMSC gave up";
	default: return st >= 0x20 && st <= 0x3F ? "still trying" : "unknown status";
	}
}

/* The part carrying START (the last) of the current send decides; reports
 * on earlier parts or earlier sends are history only. */
void notify_plan_status_report(const struct job_view *j, uint8_t st, struct job_change *c)
{
	enum report_class cls = classify_st(st);
	/* While the job is being sent its send's number is attempts + 1. */
	bool current = j->send == j->attempts + (j->state == JOB_SENDING);
	char why[STORE_TEXT_MAX];

	memset(c, 0, sizeof *c);
	c->state = j->state;
	c->result = report_results[cls];
	set_detail(c, "status report for SM %d/%d: TP-ST 0x%02X %s%s", j->part, j->part_count, st,
		   notify_st_meaning(st), current ? "" : " (an earlier send)");
	if (!current || j->part != j->part_count || j->state != JOB_SENT)
		return;
	snprintf(why, sizeof why, "status report: TP-ST 0x%02X %s", st, notify_st_meaning(st));
	switch (cls) {
	case REPORT_DELIVERED:
		c->state = JOB_DELIVERED;
		c->delivered = true;
		break;
	case REPORT_PERMANENT:
		c->state = JOB_FAILED;
		set_error(c, "%s", why);
		break;
	case REPORT_GAVE_UP:
		plan_retry(j, why, c);
		break;
	case REPORT_INFO:
		break;
	}
}

/* ---- the confirmation timeout ---- */

void notify_plan_unconfirmed(const struct job_view *j, const char *why, struct job_change *c)
{
	memset(c, 0, sizeof *c);
	plan_retry(j, why, c);
	c->result = "unconfirmed";
	set_detail(c, "%s", c->error);
}
