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
#include "stop.h"

struct worker {
	struct daemon_ctx *daemon;
	struct cfg_snap *snap;          /* the config it reads, swapped between steps (cfgsnap.h) */
	const struct cfg_modem *cfg;    /* its modem in snap */
	char name[64];                  /* the modem's name, for other threads */
	struct halt halt;               /* set by a reload that removes or changes the modem,
					 * and at shutdown */
	bool retired;                   /* halted by a reload (set before the halt) */
	unsigned long refused_gen;      /* a newer config without this modem as it runs:
					 * the reload halts the worker, it does not adopt it */
	struct modem modem;
	struct store *queue;
	pthread_t thread;
	struct sendjob send;            /* its jobs between parts, their outcomes */
	int consecutive_timeouts;       /* exchanges without an answer, for the watchdog */
	struct breaker breaker;         /* whether the modem may be used (breaker.h) */
	int64_t sends_ok;               /* sends that are not the others' news: this
					 * modem's, and all before it started (a
					 * worker a reload started) */
	bool need_reinit;
	int64_t next_send;              /* monotonic: rate limit spacing */
	struct queue_watch watch;       /* when to look for due jobs again */
	int64_t next_check;             /* monotonic: idle registration/signal check */
	struct health health;           /* the modem's row in the store (health.h) */
	char breaker_why[200];          /* what put the breaker where it is */
	struct smpp_link *smpp;         /* an SMPP link's state (smpp_worker.h); NULL for a modem */
};

struct smpp_link;

/* Starts the thread for modem cfg, an entry of snap (the worker takes its
 * own reference to snap): the AT worker, or the SMPP link's
 * (smpp_worker.h) for an smpp:// device. Returns 0 or -1 (reason logged). */
int worker_start(struct worker *w, struct daemon_ctx *daemon, struct cfg_snap *snap,
		 const struct cfg_modem *cfg);
/* Tells the thread to finish: a send in progress is seen through to its
 * reply, jobs between parts go back to the queue, held outcomes get a
 * bounded wait. retire: because a reload removed or changed its modem
 * (otherwise: shutdown). */
void worker_halt(struct worker *w, bool retire);
/* Waits for the thread to finish (after worker_halt) and lets go of its
 * store connections and config. */
void worker_join(struct worker *w);
/* The same after the caller joined w->thread itself. */
void worker_joined(struct worker *w);

/* True when a worker running modem was_m of config was can go on with
 * modem now_m of config now without a new link and init: the same device,
 * serial settings, PIN, SMSC and send timeout, and the same need for status
 * reports (the init routes them). max_rate and max_failures change in place.
 * Otherwise the settings that differ are named in changed (never their
 * values: the PIN is a secret). */
bool worker_keeps_link(const struct cfg *was, const struct cfg_modem *was_m,
		       const struct cfg *now, const struct cfg_modem *now_m,
		       char *changed, size_t size);

/* Claims a due job for w's modem into *out (store_claim looks read-only
 * first, so a probe that finds nothing takes no write lock); tells w->watch
 * when there was none or the store failed (logged, naming the link as
 * kind, "modem" or "smpp"). Returns true when *out holds a claimed job. */
bool worker_claim(struct worker *w, int64_t now, const char *kind, struct job *out);

/* For the SMPP link's thread (smpp_worker.c), which shares these with the
 * AT worker: takes a newer config that keeps the link as it runs; commits
 * held outcomes without a link until they are in or the worker halts; the
 * bounded wait for them at the end. */
void worker_adopt_config(struct worker *w);
void worker_commit_held(struct worker *w);
void worker_drain_held(struct worker *w);

/* After worker_join: the outcomes the store never took (w->send.held),
 * for the recovery file. Returns their number; *out points at the first. */
size_t worker_unrecorded(const struct worker *w, const struct sendjob_record **out);

#endif
