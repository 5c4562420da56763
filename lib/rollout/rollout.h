/* rollout.h - rollouts: a fleet file imported as one job per unit, sent in
 * waves, inside a daily window of a time zone, at a limited rate, pausing
 * itself when a wave fails too often.
 *
 * A rollout is a row of the rollouts table (schema/003_rollouts.sql) plus
 * its jobs (jobs.rollout = name, jobs.wave = 1..N). The claim in lib/queue.c
 * applies the gates (state, window, rate); rollout_tick() moves rollouts
 * along (windows, waves, pause, done). All functions take the time (ms since
 * the epoch) from the caller: tests never sleep. They work on the caller's
 * struct queue connection and are all-or-nothing (one transaction each).
 *
 * Files: rollout.c (definition, state changes), rollout_import.c (fleet
 * file), rollout_tick.c (the daemon's periodic step), rollout_status.c
 * (progress, ETA), rollout_db.c (shared SQL helpers).
 */
#ifndef OTAP_ROLLOUT_H
#define OTAP_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "errbuf.h"
#include "queue.h"
#include "tz.h"
#include "window.h"

#define ROLLOUT_WAVES_MAX 16
#define ROLLOUT_REASONS_MAX 10
/* Percentages are kept in hundredths (basis points) so that wave sizes are
 * exact integers: 0.5% = 50, 100% = 10000. */
#define ROLLOUT_PCT_SCALE 100
#define ROLLOUT_RATE_MAX 60000  /* per minute: one SM per ms */

enum rollout_state {
	ROLLOUT_ACTIVE, ROLLOUT_PAUSED, ROLLOUT_CANCELLED, ROLLOUT_DONE,
	ROLLOUT_STATE_COUNT
};

/* Cumulative wave sizes in hundredths of a percent, increasing, the last
 * one 10000 (100%). */
struct rollout_waves {
	int count;
	int pct[ROLLOUT_WAVES_MAX];
};

struct rollout {
	char name[QUEUE_NAME_MAX];
	char profile[QUEUE_NAME_MAX];   /* default profile */
	enum otap_action action;
	struct window window;
	char tz[TZ_NAME_MAX];           /* "" = the machine's local time */
	int rate_per_min;               /* 0 = unlimited */
	struct rollout_waves waves;
	int current_wave;               /* 1-based, the newest opened wave */
	int max_failure_pct;            /* hundredths of a percent; -1 = no limit */
	int waived_wave;                /* failure rate accepted by resume; 0 = none */
	bool await_confirmation;        /* final = confirmed/failed, not merely sent */
	int64_t start_at;
	enum rollout_state state;
	bool paused_by_failures;        /* paused by rollout_tick, not by an operator */
	char pause_reason[QUEUE_TEXT_MAX];
	int64_t total_units;
	int64_t next_send_at;           /* rate gate */
	bool gate_open;                 /* inside the window (as of the last tick) */
	int64_t next_window_at;         /* next opening while closed; 0 = none */
	int64_t created_at;
	int64_t updated_at;
};

/* What `otapctl rollout create` asks for. */
struct rollout_spec {
	const char *name;
	const char *profile;            /* default profile; a row's profile column overrides */
	enum otap_action action;
	struct window window;           /* WINDOW_ALWAYS = no window */
	const char *tz;                 /* NULL = the machine's local time */
	int rate_per_min;               /* 0 = unlimited */
	struct rollout_waves waves;     /* count 0 = one wave of 100% */
	int max_failure_pct;            /* hundredths; -1 = no limit */
	int64_t start_at;
	int max_attempts;               /* per job, >= 1 */
	bool skip_invalid;              /* import the valid rows when some are invalid */
	bool await_confirmation;        /* a notify listener is configured */
};

/* Observers of an import; every member may be NULL. */
struct rollout_import_hooks {
	/* A row that is not imported: invalid (duplicate false) or a repeated
	 * number (duplicate true, imported once from its first line). */
	void (*problem)(void *arg, size_t line, bool duplicate, const char *reason);
	/* pass 1 = checking, 2 = writing; bytes of the file done so far. */
	void (*progress)(void *arg, int pass, uint64_t done, uint64_t total);
	void *arg;
};

struct rollout_import_result {
	int64_t imported;
	int64_t invalid;
	int64_t duplicates;
	int64_t wave_sizes[ROLLOUT_WAVES_MAX];  /* units per wave (not cumulative) */
	bool bad_input;         /* on failure: the spec or the file is at fault */
};

/* Progress of one rollout, for `otapctl rollout status` and `watch`. */
struct rollout_reason {
	char text[QUEUE_TEXT_MAX];
	int64_t count;
};

struct rollout_status {
	struct rollout r;
	int64_t counts[JOB_STATE_COUNT];
	int64_t total;
	int64_t wave_sizes[ROLLOUT_WAVES_MAX];  /* units per wave */
	int64_t wave_final;             /* jobs of the current wave in a final state */
	int64_t wave_failed;            /* ... of which failed */
	struct rollout_reason reasons[ROLLOUT_REASONS_MAX];  /* most frequent first */
	size_t reason_count;
	struct window_state window;     /* now; always open when there is no window */
	int64_t eta;                    /* ms since the epoch; 0 = unknown (no rate, paused) */
	int64_t remaining;              /* jobs not sent yet (queued + sending) */
};

