/* store_events.h - each unit's timeline as otapd sees it: the SMS sent,
 * delivered, the JAD and JAR fetched from otapd, the unit's report; and
 * the furthest step of each job's current send (for the rollout funnel and
 * the diagnosis). Events caused by a state change (sent, delivered,
 * notified) are written by that transition; downloads by
 * store_record_download. */
#ifndef OTAP_STORE_EVENTS_H
#define OTAP_STORE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "errbuf.h"
#include "notify.h"
#include "store.h"
#include "store_rollouts.h"

/* How far the job's current send got, in order. */
enum job_step {
	JOB_STEP_QUEUED, JOB_STEP_SENT, JOB_STEP_DELIVERED, JOB_STEP_JAD_FETCHED,
	JOB_STEP_JAR_PARTIAL, JOB_STEP_JAR_FETCHED, JOB_STEP_REPORTED,
	JOB_STEP_COUNT
};

enum event_kind {
	EVENT_SENT, EVENT_DELIVERED, EVENT_JAD_FETCHED, EVENT_JAR_PARTIAL, EVENT_JAR_FETCHED,
	EVENT_NOTIFIED,
	EVENT_KIND_COUNT
};

struct job_event {
	int64_t id;
	int64_t job_id;
	int64_t at;
	enum event_kind kind;
	char client[64];                /* "" = not known */
	char imei[NOTIFY_IMEI_LEN + 1]; /* "" = not known */
	char product[32];               /* "" = not known */
	int64_t bytes;                  /* -1 = not a download */
	int64_t size;                   /* -1 = not a download */
	int code;                       /* -1 = not a notification */
	bool late;                      /* the job was cancelled or confirmed already */
};

/* Static names: "jad_fetched"...; "unknown" outside the enums. */
const char *job_step_name(enum job_step step);
const char *event_kind_name(enum event_kind kind);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int job_step_parse(const char *name, enum job_step *out);
/* The step an event shows the unit reached. */
enum job_step event_step(enum event_kind kind);

/* The job a download request is for. */
struct download_job {
	int64_t id;
	char profile[STORE_NAME_MAX];
	enum otap_action action;
	enum job_state state;
};

/* Looks up job id for a download request and checks token (constant time).
 * Read-only. Returns 1 with *out filled, 0 when there is no such job or the
 * token is wrong (answer 404, record nothing), -1 on error. */
int store_download_job(struct store *s, int64_t id, const char *token, struct download_job *out,
		       struct errbuf *err);

/* Records a download event (kind EVENT_JAD_FETCHED, EVENT_JAR_PARTIAL or
 * EVENT_JAR_FETCHED) of ev->job_id at ev->at, and moves the job's furthest
 * step on when this one is further, in one transaction. ev->late is set
 * by the store (the job is cancelled or confirmed). Returns 0 or -1. */
int store_record_download(struct store *s, const struct job_event *ev, struct errbuf *err);

/* Calls cb for each event of job id, oldest first; non-zero stops. Returns
 * 0 or -1. */
int store_events(struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg),
		 void *arg, struct errbuf *err);

/* A rollout's funnel: per furthest step, how many of its jobs stopped
 * there, and how many of those failed. */
struct job_funnel {
	int64_t at[JOB_STEP_COUNT];
	int64_t failed[JOB_STEP_COUNT];
};
/* Fills *out for r. Returns 0 or -1. */
int store_rollout_funnel(struct store *s, const struct rollout *r, struct job_funnel *out,
			 struct errbuf *err);

#endif
