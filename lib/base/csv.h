/* csv.h - a fast RFC 4180 CSV reader for fleet files: one record at a time
 * from a memory-mapped file (or a buffer), quoted fields with "" escapes,
 * LF or CRLF line ends, a UTF-8 byte order mark tolerated.
 *
 * Syntax errors (an unterminated quoted field, text after a closing quote, a
 * quote inside an unquoted field, a NUL byte, a record longer than
 * CSV_MAX_RECORD) stop the reader: after one of
 * them no record boundary can be trusted. Blank lines are skipped. Field
 * values are not trimmed or interpreted here.
 */
#ifndef OTAP_CSV_H
#define OTAP_CSV_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

struct csv_field {
	const char *data;       /* not NUL-terminated */
	size_t len;
};

struct csv_record {
	size_t line;            /* 1-based line on which the record starts */
	size_t count;           /* number of fields, >= 1 */
	const struct csv_field *fields; /* owned by the reader, valid until the next csv_next */
};

struct csv_reader;

/* Longest record (and physical line) accepted: fleet rows are ~100 bytes;
 * a longer one is not a fleet file (or is missing its line ends). */
#define CSV_MAX_RECORD (64 * 1024)
/* Largest input accepted: ~4 million fleet rows, and reached in well under
 * a second by an endless pipe (`yes |`), which is then refused. */
#define CSV_MAX_FILE (256ULL * 1024 * 1024)

/* Opens path for reading ("-" = standard input, read into memory; a regular
 * file is memory-mapped). A named path must be a regular file (a FIFO,
 * /dev/zero or a directory is refused: pass "-" to read a pipe) of at most
 * CSV_MAX_FILE bytes; standard input may be anything, but reading stops with
 * an error as soon as it exceeds CSV_MAX_FILE or a line exceeds
 * CSV_MAX_RECORD bytes. Returns 0, or -1 with a reason naming the path
 * (and the line, for a line that is too long). */
int csv_open_file(const char *path, struct csv_reader **out, struct errbuf *err);
/* Reads from data[0..len) (borrowed: must outlive the reader). Returns 0 or
 * -1 (out of memory). */
int csv_open_mem(const char *data, size_t len, struct csv_reader **out, struct errbuf *err);
/* Releases the reader; NULL is a no-op. */
void csv_close(struct csv_reader *r);

/* Sets the field separator (default ','); call before the first record. */
void csv_set_separator(struct csv_reader *r, char sep);
/* Guesses the separator of the first line: ';' or TAB when the line has
 * more of them than commas (spreadsheets in many locales), else ','. */
char csv_guess_separator(const struct csv_reader *r);

/* Reads the next record. Returns 1 and fills *rec, 0 at the end of the input,
 * or -1 with "line N: what is wrong" in err (then every later call returns
 * -1 too); a record longer than CSV_MAX_RECORD bytes is such an error. */
int csv_next(struct csv_reader *r, struct csv_record *rec, struct errbuf *err);
/* Goes back to the first record (after the byte order mark), for a second pass. */
void csv_rewind(struct csv_reader *r);

/* Input size and bytes consumed so far, for progress display. */
uint64_t csv_size(const struct csv_reader *r);
uint64_t csv_offset(const struct csv_reader *r);

#endif
