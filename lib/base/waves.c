/* waves.c - a rollout's waves as cumulative percentages: parsing
 * "1%,10%,100%", formatting them back, and the units per wave. Pure. */
#include "waves.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Reads "12", "12.5" or "0.25" (an optional '%' after it) as hundredths. */
static bool read_pct(const char **p, int *out)
{
	const char *s = *p;
	long whole = 0;
	int digits = 0, frac = 0, frac_digits = 0;
	while (isspace((unsigned char)*s))
		s++;
	while (isdigit((unsigned char)*s) && digits < 4) {
		whole = whole * 10 + (*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s) && frac_digits < 2) {
			frac = frac * 10 + (*s++ - '0');
			frac_digits++;
		}
		if (frac_digits == 0)
			return false;
		if (frac_digits == 1)
			frac *= 10;
	}
	if (digits == 0 || isdigit((unsigned char)*s))
		return false;
	if (*s == '%')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	*out = (int)(whole * ROLLOUT_PCT_SCALE + frac);
	*p = s;
	return true;
}

int rollout_waves_parse(const char *text, struct rollout_waves *out, struct errbuf *err)
{
	const char *p = text ? text : "";
	struct rollout_waves w = { 0 };
	for (;;) {
		int pct;
		if (!read_pct(&p, &pct) || (*p != ',' && *p != '\0'))
			return errbuf_set(err, "invalid waves '%.60s' (expected cumulative percentages "
					  "such as 1%%,10%%,100%%)", text ? text : "");
		if (w.count == ROLLOUT_WAVES_MAX)
			return errbuf_set(err, "invalid waves '%.60s': at most %d waves", text,
					  ROLLOUT_WAVES_MAX);
		if (pct <= 0 || pct > 100 * ROLLOUT_PCT_SCALE ||
		    (w.count > 0 && pct <= w.pct[w.count - 1]))
			return errbuf_set(err, "invalid waves '%.60s': each wave's cumulative percentage "
					  "must grow, from above 0 up to 100", text);
		w.pct[w.count++] = pct;
		if (*p++ == '\0')
			break;
	}
	if (w.pct[w.count - 1] != 100 * ROLLOUT_PCT_SCALE)
		return errbuf_set(err, "invalid waves '%.60s': the last wave must reach 100%% "
				  "(sizes are cumulative: 1%%,10%%,100%%)", text);
	*out = w;
	return 0;
}

void rollout_pct_format(int pct, char *buf, size_t size)
{
	int whole = pct / ROLLOUT_PCT_SCALE, frac = pct % ROLLOUT_PCT_SCALE;
	if (frac == 0)
		snprintf(buf, size, "%d", whole);
	else if (frac % 10 == 0)
		snprintf(buf, size, "%d.%d", whole, frac / 10);
	else
		snprintf(buf, size, "%d.%02d", whole, frac);
}

void rollout_waves_format(const struct rollout_waves *w, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < w->count && n < size; i++) {
		char pct[16];
		rollout_pct_format(w->pct[i], pct, sizeof pct);
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "", pct);
	}
}

void rollout_wave_sizes(const struct rollout_waves *w, int64_t total,
			int64_t sizes[ROLLOUT_WAVES_MAX])
{
	const int64_t scale = 100 * ROLLOUT_PCT_SCALE;
	int64_t before = 0;
	memset(sizes, 0, ROLLOUT_WAVES_MAX * sizeof sizes[0]);
	for (int i = 0; i < w->count; i++) {
		int64_t end = (total * w->pct[i] + scale - 1) / scale;
		sizes[i] = end - before;
		before = end;
	}
}

