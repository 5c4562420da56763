/* http.h - the simulated units' HTTP client: libcurl's multi interface
 * driven by the simulator's own poll loop, so downloads never block the
 * AT side.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and
 * when it next needs a call (CURLMOPT_TIMERFUNCTION); main.c adds
 * http_pollfds() to its poll set, includes http_deadline() in its timeout
 * and calls http_service() after every poll. Each finished request is
 * logged as one HTTP event and handed to its callback.
 *
 *   HTTP to= method=GET|POST url= status=N bytes=N ua= [user=] [error=]
 *
 * status=0 when no response arrived; bytes counts the body bytes the unit
 * took; user= only with basic auth (never the password); error= only when
 * the transfer failed (curl's reason, or "cut by the unit").
 */
#ifndef MODEMSIM_HTTP_H
#define MODEMSIM_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* Descriptors http_pollfds() may return at most; more wait their turn. */
#define HTTP_POLLFDS_MAX 128

struct http;

struct http_request {
	const char *to;                 /* the unit's MSISDN, for the log */
	const char *method;             /* "GET" or "POST" */
	const char *url;
	const char *user_agent;
	const char *user;               /* NULL = no authentication */
	const char *password;           /* with user; secret: never logged */
	const char *post_body;          /* POST only, sent as text/plain */
	size_t keep_max;                /* keep up to this many body bytes;
					   0 = keep none (count only); a
					   longer body fails the transfer */
	int64_t cut_after;              /* -1 = read the whole body, else
					   close the connection after this
					   many bytes */
};

struct http_result {
	long status;                    /* HTTP status, 0 = no response */
	int64_t bytes;                  /* body bytes taken */
	const char *error;              /* NULL = the transfer completed */
	int cut;                        /* 1 when cut_after stopped it */
	const char *body;               /* kept bytes (keep_max > 0) */
	size_t body_len;
};

/* Called once per request, from http_service(); res is valid only during
 * the call. The callback may start further requests. */
typedef void (*http_done_fn)(void *ctx, const struct http_result *res);

/* Creates the client (call curl_global_init first). NULL on failure. */
struct http *http_new(void);
/* Abandons every request in flight (no callbacks) and frees h. */
void http_free(struct http *h);

/* Starts a request. Returns 0, or -1 (out of memory, curl refused) after
 * logging an HTTP event with the error; done is then never called. */
int http_start(struct http *h, const struct http_request *rq, http_done_fn done, void *ctx);

/* Writes the descriptors to poll into out (at most max). Returns the count. */
size_t http_pollfds(const struct http *h, struct pollfd *out, size_t max);
/* Monotonic ms at which http_service must run even without I/O;
 * INT64_MAX when nothing waits. */
int64_t http_deadline(const struct http *h);
/* Lets libcurl act on the polled descriptors (fds as filled by
 * http_pollfds, revents set by poll) and on its timer, then completes
 * finished requests. */
void http_service(struct http *h, const struct pollfd *fds, size_t n, int64_t now);

#endif
