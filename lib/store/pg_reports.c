/* pg_reports.c - the PostgreSQL engine's side of the units' reports:
 * finding the job a notification or status report is for, locking it, and
 * writing the change the caller's rules planned together with its attempt
 * row and event, in one transaction (see store_reports.h; the SQLite twin
 * is sqlite_reports.c). */
#include "pg_shared.h"
#include "report_match.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows handled per transaction by the deferred and unconfirmed sweeps. */
#define REPORT_BATCH 256

#define OPEN_STATES "'queued','sending','sent','delivered'"

/* ---- rows ---- */

void pg_view_from_row(const PGresult *res, int row, int col, struct job_view *j)
{
	memset(j, 0, sizeof *j);
	j->id = pg_col_int(res, row, col, 0);
	if (job_state_parse(pg_col_str(res, row, col + 1), &j->state) < 0)
		j->state = JOB_FAILED;          /* unreachable: the CHECK constraint */
	j->action = pg_action_from(pg_col_str(res, row, col + 2));
	j->attempts = (int)pg_col_int(res, row, col + 3, 0);
	j->max_attempts = (int)pg_col_int(res, row, col + 4, 0);
	j->notify_code = (int)pg_col_int(res, row, col + 5, -1);
	j->notified_at = pg_col_int(res, row, col + 6, 0);
	j->sent_at = pg_col_int(res, row, col + 7, 0);
	pg_col_text(j->msisdn, sizeof j->msisdn, res, row, col + 8);
	pg_col_text(j->notify_text, sizeof j->notify_text, res, row, col + 9);
	j->notify_pending = pg_col_int(res, row, col + 10, 0) != 0;
}

/* ---- writing a planned change ---- */

static int write_change(struct pg_store *s, int64_t id, int64_t now, const struct job_change *c,
			struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	pg_param_text(&p, job_state_name(c->state));
	pg_param_int(&p, now);
	pg_param_bool(&p, c->requeue);
	pg_param_bool(&p, c->set_error);
	pg_param_text(&p, c->error);
	pg_param_bool(&p, c->report != NULL);
	if (c->report) {
		pg_param_int(&p, c->report->code);
		pg_param_text(&p, c->report->text[0] ? c->report->text : NULL);
	} else {
		pg_param_null(&p);
		pg_param_null(&p);
	}
	pg_param_bool(&p, c->confirmed);
	pg_param_bool(&p, c->delivered);
	pg_param_bool(&p, c->defer);
	pg_param_bool(&p, c->undefer);
	/* Right-hand sides see the row before the update: updated_at moves
	 * only with a state change (it means "last state change"). The flags
	 * go as 1/0, which PostgreSQL reads as booleans. */
	/* Prepared (pg_hot): every report and notification writes one. */
	return pg_hot_run(s, "UPDATE jobs SET state = $2, "
		"updated_at = CASE WHEN state <> $2 THEN $3 ELSE updated_at END, "
		"not_before = CASE WHEN $4::boolean THEN $3 ELSE not_before END, "
		"last_error = CASE WHEN $5::boolean THEN $6 ELSE last_error END, "
		"notify_code = CASE WHEN $7::boolean THEN $8::integer ELSE notify_code END, "
		"notify_text = CASE WHEN $7::boolean THEN $9 ELSE notify_text END, "
		"notified_at = CASE WHEN $7::boolean THEN $3 ELSE notified_at END, "
		"confirmed_at = CASE WHEN $10::boolean THEN $3 ELSE confirmed_at END, "
		"delivered_at = CASE WHEN $11::boolean THEN $3 ELSE delivered_at END, "
		"notify_pending = CASE WHEN $12::boolean THEN 1 WHEN $13::boolean THEN 0 "
		"ELSE notify_pending END WHERE id = $1", &p, "recording a report on a job",
		err) < 0 ? -1 : 0;
}

/* The event a change records: a delivery report, or the unit's report. */
static int change_event(struct pg_store *s, int64_t id, int64_t now, const struct job_change *c,
			struct errbuf *err)
{
	if (c->report)
		return pg_insert_event(s, id, EVENT_NOTIFIED, now, c->report->code, NULL, err);
	if (c->delivered)
		return pg_insert_event(s, id, EVENT_DELIVERED, now, -1, NULL, err);
	return 0;
}

/* Writes the change to job id with its attempt row and event. The event
 * goes first: a notification on a confirmed job is late, and so is one
 * that confirms a cancelled job, as they were before the change. */
