/* fuzz_csv.c - libFuzzer harness for the rollout CSV reader (lib/csv.h).
 *
 * The input is the CSV text itself (an exact-size heap buffer, so any read
 * past it is caught). It is read with the guessed separator, with ',', ';'
 * and TAB, and with its last byte as the separator. Checked:
 * - no crash, hang or access outside the input;
 * - every record has >= 1 field, at most 1024, its line number grows, the
 *   offset never passes the size and ends there;
 * - after an error (-1) every later call returns -1;
 * - csv_rewind then a second pass yields exactly the same records;
 * - the records equal those of a plain reference reader written here from
 *   the rules in csv.h (RFC 4180 quoting, LF/CRLF/CR line ends, blank lines
 *   skipped, byte order mark skipped, the documented syntax errors).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 1024

/* ---- the reference reader: slow and simple ---- */

struct ref {
	const char *d;
	size_t len, pos;
	char sep;
	bool failed;
	char *buf;              /* field bytes of the current record, concatenated */
	size_t buf_len;
	size_t off[MAX_FIELDS], flen[MAX_FIELDS];
	size_t count;
};

static void ref_put(struct ref *r, char c)
{
	r->buf[r->buf_len++] = c;       /* buf holds len bytes: fields never exceed the input */
}

/* Returns 1 (record), 0 (end) or -1 (syntax error). */
static int ref_next(struct ref *r)
{
	if (r->failed)
		return -1;
	while (r->pos < r->len && (r->d[r->pos] == '\n' || r->d[r->pos] == '\r'))
		r->pos++;
	if (r->pos >= r->len)
		return 0;
	r->count = 0;
	r->buf_len = 0;
	for (;;) {
		if (r->count == MAX_FIELDS)
			goto fail;
		size_t start = r->buf_len;
		if (r->pos < r->len && r->d[r->pos] == '"') {
			r->pos++;
			for (;;) {
				if (r->pos >= r->len)
					goto fail;              /* unterminated */
				char c = r->d[r->pos];
				if (c == '"') {
					if (r->pos + 1 < r->len && r->d[r->pos + 1] == '"') {
						ref_put(r, '"');
						r->pos += 2;
						continue;
					}
					r->pos++;
					break;
				}
				if (c == '\0')
					goto fail;
				ref_put(r, c);
				r->pos++;
			}
			if (r->pos < r->len) {
				char c = r->d[r->pos];
				if (c != r->sep && c != '\n' && c != '\r')
					goto fail;      /* text after the closing quote */
			}
		} else {
			while (r->pos < r->len) {
				char c = r->d[r->pos];
				if (c == r->sep || c == '\n' || c == '\r' || c == '"' || c == '\0')
					break;
				ref_put(r, c);
				r->pos++;
			}
			if (r->pos < r->len && (r->d[r->pos] == '"' || r->d[r->pos] == '\0'))
				goto fail;
		}
		r->off[r->count] = start;
		r->flen[r->count] = r->buf_len - start;
		r->count++;
		if (r->pos >= r->len)
			return 1;
		char c = r->d[r->pos];
		if (c == '\r') {
			r->pos++;
			if (r->pos < r->len && r->d[r->pos] == '\n')
				r->pos++;
			return 1;
		}
		if (c == '\n') {
			r->pos++;
			return 1;
		}
		r->pos++;               /* the separator */
	}
fail:
	r->failed = true;
	return -1;
}

/* ---- one pass of the real reader against the reference ---- */

