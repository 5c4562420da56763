/* queue.h - the job queue on SQLite, shared by otapd and otapctl.
 *
 * One job = one unit's MSISDN + profile + action + schedule. Every state
 * change is one transaction; every try is recorded in the attempts table.
 * Times are milliseconds since the Unix epoch and are passed in by the caller
 * (the clock seam: tests never sleep). A struct queue is one connection and
 * must be used by one thread at a time; open one per thread.
 */
#ifndef OTAP_QUEUE_H
#define OTAP_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "errbuf.h"
#include "msisdn.h"
#include "otap.h"

enum job_state {
	JOB_QUEUED, JOB_SENDING, JOB_SENT, JOB_DELIVERED,
	JOB_CONFIRMED, JOB_FAILED, JOB_CANCELLED,
	JOB_STATE_COUNT
};

#define QUEUE_NAME_MAX 64
#define QUEUE_TEXT_MAX 256

/* not_before of a rollout's job whose wave has not opened yet (4000-01-01
 * 00:00:00 UTC): never due, so the claim never looks at it. Opening the
 * wave (lib/rollout_db.c) sets the real time. Below 2^47, so SQLite stores
 * it in 6 bytes like any real time (a million of them per big rollout). */
#define QUEUE_WAITING_FOR_WAVE 64060588800000LL

struct job {
	int64_t id;
	char msisdn[MSISDN_MAX_LEN + 1];
	char profile[QUEUE_NAME_MAX];
	enum otap_action action;
	enum job_state state;
	char rollout[QUEUE_NAME_MAX];   /* "" when not part of a rollout */
	int64_t not_before;
	int attempts;
	int max_attempts;
	int64_t created_at;
	int64_t updated_at;
	char modem[QUEUE_NAME_MAX];     /* modem of the current/last try, "" if none */
	char last_error[QUEUE_TEXT_MAX];
	int wave;                       /* its rollout's wave (1-based); 0 when none */
};

struct job_new {
	const char *msisdn;     /* validated by the caller */
	const char *profile;
	enum otap_action action;
	const char *rollout;    /* NULL = none */
	int64_t not_before;
	int max_attempts;
};

/* One row of attempt history. */
struct attempt {
	int64_t id;
	int64_t job_id;
	int64_t started_at;
	int64_t finished_at;
	char modem[QUEUE_NAME_MAX];
	char result[32];                /* sent, transient, permanent, modem, timeout, interrupted */
	int cms_error;                  /* -1 when none */
	char mrs[64];                   /* message references of the parts, "17,18" */
	char detail[QUEUE_TEXT_MAX];
};

/* What happened in one try, recorded with the state change. */
struct job_outcome {
	const char *modem;
	int64_t started_at;
	int64_t finished_at;
	const char *result;             /* attempt result, see struct attempt */
	int cms_error;                  /* -1 when none */
	const char *mrs;                /* NULL when none */
	const char *detail;             /* becomes last_error unless result is "sent"; NULL ok */
};

struct job_filter {
	int64_t id;                     /* 0 = any */
	const char *msisdn;             /* NULL = any */
	int state;                      /* -1 = any, else enum job_state */
	const char *rollout;            /* NULL = any */
	int limit;                      /* 0 = no limit; newest first */
};

struct queue;

const char *job_state_name(enum job_state state);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int job_state_parse(const char *name, enum job_state *out);

/* Opens (creating with mode 0600 if needed) the database, enables WAL, a busy
 * timeout and foreign keys, and applies pending migrations. Returns 0, or -1
 * with a reason naming the path. */
int queue_open(const char *path, struct queue **out, struct errbuf *err);
void queue_close(struct queue *q);
/* Current schema version (PRAGMA user_version). */
int queue_schema_version(struct queue *q);

/* Inserts a queued job; *id_out gets its id. Returns 0 or -1. */
int queue_enqueue(struct queue *q, const struct job_new *job, int64_t now, int64_t *id_out,
		  struct errbuf *err);

