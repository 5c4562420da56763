/* notify_apply.h - the units' reports applied to their jobs: install
 * notifications (by the job's token or the unit's IMEI), SMS status
 * reports, notifications deferred while their job was being sent, and the
 * job's NOTIFYURL. Each call is one store transaction with the rules of
 * notify_rules.h; the confirmation timeout is in notify_sweep.h. */
#ifndef OTAP_NOTIFY_APPLY_H
#define OTAP_NOTIFY_APPLY_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "notify.h"
#include "store_reports.h"

/* Ensures the job has a token (store_job_token) and writes its NOTIFYURL
 * "<public_url>/n/<id>/<token>" to url. Returns 0, or -1 with a reason (no
 * such job, database error, url too small) that never contains the token. */
int notify_job_url(struct store *s, int64_t job_id, const char *public_url, char *url,
		   size_t cap, struct errbuf *err);

/* Fills *out with p as job_id's message carries it: its NOTIFYURL (when
 * public_url is set) and, when p serves local artifacts, its JADURL, both
 * with the job's token (made on first use). Returns 0, or -1 with a reason
 * that never contains the token. */
int notify_job_profile(struct store *s, int64_t job_id, const char *public_url,
		       const struct otap_profile *p, struct otap_job_profile *out,
		       struct errbuf *err);

/* Applies a notification to job_id if token is that job's token (compared
 * in constant time). Returns 0 with *out filled (NOTIFY_NO_JOB when the job
 * does not exist or the token is wrong: then nothing changed), or -1 on a
 * database error. */
int notify_apply_job(struct store *s, int64_t job_id, const char *token,
		     const struct notify_report *r, int64_t now, struct notify_applied *out,
		     struct errbuf *err);

/* Applies a fleet-wide notification to the unit with this IMEI: its most
 * recently sent job still open (queued, sending, sent, delivered), else its
 * most recently sent job at all (so a repeat stays a harmless 200).
 * Returns 0 with *out filled (NOTIFY_NO_JOB when no sent job has this
 * IMEI), or -1 on a database error. */
int notify_apply_imei(struct store *s, const char *imei, const struct notify_report *r,
		      int64_t now, struct notify_applied *out, struct errbuf *err);

/* Applies one +CDS status report received on modem (pdu_hex: the PDU line,
 * with or without the SMSC field) to the part it matches (see
 * store_apply_status_report). Logs the effect. Returns 0, also when nothing
 * matches (logged at debug), or -1 with a reason for an undecodable PDU or
 * a database error. */
int notify_apply_status_report(struct store *s, const char *modem, const char *pdu_hex,
			       int64_t now, struct errbuf *err);

/* Applies an SMPP delivery receipt received on the link modem for
 * message_id, whose outcome stat ("DELIVRD", ...) is st in TP-ST terms
 * (smpp_receipt.h), to the part it matches (store_apply_receipt) with the
 * rules of a status report. Logs the effect. Returns 1 when it matched a
 * part, 0 when nothing matches (logged at debug), or -1 with a reason
 * (database error). */
int notify_apply_receipt(struct store *s, const char *modem, const char *message_id,
			 const char *stat, uint8_t st, int64_t now, struct errbuf *err);

/* Applies the notifications that arrived while their job was in 'sending'
 * to the jobs that have left it (sent, or back in the queue), at most 256
 * per call, logging each. *count (may be NULL) gets how many. Returns 0 or
 * -1. */
int notify_apply_deferred(struct store *s, int64_t now, int *count, struct errbuf *err);

#endif
