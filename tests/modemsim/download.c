/* download.c - a unit's JAD/JAR download and status report (see download.h). */
#include "download.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "simlog.h"

/* A JAD is a few hundred bytes; anything this large is not one. */
#define DOWNLOAD_JAD_MAX (64 * 1024)

/* MIDP status codes the unit picks itself (spec §5). */
#define CODE_JAR_SIZE_MISMATCH 904
#define CODE_INVALID_DESCRIPTOR 906
#define CODE_INVALID_JAR 907

/* One unit's procedure, from START to its DOWNLOAD event. */
struct dl {
	struct dl *next;
	struct downloads *owner;
	struct download_request rq;
	struct jad_info jad;
	int code;                       /* what the report will say */
	int64_t report_due;             /* INT64_MAX = no report waiting */
};

struct downloads {
	struct http *http;
	struct dl *list;
};

struct downloads *downloads_new(struct http *http)
{
	struct downloads *d = calloc(1, sizeof *d);
	if (d)
		d->http = http;
	return d;
}

void downloads_free(struct downloads *d)
{
	if (!d)
		return;
	while (d->list) {
		struct dl *x = d->list;
		d->list = x->next;
		free(x);
	}
	free(d);
}

void download_user_agent(const char *product, const char *imei, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s Profile/IMP-NG Configuration/CLDC-1.1", product, imei);
}

static char *esc(const char *s, char *out, size_t cap)
{
	return simlog_escape((const uint8_t *)s, strlen(s), out, cap);
}

/* Logs the unit's outcome and forgets the procedure. */
static void finish(struct dl *x, const char *result, int code)
{
	char codetext[16] = "-";
	if (code >= 0)
		snprintf(codetext, sizeof codetext, "%d", code);
	simlog_event("DOWNLOAD\tto=%s\tresult=%s\tcode=%s", x->rq.to, result, codetext);
	for (struct dl **p = &x->owner->list; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			break;
		}
	}
	free(x);
}

/* Starts a GET with the unit's identity; HTTPUSER/HTTPPWD are for the
 * JAD and JAR server (spec §2), so only GETs carry them. */
static int start_get(struct dl *x, const char *url, size_t keep_max, int64_t cut_after,
		     http_done_fn done)
{
	struct http_request rq = {
		.to = x->rq.to, .method = "GET", .url = url, .user_agent = x->rq.user_agent,
		.user = x->rq.user[0] ? x->rq.user : NULL, .password = x->rq.password,
		.keep_max = keep_max, .cut_after = cut_after,
	};
	return http_start(x->owner->http, &rq, done, x);
}

/* --- the report --------------------------------------------------------- */

static void on_report(void *ctx, const struct http_result *res)
{
	struct dl *x = ctx;
	const char *url = x->jad.install_notify[0] ? x->jad.install_notify : x->rq.notify_url;
	char eurl[2 * NOTIFY_URL_MAX], eerr[512];
	esc(url, eurl, sizeof eurl);
	if (res->status > 0) {
		simlog_event("NOTIFY\tto=%s\turl=%s\tcode=%d\thttp=%ld", x->rq.to, eurl, x->code, res->status);
		finish(x, "reported", x->code);
		return;
	}
	simlog_event("NOTIFY\tto=%s\turl=%s\tcode=%d\thttp=error:%s", x->rq.to, eurl, x->code,
		     esc(res->error ? res->error : "no reply", eerr, sizeof eerr));
	finish(x, "report-failed", x->code);
}

/* POSTs "<code> <text>" to MIDlet-Install-Notify, else to NOTIFYURL. */
static void send_report(struct dl *x)
{
	const char *url = x->jad.install_notify[0] ? x->jad.install_notify : x->rq.notify_url;
	char body[64];
	snprintf(body, sizeof body, "%d %s\n", x->code, notify_status_text(x->code));
	struct http_request rq = {
		.to = x->rq.to, .method = "POST", .url = url, .user_agent = x->rq.user_agent,
		.post_body = body, .cut_after = -1,
	};
	if (http_start(x->owner->http, &rq, on_report, x) < 0)
		finish(x, "report-failed", x->code);
}

/* Decides whether and where the unit reports code; a report waits for
 * the unit's notify delay (the module installs, then reports). */
static void schedule_report(struct dl *x, int code)
{
	if (x->rq.code < 0) {
		finish(x, "no-report", -1);
		return;
	}
	x->code = code;
	if (!x->jad.install_notify[0] && !x->rq.notify_url[0]) {
		simlog_event("NOTIFY\tto=%s\turl=\tcode=%d\thttp=error:no NOTIFYURL", x->rq.to, code);
		finish(x, "report-failed", code);
		return;
	}
	x->report_due = clock_mono_ms() + x->rq.notify_delay_ms;
}

