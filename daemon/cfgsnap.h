/* cfgsnap.h - the running configuration as reference-counted snapshots, so
 * that a SIGHUP reload can hand a new config to threads that still read the
 * old one. Each thread holds one snapshot and swaps it for the newest at a
 * point where it keeps no pointer into the old one (a worker between steps,
 * the scheduler per tick, the notify listener per request); a snapshot is
 * freed when the last holder lets go of it. */
#ifndef OTAPD_CFGSNAP_H
#define OTAPD_CFGSNAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "config.h"

struct cfg_snap {
	struct cfg cfg;                 /* read-only while published or held */
	unsigned long gen;              /* 1 for the start, +1 per reload */
	int refs;                       /* holders, the holder's current pointer included;
					 * guarded by cfg_holder.lock */
};

struct cfg_holder {
	pthread_mutex_t lock;
	struct cfg_snap *current;
	atomic_ulong gen;               /* current->gen, readable without the lock */
};

/* Makes *cfg (moved: zeroed afterwards) the first snapshot. Returns 0 or -1
 * (out of memory; *cfg untouched). */
int cfg_holder_init(struct cfg_holder *h, struct cfg *cfg);

/* Drops the holder's reference to the current snapshot (after every thread
 * that held one has been joined) and frees what is left. */
void cfg_holder_destroy(struct cfg_holder *h);

/* Publishes *cfg (moved: zeroed afterwards) as the newest snapshot; the old
 * one lives on until its last holder releases it. Returns 0 or -1 (out of
 * memory; nothing changed, *cfg untouched). */
int cfg_holder_publish(struct cfg_holder *h, struct cfg *cfg);

/* The newest snapshot, with a reference for the caller: release it with
 * cfg_snap_release. Never NULL once the holder is initialised. */
struct cfg_snap *cfg_snap_acquire(struct cfg_holder *h);

/* One more reference to s, which the caller holds (for a thread it hands s to). */
void cfg_snap_hold(struct cfg_holder *h, struct cfg_snap *s);

/* Gives up the caller's reference; frees the snapshot with the last one.
 * NULL is ignored. */
void cfg_snap_release(struct cfg_holder *h, struct cfg_snap *s);

/* True when a newer snapshot than s was published (cheap: one atomic load). */
bool cfg_snap_outdated(const struct cfg_holder *h, const struct cfg_snap *s);

#endif
