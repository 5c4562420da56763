/* log.c - levelled logging to stderr, one line per event, thread safe.
 *
 * Each line is written with a single write(2) so lines from the modem
 * threads never interleave; control bytes in the text are escaped (textesc.h).
 */
#include "log.h"

#include "textesc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_progname = "otap";
static enum log_level log_min = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void log_init(const char *progname, enum log_level min_level)
{
	log_progname = progname;
	log_min = min_level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i <= LOG_LEVEL_ERROR; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Formats the event text (and strerror) into buf: still raw, not escaped. */
__attribute__((format(printf, 4, 0)))
static size_t log_format(char *buf, size_t size, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	if (errnum && len < size - 1) {
		n = snprintf(buf + len, size - len, ": %s", strerror(errnum));
		if (n > 0)
			len += (size_t)n < size - len ? (size_t)n : size - len - 1;
	}
	buf[len] = '\0';
	return len;
}

__attribute__((format(printf, 3, 0)))
static void log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	if (level < log_min)
		return;
	char raw[1024], line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_progname,
			 level_names[level]);
	if (n < 0 || (size_t)n >= sizeof line - 2)
		return;
	size_t len = (size_t)n;
	size_t rawlen = log_format(raw, sizeof raw, errnum, fmt, ap);
	/* Numbers, replies and file contents may carry ESC and friends: one
	 * line per event, and nothing that acts on the operator's terminal. */
	len += textesc(line + len, sizeof line - len - 1, raw, rawlen);
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

#define LOG_FN(name, level, with_errno)                          \
	void name(const char *fmt, ...)                          \
	{                                                        \
		int saved = errno;                               \
		va_list ap;                                      \
		va_start(ap, fmt);                               \
		log_emit(level, with_errno ? saved : 0, fmt, ap); \
		va_end(ap);                                      \
		errno = saved;                                   \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 1)
LOG_FN(log_errorx, LOG_LEVEL_ERROR, 0)
