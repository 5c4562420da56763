/* sendjob.h - one job on one modem: claim -> parts -> outcome in the queue.
 * Owns the modem's table of jobs between parts (lib/pending) and reports
 * what each call saw; the worker alone keeps the modem's health (re-init,
 * watchdog). All functions run on the worker's thread. */
#ifndef OTAPD_SENDJOB_H
#define OTAPD_SENDJOB_H

#include <stdbool.h>
#include "at.h"
#include "breaker.h"
#include "config.h"
#include "modem.h"
#include "outcome.h"
#include "pending.h"
#include "smpp_jobs.h"
#include "store.h"

/* Outcomes one modem can hold at once: every job of its pending table plus
 * the one just finished (the worker takes no new work while it holds one);
 * an SMPP link (which keeps its outcomes here too) every open job and the
 * answers still in its window. */
#define SENDJOB_HELD_MAX (SMPP_JOBS_MAX + 1)

/* One try's outcome on its way to the store, with what its log line needs. */
struct sendjob_record {
	struct outcome oc;
	char msisdn[MSISDN_MAX_LEN + 1];
	int attempts_done;              /* tries used, this one included when it counts */
	int max_attempts;
	int64_t delay_ms;               /* OUTCOME_RETRY with an attempt: the backoff */
	size_t sm_count;                /* OUTCOME_SENT: SMs sent */
};

struct sendjob {
	const struct cfg *cfg;          /* profiles, notify URL, retry, split delay */
	const struct cfg_modem *modem_cfg;
	struct modem *modem;
	struct store *queue;
	const struct breaker *breaker;  /* the worker's, read to decide whether a try counts */
	struct hooks *hooks;            /* told of final failures (hooks.h); NULL = none */
	struct pending_table pending;   /* jobs between parts */
	unsigned rand_state;            /* backoff jitter */
	/* Outcomes the store refused (database locked), oldest first, kept
	 * until they commit: never dropped, so a unit is never sent twice
	 * because its outcome was lost. */
	struct sendjob_record held[SENDJOB_HELD_MAX];
	size_t held_count;
	int64_t held_due;               /* monotonic: next commit try */
	int64_t held_backoff_ms;
};

enum sendjob_result {
	SENDJOB_NONE,           /* nothing recorded (an event that is not about a job) */
	SENDJOB_PENDING,        /* the job waits in the table for its next part */
	SENDJOB_SENT,           /* all parts went: recorded as sent */
	SENDJOB_FAILED,         /* recorded as failed */
	SENDJOB_RETRY,          /* recorded for a retry with backoff (or failed: attempts used up) */
	SENDJOB_REQUEUED,       /* back to the queue without using an attempt */
};

/* What one call saw, for the worker's bookkeeping. */
struct sendjob_report {
	enum sendjob_result result;
	bool reinit;            /* modem at fault, restarted or not registered: re-initialise */
	bool answered;          /* the modem answered a send: the watchdog starts again */
	bool send_unanswered;   /* a send got no answer (watchdog input) */
	int side_timeouts;      /* other exchanges without an answer (watchdog input) */
	bool failed_send;       /* a send failed: fault, fault_code, job_id say how */
	enum breaker_fault fault;
	int fault_code;         /* +CMS code or -1 */
	int64_t job_id;
	char detail[200];       /* the failure in words, for the modem's log line */
};

/* Prepares s for the modem cfg/modem_cfg/modem with its queue connection
 * and the modem's breaker (all borrowed); the pending table starts empty. */
void sendjob_init(struct sendjob *s, const struct cfg *cfg, const struct cfg_modem *modem_cfg,
		  struct modem *modem, struct store *queue, const struct breaker *breaker,
		  unsigned seed);

/* True while an outcome waits for the store: the worker must not start or
 * continue a send until it is committed (sendjob_retry_held). */
bool sendjob_holding(const struct sendjob *s);

/* Tries to commit the held outcomes, oldest first, and stops at the first
 * that still fails; the next try is due at s->held_due (backoff from 200 ms
 * doubling to 5 s). Logs an outcome once when it is first held and once
 * when it commits, never per try. */
void sendjob_retry_held(struct sendjob *s, int64_t now);

/* Builds the parts of a freshly claimed job and registers it as pending
 * (first part due now): SENDJOB_PENDING. A job that cannot be built fails
 * at once (SENDJOB_FAILED), or goes back to the queue (SENDJOB_REQUEUED)
 * when its notify URL cannot be prepared. The table must have room. */
struct sendjob_report sendjob_start(struct sendjob *s, const struct job *job);

/* Sends the next part of p, an entry of s->pending; records the outcome
 * when the job is finished or failed, and removes it from the table then. */
struct sendjob_report sendjob_continue(struct sendjob *s, struct pending_job *p);

/* Puts every pending job back in the queue without using an attempt (the
 * modem is going away: shutdown or re-initialisation). */
void sendjob_requeue_all(struct sendjob *s, const char *result, const char *why);

/* Handles an event that is not the reply to a send: URCs (logged; status
 * reports applied), watchdog inputs. */
struct sendjob_report sendjob_side_event(struct sendjob *s, const struct at_event *ev);

#endif
