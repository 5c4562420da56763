/* rollout_json.c - the JSON objects of rollout_json.h. */
#include "rollout_json.h"

int64_t rollout_funnel_reached(const struct job_funnel *fn, int step)
{
	int64_t n = 0;
	for (int s = step; s < JOB_STEP_COUNT; s++)
		n += fn->at[s];
	return n;
}

void rollout_json_fields(struct json_writer *w, const struct rollout *r)
{
	json_member_string(w, "name", r->name);
	json_member_string(w, "state", rollout_state_name(r->state));
	json_member_string(w, "pause_reason", r->pause_reason[0] ? r->pause_reason : NULL);
	json_member_string(w, "profile", r->profile);
	json_member_string(w, "action", otap_action_name(r->action));
	json_member_string(w, "preflight", r->preflight[0] ? r->preflight : NULL);
	json_member_int(w, "units", r->total_units);
	json_member_int(w, "current_wave", r->current_wave);
	json_member_int(w, "wave_count", r->waves.count);
	json_key(w, "rate_per_min");
	if (r->rate_per_min > 0)
		json_int(w, r->rate_per_min);
	else
		json_null(w);
	json_key(w, "max_failure_rate");
	if (r->max_failure_pct >= 0)
		json_hundredths(w, r->max_failure_pct);
	else
		json_null(w);
	json_member_time_ms(w, "start_at", r->start_at);
	json_member_time_or_null(w, "deadline", r->deadline);
	json_member_time_ms(w, "created_at", r->created_at);
	json_member_time_ms(w, "updated_at", r->updated_at);
}

static void json_waves(struct json_writer *w, const struct rollout_status *st)
{
	json_key(w, "waves");
	json_begin_array(w);
	for (int i = 0; i < st->r.waves.count; i++) {
		json_begin_object(w);
		json_member_int(w, "wave", i + 1);
		json_key(w, "percent");
		json_hundredths(w, st->r.waves.pct[i]);
		json_member_int(w, "units", st->wave_sizes[i]);
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "wave");
	json_begin_object(w);
	json_member_int(w, "final", st->wave_final);
	json_member_int(w, "failed", st->wave_failed);
	json_end_object(w);
}

static void json_counts_and_reasons(struct json_writer *w, const struct rollout_status *st)
{
	json_key(w, "counts");
	json_begin_object(w);
	for (int s = 0; s < JOB_STATE_COUNT; s++)
		json_member_int(w, job_state_name((enum job_state)s), st->counts[s]);
	json_end_object(w);
	json_member_int(w, "remaining", st->remaining);
	json_key(w, "failures");
	json_begin_array(w);
	for (size_t i = 0; i < st->reason_count; i++) {
		json_begin_object(w);
		json_member_string(w, "reason", st->reasons[i].text);
		json_member_int(w, "count", st->reasons[i].count);
		json_end_object(w);
	}
	json_end_array(w);
}

/* "funnel": {"reached": {step: units that got at least that far},
 * "stopped": {step: {"units": n, "failed": n}}} */
static void json_funnel(struct json_writer *w, const struct rollout_status *st)
{
	const struct job_funnel *fn = &st->funnel;
	json_key(w, "funnel");
	json_begin_object(w);
	json_key(w, "reached");
	json_begin_object(w);
	for (int s = JOB_STEP_SENT; s < JOB_STEP_COUNT; s++)
		json_member_int(w, job_step_name((enum job_step)s), rollout_funnel_reached(fn, s));
	json_end_object(w);
	json_key(w, "stopped");
	json_begin_object(w);
	for (int s = 0; s < JOB_STEP_COUNT; s++) {
		json_key(w, job_step_name((enum job_step)s));
		json_begin_object(w);
		json_member_int(w, "units", fn->at[s]);
		json_member_int(w, "failed", fn->failed[s]);
		json_end_object(w);
	}
	json_end_object(w);
	json_end_object(w);
}

static void json_window(struct json_writer *w, const struct rollout_status *st)
{
	const struct rollout *r = &st->r;
	char text[32];
	json_key(w, "window");
	if (window_is_always(&r->window)) {
		json_null(w);
	} else {
		window_format(&r->window, text, sizeof text);
		json_string(w, text);
	}
	json_member_string(w, "tz", r->tz[0] ? r->tz : NULL);
	json_key(w, "window_open");
	json_bool(w, st->window.open);
	json_member_time_or_null(w, "next_window_at", st->window.open ? 0 : st->window.opened_at);
	json_member_time_or_null(w, "window_closes_at", st->window.open ? st->window.closes_at : 0);
}

void rollout_status_json(struct json_writer *w, const struct rollout_status *st)
{
	json_begin_object(w);
	rollout_json_fields(w, &st->r);
	json_waves(w, st);
	json_counts_and_reasons(w, st);
	json_funnel(w, st);
	json_window(w, st);
	json_member_time_or_null(w, "eta", st->eta);
	json_end_object(w);
}
