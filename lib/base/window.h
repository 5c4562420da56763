/* window.h - daily sending windows ("01:00-05:00") in a time zone: whether
 * one is open at a given instant, and when it next opens or closes.
 *
 * Pure functions of (window, zone, now): the clock seam for tests. Wall
 * clock only (ms since the epoch). A window may cross midnight (22:00-02:00).
 * On DST days a window lasts what the wall clock says: 01:00-05:00 is an
 * hour shorter when clocks go forward and an hour longer when they go back;
 * an edge that falls into the skipped hour moves to the first instant after
 * it (02:30 on a spring-forward night opens at 03:00), and an edge in the
 * repeated hour opens at its first and closes at its second occurrence.
 */
#ifndef OTAP_WINDOW_H
#define OTAP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "tz.h"

struct window {
	int start_min;          /* minutes after local midnight, 0-1439; -1 = always open */
	int end_min;            /* 0-1439; < start_min: ends the next day */
};

#define WINDOW_ALWAYS ((struct window){ .start_min = -1, .end_min = -1 })

/* What the window looks like at one instant. */
struct window_state {
	bool open;
	int64_t opened_at;      /* open: when this opening began; closed: when the next begins */
	int64_t closes_at;      /* when that opening ends */
};

/* Parses "HH:MM-HH:MM" (24-hour clock; 24:00 is accepted as an end). Start
 * and end must differ. Returns 0, or -1 with a reason. */
int window_parse(const char *text, struct window *out, struct errbuf *err);
/* "01:00-05:00", or "always". */
void window_format(const struct window *w, char *buf, size_t size);
bool window_is_always(const struct window *w);

/* Fills *out for instant now_ms in zone tz. An always-open window is open
 * from now until INT64_MAX. Cannot fail. */
void window_at(const struct window *w, const struct tz *tz, int64_t now_ms,
	       struct window_state *out);

/* The instant at which `need_ms` of open window time has passed after
 * now_ms (time outside the window does not count), for ETAs. Gives up and
 * returns INT64_MAX beyond about two years. */
int64_t window_finish_time(const struct window *w, const struct tz *tz, int64_t now_ms,
			   int64_t need_ms);

#endif