/* A digest of the records of a pass, to compare the rewound pass with. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001B3);
	return h;
}

static uint64_t run_pass(struct csv_reader *rd, struct ref *ref, size_t size)
{
	struct csv_record rec;
	struct errbuf err;
	uint64_t digest = UINT64_C(0xCBF29CE484222325);
	size_t prev_line = 0;
	uint64_t prev_off = csv_offset(rd);
	int rc;

	/* Each record takes at least one byte, so size + 1 calls must end it. */
	for (size_t calls = 0;; calls++) {
		FUZZ_CHECK(calls <= size + 1, "more than %zu records from %zu bytes", calls, size);
		memset(err.msg, 'X', sizeof err.msg);
		rc = csv_next(rd, &rec, &err);
		int want = ref_next(ref);
		FUZZ_CHECK(rc == want, "csv_next returned %d, the reference %d (record %zu)", rc,
			   want, calls);
		uint64_t off = csv_offset(rd);
		FUZZ_CHECK(off >= prev_off && off <= csv_size(rd), "offset %llu (size %llu)",
			   (unsigned long long)off, (unsigned long long)csv_size(rd));
		prev_off = off;
		if (rc <= 0)
			break;
		FUZZ_CHECK(rec.count >= 1 && rec.count <= MAX_FIELDS, "count %zu", rec.count);
		FUZZ_CHECK(rec.count == ref->count, "%zu fields, the reference %zu", rec.count,
			   ref->count);
		FUZZ_CHECK(rec.line > prev_line, "line %zu after %zu", rec.line, prev_line);
		prev_line = rec.line;
		digest = mix(digest, &rec.line, sizeof rec.line);
		for (size_t i = 0; i < rec.count; i++) {
			const struct csv_field *f = &rec.fields[i];
			FUZZ_CHECK(f->len == ref->flen[i] &&
				   (f->len == 0 || memcmp(f->data, ref->buf + ref->off[i], f->len) == 0),
				   "field %zu differs from the reference", i);
			digest = mix(digest, &f->len, sizeof f->len);
			digest = mix(digest, f->data, f->len);
		}
	}
	if (rc == 0) {
		FUZZ_CHECK(csv_offset(rd) == csv_size(rd), "end before the end");
		FUZZ_CHECK(csv_next(rd, &rec, &err) == 0, "records after the end");
	} else {
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof err.msg) && strncmp(err.msg, "line ", 5) == 0,
			   "reason \"%.40s\"", err.msg);
		for (int k = 0; k < 2; k++)
			FUZZ_CHECK(csv_next(rd, &rec, &err) == -1, "reader went on after an error");
	}
	return mix(digest, &rc, sizeof rc);
}

static void check_with(const char *text, size_t size, int mode, char *scratch)
{
	static struct ref ref;
	struct csv_reader *rd = NULL;
	struct errbuf err;

	FUZZ_CHECK(csv_open_mem(text, size, &rd, &err) == 0 && rd, "csv_open_mem");
	FUZZ_CHECK(csv_size(rd) == size, "size");
	char guessed = csv_guess_separator(rd);
	FUZZ_CHECK(guessed == ',' || guessed == ';' || guessed == '\t', "guessed %d", guessed);
	char sep = mode == 0 ? guessed : mode == 1 ? ',' : mode == 2 ? ';' : mode == 3 ? '\t'
		 : (size ? text[size - 1] : ',');
	if (mode != 0 || guessed != ',')
		csv_set_separator(rd, sep);

	size_t bom = size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	memset(&ref, 0, sizeof ref);
	ref = (struct ref){ .d = text, .len = size, .pos = bom, .sep = sep, .buf = scratch };
	uint64_t first = run_pass(rd, &ref, size);

	csv_rewind(rd);
	ref = (struct ref){ .d = text, .len = size, .pos = bom, .sep = sep, .buf = scratch };
	uint64_t second = run_pass(rd, &ref, size);
	FUZZ_CHECK(first == second, "the second pass differs from the first");
	csv_close(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's buffer is exactly size bytes on the heap: reads past it fault. */
	char *scratch = malloc(size ? size : 1);
	if (!scratch)
		return 0;
	for (int mode = 0; mode < 5; mode++)
		check_with((const char *)data, size, mode, scratch);
	free(scratch);
	csv_close(NULL);
	return 0;
}
