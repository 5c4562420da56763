/* csv.c - the CSV reader (see csv.h): byte scanning with a lookup table over
 * a memory-mapped file, so that a million-row fleet file parses in a small
 * fraction of a second and can be read twice (check, then import). */
#include "csv.h"

#include "fileread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* More fields than any sane fleet file has; a bound keeps a file of commas
 * from allocating without limit. */
#define CSV_MAX_FIELDS 1024
#define READ_CHUNK (1 << 20)

/* Where a field's bytes are: in the input, or (quoted with "" escapes) in
 * the scratch buffer, which may move while the record grows. */
struct field_span {
	size_t off;
	size_t len;
	bool in_scratch;
};

struct csv_reader {
	const char *data;
	size_t len;
	size_t start;           /* after the byte order mark */
	size_t pos;
	size_t line;
	bool failed;
	void *map;              /* mmap()ed region, or NULL */
	size_t map_len;
	size_t dropped;         /* map bytes before this were given back (MADV_DONTNEED) */
	char *owned;            /* malloc()ed copy (stdin), or NULL */
	bool special[256];      /* bytes that end an unquoted field or are errors */
	char sep;
	struct field_span *spans;
	struct csv_field *fields;
	size_t cap;
	char *scratch;
	size_t scratch_len, scratch_cap;
};

static void set_special(struct csv_reader *r)
{
	memset(r->special, 0, sizeof r->special);
	r->special[(unsigned char)r->sep] = true;
	r->special['\n'] = true;
	r->special['\r'] = true;
	r->special['"'] = true;
	r->special[0] = true;
}

static void init_reader(struct csv_reader *r, const char *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->start = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	r->sep = ',';
	set_special(r);
	csv_rewind(r);
}

int csv_open_mem(const char *data, size_t len, struct csv_reader **out, struct errbuf *err)
{
	struct csv_reader *r = calloc(1, sizeof *r);
	*out = NULL;
	if (!r)
		return errbuf_set(err, "reading CSV: out of memory");
	init_reader(r, data, len);
	*out = r;
	return 0;
}

/* Line number (1-based) of byte offset off in buf. */
static size_t line_of(const char *buf, size_t off)
{
	size_t line = 1;
	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + off - p))) != NULL; p++)
		line++;
	return line;
}

/* Last CR or LF in buf[from..to), or SIZE_MAX. */
static size_t last_break(const char *buf, size_t from, size_t to)
{
	for (size_t i = to; i > from; i--) {
		if (buf[i - 1] == '\n' || buf[i - 1] == '\r')
			return i - 1;
	}
	return SIZE_MAX;
}

/* Moves *line_start (the byte after the last line break seen) through
 * buf[0..n) one window of CSV_MAX_RECORD + 1 bytes at a time: short lines
 * cost one backward step per window, not one call per line. Returns false
 * when a line longer than CSV_MAX_RECORD starts at *line_start. */
static bool lines_bounded(const char *buf, size_t n, size_t *line_start)
{
	while (n - *line_start > CSV_MAX_RECORD) {
		size_t brk = last_break(buf, *line_start, *line_start + CSV_MAX_RECORD + 1);
		if (brk == SIZE_MAX)
			return false;
		*line_start = brk + 1;
	}
	return true;
}

/* Makes room for READ_CHUNK more bytes, doubling (so that a large input is
 * copied O(n) times in total, also under ASan). */
static int grow(char **b, size_t *cap, size_t n, const char *path, struct errbuf *err)
{
	if (*cap - n >= READ_CHUNK)
		return 0;
	size_t want = *cap ? *cap * 2 : READ_CHUNK;
	char *grown = realloc(*b, want);
	if (!grown)
		return errbuf_set(err, "reading %s: out of memory", path);
	*b = grown;
	*cap = want;
	return 0;
}

/* Reads all of fd into a malloc()ed buffer (pipes, terminals), stopping with
 * an error as soon as the input is larger than CSV_MAX_FILE or has a line
 * longer than CSV_MAX_RECORD: an endless pipe must end, and fast. */
