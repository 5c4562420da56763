/* fuzz_otap.c - libFuzzer harness for the OTAP_IMPNG builder (lib/otap.h).
 *
 * Input:
 *   byte 0     action: % 4 = install, delete, or an invalid value (2, -1)
 *   bytes 1-2  little-endian mask of the values present: bits 0-10 the
 *              profile's password, jad_url, app_dir, http_user,
 *              http_password, bearer, apn, net_user, net_password, dns,
 *              notify_url; bit 11 the per-job notify_url argument
 *   the rest   the present values in that order, separated by NUL bytes
 *              (missing ones are empty)
 * Checked:
 * - otap_build either fails with a reason, or produces 1..8 SMs, each of
 *   at most 140 octets, starting with "OTAP_IMPNG\n", then "PWD:<pwd>\n"
 *   when there is a password, made only of KEY:value lines ending in LF,
 *   printable ASCII, no CR;
 * - every line's value is exactly the configured one (so no value could
 *   have smuggled in a line break or another keyword); each configured key
 *   appears exactly once (PWD once per SM), START exactly once, in the last
 *   SM, with the action's name; has_start marks the last SM only;
 * - a value that is empty, not printable ASCII, or breaks its keyword's
 *   rule (URL scheme, lower-case bearer/appdir, no trailing '/') fails;
 *   otap_value_check agrees with a plain reference;
 * - a reason starts with the keyword and never contains a value;
 * - the same profile builds the same message twice.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "otap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 11

static const char *const keywords[NFIELDS] = {
	"PWD", "JADURL", "APPDIR", "HTTPUSER", "HTTPPWD", "BEARER", "APNORNUM", "NETUSER",
	"NETPWD", "DNS", "NOTIFYURL",
};

/* Characters no reason text of otap.c contains: a value holding one of
 * them can be searched for in a reason without false alarms. */
static const char markers[] = "#$@|{}~`=?!&*<>[]";

static bool printable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p > 0x7E)
			return false;
	}
	return true;
}

static bool has_upper(const char *v)
{
	for (; *v; v++) {
		if (*v >= 'A' && *v <= 'Z')
			return true;
	}
	return false;
}

static bool url_ok(const char *v)
{
	return (strncmp(v, "http://", 7) == 0 && v[7]) || (strncmp(v, "https://", 8) == 0 && v[8]);
}

/* Whether a value breaks a rule the builder must enforce. */
static bool value_bad(int field, const char *v)
{
	if (!*v || !printable(v))
		return true;
	switch (field) {
	case 1:
	case 10:
		return !url_ok(v);
	case 2:
		return has_upper(v) || v[strlen(v) - 1] == '/';
	case 5:
		return strcmp(v, "gprs") != 0 && strcmp(v, "csd") != 0;
	default:
		return false;
	}
}

static int keyword_index(const char *kw, size_t len)
{
	for (int i = 0; i < NFIELDS; i++) {
		if (strlen(keywords[i]) == len && memcmp(keywords[i], kw, len) == 0)
			return i;
	}
	return -1;
}

static void check_message(const struct otap_message *m, const char *const values[NFIELDS],
			  enum otap_action action)
{
	static const char header[] = "OTAP_IMPNG\n";
	const char *pwd = values[0];
	int seen[NFIELDS] = { 0 };
	int starts = 0;

	FUZZ_CHECK(m->count >= 1 && m->count <= OTAP_MAX_PARTS, "%zu SMs", m->count);
	FUZZ_CHECK(m->no_password == (pwd == NULL), "no_password");
	for (size_t k = 0; k < m->count; k++) {
		const struct otap_sm *sm = &m->parts[k];
		const char *b = (const char *)sm->body;
		bool last = k + 1 == m->count;

		FUZZ_CHECK(sm->len <= OTAP_SM_MAX, "SM %zu is %zu octets", k, sm->len);
		FUZZ_CHECK(sm->len >= sizeof header - 1 && memcmp(b, header, sizeof header - 1) == 0,
			   "SM %zu does not start with OTAP_IMPNG", k);
		FUZZ_CHECK(sm->body[sm->len - 1] == '\n', "SM %zu does not end with LF", k);
		FUZZ_CHECK(sm->has_start == last, "has_start on SM %zu of %zu", k, m->count);
		for (size_t i = 0; i < sm->len; i++)
			FUZZ_CHECK(sm->body[i] == '\n' || (sm->body[i] >= 0x20 && sm->body[i] <= 0x7E),
				   "byte 0x%02X in SM %zu", sm->body[i], k);

		size_t pos = sizeof header - 1;
		bool first_line = true;
		int pwd_here = 0;
		while (pos < sm->len) {
			const char *line = b + pos;
			const char *lf = memchr(line, '\n', sm->len - pos);
			size_t len = (size_t)(lf - line);
			const char *colon = memchr(line, ':', len);
			FUZZ_CHECK(colon != NULL, "line without ':' in SM %zu", k);
			size_t klen = (size_t)(colon - line);
			const char *val = colon + 1;
			size_t vlen = len - klen - 1;
			pos += len + 1;
			if (klen == 5 && memcmp(line, "START", 5) == 0) {
				const char *name = otap_action_name(action);
				FUZZ_CHECK(last, "START in SM %zu of %zu", k, m->count);
				FUZZ_CHECK(vlen == strlen(name) && memcmp(val, name, vlen) == 0,
					   "START value");
				FUZZ_CHECK(pos == sm->len, "lines after START");
				starts++;
				continue;
			}
			int f = keyword_index(line, klen);
			FUZZ_CHECK(f >= 0, "unknown keyword \"%.*s\"", (int)klen, line);
			FUZZ_CHECK(values[f] != NULL, "%s sent but not configured", keywords[f]);
			FUZZ_CHECK(vlen == strlen(values[f]) && memcmp(val, values[f], vlen) == 0,
				   "%s value differs from the configured one", keywords[f]);
			if (f == 0) {
				FUZZ_CHECK(first_line, "PWD is not the line after OTAP_IMPNG");
				pwd_here++;
			} else {
				seen[f]++;
			}
			first_line = false;
		}
		FUZZ_CHECK(pwd_here == (pwd ? 1 : 0), "PWD %d times in SM %zu", pwd_here, k);
	}
	FUZZ_CHECK(starts == 1, "START %d times", starts);
	for (int f = 1; f < NFIELDS; f++)
		FUZZ_CHECK(seen[f] == (values[f] ? 1 : 0), "%s sent %d times", keywords[f], seen[f]);
}

