/* rollout.h - rollouts: a fleet file imported as one job per unit, sent in
 * waves, inside a daily window of a time zone, at a limited rate, pausing
 * itself when a wave fails too often.
 *
 * The rollout record and its storage are the store's (store_rollouts.h:
 * reading, pause, cancel, the claim's gates); this layer decides: what a
 * fleet file may import, what the window means now, when a wave may open
 * or the rollout must pause, and how far it has got. All functions take
 * the time (ms since the epoch) from the caller: tests never sleep.
 *
 * Files: rollout.c (names, the window gate, resume, the wave decision),
 * rollout_import.c (fleet file), rollout_tick.c (the daemon's periodic
 * step), rollout_status.c (progress, ETA).
 */
#ifndef OTAP_ROLLOUT_H
#define OTAP_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "errbuf.h"
#include "store_events.h"
#include "store_rollouts.h"
#include "tz.h"
#include "waves.h"
#include "window.h"

#define ROLLOUT_REASONS_MAX 10
#define ROLLOUT_RATE_MAX 60000  /* per minute: one SM per ms */




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
	int64_t deadline;               /* no job sent after it (failed "expired"); 0 = none */
	int max_attempts;               /* per job, >= 1 */
	bool skip_invalid;              /* import the valid rows when some are invalid */
	bool allow_overlap;             /* import units with an open job in another rollout */
	bool await_confirmation;        /* a notify listener is configured */
	const char *preflight;          /* "passed", "skipped"; NULL = not recorded */
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
	int64_t overlapping;    /* units with an open job in another rollout */
	int64_t wave_sizes[ROLLOUT_WAVES_MAX];  /* units per wave (not cumulative) */
	bool bad_input;         /* on failure: the spec or the file is at fault */
};


/* Progress of one rollout, for `otapctl rollout status` and `watch`. */
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
	struct job_funnel funnel;       /* how far each unit's last SMS got */
};

/* Checks a rollout name: 1-63 characters of [A-Za-z0-9._-], not starting
 * with '-' or '.'. Returns 0 or -1 with a reason. */
int rollout_name_check(const char *name, struct errbuf *err);

/* Imports the fleet file csv_path (see README "Rollouts": header row,
 * msisdn required, optional profile and imei, other columns kept as unit
 * metadata) and creates the rollout, in one transaction. The file is read
 * twice: a check pass reports every invalid row and repeated number through
 * hooks, then, unless rows are invalid without spec->skip_invalid, a
 * writing pass inserts the jobs. Wave 1 is open at once (its jobs are due at
 * start_at); later waves wait (not_before = STORE_WAITING_FOR_WAVE).
 * Returns 0 with *res filled; -1 with a reason when nothing was written
 * (bad spec, unknown profile or zone, unreadable file, CSV syntax error,
 * missing msisdn column, invalid rows, no units, name taken, database
 * error). *res is filled as far as the check got, also on failure. */
int rollout_create(struct store *s, const struct cfg *cfg, const struct rollout_spec *spec,
		   const char *csv_path, int64_t now, const struct rollout_import_hooks *hooks,
		   struct rollout_import_result *res, struct errbuf *err);

/* The window gate of r at now: *gate_open, and *next_window_at (the next
 * opening while closed, 0 = none). Returns 0, or -1 when r's zone cannot
 * be loaded. */
int rollout_gate(const struct rollout *r, int64_t now, bool *gate_open, int64_t *next_window_at,
		 struct errbuf *err);

/* The wave decision of the tick (store_rollout_advance's decide): wait
 * while the current wave is busy; at the last wave, finish once no job of
 * any wave is open; else pause when the finished wave failed more often
 * than max_failure_pct allows (unless resume waived it), or open the next
 * wave. Pure. */
void rollout_decide(const struct rollout *r, const struct wave_facts *f,
		    struct rollout_decision *out);

/* paused -> active. After a pause for failures the operator accepts that
 * wave's failure rate: when the wave is finished the next one opens now.
 * Returns 0, or -1 with a refusal. */
int rollout_resume(struct store *s, const char *name, int64_t now, struct errbuf *err);

/* The daemon's periodic step (call about once a second, from one thread):
 * for each active rollout, updates its window gate, opens the next wave
 * when the current one is finished and its failure rate is within the
 * limit (else pauses it, saying why), and marks it done when every job is
 * final. Rollouts with nothing to change cost a few indexed reads and no
 * write. Returns 0, or -1 on a database error (a rollout whose time zone
 * cannot be loaded any more is logged and skipped). */
/* on_paused (may be NULL) is called with the rollout as stored, after the
 * commit, for each rollout the tick paused for failures. */
typedef void rollout_paused_fn(const struct rollout *r, void *arg);
int rollout_tick(struct store *s, int64_t now, rollout_paused_fn *on_paused, void *arg,
		 struct errbuf *err);

/* Fills *out for rollout name at now. Returns 1, 0 when there is no such
 * rollout, -1 on error. */
int rollout_status(struct store *s, const char *name, int64_t now, struct rollout_status *out,
		   struct errbuf *err);

#endif
