/* notify_route.h - what the notification listener answers: one parsed HTTP
 * request in, one response out, the notification applied to the queue in
 * between. No sockets and no HTTP parsing (daemon/notify_server.c and
 * libmicrohttpd own those), so the whole request-to-database path is
 * testable with a temporary database.
 *
 *   POST <base>/n/<job id>/<token>  a unit's notification via its job's NOTIFYURL
 *   POST <base>/notify              fleet-wide: the job is found by the IMEI in
 *                                   the User-Agent "<product>/<IMEI> Profile/..."
 *   GET|HEAD <base>/healthz         200 "ok: N of M modems ready" while a configured
 *                                   modem is ready or sending (its row fresh),
 *                                   else 503 "no modem ready: 0 of M (why)"
 * <base> is the path of notify.public_url; the paths work without it too.
 * Answers: 200 applied or repeated; 404 unknown job, wrong token, unknown
 * IMEI or path; 405 wrong method; 400 body without a status code; 500
 * database error; 503 from /healthz when no modem can send.
 */
#ifndef OTAP_NOTIFY_ROUTE_H
#define OTAP_NOTIFY_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "store.h"
#include "store_events.h"

#define NOTIFY_ROUTE_BASE_MAX 256

/* One complete request as the listener received it. Strings are
 * NUL-terminated and borrowed for the duration of notify_route(). */
struct notify_request {
	const char *method;             /* "POST", "GET", ... */
	const char *target;             /* the path, e.g. "/n/42/<token>" */
	const char *user_agent;         /* NULL when absent */
	const uint8_t *body;            /* may be NULL when body_len is 0 */
	size_t body_len;
	const char *peer;               /* client address, for the log; may be NULL */
};

/* Per-listener state: the store connection and the budget for warnings
 * about rejected notifications (a flood of forgeries must not flood the
 * log). */
struct notify_router {
	struct store *s;                /* borrowed */
	const struct cfg *cfg;          /* borrowed: the profiles and their artifacts */
	const char *public_url;         /* borrowed; "" when none */
	char base_path[NOTIFY_ROUTE_BASE_MAX];
	int64_t warn_window_start;
	int warns_in_window;
	long warns_suppressed;
};

struct notify_reply {
	int status;
	const char *allow;              /* value of the Allow header (405), else NULL */
	char body[512];                 /* text/plain, one line (when no content, no file) */
	const char *content_type;       /* with content or file; static */
	char *content;                  /* a document to send (a JAD), owned: notify_reply_free */
	size_t content_len;
	int file_fd;                    /* >= 0: stream file_size bytes of this file (a JAR),
					 * owned: the caller closes it */
	int64_t file_size;
	struct job_event download;      /* with file_fd: for notify_download_finished */
};

/* Sets up r for answering requests addressed to public_url with the
 * profiles of cfg (may be NULL: no artifacts). s and cfg are borrowed and
 * used only from the caller's thread. Cannot fail. */
void notify_router_init(struct notify_router *r, struct store *s, const struct cfg *cfg,
			const char *public_url);

/* Frees the reply's content (not its file). */
void notify_reply_free(struct notify_reply *out);

/* Logs a warning about a rejected request, at most 10 a minute (the rest
 * are counted and summarised): a flood of forgeries must not flood the log. */
void notify_router_warn(struct notify_router *r, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answers one complete request. Logs one line per notification with the
 * job id, the code and the result, never the token. Never fails: a
 * database error becomes a 500 and an error log line. */
void notify_route(struct notify_router *r, const struct notify_request *req, int64_t now,
		  struct notify_reply *out);

#endif
