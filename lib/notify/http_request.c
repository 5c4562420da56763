/* http_request.c - incremental HTTP/1.x request parser (see http_request.h).
 *
 * The head is collected byte by byte until the blank line that ends it, so a
 * request split at any boundary parses exactly like one that came whole;
 * then it is parsed in place (NUL-terminating its fields). Strict where
 * leniency would let two parsers disagree about where a request ends
 * (Transfer-Encoding with Content-Length, conflicting lengths, folded or
 * space-before-colon headers), lenient where it costs nothing (bare LF line
 * ends, empty lines before the request line, no Host header: a unit whose
 * notification we refuse cannot send it again).
 */
#include "http_request.h"

#include <string.h>
#include <strings.h>

static const char tchars[] = "!#$%&'*+-.^_`|~0123456789"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void http_request_init(struct http_request *r, size_t max_head, size_t max_body)
{
	/* The buffers are not cleared: head_len and body_len say what is valid,
	 * and a connection slot is reset on every accept. */
	r->max_head = max_head && max_head < HTTP_HEAD_CAP ? max_head : HTTP_HEAD_CAP;
	r->max_body = max_body && max_body < HTTP_BODY_CAP ? max_body : HTTP_BODY_CAP;
	r->phase = HTTP_PHASE_HEAD;
	r->head_len = 0;
	r->blank_state = 0;
	r->method = NULL;
	r->target = NULL;
	r->version_minor = 0;
	r->user_agent = NULL;
	r->host = NULL;
	r->has_length = false;
	r->content_length = 0;
	r->body_len = 0;
	r->error_status = 0;
	r->error_reason = NULL;
	r->head[0] = '\0';
}

static enum http_result reject(struct http_request *r, int status, const char *reason)
{
	r->phase = HTTP_PHASE_ERROR;
	r->error_status = status;
	r->error_reason = reason;
	return HTTP_ERROR;
}

static bool is_token(const char *s)
{
	return *s && strspn(s, tchars) == strlen(s);
}

/* Cuts the next line out of *cursor: NUL-terminates it at its LF (and a CR
 * right before that). Returns the line; the head always ends in a blank line,
 * so a cursor inside it always finds an LF. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	char *lf = strchr(line, '\n');
	*cursor = lf + 1;
	if (lf > line && lf[-1] == '\r')
		lf--;
	*lf = '\0';
	return line;
}

/* Reduces an absolute-form target (http://host/path, which a server must
 * accept) to its path. Returns NULL when the target is neither form. */
static const char *origin_form(const char *target)
{
	if (target[0] == '/')
		return target;
	size_t scheme = strncasecmp(target, "http://", 7) == 0 ? 7
		      : strncasecmp(target, "https://", 8) == 0 ? 8 : 0;
	if (!scheme)
		return NULL;
	const char *path = strchr(target + scheme, '/');
	return path ? path : "/";
}

static enum http_result parse_request_line(struct http_request *r, char *line)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2)
		return reject(r, 400, "malformed request line");
	*sp1 = '\0';
	*sp2 = '\0';
	const char *target = sp1 + 1, *version = sp2 + 1;
	if (!is_token(line) || strlen(line) > 16)
		return reject(r, 400, "malformed method");
	for (const char *p = target; *p; p++) {
		if (*p <= ' ' || *p >= 0x7F)
			return reject(r, 400, "malformed request target");
	}
	if (!(r->target = origin_form(target)))
		return reject(r, 400, "request target is not a path");
	if (strlen(version) != 8 || strncmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return reject(r, 400, "malformed HTTP version");
	if (version[5] != '1')
		return reject(r, 505, "only HTTP/1.x is supported");
	r->method = line;
	r->version_minor = version[7] - '0';
	return HTTP_MORE;
}

/* Trims optional white space around a header value in place. */
static char *trim_ows(char *value)
{
	while (*value == ' ' || *value == '\t')
		value++;
	size_t len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		value[--len] = '\0';
	return value;
}

static bool value_valid(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
			return false;
	}
	return true;
}

/* Content-Length: digits only; a value above max_body is reported as too
 * large without computing it (no overflow). */
static enum http_result take_length(struct http_request *r, const char *value)
{
	size_t len = 0;
	bool too_large = false;
	if (!*value || strspn(value, "0123456789") != strlen(value))
		return reject(r, 400, "malformed Content-Length");
	for (const char *p = value; *p && !too_large; p++) {
		len = len * 10 + (size_t)(*p - '0');
		too_large = len > r->max_body;
	}
	if (r->has_length && (too_large || len != r->content_length))
		return reject(r, 400, "conflicting Content-Length headers");
	if (too_large)
		return reject(r, 413, "body larger than the limit");
	r->has_length = true;
	r->content_length = len;
	return HTTP_MORE;
}

