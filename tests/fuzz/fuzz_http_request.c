/* fuzz_http_request.c - libFuzzer harness for the notify listener's
 * incremental HTTP request parser (lib/http_request.h).
 *
 * Input: 4 header bytes, then the bytes a client sends.
 *   bytes 0-1  max_head, little endian (0 = the cap)
 *   byte 2     max_body / 16 (0 = the cap)
 *   byte 3     seed of the chunking
 * The request is parsed twice with the same struct (re-initialised in
 * between, as a listener slot is reused): once in one piece, once in
 * pieces of 0 to 64 bytes chosen by the seed (empty feeds and single bytes
 * included). Checked:
 * - no crash, no access outside the struct and the input;
 * - both parses agree on the result, status, reason, bytes consumed,
 *   method, target, Host, User-Agent, Content-Length and body (the header
 *   promises that a split request parses exactly like a whole one);
 * - *used is less than len only on DONE/ERROR; after DONE/ERROR a feed
 *   consumes nothing and returns the same result;
 * - on DONE: the strings are NUL-terminated inside head, the target is a
 *   path, POST/PUT have a Content-Length, the body fits max_body;
 * - on ERROR: the status is one the header lists, with a static reason.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one parse found, copied out of the struct. */
struct outcome {
	enum http_result result;
	size_t used;
	int error_status;
	const char *error_reason;
	char method[HTTP_HEAD_CAP + 1];
	char target[HTTP_HEAD_CAP + 1];
	char host[HTTP_HEAD_CAP + 1];
	char user_agent[HTTP_HEAD_CAP + 1];
	bool has_host, has_user_agent;
	int version_minor;
	bool has_length;
	size_t content_length;
	size_t body_len;
	uint8_t body[HTTP_BODY_CAP];
};

static struct http_request req;
static struct outcome whole, pieces;

/* s must point into r->head and end there. */
static void check_head_string(const struct http_request *r, const char *s, const char *what)
{
	FUZZ_CHECK(s >= r->head && s < r->head + sizeof r->head, "%s outside head", what);
	size_t room = (size_t)(r->head + sizeof r->head - s);
	FUZZ_CHECK(memchr(s, '\0', room) != NULL, "%s not NUL-terminated in head", what);
}

static bool is_listed_status(int status)
{
	return status == 400 || status == 411 || status == 413 || status == 431 || status == 505;
}

static void check_final(const struct http_request *r, enum http_result res)
{
	FUZZ_CHECK(r->head_len <= r->max_head && r->max_head <= HTTP_HEAD_CAP, "head_len %zu",
		   r->head_len);
	FUZZ_CHECK(r->body_len <= r->max_body && r->max_body <= HTTP_BODY_CAP, "body_len %zu",
		   r->body_len);
	if (res == HTTP_ERROR) {
		FUZZ_CHECK(r->phase == HTTP_PHASE_ERROR, "phase %d", (int)r->phase);
		FUZZ_CHECK(is_listed_status(r->error_status), "status %d", r->error_status);
		FUZZ_CHECK(r->error_reason != NULL && *r->error_reason, "no reason");
		FUZZ_CHECK(strcmp(http_status_text(r->error_status), "Error") != 0, "status text");
		return;
	}
	if (res == HTTP_MORE) {
		FUZZ_CHECK(r->phase == HTTP_PHASE_HEAD || r->phase == HTTP_PHASE_BODY, "phase %d",
			   (int)r->phase);
		return;
	}
	FUZZ_CHECK(r->phase == HTTP_PHASE_DONE, "phase %d", (int)r->phase);
	FUZZ_CHECK(r->method && r->target, "DONE without method/target");
	check_head_string(r, r->method, "method");
	/* An absolute-form target without a path becomes the static "/". */
	if (!(r->target >= r->head && r->target < r->head + sizeof r->head))
		FUZZ_CHECK(strcmp(r->target, "/") == 0, "target \"%s\" outside head", r->target);
	else
		check_head_string(r, r->target, "target");
	if (r->host)
		check_head_string(r, r->host, "host");
	if (r->user_agent)
		check_head_string(r, r->user_agent, "user_agent");
	FUZZ_CHECK(r->target[0] == '/', "target \"%s\" is not a path", r->target);
	FUZZ_CHECK(*r->method && strlen(r->method) <= 16, "method");
	FUZZ_CHECK(r->version_minor >= 0 && r->version_minor <= 9, "version");
	if (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0)
		FUZZ_CHECK(r->has_length, "%s without Content-Length accepted", r->method);
	FUZZ_CHECK(r->body_len == (r->has_length ? r->content_length : 0), "body %zu of %zu",
		   r->body_len, r->content_length);
	FUZZ_CHECK(r->content_length <= r->max_body, "Content-Length over the limit");
}

