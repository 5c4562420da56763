/* sqlite_import.c - the SQLite engine's rollout import: the rollout row in
 * state 'importing', its units 256 per INSERT in transactions of at most
 * store_write_slice_ms, then the flip to active (see store_import_begin
 * in store_rollouts.h, and bench/README.md for what makes it fast). */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* More cache than SQLite's default 2 MB for the jobs table's indexes (a
 * million random msisdn keys thrash it), bounded so that the import's
 * memory does not grow with the fleet (bench/import_memory.sh). */
#define IMPORT_CACHE_KIB 32768
/* Units per INSERT statement. Each run of a statement has a fixed cost
 * (AUTOINCREMENT reads and writes sqlite_sequence; a cursor is opened on
 * the table and each index) that, paid per unit, was most of the import. */
#define INSERT_BATCH 256
#define INSERT_CONST_PARAMS 5   /* action, rollout, max_attempts, now, deadline */
#define INSERT_ROW_PARAMS 6     /* msisdn, profile, not_before, imei, wave, meta */

/* A unit waiting in the current batch: copies, since the caller's strings
 * (a CSV reader's record) change with the next row. */
struct batch_unit {
	char msisdn[MSISDN_MAX_LEN + 1];
	char profile[STORE_NAME_MAX];
	char imei[NOTIFY_IMEI_LEN + 1];         /* "" = none */
	int wave;
	int64_t not_before;
	size_t meta_off, meta_len;              /* in meta; len 0 = none */
	size_t line;
};

struct sqlite_import {
	struct store_import base;
	struct sqlite_store *s;
	struct db_tx tx;
	bool in_tx;                             /* a slice's transaction is open */
	int64_t slice_end;                      /* monotonic ms: commit the slice then */
	int64_t inserted;                       /* units written so far */
	char name[STORE_NAME_MAX];
	enum otap_action action;
	int max_attempts;
	int64_t now;
	int64_t deadline;                       /* 0 = none */
	int64_t cache_before;
	sqlite3_stmt *full;                     /* INSERT of INSERT_BATCH units */
	struct batch_unit units[INSERT_BATCH];
	size_t count;
	char *meta;                             /* the batch's metadata objects */
	size_t meta_len, meta_cap;
};

/* Sets the connection's page cache (PRAGMA cache_size semantics: negative
 * = KiB); *before (may be NULL) gets the previous setting. Best effort: a
 * failure only makes the import slower. */
