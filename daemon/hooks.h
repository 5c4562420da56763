/* hooks.h - event hooks: on a job's final failure or a rollout's
 * auto-pause, otapd runs the configured shell command (cfg_hooks) on its own
 * runner thread, the event's details in OTAPD_* environment variables only.
 * Queueing never blocks a sender: the queue is bounded and drops (counted,
 * logged) when full. Hooks are notifications; the store stays the truth, so
 * an event is queued only after the transaction that made it committed. */
#ifndef OTAPD_HOOKS_H
#define OTAPD_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "store.h"
#include "textesc.h"

#define HOOKS_QUEUE_MAX 256
#define HOOKS_RUNNING_MAX 4
#define HOOKS_ENV_MAX 10        /* entries of an event's environment, NULL included */

enum hook_kind { HOOK_JOB_FAILED, HOOK_ROLLOUT_PAUSED };

struct hook_event {
	enum hook_kind kind;
	int64_t job_id;                 /* 0 = none (rollout events) */
	char to[MSISDN_MAX_LEN + 1];
	char profile[STORE_NAME_MAX];
	char rollout[STORE_NAME_MAX];
	char reason[STORE_TEXT_MAX];
	int64_t time_ms;                /* wall clock of the event */
};

/* An event's environment: strings in text, pointers in envp (NULL-ended). */
struct hook_env {
	char text[STORE_TEXT_MAX * TEXTESC_MAX_PER_BYTE + 1024];
	char *envp[HOOKS_ENV_MAX];
};

struct hooks;

/* The hook's config name of kind ("on_job_failed", "on_rollout_paused"). */
const char *hooks_name(enum hook_kind kind);

/* Fills env for ev: OTAPD_EVENT, OTAPD_JOB_ID, OTAPD_TO, OTAPD_PROFILE,
 * OTAPD_ROLLOUT, OTAPD_REASON (control bytes escaped as \xNN), OTAPD_TIME
 * (ISO-8601 UTC) and PATH (the daemon's, or a default). Nothing else: no
 * secret ever reaches a hook. Pure apart from reading $PATH. */
void hooks_build_env(const struct hook_event *ev, struct hook_env *env);

/* Starts the runner thread when cfg sets any hook; *out is NULL (and every
 * hooks_* call a no-op) when none is set. Returns 0, or -1 when the thread
 * cannot start (logged). */
int hooks_start(struct hooks **out, const struct cfg_hooks *cfg);

/* Queues ev for its hook, if that hook is configured. Never blocks on a
 * child; drops the event with a warning when the queue is full. Call only
 * after the store committed the change ev reports. Safe from any thread. */
void hooks_post(struct hooks *h, const struct hook_event *ev);

/* Stops the runner: queued events not started are dropped (logged),
 * running hooks get at most their timeout, then are killed. Frees h (NULL
 * is fine). */
void hooks_stop(struct hooks *h);

#endif
