/* notify_store.h - what the units report back, applied to the job queue:
 * install notifications, SMS status reports (matched through the parts
 * table), the confirmation-timeout sweep, and the job fields they record.
 * Implemented in lib/notify_store.c (notifications, job fields),
 * lib/notify_report.c (status reports) and lib/notify_sweep.c (timeouts).
 *
 * Every function works on the connection of a struct queue (queue_db()) and
 * does its changes in one transaction (a savepoint when the caller already
 * has one open). Times are ms since the epoch, passed in (the clock seam).
 *
 * Job outcomes (the rules, in one place):
 *  - Notification 900 (or 912 for a delete job): confirmed, from any state
 *    but cancelled — also from queued (a late 900 after the confirmation
 *    timeout requeued the job) and failed (a late 900 after "no
 *    confirmation"): it is the truth from the unit.
 *  - A job in 'sending' belongs to its worker: a notification for it (the
 *    unit can answer before the worker has recorded +CMGS) is recorded and
 *    applied by notify_sweep_unconfirmed once the job is sent or queued.
 *  - 903: sent/delivered jobs are queued again (the try was counted at
 *    send), or failed when their attempts are used up; a queued job only
 *    records it.
 *  - Any other code (912 for an install job included): failed, last_error
 *    "901 Insufficient memory" (unknown codes: the unit's raw text). A
 *    failed job keeps its state but takes the code and text.
 *  - Confirmed jobs never change again; cancelled jobs only record the
 *    report. A notification repeating the code already recorded for the
 *    current send changes nothing. Every other notification adds an
 *    attempt row with result 'notified'.
 *  - Status report (only the part carrying START, of the job's current
 *    send, moves the job; every matched report is recorded as an attempt
 *    row): TP-ST 0x00 sent -> delivered ('delivered'); 0x40-0x5F sent ->
 *    failed ('report-failed'); 0x60-0x7F sent -> queued, or failed when
 *    attempts are used up ('report-retry'); anything else, e.g. 0x01
 *    "unconfirmed" or 0x20-0x3F "still trying", is recorded only ('report').
 *  - Confirmation timeout: sent/delivered longer than the profile's
 *    confirm_timeout -> queued ('unconfirmed'), or failed "gave up after N
 *    attempts: no confirmation within 30m" when attempts are used up.
 */
#ifndef OTAP_NOTIFY_STORE_H
#define OTAP_NOTIFY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "notify.h"
#include "queue.h"

/* Status reports match sends of the last 72 h only: the modem's TP-MR
 * wraps at 255, so an older send with the same MR is another message. */
#define NOTIFY_REPORT_HORIZON_MS (72LL * 3600 * 1000)

/* The report-related fields of a job (otapctl status). */
struct notify_info {
	char imei[NOTIFY_IMEI_LEN + 1];         /* "" when not recorded */
	int64_t sent_at;                        /* 0 = never */
	int64_t delivered_at;                   /* 0 = no delivery report for the current send */
	int64_t confirmed_at;                   /* 0 = not confirmed */
	int64_t notified_at;                    /* 0 = no notification */
	int notify_code;                        /* -1 = none */
	char notify_text[NOTIFY_TEXT_MAX];      /* the unit's text, "" when none */
};

enum notify_apply_result {
	NOTIFY_APPLIED,         /* the job changed: answer 200 */
	NOTIFY_UNCHANGED,       /* a repeat, or nothing to change: answer 200 */
	NOTIFY_NO_JOB,          /* no such job, wrong token, unknown IMEI: answer 404 */
};

/* What applying one notification did, for the listener's log line. */
struct notify_applied {
	enum notify_apply_result result;
	int64_t job_id;                         /* 0 with NOTIFY_NO_JOB */
	enum job_state before;
	enum job_state after;
};

/* Applies a notification to job_id if token is that job's token (compared
 * in constant time). Returns 0 with *out filled (NOTIFY_NO_JOB when the job
 * does not exist or the token is wrong: then nothing changed), or -1 on a
 * database error. */
