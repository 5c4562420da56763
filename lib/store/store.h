/* store.h - the job store: the one owner of jobs, their attempt history,
 * the parts of each send, the units' reports and the rollouts.
 *
 * Every change of a job's state is one named function of this module
 * (store_claim, store_mark_sent, ...) that checks the job's current state
 * and writes the job row and the history row that explains the change in
 * one transaction: either both are there afterwards, or neither. No other
 * module runs SQL or sees a database handle; decisions that depend on the
 * units' reports or on rollout policy are made by pure functions of the
 * layers above (lib/notify, lib/rollout) that the store calls inside its
 * transaction (store_reports.h, store_rollouts.h).
 *
 * Behind this API sits a storage engine (store_engine.h; today SQLite,
 * lib/store/sqlite_*.c). Times are milliseconds since the Unix epoch and
 * are passed in by the caller (the clock seam: tests never sleep). A
 * struct store is one connection and must be used by one thread at a time;
 * open one per thread.
 */
#ifndef OTAP_STORE_H
#define OTAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "msisdn.h"
#include "notify.h"
#include "otap.h"

enum job_state {
	JOB_QUEUED, JOB_SENDING, JOB_SENT, JOB_DELIVERED,
	JOB_CONFIRMED, JOB_FAILED, JOB_CANCELLED,
	JOB_STATE_COUNT
};

#define STORE_NAME_MAX 64
#define STORE_TEXT_MAX 256

/* not_before of a rollout's job whose wave has not opened yet (4000-01-01
 * 00:00:00 UTC): never due, so the claim never looks at it. Opening the
 * wave (store_rollout_release) sets the real time. Below 2^47, so SQLite
 * stores it in 6 bytes like any real time (a million of them per big
 * rollout). */
#define STORE_WAITING_FOR_WAVE 64060588800000LL

struct job {
	int64_t id;
	char msisdn[MSISDN_MAX_LEN + 1];
	char profile[STORE_NAME_MAX];
	enum otap_action action;
	enum job_state state;
	char rollout[STORE_NAME_MAX];   /* "" when not part of a rollout */
	int64_t not_before;
	int attempts;
	int max_attempts;
	int64_t created_at;
	int64_t updated_at;
	char modem[STORE_NAME_MAX];     /* modem of the current/last try, "" if none */
	char last_error[STORE_TEXT_MAX];
	int wave;                       /* its rollout's wave (1-based); 0 when none */
	int reached;                    /* enum job_step (store_events.h): the furthest
					 * step of the current send */
	int64_t deadline;               /* not sent after it (then failed "expired"); 0 = none */
};

struct job_new {
	const char *msisdn;     /* validated by the caller (msisdn_check) */
	const char *profile;
	enum otap_action action;
	const char *rollout;    /* NULL = none */
	int64_t not_before;
	int max_attempts;
	const char *imei;       /* NULL = unknown; else 15 digits with a valid check digit */
	int64_t deadline;       /* 0 = none; else not claimed after it (store_expire) */
};

/* One row of attempt history. */
struct attempt {
	int64_t id;
	int64_t job_id;
	int64_t started_at;
	int64_t finished_at;
	char modem[STORE_NAME_MAX];
	char result[32];                /* sent, transient, permanent, modem, timeout,
					 * interrupted, delivered, notified, ... */
	int cms_error;                  /* -1 when none */
	char mrs[64];                   /* message references of the parts, "17,18" */
	char detail[STORE_TEXT_MAX];
};

/* What happened in one try, recorded with the state change. */
struct job_outcome {
	const char *modem;
	int64_t started_at;
	int64_t finished_at;
	const char *result;             /* attempt result, see struct attempt; NULL = by verdict */
	int cms_error;                  /* -1 when none */
	const char *mrs;                /* NULL when none */
	const char *detail;             /* becomes last_error unless result is "sent"; NULL ok */
};

/* The message references of a send, for matching its status reports. */
struct sent_parts {
	const int *mr;                  /* mr[i] is the TP-MR of part i+1 (0-255); the
					 * last part is the one carrying START */
	size_t count;                   /* 0 = none known (the modem gave no +CMGS: <mr>) */
	/* SMPP links: message_id[i] is part i+1's id from its submit_sm_resp
	 * (1-64 characters; mr is then ignored and may be NULL). NULL for a
	 * modem's parts. */
	const char *const *message_id;
};