static void set_cache_size(sqlite3 *db, int64_t size, int64_t *before)
{
	char sql[64];
	if (before)
		db_int(db, db_prepare(db, "PRAGMA cache_size", "reading the cache size", NULL), -2000,
		       before, "reading the cache size", NULL);
	snprintf(sql, sizeof sql, "PRAGMA cache_size = %" PRId64, size);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int insert_rollout(sqlite3 *db, const struct rollout *r, int64_t now, struct errbuf *err)
{
	const char *doing = "creating the rollout";
	char waves[128];
	rollout_waves_format(&r->waves, waves, sizeof waves);
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO rollouts (name, profile, action, "
		"window_start_min, window_end_min, tz, rate_per_min, waves, max_failure_rate, "
		"await_confirmation, start_at, total_units, gate_open, next_window_at, created_at, "
		"updated_at, preflight, state, importer_pid, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, 'importing', ?17, ?18)", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, r->name);
	db_bind_text(st, 2, r->profile);
	db_bind_text(st, 3, sqlite_action_name(r->action));
	if (!window_is_always(&r->window)) {
		sqlite3_bind_int(st, 4, r->window.start_min);
		sqlite3_bind_int(st, 5, r->window.end_min);
	}
	db_bind_text(st, 6, r->tz[0] ? r->tz : NULL);
	sqlite3_bind_int(st, 7, r->rate_per_min);
	db_bind_text(st, 8, waves);
	if (r->max_failure_pct >= 0)
		sqlite3_bind_double(st, 9, r->max_failure_pct / (double)ROLLOUT_PCT_SCALE);
	sqlite3_bind_int(st, 10, r->await_confirmation);
	sqlite3_bind_int64(st, 11, r->start_at);
	sqlite3_bind_int64(st, 12, r->total_units);
	sqlite3_bind_int(st, 13, r->gate_open);
	if (r->next_window_at)
		sqlite3_bind_int64(st, 14, r->next_window_at);
	sqlite3_bind_int64(st, 15, now);
	db_bind_text(st, 16, r->preflight[0] ? r->preflight : NULL);
	sqlite3_bind_int(st, 17, (int)getpid());
	if (r->deadline > 0)
		sqlite3_bind_int64(st, 18, r->deadline);
	return db_run_once(db, st, doing, err);
}

/* Prepares an INSERT of `rows` units. The values that are the same for
 * every unit are ?1-?5, bound once; unit i has ?(6 + 6i) to ?(11 + 6i). */
static sqlite3_stmt *prepare_insert(struct sqlite_import *imp, size_t rows, struct errbuf *err)
{
	size_t size = 256 + rows * 64, n;
	char *sql = malloc(size);
	if (!sql) {
		errbuf_set(err, "importing units: out of memory");
		return NULL;
	}
	n = (size_t)snprintf(sql, size, "INSERT INTO jobs (msisdn, profile, action, rollout, "
			     "not_before, max_attempts, created_at, updated_at, imei, wave, meta, "
			     "deadline) VALUES ");
	for (size_t i = 0; i < rows; i++) {
		size_t p = INSERT_CONST_PARAMS + i * INSERT_ROW_PARAMS;
		n += (size_t)snprintf(sql + n, size - n,
				      "%s(?%zu,?%zu,?1,?2,?%zu,?3,?4,?4,?%zu,?%zu,?%zu,?5)",
				      i ? "," : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6);
	}
	sqlite3_stmt *st = db_prepare(imp->s->db, sql, "importing units", err);
	free(sql);
	if (!st)
		return NULL;
	/* Bindings survive sqlite3_reset: these stay for every batch. */
	db_bind_text(st, 1, sqlite_action_name(imp->action));
	db_bind_text(st, 2, imp->name);
	sqlite3_bind_int(st, 3, imp->max_attempts);
	sqlite3_bind_int64(st, 4, imp->now);
	if (imp->deadline > 0)
		sqlite3_bind_int64(st, 5, imp->deadline);
	return st;
}

/* Binds the batch's units into st (prepared for exactly that many rows) and
 * runs it. Text is bound SQLITE_STATIC: it lives in the batch, untouched
 * until the statement has run. */
static int run_batch(struct sqlite_import *imp, sqlite3_stmt *st, struct errbuf *err)
{
	for (size_t i = 0; i < imp->count; i++) {
		const struct batch_unit *u = &imp->units[i];
		int p = (int)(INSERT_CONST_PARAMS + i * INSERT_ROW_PARAMS);
		sqlite3_bind_text(st, p + 1, u->msisdn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, p + 2, u->profile, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, p + 3, u->not_before);
		if (u->imei[0])
			sqlite3_bind_text(st, p + 4, u->imei, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, p + 4);
		sqlite3_bind_int(st, p + 5, u->wave);
		if (u->meta_len)
			sqlite3_bind_text(st, p + 6, imp->meta + u->meta_off, (int)u->meta_len,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(st, p + 6);
	}
	int rc = db_step(imp->s->db, st, "importing units", err);
	sqlite3_reset(st);
	if (rc < 0)
		return errbuf_prefix(err, "lines %zu-%zu", imp->units[0].line,
				     imp->units[imp->count - 1].line);
	return 0;
}

/* Commits the open slice, then lets a waiting writer in. Returns 0 or -1. */
static int end_slice(struct sqlite_import *imp, struct errbuf *err)
{
	if (!imp->in_tx)
		return 0;
	imp->in_tx = false;
	if (db_tx_commit(&imp->tx, "importing units", err) < 0) {
		db_tx_rollback(&imp->tx);
		return -1;
	}
	sqlite_write_pause();
	return 0;
}

/* Inserts the units collected so far (a short last batch gets its own
 * statement) in the current slice's transaction, opening one if needed
 * and committing it once it has run for store_write_slice_ms. Returns 0
 * or -1 (the slice rolled back). */
static int flush_batch(struct sqlite_import *imp, struct errbuf *err)
{
	if (imp->count == 0)
		return 0;
	if (!imp->in_tx) {
		if (db_tx_begin(&imp->tx, imp->s->db, "importing units", err) < 0)
			return -1;
		imp->in_tx = true;
		imp->slice_end = clock_mono_ms() + store_write_slice_ms;
	}
	bool full = imp->count == INSERT_BATCH;
	sqlite3_stmt *st = full ? imp->full : prepare_insert(imp, imp->count, err);
	int rc = st ? run_batch(imp, st, err) : -1;
	if (!full)
		sqlite3_finalize(st);
	if (rc == 0)
		imp->inserted += (int64_t)imp->count;
	imp->count = 0;
	imp->meta_len = 0;
	if (rc < 0) {
		db_tx_rollback(&imp->tx);
		imp->in_tx = false;
		return -1;
	}
	return clock_mono_ms() >= imp->slice_end ? end_slice(imp, err) : 0;
}

static bool meta_append(struct sqlite_import *imp, const char *text, size_t len)
{
	if (imp->meta_cap - imp->meta_len < len) {
		size_t cap = imp->meta_cap ? imp->meta_cap : 4096;
		while (cap - imp->meta_len < len)
			cap *= 2;
		char *grown = realloc(imp->meta, cap);
		if (!grown)
			return false;
		imp->meta = grown;
		imp->meta_cap = cap;
	}
	memcpy(imp->meta + imp->meta_len, text, len);
	imp->meta_len += len;
	return true;
}

static void import_free(struct sqlite_import *imp)
{
	sqlite3_finalize(imp->full);
	set_cache_size(imp->s->db, imp->cache_before, NULL);
	free(imp->meta);
	free(imp);
}

/* Writes the rollout row, state importing, in a short transaction of its
 * own: from here on the rollout's name is taken. */
static int create_row(struct sqlite_store *s, const struct rollout *r, int64_t now,
		      struct errbuf *err)
{
	const char *doing = "creating the rollout";
	struct db_tx t;
	struct rollout existing;
	if (db_tx_begin(&t, s->db, doing, err) < 0)
		return -1;
	int taken = sqlite_rollout_load(s->db, r->name, &existing, err);
	if (taken == 1 && existing.state == ROLLOUT_IMPORTING)
		errbuf_set(err, "rollout %s is being imported by another otapctl (pid %d)", r->name,
			   existing.importer_pid);
	else if (taken == 1)
		errbuf_set(err, "rollout %s already exists (choose another name)", r->name);
	if (taken != 0 || insert_rollout(s->db, r, now, err) < 0 ||
	    db_tx_commit(&t, doing, err) < 0) {
		db_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* A rollout of this name left in 'importing' by an import that died is
 * deleted first, saying so. */
static int clear_interrupted(struct sqlite_store *s, const char *name, struct errbuf *err)
{
	int64_t jobs = 0;
	int cleared = sqlite_staged_delete(s->db, name, &jobs, err);
	if (cleared == 1)
		log_warnx("rollout %s: deleted an interrupted import of it (%" PRId64 " staged "
			  "units) before importing again", name, jobs);
	return cleared < 0 ? -1 : 0;
}

int sqlite_import_begin(struct store *base, const struct rollout *r, int max_attempts,
			int64_t now, struct store_import **out, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	struct sqlite_import *imp = calloc(1, sizeof *imp);
	if (!imp)
		return errbuf_set(err, "importing units: out of memory");
	*imp = (struct sqlite_import){ .base.store = base, .s = s, .action = r->action,
				       .max_attempts = max_attempts, .now = now,
				       .deadline = r->deadline, .cache_before = -2000 };
	snprintf(imp->name, sizeof imp->name, "%s", r->name);
	set_cache_size(s->db, -IMPORT_CACHE_KIB, &imp->cache_before);
	if (clear_interrupted(s, r->name, err) < 0 || create_row(s, r, now, err) < 0) {
		import_free(imp);
		return -1;
	}
	if (!(imp->full = prepare_insert(imp, INSERT_BATCH, err))) {
		sqlite_staged_delete(s->db, imp->name, NULL, NULL);
		import_free(imp);
		return -1;
	}
	*out = &imp->base;
	return 0;
}

int sqlite_import_add(struct store_import *base, const struct import_unit *u, struct errbuf *err)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	struct batch_unit *b = &imp->units[imp->count];
	snprintf(b->msisdn, sizeof b->msisdn, "%s", u->msisdn);
	snprintf(b->profile, sizeof b->profile, "%s", u->profile);
	snprintf(b->imei, sizeof b->imei, "%s", u->imei ? u->imei : "");
	b->wave = u->wave;
	b->not_before = u->not_before;
	b->line = u->line;
	b->meta_off = imp->meta_len;
	b->meta_len = u->meta ? u->meta_len : 0;
	if (b->meta_len && !meta_append(imp, u->meta, u->meta_len))
		return errbuf_set(err, "importing units: out of memory");
	if (++imp->count < INSERT_BATCH)
		return 0;
	return flush_batch(imp, err);
}

/* Undoes what was staged: the open slice is rolled back, the committed
 * ones deleted with the row (a crash instead leaves them to the next
 * create or cancel). */
static void discard(struct sqlite_import *imp)
{
	struct errbuf ignored;
	if (imp->in_tx)
		db_tx_rollback(&imp->tx);
	imp->in_tx = false;
	if (sqlite_staged_delete(imp->s->db, imp->name, NULL, &ignored) < 0)
		log_warnx("rollout %s: the interrupted import is left in state importing (%s); "
			  "otapctl rollout cancel %s deletes it", imp->name, ignored.msg, imp->name);
}

int sqlite_import_commit(struct store_import *base, struct errbuf *err)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	int rc = flush_batch(imp, err);
	if (rc == 0)
		rc = end_slice(imp, err);
	if (rc == 0)
		rc = sqlite_staged_activate(imp->s->db, imp->name, imp->inserted, imp->now, err);
	if (rc < 0)
		discard(imp);
	import_free(imp);
	return rc;
}

void sqlite_import_abort(struct store_import *base)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	discard(imp);
	import_free(imp);
}
