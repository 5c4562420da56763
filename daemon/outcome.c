/* outcome.c - a try's outcome as a value: copy, commit, line codec (outcome.h). */
#include "outcome.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version tag of the line format: a file from another format is refused,
 * never half-applied. */
#define LINE_TAG "otap-outcome-1"
#define FIELD_COUNT 13
/* With the SMPP message ids. */
#define FIELD_COUNT_IDS 14

static const char *const kind_names[] = {
	[OUTCOME_SENT] = "sent", [OUTCOME_RETRY] = "retry", [OUTCOME_FAILED] = "failed",
};

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

void outcome_set(struct outcome *out, enum outcome_kind kind, int64_t job_id,
		 const struct job_outcome *o, const struct sent_parts *parts)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->job_id = job_id;
	copy(out->modem, sizeof out->modem, o->modem);
	out->started_at = o->started_at;
	out->finished_at = o->finished_at;
	copy(out->result, sizeof out->result, o->result);
	out->cms_error = o->cms_error;
	copy(out->mrs, sizeof out->mrs, o->mrs);
	copy(out->detail, sizeof out->detail, o->detail);
	for (size_t i = 0; parts && i < parts->count && i < OTAP_MAX_PARTS; i++) {
		if (parts->message_id)
			copy(out->message_id[i], sizeof out->message_id[i], parts->message_id[i]);
		else
			out->mr[i] = parts->mr[i];
		out->part_count++;
	}
}

/* Whether oc's parts are named by SMPP message ids. */
static bool has_message_ids(const struct outcome *oc)
{
	return oc->part_count > 0 && oc->message_id[0][0] != '\0';
}

int outcome_commit(struct store *s, const struct outcome *oc, enum job_state *state_out,
		   struct errbuf *err)
{
	struct job_outcome o = {
		.modem = oc->modem[0] ? oc->modem : NULL,
		.started_at = oc->started_at,
		.finished_at = oc->finished_at,
		.result = oc->result[0] ? oc->result : NULL,
		.cms_error = oc->cms_error,
		.mrs = oc->mrs[0] ? oc->mrs : NULL,
		.detail = oc->detail[0] ? oc->detail : NULL,
	};
	const char *ids[OTAP_MAX_PARTS];
	for (size_t i = 0; i < oc->part_count && i < OTAP_MAX_PARTS; i++)
		ids[i] = oc->message_id[i];
	struct sent_parts parts = { oc->mr, oc->part_count, has_message_ids(oc) ? ids : NULL };
	int rc;
	switch (oc->kind) {
	case OUTCOME_SENT:
		rc = store_mark_sent(s, oc->job_id, &o, &parts, err);
		if (rc == 0 && state_out)
			*state_out = JOB_SENT;
		return rc;
	case OUTCOME_RETRY:
		return store_retry_later(s, oc->job_id, oc->not_before, oc->count_attempt, &o,
					 state_out, err);
	case OUTCOME_FAILED:
		rc = store_mark_failed(s, oc->job_id, &o, err);
		if (rc == 0 && state_out)
			*state_out = JOB_FAILED;
		return rc;
	}
	return errbuf_set(err, "job %" PRId64 ": unknown outcome kind %d", oc->job_id,
			  (int)oc->kind);
}

bool outcome_is_moot(struct store *s, const struct outcome *oc)
{
	struct errbuf err;
	struct job job;
	int found = store_get(s, oc->job_id, &job, &err);
	/* Sending on another modem: its lease ran out while the outcome was
	 * held, it was taken back and claimed again (PostgreSQL; modem names
	 * are unique across instances). */
	return found == 0 || (found > 0 && (job.state != JOB_SENDING ||
					    strcmp(job.modem, oc->modem) != 0));
}

/* ---- the line ---- */

/* %-escapes src into dst: '%' and every byte below 0x21 or above 0x7e
 * become %HH, so fields never contain a separator. */
static size_t escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)src; *p && n + 4 < cap; p++) {
		if (*p == '%' || *p < 0x21 || *p > 0x7e) {
			dst[n++] = '%';
			dst[n++] = hex[*p >> 4];
			dst[n++] = hex[*p & 15];
		} else {
			dst[n++] = (char)*p;
		}
	}
	dst[n] = '\0';
	return n;
}

/* A text field of the line: escaped, "-" for empty (so a field is never
 * empty), and a lone real "-" escaped. */