static int apply_change(struct pg_store *s, int64_t id, int64_t now, const struct job_change *c,
			struct errbuf *err)
{
	if (change_event(s, id, now, c, err) < 0 || write_change(s, id, now, c, err) < 0)
		return -1;
	/* A job queued again now (a retry on a report, no confirmation) wakes
	 * the idle modems at commit, as an enqueue does: they sleep in LISTEN
	 * until their next known due time. */
	if (c->state == JOB_QUEUED && c->requeue && pg_notify_wake(s, err) < 0)
		return -1;
	return pg_insert_attempt(s, id, now, now, c->modem, c->result, -1, c->mrs, c->detail, err);
}

/* In the open transaction t on job j (locked): asks the rules, writes the
 * change when there is one, commits (a rollback when there is nothing to
 * write), and tells the rules what was committed. Fills *out. */
static int plan_and_apply(struct pg_store *s, struct pg_tx *t, const struct job_view *j,
			  const struct store_rules *rules, int64_t now, struct notify_applied *out,
			  const char *doing, struct errbuf *err)
{
	struct job_change c = { .state = j->state };
	out->job_id = j->id;
	out->before = out->after = j->state;
	out->result = NOTIFY_UNCHANGED;
	if (!rules->plan(j, rules->arg, &c)) {
		pg_tx_rollback(t);
		return 0;
	}
	if (apply_change(s, j->id, now, &c, err) < 0 || pg_tx_commit(t, doing, err) < 0) {
		pg_tx_rollback(t);
		return -1;
	}
	out->result = NOTIFY_APPLIED;
	out->after = c.state;
	if (rules->committed)
		rules->committed(j, &c, rules->arg);
	return 0;
}

/* ---- sweeps ---- */

struct batch {
	struct job_view rows[REPORT_BATCH];
	struct job_change changes[REPORT_BATCH];
	bool changed[REPORT_BATCH];
	int n;
};

/* One transaction over up to REPORT_BATCH jobs that sql (with params)
 * selects with PG_VIEW_COLUMNS, locked. Returns how many, or -1. */
static int apply_batch(struct pg_store *s, const char *sql, const struct pg_params *params,
		       const struct store_rules *rules, int64_t now, const char *doing,
		       struct errbuf *err)
{
	struct batch *b = calloc(1, sizeof *b);
	struct pg_tx t;
	if (!b)
		return errbuf_set(err, "%s: out of memory", doing);
	if (pg_tx_begin(&t, s, doing, err) < 0) {
		free(b);
		return -1;
	}
	PGresult *res = pg_query(s, sql, params, doing, err);
	if (!res)
		goto fail;
	b->n = PQntuples(res) < REPORT_BATCH ? PQntuples(res) : REPORT_BATCH;
	for (int i = 0; i < b->n; i++)
		pg_view_from_row(res, i, 0, &b->rows[i]);
	PQclear(res);
	for (int i = 0; i < b->n; i++) {
		b->changes[i] = (struct job_change){ .state = b->rows[i].state };
		b->changed[i] = rules->plan(&b->rows[i], rules->arg, &b->changes[i]);
		if (b->changed[i] && apply_change(s, b->rows[i].id, now, &b->changes[i], err) < 0)
			goto fail;
	}
	if (pg_tx_commit(&t, doing, err) < 0)
		goto fail;
	for (int i = 0; rules->committed && i < b->n; i++) {
		if (b->changed[i])
			rules->committed(&b->rows[i], &b->changes[i], rules->arg);
	}
	int n = b->n;
	free(b);
	return n;
fail:
	pg_tx_rollback(&t);
	free(b);
	return -1;
}

/* ---- notifications ---- */

/* Reads the job key names, with its token; with lock, FOR UPDATE.
 * Returns 1, 0, or -1. */
