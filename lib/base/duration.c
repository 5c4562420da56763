/* duration.c - duration strings ("500ms", "30s", "5m", "1h", "2d") to and
 * from milliseconds (see duration.h). */
#include "duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct duration_unit {
	const char *suffix;
	int64_t ms;
};

/* Largest first, so duration_format finds the shortest exact spelling. */
static const struct duration_unit units[] = {
	{ "d", 24 * 60 * 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "m", 60 * 1000 },
	{ "s", 1000 },
	{ "ms", 1 },
};

#define DURATION_EXPECTED "expected a whole number followed by ms, s, m, h or d, e.g. \"30s\""

static const struct duration_unit *unit_find(const char *suffix)
{
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(suffix, units[i].suffix) == 0)
			return &units[i];
	}
	return NULL;
}

int duration_parse(const char *text, int64_t *ms_out, struct errbuf *err)
{
	const char *p = text;
	int64_t count = 0;

	if (!text || !*text)
		return errbuf_set(err, "empty duration (" DURATION_EXPECTED ")");
	if (strpbrk(text, " \t\r\n"))
		return errbuf_set(err, "duration \"%.40s\" must not contain spaces ("
				  DURATION_EXPECTED ")", text);
	if (*p < '0' || *p > '9')
		return errbuf_set(err, "\"%.40s\" is not a duration (" DURATION_EXPECTED ")", text);
	for (; *p >= '0' && *p <= '9'; p++) {
		int digit = *p - '0';
		if (count > (INT64_MAX - digit) / 10)
			return errbuf_set(err, "duration \"%.40s\" is too large", text);
		count = count * 10 + digit;
	}
	if (!*p)
		return errbuf_set(err, "duration \"%.40s\" has no unit (" DURATION_EXPECTED ")", text);
	const struct duration_unit *unit = unit_find(p);
	if (!unit)
		return errbuf_set(err, "duration \"%.40s\" has an unknown unit (" DURATION_EXPECTED ")",
				  text);
	if (count > INT64_MAX / unit->ms)
		return errbuf_set(err, "duration \"%.40s\" is too large", text);
	*ms_out = count * unit->ms;
	return 0;
}

void duration_format(int64_t ms, char *buf, int bufsize)
{
	if (!buf || bufsize <= 0)
		return;
	/* Negative values never come from duration_parse; show them plainly. */
	if (ms == 0) {
		snprintf(buf, (size_t)bufsize, "0s");
		return;
	}
	if (ms < 0) {
		snprintf(buf, (size_t)bufsize, "%" PRId64 "ms", ms);
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, (size_t)bufsize, "%" PRId64 "%s", ms / units[i].ms,
				 units[i].suffix);
			return;
		}
	}
}
