/* sqlite_import.c - the SQLite engine's rollout import: the rollout row in
 * state 'importing', its units collected in a bounded buffer while no lock
 * is held, then written 256 per INSERT in transactions of at most
 * store_write_slice_ms, then the flip to active (see store_import_begin
 * in store_rollouts.h, and bench/README.md for what makes it fast). */
#include "sqlite_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* More cache than SQLite's default 2 MB for the jobs table's indexes (a
 * million random msisdn keys thrash it), bounded so that the import's
 * memory does not grow with the fleet (bench/import_memory.sh: 28 MiB
 * leaves room for the unit buffer under 64 MB; 256 MiB was no faster for
 * bench/import). */
#define IMPORT_CACHE_KIB 28672
/* Units per INSERT statement. Each run of a statement has a fixed cost
 * (AUTOINCREMENT reads and writes sqlite_sequence; a cursor is opened on
 * the table and each index) that, paid per unit, was most of the import. */
#define INSERT_BATCH 256
#define INSERT_CONST_PARAMS 5   /* action, rollout, max_attempts, now, deadline */
#define INSERT_ROW_PARAMS 6     /* msisdn, profile, not_before, imei, wave, meta */
/* Units collected between two transactions, at most. Filling the buffer
 * (the caller's parsing and checking) is the pause that lets a waiting
 * modem take the lock, instead of a sleep; a transaction then only
 * inserts. The buffer starts at one batch and doubles while a slice
 * writes all of it in less than store_write_slice_ms, up to this (about
 * 2 MiB: the memory bound of bench/import_memory.sh). */
#define BUFFER_UNITS 16384
_Static_assert(BUFFER_UNITS % INSERT_BATCH == 0, "the buffer holds whole batches");

/* A unit waiting in the buffer: copies, since the caller's strings (a CSV
 * reader's record) change with the next row. */
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
	int64_t committed_at;                   /* monotonic ms of the last commit, 0 = none */
	int64_t inserted;                       /* units written so far */
	/* For the debug log: when begin ran, the transactions, their time
	 * (begin to commit: the write lock), the checkpoints' time. */
	int64_t begun_at, slices, longest_ms, locked_ms, commit_ms, checkpoint_ms;
	int autocheckpoint_before;
	char name[STORE_NAME_MAX];
	enum otap_action action;
	int max_attempts;
	int64_t now;
	int64_t deadline;                       /* 0 = none */
	int64_t cache_before;
	sqlite3_stmt *full;                     /* INSERT of INSERT_BATCH units */
	struct batch_unit *units;               /* BUFFER_UNITS */
	size_t count, target;                   /* buffered; written at target */
	char *meta;                             /* the buffered units' metadata objects */
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

/* The connection's wal_autocheckpoint (pages; SQLite's default when it
 * cannot be read). */