static int load_keyed(struct pg_store *s, const struct job_key *key, bool lock,
		      struct job_view *j, char *token, size_t cap, struct errbuf *err)
{
	const char *doing = key->id > 0 ? "reading a job" : "finding the job of an IMEI";
	struct pg_params p = { 0 };
	char sql[512];
	if (key->id > 0) {
		pg_param_int(&p, key->id);
		snprintf(sql, sizeof sql, "SELECT " PG_VIEW_COLUMNS ", j.notify_token FROM jobs j "
			 "WHERE j.id = $1%s", lock ? " FOR UPDATE" : "");
	} else {
		/* By IMEI: the unit's most recently sent open job, else its most
		 * recently sent job; few rows per IMEI, found through jobs_imei. */
		pg_param_text(&p, key->imei);
		snprintf(sql, sizeof sql, "SELECT " PG_VIEW_COLUMNS ", j.notify_token FROM jobs j "
			 "WHERE j.imei = $1 AND j.sent_at IS NOT NULL "
			 "ORDER BY j.state IN (" OPEN_STATES ") DESC, j.sent_at DESC, j.id DESC "
			 "LIMIT 1%s", lock ? " FOR UPDATE" : "");
	}
	PGresult *res = pg_query(s, sql, &p, doing, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	if (found) {
		pg_view_from_row(res, 0, 0, j);
		pg_col_text(token, cap, res, 0, 11);
	}
	PQclear(res);
	return found;
}

/* Returns 1 when the job exists and the key's token (if any) matches. */
static int find_target(struct pg_store *s, const struct job_key *key, bool lock,
		       struct job_view *j, struct errbuf *err)
{
	char token[NOTIFY_TOKEN_LEN + 8] = "";
	int found = load_keyed(s, key, lock, j, token, sizeof token, err);
	if (found == 1 && key->id > 0 && !notify_token_equal(token, key->token))
		found = 0;
	explicit_bzero(token, sizeof token);
	return found;
}

int pg_apply_notification(struct store *base, const struct job_key *key,
			  const struct store_rules *rules, int64_t now, struct notify_applied *out,
			  struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "applying a notification";
	struct job_view j;
	struct pg_tx t;
	/* Checked before locking the row: forged or stray requests must not
	 * hold up the modems' writes. */
	int found = find_target(s, key, false, &j, err);
	if (found <= 0 || pg_tx_begin(&t, s, doing, err) < 0)
		return found <= 0 ? found : -1;
	found = find_target(s, key, true, &j, err);
	if (found <= 0) {
		pg_tx_rollback(&t);
		return found;
	}
	return plan_and_apply(s, &t, &j, rules, now, out, doing, err);
}

/* ---- status reports ---- */

/* Which part a report names: a modem's TP-MR (with the recipient's number,
 * "" = not given) or an SMPP link's message id. */
struct part_key {
	const char *modem;
	int mr;
	const char *number;
	const char *message_id;         /* non-NULL: an SMPP receipt */
};

/* Two forms, so that each seeks its own index (sent_parts_mr,
 * sent_parts_message_id); $2 is the MR or the message id. sent_parts has
 * no row id: among parts sent in the same millisecond the newest send
 * (job, attempt) and part wins. The job is locked. */
#define FIND_PART(match) "SELECT p.attempt, p.part, p.part_count, " PG_VIEW_COLUMNS \
	" FROM sent_parts p JOIN jobs j ON j.id = p.job_id WHERE p.modem = $1 AND " match \
	" AND p.sent_at >= $3 ORDER BY p.sent_at DESC, p.job_id DESC, p.attempt DESC, " \
	"p.part DESC LIMIT $4 FOR UPDATE OF j"

/* The newest part sent on k's modem with k's MR (whose number agrees) or
 * message id within the horizon, its job locked. Returns 1 and fills *j
 * (with the part), 0 for none, or -1. */
static int find_part(struct pg_store *s, const struct part_key *k, int64_t now,
		     struct job_view *j, const char *doing, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, k->modem);
	if (k->message_id)
		pg_param_text(&p, k->message_id);
	else
		pg_param_int(&p, k->mr);
	pg_param_int(&p, now - NOTIFY_REPORT_HORIZON_MS);
	pg_param_int(&p, k->message_id ? 1 : REPORT_MATCH_CANDIDATES);
	PGresult *res = k->message_id ? pg_hot(s, FIND_PART("p.message_id = $2"), &p, doing, err)
				      : pg_hot(s, FIND_PART("p.mr = $2"), &p, doing, err);
	if (!res)
		return -1;
	bool found = false;
	for (int i = 0; !found && i < PQntuples(res); i++) {
		pg_view_from_row(res, i, 3, j);
		j->send = (int)pg_col_int(res, i, 0, 0);
		j->part = (int)pg_col_int(res, i, 1, 0);
		j->part_count = (int)pg_col_int(res, i, 2, 0);
		found = k->message_id || report_numbers_agree(j->msisdn, k->number);
	}
	PQclear(res);
	return found;
}

/* A status report or receipt applied to the part k names, in one
 * transaction. */
static int apply_part_report(struct pg_store *s, const struct part_key *k,
			     const struct store_rules *rules, int64_t now,
			     struct notify_applied *out, struct errbuf *err)
{
	const char *doing = k->message_id ? "applying a delivery receipt"
					  : "applying a status report";
	struct job_view j;
	struct pg_tx t;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	int found = find_part(s, k, now, &j, doing, err);
	if (found <= 0) {
		pg_tx_rollback(&t);
		return found;
	}
	return plan_and_apply(s, &t, &j, rules, now, out, doing, err);
}

