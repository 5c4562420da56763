/* worker.h - one thread per modem: connects, claims due jobs from the shared
 * queue, sends their parts and records every outcome. */
#ifndef OTAPD_WORKER_H
#define OTAPD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "breaker.h"
#include "daemon.h"
#include "health.h"
#include "modem.h"
#include "store.h"
#include "queue_watch.h"
#include "sendjob.h"

struct worker {
	struct daemon_ctx *daemon;
	const struct cfg_modem *cfg;
	struct modem modem;
	struct store *queue;
	pthread_t thread;
	struct sendjob send;            /* its jobs between parts, their outcomes */
	int consecutive_timeouts;       /* exchanges without an answer, for the watchdog */
	struct breaker breaker;         /* whether the modem may be used (breaker.h) */
	int64_t sends_ok;               /* this modem's sends that got through */
	bool need_reinit;
	int64_t next_send;              /* monotonic: rate limit spacing */
	struct queue_watch watch;       /* when to look for due jobs again */
	int64_t next_check;             /* monotonic: idle registration/signal check */
	struct health health;           /* the modem's row in the store (health.h) */
	char breaker_why[200];          /* what put the breaker where it is */
	struct smpp_link *smpp;         /* an SMPP link's state (smpp_worker.h); NULL for a modem */
};

struct smpp_link;

/* Starts the thread for modem cfg: the AT worker, or the SMPP link's
 * (smpp_worker.h) for an smpp:// device. Returns 0 or -1 (errno set). */
int worker_start(struct worker *w, struct daemon_ctx *daemon, const struct cfg_modem *cfg);
/* Waits for the thread to finish (after daemon->stop was set). */
void worker_join(struct worker *w);

/* Without a link: commits held outcomes until they are in or otapd stops. */
void worker_commit_held(struct worker *w);
/* At shutdown: a bounded wait for the held outcomes; what is still held
 * afterwards goes to the recovery file (otapd.c, after the join). */
void worker_drain_held(struct worker *w);

/* After worker_join: the outcomes the store never took (w->send.held),
 * for the recovery file. Returns their number; *out points at the first. */
size_t worker_unrecorded(const struct worker *w, const struct sendjob_record **out);

#endif
