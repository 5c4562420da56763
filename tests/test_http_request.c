/* test_http_request.c - the incremental HTTP request parser: complete and
 * split requests, limits, malformed input, body delimiting, pipelining,
 * and a deterministic garbage run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

static const char notify_post[] =
	"POST /n/42/abcdefghijklmnop HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"User-Agent: ELS61/490154203237518 Profile/IMP-NG Configuration/CLDC-1.1\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 12\r\n"
	"\r\n"
	"900 Success\n";

/* The parser is ~12 KiB: one per test, on the heap. */
static int setup(void **state)
{
	struct http_request *r = malloc(sizeof *r);
	assert_non_null(r);
	http_request_init(r, 0, 0);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static enum http_result feed_all(struct http_request *r, const char *text)
{
	http_request_init(r, 0, 0);
	return http_request_feed(r, text, strlen(text), NULL);
}

/* Feeds text and expects a rejection with status. */
static void expect_error(struct http_request *r, const char *text, int status)
{
	enum http_result res = feed_all(r, text);
	if (res != HTTP_ERROR || r->error_status != status)
		fail_msg("expected %d for \"%s\", got result %d status %d", status, text, res,
			 r->error_status);
	assert_non_null(r->error_reason);
}

static void assert_notify_post(const struct http_request *r)
{
	assert_int_equal(r->phase, HTTP_PHASE_DONE);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->target, "/n/42/abcdefghijklmnop");
	assert_int_equal(r->version_minor, 1);
	assert_string_equal(r->host, "127.0.0.1:8080");
	assert_string_equal(r->user_agent,
			    "ELS61/490154203237518 Profile/IMP-NG Configuration/CLDC-1.1");
	assert_true(r->has_length);
	assert_int_equal(r->content_length, 12);
	assert_int_equal(r->body_len, 12);
	assert_memory_equal(r->body, "900 Success\n", 12);
}

static void complete_request(void **state)
{
	struct http_request *r = *state;
	size_t used = 0;
	http_request_init(r, 0, 0);
	assert_int_equal(http_request_feed(r, notify_post, strlen(notify_post), &used), HTTP_DONE);
	assert_int_equal(used, strlen(notify_post));
	assert_notify_post(r);
}

/* Two pieces, split at every position: the result never depends on how
 * the bytes arrived. */
static void split_at_every_byte(void **state)
{
	struct http_request *r = *state;
	size_t len = strlen(notify_post);
	for (size_t cut = 0; cut <= len; cut++) {
		size_t used1 = 0, used2 = 0;
		http_request_init(r, 0, 0);
		enum http_result first = http_request_feed(r, notify_post, cut, &used1);
		assert_int_equal(used1, cut);
		if (cut < len)
			assert_int_equal(first, HTTP_MORE);
		enum http_result second = http_request_feed(r, notify_post + cut, len - cut, &used2);
		assert_int_equal(used2, len - cut);
		assert_int_equal(second, HTTP_DONE);
		assert_notify_post(r);
	}
}

static void one_byte_at_a_time(void **state)
{
	struct http_request *r = *state;
	size_t len = strlen(notify_post);
	enum http_result res = HTTP_MORE;
	http_request_init(r, 0, 0);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(res, HTTP_MORE);
		res = http_request_feed(r, notify_post + i, 1, NULL);
	}
	assert_int_equal(res, HTTP_DONE);
	assert_notify_post(r);
}

static void lenient_forms(void **state)
{
	struct http_request *r = *state;
	/* Bare LF line ends, empty lines first, no Host, HTTP/1.0. */
	assert_int_equal(feed_all(r, "\r\n\nGET /healthz HTTP/1.0\n\n"), HTTP_DONE);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->target, "/healthz");
	assert_int_equal(r->version_minor, 0);
	assert_null(r->host);
	assert_null(r->user_agent);
	assert_int_equal(r->body_len, 0);
	/* Absolute form is reduced to the path. */
	assert_int_equal(feed_all(r, "GET http://otap.example.com:8080/healthz?x=1 HTTP/1.1\r\n\r\n"),
			 HTTP_DONE);
	assert_string_equal(r->target, "/healthz?x=1");
	assert_int_equal(feed_all(r, "GET https://otap.example.com HTTP/1.1\r\n\r\n"), HTTP_DONE);
	assert_string_equal(r->target, "/");
	/* Header names are case-insensitive; values lose outer white space. */
	assert_int_equal(feed_all(r, "POST /notify HTTP/1.1\r\ncontent-LENGTH:\t3 \r\n"
				  "user-agent:   X/1  \r\n\r\n901"), HTTP_DONE);
	assert_string_equal(r->user_agent, "X/1");
	assert_int_equal(r->body_len, 3);
	/* The same Content-Length twice is harmless. */
	assert_int_equal(feed_all(r, "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
				  "Content-Length: 1\r\n\r\nx"), HTTP_DONE);
	/* POST with an empty body. */
	assert_int_equal(feed_all(r, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), HTTP_DONE);
	assert_int_equal(r->body_len, 0);
}

static void bad_request_lines(void **state)
{
	struct http_request *r = *state;
	expect_error(r, "GET /\r\n\r\n", 400);
	expect_error(r, "GET\r\n\r\n", 400);
	expect_error(r, "GET  / HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1 \r\n\r\n", 400);
	expect_error(r, "G@T / HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET nopath HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET /a\tb HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET /\x80 HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET / HTTX/1.1\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1x\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/2.0\r\n\r\n", 505);
	expect_error(r, "VERYLONGMETHODNAMEXX / HTTP/1.1\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1\r\r\n\r\n", 400);
}