int notify_apply_job(struct queue *q, int64_t job_id, const char *token,
		     const struct notify_report *r, int64_t now, struct notify_applied *out,
		     struct errbuf *err);

/* Applies a fleet-wide notification to the unit with this IMEI: its most
 * recently sent job still open (queued, sending, sent, delivered), else its
 * most recently sent job at all (so a repeat stays a harmless 200).
 * Returns 0 with *out filled (NOTIFY_NO_JOB when no sent job has this
 * IMEI), or -1 on a database error. */
int notify_apply_imei(struct queue *q, const char *imei, const struct notify_report *r,
		      int64_t now, struct notify_applied *out, struct errbuf *err);

/* Records the unit's IMEI on a job (otapctl enqueue --imei; rollouts may
 * write jobs.imei directly). Returns 0, or -1 with a reason (invalid IMEI,
 * no such job, database error). */
int notify_set_imei(struct queue *q, int64_t job_id, const char *imei, struct errbuf *err);

/* Enqueues job (queue_enqueue) and records the unit's IMEI on it in one
 * transaction: both or neither. imei NULL = plain queue_enqueue. Returns 0
 * and sets *id_out, or -1 with a reason (invalid IMEI or job, database). */
int notify_enqueue_unit(struct queue *q, const struct job_new *job, const char *imei,
			int64_t now, int64_t *id_out, struct errbuf *err);

/* Reads the report fields of a job. Returns 1, 0 when there is no such
 * job, or -1 on a database error. */
int notify_job_info(struct queue *q, int64_t job_id, struct notify_info *out,
		    struct errbuf *err);

/* Records the SMs of a send that has just been marked sent (call right
 * after queue_mark_sent): mrs[i] is the TP-MR of part i+1; the last part is
 * the one carrying START. Entries of the same modem and MR older than
 * NOTIFY_REPORT_HORIZON_MS are pruned. Returns 0, or -1 (no such job, an MR
 * outside 0-255, database error). */
int notify_record_parts(struct queue *q, int64_t job_id, const char *modem, const int *mrs,
			size_t count, int64_t now, struct errbuf *err);

/* Applies one +CDS status report received on modem (pdu_hex: the PDU line,
 * with or without the SMSC field). It matches the newest part sent on that
 * modem with the report's TP-MR within the horizon whose job's number
 * agrees with the report's recipient (last 9 digits; an empty recipient
 * agrees with any). Logs the effect. Returns 0, also when nothing matches
 * (logged at debug), or -1 with a reason for an undecodable PDU or a
 * database error. */
int notify_apply_status_report(struct queue *q, const char *modem, const char *pdu_hex,
			       int64_t now, struct errbuf *err);

/* Applies the notifications that arrived while their job was in 'sending'
 * to the jobs that have left it (sent, or back in the queue), at most 256
 * per call. notify_sweep_unconfirmed calls it first; call it on its own to
 * apply them sooner. *count (may be NULL) gets how many. Returns 0 or -1. */
int notify_apply_deferred(struct queue *q, int64_t now, int *count, struct errbuf *err);

/* Ensures job_id has a token (a new one from getrandom() the first time;
 * an existing one is kept, so resends carry the same URL) and writes the
 * job's NOTIFYURL "<public_url>/n/<id>/<token>" to url (a trailing '/' of
 * public_url is dropped). Returns 0, or -1 with a reason (no such job,
 * database error, url too small) that never contains the token. */
int notify_job_url(struct queue *q, int64_t job_id, const char *public_url, char *url,
		   size_t cap, struct errbuf *err);

/* The job states in which a job is finished, as an SQL list for
 * "state IN (...)": with confirmation expected (a notify listener is
 * configured) 'confirmed','failed','cancelled'; without one 'sent' and
 * 'delivered' are as final as it gets. Static string. */
const char *notify_final_states_sql(bool confirmation_expected);

#endif