static void check_reason(const struct errbuf *err, const char *const values[NFIELDS],
			 const char *override)
{
	FUZZ_CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL, "reason not terminated");
	FUZZ_CHECK(err->msg[0] != '\0' && err->msg[0] != 'X', "no reason");
	bool keyword_first = strncmp(err->msg, "message needs ", 14) == 0;
	for (int f = 0; f <= NFIELDS && !keyword_first; f++) {
		const char *kw = f < NFIELDS ? keywords[f] : "START";
		size_t n = strlen(kw);
		keyword_first = strncmp(err->msg, kw, n) == 0 &&
				(err->msg[n] == ':' || strncmp(err->msg + n, " line", 5) == 0);
	}
	FUZZ_CHECK(keyword_first, "reason does not start with a keyword: \"%s\"", err->msg);
	for (int f = 0; f <= NFIELDS; f++) {
		const char *v = f < NFIELDS ? values[f] : override;
		if (v && strpbrk(v, markers))
			FUZZ_CHECK(strstr(err->msg, v) == NULL, "reason shows a value: \"%s\"",
				   err->msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum otap_action actions[] = {
		OTAP_ACTION_INSTALL, OTAP_ACTION_DELETE, (enum otap_action)2, (enum otap_action)-1,
	};
	if (size < 3)
		return 0;
	enum otap_action action = actions[data[0] & 3];
	unsigned mask = (unsigned)data[1] | (unsigned)data[2] << 8;

	/* The values, NUL-terminated copies of the NUL-separated segments. */
	char *text = malloc(size - 3 + 1);
	if (!text)
		return 0;
	memcpy(text, data + 3, size - 3);
	text[size - 3] = '\0';
	const char *end = text + (size - 3);
	const char *cursor = text;
	const char *slot[NFIELDS + 1];
	for (int f = 0; f <= NFIELDS; f++) {
		if (!(mask & (1u << f))) {
			slot[f] = NULL;
			continue;
		}
		slot[f] = cursor;
		cursor += strlen(cursor);
		if (cursor < end)
			cursor++;
	}

	struct otap_profile profile = {
		.name = "fuzz",
		.password = (char *)slot[0], .jad_url = (char *)slot[1], .app_dir = (char *)slot[2],
		.http_user = (char *)slot[3], .http_password = (char *)slot[4],
		.bearer = (char *)slot[5], .apn = (char *)slot[6], .net_user = (char *)slot[7],
		.net_password = (char *)slot[8], .dns = (char *)slot[9],
		.notify_url = (char *)slot[10],
		.pid = 0x7D, .sms_class = 1,
	};
	const char *override = slot[11];
	/* What is sent: the per-job URL replaces the profile's. */
	const char *values[NFIELDS];
	memcpy(values, slot, sizeof values);
	if (override)
		values[10] = override;

	bool must_fail = action != OTAP_ACTION_INSTALL && action != OTAP_ACTION_DELETE;
	for (int f = 0; f < NFIELDS; f++) {
		if (!values[f])
			continue;
		bool ref_ok = printable(values[f]);
		FUZZ_CHECK((otap_value_check(values[f]) == NULL) == ref_ok,
			   "otap_value_check disagrees on the %s value", keywords[f]);
		if (value_bad(f, values[f]))
			must_fail = true;
	}
	FUZZ_CHECK(otap_value_check(NULL) != NULL, "otap_value_check(NULL)");

	static struct otap_message msg, again;
	struct errbuf err;
	memset(err.msg, 'X', sizeof err.msg);
	int rc = otap_build(&profile, action, override, &msg, &err);
	if (rc < 0) {
		FUZZ_CHECK(rc == -1, "rc %d", rc);
		check_reason(&err, values, override);
	} else {
		FUZZ_CHECK(rc == 0, "rc %d", rc);
		FUZZ_CHECK(!must_fail, "a bad value or action was accepted");
		check_message(&msg, values, action);
		FUZZ_CHECK(otap_build(&profile, action, override, &again, &err) == 0 &&
			   memcmp(&msg, &again, sizeof msg) == 0, "not deterministic");
	}
	free(text);
	return 0;
}