static int autocheckpoint(sqlite3 *db)
{
	int64_t pages = 1000;
	db_int(db, db_prepare(db, "PRAGMA wal_autocheckpoint", "reading the checkpoint setting",
			      NULL), 1000, &pages, "reading the checkpoint setting", NULL);
	return (int)pages;
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

/* Binds the n buffered units from `first` into st (prepared for exactly n
 * rows) and runs it. Text is bound SQLITE_STATIC: it lives in the buffer,
 * untouched until the statement has run. */
static int run_batch(struct sqlite_import *imp, sqlite3_stmt *st, size_t first, size_t n,
		     struct errbuf *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct batch_unit *u = &imp->units[first + i];
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
		return errbuf_prefix(err, "lines %zu-%zu", imp->units[first].line,
				     imp->units[first + n - 1].line);
	return 0;
}

/* Waits until SQLITE_WRITE_PAUSE_MS have passed since the last commit
 * (usually they have: filling the buffer took longer). */
static void pause_rest(const struct sqlite_import *imp)
{
	int64_t rest = imp->committed_at + SQLITE_WRITE_PAUSE_MS - clock_mono_ms();
	if (imp->committed_at && rest > 0)
		nanosleep(&(struct timespec){ .tv_nsec = rest * 1000000L }, NULL);
}

/* Inserts n buffered units from `first`, a full batch with the prepared
 * statement, a short one with its own. */
static int insert_units(struct sqlite_import *imp, size_t first, size_t n, struct errbuf *err)
{
	bool full = n == INSERT_BATCH;
	sqlite3_stmt *st = full ? imp->full : prepare_insert(imp, n, err);
	int rc = st ? run_batch(imp, st, first, n, err) : -1;
	if (!full)
		sqlite3_finalize(st);
	return rc;
}

/* Drops the first n buffered units (written), keeping the rest and their
 * metadata at the front. */
static void buffer_shift(struct sqlite_import *imp, size_t n)
{
	if (n == imp->count) {
		imp->count = imp->meta_len = 0;
		return;
	}
	size_t meta_from = imp->units[n].meta_off;
	memmove(imp->units, imp->units + n, (imp->count - n) * sizeof *imp->units);
	imp->count -= n;
	memmove(imp->meta, imp->meta + meta_from, imp->meta_len - meta_from);
	imp->meta_len -= meta_from;
	for (size_t i = 0; i < imp->count; i++)
		imp->units[i].meta_off -= meta_from;
}

/* One transaction: inserts buffered units, a batch at a time, until the
 * buffer is empty or store_write_slice_ms have passed, and commits. What
 * is left stays buffered for the next one. Returns 0 or -1 (the
 * transaction rolled back). */
static int write_slice(struct sqlite_import *imp, struct errbuf *err)
{
	struct db_tx tx;
	size_t done = 0;
	pause_rest(imp);
	if (db_tx_begin(&tx, imp->s->db, "importing units", err) < 0)
		return -1;
	/* From here the write lock is ours (BEGIN IMMEDIATE waited for it). */
	int64_t start = clock_mono_ms(), end = start + store_write_slice_ms;
	do {
		size_t n = imp->count - done < INSERT_BATCH ? imp->count - done : INSERT_BATCH;
		if (insert_units(imp, done, n, err) < 0) {
			db_tx_rollback(&tx);
			return -1;
		}
		done += n;
	} while (done < imp->count && clock_mono_ms() < end);
	if (done == imp->count && clock_mono_ms() < end && imp->target < BUFFER_UNITS)
		imp->target *= 2;
	int64_t committing = clock_mono_ms();
	if (db_tx_commit(&tx, "importing units", err) < 0) {
		db_tx_rollback(&tx);
		return -1;
	}
	int64_t committed = clock_mono_ms();
	imp->slices++;
	imp->commit_ms += committed - committing;
	imp->locked_ms += committed - start;
	if (committed - start > imp->longest_ms)
		imp->longest_ms = committed - start;
	/* What the automatic checkpoint would do at once (the slice's pages
	 * into the database file, so that the log does not grow and otapd's
	 * next commit has none to do), but timed apart: it does not hold the
	 * write lock. Best effort, as the automatic one. */
	sqlite3_wal_checkpoint_v2(imp->s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	imp->committed_at = clock_mono_ms();
	imp->checkpoint_ms += imp->committed_at - committed;
	imp->inserted += (int64_t)done;
	buffer_shift(imp, done);
	return 0;
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
	sqlite3_wal_autocheckpoint(imp->s->db, imp->autocheckpoint_before);
	free(imp->units);
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
	struct batch_unit *units = calloc(BUFFER_UNITS, sizeof *units);
	if (!imp || !units) {
		free(imp);
		free(units);
		return errbuf_set(err, "importing units: out of memory");
	}
	*imp = (struct sqlite_import){ .base.store = base, .s = s, .action = r->action,
				       .max_attempts = max_attempts, .now = now,
				       .deadline = r->deadline, .cache_before = -2000,
				       .units = units, .target = INSERT_BATCH, .begun_at = clock_mono_ms(),
				       .autocheckpoint_before = autocheckpoint(s->db) };
	snprintf(imp->name, sizeof imp->name, "%s", r->name);
	set_cache_size(s->db, -IMPORT_CACHE_KIB, &imp->cache_before);
	sqlite3_wal_autocheckpoint(s->db, 0);   /* write_slice checkpoints */
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

/* snprintf(dst, size, "%s", src) without the format parsing, which was a
 * measurable part of buffering a unit. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int sqlite_import_add(struct store_import *base, const struct import_unit *u, struct errbuf *err)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	struct batch_unit *b = &imp->units[imp->count];
	copy_str(b->msisdn, sizeof b->msisdn, u->msisdn);
	copy_str(b->profile, sizeof b->profile, u->profile);
	copy_str(b->imei, sizeof b->imei, u->imei ? u->imei : "");
	b->wave = u->wave;
	b->not_before = u->not_before;
	b->line = u->line;
	b->meta_off = imp->meta_len;
	b->meta_len = u->meta ? u->meta_len : 0;
	if (b->meta_len && !meta_append(imp, u->meta, u->meta_len))
		return errbuf_set(err, "importing units: out of memory");
	if (++imp->count < imp->target)
		return 0;
	return write_slice(imp, err);
}

/* Undoes what was staged: the committed slices are deleted with the row
 * (a failed slice rolled back itself; a crash leaves them to the next
 * create or cancel). */
static void discard(struct sqlite_import *imp)
{
	struct errbuf ignored;
	if (sqlite_staged_delete(imp->s->db, imp->name, NULL, &ignored) < 0)
		log_warnx("rollout %s: the interrupted import is left in state importing (%s); "
			  "otapctl rollout cancel %s deletes it", imp->name, ignored.msg, imp->name);
}

int sqlite_import_commit(struct store_import *base, struct errbuf *err)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	int rc = 0;
	while (rc == 0 && imp->count > 0)
		rc = write_slice(imp, err);
	if (rc == 0) {
		pause_rest(imp);
		rc = sqlite_staged_activate(imp->s->db, imp->name, imp->inserted, imp->now, err);
	}
	if (rc < 0)
		discard(imp);
	else
		log_debug("rollout %s: %" PRId64 " units written in %" PRId64 " ms: %" PRId64
			  " transactions, %" PRId64 " ms in all (commits %" PRId64 " ms), the longest "
			  "%" PRId64 " ms; checkpoints %" PRId64 " ms", imp->name, imp->inserted,
			  clock_mono_ms() - imp->begun_at, imp->slices, imp->locked_ms,
			  imp->commit_ms, imp->longest_ms, imp->checkpoint_ms);
	import_free(imp);
	return rc;
}

void sqlite_import_abort(struct store_import *base)
{
	struct sqlite_import *imp = (struct sqlite_import *)base;
	discard(imp);
	import_free(imp);
}
