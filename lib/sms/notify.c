/* notify.c - per-job NOTIFYURL and token, listener paths, MIDP status codes
 * and IMEIs for install notifications (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* RFC 4648 base32, lower case: URL-safe, no look-alike digits 0/1/8/9, and
 * 80 random bits fill 16 characters exactly. */
static const char token_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
#define TOKEN_RANDOM_OCTETS 10

/* The job id used for notify_url_worst_case: ten digits, more jobs than
 * any fleet will see; a longer id that no longer fits fails that one job
 * with a reason instead. */
#define WORST_CASE_JOB_ID INT64_C(9999999999)

#define PATH_MAX_LEN 512

static const struct {
	int code;
	const char *meaning;
} midp_codes[] = {
	{ 900, "Success" },
	{ 901, "Insufficient memory" },
	{ 902, "User cancelled" },
	{ 903, "Loss of service" },
	{ 904, "JAR size mismatch" },
	{ 905, "Attribute mismatch" },
	{ 906, "Invalid descriptor" },
	{ 907, "Invalid JAR" },
	{ 908, "Incompatible configuration or profile" },
	{ 909, "Application authentication failure" },
	{ 910, "Application authorization failure" },
	{ 911, "Push registration failure" },
	{ 912, "Deletion notification" },
};

/* ---- tokens ---- */

int notify_token_new(char out[NOTIFY_TOKEN_LEN + 1], struct errbuf *err)
{
	uint8_t random[TOKEN_RANDOM_OCTETS];
	size_t got = 0;
	while (got < sizeof random) {
		ssize_t n = getrandom(random + got, sizeof random - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errbuf_set(err, "cannot read random bytes for a notify token: %s",
					  strerror(errno));
		got += (size_t)n;
	}
	/* Five bits per character, most significant first. */
	unsigned bits = 0, nbits = 0;
	size_t o = 0;
	for (size_t i = 0; i < sizeof random; i++) {
		bits = (bits << 8) | random[i];
		nbits += 8;
		while (nbits >= 5) {
			nbits -= 5;
			out[o++] = token_alphabet[(bits >> nbits) & 0x1F];
		}
	}
	out[o] = '\0';
	explicit_bzero(random, sizeof random);
	return 0;
}

bool notify_token_equal(const char *a, const char *b)
{
	if (!a || !b || strnlen(a, NOTIFY_TOKEN_LEN + 1) != NOTIFY_TOKEN_LEN ||
	    strnlen(b, NOTIFY_TOKEN_LEN + 1) != NOTIFY_TOKEN_LEN)
		return false;
	/* No early exit: the time taken says nothing about a guess's prefix. */
	unsigned diff = 0;
	for (size_t i = 0; i < NOTIFY_TOKEN_LEN; i++)
		diff |= (unsigned)(a[i] ^ b[i]);
	return diff == 0;
}

static bool token_valid(const char *s, size_t len)
{
	if (len != NOTIFY_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!s[i] || !strchr(token_alphabet, s[i]))
			return false;
	}
	return true;
}

