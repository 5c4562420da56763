/* store_reports.h - what the units report back, applied to their jobs:
 * install notifications, SMS status reports (matched through the parts of
 * each send), notifications deferred while a job was being sent, and the
 * confirmation timeout.
 *
 * The store finds the job and owns the transaction; what a report does to
 * the job is decided by a pure function of lib/notify (struct store_rules)
 * that the store calls inside the transaction, with the job as it is under
 * the write lock. The store then writes the planned change and its attempt
 * row together, or nothing.
 */
#ifndef OTAP_STORE_REPORTS_H
#define OTAP_STORE_REPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include "errbuf.h"
#include "notify.h"
#include "store.h"

/* Status reports match sends of the last 72 h only: the modem's TP-MR
 * wraps at 255, so an older send with the same MR is another message. */
#define NOTIFY_REPORT_HORIZON_MS (72LL * 3600 * 1000)

/* The fields of a job that the report rules look at. */
struct job_view {
	int64_t id;
	enum job_state state;
	enum otap_action action;
	int attempts;
	int max_attempts;
	int notify_code;                /* -1 = none */
	int64_t notified_at;            /* 0 = never */
	int64_t sent_at;                /* 0 = never */
	char msisdn[MSISDN_MAX_LEN + 1];
	char notify_text[NOTIFY_TEXT_MAX];
	bool notify_pending;
	/* For a status report: the part it matched. */
	int send;                       /* jobs.attempts right after that send (the
					 * current send when it equals attempts) */
	int part;                       /* 1-based */
	int part_count;
};

/* A planned change of one job and the attempt row that documents it. */
struct job_change {
	enum job_state state;           /* new state (may equal the old one) */
	bool requeue;                   /* not_before = now */
	bool set_error;
	char error[STORE_TEXT_MAX];     /* the new last_error when set_error */
	const struct notify_report *report;     /* record code, text, notified_at */
	bool confirmed;                 /* confirmed_at = now */
	bool delivered;                 /* delivered_at = now */
	bool defer;                     /* notify_pending = 1 */
	bool undefer;                   /* notify_pending = 0 */
	/* The attempt row. */
	const char *result;             /* "notified", "delivered", "unconfirmed", ... */
	const char *modem;              /* NULL = none */
	const char *mrs;                /* NULL = none */
	char detail[STORE_TEXT_MAX];
};

/* The decision the store asks for, and what it tells afterwards. */
struct store_rules {
	/* Plans what the report does to job j. Returns false when it changes
	 * nothing (nothing is written, not even history). Pure. */
	bool (*plan)(const struct job_view *j, void *arg, struct job_change *c);
	/* Called after the commit for every job that changed (for the log);
	 * may be NULL. */
	void (*committed)(const struct job_view *j, const struct job_change *c, void *arg);
	void *arg;
};

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

/* What applying one report did. */
struct notify_applied {
	enum notify_apply_result result;
	int64_t job_id;                         /* 0 with NOTIFY_NO_JOB */
	enum job_state before;
	enum job_state after;
};

/* Which job a notification is for. */
struct job_key {
	int64_t id;                     /* > 0: this job, if token matches it */
	const char *token;              /* with id: compared in constant time */
	const char *imei;               /* id 0: the unit's most recently sent open job,
					 * else its most recently sent job */
};

/* Applies a notification to the job key names (found and checked first
 * without the write lock, so forged requests never hold up the modems).
 * Returns 0 with *out filled (NOTIFY_NO_JOB: nothing changed), or -1 on a
 * database error. */
int store_apply_notification(struct store *s, const struct job_key *key,
			     const struct store_rules *rules, int64_t now,
			     struct notify_applied *out, struct errbuf *err);

/* Applies a status report received on modem for TP-MR mr whose recipient is
 * number ("" = not given) to the newest part sent on that modem with that MR
 * within the horizon whose job's number agrees (last 9 digits). Returns 0
 * with *out filled (NOTIFY_NO_JOB when nothing matches), or -1. */
int store_apply_status_report(struct store *s, const char *modem, int mr, const char *number,
			      const struct store_rules *rules, int64_t now,
			      struct notify_applied *out, struct errbuf *err);

/* Applies an SMPP delivery receipt received on the link modem for
 * message_id to the newest part sent on that link with that id within the
 * horizon (the same rules as a status report). Returns 0 with *out filled
 * (NOTIFY_NO_JOB when nothing matches), or -1. */
int store_apply_receipt(struct store *s, const char *modem, const char *message_id,
			const struct store_rules *rules, int64_t now, struct notify_applied *out,
			struct errbuf *err);

/* Applies rules to the jobs with a notification deferred while they were
 * in 'sending' that have left it, at most 256 per call, in one
 * transaction. *count (may be NULL) gets how many. Returns 0 or -1. */
int store_apply_deferred(struct store *s, const struct store_rules *rules, int64_t now,
			 int *count, struct errbuf *err);

/* Applies rules to up to 256 jobs of profile that are sent or delivered
 * since before cutoff (their confirmation is overdue), in one transaction.
 * *count gets how many. Returns 0 or -1. */
int store_apply_unconfirmed(struct store *s, const char *profile, int64_t cutoff,
			    const struct store_rules *rules, int64_t now, int *count,
			    struct errbuf *err);

/* Records the unit's IMEI on a job. Returns 0, or -1 with a reason (invalid
 * IMEI, no such job, database error). */
int store_set_imei(struct store *s, int64_t id, const char *imei, struct errbuf *err);

/* Reads the report fields of a job. Returns 1, 0 when there is no such
 * job, or -1. */
int store_job_info(struct store *s, int64_t id, struct notify_info *out, struct errbuf *err);

#endif
