/* json.h - a tiny streaming JSON writer (objects, arrays, strings, integers,
 * booleans, null) for machine-readable otapctl output.
 *
 * The writer tracks nesting and inserts the commas itself, so callers only
 * say what comes next. Strings are always emitted as valid JSON: quotes,
 * backslashes and control characters are escaped, and bytes that are not
 * valid UTF-8 (a modem's garbage in last_error) become U+FFFD.
 */
#ifndef OTAP_JSON_H
#define OTAP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* a value was written at this level: next needs ',' */
	bool after_key;                 /* the next value completes a "key": pair */
	bool misuse;                    /* nesting too deep or unbalanced end */
};

/* Starts a document written to f (not owned). */
void json_init(struct json_writer *w, FILE *f);
/* Returns 0 when every container was closed, nothing was misused and f has
 * no error; -1 otherwise. Does not close or flush f. */
int json_finish(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);

/* Writes the key of the next member of the current object. */
void json_key(struct json_writer *w, const char *key);

/* Values. json_string(w, NULL) writes null. */
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* Writes v hundredths as a number with two decimals: 1250 -> 12.50. */
void json_hundredths(struct json_writer *w, int64_t v);
/* Writes a time in ms since the epoch as an ISO-8601 UTC string
 * "2026-11-25T01:02:03.456Z". */
void json_time_ms(struct json_writer *w, int64_t ms);

/* "key": value shorthands for object members. */
void json_member_string(struct json_writer *w, const char *key, const char *s);
void json_member_int(struct json_writer *w, const char *key, int64_t v);
void json_member_time_ms(struct json_writer *w, const char *key, int64_t ms);
void json_member_bool(struct json_writer *w, const char *key, bool v);
/* The same, null for what "not set" is in the structs: a time <= 0 or
 * INT64_MAX, an empty text, an integer that is not known. */
void json_member_time_or_null(struct json_writer *w, const char *key, int64_t ms);
void json_member_text_or_null(struct json_writer *w, const char *key, const char *text);
void json_member_int_or_null(struct json_writer *w, const char *key, bool known, int64_t v);

/* The most bytes json_escape_next writes for one character. */
#define JSON_ESCAPE_MAX 6
/* Escapes the character at s (left > 0 bytes remain) for inside a JSON
 * string: quote and backslash escaped, control characters as \u00XX, a
 * valid UTF-8 sequence copied, any other byte as \uFFFD. Writes to out
 * (no NUL) and returns how many bytes; *used gets how many bytes of s it
 * took. The one escape of the project: json_write_escaped and the rollout
 * import's metadata use it. */
size_t json_escape_next(const char *s, size_t left, char out[JSON_ESCAPE_MAX], size_t *used);

/* Writes s as a quoted, escaped JSON string to f (NULL -> null). Exposed for
 * tests and one-off use. */
void json_write_escaped(FILE *f, const char *s);

#endif