const char *rollout_state_name(enum rollout_state state);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rollout_state_parse(const char *name, enum rollout_state *out);

/* Checks a rollout name: 1-63 characters of [A-Za-z0-9._-], not starting
 * with '-' or '.'. Returns 0 or -1 with a reason. */
int rollout_name_check(const char *name, struct errbuf *err);
/* Parses "1%,10%,100%" (the '%' is optional; up to two decimals; increasing;
 * must end at 100). Returns 0 or -1 with a reason. */
int rollout_waves_parse(const char *text, struct rollout_waves *out, struct errbuf *err);
/* "1,10,100" (the stored form; also "0.5" for fractions). */
void rollout_waves_format(const struct rollout_waves *w, char *buf, size_t size);
/* Formats hundredths of a percent: 1250 -> "12.5". */
void rollout_pct_format(int pct, char *buf, size_t size);
/* Units per wave for total units: wave i ends at ceil(total * pct[i] / 100%). */
void rollout_wave_sizes(const struct rollout_waves *w, int64_t total,
			int64_t sizes[ROLLOUT_WAVES_MAX]);

/* Imports the fleet file csv_path (see README "Rollouts": header row,
 * msisdn required, optional profile and imei, other columns kept as unit
 * metadata) and creates the rollout, in one transaction. The file is read
 * twice: a check pass reports every invalid row and repeated number through
 * hooks, then, unless rows are invalid without spec->skip_invalid, a
 * writing pass inserts the jobs. Wave 1 is open at once (its jobs are due at
 * start_at); later waves wait (not_before = QUEUE_WAITING_FOR_WAVE).
 * Returns 0 with *res filled; -1 with a reason when nothing was written
 * (bad spec, unknown profile or zone, unreadable file, CSV syntax error,
 * missing msisdn column, invalid rows, no units, name taken, database
 * error). *res is filled as far as the check got, also on failure. */
int rollout_create(struct queue *q, const struct cfg *cfg, const struct rollout_spec *spec,
		   const char *csv_path, int64_t now, const struct rollout_import_hooks *hooks,
		   struct rollout_import_result *res, struct errbuf *err);

/* Reads one rollout. Returns 1, 0 when there is none by that name, -1. */
int rollout_get(struct queue *q, const char *name, struct rollout *out, struct errbuf *err);
/* Calls cb for every rollout, newest first; a non-zero return stops the walk.
 * Returns 0 or -1. */
int rollout_list(struct queue *q, int (*cb)(const struct rollout *r, void *arg), void *arg,
		 struct errbuf *err);

/* active -> paused by the operator (sending jobs finish; nothing new is
 * claimed). Returns 0, or -1 with a refusal naming the current state. */
int rollout_pause(struct queue *q, const char *name, int64_t now, struct errbuf *err);
/* paused -> active. After a pause for failures the operator accepts that
 * wave's failure rate: when the wave is finished the next one opens now.
 * Returns 0, or -1 with a refusal. */
int rollout_resume(struct queue *q, const char *name, int64_t now, struct errbuf *err);
/* active/paused/done -> cancelled, and every queued job of the rollout
 * (waiting for its wave or not) -> cancelled; *jobs (may be NULL) gets their
 * number. Jobs being sent finish. Returns 0, or -1 with a refusal. */
int rollout_cancel(struct queue *q, const char *name, int64_t now, int64_t *jobs,
		   struct errbuf *err);

/* The daemon's periodic step (call about once a second, from one thread):
 * for each active rollout, updates its window gate, opens the next wave
 * when the current one is finished and its failure rate is within the
 * limit (else pauses it, saying why), and marks it done when every job is
 * final. Rollouts with nothing to change cost a few indexed reads and no
 * write. Returns 0, or -1 on a database error (a rollout whose time zone
 * cannot be loaded any more is logged and skipped). */
int rollout_tick(struct queue *q, int64_t now, struct errbuf *err);

/* The job states that count as final for r's waves, as an SQL list for
 * "state IN (...)": sent is final unless r awaits confirmation; then only
 * confirmed, failed and cancelled are (the rule of notify_final_states_sql). */
const char *rollout_final_states(const struct rollout *r);

/* Fills *out for rollout name at now. Returns 1, 0 when there is no such
 * rollout, -1 on error. */
int rollout_status(struct queue *q, const char *name, int64_t now, struct rollout_status *out,
		   struct errbuf *err);

/* The unit metadata of job id (the fleet file's extra columns): calls cb
 * with each name and value in file order. Returns 0 (also for a job
 * without metadata) or -1. */
int rollout_job_meta(struct queue *q, int64_t id,
		     void (*cb)(const char *key, const char *value, void *arg), void *arg,
		     struct errbuf *err);

#endif
