/* simlog.c - the simulator's event log (see simlog.h). */
#include "simlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define SIMLOG_LINE_MAX 4096

static int simlog_desc = -1;
static bool simlog_warned;

int simlog_open(const char *path, struct errbuf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return errbuf_set(err, "cannot open log file %s: %s", path, strerror(errno));
	simlog_desc = fd;
	return 0;
}

void simlog_close(void)
{
	if (simlog_desc >= 0)
		close(simlog_desc);
	simlog_desc = -1;
}

int simlog_fd(void)
{
	return simlog_desc;
}

void simlog_event(const char *fmt, ...)
{
	char line[SIMLOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || simlog_desc < 0)
		return;
	size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
	line[len++] = '\n';
	/* One write per line: O_APPEND makes it atomic with respect to the
	 * notify children writing to the same file. */
	ssize_t w = write(simlog_desc, line, len);
	if (w != (ssize_t)len && !simlog_warned) {
		simlog_warned = true;
		log_warn("writing the event log failed");
	}
}

/* Appends the escape for one byte; returns its length (0 when it does not fit). */
static size_t escape_byte(uint8_t c, char *out, size_t room)
{
	char tmp[5];
	size_t len;

	switch (c) {
	case '\n': memcpy(tmp, "\\n", 2); len = 2; break;
	case '\r': memcpy(tmp, "\\r", 2); len = 2; break;
	case '\t': memcpy(tmp, "\\t", 2); len = 2; break;
	case '\\': memcpy(tmp, "\\\\", 2); len = 2; break;
	default:
		if (c >= 0x20 && c <= 0x7E) {
			tmp[0] = (char)c;
			len = 1;
		} else {
			snprintf(tmp, sizeof tmp, "\\x%02X", c);
			len = 4;
		}
	}
	if (len > room)
		return 0;
	memcpy(out, tmp, len);
	return len;
}

char *simlog_escape(const uint8_t *data, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		size_t w = escape_byte(data[i], out + len, cap - 1 - len);
		if (w == 0)
			break;
		len += w;
	}
	out[len] = '\0';
	return out;
}