/* Atomically moves the oldest due job (queued, not_before <= now) to
 * sending, owned by modem. Returns 1 and fills *out, 0 when none is due, -1.
 * Jobs of a rollout's waves (jobs.wave set) are gated per rollout: only
 * rollouts that are active, inside their window (gate_open) and past their
 * rate spacing (next_send_at <= now) are looked at, with one index seek per
 * opened wave; claiming such a job moves its rollout's next_send_at on by
 * 60000 / rate_per_min ms in the same transaction, so the rate holds across
 * all modems and processes. */
int queue_claim(struct queue *q, const char *modem, int64_t now, struct job *out,
		struct errbuf *err);

/* sending -> sent; attempts+1; attempt row recorded. Returns 0 or -1. */
int queue_mark_sent(struct queue *q, int64_t id, const struct job_outcome *o, struct errbuf *err);

/* sending -> queued with not_before; when count_attempt, attempts+1 and, if
 * that uses up max_attempts, the job goes to failed instead; a job whose
 * rollout was cancelled meanwhile goes to cancelled. *state_out (may be
 * NULL) gets the resulting state. Returns 0 or -1. */
int queue_retry_later(struct queue *q, int64_t id, int64_t not_before, bool count_attempt,
		      const struct job_outcome *o, enum job_state *state_out, struct errbuf *err);

/* sending -> failed; attempts+1; last_error = o->detail. Returns 0 or -1. */
int queue_mark_failed(struct queue *q, int64_t id, const struct job_outcome *o, struct errbuf *err);

/* queued -> cancelled. Returns 0, or -1 with a refusal naming the current
 * state (or "no such job"). */
int queue_cancel(struct queue *q, int64_t id, int64_t now, struct errbuf *err);

/* Puts every job left in sending (crash/kill) back to queued and records an
 * "interrupted" attempt (this can mean one duplicate SMS). *count gets the
 * number of jobs. Returns 0 or -1. */
int queue_recover_interrupted(struct queue *q, int64_t now, int *count, struct errbuf *err);

/* Returns 1 and fills *out, 0 when there is no such job, -1 on error. */
int queue_get(struct queue *q, int64_t id, struct job *out, struct errbuf *err);

/* Calls cb for each matching job, newest first; a non-zero return from cb
 * stops the walk. Returns 0 or -1. */
int queue_list(struct queue *q, const struct job_filter *filter,
	       int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err);

/* Calls cb for each attempt of job id, oldest first. Returns 0 or -1. */
int queue_attempts(struct queue *q, int64_t id,
		   int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err);

/* counts[state] = number of jobs in that state. Returns 0 or -1. */
int queue_count_by_state(struct queue *q, int64_t counts[JOB_STATE_COUNT], struct errbuf *err);

/* Earliest time at which queue_claim may find a job, into *out (INT64_MAX
 * when none): the earliest not_before of queued jobs outside rollouts, and
 * for each active rollout inside its window the later of its next_send_at
 * and its earliest not_before. Read-only and cheap (idle modems poll it). */
int queue_next_due(struct queue *q, int64_t *out, struct errbuf *err);

/* Which failed jobs queue_retry_failed puts back. */
struct retry_filter {
	const char *rollout;            /* NULL = any job */
	int error_code;                 /* -1 = any; else the +CMS ERROR code of the job's
					 * last attempt, or its install-notify code */
};

/* failed -> queued, due now, for every job matching f whose rollout (if
 * any) is not cancelled: attempts start again from 0 (the budget is
 * renewed), the attempt history and last_error stay until the next try. A
 * rollout that was done becomes active again. *count gets the number of
 * jobs. Returns 0 or -1. */
int queue_retry_failed(struct queue *q, const struct retry_filter *f, int64_t now,
		       int64_t *count, struct errbuf *err);
/* The same for one job. Returns 0, or -1 with a refusal (no such job, not
 * failed, its rollout is cancelled). */
int queue_retry_job(struct queue *q, int64_t id, int64_t now, struct errbuf *err);

/* The underlying handle, for modules that add their own tables (rollouts). */
struct sqlite3 *queue_db(struct queue *q);

#endif
