/* notify_sweep.h - the confirmation-timeout sweep over the configured
 * profiles (lib/notify/notify_sweep.c). */
#ifndef OTAP_NOTIFY_SWEEP_H
#define OTAP_NOTIFY_SWEEP_H

#include "config.h"
#include "store_reports.h"

/* The confirmation-timeout sweep; run it every few seconds when a notify
 * listener is configured. First applies notifications deferred while their
 * job was in 'sending', then times out the unconfirmed jobs. Handles at
 * most 256 jobs of each kind (per profile) per call;
 * jobs whose profile is no longer configured are left alone. *count (may
 * be NULL) gets the number of jobs requeued or failed. Returns 0 or -1. */
int notify_sweep_unconfirmed(struct store *s, const struct cfg *cfg, int64_t now, int *count,
			     struct errbuf *err);

/* The same, calling failed(id, arg) (may be NULL) after the commit for
 * each job the timeout failed for good (the daemon's on_job_failed hook). */
int notify_sweep_unconfirmed_each(struct store *s, const struct cfg *cfg, int64_t now,
				  store_failed_fn *failed, void *arg, int *count,
				  struct errbuf *err);

#endif