static int slurp(int fd, char **buf, size_t *len, const char *path, struct errbuf *err)
{
	size_t cap = 0, n = 0, line_start = 0;
	char *b = NULL;
	int rc = 0;
	for (;;) {
		if ((rc = grow(&b, &cap, n, path, err)) < 0)
			break;
		ssize_t got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = errbuf_set(err, "reading %s: %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > CSV_MAX_FILE) {
			rc = errbuf_set(err, "%s: larger than %llu bytes (256 MiB), the limit for a "
					"fleet file", path, CSV_MAX_FILE);
			break;
		}
		if (!lines_bounded(b, n, &line_start)) {
			rc = errbuf_set(err, "%s: line %zu: longer than %d bytes (is this a CSV "
					"file?)", path, line_of(b, line_start), CSV_MAX_RECORD);
			break;
		}
	}
	if (rc < 0) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* A named fleet file must be a regular file: a FIFO would block, a device
 * such as /dev/zero never ends. Standard input ("-") is the explicit way to
 * read from a pipe. */
static int check_named_file(const struct stat *st, const char *path, struct errbuf *err)
{
	if (!S_ISREG(st->st_mode))
		return errbuf_set(err, "cannot read %s: not a regular file (%s); to read a pipe "
				  "or device, pass '-' and redirect it to standard input", path,
				  file_type_name(st->st_mode));
	return 0;
}

static int open_fd(int fd, const char *path, bool named, struct csv_reader *r,
		   struct errbuf *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return errbuf_set(err, "cannot read %s: it is a directory (expected a CSV file)", path);
	if (named && check_named_file(&st, path, err) < 0)
		return -1;
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > CSV_MAX_FILE)
		return errbuf_set(err, "%s: larger than %llu bytes (256 MiB), the limit for a "
				  "fleet file", path, CSV_MAX_FILE);
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			/* Both passes read front to back: let the kernel read ahead. */
			madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
			r->map = map;
			r->map_len = (size_t)st.st_size;
			init_reader(r, map, r->map_len);
			return 0;
		}
	}
	size_t len = 0;
	if (slurp(fd, &r->owned, &len, path, err) < 0)
		return -1;
	init_reader(r, r->owned, len);
	return 0;
}

int csv_open_file(const char *path, struct csv_reader **out, struct errbuf *err)
{
	*out = NULL;
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return errbuf_set(err, "reading %s: out of memory", path);
	bool is_stdin = strcmp(path, "-") == 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused). */
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		errbuf_set(err, "cannot open %s: %s", path, strerror(errno));
		free(r);
		return -1;
	}
	int rc = open_fd(fd, is_stdin ? "standard input" : path, !is_stdin, r, err);
	if (!is_stdin)
		close(fd);      /* a mapping stays valid after close */
	if (rc < 0) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	free(r->owned);
	free(r->spans);
	free(r->fields);
	free(r->scratch);
	free(r);
}

void csv_set_separator(struct csv_reader *r, char sep)
{
	r->sep = sep;
	set_special(r);
}

char csv_guess_separator(const struct csv_reader *r)
{
	size_t commas = 0, semicolons = 0, tabs = 0;
	bool quoted = false;
	for (size_t i = r->start; i < r->len && (quoted || r->data[i] != '\n'); i++) {
		char c = r->data[i];
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == ',')
			commas++;
		else if (!quoted && c == ';')
			semicolons++;
		else if (!quoted && c == '\t')
			tabs++;
	}
	if (semicolons > commas && semicolons >= tabs)
		return ';';
	if (tabs > commas && tabs > semicolons)
		return '\t';
	return ',';
}

void csv_rewind(struct csv_reader *r)
{
	r->pos = r->start;
	r->line = 1;
	r->failed = false;
	r->dropped = 0;         /* the pages come back as they are read again */
}

uint64_t csv_size(const struct csv_reader *r)
{
	return r->len;
}

uint64_t csv_offset(const struct csv_reader *r)
{
	return r->pos;
}

/* ---- one record ---- */

static int fail(struct csv_reader *r, struct errbuf *err, size_t line, const char *what)
{
	r->failed = true;
	return errbuf_set(err, "line %zu: %s", line, what);
}

static int add_span(struct csv_reader *r, size_t n, struct field_span span, struct errbuf *err)
{
	if (n == CSV_MAX_FIELDS)
		return fail(r, err, r->line, "more than 1024 fields (is this a CSV file?)");
	if (n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct field_span *spans = realloc(r->spans, cap * sizeof *spans);
		if (spans)
			r->spans = spans;
		struct csv_field *fields = realloc(r->fields, cap * sizeof *fields);
		if (fields)
			r->fields = fields;
		if (!spans || !fields)
			return fail(r, err, r->line, "out of memory");
		r->cap = cap;
	}
	r->spans[n] = span;
	return 0;
}

static int scratch_append(struct csv_reader *r, const char *p, size_t n, struct errbuf *err)
{
	if (r->scratch_cap - r->scratch_len < n) {
		size_t cap = r->scratch_cap ? r->scratch_cap : 256;
		while (cap - r->scratch_len < n)
			cap *= 2;
		char *grown = realloc(r->scratch, cap);
		if (!grown)
			return fail(r, err, r->line, "out of memory");
		r->scratch = grown;
		r->scratch_cap = cap;
	}
	memcpy(r->scratch + r->scratch_len, p, n);
	r->scratch_len += n;
	return 0;
}

static size_t count_newlines(const char *p, size_t n)
{
	size_t lines = 0;
	const char *end = p + n;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	return lines;
}

