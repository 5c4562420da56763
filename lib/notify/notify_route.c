/* notify_route.c - maps a received HTTP request to a notification applied to
 * the queue and to the response (see notify_route.h). */
#include "notify_route.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modem_roster.h"
#include "notify.h"
#include "notify_apply.h"
#include "notify_artifacts.h"

/* At most this many warnings about rejected notifications per minute; the
 * rest are counted and summarised when the next window opens. */
#define WARN_WINDOW_MS (60 * 1000)
#define WARNS_PER_WINDOW 10

void notify_router_init(struct notify_router *r, struct store *s, const struct cfg *cfg,
			const char *public_url)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	r->cfg = cfg;
	r->public_url = public_url ? public_url : "";
	notify_base_path(r->public_url, r->base_path, sizeof r->base_path);
}

void notify_reply_free(struct notify_reply *out)
{
	free(out->content);
	out->content = NULL;
}

void notify_router_warn(struct notify_router *r, int64_t now, const char *fmt, ...)
{
	if (now - r->warn_window_start >= WARN_WINDOW_MS || now < r->warn_window_start) {
		if (r->warns_suppressed > 0)
			log_warnx("notify: %ld more rejected notifications in the last minute "
				  "(not logged one by one)", r->warns_suppressed);
		r->warn_window_start = now;
		r->warns_in_window = 0;
		r->warns_suppressed = 0;
	}
	if (r->warns_in_window >= WARNS_PER_WINDOW) {
		r->warns_suppressed++;
		return;
	}
	r->warns_in_window++;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_warnx("%s", line);
}

__attribute__((format(printf, 3, 4)))
static void reply(struct notify_reply *out, int status, const char *fmt, ...)
{
	va_list ap;
	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->body, sizeof out->body, fmt, ap);
	va_end(ap);
}

static void reply_method(struct notify_reply *out, const char *allow)
{
	reply(out, 405, "method not allowed (use %s)", allow);
	out->allow = allow;
}

static const char *result_text(const struct notify_applied *a)
{
	if (a->result == NOTIFY_UNCHANGED)
		return "repeat or nothing to change";
	if (a->before == JOB_SENDING)
		return "recorded, applied once the send is recorded";
	return a->before == a->after ? "recorded" : "applied";
}

/* Logs the outcome of a notification that found its job; fills the response. */
static void answer_applied(const struct notify_applied *a, const struct notify_report *rep,
			   const char *via, struct notify_reply *out)
{
	char desc[160];
	notify_describe(rep, desc, sizeof desc);
	log_info("notify: job %" PRId64 " (%s): %s: %s, %s -> %s", a->job_id, via, desc,
		 result_text(a), job_state_name(a->before), job_state_name(a->after));
	reply(out, 200, "ok");
}

static void route_job(struct notify_router *r, const struct notify_path *path,
		      const struct notify_report *rep, const char *peer, int64_t now,
		      struct notify_reply *out)
{
	struct notify_applied a;
	struct errbuf err;
	if (notify_apply_job(r->s, path->job_id, path->token, rep, now, &a, &err) < 0) {
		log_errorx("notify: job %" PRId64 ": %s", path->job_id, err.msg);
		reply(out, 500, "cannot record the notification now");
		return;
	}
	if (a.result == NOTIFY_NO_JOB) {
		notify_router_warn(r, now, "notify: job %" PRId64 " from %s: no such job or wrong token, "
			     "ignored", path->job_id, peer ? peer : "?");
		reply(out, 404, "no such job");
		return;
	}
	answer_applied(&a, rep, "job URL", out);
}

static void route_fleet(struct notify_router *r, const struct notify_request *req,
			const struct notify_report *rep, const char *peer, int64_t now,
			struct notify_reply *out)
{
	char imei[NOTIFY_IMEI_LEN + 1], via[48];
	struct notify_applied a;
	struct errbuf err;
	if (notify_user_agent_imei(req->user_agent, imei) < 0) {
		notify_router_warn(r, now, "notify: fleet-wide notification from %s without an IMEI in "
			     "its User-Agent, ignored", peer ? peer : "?");
		reply(out, 404, "no IMEI in the User-Agent (expected <product>/<IMEI> ...)");
		return;
	}
	snprintf(via, sizeof via, "IMEI %s", imei);
	if (notify_apply_imei(r->s, imei, rep, now, &a, &err) < 0) {
		log_errorx("notify: IMEI %s: %s", imei, err.msg);
		reply(out, 500, "cannot record the notification now");
		return;
	}
	if (a.result == NOTIFY_NO_JOB) {
		notify_router_warn(r, now, "notify: %s from %s: no sent job for this IMEI, ignored", via,
			     peer ? peer : "?");
		reply(out, 404, "no job for this IMEI");
		return;
	}
	answer_applied(&a, rep, via, out);
}

/* /healthz says whether otapd can send: 200 while at least one configured
 * modem is ready (or sending) by a fresh row, 503 otherwise, with the
 * count and, when none is, why. A database error is a 503 too. */
static void answer_health(struct notify_router *r, int64_t now, struct notify_reply *out)
{
	struct modem_roster roster;
	struct errbuf err;
	if (modem_roster_load(r->s, r->cfg, &roster, &err) < 0) {
		log_errorx("notify: /healthz: %s", err.msg);
		modem_roster_free(&roster);
		reply(out, 503, "cannot read the modems now");
		return;
	}
	size_t ready = modem_roster_usable_count(&roster, now);
	if (ready > 0) {
		reply(out, 200, "ok: %zu of %zu modems ready", ready, roster.n);
	} else {
		char why[sizeof out->body];
		modem_roster_why_none(&roster, now, why, sizeof why);
		reply(out, 503, "no modem ready: 0 of %zu (%s)", roster.n, why);
	}
	modem_roster_free(&roster);
}

void notify_route(struct notify_router *r, const struct notify_request *req, int64_t now,
		  struct notify_reply *out)
{
	const char *peer = req->peer;
	struct notify_path path;
	struct notify_report rep;
	memset(out, 0, sizeof *out);
	out->file_fd = -1;
	enum notify_path_kind kind = notify_path_parse(req->target, r->base_path, &path);
	bool post = strcmp(req->method, "POST") == 0;
	switch (kind) {
	case NOTIFY_PATH_UNKNOWN:
		reply(out, 404, "not found");
		return;
	case NOTIFY_PATH_HEALTH:
		if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
			answer_health(r, now, out);
		else
			reply_method(out, "GET, HEAD");
		return;
	case NOTIFY_PATH_JAD:
	case NOTIFY_PATH_JAR:
		notify_serve_artifact(r, &path, req, now, out);
		return;
	case NOTIFY_PATH_JOB:
	case NOTIFY_PATH_FLEET:
		break;
	}
	if (!post) {
		reply_method(out, "POST");
		return;
	}
	static const uint8_t no_body[1];
	if (notify_body_parse(req->body ? req->body : no_body, req->body ? req->body_len : 0,
			      &rep) < 0) {
		reply(out, 400, "expected '<status code> <text>' as the first line of the body");
		return;
	}
	if (kind == NOTIFY_PATH_JOB)
		route_job(r, &path, &rep, peer, now, out);
	else
		route_fleet(r, req, &rep, peer, now, out);
}