static void copy_str(char *dst, const char *src)
{
	size_t n = strnlen(src, HTTP_HEAD_CAP);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void record(const struct http_request *r, enum http_result res, size_t used,
		   struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->result = res;
	o->used = used;
	o->error_status = r->error_status;
	o->error_reason = r->error_reason;
	if (res != HTTP_DONE)
		return;
	copy_str(o->method, r->method);
	copy_str(o->target, r->target);
	o->has_host = r->host != NULL;
	if (r->host)
		copy_str(o->host, r->host);
	o->has_user_agent = r->user_agent != NULL;
	if (r->user_agent)
		copy_str(o->user_agent, r->user_agent);
	o->version_minor = r->version_minor;
	o->has_length = r->has_length;
	o->content_length = r->content_length;
	o->body_len = r->body_len;
	memcpy(o->body, r->body, r->body_len);
}

/* A feed after the end consumes nothing and repeats the result. */
static void check_after_end(struct http_request *r, enum http_result res)
{
	static const char more[] = "GET / HTTP/1.1\r\n\r\n";
	size_t used = 12345;
	FUZZ_CHECK(http_request_feed(r, more, sizeof more - 1, &used) == res, "result changed");
	FUZZ_CHECK(used == 0, "consumed %zu bytes after the end", used);
}

static enum http_result feed_checked(struct http_request *r, const uint8_t *p, size_t n,
				     size_t *total)
{
	size_t used = 12345;
	enum http_result res = http_request_feed(r, p, n, &used);
	FUZZ_CHECK(res == HTTP_MORE || res == HTTP_DONE || res == HTTP_ERROR, "result %d", res);
	FUZZ_CHECK(used <= n, "used %zu of %zu", used, n);
	if (res == HTTP_MORE)
		FUZZ_CHECK(used == n, "MORE but only %zu of %zu used", used, n);
	*total += used;
	return res;
}

static void compare(const struct outcome *a, const struct outcome *b)
{
	FUZZ_CHECK(a->result == b->result, "whole: %d, in pieces: %d", a->result, b->result);
	FUZZ_CHECK(a->used == b->used, "used %zu vs %zu", a->used, b->used);
	FUZZ_CHECK(a->error_status == b->error_status, "status %d vs %d", a->error_status,
		   b->error_status);
	FUZZ_CHECK(a->error_reason == b->error_reason, "reason \"%s\" vs \"%s\"",
		   a->error_reason ? a->error_reason : "", b->error_reason ? b->error_reason : "");
	if (a->result != HTTP_DONE)
		return;
	FUZZ_CHECK(strcmp(a->method, b->method) == 0, "method");
	FUZZ_CHECK(strcmp(a->target, b->target) == 0, "target");
	FUZZ_CHECK(a->has_host == b->has_host && strcmp(a->host, b->host) == 0, "host");
	FUZZ_CHECK(a->has_user_agent == b->has_user_agent &&
		   strcmp(a->user_agent, b->user_agent) == 0, "user agent");
	FUZZ_CHECK(a->version_minor == b->version_minor, "version");
	FUZZ_CHECK(a->has_length == b->has_length && a->content_length == b->content_length,
		   "content length");
	FUZZ_CHECK(a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0,
		   "body");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t max_head = (size_t)data[0] | (size_t)data[1] << 8;
	size_t max_body = (size_t)data[2] * 16;
	uint32_t seed = data[3];
	const uint8_t *p = data + 4;
	size_t n = size - 4;
	size_t total;
	enum http_result res;

	/* Whole. */
	http_request_init(&req, max_head, max_body);
	total = 0;
	res = feed_checked(&req, p, n, &total);
	check_final(&req, res);
	record(&req, res, total, &whole);
	if (res != HTTP_MORE)
		check_after_end(&req, res);

	/* In pieces, on the same (now dirty) struct. */
	http_request_init(&req, max_head, max_body);
	total = 0;
	res = HTTP_MORE;
	size_t off = 0;
	do {
		seed = seed * 1103515245u + 12345u;
		size_t piece = (seed >> 16) % 65;
		if (piece > n - off)
			piece = n - off;
		enum http_result r2 = feed_checked(&req, p + off, piece, &total);
		if (res != HTTP_MORE)
			FUZZ_CHECK(r2 == res, "result changed after the end");
		res = r2;
		off += piece;
	} while (off < n);
	check_final(&req, res);
	record(&req, res, total, &pieces);
	compare(&whole, &pieces);
	if (res != HTTP_MORE)
		check_after_end(&req, res);
	return 0;
}
