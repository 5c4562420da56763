/* window.c - daily sending windows in a time zone (see window.h). */
#include "window.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400
#define MINUTES_PER_DAY 1440
/* window_finish_time's horizon: about two years of daily windows. */
#define FINISH_MAX_WINDOWS 800

static bool read_clock(const char **p, int *minutes)
{
	const char *s = *p;
	int h = 0, digits = 0;
	while (*s >= '0' && *s <= '9' && digits < 2) {
		h = h * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || *s++ != ':')
		return false;
	if (s[0] < '0' || s[0] > '5' || s[1] < '0' || s[1] > '9')
		return false;
	int m = (s[0] - '0') * 10 + (s[1] - '0');
	*minutes = h * 60 + m;
	*p = s + 2;
	return true;
}

int window_parse(const char *text, struct window *out, struct errbuf *err)
{
	const char *p = text;
	int start, end;
	if (!read_clock(&p, &start) || *p++ != '-' || !read_clock(&p, &end) || *p != '\0')
		return errbuf_set(err, "invalid window '%.40s' (expected HH:MM-HH:MM, e.g. 01:00-05:00)",
				  text);
	if (start >= MINUTES_PER_DAY || end > MINUTES_PER_DAY)
		return errbuf_set(err, "invalid window '%.40s': hours go from 00 to 23 (24:00 only as "
				  "an end)", text);
	end %= MINUTES_PER_DAY;
	if (start == end)
		return errbuf_set(err, "invalid window '%.40s': start and end are equal (leave "
				  "--window out to send at any time)", text);
	out->start_min = start;
	out->end_min = end;
	return 0;
}

bool window_is_always(const struct window *w)
{
	return w->start_min < 0;
}

void window_format(const struct window *w, char *buf, size_t size)
{
	if (window_is_always(w))
		snprintf(buf, size, "always");
	else
		snprintf(buf, size, "%02d:%02d-%02d:%02d", w->start_min / 60, w->start_min % 60,
			 w->end_min / 60, w->end_min % 60);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The opening of the window that starts on local day `day` (days since the
 * epoch, in wall-clock terms), in ms; empty when its edges fell into the
 * same skipped hour. */
static void opening_of_day(const struct window *w, const struct tz *tz, int64_t day,
			   int64_t *open_ms, int64_t *close_ms)
{
	int64_t close_day = w->end_min <= w->start_min ? day + 1 : day;
	*open_ms = tz_to_utc(tz, day * DAY + w->start_min * 60, false) * 1000;
	*close_ms = tz_to_utc(tz, close_day * DAY + w->end_min * 60, true) * 1000;
}

void window_at(const struct window *w, const struct tz *tz, int64_t now_ms,
	       struct window_state *out)
{
	if (window_is_always(w)) {
		*out = (struct window_state){ .open = true, .opened_at = now_ms, .closes_at = INT64_MAX };
		return;
	}
	int64_t t = floor_div(now_ms, 1000);
	int64_t today = floor_div(t + tz_offset(tz, t), DAY);
	*out = (struct window_state){ .open = false, .opened_at = INT64_MAX, .closes_at = INT64_MAX };
	/* Yesterday's opening may still be running (crossing midnight); two
	 * days ahead covers a window that is empty today. */
	for (int64_t day = today - 1; day <= today + 2; day++) {
		int64_t open_ms, close_ms;
		opening_of_day(w, tz, day, &open_ms, &close_ms);
		if (open_ms >= close_ms)
			continue;
		if (open_ms <= now_ms && now_ms < close_ms) {
			*out = (struct window_state){ .open = true, .opened_at = open_ms,
						      .closes_at = close_ms };
			return;
		}
		if (open_ms > now_ms && open_ms < out->opened_at) {
			out->opened_at = open_ms;
			out->closes_at = close_ms;
		}
	}
}

int64_t window_finish_time(const struct window *w, const struct tz *tz, int64_t now_ms,
			   int64_t need_ms)
{
	if (window_is_always(w))
		return need_ms > INT64_MAX - now_ms ? INT64_MAX : now_ms + need_ms;
	for (int i = 0; i < FINISH_MAX_WINDOWS; i++) {
		struct window_state st;
		window_at(w, tz, now_ms, &st);
		if (!st.open) {
			if (st.opened_at == INT64_MAX)
				return INT64_MAX;
			now_ms = st.opened_at;
			continue;
		}
		if (need_ms <= st.closes_at - now_ms)
			return now_ms + need_ms;
		need_ms -= st.closes_at - now_ms;
		now_ms = st.closes_at;
	}
	return INT64_MAX;
}
