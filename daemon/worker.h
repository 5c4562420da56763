/* worker.h - one thread per modem: connects, claims due jobs from the shared
 * queue, sends their parts and records every outcome. */
#ifndef OTAPD_WORKER_H
#define OTAPD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "daemon.h"
#include "jobmsg.h"
#include "modem.h"
#include "store.h"

/* Jobs whose START part waits for the split delay while the modem serves
 * other jobs. */
#define WORKER_MAX_PENDING 32

struct pending_job {
	struct job job;
	struct jobmsg msg;
	size_t next_part;
	int64_t due;                    /* monotonic time the next part may go */
	int64_t started_at;             /* wall clock, for the attempt row */
	char mrs[64];                   /* "17,18" for the attempt row */
	int mr[OTAP_MAX_PARTS];         /* the same, for status-report matching */
};

struct worker {
	struct daemon_ctx *daemon;
	const struct cfg_modem *cfg;
	struct modem modem;
	struct store *queue;
	pthread_t thread;
	struct pending_job pending[WORKER_MAX_PENDING];
	size_t pending_count;
	int consecutive_timeouts;
	bool need_reinit;
	int64_t next_send;              /* monotonic: rate limit spacing */
	int64_t next_queue_poll;        /* monotonic: when to look for due jobs again */
	int64_t next_check;             /* monotonic: idle registration/signal check */
	unsigned rand_state;
};

/* Starts the thread for modem cfg. Returns 0 or -1 (errno set). */
int worker_start(struct worker *w, struct daemon_ctx *daemon, const struct cfg_modem *cfg);
/* Waits for the thread to finish (after daemon->stop was set). */
void worker_join(struct worker *w);

#endif