static void field(char *dst, size_t cap, const char *src)
{
	if (!src || !*src)
		snprintf(dst, cap, "-");
	else if (strcmp(src, "-") == 0)
		snprintf(dst, cap, "%%2D");
	else
		escape(dst, cap, src);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reverses escape() into dst (cap bytes). Returns 0, or -1 on a bad
 * escape or when it does not fit. */
static int unescape(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (const char *p = src; *p; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			p += 2;
		}
		if (n + 1 >= cap || c == 0)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

static void format_mrs(const struct outcome *oc, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < oc->part_count && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", oc->mr[i]);
	if (oc->part_count == 0)
		snprintf(buf, cap, "-");
}

/* The message ids as "\t" + "id,id,...", each escaped and its commas as
 * %2C; "" for a modem's outcome (the 13-field line). */
static void format_ids(const struct outcome *oc, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	if (!has_message_ids(oc))
		return;
	for (size_t i = 0; i < oc->part_count && n + 8 < cap; i++) {
		char esc[(STORE_MESSAGE_ID_MAX + 1) * 3];
		escape(esc, sizeof esc, oc->message_id[i]);
		buf[n++] = i ? ',' : '\t';
		for (const char *p = esc; *p && n + 4 < cap; p++)
			n += (size_t)snprintf(buf + n, cap - n, *p == ',' ? "%%2C" : "%c", *p);
	}
	buf[n] = '\0';
}

void outcome_format(const struct outcome *oc, char line[OUTCOME_LINE_MAX])
{
	char modem[STORE_NAME_MAX * 3], result[32 * 3], mrs[64 * 3], detail[STORE_TEXT_MAX * 3];
	char parts[OTAP_MAX_PARTS * 4 + 2];
	char ids[OTAP_MAX_PARTS * (STORE_MESSAGE_ID_MAX + 1) * 3 + OTAP_MAX_PARTS + 2];
	format_ids(oc, ids, sizeof ids);
	field(modem, sizeof modem, oc->modem);
	field(result, sizeof result, oc->result);
	field(mrs, sizeof mrs, oc->mrs);
	field(detail, sizeof detail, oc->detail);
	format_mrs(oc, parts, sizeof parts);
	snprintf(line, OUTCOME_LINE_MAX,
		 LINE_TAG "\t%s\t%" PRId64 "\t%" PRId64 "\t%d\t%" PRId64 "\t%" PRId64 "\t%d\t%s\t%s\t%s\t%s\t%s%s",
		 kind_names[oc->kind], oc->job_id, oc->not_before, oc->count_attempt ? 1 : 0,
		 oc->started_at, oc->finished_at, oc->cms_error, parts, modem, result, mrs, detail,
		 ids);
}

static int parse_i64(const char *text, int64_t min, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

static int parse_kind(const char *text, enum outcome_kind *out)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
		if (strcmp(text, kind_names[i]) == 0) {
			*out = (enum outcome_kind)i;
			return 0;
		}
	}
	return -1;
}

static int parse_parts(const char *text, struct outcome *out)
{
	if (strcmp(text, "-") == 0)
		return 0;
	for (const char *p = text; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v > 255 || out->part_count == OTAP_MAX_PARTS)
			return -1;
		out->mr[out->part_count++] = (int)v;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return 0;
}

/* A text field: "-" stands for empty. */
static int parse_text(const char *text, char *dst, size_t cap)
{
	if (strcmp(text, "-") == 0) {
		dst[0] = '\0';
		return 0;
	}
	return unescape(dst, cap, text);
}

/* Splits buf in place at tabs into f[FIELD_COUNT_IDS]. Returns the number
 * of fields (13, or 14 with message ids) or -1. */
static int split_fields(char *buf, char *f[FIELD_COUNT_IDS])
{
	size_t n = 0;
	for (char *p = buf;; p++) {
		if (n == FIELD_COUNT_IDS)
			return -1;
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p = '\0';
	}
	return n == FIELD_COUNT || n == FIELD_COUNT_IDS ? (int)n : -1;
}

/* The 14th field: one escaped id per part, comma-separated. */
static int parse_ids(char *text, struct outcome *out)
{
	size_t i = 0;
	/* strsep, not strtok: reentrant, and "A,,B" yields an empty id,
	 * which is refused below instead of being skipped. */
	for (char *id; (id = strsep(&text, ",")) != NULL;) {
		if (i >= out->part_count ||
		    unescape(out->message_id[i], sizeof out->message_id[i], id) < 0 ||
		    !out->message_id[i][0])
			return -1;
		i++;
	}
	return i == out->part_count ? 0 : -1;
}

int outcome_parse(const char *line, struct outcome *out, struct errbuf *err)
{
	char buf[OUTCOME_LINE_MAX];
	char *f[FIELD_COUNT_IDS];
	int64_t count, cms;
	size_t len = strcspn(line, "\n");
	memset(out, 0, sizeof *out);
	if (len >= sizeof buf)
		return errbuf_set(err, "outcome line is longer than %d characters", OUTCOME_LINE_MAX - 1);
	memcpy(buf, line, len);
	buf[len] = '\0';
	int fields = split_fields(buf, f);
	if (fields < 0 || strcmp(f[0], LINE_TAG) != 0)
		return errbuf_set(err, "not an outcome line (expected %d tab-separated fields "
				  "starting with " LINE_TAG ")", FIELD_COUNT);
	if (parse_kind(f[1], &out->kind) < 0 || parse_i64(f[2], 1, &out->job_id) < 0 ||
	    parse_i64(f[3], 0, &out->not_before) < 0 || parse_i64(f[4], 0, &count) < 0 ||
	    count > 1 || parse_i64(f[5], 0, &out->started_at) < 0 ||
	    parse_i64(f[6], 0, &out->finished_at) < 0 || parse_i64(f[7], -1, &cms) < 0 ||
	    cms > 999 || parse_parts(f[8], out) < 0 ||
	    parse_text(f[9], out->modem, sizeof out->modem) < 0 ||
	    parse_text(f[10], out->result, sizeof out->result) < 0 ||
	    parse_text(f[11], out->mrs, sizeof out->mrs) < 0 ||
	    parse_text(f[12], out->detail, sizeof out->detail) < 0 ||
	    (fields == FIELD_COUNT_IDS && parse_ids(f[13], out) < 0))
		return errbuf_set(err, "malformed outcome line (a field is out of range or badly "
				  "escaped)");
	out->count_attempt = count == 1;
	out->cms_error = (int)cms;
	return 0;
}
