/* job_json.h - the JSON objects of a job's diagnosis and of its events:
 * one shape for `otapctl diagnose --json`, `otapctl status JOB --json`
 * and the web API (documented in README "JSON output"). */
#ifndef OTAP_JOB_JSON_H
#define OTAP_JOB_JSON_H

#include "diagnose.h"
#include "json.h"
#include "store_events.h"

/* {id, msisdn, state, stopped_at, cause, [code], advice: [...]} */
void diagnose_json(struct json_writer *w, const struct job *j, const struct diagnosis *d);

/* {time, kind, [client], [imei], [product], [bytes], [size], [code], late} */
void event_json(struct json_writer *w, const struct job_event *e);

#endif
