/* json.c - the streaming JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

void json_init(struct json_writer *w, FILE *f)
{
	memset(w, 0, sizeof *w);
	w->f = f;
}

int json_finish(struct json_writer *w)
{
	if (w->misuse || w->depth != 0 || w->after_key || ferror(w->f))
		return -1;
	return 0;
}

/* Emits the separator a new value needs at the current level. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
}

static void begin(struct json_writer *w, char open)
{
	before_value(w);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	fputc(open, w->f);
	w->depth++;
	w->has_items[w->depth] = false;
}

static void end(struct json_writer *w, char close)
{
	if (w->depth == 0 || w->after_key) {
		w->misuse = true;
		return;
	}
	w->depth--;
	fputc(close, w->f);
}

void json_begin_object(struct json_writer *w)
{
	begin(w, '{');
}

void json_end_object(struct json_writer *w)
{
	end(w, '}');
}

void json_begin_array(struct json_writer *w)
{
	begin(w, '[');
}

void json_end_array(struct json_writer *w)
{
	end(w, ']');
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->after_key)
		w->misuse = true;
	before_value(w);
	json_write_escaped(w->f, key ? key : "");
	fputc(':', w->f);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	before_value(w);
	json_write_escaped(w->f, s);
}

void json_int(struct json_writer *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
}

void json_bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->f);
}

void json_hundredths(struct json_writer *w, int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	before_value(w);
	fprintf(w->f, "%s%" PRIu64 ".%02u", v < 0 ? "-" : "", mag / 100, (unsigned)(mag % 100));
}

void json_time_ms(struct json_writer *w, int64_t ms)
{
	/* Floor division so times before 1970 still get a 0-999 fraction. */
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	before_value(w);
	if (!gmtime_r(&t, &tm)) {
		fputs("null", w->f);
		return;
	}
	fprintf(w->f, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

void json_member_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_member_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_member_time_ms(struct json_writer *w, const char *key, int64_t ms)
{
	json_key(w, key);
	json_time_ms(w, ms);
}

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the well-formed UTF-8 sequence starting at p, within left
 * bytes (2-4), or 0 when it is not one (overlong forms, surrogates, beyond
 * U+10FFFF, truncated). */
static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 :
		   c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (n == 0 || n > left)
		return 0;
	unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	if (n > 2 && (p[1] < lo || p[1] > hi))
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (!is_cont(p[i]))
			return 0;
	}
	return n;
}

size_t json_escape_next(const char *s, size_t left, char out[JSON_ESCAPE_MAX], size_t *used)
{
	const unsigned char *p = (const unsigned char *)s;
	*used = 1;
	if (*p == '"' || *p == '\\') {
		out[0] = '\\';
		out[1] = (char)*p;
		return 2;
	}
	if (*p < 0x20 || *p == 0x7F) {
		/* One uniform form for every control character, so no consumer
		 * has to know the short escapes. */
		static const char hex[] = "0123456789ABCDEF";
		memcpy(out, "\\u00", 4);
		out[4] = hex[*p >> 4];
		out[5] = hex[*p & 0xF];
		return 6;
	}
	if (*p < 0x80) {
		out[0] = (char)*p;
		return 1;
	}
	size_t n = utf8_seq_len(p, left);
	if (n == 0) {
		memcpy(out, "\\uFFFD", 6);
		return 6;
	}
	memcpy(out, p, n);
	*used = n;
	return n;
}

void json_write_escaped(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	size_t left = strlen(s);
	fputc('"', f);
	while (left > 0) {
		char buf[JSON_ESCAPE_MAX];
		size_t used, n = json_escape_next(s, left, buf, &used);
		fwrite(buf, 1, n, f);
		s += used;
		left -= used;
	}
	fputc('"', f);
}

void json_member_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_member_time_or_null(struct json_writer *w, const char *key, int64_t ms)
{
	json_key(w, key);
	if (ms > 0 && ms != INT64_MAX)
		json_time_ms(w, ms);
	else
		json_null(w);
}

void json_member_text_or_null(struct json_writer *w, const char *key, const char *text)
{
	json_member_string(w, key, text && text[0] ? text : NULL);
}

void json_member_int_or_null(struct json_writer *w, const char *key, bool known, int64_t v)
{
	json_key(w, key);
	if (known)
		json_int(w, v);
	else
		json_null(w);
}
