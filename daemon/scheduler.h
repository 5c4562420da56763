/* scheduler.h - the daemon's once-a-second housekeeping thread: rollout
 * windows, waves and pauses, and the install-confirmation timeout sweep.
 * With PostgreSQL, several instances share the queue: every instance's
 * scheduler renews its own jobs' leases, and only the one that leads
 * (store_lead) does the housekeeping, including taking back the jobs of
 * instances that died. */
#ifndef OTAPD_SCHEDULER_H
#define OTAPD_SCHEDULER_H

#include <pthread.h>
#include "daemon.h"
#include "store.h"

struct scheduler {
	struct daemon_ctx *daemon;
	struct store *queue;
	pthread_t thread;
	bool shared;                    /* PostgreSQL: leases and a lead */
	int leading;                    /* last store_lead answer, for log lines */
};

/* Opens its own queue connection and starts the thread. Returns 0 or -1
 * (reason logged). */
int scheduler_start(struct scheduler *s, struct daemon_ctx *daemon);
/* Waits for the thread to end (after daemon->stop was set). */
void scheduler_join(struct scheduler *s);

#endif
