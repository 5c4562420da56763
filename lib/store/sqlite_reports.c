/* sqlite_reports.c - the SQLite engine's side of the units' reports: the
 * parts of each send, finding the job a notification or status report is
 * for, and writing the change the caller's rules planned together with its
 * attempt row, in one transaction (see store_reports.h). */
#include "sqlite_engine.h"
#include "report_match.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Rows handled per transaction by the deferred and unconfirmed sweeps. */
#define REPORT_BATCH 256

#define OPEN_STATES "'queued','sending','sent','delivered'"

/* ---- rows ---- */

void sqlite_view_from_row(sqlite3_stmt *st, int col, struct job_view *j)
{
	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(st, col);
	if (job_state_parse((const char *)sqlite3_column_text(st, col + 1), &j->state) < 0)
		j->state = JOB_FAILED;          /* unreachable: the CHECK constraint */
	j->action = sqlite_action_from((const char *)sqlite3_column_text(st, col + 2));
	j->attempts = sqlite3_column_int(st, col + 3);
	j->max_attempts = sqlite3_column_int(st, col + 4);
	j->notify_code = (int)db_column_or(st, col + 5, -1);
	j->notified_at = db_column_or(st, col + 6, 0);
	j->sent_at = db_column_or(st, col + 7, 0);
	db_copy_column(j->msisdn, sizeof j->msisdn, st, col + 8);
	db_copy_column(j->notify_text, sizeof j->notify_text, st, col + 9);
	j->notify_pending = sqlite3_column_int(st, col + 10) != 0;
}

/* Steps st into rows (at most max) and finalizes it. Returns the count or -1. */
static int load_views(sqlite3 *db, sqlite3_stmt *st, struct job_view *rows, int max,
		      const char *doing, struct errbuf *err)
{
	int n = 0, rc = 1;
	if (!st)
		return -1;
	while (n < max && (rc = db_step(db, st, doing, err)) == 1)
		sqlite_view_from_row(st, 0, &rows[n++]);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : n;
}

/* ---- the parts of a send ---- */

int sqlite_insert_part(struct sqlite_store *s, int64_t job_id, int send, const char *modem,
		       int mr, const char *message_id, int part, int count, int64_t now,
		       struct errbuf *err)
{
	const char *doing = "recording the parts of a send";
	sqlite3_stmt *prune = sqlite_stmt(s, ST_PRUNE_PARTS, doing, err);
	sqlite3_stmt *insert = prune ? sqlite_stmt(s, ST_INSERT_PART, doing, err) : NULL;
	if (!insert)
		return -1;
	db_bind_text(prune, 1, modem);
	sqlite3_bind_int(prune, 2, mr);
	sqlite3_bind_int64(prune, 3, now - NOTIFY_REPORT_HORIZON_MS);
	sqlite3_bind_int64(insert, 1, job_id);
	sqlite3_bind_int(insert, 2, send);
	sqlite3_bind_int(insert, 3, part);
	sqlite3_bind_int(insert, 4, count);
	db_bind_text(insert, 5, modem);
	sqlite3_bind_int(insert, 6, mr);
	sqlite3_bind_int64(insert, 7, now);
	db_bind_text(insert, 8, message_id);
	if (db_run(s->db, prune, doing, err) < 0 || db_run(s->db, insert, doing, err) < 0)
		return -1;
	return 0;
}

/* The parts recorded early for this send (store_record_part) are replaced:
 * the whole send is recorded here once. */