/* Longest SMPP message id (SMPP 3.4: a C-octet string of 65 octets). */
#define STORE_MESSAGE_ID_MAX 64

struct job_filter {
	int64_t id;                     /* 0 = any */
	const char *msisdn;             /* NULL = any */
	int state;                      /* -1 = any, else enum job_state */
	const char *rollout;            /* NULL = any */
	int limit;                      /* 0 = no limit; newest first */
};

/* Which failed jobs store_retry_failed puts back. */
struct retry_filter {
	const char *rollout;            /* NULL = any job */
	int error_code;                 /* -1 = any; else the +CMS ERROR code of the job's
					 * last attempt, or its install-notify code */
	bool by_step;                   /* only jobs whose furthest step (enum job_step,
					 * store_events.h) is stopped_at */
	int stopped_at;
};

struct store;

/* Returns a static string; "unknown" for a value outside the enum. */
const char *job_state_name(enum job_state state);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int job_state_parse(const char *name, enum job_state *out);
/* Whether a job in state is finished: with confirmation expected (a notify
 * listener is configured) only confirmed, failed and cancelled are; without
 * one sent and delivered are as final as it gets. */
bool job_state_final(enum job_state state, bool confirmation_expected);

/* ---- opening ---- */

/* Opens the store at location: a file path selects SQLite (the file is
 * created with mode 0600 if needed, WAL, busy timeout and foreign keys
 * enabled, pending migrations applied); postgresql://USER@HOST:PORT/DBNAME
 * (libpq's URI form; no password in it) selects PostgreSQL, shared by
 * several otapd instances (pending migrations of schema/pg/ applied). The
 * password comes from store_set_password, else from libpq's PGPASSFILE or
 * ~/.pgpass. Returns 0 and sets *out, or -1
 * with a reason naming the location (*out NULL). Safe to call from several
 * threads or processes at once on the same location. */
int store_open(const char *location, struct store **out, struct errbuf *err);
/* Whether location names a PostgreSQL database (postgresql:// or
 * postgres://): a queue that several otapd instances may share, so no
 * single-instance lock file applies. */
bool store_location_is_shared(const char *location);
/* Process-wide settings for PostgreSQL locations, made once before the
 * first store_open (before threads start): the password (copied; NULL
 * forgets it and wipes the copy) and this instance's name (NULL or "" =
 * the hostname; at most STORE_INSTANCE_MAX printable characters; the
 * process's claims carry it with the pid and a start mark,
 * "rack-a:4242:3f09c1", so that a restarted instance never renews the
 * leases of the one before). SQLite ignores both. Return 0 or -1. */
#define STORE_INSTANCE_MAX 40
int store_set_password(const char *password, struct errbuf *err);
int store_set_instance(const char *instance, struct errbuf *err);
/* Closes the connection; NULL is a no-op. Cannot fail (a failure is logged). */
void store_close(struct store *s);
/* Current schema version, or -1 when it cannot be read. */
int store_schema_version(struct store *s);
/* A number that changes whenever another connection (another thread or
 * process) has committed a change to the store since the last call on
 * this one; cheap enough to ask several times a second (no table is
 * read). Returns 0 with *out set, or -1. */
int store_data_version(struct store *s, int64_t *out, struct errbuf *err);
/* Whether this connection leads: the one scheduler (rollout ticks, the
 * confirmation sweep, expiry, taking back dead instances' jobs) among the
 * otapd instances sharing the store. PostgreSQL: a session advisory lock,
 * tried on each call until held and kept while the connection lives; it
 * goes with the connection when its process dies (at once) or its host
 * vanishes (TCP keepalives: within about 15 s), and another instance's
 * next call takes it. A broken connection is re-established here. SQLite:
 * always 1 (one otapd per file, its lock file). Returns 1, 0 (another
 * instance leads) or -1. */
int store_lead(struct store *s, struct errbuf *err);
/* A descriptor that becomes readable when another connection may have made
 * work due (an enqueue, a retry, a resumed rollout, an opened wave), for
 * an idle worker's poll(): PostgreSQL's connection socket, LISTENing for
 * the store's wake-up NOTIFY; -1 when the engine has none (SQLite: look at
 * store_data_version every so often instead). After it became readable,
 * store_data_version reads what arrived (and moves). Borrowed: valid until
 * the store re-establishes a broken connection (ask again after each
 * wait) or store_close; do not read from it or close it. */
