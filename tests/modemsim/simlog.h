/* simlog.h - the simulator's event log: one tab-separated line per event.
 *
 * This log is the interface the end-to-end tests assert on, so its format
 * is stable (see the table in main.c and `otap-modemsim --help`):
 *
 *   EVENT<TAB>key=value<TAB>key=value...
 *
 * Lines are appended with a single write(2) on an O_APPEND descriptor, so
 * the notify children (forked) can log to the same file without
 * interleaving. Values pass through simlog_escape(). Never log a secret.
 */
#ifndef MODEMSIM_SIMLOG_H
#define MODEMSIM_SIMLOG_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

/* Opens (creates, appends to) path. Returns 0, or -1 with a reason. */
int simlog_open(const char *path, struct errbuf *err);
/* Closes the log (safe to call when not open). */
void simlog_close(void);
/* The log's file descriptor, or -1 (children inherit it). */
int simlog_fd(void);

/* Writes one event line: fmt produces the whole line without the trailing
 * newline. Lines longer than the internal buffer are truncated. Failures to
 * write are reported once on stderr and otherwise ignored. */
void simlog_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Escapes n bytes for a log value: LF as \n, CR as \r, TAB as \t, backslash
 * as \\, other bytes outside 0x20-0x7E as \xHH. Writes at most cap-1 bytes
 * plus NUL into out (cut at an escape boundary); returns out. */
char *simlog_escape(const uint8_t *data, size_t n, char *out, size_t cap);

#endif
