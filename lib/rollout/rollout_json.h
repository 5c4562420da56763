/* rollout_json.h - the JSON objects of a rollout (docs/json.md): one
 * shape for `otapctl rollout list/status --json`, `otapctl watch --json`
 * and the admin listener's /api/rollouts and /api/rollouts/NAME, written
 * by the same functions. */
#ifndef OTAP_ROLLOUT_JSON_H
#define OTAP_ROLLOUT_JSON_H

#include <stdint.h>
#include "json.h"
#include "rollout.h"

/* The ROLLOUT members (name, state, pause_reason, profile, action,
 * preflight, units, waves, rate, limits, times) into the object being
 * written. Never fails (the writer records misuse). */
void rollout_json_fields(struct json_writer *w, const struct rollout *r);

/* The rollout status object: the ROLLOUT members, waves, wave, counts,
 * remaining, failures, funnel, window, tz, window_open, next_window_at,
 * window_closes_at, eta. */
void rollout_status_json(struct json_writer *w, const struct rollout_status *st);

/* Units of the funnel that got at least as far as step (enum job_step). */
int64_t rollout_funnel_reached(const struct job_funnel *fn, int step);

#endif
