/* smpp_worker.h - the thread of an SMPP link (a modem entry with device
 * "smpp://..."): connects and binds (one transceiver, or a transmitter and
 * a receiver), claims up to a window of jobs from the shared queue,
 * submits their parts asynchronously, records each outcome and applies the
 * delivery receipts; reconnects with a capped backoff after a drop. The
 * session logic is lib/smpp (pure); this is its sockets and its store. */
#ifndef OTAPD_SMPP_WORKER_H
#define OTAPD_SMPP_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include "smpp_jobs.h"
#include "smpp_message.h"
#include "smpp_session.h"

struct worker;

/* One connection: the transceiver, or the transmitter or the receiver. */
struct smpp_conn {
	int fd;                         /* -1 when closed */
	struct smpp_session session;
	const char *role;               /* "transceiver", "transmitter", "receiver" */
};

struct smpp_link {
	struct worker *w;               /* its worker: cfg, queue, health, outcomes */
	struct smpp_conn conn[2];       /* [0] transceiver or transmitter, [1] receiver */
	size_t conn_count;
	struct smpp_jobs jobs;          /* open jobs, kept across a reconnect */
	int64_t throttle_until;         /* monotonic: no submit before (SMSC throttling) */
	int64_t throttle_ms;            /* the next throttle pause (doubles, halves) */
	int64_t next_send;              /* monotonic: max_rate spacing */
	int64_t lost_at;                /* monotonic: the link went down (0 = up) */
	bool rebind;                    /* the SMSC blamed the account: bind again */
	char rebind_why[200];           /* the status that did */
	char smsc_id[SMPP_SYSTEM_ID_MAX];
};

/* The worker thread's body for an SMPP link (w->smpp set up by
 * smpp_link_new). Returns when otapd stops. */
void *smpp_worker_main(void *arg);

/* Allocates w's link state. Returns NULL when out of memory. */
struct smpp_link *smpp_link_new(struct worker *w);
void smpp_link_free(struct smpp_link *l);

/* ---- smpp_send.c: the jobs' side ---- */

/* Claims one due job and opens it in the link's table (its parts built).
 * Returns true when a job was claimed (also when it failed at once). */
bool smpp_send_claim(struct smpp_link *l, int64_t now);

/* Queues the next due part of some open job on conn if the window, the
 * rate and throttling allow. Returns true when one was queued. */
bool smpp_send_next(struct smpp_link *l, struct smpp_conn *conn, int64_t now);

/* The earliest monotonic time a waiting part may go (INT64_MAX: none). */
int64_t smpp_send_next_due(struct smpp_link *l, int64_t now);

/* A submit_sm_resp (or its generic_nack) for tag with status. */
void smpp_send_answered(struct smpp_link *l, uint64_t tag, uint32_t status,
			const char *message_id, int64_t now);

/* A deliver_sm: a receipt is applied to its job. Returns the status to
 * answer it with (0, or ESME_RX_T_APPN when the store could not take it:
 * the SMSC sends it again). */
uint32_t smpp_send_delivered(struct smpp_link *l, const struct smpp_message *m);

/* The session on conn is over: its unanswered submits go again on the
 * next bind (possible duplicates when they were written). */
void smpp_send_unanswered(struct smpp_link *l, struct smpp_conn *conn, int64_t now);

/* Puts every open job back in the queue without using an attempt (result
 * and why for the attempt row): shutdown, or a link down too long. */
void smpp_send_requeue_all(struct smpp_link *l, const char *result, const char *why);

#endif
