/* job_json.c - the JSON objects of job_json.h. */
#include "job_json.h"

void diagnose_json(struct json_writer *w, const struct job *j, const struct diagnosis *d)
{
	json_begin_object(w);
	json_member_int(w, "id", j->id);
	json_member_string(w, "msisdn", j->msisdn);
	json_member_string(w, "state", job_state_name(j->state));
	json_member_string(w, "stopped_at", job_step_name(d->stopped_at));
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
