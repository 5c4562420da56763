/* rollout_status.c - one rollout's progress (see rollout_status() in
 * rollout.h): counts per state, the current wave, the most frequent failure
 * reasons, the window, and an ETA from the rate and the window's hours.
 * The counts come from the store (store_rollout_counts). */
#include "rollout.h"

#include <stdio.h>
#include <string.h>


/* The window now and, with a rate, when the remaining jobs will have been
 * sent if nothing pauses the rollout: remaining / rate minutes of open
 * window, counted from now or the start time. Without a rate the daemon's
 * modems set the pace and no ETA is given. */
static int window_and_eta(const struct rollout *r, int64_t now, struct rollout_status *out,
			  struct errbuf *err)
{
	struct tz *tz;
	if (tz_load(r->tz, &tz, err) < 0)
		return -1;
	window_at(&r->window, tz, now, &out->window);
	bool running = r->state == ROLLOUT_ACTIVE;
	if (running && r->rate_per_min > 0 && out->remaining > 0) {
		int64_t need = out->remaining * 60000 / r->rate_per_min;
		int64_t from = r->start_at > now ? r->start_at : now;
		int64_t eta = window_finish_time(&r->window, tz, from, need);
		out->eta = eta == INT64_MAX ? 0 : eta;
	}
	tz_free(tz);
	return 0;
}

int rollout_status(struct store *s, const char *name, int64_t now, struct rollout_status *out,
		   struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	int found = store_rollout_get(s, name, &out->r, err);
	if (found <= 0)
		return found;
	const struct rollout *r = &out->r;
	if (store_rollout_counts(s, r, out->counts, &out->wave_final, &out->wave_failed, err) < 0)
		return -1;
	int reasons = store_rollout_reasons(s, r, out->reasons, ROLLOUT_REASONS_MAX, err);
	if (reasons < 0)
		return -1;
	out->reason_count = (size_t)reasons;
	if (store_rollout_funnel(s, r, &out->funnel, err) < 0)
		return -1;
	for (int st = 0; st < JOB_STATE_COUNT; st++)
		out->total += out->counts[st];
	out->remaining = out->counts[JOB_QUEUED] + out->counts[JOB_SENDING];
	rollout_wave_sizes(&r->waves, r->total_units, out->wave_sizes);
	return window_and_eta(r, now, out, err) < 0 ? -1 : 1;
}
