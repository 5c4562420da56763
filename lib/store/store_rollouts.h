/* store_rollouts.h - rollouts in the store: the rollout record, creating one
 * with all its units (the import), the operator's state changes, the steps
 * of the daemon's rollout tick, and the counts behind `rollout status`.
 *
 * A rollout is a row of the rollouts table plus its jobs (jobs.rollout =
 * name, jobs.wave = 1..N). What a rollout should do next (open the next
 * wave, pause for failures, finish) is decided by lib/rollout; the store
 * gathers the facts under the write lock, asks, and applies the answer in
 * the same transaction.
 */
#ifndef OTAP_STORE_ROLLOUTS_H
#define OTAP_STORE_ROLLOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "store.h"
#include "tz.h"
#include "waves.h"
#include "window.h"

enum rollout_state {
	ROLLOUT_ACTIVE, ROLLOUT_PAUSED, ROLLOUT_CANCELLED, ROLLOUT_DONE,
	/* Being created: its units are being inserted, a batch per
	 * transaction; nothing claims, ticks or counts it until the flip to
	 * active. Left behind by an import that died. */
	ROLLOUT_IMPORTING,
	ROLLOUT_STATE_COUNT
};

struct rollout {
	char name[STORE_NAME_MAX];
	char profile[STORE_NAME_MAX];   /* default profile */
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
	char pause_reason[STORE_TEXT_MAX];
	int64_t total_units;
	int64_t next_send_at;           /* rate gate */
	bool gate_open;                 /* inside the window (as of the last tick) */
	int64_t next_window_at;         /* next opening while closed; 0 = none */
	int64_t created_at;
	int64_t updated_at;
	/* Whether otapctl's preflight checked the profile before the rollout
	 * was created: "passed", "skipped" (--no-preflight), "" = not recorded
	 * (created before migration 006). */
	char preflight[16];
	int64_t deadline;               /* no job is sent after it; 0 = none */
	int importer_pid;               /* while importing: the importing process; 0 = none */
};

/* Returns a static string; "unknown" outside the enum. */
const char *rollout_state_name(enum rollout_state state);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rollout_state_parse(const char *name, enum rollout_state *out);

/* ---- creating a rollout with its units ---- */

/* One unit of a rollout being imported. */
struct import_unit {
	const char *msisdn;             /* validated by the caller */
	const char *profile;
	const char *imei;               /* NULL = none */
	int wave;                       /* 1-based */
	int64_t not_before;             /* start time, or STORE_WAITING_FOR_WAVE */
	const char *meta;               /* JSON object text, NULL = none */
	size_t meta_len;
	size_t line;                    /* in the fleet file, for messages */
};

struct store_import;

/* Starts creating rollout r (name, profile, action, window, tz, rate,
 * waves, max_failure_pct, await_confirmation, start_at, total_units,
 * gate_open, next_window_at, deadline, preflight ("" = NULL) are taken
 * from it) whose jobs get max_attempts each, and refuses a name that is
 * taken. The rollout is created in state importing (in a short
 * transaction of its own): no claim, tick or wave decision looks at it,
 * and the writer never holds the lock for long, as its units are written a
 * short transaction at a time. A rollout of the same name left importing
 * by an import that died is deleted first (one still running is refused).
 * Returns 0 and sets *out, or -1 with a reason. */
int store_import_begin(struct store *s, const struct rollout *r, int max_attempts, int64_t now,
		       struct store_import **out, struct errbuf *err);
/* Adds one unit, with the checks of store_enqueue (the strings are copied).
 * Returns 0 or -1 with a reason naming u->line. */
int store_import_add(struct store_import *imp, const struct import_unit *u, struct errbuf *err);
/* Writes what is left, then flips the rollout to active in one short
 * transaction: the rollout and all its units, or (returning -1) nothing
 * (what was staged is deleted; after a crash, the next create of the name
 * or a cancel deletes it). Frees imp either way. */
int store_import_commit(struct store_import *imp, struct errbuf *err);
/* Gives up: what was staged is deleted. Frees imp; NULL is a no-op. */
void store_import_abort(struct store_import *imp);

/* ---- checking a fleet file in bounded memory ---- */

/* The check pass's memory (numbers seen, rows to skip) lives in temporary
 * tables of the connection, which spill to a temporary file: an import's
 * memory does not grow with the fleet. Nothing is written to the store. */
struct store_check;

/* Starts a check for rollout `rollout` (a name, also when it does not
 * exist yet). Returns 0 and sets *out, or -1. */
int store_check_begin(struct store *s, const char *rollout, struct store_check **out,
		      struct errbuf *err);
/* Adds a valid unit: key (equal keys = equal numbers; not 0), its 0-based
 * data row (ascending from call to call) and file line. With overlap, also
 * looks for an open job (queued, sending, sent, delivered) of msisdn in
 * another active or paused rollout: returns 1 and copies that rollout's
 * name into other when there is one, else 0; -1 on error. */
int store_check_add(struct store_check *c, uint64_t key, const char *msisdn, bool overlap,
		    int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err);
/* After the last add: calls cb for every unit whose key an earlier row
 * had (with that row's line), in row order. Returns how many, or -1. */
int64_t store_check_repeats(struct store_check *c,
			    void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			    void *arg, struct errbuf *err);
/* After store_check_repeats, asked with ascending rows: 1 when row repeats
 * an earlier one, 0 when not, -1. */
int store_check_is_repeat(struct store_check *c, int64_t row, struct errbuf *err);
/* Drops the temporary tables and frees c; NULL is a no-op. */
void store_check_end(struct store_check *c);

/* ---- reading ---- */

