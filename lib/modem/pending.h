/* pending.h - a modem's jobs between parts: which part goes next and when
 * (the split delay before the part carrying START, spec §2), and the message
 * references collected so far. Pure: no I/O, no clock; times are monotonic
 * milliseconds passed in by the caller. */
#ifndef OTAP_PENDING_H
#define OTAP_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmsg.h"
#include "msisdn.h"

/* Jobs a modem keeps open at once: while a START part waits out the split
 * delay the modem serves other jobs, up to this many. */
#define PENDING_MAX 32

/* What the table keeps of a job: enough to log its outcome and hand it to
 * the store (this layer is below the store and knows no struct job). */
struct pending_unit {
	int64_t id;
	char msisdn[MSISDN_MAX_LEN + 1];
	int attempts;                   /* tries used before this one */
	int max_attempts;
};

struct pending_job {
	struct pending_unit job;
	struct jobmsg msg;
	size_t next_part;
	int64_t due;                    /* monotonic time the next part may go */
	int64_t started_at;             /* wall clock, for the attempt row */
	char mrs[64];                   /* "17,18" for the attempt row */
	int mr[OTAP_MAX_PARTS];         /* the same, for status-report matching */
};

struct pending_table {
	struct pending_job jobs[PENDING_MAX];
	size_t count;
};

/* Empties t. */
void pending_init(struct pending_table *t);

/* Adds job with its first part due at now (started_at is the wall clock
 * for the attempt row) and an empty message for the caller to build.
 * Returns the entry, or NULL when the table is full. */
struct pending_job *pending_add(struct pending_table *t, const struct pending_unit *job, int64_t now,
				int64_t started_at);

/* Removes p, an entry of t. The other entries stay, possibly moved: pointers
 * into t are invalid afterwards. */
void pending_remove(struct pending_table *t, struct pending_job *p);

/* The entry due at now with the earliest due time (NULL when none is due);
 * *earliest gets the earliest due time of all entries (INT64_MAX when t is
 * empty), for the caller's sleep. */
struct pending_job *pending_first_due(struct pending_table *t, int64_t now, int64_t *earliest);

/* Entry i (0 <= i < pending_count(t)). */
struct pending_job *pending_get(struct pending_table *t, size_t i);

/* Records the message reference of the part just sent (mr -1: the modem
 * gave none) and moves on. Returns true when that was the last part.
 * Otherwise the next part is due at now, or at now + split_delay_ms when it
 * carries START. */
bool pending_part_sent(struct pending_job *p, int mr, int64_t now, int64_t split_delay_ms);

/* The part to send next. */
const struct jobmsg_part *pending_next_part(const struct pending_job *p);

/* True when every part's message reference is known (a modem may answer
 * OK without +CMGS: <mr>). */
bool pending_all_mrs_known(const struct pending_job *p);

size_t pending_count(const struct pending_table *t);
bool pending_full(const struct pending_table *t);

#endif
