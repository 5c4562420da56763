/* http_request.h - a pure, incremental HTTP/1.x request parser for the
 * notification listener: request line, headers, a Content-Length body.
 *
 * No I/O and no allocation: feed it whatever bytes arrived, in any pieces,
 * and it says whether it needs more, has a complete request, or rejected the
 * request with the HTTP status to answer. Everything is bounded by the
 * limits given at init, so hostile input costs at most the struct's size.
 * Only what the listener needs is supported: no chunked bodies (411), no
 * header folding (400), no pipelining (bytes after the first request are
 * left unconsumed; the listener closes the connection after one answer).
 */
#ifndef OTAP_HTTP_REQUEST_H
#define OTAP_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_CAP 8192      /* request line + headers, terminating blank line included */
#define HTTP_BODY_CAP 4096
#define HTTP_HEADERS_MAX 64

enum http_phase { HTTP_PHASE_HEAD, HTTP_PHASE_BODY, HTTP_PHASE_DONE, HTTP_PHASE_ERROR };

enum http_result { HTTP_MORE, HTTP_DONE, HTTP_ERROR };

struct http_request {
	/* limits (at most the caps) */
	size_t max_head;
	size_t max_body;
	/* progress */
	enum http_phase phase;
	size_t head_len;
	int blank_state;                /* line-end scanner: 0, 1 after LF, 2 after LF CR */
	/* results: strings point into head (or, for a target with no path, to a
	 * static "/") and are valid from the body phase on */
	const char *method;
	const char *target;             /* origin-form path (absolute-form reduced to it) */
	int version_minor;              /* HTTP/1.<minor> */
	const char *user_agent;         /* NULL when absent */
	const char *host;               /* NULL when absent */
	bool has_length;
	size_t content_length;
	size_t body_len;
	int error_status;               /* 400, 411, 413, 431, 505 when phase is ERROR */
	const char *error_reason;       /* static text for the log, never request bytes */
	char head[HTTP_HEAD_CAP + 1];
	uint8_t body[HTTP_BODY_CAP];
};

/* Resets r for a new request. max_head/max_body are clamped to the caps;
 * 0 means the cap. Cannot fail. */
void http_request_init(struct http_request *r, size_t max_head, size_t max_body);

/* Consumes bytes of the request. *used (may be NULL) gets the number of
 * bytes taken: less than len only once the request is complete (the rest
 * would be a pipelined request, which is ignored) or rejected. Returns
 * HTTP_MORE (need more bytes), HTTP_DONE (method, target, headers and body
 * are ready) or HTTP_ERROR (error_status/error_reason say why). Further
 * calls after DONE or ERROR consume nothing and return the same result. */
enum http_result http_request_feed(struct http_request *r, const void *data, size_t len,
				   size_t *used);

/* The reason phrase for the status codes the listener sends ("Not Found");
 * "Error" for others. Static string. */
const char *http_status_text(int status);

#endif