/* Reads a quoted field; r->pos is on the opening quote. */
static int read_quoted(struct csv_reader *r, struct field_span *span, struct errbuf *err)
{
	size_t field_line = r->line;
	size_t seg = ++r->pos;
	bool copied = false;
	size_t scratch_off = r->scratch_len;
	for (;;) {
		const char *q = memchr(r->data + r->pos, '"', r->len - r->pos);
		if (!q)
			return fail(r, err, field_line, "unterminated quoted field (a '\"' opened "
				    "on this line is never closed)");
		size_t qi = (size_t)(q - r->data);
		if (memchr(r->data + r->pos, '\0', qi - r->pos))
			return fail(r, err, r->line, "NUL byte in a field (is this a text file?)");
		r->line += count_newlines(r->data + r->pos, qi - r->pos);
		if (qi + 1 < r->len && r->data[qi + 1] == '"') {
			/* "" stands for one quote: keep the text up to and with it. */
			if (scratch_append(r, r->data + seg, qi + 1 - seg, err) < 0)
				return -1;
			copied = true;
			r->pos = seg = qi + 2;
			continue;
		}
		if (copied && scratch_append(r, r->data + seg, qi - seg, err) < 0)
			return -1;
		*span = copied ? (struct field_span){ scratch_off, r->scratch_len - scratch_off, true }
			       : (struct field_span){ seg, qi - seg, false };
		r->pos = qi + 1;
		break;
	}
	if (r->pos < r->len) {
		char c = r->data[r->pos];
		if (c != r->sep && c != '\n' && c != '\r')
			return fail(r, err, r->line, "unexpected text after a closing quote "
				    "(a quote inside a quoted field must be doubled: \"\")");
	}
	return 0;
}

static int read_unquoted(struct csv_reader *r, struct field_span *span, struct errbuf *err)
{
	size_t start = r->pos;
	while (r->pos < r->len && !r->special[(unsigned char)r->data[r->pos]])
		r->pos++;
	if (r->pos < r->len) {
		char c = r->data[r->pos];
		if (c == '"')
			return fail(r, err, r->line, "quote inside an unquoted field (quote the "
				    "whole field and double the quote: \"a\"\"b\")");
		if (c == '\0')
			return fail(r, err, r->line, "NUL byte in a field (is this a text file?)");
	}
	*span = (struct field_span){ start, r->pos - start, false };
	return 0;
}

/* Consumes a line end at r->pos, if any. Returns true when the record ends. */
static bool end_of_record(struct csv_reader *r)
{
	if (r->pos >= r->len)
		return true;
	char c = r->data[r->pos];
	if (c == '\r') {
		r->pos++;
		if (r->pos < r->len && r->data[r->pos] == '\n')
			r->pos++;
		r->line++;
		return true;
	}
	if (c == '\n') {
		r->pos++;
		r->line++;
		return true;
	}
	r->pos++;       /* the separator: another field follows */
	return false;
}

static void skip_blank_lines(struct csv_reader *r)
{
	while (r->pos < r->len && (r->data[r->pos] == '\n' || r->data[r->pos] == '\r')) {
		if (r->data[r->pos] == '\n' ||
		    r->pos + 1 >= r->len || r->data[r->pos + 1] != '\n')
			r->line++;
		r->pos++;
	}
}

/* Pages of a mapped file that were read count as this process's memory
 * until unmapped: give back those well behind the record about to be
 * read (the previous record's fields die with this call anyway), so a
 * pass over a big file needs a few MiB, not the file's size. Pass 2 reads
 * them again from the page cache. */
#define CSV_KEEP_BEHIND (4u << 20)
static void drop_read_pages(struct csv_reader *r)
{
	size_t page = 4096;
	if (!r->map || r->pos < r->dropped + 2 * CSV_KEEP_BEHIND)
		return;
	size_t end = (r->pos - CSV_KEEP_BEHIND) / page * page;
	madvise((char *)r->map + r->dropped, end - r->dropped, MADV_DONTNEED);
	r->dropped = end;
}

int csv_next(struct csv_reader *r, struct csv_record *rec, struct errbuf *err)
{
	drop_read_pages(r);
	if (r->failed)
		return errbuf_set(err, "line %zu: the CSV reader stopped at an earlier error", r->line);
	skip_blank_lines(r);
	if (r->pos >= r->len)
		return 0;
	size_t n = 0, start = r->pos;
	rec->line = r->line;
	r->scratch_len = 0;
	for (bool done = false; !done; n++) {
		struct field_span span = { 0, 0, false };
		int rc = r->pos < r->len && r->data[r->pos] == '"' ? read_quoted(r, &span, err)
								   : read_unquoted(r, &span, err);
		if (rc < 0 || add_span(r, n, span, err) < 0)
			return -1;
		if (r->pos - start > CSV_MAX_RECORD)    /* the line end not counted */
			return fail(r, err, rec->line, "record longer than 65536 bytes (is this a "
				    "CSV file?)");
		done = end_of_record(r);
	}
	for (size_t i = 0; i < n; i++) {
		const struct field_span *s = &r->spans[i];
		r->fields[i].data = (s->in_scratch ? r->scratch : r->data) + s->off;
		r->fields[i].len = s->len;
	}
	rec->count = n;
	rec->fields = r->fields;
	return 1;
}