/* "<public_url><path><id>/<token><suffix>", public_url without trailing '/'. */
static int format_url(const char *public_url, const char *path, int64_t job_id,
		      const char *token, const char *suffix, char *url, size_t cap)
{
	int base = (int)strlen(public_url);
	while (base > 0 && public_url[base - 1] == '/')
		base--;
	int n = snprintf(url, cap, "%.*s%s%" PRId64 "/%s%s", base, public_url, path, job_id,
			 token, suffix);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int notify_format_job_url(const char *public_url, int64_t job_id, const char *token, char *url,
			  size_t cap)
{
	return format_url(public_url, NOTIFY_JOB_PATH, job_id, token, "", url, cap);
}

int notify_format_artifact_url(const char *public_url, int64_t job_id, const char *token,
			       bool jar, char *url, size_t cap)
{
	return format_url(public_url, NOTIFY_ARTIFACT_PATH, job_id, token,
			  jar ? NOTIFY_JAR_SUFFIX : NOTIFY_JAD_SUFFIX, url, cap);
}

static void worst_token(char token[NOTIFY_TOKEN_LEN + 1])
{
	memset(token, 'z', NOTIFY_TOKEN_LEN);
	token[NOTIFY_TOKEN_LEN] = '\0';
}

int notify_url_worst_case(const char *public_url, char *url, size_t cap)
{
	char token[NOTIFY_TOKEN_LEN + 1];
	worst_token(token);
	return notify_format_job_url(public_url, WORST_CASE_JOB_ID, token, url, cap);
}

int notify_jad_url_worst_case(const char *public_url, char *url, size_t cap)
{
	char token[NOTIFY_TOKEN_LEN + 1];
	worst_token(token);
	return notify_format_artifact_url(public_url, WORST_CASE_JOB_ID, token, false, url, cap);
}

/* ---- listener paths ---- */

void notify_base_path(const char *public_url, char *out, size_t cap)
{
	const char *scheme_end = strstr(public_url, "://");
	const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	size_t len = path ? strcspn(path, "?#") : 0;
	while (len > 0 && path[len - 1] == '/')
		len--;
	snprintf(out, cap, "%.*s", (int)len, path ? path : "");
}

/* "<prefix><id>/<token><suffix>": id without sign or leading zero, token
 * exactly, then exactly suffix. */
static bool parse_job_path(const char *path, const char *prefix, const char *suffix,
			   struct notify_path *out)
{
	if (strncmp(path, prefix, strlen(prefix)) != 0)
		return false;
	const char *id = path + strlen(prefix);
	size_t digits = strspn(id, "0123456789");
	if (digits == 0 || digits > 18 || id[0] == '0' || id[digits] != '/')
		return false;
	const char *token = id + digits + 1;
	size_t tlen = strlen(token), slen = strlen(suffix);
	if (tlen < slen || strcmp(token + tlen - slen, suffix) != 0 ||
	    !token_valid(token, tlen - slen))
		return false;
	out->job_id = 0;
	for (size_t i = 0; i < digits; i++)
		out->job_id = out->job_id * 10 + (id[i] - '0');
	memcpy(out->token, token, NOTIFY_TOKEN_LEN);
	out->token[NOTIFY_TOKEN_LEN] = '\0';
	return true;
}

enum notify_path_kind notify_path_parse(const char *target, const char *base_path,
					struct notify_path *out)
{
	char buf[PATH_MAX_LEN];
	size_t len = strcspn(target, "?#");
	memset(out, 0, sizeof *out);
	if (len >= sizeof buf)
		return NOTIFY_PATH_UNKNOWN;
	memcpy(buf, target, len);
	buf[len] = '\0';
	const char *path = buf;
	size_t blen = base_path ? strlen(base_path) : 0;
	if (blen > 0 && strncmp(path, base_path, blen) == 0 && path[blen] == '/')
		path += blen;
	if (strcmp(path, NOTIFY_HEALTH_PATH) == 0)
		out->kind = NOTIFY_PATH_HEALTH;
	else if (strcmp(path, NOTIFY_FLEET_PATH) == 0)
		out->kind = NOTIFY_PATH_FLEET;
	else if (parse_job_path(path, NOTIFY_JOB_PATH, "", out))
		out->kind = NOTIFY_PATH_JOB;
	else if (parse_job_path(path, NOTIFY_ARTIFACT_PATH, NOTIFY_JAD_SUFFIX, out))
		out->kind = NOTIFY_PATH_JAD;
	else if (parse_job_path(path, NOTIFY_ARTIFACT_PATH, NOTIFY_JAR_SUFFIX, out))
		out->kind = NOTIFY_PATH_JAR;
	return out->kind;
}

/* ---- status codes ---- */

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies the rest of the first line as printable ASCII ('?' for anything
 * else: the text lands in logs, tables and JSON), without outer blanks. */
static void copy_text(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
	size_t n = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && *p != '\r' && *p != '\n' && n + 1 < cap; p++)
		out[n++] = *p >= 0x20 && *p < 0x7F ? (char)*p : '?';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

int notify_body_parse(const uint8_t *body, size_t len, struct notify_report *out)
{
	const uint8_t *p = body, *end = body + len;
	memset(out, 0, sizeof *out);
	while (p < end && is_blank(*p))
		p++;
	if (end - p < 3)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		out->code = out->code * 10 + (p[i] - '0');
	}
	p += 3;
	if (p < end && !is_blank(*p))
		return -1;
	copy_text(p, end, out->text, sizeof out->text);
	return 0;
}

enum notify_verdict notify_verdict_for(int code, enum otap_action action)
{
	if (code == 900 || (code == 912 && action == OTAP_ACTION_DELETE))
		return NOTIFY_CONFIRM;
	if (code == 903)
		return NOTIFY_RETRY;
	return NOTIFY_FAIL;
}

const char *notify_code_meaning(int code)
{
	for (size_t i = 0; i < sizeof midp_codes / sizeof midp_codes[0]; i++) {
		if (midp_codes[i].code == code)
			return midp_codes[i].meaning;
	}
	return NULL;
}

void notify_describe(const struct notify_report *r, char *buf, size_t cap)
{
	const char *meaning = notify_code_meaning(r->code);
	if (meaning)
		snprintf(buf, cap, "%03d %s", r->code, meaning);
	else if (r->text[0])
		snprintf(buf, cap, "%03d %s", r->code, r->text);
	else
		snprintf(buf, cap, "%03d (unknown status code)", r->code);
}

/* ---- unit identity ---- */

const char *notify_imei_check(const char *imei)
{
	if (strlen(imei) != NOTIFY_IMEI_LEN || strspn(imei, "0123456789") != NOTIFY_IMEI_LEN)
		return "expected exactly 15 digits";
	/* Luhn: from the right, every second digit (the check digit's
	 * neighbour first) doubled; a real IMEI sums to a multiple of 10. */
	int sum = 0;
	for (int i = 0; i < NOTIFY_IMEI_LEN; i++) {
		int d = imei[i] - '0';
		if (i % 2 == 1)
			d = d * 2 > 9 ? d * 2 - 9 : d * 2;
		sum += d;
	}
	return sum % 10 == 0 ? NULL : "the check digit (last digit) is wrong: mistyped?";
}

int notify_user_agent_imei(const char *user_agent, char imei[NOTIFY_IMEI_LEN + 1])
{
	if (!user_agent)
		return -1;
	size_t word = strcspn(user_agent, " \t");
	const char *slash = NULL;
	for (const char *p = user_agent; p < user_agent + word; p++) {
		if (*p == '/')
			slash = p;
	}
	if (!slash)
		return -1;
	const char *digits = slash + 1;
	size_t n = (size_t)(user_agent + word - digits);
	if (n != NOTIFY_IMEI_LEN || strspn(digits, "0123456789") < n)
		return -1;
	memcpy(imei, digits, n);
	imei[n] = '\0';
	return 0;
}
