/* log.c - levelled logging to stderr, one line per event, thread safe.
 *
 * Each line is written with a single write(2) so lines from the modem
 * threads never interleave; control bytes in the text are escaped (textesc.h).
 * When stderr is the journal's stream (JOURNAL_STREAM), lines carry a <N>
 * syslog priority instead of a timestamp and the program name.
 */
#include "log.h"

#include "textesc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_progname = "otap";
/* Atomic: SIGHUP changes it in the main thread while the others log. */
static atomic_int log_min = LOG_LEVEL_INFO;
static bool log_journal;

/* syslog(3) priorities, the <N> prefix journald reads (sd-daemon.h). */
static const int level_priorities[] = {
	[LOG_LEVEL_DEBUG] = 7,
	[LOG_LEVEL_INFO] = 6,
	[LOG_LEVEL_WARN] = 4,
	[LOG_LEVEL_ERROR] = 3,
};

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

/* JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected stdout
 * and stderr to. It is inherited by children whose stderr goes elsewhere
 * (a shell in a service, redirected to a file), so it only counts when it
 * names our stderr (sd_journal_stream_fd(3), systemd.exec(5)). */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;
	struct stat st;
	if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *progname, enum log_level min_level)
{
	log_progname = progname;
	log_journal = stderr_is_journal();
	atomic_store(&log_min, (int)min_level);
}

void log_set_level(enum log_level min_level)
{
	atomic_store(&log_min, (int)min_level);
}

bool log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&log_min);
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
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

/* Writes the line's head: "<6>info: " for the journal, which adds its own
 * time and identifier, else "2026-01-02T03:04:05.678Z otapd info: ". */
static int log_head(char *buf, size_t size, enum log_level level)
{
	if (log_journal)
		return snprintf(buf, size, "<%d>%s: ", level_priorities[level], level_names[level]);
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_progname,
			level_names[level]);
}

__attribute__((format(printf, 3, 0)))
static void log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	char raw[1024], line[2048];
	int n = log_head(line, sizeof line, level);
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