/* Reads one rollout. Returns 1, 0 when there is none by that name, -1. */
int store_rollout_get(struct store *s, const char *name, struct rollout *out,
		      struct errbuf *err);
/* Calls cb for every rollout, newest first (with state filter -1 = any, or
 * only rollouts in that state, by name); a non-zero return stops the walk.
 * Returns 0 or -1. */
int store_rollout_list(struct store *s, int state, int (*cb)(const struct rollout *r, void *arg),
		       void *arg, struct errbuf *err);

/* The unit metadata of job id (the fleet file's extra columns): calls cb
 * with each name and value in file order. Returns 0 (also for a job without
 * metadata) or -1. */
int store_job_meta(struct store *s, int64_t id,
		   void (*cb)(const char *key, const char *value, void *arg), void *arg,
		   struct errbuf *err);

/* Job counts of r: counts[state] over all its waves; *wave_final and
 * *wave_failed for its current wave (final as job_state_final). Returns 0
 * or -1. */
int store_rollout_counts(struct store *s, const struct rollout *r,
			 int64_t counts[JOB_STATE_COUNT], int64_t *wave_final,
			 int64_t *wave_failed, struct errbuf *err);

struct rollout_reason {
	char text[STORE_TEXT_MAX];
	int64_t count;
};
/* The most frequent last_error texts of r's failed jobs, most frequent
 * first, at most max. Returns how many, or -1. */
int store_rollout_reasons(struct store *s, const struct rollout *r, struct rollout_reason *out,
			  size_t max, struct errbuf *err);

/* 1 when wave (0 = any wave) of r has a job that is not final, 0 when not,
 * -1 on error. Read-only. */
int store_rollout_wave_busy(struct store *s, const struct rollout *r, int wave,
			    struct errbuf *err);

/* ---- the operator's state changes ---- */

/* active -> paused by the operator (sending jobs finish; nothing new is
 * claimed). Returns 0, or -1 with a refusal naming the current state. */
int store_rollout_pause(struct store *s, const char *name, int64_t now, struct errbuf *err);
/* paused -> active; gate_open/next_window_at as given (the window now).
 * After a pause for failures the operator accepts that wave's failure
 * rate: when the wave is finished the next one opens now. Returns 0, or -1
 * with a refusal. */
int store_rollout_resume(struct store *s, const char *name, bool gate_open,
			 int64_t next_window_at, int64_t now, struct errbuf *err);
/* importing (an import that died) -> deleted with its staged jobs, a
 * short transaction at a time (*jobs gets their number; refused while
 * its importer still runs). Otherwise:
 * active/paused/done -> cancelled, and every queued job of the rollout
 * (waiting for its wave or not) -> cancelled, a chunk of jobs per
 * transaction after the first; *jobs (may be NULL) gets their number. Jobs
 * being sent finish. Cancelling a cancelled rollout finishes an earlier,
 * interrupted cancel. Returns 0, or -1 with a refusal. */
int store_rollout_cancel(struct store *s, const char *name, int64_t now, int64_t *jobs,
			 struct errbuf *err);

/* ---- the daemon's tick ---- */

/* Stores the rollout's window gate. A write: call it only when the gate
 * changed (the tick runs every second). Returns 0 or -1. */
int store_rollout_set_gate(struct store *s, const char *name, bool gate_open,
			   int64_t next_window_at, struct errbuf *err);

/* Makes up to one chunk of wave's parked jobs due at now (or start_at,
 * whichever is later), in its own transaction. Returns how many, or -1. */
int store_rollout_release(struct store *s, const struct rollout *r, int wave, int64_t now,
			  struct errbuf *err);
/* 1 when wave of r still has parked jobs (waiting for the wave), 0, -1. */
int store_rollout_parked(struct store *s, const struct rollout *r, int wave,
			 struct errbuf *err);

/* Jobs made due (or cancelled) per transaction when a wave opens (or a
 * rollout is cancelled): a wave of 900 000 jobs in one transaction would
 * hold the write lock, and every modem, for seconds. A variable so that
 * tests can make it small. */
#define ROLLOUT_RELEASE_CHUNK 10000
extern int rollout_release_chunk;
/* Longest a big writer (import, expiry, deleting an interrupted import)
 * holds the write lock per transaction, in ms; then it commits and pauses
 * so that waiting writers (the modems' claims) get in. A variable so that
 * tests can make it 0 (a commit after every batch). */
#define STORE_WRITE_SLICE_MS 50
extern int store_write_slice_ms;

/* What the rollout tick knows about the current wave of an active rollout
 * when it asks what to do. */
struct wave_facts {
	int wave;                       /* the current wave */
	bool last;                      /* it is the last wave */
	bool busy;                      /* it still has a job that is not final */
	bool any_busy;                  /* with last: some wave has a job not final */
	int64_t failed, total;          /* its failed and all but cancelled jobs
					 * (counted only when !busy && !last) */
};

enum rollout_move { ROLLOUT_WAIT, ROLLOUT_OPEN_NEXT, ROLLOUT_PAUSE, ROLLOUT_FINISH };

struct rollout_decision {
	enum rollout_move move;
	char reason[STORE_TEXT_MAX];    /* with ROLLOUT_PAUSE: why, for the operator */
};

/* Under the write lock: while rollout name is active, gathers the facts of
 * its current wave and applies decide's answer (open the next wave, pause
 * saying why, mark it done), until decide says wait. *opened gets whether a
 * wave was opened. Returns 0 or -1 (nothing changed). */
int store_rollout_advance(struct store *s, const char *name, int64_t now,
			  void (*decide)(const struct rollout *r, const struct wave_facts *f,
					 struct rollout_decision *out),
			  bool *opened, struct errbuf *err);

#endif
