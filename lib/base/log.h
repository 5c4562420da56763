/* log.h - the one logging module: levelled, one line per event, to stderr
 * (with <N> syslog priorities instead of timestamps under journald).
 *
 * Never pass a secret (password, PIN) to these functions: mask at the source.
 * log_warn/log_error append strerror(errno); the *x variants do not.
 */
#ifndef OTAP_LOG_H
#define OTAP_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Sets the program name shown in each line and the minimum level printed,
 * and picks the line format: journald's when $JOURNAL_STREAM names the
 * current stderr (as systemd sets it for a service), else timestamped.
 * Call before any other thread logs. */
void log_init(const char *progname, enum log_level min_level);
/* Changes the minimum level printed; safe while other threads log. */
void log_set_level(enum log_level min_level);
/* "debug", "info", "warn" or "error". */
const char *log_level_name(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns 0 or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
/* Whether a line of this level would be printed now (one atomic load): lets
 * a caller skip building text, such as the AT trace, nobody will see. */
bool log_enabled(enum log_level level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
