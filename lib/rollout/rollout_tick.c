/* rollout_tick.c - the daemon's periodic step for rollouts (see
 * rollout_tick() in rollout.h): window gates, releasing the parked jobs of
 * an opened wave, and the wave step (rollout_decide) under the store's
 * write lock. Cheap when nothing changes: one indexed probe per active
 * rollout, no write lock. */
#include "rollout.h"

#include <stdlib.h>

#include "log.h"

/* The active rollouts, read into an array first: no read may be left open
 * while the tick writes. */
struct active {
	struct rollout *list;
	size_t count, cap;
	bool oom;
};

static int collect(const struct rollout *r, void *arg)
{
	struct active *a = arg;
	if (a->count == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct rollout *grown = realloc(a->list, cap * sizeof *grown);
		if (!grown) {
			a->oom = true;
			return 1;
		}
		a->list = grown;
		a->cap = cap;
	}
	a->list[a->count++] = *r;
	return 0;
}

/* Writes r's gate when the window moved. A zone that cannot be read any
 * more keeps the last gate: one bad rollout must not stop the others. */
static void update_gate(struct store *s, struct rollout *r, int64_t now)
{
	struct errbuf err = { "" };
	bool gate;
	int64_t next;
	if (rollout_gate(r, now, &gate, &next, &err) < 0) {
		log_errorx("rollout %s: cannot update the window: %s", r->name, err.msg);
		return;
	}
	if (gate == r->gate_open && next == r->next_window_at)
		return;
	if (store_rollout_set_gate(s, r->name, gate, next, &err) < 0) {
		log_errorx("rollout %s: cannot update the window: %s", r->name, err.msg);
		return;
	}
	if (gate != r->gate_open)
		log_info("rollout %s: window %s", r->name, gate ? "opened" : "closed");
	r->gate_open = gate;
	r->next_window_at = next;
}

/* Makes the rest of the current wave's parked jobs due, a chunk per
 * transaction, so the modems get the write lock in between. Also finishes
 * an opening that an earlier process could not complete. */
static int release_parked(struct store *s, const struct rollout *r, int64_t now,
			  struct errbuf *err)
{
	int parked = store_rollout_parked(s, r, r->current_wave, err);
	while (parked > 0) {
		int released = store_rollout_release(s, r, r->current_wave, now, err);
		if (released < 0)
			return -1;
		parked = released == rollout_release_chunk;
	}
	return parked;
}

/* After an advance that opened nothing: tells on_paused when the rollout
 * is now paused for failures (it was active before the advance). */
static int report_pause(struct store *s, const char *name, rollout_paused_fn *on_paused,
			void *arg, struct errbuf *err)
{
	struct rollout after;
	if (!on_paused)
		return 0;
	int found = store_rollout_get(s, name, &after, err);
	if (found <= 0)
		return found;
	if (after.state == ROLLOUT_PAUSED && after.paused_by_failures)
		on_paused(&after, arg);
	return 0;
}

static int tick_one(struct store *s, struct rollout *r, int64_t now, rollout_paused_fn *on_paused,
		    void *arg, struct errbuf *err)
{
	update_gate(s, r, now);
	if (release_parked(s, r, now, err) < 0)
		return -1;
	int busy = store_rollout_wave_busy(s, r, r->current_wave, err);
	/* In the last wave, retried jobs of earlier waves also keep it open:
	 * look before taking the write lock, as this repeats every second. */
	if (busy == 0 && r->current_wave >= r->waves.count)
		busy = store_rollout_wave_busy(s, r, 0, err);
	if (busy != 0)
		return busy < 0 ? -1 : 0;
	bool opened;
	if (store_rollout_advance(s, r->name, now, rollout_decide, &opened, err) < 0)
		return -1;
	if (!opened)
		return report_pause(s, r->name, on_paused, arg, err);
	/* A wave opened just now: release the rest of it right away. */
	struct rollout after;
	int found = store_rollout_get(s, r->name, &after, err);
	if (found <= 0)
		return found;
	return after.state == ROLLOUT_ACTIVE ? release_parked(s, &after, now, err) : 0;
}

int rollout_tick(struct store *s, int64_t now, rollout_paused_fn *on_paused, void *arg,
		 struct errbuf *err)
{
	struct active a = { 0 };
	if (store_rollout_list(s, ROLLOUT_ACTIVE, collect, &a, err) < 0 || a.oom) {
		if (a.oom)
			errbuf_set(err, "reading active rollouts: out of memory");
		free(a.list);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < a.count; i++) {
		struct errbuf one = { "" };
		if (tick_one(s, &a.list[i], now, on_paused, arg, &one) == 0)
			continue;
		/* Go on with the others; report the first failure. */
		log_errorx("rollout %s: %s", a.list[i].name, one.msg);
		if (rc == 0)
			errbuf_set(err, "rollout %s: %s", a.list[i].name, one.msg);
		rc = -1;
	}
	free(a.list);
	return rc;
}
