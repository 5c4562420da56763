/* smpp_jobs.h - an SMPP link's jobs between claim and outcome: each job's
 * parts in order (the next one goes only once the previous one was
 * acknowledged, the part carrying START split_delay later, spec §2), their
 * message ids, and which part is in the window. Many jobs are open at
 * once: the window is filled across jobs. Pure: no I/O, no clock; times
 * are monotonic ms passed in. */
#ifndef OTAP_SMPP_JOBS_H
#define OTAP_SMPP_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "otap.h"
#include "pending.h"
#include "smpp_codec.h"
#include "smpp_session.h"

/* Jobs one link keeps open: a full window plus jobs waiting out their
 * split delay. */
#define SMPP_JOBS_MAX (SMPP_WINDOW_MAX + 32)

enum smpp_part_state { SMPP_PART_WAITING, SMPP_PART_INFLIGHT, SMPP_PART_ACKED };

struct smpp_part {
	struct otap_sm sm;
	enum smpp_part_state state;
	char message_id[SMPP_MSGID_MAX];        /* from its submit_sm_resp */
};

struct smpp_job {
	struct pending_unit unit;
	struct smpp_message proto;      /* addresses, PID, DCS, receipt flag, validity */
	struct smpp_part parts[OTAP_MAX_PARTS];
	size_t count;
	size_t next;                    /* the part waiting or in the window; those
					 * before it are acknowledged */
	int64_t due;                    /* monotonic: parts[next] may go */
	int64_t started_at;             /* wall: for the attempt row */
	int unsure;                     /* parts resent after a link drop although the
					 * SMSC may have accepted them (possible duplicates) */
};

struct smpp_jobs {
	struct smpp_job jobs[SMPP_JOBS_MAX];
	size_t count;
};

void smpp_jobs_init(struct smpp_jobs *t);
size_t smpp_jobs_count(const struct smpp_jobs *t);
bool smpp_jobs_full(const struct smpp_jobs *t);
struct smpp_job *smpp_jobs_get(struct smpp_jobs *t, size_t i);

/* Adds a job with msg's bodies, proto's fields and its first part due at
 * now. Returns the entry, or NULL when the table is full or msg has no
 * parts. */
struct smpp_job *smpp_jobs_add(struct smpp_jobs *t, const struct pending_unit *unit,
			       const struct smpp_message *proto, const struct otap_message *msg,
			       int64_t now, int64_t started_at);

/* Removes j; pointers into t are invalid afterwards. */
void smpp_jobs_remove(struct smpp_jobs *t, struct smpp_job *j);

/* The job whose next part is waiting and due at now, earliest first (NULL
 * when none); *earliest gets the earliest due time of waiting parts
 * (INT64_MAX when none). */
struct smpp_job *smpp_jobs_next_due(struct smpp_jobs *t, int64_t now, int64_t *earliest);

/* The tag a part's submit carries, and back. */
uint64_t smpp_tag(int64_t job_id, size_t part);
int64_t smpp_tag_job(uint64_t tag);
size_t smpp_tag_part(uint64_t tag);

/* The job of id (NULL when not open). */
struct smpp_job *smpp_jobs_find(struct smpp_jobs *t, int64_t id);

/* parts[next] as a submit_sm's message (into *out). */
void smpp_job_message(const struct smpp_job *j, struct smpp_message *out);

/* parts[next] was queued for the SMSC. */
void smpp_job_submitted(struct smpp_job *j);

/* parts[next] was accepted with message_id: the next part is due at now,
 * or split_delay_ms later when it carries START. Returns true when that
 * was the last part. */
bool smpp_job_acked(struct smpp_job *j, const char *message_id, int64_t now,
		    int64_t split_delay_ms);

/* parts[next] goes again at due (throttled, or its link went away before
 * the answer); maybe_accepted counts it as a possible duplicate. */
void smpp_job_resend(struct smpp_job *j, int64_t due, bool maybe_accepted);

#endif
