/* queue_watch.h - when an idle modem looks for a due job: only when the
 * queue may have changed (another connection committed, seen through the
 * store's data version; or this connection wrote) or when the earliest
 * known due time comes. SQLite: the data version (PRAGMA data_version) is
 * looked at every QUEUE_WATCH_VERSION_MS. PostgreSQL: never polled; the
 * worker sleeps with the store's wake fd (LISTEN/NOTIFY, store_wake_fd) in
 * its poll() and calls queue_watch_woken after each wait. A job enqueued
 * by otapctl is picked up within a fraction of a second while an idle
 * daemon reads no table. All functions run on the worker's thread. */
#ifndef OTAPD_QUEUE_WATCH_H
#define OTAPD_QUEUE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "store.h"

/* How often data_version is looked at: bounds the pick-up latency. */
#define QUEUE_WATCH_VERSION_MS 250

struct queue_watch {
	struct store *queue;
	const char *modem;              /* for log lines */
	bool changed;                   /* a claim probe is needed */
	int64_t version;                /* last data_version seen */
	int64_t next_version;           /* monotonic: next data_version look */
	int64_t due;                    /* monotonic: earliest known due time */
	int wake_fd;                    /* store_wake_fd, -1: look at the version */
};

/* Watches q for the modem named modem (both borrowed); the first look
 * probes. */
void queue_watch_init(struct queue_watch *qw, struct store *q, const char *modem);

/* The queue may have changed in a way data_version does not show: this
 * connection committed (its own commits do not move it), or the modem
 * reconnected. The next look probes. */
void queue_watch_touch(struct queue_watch *qw);

/* True when a claim probe is worth it at monotonic now: the queue changed
 * or the known due time came. Looks at data_version when its time came. */
bool queue_watch_probe_now(struct queue_watch *qw, int64_t now);

/* After a probe at wall time probed_at that claimed nothing (probe_failed:
 * it failed): no probe until data_version moves or the next due time
 * (store_next_due) comes. */
void queue_watch_found_nothing(struct queue_watch *qw, int64_t now, int64_t probed_at,
			       bool probe_failed);

/* After a sleep that watched wake_fd (when >= 0): reads what arrived on it
 * (the version moves on a wake-up), so that it is not readable again. */
void queue_watch_woken(struct queue_watch *qw, int64_t now);

/* Monotonic time of the next look, for the worker's sleep. */
int64_t queue_watch_next(const struct queue_watch *qw);

#endif
