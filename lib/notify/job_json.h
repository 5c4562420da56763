/* job_json.h - the JSON objects of a job, its diagnosis and its events:
 * one shape for `otapctl status --json`, `otapctl diagnose --json` and the
 * admin listener's /api/jobs/ID and /api/rollouts/NAME/units, written by
 * the same functions (documented in docs/json.md). */
#ifndef OTAP_JOB_JSON_H
#define OTAP_JOB_JSON_H

#include "diagnose.h"
#include "errbuf.h"
#include "json.h"
#include "store_events.h"

/* {id, msisdn, state, stopped_at, rule, cause, [code], advice: [...]} */
void diagnose_json(struct json_writer *w, const struct job *j, const struct diagnosis *d);

/* {time, kind, [client], [imei], [product], [bytes], [size], [code], late} */
void event_json(struct json_writer *w, const struct job_event *e);

/* The JOB members (id, msisdn, profile, action, wave, state, rollout,
 * attempts, max_attempts, not_before, deadline, last_error, modem,
 * created_at, updated_at) into the object being written. */
void job_json_fields(struct json_writer *w, const struct job *j);

/* {"job": {JOB members, waiting, report members, meta, history, events}}
 * of job j as read from q; waiting is the "waiting" text (NULL: null).
 * Reads the job's report, metadata, attempts and events first and writes
 * only when all were read. Returns 0, or -1 with a reason (nothing
 * written). */
int job_detail_json(struct json_writer *w, struct store *q, const struct job *j,
		    const char *waiting, struct errbuf *err);

#endif