int64_t downloads_deadline(const struct downloads *d)
{
	int64_t due = INT64_MAX;
	for (const struct dl *x = d->list; x; x = x->next) {
		if (x->report_due < due)
			due = x->report_due;
	}
	return due;
}

void downloads_run(struct downloads *d, int64_t now)
{
	struct dl *next;
	for (struct dl *x = d->list; x; x = next) {
		next = x->next;
		if (x->report_due <= now) {
			x->report_due = INT64_MAX;
			send_report(x);
		}
	}
}

/* --- JAR and JAD -------------------------------------------------------- */

static const char *jar_result(const struct dl *x, const struct http_result *res, char *buf,
			      size_t cap)
{
	if (res->status > 0 && (res->status < 200 || res->status > 299)) {
		snprintf(buf, cap, "http-%ld", res->status);
		return buf;
	}
	if (res->cut)
		return "cut";
	if (res->error)
		return "failed";
	return res->bytes == x->jad.jar_size ? "ok" : "size-mismatch";
}

static void on_jar(void *ctx, const struct http_result *res)
{
	struct dl *x = ctx;
	char buf[32];
	const char *result = jar_result(x, res, buf, sizeof buf);
	simlog_event("JAR\tto=%s\tbytes=%lld\tof=%lld\tresult=%s", x->rq.to, (long long)res->bytes,
		     (long long)x->jad.jar_size, result);
	if (strcmp(result, "cut") == 0)
		finish(x, "jar-cut", -1);
	else if (strcmp(result, "failed") == 0)
		finish(x, "jar-failed", -1);
	else if (strcmp(result, "size-mismatch") == 0)
		schedule_report(x, CODE_JAR_SIZE_MISMATCH);
	else if (strcmp(result, "ok") == 0)
		schedule_report(x, x->rq.code);
	else
		schedule_report(x, CODE_INVALID_JAR);
}

static void log_jad(const struct dl *x)
{
	char a[2 * JAD_URL_MAX], b[2 * JAD_URL_MAX], r[2 * JAD_MISSING_MAX];
	if (x->jad.invalid[0]) {
		simlog_event("JAD\tto=%s\tresult=invalid\treason=%s", x->rq.to,
			     esc(x->jad.invalid, r, sizeof r));
		return;
	}
	simlog_event("JAD\tto=%s\tresult=ok\tjar_url=%s\tjar_size=%lld\tinstall_notify=%s", x->rq.to,
		     esc(x->jad.jar_url, a, sizeof a), (long long)x->jad.jar_size,
		     esc(x->jad.install_notify, b, sizeof b));
}

static void on_jad(void *ctx, const struct http_result *res)
{
	struct dl *x = ctx;
	if (res->error || res->status < 200 || res->status > 299) {
		finish(x, "jad-failed", -1);
		return;
	}
	unit_jad_read(res->body, res->body_len, x->rq.jad_url, &x->jad);
	log_jad(x);
	if (x->jad.invalid[0]) {
		schedule_report(x, CODE_INVALID_DESCRIPTOR);
		return;
	}
	if (x->rq.mode == FLEET_DOWNLOAD_JAD_ONLY) {
		finish(x, "stopped-after-jad", -1);
		return;
	}
	/* A cut JAR: the bearer drops halfway through the declared size. */
	int64_t cut = x->rq.mode == FLEET_DOWNLOAD_CUT ? x->jad.jar_size / 2 : -1;
	if (start_get(x, x->jad.jar_url, 0, cut, on_jar) < 0)
		finish(x, "jar-failed", -1);
}

void downloads_start(struct downloads *d, const struct download_request *rq)
{
	struct dl *x = calloc(1, sizeof *x);
	if (!x) {
		simlog_event("DOWNLOAD\tto=%s\tresult=error:out of memory\tcode=-", rq->to);
		return;
	}
	x->owner = d;
	x->rq = *rq;
	x->report_due = INT64_MAX;
	x->next = d->list;
	d->list = x;
	if (rq->mode == FLEET_DOWNLOAD_UNREACHABLE)
		finish(x, "server-not-found", -1);
	else if (!rq->jad_url[0])
		finish(x, "no-jadurl", -1);
	else if (start_get(x, rq->jad_url, DOWNLOAD_JAD_MAX, -1, on_jad) < 0)
		finish(x, "jad-failed", -1);
}