int store_wake_fd(struct store *s);
/* How long a call on this connection waits for another connection's write
 * lock before it fails (-1, "database is locked"): ms > 0, or 0 for the
 * default (10 s; the environment variable OTAP_BUSY_TIMEOUT_MS, a test
 * knob, overrides it for every connection). Lets a caller with a deadline
 * (otapd shutting down) bound each call. */
void store_set_busy_timeout(struct store *s, int ms);

/* How a connection waits for another writer's lock (otapctl: minutes,
 * with a note to the operator; otapd keeps the default busy timeout). */
struct store_lock_wait {
	int64_t limit_ms;               /* give up (the operation fails "database is
					 * locked") after waiting this long for one lock */
	int64_t note_after_ms;          /* call note once a wait has lasted this long */
	/* waited_ms so far; gave_up on the last call of a wait that hit the
	 * limit. May be NULL. */
	void (*note)(void *arg, int64_t waited_ms, bool gave_up);
	void *arg;
};
/* Replaces the connection's busy timeout by w (copied). Returns 0 or -1. */
int store_set_lock_wait(struct store *s, const struct store_lock_wait *w, struct errbuf *err);

/* ---- job transitions (each one transaction with its history) ---- */

/* new -> queued, after checking every field (lengths, action, attempts,
 * IMEI). *id_out (may be NULL) gets the id. Returns 0 or -1 with a reason. */
int store_enqueue(struct store *s, const struct job_new *job, int64_t now, int64_t *id_out,
		  struct errbuf *err);

/* queued -> sending, owned by modem: the oldest due job (not_before <= now).
 * Returns 1 and fills *out, 0 when none is due, -1. Jobs of a rollout's
 * waves are gated per rollout: only rollouts that are active, inside their
 * window (gate_open) and past their rate spacing (next_send_at <= now) are
 * looked at, with one index seek per opened wave; claiming such a job moves
 * its rollout's next_send_at on by 60000 / rate_per_min ms in the same
 * transaction, so the rate holds across all modems and processes. An idle
 * claim looks read-only first and takes no write lock. */
int store_claim(struct store *s, const char *modem, int64_t now, struct job *out,
		struct errbuf *err);

/* Keeps every job this instance (store_set_instance) has in sending leased
 * to it until now plus the engine's lease (PostgreSQL: 30 s). otapd's
 * scheduler thread calls it every few seconds, whatever its modems are
 * waiting for; a job whose lease ran out (its instance died or lost the
 * database) is taken back by store_recover_interrupted in any instance.
 * SQLite has no leases (one otapd per database, its lock file): a no-op
 * there, *count 0. *count (may be NULL) gets the jobs. Returns 0 or -1. */
int store_renew_leases(struct store *s, int64_t now, int64_t *count, struct errbuf *err);

/* sending -> sent, attempts+1, a 'sent' attempt row, sent_at = o->finished_at
 * (the confirmation timeout counts from there), any earlier delivery report
 * forgotten, and the parts recorded for status-report matching (parts of
 * the same modem and MR older than the matching horizon are pruned) — all
 * in one transaction, so a crash leaves the job either sending or sent with
 * its parts. last_error is cleared: the earlier tries' errors stay in the
 * attempt history. Returns 0,
 * or -1 (not sending, an MR outside 0-255, database error). */
int store_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		    const struct sent_parts *parts, struct errbuf *err);

/* Records part `part` (1-based) of `count` of job id's send in progress,
 * sent on modem with TP-MR mr at `at`, so that its status report finds the
 * job before the whole send is recorded (a report for an early part can
 * come back during the split delay). The job stays in sending;
 * store_mark_sent records all parts of the send again, replacing these.
 * Returns 0 or -1 (not sending, an MR outside 0-255, database error). */
int store_record_part(struct store *s, int64_t id, const char *modem, int mr, int part,
		      int count, int64_t at, struct errbuf *err);

/* The same for a part sent through the SMPP link `modem` that the SMSC
 * accepted with message_id (1-STORE_MESSAGE_ID_MAX characters), so that
 * its delivery receipt (store_apply_receipt) finds the job. Returns 0 or
 * -1. */
int store_record_part_id(struct store *s, int64_t id, const char *modem, const char *message_id,
			 int part, int count, int64_t at, struct errbuf *err);

