/* job_json.c - the JSON objects of job_json.h. */
#include "job_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "store_reports.h"
#include "store_rollouts.h"

void diagnose_json(struct json_writer *w, const struct job *j, const struct diagnosis *d)
{
	json_begin_object(w);
	json_member_int(w, "id", j->id);
	json_member_string(w, "msisdn", j->msisdn);
	json_member_string(w, "state", job_state_name(j->state));
	json_member_string(w, "stopped_at", job_step_name(d->stopped_at));
	json_member_string(w, "rule", diag_cause_name(d->rule));
	json_member_string(w, "cause", d->cause);
	if (d->code >= 0)
		json_member_int(w, "code", d->code);
	json_key(w, "advice");
	json_begin_array(w);
	for (size_t i = 0; i < d->advice_count; i++)
		json_string(w, d->advice[i]);
	json_end_array(w);
	json_end_object(w);
}

static void member_text(struct json_writer *w, const char *key, const char *text)
{
	if (text[0])
		json_member_string(w, key, text);
}

void event_json(struct json_writer *w, const struct job_event *e)
{
	json_begin_object(w);
	json_member_time_ms(w, "time", e->at);
	json_member_string(w, "kind", event_kind_name(e->kind));
	member_text(w, "client", e->client);
	member_text(w, "imei", e->imei);
	member_text(w, "product", e->product);
	if (e->bytes >= 0)
		json_member_int(w, "bytes", e->bytes);
	if (e->size >= 0)
		json_member_int(w, "size", e->size);
	if (e->code >= 0)
		json_member_int(w, "code", e->code);
	json_key(w, "late");
	json_bool(w, e->late);
	json_end_object(w);
}

void job_json_fields(struct json_writer *w, const struct job *j)
{
	json_member_int(w, "id", j->id);
	json_member_string(w, "msisdn", j->msisdn);
	json_member_string(w, "profile", j->profile);
	json_member_string(w, "action", otap_action_name(j->action));
	json_member_int_or_null(w, "wave", j->wave > 0, j->wave);
	json_member_string(w, "state", job_state_name(j->state));
	json_member_text_or_null(w, "rollout", j->rollout);
	json_member_int(w, "attempts", j->attempts);
	json_member_int(w, "max_attempts", j->max_attempts);
	json_member_time_ms(w, "not_before", j->not_before);
	json_member_time_or_null(w, "deadline", j->deadline);
	json_member_text_or_null(w, "last_error", j->last_error);
	json_member_text_or_null(w, "modem", j->modem);
	json_member_time_ms(w, "created_at", j->created_at);
	json_member_time_ms(w, "updated_at", j->updated_at);
}

static void report_json(struct json_writer *w, const struct notify_info *n)
{
	json_member_text_or_null(w, "imei", n->imei);
	json_member_time_or_null(w, "sent_at", n->sent_at);
	json_member_time_or_null(w, "delivered_at", n->delivered_at);
	json_member_time_or_null(w, "confirmed_at", n->confirmed_at);
	json_member_time_or_null(w, "notified_at", n->notified_at);
	json_member_int_or_null(w, "notify_code", n->notify_code >= 0, n->notify_code);
	json_member_text_or_null(w, "notify_text", n->notify_text);
}

static void attempt_json(struct json_writer *w, const struct attempt *a)
{
	json_begin_object(w);
	json_member_time_ms(w, "started_at", a->started_at);
	json_member_time_ms(w, "finished_at", a->finished_at);
	json_member_text_or_null(w, "modem", a->modem);
	json_member_string(w, "result", a->result);
	json_member_int_or_null(w, "cms_error", a->cms_error >= 0, a->cms_error);
	json_member_string(w, "cms_meaning", a->cms_error >= 0 ? cms_meaning(a->cms_error) : NULL);
	json_member_text_or_null(w, "mrs", a->mrs);
	json_member_text_or_null(w, "detail", a->detail);
	json_end_object(w);
}

/* What the detail object needs, read before anything is written. */
struct job_detail {
	struct notify_info info;
	struct attempt *attempts;
	size_t nattempts, attempts_cap;
	struct job_event *events;
	size_t nevents, events_cap;
	/* metadata as pairs, in file order */
	char *(*meta)[2];
	size_t nmeta, meta_cap;
	bool oom;
};

/* Makes room for one more element of size bytes in *v (n used, *cap). */
static bool grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*(void **)v, ncap * size);
	if (!p)
		return false;
	*(void **)v = p;
	*cap = ncap;
	return true;
}

static int take_attempt(const struct attempt *a, void *arg)
{
	struct job_detail *d = arg;
	if (!grow(&d->attempts, d->nattempts, &d->attempts_cap, sizeof *d->attempts)) {
		d->oom = true;
		return 1;
	}
	d->attempts[d->nattempts++] = *a;
	return 0;
}

static int take_event(const struct job_event *e, void *arg)
{
	struct job_detail *d = arg;
	if (!grow(&d->events, d->nevents, &d->events_cap, sizeof *d->events)) {
		d->oom = true;
		return 1;
	}
	d->events[d->nevents++] = *e;
	return 0;
}

static void take_meta(const char *key, const char *value, void *arg)
{
	struct job_detail *d = arg;
	if (d->oom || !grow(&d->meta, d->nmeta, &d->meta_cap, sizeof *d->meta)) {
		d->oom = true;
		return;
	}
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		d->oom = true;
		return;
	}
	d->meta[d->nmeta][0] = k;
	d->meta[d->nmeta][1] = v;
	d->nmeta++;
}

static int detail_read(struct store *q, int64_t id, struct job_detail *d, struct errbuf *err)
{
	if (store_job_info(q, id, &d->info, err) < 0 ||
	    store_job_meta(q, id, take_meta, d, err) < 0 ||
	    store_attempts(q, id, take_attempt, d, err) < 0 ||
	    store_events(q, id, take_event, d, err) < 0)
		return -1;
	return d->oom ? errbuf_set(err, "out of memory reading job %lld", (long long)id) : 0;
}

static void detail_write(struct json_writer *w, const struct job *j, const char *waiting,
			 const struct job_detail *d)
{
	json_begin_object(w);
	json_key(w, "job");
	json_begin_object(w);
	job_json_fields(w, j);
	json_member_string(w, "waiting", waiting);
	report_json(w, &d->info);
	json_key(w, "meta");
	if (d->nmeta) {
		json_begin_object(w);
		for (size_t i = 0; i < d->nmeta; i++)
			json_member_string(w, d->meta[i][0], d->meta[i][1]);
		json_end_object(w);
	} else {
		json_null(w);
	}
	json_key(w, "history");
	json_begin_array(w);
	for (size_t i = 0; i < d->nattempts; i++)
		attempt_json(w, &d->attempts[i]);
	json_end_array(w);
	json_key(w, "events");
	json_begin_array(w);
	for (size_t i = 0; i < d->nevents; i++)
		event_json(w, &d->events[i]);
	json_end_array(w);
	json_end_object(w);
	json_end_object(w);
}

int job_detail_json(struct json_writer *w, struct store *q, const struct job *j,
		    const char *waiting, struct errbuf *err)
{
	struct job_detail d = { 0 };
	int rc = detail_read(q, j->id, &d, err);
	if (rc == 0)
		detail_write(w, j, waiting, &d);
	free(d.attempts);
	free(d.events);
	for (size_t i = 0; i < d.nmeta; i++) {
		free(d.meta[i][0]);
		free(d.meta[i][1]);
	}
	free(d.meta);
	return rc;
}