static void bad_headers(void **state)
{
	struct http_request *r = *state;
	expect_error(r, "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1\r\nA: b\r\n continued\r\n\r\n", 400);
	expect_error(r, "GET / HTTP/1.1\r\nA: b\x01""c\r\n\r\n", 400);
	static const char with_nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
	http_request_init(r, 0, 0);
	assert_int_equal(http_request_feed(r, with_nul, sizeof with_nul - 1, NULL), HTTP_ERROR);
	assert_int_equal(r->error_status, 400);
}

static void body_delimiting(void **state)
{
	struct http_request *r = *state;
	expect_error(r, "POST /notify HTTP/1.1\r\n\r\n900 Success\n", 411);
	expect_error(r, "POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "c\r\n900 Success\n\r\n0\r\n\r\n", 411);
	expect_error(r, "POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		     "Content-Length: 12\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413);
	expect_error(r, "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
		     413);
	/* A GET without a length has no body. */
	assert_int_equal(feed_all(r, "GET /healthz HTTP/1.1\r\n\r\n"), HTTP_DONE);
}

static void size_limits(void **state)
{
	struct http_request *r = *state;
	char *big = malloc(HTTP_HEAD_CAP + 64);
	assert_non_null(big);
	/* A header that makes the head one byte too long. */
	int n = snprintf(big, HTTP_HEAD_CAP + 64, "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', (size_t)(HTTP_HEAD_CAP - n - 4 + 1));
	memcpy(big + HTTP_HEAD_CAP - 4 + 1, "\r\n\r\n", 5);
	expect_error(r, big, 431);
	/* Exactly at the limit is fine. */
	memmove(big + HTTP_HEAD_CAP - 4, "\r\n\r\n", 5);
	assert_int_equal(feed_all(r, big), HTTP_DONE);
	/* A head without an end never grows beyond the limit. */
	memset(big, 'a', HTTP_HEAD_CAP + 10);
	big[HTTP_HEAD_CAP + 10] = '\0';
	expect_error(r, big, 431);
	free(big);
	/* Smaller limits given at init. */
	http_request_init(r, 64, 4);
	const char *req = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
	assert_int_equal(http_request_feed(r, req, strlen(req), NULL), HTTP_ERROR);
	assert_int_equal(r->error_status, 413);
	/* Too many header fields. */
	char many[4096];
	size_t len = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		len += (size_t)snprintf(many + len, sizeof many - len, "X-%d: y\r\n", i);
	snprintf(many + len, sizeof many - len, "\r\n");
	expect_error(r, many, 431);
}

static void pipelining_ignored(void **state)
{
	struct http_request *r = *state;
	char two[1024];
	snprintf(two, sizeof two, "%sGET /healthz HTTP/1.1\r\n\r\n", notify_post);
	size_t used = 0;
	http_request_init(r, 0, 0);
	assert_int_equal(http_request_feed(r, two, strlen(two), &used), HTTP_DONE);
	assert_int_equal(used, strlen(notify_post));
	assert_notify_post(r);
	/* Done is final: more bytes are not taken. */
	assert_int_equal(http_request_feed(r, "x", 1, &used), HTTP_DONE);
	assert_int_equal(used, 0);
	/* So is an error. */
	expect_error(r, "BAD\r\n\r\n", 400);
	assert_int_equal(http_request_feed(r, notify_post, strlen(notify_post), &used), HTTP_ERROR);
	assert_int_equal(used, 0);
}

/* A small fixed-seed generator: the run is the same every time. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random bytes and random mutations of a valid request, fed in random
 * pieces: the parser must end in a consistent state and never overrun
 * (the sanitizer build checks the latter). */
static void garbage_never_breaks_it(void **state)
{
	struct http_request *r = *state;
	static const char alphabet[] = "GETPOST /:\r\n\t 0123456789aZ\x01\x7f\xff";
	uint32_t seed = 12345;
	uint8_t buf[600];
	for (int round = 0; round < 20000; round++) {
		size_t len = next_random(&seed) % sizeof buf;
		if (round % 2 == 0) {
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)alphabet[next_random(&seed) % (sizeof alphabet - 1)];
		} else {
			len = strlen(notify_post);
			memcpy(buf, notify_post, len);
			buf[next_random(&seed) % len] = (uint8_t)next_random(&seed);
		}
		http_request_init(r, 0, 0);
		enum http_result res = HTTP_MORE;
		for (size_t off = 0; off < len && res == HTTP_MORE;) {
			size_t piece = 1 + next_random(&seed) % 50, used = 0;
			if (piece > len - off)
				piece = len - off;
			res = http_request_feed(r, buf + off, piece, &used);
			assert_true(used <= piece);
			off += used;
		}
		if (res == HTTP_ERROR)
			assert_true(r->error_status >= 400 && r->error_status < 600);
		if (res == HTTP_DONE) {
			assert_non_null(r->method);
			assert_true(r->target[0] == '/');
			assert_int_equal(r->body_len, r->content_length);
		}
		assert_true(r->head_len <= HTTP_HEAD_CAP);
	}
}

static void status_texts(void **state)
{
	(void)state;
	assert_string_equal(http_status_text(200), "OK");
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(408), "Request Timeout");
	assert_string_equal(http_status_text(411), "Length Required");
	assert_string_equal(http_status_text(413), "Content Too Large");
	assert_string_equal(http_status_text(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_text(799), "Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(complete_request, setup, teardown),
		cmocka_unit_test_setup_teardown(split_at_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(one_byte_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(lenient_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_request_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(body_delimiting, setup, teardown),
		cmocka_unit_test_setup_teardown(size_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(pipelining_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_never_breaks_it, setup, teardown),
		cmocka_unit_test(status_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
