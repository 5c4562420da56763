/* fleet.h - otapd's modem workers as one set: started from the config,
 * brought in line with a reloaded config (a worker whose modem is unchanged
 * keeps running, one whose modem was removed or changed is halted and
 * joined, new and changed modems get a new worker), and stopped at
 * shutdown. Called from the main thread only. */
#ifndef OTAPD_FLEET_H
#define OTAPD_FLEET_H

#include <stddef.h>
#include "cfgsnap.h"
#include "daemon.h"
#include "outcome.h"
#include "worker.h"

struct fleet {
	struct daemon_ctx *daemon;
	struct worker **running;
	size_t running_count;
	/* Joined workers of removed or changed modems that still hold outcomes
	 * the store refused: kept for the recovery file at shutdown. */
	struct worker **held;
	size_t held_count;
};

/* Starts one worker per modem of snap. Returns the number started (all of
 * them, or fewer when one failed: reason logged). */
size_t fleet_start(struct fleet *f, struct daemon_ctx *d, struct cfg_snap *snap);

/* Brings the workers in line with now, the config just published after
 * was: halts the workers of removed and changed modems (all at once, then
 * joins them: their jobs between parts go back to the queue), then starts
 * workers for added and changed modems. Logs each change. */
void fleet_reconcile(struct fleet *f, const struct cfg *was, struct cfg_snap *now);

/* Halts every worker and joins them (after stop_request). */
void fleet_stop(struct fleet *f);

/* After fleet_stop: copies the outcomes every worker still holds into out
 * (room for cap) and returns their number. */
size_t fleet_unrecorded(const struct fleet *f, struct outcome *out, size_t cap);

/* Outcomes fleet_unrecorded may return at most. */
size_t fleet_unrecorded_max(const struct fleet *f);

/* Frees the workers (after fleet_stop). */
void fleet_free(struct fleet *f);

#endif