int pg_apply_status_report(struct store *base, const char *modem, int mr, const char *number,
			   const struct store_rules *rules, int64_t now, struct notify_applied *out,
			   struct errbuf *err)
{
	struct part_key k = { .modem = modem, .mr = mr, .number = number };
	return apply_part_report(pg_of(base), &k, rules, now, out, err);
}

int pg_apply_receipt(struct store *base, const char *modem, const char *message_id,
		     const struct store_rules *rules, int64_t now, struct notify_applied *out,
		     struct errbuf *err)
{
	struct part_key k = { .modem = modem, .message_id = message_id };
	return apply_part_report(pg_of(base), &k, rules, now, out, err);
}

/* ---- deferred notifications and the confirmation timeout ---- */

/* SKIP LOCKED: a job locked right now is being sent or reported on; the
 * next sweep takes it. */
#define DEFERRED_WHERE " FROM jobs j WHERE j.notify_pending = 1 AND j.state <> 'sending'"
#define BATCH_LOCK " ORDER BY j.id LIMIT 256 FOR UPDATE SKIP LOCKED"
_Static_assert(REPORT_BATCH == 256, "BATCH_LOCK spells REPORT_BATCH");

int pg_apply_deferred(struct store *base, const struct store_rules *rules, int64_t now,
		      int *count, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "applying deferred notifications";
	int64_t any;
	/* A probe first (jobs_notify_pending), so an idle sweep writes nothing. */
	int found = pg_int(s, "SELECT 1" DEFERRED_WHERE " LIMIT 1", NULL, 0, &any, doing, err);
	if (found <= 0)
		return found;
	int n = apply_batch(s, "SELECT " PG_VIEW_COLUMNS DEFERRED_WHERE BATCH_LOCK, NULL, rules,
			    now, doing, err);
	if (n >= 0 && count)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* One range seek per (state, profile) on jobs_unconfirmed. */
#define UNCONFIRMED_WHERE " FROM jobs j WHERE j.state IN ('sent', 'delivered') " \
	"AND j.profile = $1 AND j.sent_at < $2"

int pg_apply_unconfirmed(struct store *base, const char *profile, int64_t cutoff,
			 const struct store_rules *rules, int64_t now, int *count,
			 struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "handling unconfirmed jobs";
	struct pg_params p = { 0 };
	pg_param_text(&p, profile);
	pg_param_int(&p, cutoff);
	int64_t any;
	int found = pg_int(s, "SELECT 1" UNCONFIRMED_WHERE " LIMIT 1", &p, 0, &any, doing, err);
	if (found <= 0)
		return found;
	int n = apply_batch(s, "SELECT " PG_VIEW_COLUMNS UNCONFIRMED_WHERE BATCH_LOCK, &p, rules,
			    now, doing, err);
	if (n >= 0)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* ---- job fields ---- */

int pg_set_imei(struct store *base, int64_t id, const char *imei, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	pg_param_text(&p, imei);
	int64_t n = pg_run(pg_of(base), "UPDATE jobs SET imei = $2 WHERE id = $1", &p,
			   "recording the unit's IMEI", err);
	if (n < 0)
		return -1;
	if (n == 0)
		return errbuf_set(err, "no such job %" PRId64, id);
	return 0;
}

int pg_job_info(struct store *base, int64_t id, struct notify_info *out, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_int(&p, id);
	PGresult *res = pg_query(pg_of(base), "SELECT imei, sent_at, delivered_at, confirmed_at, "
				 "notified_at, notify_code, notify_text FROM jobs WHERE id = $1", &p,
				 "reading a job's reports", err);
	if (!res)
		return -1;
	memset(out, 0, sizeof *out);
	out->notify_code = -1;
	int found = PQntuples(res) > 0;
	if (found) {
		pg_col_text(out->imei, sizeof out->imei, res, 0, 0);
		out->sent_at = pg_col_int(res, 0, 1, 0);
		out->delivered_at = pg_col_int(res, 0, 2, 0);
		out->confirmed_at = pg_col_int(res, 0, 3, 0);
		out->notified_at = pg_col_int(res, 0, 4, 0);
		out->notify_code = (int)pg_col_int(res, 0, 5, -1);
		pg_col_text(out->notify_text, sizeof out->notify_text, res, 0, 6);
	}
	PQclear(res);
	return found;
}