int sqlite_record_parts(struct sqlite_store *s, int64_t job_id, int send, const char *modem,
			const struct sent_parts *parts, int64_t now, struct errbuf *err)
{
	const char *doing = "recording the parts of a send";
	sqlite3_stmt *clear = db_prepare(s->db, "DELETE FROM sent_parts WHERE job_id = ?1 AND "
					 "attempt = ?2", doing, err);
	if (clear) {
		sqlite3_bind_int64(clear, 1, job_id);
		sqlite3_bind_int(clear, 2, send);
	}
	if (db_run_once(s->db, clear, doing, err) < 0)
		return -1;
	for (size_t i = 0; i < parts->count; i++) {
		const char *id = parts->message_id ? parts->message_id[i] : NULL;
		if (sqlite_insert_part(s, job_id, send, modem, id ? 0 : parts->mr[i], id, (int)i + 1,
				       (int)parts->count, now, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- writing a planned change ---- */

static int write_change(sqlite3 *db, int64_t id, int64_t now, const struct job_change *c,
			struct errbuf *err)
{
	const char *doing = "recording a report on a job";
	/* Right-hand sides see the row before the update: updated_at moves
	 * only with a state change (it means "last state change"). */
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET state = ?2, "
		"updated_at = CASE WHEN state <> ?2 THEN ?3 ELSE updated_at END, "
		"not_before = CASE WHEN ?4 THEN ?3 ELSE not_before END, "
		"last_error = CASE WHEN ?5 THEN ?6 ELSE last_error END, "
		"notify_code = CASE WHEN ?7 THEN ?8 ELSE notify_code END, "
		"notify_text = CASE WHEN ?7 THEN ?9 ELSE notify_text END, "
		"notified_at = CASE WHEN ?7 THEN ?3 ELSE notified_at END, "
		"confirmed_at = CASE WHEN ?10 THEN ?3 ELSE confirmed_at END, "
		"delivered_at = CASE WHEN ?11 THEN ?3 ELSE delivered_at END, "
		"notify_pending = CASE WHEN ?12 THEN 1 WHEN ?13 THEN 0 ELSE notify_pending END "
		"WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, job_state_name(c->state));
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, c->requeue);
	sqlite3_bind_int(st, 5, c->set_error);
	db_bind_text(st, 6, c->error);
	sqlite3_bind_int(st, 7, c->report != NULL);
	if (c->report) {
		sqlite3_bind_int(st, 8, c->report->code);
		db_bind_text(st, 9, c->report->text[0] ? c->report->text : NULL);
	}
	sqlite3_bind_int(st, 10, c->confirmed);
	sqlite3_bind_int(st, 11, c->delivered);
	sqlite3_bind_int(st, 12, c->defer);
	sqlite3_bind_int(st, 13, c->undefer);
	return db_run_once(db, st, doing, err);
}

/* The event a change records: a delivery report, or the unit's report. */
static int change_event(struct sqlite_store *s, int64_t id, int64_t now,
			const struct job_change *c, struct errbuf *err)
{
	if (c->report)
		return sqlite_insert_event(s, id, EVENT_NOTIFIED, now, c->report->code, NULL, err);
	if (c->delivered)
		return sqlite_insert_event(s, id, EVENT_DELIVERED, now, -1, NULL, err);
	return 0;
}

/* Writes the change to job id with its attempt row and event. The event
 * goes first: a notification on a confirmed job is late, and so is one
 * that confirms a cancelled job, as they were before the change. Returns
 * 0 or -1. */
static int apply_change(struct sqlite_store *s, int64_t id, int64_t now,
			const struct job_change *c, struct errbuf *err)
{
	if (change_event(s, id, now, c, err) < 0 || write_change(s->db, id, now, c, err) < 0)
		return -1;
	return sqlite_insert_attempt(s, id, now, now, c->modem, c->result, -1, c->mrs, c->detail,
				     err);
}

/* Plans and applies the rules to each of rows, in the caller's
 * transaction. changes[i] gets row i's plan; changed[i] whether it was
 * written. Returns 0 or -1. */
static int apply_rules(struct sqlite_store *s, const struct job_view *rows, int n,
		       const struct store_rules *rules, int64_t now, struct job_change *changes,
		       bool *changed, struct errbuf *err)
{
	for (int i = 0; i < n; i++) {
		memset(&changes[i], 0, sizeof changes[i]);
		changes[i].state = rows[i].state;
		changed[i] = rules->plan(&rows[i], rules->arg, &changes[i]);
		if (changed[i] && apply_change(s, rows[i].id, now, &changes[i], err) < 0)
			return -1;
	}
	return 0;
}

static void tell_committed(const struct store_rules *rules, const struct job_view *rows, int n,
			   const struct job_change *changes, const bool *changed)
{
	for (int i = 0; rules->committed && i < n; i++) {
		if (changed[i])
			rules->committed(&rows[i], &changes[i], rules->arg);
	}
}

/* One transaction over up to REPORT_BATCH jobs that query (bound by bind)
 * selects with SQLITE_VIEW_COLUMNS. Returns how many, or -1. */
static int apply_batch(struct sqlite_store *s, const char *sql,
		       void (*bind)(sqlite3_stmt *st, const void *arg), const void *bind_arg,
		       const struct store_rules *rules, int64_t now, const char *doing,
		       struct errbuf *err)
{
	struct job_view *rows = calloc(REPORT_BATCH, sizeof *rows);
	struct job_change *changes = calloc(REPORT_BATCH, sizeof *changes);
	bool *changed = calloc(REPORT_BATCH, sizeof *changed);
	struct db_tx t;
	int n = -1;
	if (!rows || !changes || !changed) {
		errbuf_set(err, "%s: out of memory", doing);
		goto out;
	}
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		goto out;
	sqlite3_stmt *st = db_prepare(s->db, sql, doing, err);
	if (st && bind)
		bind(st, bind_arg);
	n = load_views(s->db, st, rows, REPORT_BATCH, doing, err);
	if (n < 0 || apply_rules(s, rows, n, rules, now, changes, changed, err) < 0 ||
	    db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		n = -1;
		goto out;
	}
	tell_committed(rules, rows, n, changes, changed);
out:
	free(rows);
	free(changes);
	free(changed);
	return n;
}

/* In the open transaction t on job j: asks the rules, writes the change
 * when there is one, commits (a rollback when there is nothing to write),
 * and tells the rules what was committed. Fills *out. Returns 0 or -1. */
static int plan_and_apply(struct sqlite_store *s, struct db_tx *t, const struct job_view *j,
			  const struct store_rules *rules, int64_t now, struct notify_applied *out,
			  const char *doing, struct errbuf *err)
{
	struct job_change c = { .state = j->state };
	out->job_id = j->id;
	out->before = out->after = j->state;
	out->result = NOTIFY_UNCHANGED;
	if (!rules->plan(j, rules->arg, &c)) {
		db_tx_rollback(t);
		return 0;
	}
	if (apply_change(s, j->id, now, &c, err) < 0 || db_tx_commit(t, doing, err) < 0) {
		db_tx_rollback(t);
		return -1;
	}
	out->result = NOTIFY_APPLIED;
	out->after = c.state;
	if (rules->committed)
		rules->committed(j, &c, rules->arg);
	return 0;
}

/* ---- notifications ---- */

/* Reads the job key names, with its token. Returns 1, 0, or -1. */
static int load_keyed(sqlite3 *db, const struct job_key *key, struct job_view *j,
		      char *token, size_t cap, struct errbuf *err)
{
	const char *doing = key->id > 0 ? "reading a job" : "finding the job of an IMEI";
	/* By IMEI: the unit's most recently sent open job, else its most
	 * recently sent job; few rows per IMEI, found through jobs_imei. */
	sqlite3_stmt *st = key->id > 0 ?
		db_prepare(db, "SELECT " SQLITE_VIEW_COLUMNS ", j.notify_token FROM jobs j "
			   "WHERE j.id = ?1", doing, err) :
		db_prepare(db, "SELECT " SQLITE_VIEW_COLUMNS ", j.notify_token FROM jobs j "
			   "WHERE j.imei = ?2 AND j.sent_at IS NOT NULL "
			   "ORDER BY j.state IN (" OPEN_STATES ") DESC, j.sent_at DESC, j.id DESC "
			   "LIMIT 1", doing, err);
	if (!st)
		return -1;
	if (key->id > 0)
		sqlite3_bind_int64(st, 1, key->id);
	else
		db_bind_text(st, 2, key->imei);
	int found = db_step(db, st, doing, err);
	if (found > 0) {
		sqlite_view_from_row(st, 0, j);
		db_copy_column(token, cap, st, 11);
	}
	sqlite3_finalize(st);
	return found;
}

/* Returns 1 when the job exists and the key's token (if any) matches. */
static int find_target(sqlite3 *db, const struct job_key *key, struct job_view *j,
		       struct errbuf *err)
{
	char token[NOTIFY_TOKEN_LEN + 8] = "";
	int found = load_keyed(db, key, j, token, sizeof token, err);
	if (found == 1 && key->id > 0 && !notify_token_equal(token, key->token))
		found = 0;
	explicit_bzero(token, sizeof token);
	return found;
}

int sqlite_apply_notification(struct store *base, const struct job_key *key,
			      const struct store_rules *rules, int64_t now,
			      struct notify_applied *out, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "applying a notification";
	struct job_view j;
	struct db_tx t;
	/* Checked before taking the write lock: forged or stray requests must
	 * not hold up the modems' writes. */
	int found = find_target(s->db, key, &j, err);
	if (found <= 0 || db_tx_begin(&t, s->db, doing, err) < 0)
		return found <= 0 ? found : -1;
	found = find_target(s->db, key, &j, err);
	if (found <= 0) {
		db_tx_rollback(&t);
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

static sqlite3_stmt *prepare_find_part(sqlite3 *db, const struct part_key *k, int64_t now,
				       const char *doing, struct errbuf *err)
{
	/* Two forms, so that each seeks its own index (sent_parts_mr,
	 * sent_parts_message_id). */
#define FIND_PART(match) "SELECT p.attempt, p.part, p.part_count, " SQLITE_VIEW_COLUMNS \
	" FROM sent_parts p JOIN jobs j ON j.id = p.job_id WHERE p.modem = ?1 AND " match \
	" AND p.sent_at >= ?3 ORDER BY p.sent_at DESC, p.rowid DESC LIMIT ?4"
	sqlite3_stmt *st = db_prepare(db, k->message_id ? FIND_PART("p.message_id = ?5")
							: FIND_PART("p.mr = ?2"), doing, err);
#undef FIND_PART
	if (!st)
		return NULL;
	db_bind_text(st, 1, k->modem);
	sqlite3_bind_int(st, 2, k->mr);
	sqlite3_bind_int64(st, 3, now - NOTIFY_REPORT_HORIZON_MS);
	sqlite3_bind_int(st, 4, k->message_id ? 1 : REPORT_MATCH_CANDIDATES);
	db_bind_text(st, 5, k->message_id);
	return st;
}

/* The newest part sent on k's modem with k's MR (whose number agrees) or
 * message id within the horizon. Returns 1 and fills *j (with the part),
 * 0 for none, or -1. */
static int find_part(sqlite3 *db, const struct part_key *k, int64_t now, struct job_view *j,
		     struct errbuf *err)
{
	const char *doing = k->message_id ? "matching a delivery receipt"
					  : "matching a status report";
	sqlite3_stmt *st = prepare_find_part(db, k, now, doing, err);
	if (!st)
		return -1;
	int rc;
	bool found = false;
	while (!found && (rc = db_step(db, st, doing, err)) == 1) {
		sqlite_view_from_row(st, 3, j);
		j->send = sqlite3_column_int(st, 0);
		j->part = sqlite3_column_int(st, 1);
		j->part_count = sqlite3_column_int(st, 2);
		found = k->message_id || report_numbers_agree(j->msisdn, k->number);
	}
	sqlite3_finalize(st);
	return found ? 1 : rc;
}

/* A status report or receipt applied to the part k names, in one
 * transaction. */
static int apply_part_report(struct sqlite_store *s, const struct part_key *k,
			     const struct store_rules *rules, int64_t now,
			     struct notify_applied *out, struct errbuf *err)
{
	const char *doing = k->message_id ? "applying a delivery receipt"
					  : "applying a status report";
	struct job_view j;
	struct db_tx t;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	int found = find_part(s->db, k, now, &j, err);
	if (found <= 0) {
		db_tx_rollback(&t);
		return found;
	}
	return plan_and_apply(s, &t, &j, rules, now, out, doing, err);
}

int sqlite_apply_status_report(struct store *base, const char *modem, int mr,
			       const char *number, const struct store_rules *rules, int64_t now,
			       struct notify_applied *out, struct errbuf *err)
{
	struct part_key k = { .modem = modem, .mr = mr, .number = number };
	return apply_part_report(sqlite_of(base), &k, rules, now, out, err);
}

int sqlite_apply_receipt(struct store *base, const char *modem, const char *message_id,
			 const struct store_rules *rules, int64_t now,
			 struct notify_applied *out, struct errbuf *err)
{
	struct part_key k = { .modem = modem, .message_id = message_id };
	return apply_part_report(sqlite_of(base), &k, rules, now, out, err);
}

/* ---- deferred notifications and the confirmation timeout ---- */

#define DEFERRED_WHERE " FROM jobs j WHERE j.notify_pending = 1 AND j.state <> 'sending'"

int sqlite_apply_deferred(struct store *base, const struct store_rules *rules, int64_t now,
			  int *count, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "applying deferred notifications";
	/* A read-only probe first, so an idle sweep never takes the write lock. */
	int any = db_exists(s->db, db_prepare(s->db, "SELECT 1" DEFERRED_WHERE " LIMIT 1", doing,
					      err), doing, err);
	if (any <= 0)
		return any;
	int n = apply_batch(s, "SELECT " SQLITE_VIEW_COLUMNS DEFERRED_WHERE, NULL, NULL, rules, now,
			    doing, err);
	if (n >= 0 && count)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* One range seek per (state, profile) on jobs_unconfirmed. */
#define UNCONFIRMED_WHERE " FROM jobs j WHERE j.state IN ('sent', 'delivered') " \
	"AND j.profile = ?1 AND j.sent_at < ?2"

struct unconfirmed_key {
	const char *profile;
	int64_t cutoff;
};

static void bind_unconfirmed(sqlite3_stmt *st, const void *arg)
{
	const struct unconfirmed_key *k = arg;
	db_bind_text(st, 1, k->profile);
	sqlite3_bind_int64(st, 2, k->cutoff);
}

int sqlite_apply_unconfirmed(struct store *base, const char *profile, int64_t cutoff,
			     const struct store_rules *rules, int64_t now, int *count,
			     struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	const char *doing = "handling unconfirmed jobs";
	struct unconfirmed_key key = { profile, cutoff };
	sqlite3_stmt *probe = db_prepare(s->db, "SELECT 1" UNCONFIRMED_WHERE " LIMIT 1", doing, err);
	if (probe)
		bind_unconfirmed(probe, &key);
	int any = db_exists(s->db, probe, doing, err);
	if (any <= 0)
		return any;
	int n = apply_batch(s, "SELECT " SQLITE_VIEW_COLUMNS UNCONFIRMED_WHERE, bind_unconfirmed,
			    &key, rules, now, doing, err);
	if (n >= 0)
		*count = n;
	return n < 0 ? -1 : 0;
}

/* ---- job fields ---- */

int sqlite_set_imei(struct store *base, int64_t id, const char *imei, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "recording the unit's IMEI";
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET imei = ?2 WHERE id = ?1", doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, imei);
	if (db_run_once(db, st, doing, err) < 0)
		return -1;
	if (sqlite3_changes(db) == 0)
		return errbuf_set(err, "no such job %" PRId64, id);
	return 0;
}

int sqlite_job_info(struct store *base, int64_t id, struct notify_info *out, struct errbuf *err)
{
	sqlite3 *db = sqlite_of(base)->db;
	const char *doing = "reading a job's reports";
	sqlite3_stmt *st = db_prepare(db, "SELECT imei, sent_at, delivered_at, confirmed_at, "
				      "notified_at, notify_code, notify_text FROM jobs WHERE id = ?1",
				      doing, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	memset(out, 0, sizeof *out);
	out->notify_code = -1;
	int found = db_step(db, st, doing, err);
	if (found > 0) {
		db_copy_column(out->imei, sizeof out->imei, st, 0);
		out->sent_at = db_column_or(st, 1, 0);
		out->delivered_at = db_column_or(st, 2, 0);
		out->confirmed_at = db_column_or(st, 3, 0);
		out->notified_at = db_column_or(st, 4, 0);
		out->notify_code = (int)db_column_or(st, 5, -1);
		db_copy_column(out->notify_text, sizeof out->notify_text, st, 6);
	}
	sqlite3_finalize(st);
	return found;
}