struct head_flags {
	bool transfer_encoding;
	int header_count;
};

static enum http_result parse_header(struct http_request *r, char *line, struct head_flags *f)
{
	if (line[0] == ' ' || line[0] == '\t')
		return reject(r, 400, "folded header line");
	if (++f->header_count > HTTP_HEADERS_MAX)
		return reject(r, 431, "too many header fields");
	char *colon = strchr(line, ':');
	if (!colon)
		return reject(r, 400, "header line without ':'");
	*colon = '\0';
	if (!is_token(line))
		return reject(r, 400, "malformed header name");
	char *value = trim_ows(colon + 1);
	if (!value_valid(value))
		return reject(r, 400, "control character in a header value");
	if (strcasecmp(line, "Content-Length") == 0)
		return take_length(r, value);
	if (strcasecmp(line, "Transfer-Encoding") == 0)
		f->transfer_encoding = true;
	else if (strcasecmp(line, "User-Agent") == 0 && !r->user_agent)
		r->user_agent = value;
	else if (strcasecmp(line, "Host") == 0 && !r->host)
		r->host = value;
	return HTTP_MORE;
}

/* Decides how the body is delimited once all headers are known. */
static enum http_result finish_head(struct http_request *r, const struct head_flags *f)
{
	if (f->transfer_encoding && r->has_length)
		return reject(r, 400, "both Transfer-Encoding and Content-Length");
	if (f->transfer_encoding)
		return reject(r, 411, "chunked bodies are not accepted (send Content-Length)");
	if (!r->has_length && (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0))
		return reject(r, 411, "Content-Length required");
	r->phase = r->content_length > 0 ? HTTP_PHASE_BODY : HTTP_PHASE_DONE;
	return r->phase == HTTP_PHASE_DONE ? HTTP_DONE : HTTP_MORE;
}

static enum http_result parse_head(struct http_request *r)
{
	r->head[r->head_len] = '\0';
	if (memchr(r->head, '\0', r->head_len))
		return reject(r, 400, "NUL byte in the request head");
	char *cursor = r->head;
	if (parse_request_line(r, next_line(&cursor)) == HTTP_ERROR)
		return HTTP_ERROR;
	struct head_flags flags = { 0 };
	for (;;) {
		char *line = next_line(&cursor);
		if (!*line)
			return finish_head(r, &flags);
		if (parse_header(r, line, &flags) == HTTP_ERROR)
			return HTTP_ERROR;
	}
}

/* Takes head bytes up to and including the blank line. Returns the number
 * of bytes taken; the phase changes when the head is complete or bad. */
static size_t feed_head(struct http_request *r, const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && r->phase == HTTP_PHASE_HEAD) {
		uint8_t c = p[i++];
		if (r->head_len == 0 && (c == '\r' || c == '\n'))
			continue;       /* empty lines before the request line */
		if (r->head_len >= r->max_head) {
			reject(r, 431, "request head larger than the limit");
			break;
		}
		r->head[r->head_len++] = (char)c;
		if (c == '\n' && r->blank_state > 0)
			parse_head(r);
		else if (c == '\n')
			r->blank_state = 1;
		else
			r->blank_state = c == '\r' && r->blank_state == 1 ? 2 : 0;
	}
	return i;
}

static size_t feed_body(struct http_request *r, const uint8_t *p, size_t len)
{
	size_t want = r->content_length - r->body_len;
	size_t n = len < want ? len : want;
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	if (r->body_len == r->content_length)
		r->phase = HTTP_PHASE_DONE;
	return n;
}

enum http_result http_request_feed(struct http_request *r, const void *data, size_t len,
				   size_t *used)
{
	const uint8_t *p = data;
	size_t n = 0;
	if (r->phase == HTTP_PHASE_HEAD)
		n += feed_head(r, p, len);
	if (r->phase == HTTP_PHASE_BODY && n < len)
		n += feed_body(r, p + n, len - n);
	if (used)
		*used = n;
	switch (r->phase) {
	case HTTP_PHASE_DONE:
		return HTTP_DONE;
	case HTTP_PHASE_ERROR:
		return HTTP_ERROR;
	default:
		return HTTP_MORE;
	}
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}