/* sending -> queued with not_before; when count_attempt, attempts+1 and, if
 * that uses up max_attempts, failed "gave up after N attempts: <detail>"
 * instead; a job whose rollout was cancelled meanwhile goes to cancelled.
 * last_error becomes o->detail. *state_out (may be NULL) gets the resulting
 * state. Returns 0 or -1. */
int store_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		      const struct job_outcome *o, enum job_state *state_out, struct errbuf *err);

/* sending -> failed; attempts+1; last_error = o->detail. Returns 0 or -1. */
int store_mark_failed(struct store *s, int64_t id, const struct job_outcome *o,
		      struct errbuf *err);

/* queued -> cancelled. Returns 0, or -1 with a refusal naming the current
 * state (or "no such job"). */
int store_cancel(struct store *s, int64_t id, int64_t now, struct errbuf *err);

/* failed -> queued, due now, for every job matching f whose rollout (if
 * any) is not cancelled: attempts start again from 0 (the budget is
 * renewed), the attempt history and last_error stay until the next try. A
 * rollout that was done becomes active again. *count gets the number of
 * jobs. Returns 0 or -1. */
int store_retry_failed(struct store *s, const struct retry_filter *f, int64_t now,
		       int64_t *count, struct errbuf *err);
/* The same for one job. Returns 0, or -1 with a refusal (no such job, not
 * failed, its rollout is cancelled). */
int store_retry_job(struct store *s, int64_t id, int64_t now, struct errbuf *err);

/* queued -> failed, last_error "expired", for every job whose deadline is
 * at or before now, with an "expired" attempt row each; a batch of jobs
 * per transaction. (The claim never takes such a job, even before this
 * runs.) Meant for the daemon's scheduler tick: an idle call only reads.
 * *count (may be NULL) gets the number of jobs. Returns 0 or -1. */
int store_expire(struct store *s, int64_t now, int64_t *count, struct errbuf *err);

/* Told of a job that was just failed (after the commit), by its id. */
typedef void store_failed_fn(int64_t id, void *arg);

/* store_expire, calling expired(id, arg) (may be NULL) for each job it
 * failed, after the transaction of its batch committed (the daemon's
 * on_job_failed hook). Returns 0 or -1. */
int store_expire_each(struct store *s, int64_t now, store_failed_fn *expired, void *arg,
		      int64_t *count, struct errbuf *err);

/* sending -> queued for every job left in sending (crash/kill), with an
 * "interrupted" attempt each (this can mean one duplicate SMS); attempts is
 * not incremented. SQLite: every job in sending, meant for otapd's start,
 * before its modems claim. PostgreSQL: only jobs whose lease ran out (see
 * store_renew_leases), so any instance may run it at any time (otapd's
 * scheduler does, every tick). *count
 * gets the number of jobs. Returns 0 or -1. */
int store_recover_interrupted(struct store *s, int64_t now, int *count, struct errbuf *err);

/* The job's notify token (the unguessable part of its NOTIFYURL), made on
 * first use and kept, so every resend carries the same URL. Writes
 * NOTIFY_TOKEN_LEN characters and a NUL to token. Returns 0, or -1 (no
 * such job, random source, database) with a reason that never contains
 * the token. */
int store_job_token(struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		    struct errbuf *err);

/* ---- reading ---- */

/* Returns 1 and fills *out, 0 when there is no such job, -1 on error. */
int store_get(struct store *s, int64_t id, struct job *out, struct errbuf *err);

/* Calls cb for each matching job (filter NULL = all), newest first; a
 * non-zero return from cb stops the walk. cb may read the store (store_get,
 * store_attempts) but should not change it: collect ids and act afterwards.
 * Returns 0 or -1. */
int store_list(struct store *s, const struct job_filter *filter,
	       int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err);

/* Calls cb for each attempt of job id, oldest first. Returns 0 or -1. */
int store_attempts(struct store *s, int64_t id,
		   int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err);

/* counts[state] = number of jobs in that state. Returns 0 or -1. */
int store_count_by_state(struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err);

/* Earliest time at which store_claim may find a job, into *out (INT64_MAX
 * when none): the earliest not_before of queued jobs outside rollouts, and
 * for each active rollout inside its window the later of its next_send_at
 * and its earliest not_before. Read-only and cheap. */
int store_next_due(struct store *s, int64_t *out, struct errbuf *err);

#endif
