/* store.c - the store's front: picks the engine, checks what does not
 * depend on it (names, lengths, ranges, IMEIs), hands each operation to
 * the engine's table (store_engine.h), and logs the operator-visible
 * outcomes that read the same whichever engine made them. */
#include "store_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "log.h"

static const char *const state_names[JOB_STATE_COUNT] = {
	[JOB_QUEUED] = "queued",
	[JOB_SENDING] = "sending",
	[JOB_SENT] = "sent",
	[JOB_DELIVERED] = "delivered",
	[JOB_CONFIRMED] = "confirmed",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
};

static const char *const rollout_state_names[ROLLOUT_STATE_COUNT] = {
	[ROLLOUT_ACTIVE] = "active",
	[ROLLOUT_PAUSED] = "paused",
	[ROLLOUT_CANCELLED] = "cancelled",
	[ROLLOUT_DONE] = "done",
	[ROLLOUT_IMPORTING] = "importing",
};

const char *job_state_name(enum job_state state)
{
	return (unsigned)state < JOB_STATE_COUNT ? state_names[state] : "unknown";
}

int job_state_parse(const char *name, enum job_state *out)
{
	for (int i = 0; name && i < JOB_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

bool job_state_final(enum job_state state, bool confirmation_expected)
{
	switch (state) {
	case JOB_CONFIRMED:
	case JOB_FAILED:
	case JOB_CANCELLED:
		return true;
	case JOB_SENT:
	case JOB_DELIVERED:
		return !confirmation_expected;
	default:
		return false;
	}
}

static const char *const step_names[JOB_STEP_COUNT] = {
	[JOB_STEP_QUEUED] = "queued",
	[JOB_STEP_SENT] = "sent",
	[JOB_STEP_DELIVERED] = "delivered",
	[JOB_STEP_JAD_FETCHED] = "jad_fetched",
	[JOB_STEP_JAR_PARTIAL] = "jar_partial",
	[JOB_STEP_JAR_FETCHED] = "jar_fetched",
	[JOB_STEP_REPORTED] = "reported",
};

const char *job_step_name(enum job_step step)
{
	return (unsigned)step < JOB_STEP_COUNT ? step_names[step] : "unknown";
}

int job_step_parse(const char *name, enum job_step *out)
{
	for (int i = 0; name && i < JOB_STEP_COUNT; i++) {
		if (strcmp(name, step_names[i]) == 0) {
			*out = (enum job_step)i;
			return 0;
		}
	}
	return -1;
}

enum job_step event_step(enum event_kind kind)
{
	switch (kind) {
	case EVENT_SENT: return JOB_STEP_SENT;
	case EVENT_DELIVERED: return JOB_STEP_DELIVERED;
	case EVENT_JAD_FETCHED: return JOB_STEP_JAD_FETCHED;
	case EVENT_JAR_PARTIAL: return JOB_STEP_JAR_PARTIAL;
	case EVENT_JAR_FETCHED: return JOB_STEP_JAR_FETCHED;
	case EVENT_NOTIFIED: return JOB_STEP_REPORTED;
	default: return JOB_STEP_QUEUED;
	}
}

const char *rollout_state_name(enum rollout_state state)
{
	return (unsigned)state < ROLLOUT_STATE_COUNT ? rollout_state_names[state] : "unknown";
}

int rollout_state_parse(const char *name, enum rollout_state *out)
{
	for (int i = 0; name && i < ROLLOUT_STATE_COUNT; i++) {
		if (strcmp(name, rollout_state_names[i]) == 0) {
			*out = (enum rollout_state)i;
			return 0;
		}
	}
	return -1;
}

/* ---- opening ---- */

static bool is_postgresql(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	       strncmp(location, "postgres://", 11) == 0;
}

int store_open(const char *location, struct store **out, struct errbuf *err)
{
	*out = NULL;
	if (!location || !*location)
		return errbuf_set(err, "queue database path is empty (expected a file path)");
	if (is_postgresql(location))
		return pg_store_open(location, out, err);
	return sqlite_store_open(location, out, err);
}

bool store_location_is_shared(const char *location)
{
	return location && is_postgresql(location);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

int store_data_version(struct store *s, int64_t *out, struct errbuf *err)
{
	return s->ops->data_version(s, out, err);
}

int store_lead(struct store *s, struct errbuf *err)
{
	return s->ops->lead(s, err);
}

int store_wake_fd(struct store *s)
{
	return s->ops->wake_fd(s);
}

void store_set_busy_timeout(struct store *s, int ms)
{
	s->ops->set_busy_timeout(s, ms < 0 ? 0 : ms);
}

int store_set_lock_wait(struct store *s, const struct store_lock_wait *w, struct errbuf *err)
{
	if (!w || w->limit_ms < 0 || w->note_after_ms < 0)
		return errbuf_set(err, "lock wait: limit and note time must be given and not negative");
	return s->ops->set_lock_wait(s, w, err);
}

/* ---- checks ---- */

static int check_name(const char *what, const char *value, size_t max, bool required,
		      struct errbuf *err)
{
	if (!value || !*value) {
		if (required)
			return errbuf_set(err, "job has no %s (expected a non-empty %s)", what, what);
		return 0;
	}
	size_t len = strlen(value);
	if (len > max)
		return errbuf_set(err, "job %s \"%.*s...\" is %zu characters long (at most %zu fit)",
				  what, 16, value, len, max);
	return 0;
}

static int check_imei(const char *imei, struct errbuf *err)
{
	const char *why = imei ? notify_imei_check(imei) : NULL;
	return why ? errbuf_set(err, "invalid IMEI '%.20s': %s", imei, why) : 0;
}

/* The checks every unit of a new job passes, enqueued alone or imported. */
static int check_unit_fields(const char *msisdn, const char *profile, const char *imei,
			     struct errbuf *err)
{
	if (check_name("msisdn", msisdn, MSISDN_MAX_LEN, true, err) < 0 ||
	    check_name("profile", profile, STORE_NAME_MAX - 1, true, err) < 0)
		return -1;
	return check_imei(imei, err);
}

static int check_action(enum otap_action action, int max_attempts, struct errbuf *err)
{
	if (action != OTAP_ACTION_INSTALL && action != OTAP_ACTION_DELETE)
		return errbuf_set(err, "job action %d is unknown (expected install or delete)",
				  (int)action);
	if (max_attempts < 1)
		return errbuf_set(err, "job max_attempts is %d (expected at least 1)", max_attempts);
	return 0;
}

static int check_message_id(int64_t id, const char *message_id, struct errbuf *err)
{
	size_t n = message_id ? strlen(message_id) : 0;
	if (n < 1 || n > STORE_MESSAGE_ID_MAX)
		return errbuf_set(err, "job %" PRId64 ": SMPP message id of %zu characters "
				  "(expected 1-%d)", id, n, STORE_MESSAGE_ID_MAX);
	return 0;
}

static int check_parts(int64_t id, const struct sent_parts *parts, struct errbuf *err)
{
	if (parts->count > OTAP_MAX_PARTS)
		return errbuf_set(err, "job %" PRId64 ": %zu parts (at most %d)", id, parts->count,
				  OTAP_MAX_PARTS);
	for (size_t i = 0; parts->message_id && i < parts->count; i++) {
		if (check_message_id(id, parts->message_id[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; !parts->message_id && i < parts->count; i++) {
		if (parts->mr[i] < 0 || parts->mr[i] > 255)
			return errbuf_set(err, "job %" PRId64 ": message reference %d of part %zu is "
					  "outside 0-255", id, parts->mr[i], i + 1);
	}
	return 0;
}

/* ---- jobs ---- */

int store_enqueue(struct store *s, const struct job_new *job, int64_t now, int64_t *id_out,
		  struct errbuf *err)
{
	if (check_unit_fields(job->msisdn, job->profile, job->imei, err) < 0 ||
	    check_name("rollout", job->rollout, STORE_NAME_MAX - 1, false, err) < 0 ||
	    check_action(job->action, job->max_attempts, err) < 0)
		return -1;
	return s->ops->enqueue(s, job, now, id_out, err);
}

int store_claim(struct store *s, const char *modem, int64_t now, struct job *out,
		struct errbuf *err)
{
	return s->ops->claim(s, modem, now, out, err);
}

int store_renew_leases(struct store *s, int64_t now, int64_t *count, struct errbuf *err)
{
	if (count)
		*count = 0;
	return s->ops->renew_lease(s, now, count, err);
}

int store_mark_sent(struct store *s, int64_t id, const struct job_outcome *o,
		    const struct sent_parts *parts, struct errbuf *err)
{
	static const struct sent_parts none = { NULL, 0, NULL };
	if (!o)
		return errbuf_set(err, "job %" PRId64 ": no outcome given for the try", id);
	if (!parts)
		parts = &none;
	if (check_parts(id, parts, err) < 0)
		return -1;
	if (parts->count > 0 && (!o->modem || !*o->modem))
		return errbuf_set(err, "job %" PRId64 ": no modem for the parts to record", id);
	return s->ops->mark_sent(s, id, o, parts, err);
}

int store_record_part(struct store *s, int64_t id, const char *modem, int mr, int part,
		      int count, int64_t at, struct errbuf *err)
{
	if (!modem || !*modem || mr < 0 || mr > 255 || part < 1 || part > count ||
	    count > OTAP_MAX_PARTS)
		return errbuf_set(err, "job %" PRId64 ": part %d of %d with TP-MR %d on '%s' "
				  "cannot be recorded", id, part, count, mr, modem ? modem : "");
	return s->ops->record_part(s, id, modem, mr, part, count, at, err);
}

int store_record_part_id(struct store *s, int64_t id, const char *modem, const char *message_id,
			 int part, int count, int64_t at, struct errbuf *err)
{
	if (!modem || !*modem || part < 1 || part > count || count > OTAP_MAX_PARTS)
		return errbuf_set(err, "job %" PRId64 ": part %d of %d on '%s' cannot be recorded",
				  id, part, count, modem ? modem : "");
	if (check_message_id(id, message_id, err) < 0)
		return -1;
	return s->ops->record_part_id(s, id, modem, message_id, part, count, at, err);
}

int store_retry_later(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
		      const struct job_outcome *o, enum job_state *state_out, struct errbuf *err)
{
	if (!o)
		return errbuf_set(err, "job %" PRId64 ": no outcome given for the try", id);
	return s->ops->retry_later(s, id, not_before, count_attempt, o, state_out, err);
}

int store_mark_failed(struct store *s, int64_t id, const struct job_outcome *o,
		      struct errbuf *err)
{
	if (!o)
		return errbuf_set(err, "job %" PRId64 ": no outcome given for the try", id);
	return s->ops->mark_failed(s, id, o, err);
}

int store_cancel(struct store *s, int64_t id, int64_t now, struct errbuf *err)
{
	return s->ops->cancel(s, id, now, err);
}

int store_retry_failed(struct store *s, const struct retry_filter *f, int64_t now,
		       int64_t *count, struct errbuf *err)
{
	int64_t n = 0;
	if (s->ops->retry_failed(s, f, now, &n, err) < 0)
		return -1;
	if (n > 0)
		log_info("queue: %lld failed jobs queued again%s%s", (long long)n,
			 f && f->rollout ? " in rollout " : "", f && f->rollout ? f->rollout : "");
	if (count)
		*count = n;
	return 0;
}

int store_retry_job(struct store *s, int64_t id, int64_t now, struct errbuf *err)
{
	if (s->ops->retry_job(s, id, now, err) < 0)
		return -1;
	log_info("queue: job %" PRId64 " queued again", id);
	return 0;
}

int store_expire(struct store *s, int64_t now, int64_t *count, struct errbuf *err)
{
	return store_expire_each(s, now, NULL, NULL, count, err);
}

int store_expire_each(struct store *s, int64_t now, store_failed_fn *expired, void *arg,
		      int64_t *count, struct errbuf *err)
{
	int64_t total = 0;
	if (s->ops->expire(s, now, expired, arg, &total, err) < 0)
		return -1;
	if (total > 0)
		log_info("queue: %" PRId64 " jobs expired (still unsent at their deadline)", total);
	if (count)
		*count = total;
	return 0;
}

int store_recover_interrupted(struct store *s, int64_t now, int *count, struct errbuf *err)
{
	return s->ops->recover_interrupted(s, now, count, err);
}

int store_job_token(struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
		    struct errbuf *err)
{
	return s->ops->job_token(s, id, token, err);
}

int store_get(struct store *s, int64_t id, struct job *out, struct errbuf *err)
{
	return s->ops->get(s, id, out, err);
}

int store_list(struct store *s, const struct job_filter *filter,
	       int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err)
{
	static const struct job_filter any = { .state = -1 };
	const struct job_filter *f = filter ? filter : &any;
	if (f->state >= JOB_STATE_COUNT)
		return errbuf_set(err, "job state filter %d is unknown", f->state);
	return s->ops->list(s, f, cb, arg, err);
}

int store_attempts(struct store *s, int64_t id,
		   int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err)
{
	return s->ops->attempts(s, id, cb, arg, err);
}

int store_count_by_state(struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err)
{
	return s->ops->count_by_state(s, counts, err);
}

int store_next_due(struct store *s, int64_t *out, struct errbuf *err)
{
	return s->ops->next_due(s, out, err);
}

/* ---- reports ---- */

int store_apply_notification(struct store *s, const struct job_key *key,
			     const struct store_rules *rules, int64_t now,
			     struct notify_applied *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	out->result = NOTIFY_NO_JOB;
	if (key->id <= 0 && (!key->imei || notify_imei_check(key->imei)))
		return 0;       /* names no job that can exist */
	return s->ops->apply_notification(s, key, rules, now, out, err);
}

int store_apply_status_report(struct store *s, const char *modem, int mr, const char *number,
			      const struct store_rules *rules, int64_t now,
			      struct notify_applied *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	out->result = NOTIFY_NO_JOB;
	if (!modem || mr < 0 || mr > 255)
		return errbuf_set(err, "status report without a modem or with TP-MR %d", mr);
	return s->ops->apply_status_report(s, modem, mr, number ? number : "", rules, now, out,
					   err);
}

int store_apply_receipt(struct store *s, const char *modem, const char *message_id,
			const struct store_rules *rules, int64_t now, struct notify_applied *out,
			struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	out->result = NOTIFY_NO_JOB;
	if (!modem || !*modem)
		return errbuf_set(err, "delivery receipt without a link");
	if (check_message_id(0, message_id, err) < 0)
		return -1;
	return s->ops->apply_receipt(s, modem, message_id, rules, now, out, err);
}

int store_apply_deferred(struct store *s, const struct store_rules *rules, int64_t now,
			 int *count, struct errbuf *err)
{
	if (count)
		*count = 0;
	return s->ops->apply_deferred(s, rules, now, count, err);
}

int store_apply_unconfirmed(struct store *s, const char *profile, int64_t cutoff,
			    const struct store_rules *rules, int64_t now, int *count,
			    struct errbuf *err)
{
	*count = 0;
	return s->ops->apply_unconfirmed(s, profile, cutoff, rules, now, count, err);
}

int store_set_imei(struct store *s, int64_t id, const char *imei, struct errbuf *err)
{
	if (!imei)
		return errbuf_set(err, "no IMEI given");
	if (check_imei(imei, err) < 0)
		return -1;
	return s->ops->set_imei(s, id, imei, err);
}

int store_job_info(struct store *s, int64_t id, struct notify_info *out, struct errbuf *err)
{
	return s->ops->job_info(s, id, out, err);
}

/* ---- rollouts ---- */

int store_import_begin(struct store *s, const struct rollout *r, int max_attempts, int64_t now,
		       struct store_import **out, struct errbuf *err)
{
	*out = NULL;
	if (check_name("rollout", r->name, STORE_NAME_MAX - 1, true, err) < 0 ||
	    check_name("profile", r->profile, STORE_NAME_MAX - 1, true, err) < 0 ||
	    check_action(r->action, max_attempts, err) < 0)
		return -1;
	return s->ops->import_begin(s, r, max_attempts, now, out, err);
}

int store_import_add(struct store_import *imp, const struct import_unit *u, struct errbuf *err)
{
	/* Action, attempts and rollout are the import's, checked at its begin. */
	if (check_unit_fields(u->msisdn, u->profile, u->imei, err) < 0)
		return errbuf_prefix(err, "line %zu", u->line);
	if (u->wave < 1 || u->wave > ROLLOUT_WAVES_MAX)
		return errbuf_set(err, "line %zu: wave %d outside 1-%d", u->line, u->wave,
				  ROLLOUT_WAVES_MAX);
	return imp->store->ops->import_add(imp, u, err);
}

int store_import_commit(struct store_import *imp, struct errbuf *err)
{
	return imp->store->ops->import_commit(imp, err);
}

void store_import_abort(struct store_import *imp)
{
	if (imp)
		imp->store->ops->import_abort(imp);
}

int store_check_begin(struct store *s, const char *rollout, struct store_check **out,
		      struct errbuf *err)
{
	if (check_name("rollout", rollout, STORE_NAME_MAX - 1, true, err) < 0)
		return -1;
	return s->ops->check_begin(s, rollout, out, err);
}

int store_check_add(struct store_check *c, uint64_t key, const char *msisdn, bool overlap,
		    int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err)
{
	if (key == 0 || check_name("msisdn", msisdn, MSISDN_MAX_LEN, true, err) < 0)
		return key == 0 ? errbuf_set(err, "line %" PRId64 ": number key 0", line) : -1;
	return c->store->ops->check_add(c, key, msisdn, overlap, row, line, other, err);
}

int64_t store_check_repeats(struct store_check *c,
			    void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
			    void *arg, struct errbuf *err)
{
	return c->store->ops->check_repeats(c, cb, arg, err);
}

int store_check_is_repeat(struct store_check *c, int64_t row, struct errbuf *err)
{
	return c->store->ops->check_is_repeat(c, row, err);
}

void store_check_end(struct store_check *c)
{
	if (c)
		c->store->ops->check_end(c);
}

int store_rollout_get(struct store *s, const char *name, struct rollout *out,
		      struct errbuf *err)
{
	return s->ops->rollout_get(s, name, out, err);
}

int store_rollout_list(struct store *s, int state, int (*cb)(const struct rollout *r, void *arg),
		       void *arg, struct errbuf *err)
{
	if (state >= ROLLOUT_STATE_COUNT)
		return errbuf_set(err, "rollout state filter %d is unknown", state);
	return s->ops->rollout_list(s, state, cb, arg, err);
}

int store_job_meta(struct store *s, int64_t id,
		   void (*cb)(const char *key, const char *value, void *arg), void *arg,
		   struct errbuf *err)
{
	return s->ops->job_meta(s, id, cb, arg, err);
}

int store_rollout_counts(struct store *s, const struct rollout *r,
			 int64_t counts[JOB_STATE_COUNT], int64_t *wave_final,
			 int64_t *wave_failed, struct errbuf *err)
{
	return s->ops->rollout_counts(s, r, counts, wave_final, wave_failed, err);
}

int store_rollout_reasons(struct store *s, const struct rollout *r, struct rollout_reason *out,
			  size_t max, struct errbuf *err)
{
	return s->ops->rollout_reasons(s, r, out, max, err);
}

int store_rollout_wave_busy(struct store *s, const struct rollout *r, int wave,
			    struct errbuf *err)
{
	return s->ops->rollout_wave_busy(s, r, wave, err);
}

int store_rollout_pause(struct store *s, const char *name, int64_t now, struct errbuf *err)
{
	if (s->ops->rollout_pause(s, name, now, err) < 0)
		return -1;
	log_info("rollout %s: paused by the operator", name);
	return 0;
}

int store_rollout_resume(struct store *s, const char *name, bool gate_open,
			 int64_t next_window_at, int64_t now, struct errbuf *err)
{
	return s->ops->rollout_resume(s, name, gate_open, next_window_at, now, err);
}

int store_rollout_cancel(struct store *s, const char *name, int64_t now, int64_t *jobs,
			 struct errbuf *err)
{
	return s->ops->rollout_cancel(s, name, now, jobs, err);
}

int store_rollout_set_gate(struct store *s, const char *name, bool gate_open,
			   int64_t next_window_at, struct errbuf *err)
{
	return s->ops->rollout_set_gate(s, name, gate_open, next_window_at, err);
}

int store_rollout_release(struct store *s, const struct rollout *r, int wave, int64_t now,
			  struct errbuf *err)
{
	return s->ops->rollout_release(s, r, wave, now, err);
}

int store_rollout_parked(struct store *s, const struct rollout *r, int wave,
			 struct errbuf *err)
{
	return s->ops->rollout_parked(s, r, wave, err);
}

int store_rollout_advance(struct store *s, const char *name, int64_t now,
			  void (*decide)(const struct rollout *r, const struct wave_facts *f,
					 struct rollout_decision *out),
			  bool *opened, struct errbuf *err)
{
	*opened = false;
	return s->ops->rollout_advance(s, name, now, decide, opened, err);
}

/* ---- events ---- */

int store_download_job(struct store *s, int64_t id, const char *token, struct download_job *out,
		       struct errbuf *err)
{
	if (id <= 0 || !token)
		return 0;
	return s->ops->download_job(s, id, token, out, err);
}

int store_record_download(struct store *s, const struct job_event *ev, struct errbuf *err)
{
	if (ev->kind != EVENT_JAD_FETCHED && ev->kind != EVENT_JAR_PARTIAL &&
	    ev->kind != EVENT_JAR_FETCHED)
		return errbuf_set(err, "event %s is not a download", event_kind_name(ev->kind));
	return s->ops->record_download(s, ev, err);
}

int store_events(struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg),
		 void *arg, struct errbuf *err)
{
	return s->ops->events(s, id, cb, arg, err);
}

int store_rollout_funnel(struct store *s, const struct rollout *r, struct job_funnel *out,
			 struct errbuf *err)
{
	return s->ops->rollout_funnel(s, r, out, err);
}

/* ---- modems ---- */

/* Texts that would be cut on the way back are refused: a row must read as
 * it was written. */
static bool modem_texts_fit(const struct modem_health *h)
{
	return memchr(h->name, 0, sizeof h->name) && memchr(h->why, 0, sizeof h->why) &&
	       memchr(h->operator_name, 0, sizeof h->operator_name) &&
	       memchr(h->model, 0, sizeof h->model) && memchr(h->revision, 0, sizeof h->revision) &&
	       memchr(h->imei, 0, sizeof h->imei) && memchr(h->last_error, 0, sizeof h->last_error);
}

int store_modem_update(struct store *s, const struct modem_health *h, struct errbuf *err)
{
	if (!h->name[0] || !modem_texts_fit(h))
		return errbuf_set(err, "modem health without a name or with an unterminated text");
	if ((unsigned)h->state >= MODEM_STATE_COUNT)
		return errbuf_set(err, "modem %s: state %d is not a modem state", h->name, (int)h->state);
	return s->ops->modem_update(s, h, err);
}

int store_modem_list(struct store *s, int (*cb)(const struct modem_health *h, void *arg),
		     void *arg, struct errbuf *err)
{
	return s->ops->modem_list(s, cb, arg, err);
}

/* ---- housekeeping (store_admin.h) ---- */

int store_purge(struct store *s, const struct purge_spec *p, struct purge_result *out,
		struct errbuf *err)
{
	if (p->cutoff <= 0)
		return errbuf_set(err, "purge: cutoff %lld is not a time", (long long)p->cutoff);
	if (p->chunk < 0)
		return errbuf_set(err, "purge: chunk %d is negative", p->chunk);
	if (s->ops->purge(s, p, out, err) < 0)
		return -1;
	if (!p->dry_run)
		log_info("purge: %" PRId64 " jobs, %" PRId64 " rollouts deleted in %" PRId64
			 " transactions", out->jobs, out->rollouts, out->transactions);
	return 0;
}

/* 0 when text is shorter than cap, has no control byte, and (when
 * required) is not empty; else -1 naming the field. */
static int audit_text_ok(const char *field, const char *text, size_t cap, bool required,
			 struct errbuf *err)
{
	size_t n = strnlen(text, cap);
	if (n == cap)
		return errbuf_set(err, "audit entry: %s longer than %zu bytes", field, cap - 1);
	if (required && n == 0)
		return errbuf_set(err, "audit entry: %s is empty", field);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			return errbuf_set(err, "audit entry: %s has control byte 0x%02x", field, c);
	}
	return 0;
}

int store_audit_add(struct store *s, const struct audit_entry *e, struct errbuf *err)
{
	if (audit_text_ok("user", e->user, sizeof e->user, true, err) < 0 ||
	    audit_text_ok("action", e->action, sizeof e->action, true, err) < 0 ||
	    audit_text_ok("args", e->args, sizeof e->args, false, err) < 0 ||
	    audit_text_ok("result", e->result, sizeof e->result, false, err) < 0)
		return -1;
	if (e->at <= 0)
		return errbuf_set(err, "audit entry: at %lld is not a time", (long long)e->at);
	return s->ops->audit_add(s, e, err);
}

int store_audit_list(struct store *s, int limit, int (*cb)(const struct audit_entry *e, void *arg),
		     void *arg, struct errbuf *err)
{
	if (limit < 0)
		return errbuf_set(err, "audit list: limit %d is negative", limit);
	return s->ops->audit_list(s, limit, cb, arg, err);
}

/* ---- a rollout's units (store_units.h) ---- */

static int unit_filter_check(const struct unit_filter *f, struct errbuf *err)
{
	if (!f->rollout)
		return errbuf_set(err, "units: no rollout named");
	if (f->states >> JOB_STATE_COUNT || f->steps >> JOB_STEP_COUNT)
		return errbuf_set(err, "units: a state or step outside the enums");
	return 0;
}

int store_rollout_units(struct store *s, const struct unit_filter *f,
			int (*cb)(const struct unit_row *u, void *arg), void *arg,
			struct errbuf *err)
{
	if (unit_filter_check(f, err) < 0)
		return -1;
	if (f->offset < 0 || f->limit <= 0)
		return errbuf_set(err, "units: offset %lld or limit %d out of range",
				  (long long)f->offset, f->limit);
	return s->ops->rollout_units(s, f, cb, arg, err);
}

int store_rollout_units_count(struct store *s, const struct unit_filter *f, int64_t *out,
			      struct errbuf *err)
{
	if (unit_filter_check(f, err) < 0)
		return -1;
	return s->ops->rollout_units_count(s, f, out, err);
}

int store_metrics_read(struct store *s, int64_t now, const struct store_metrics_sink *sink,
		       struct errbuf *err)
{
	if (!sink || !sink->begin || !sink->row)
		return errbuf_set(err, "metrics read without a sink");
	return s->ops->metrics_read(s, now, sink, err);
}
