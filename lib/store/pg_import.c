/* pg_import.c - the PostgreSQL engine's rollout import: the rollout row in
 * state 'importing' under the import's advisory lock, its units collected
 * as COPY text in a bounded buffer while nothing is held, each full buffer
 * written by one COPY FROM STDIN (its own short transaction), then the
 * flip to active (see store_import_begin in store_rollouts.h; the SQLite
 * twin is sqlite_import.c).
 *
 * Why not one COPY from the first unit to the last: the caller uses the
 * same connection between units (the fleet check's repeated rows), which
 * a connection in COPY mode cannot serve. A COPY per buffer is as fast
 * (bench/README.md) and keeps the memory bounded. */
#include "pg_shared.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* Some 100 bytes of COPY text a unit with metadata: tens of thousands of
 * units a COPY. */
int pg_import_flush_bytes = PG_IMPORT_FLUSH_BYTES;

#define COPY_JOBS "COPY jobs (msisdn, profile, action, rollout, not_before, max_attempts, " \
	"created_at, updated_at, imei, wave, meta, deadline) FROM STDIN"

struct pg_import {
	struct store_import base;
	struct pg_store *s;
	char name[STORE_NAME_MAX];
	const char *action;
	int max_attempts;
	int64_t now;
	int64_t deadline;               /* 0 = none */
	struct pg_copybuf rows;
	size_t first_line, last_line;   /* of the buffered units, for messages */
	int64_t buffered, inserted;     /* units */
	int64_t begun_at, copies, copy_ms;
};

/* The row's columns but the window gate, which write_gate adds: more
 * than a statement's PG_PARAMS_MAX parameters together. */
static int insert_row(struct pg_store *s, const struct rollout *r, int64_t now,
		      struct errbuf *err)
{
	char waves[128], rate[32];
	rollout_waves_format(&r->waves, waves, sizeof waves);
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_text(&p, r->profile);
	pg_param_text(&p, pg_action_name(r->action));
	if (!window_is_always(&r->window)) {
		pg_param_int(&p, r->window.start_min);
		pg_param_int(&p, r->window.end_min);
	} else {
		pg_param_null(&p);
		pg_param_null(&p);
	}
	pg_param_text(&p, r->tz[0] ? r->tz : NULL);
	pg_param_int(&p, r->rate_per_min);
	pg_param_text(&p, waves);
	snprintf(rate, sizeof rate, "%.17g", r->max_failure_pct / (double)ROLLOUT_PCT_SCALE);
	pg_param_text(&p, r->max_failure_pct >= 0 ? rate : NULL);
	pg_param_bool(&p, r->await_confirmation);
	pg_param_int(&p, r->start_at);
	pg_param_int(&p, r->total_units);
	pg_param_int(&p, now);
	pg_param_text(&p, r->preflight[0] ? r->preflight : NULL);
	if (r->deadline > 0)
		pg_param_int(&p, r->deadline);
	else
		pg_param_null(&p);
	/* importer_pid: this session's server process, which activate checks. */
	return pg_run(s, "INSERT INTO rollouts (name, profile, action, window_start_min, "
		      "window_end_min, tz, rate_per_min, waves, max_failure_rate, await_confirmation, "
		      "start_at, total_units, created_at, updated_at, preflight, state, importer_pid, "
		      "deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, "
		      "$14, 'importing', pg_backend_pid(), $15)", &p, "creating the rollout",
		      err) < 0 ? -1 : 0;
}

static int write_gate(struct pg_store *s, const struct rollout *r, struct errbuf *err)
{
	struct pg_params p = { 0 };
	pg_param_text(&p, r->name);
	pg_param_bool(&p, r->gate_open);
	if (r->next_window_at)
		pg_param_int(&p, r->next_window_at);
	else
		pg_param_null(&p);
	return pg_run(s, "UPDATE rollouts SET gate_open = $2, next_window_at = $3 WHERE name = $1",
		      &p, "creating the rollout", err) < 0 ? -1 : 0;
}

static int insert_rollout(struct pg_store *s, const struct rollout *r, int64_t now,
			  struct errbuf *err)
{
	struct pg_tx t;
	if (pg_tx_begin(&t, s, "creating the rollout", err) < 0)
		return -1;
	if (insert_row(s, r, now, err) < 0 || write_gate(s, r, err) < 0 ||
	    pg_tx_commit(&t, "creating the rollout", err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* Writes the rollout row, state importing: from here on the name is taken.
 * With the import lock held, a row still importing is a dead import's
 * (deleted first, saying so). */
static int create_row(struct pg_store *s, const struct rollout *r, int64_t now,
		      struct errbuf *err)
{
	int64_t jobs = 0;
	int cleared = pg_staged_delete(s, r->name, &jobs, err);
	if (cleared < 0)
		return -1;
	if (cleared == 1)
		log_warnx("rollout %s: deleted an interrupted import of it (%" PRId64 " staged "
			  "units) before importing again", r->name, jobs);
	struct rollout existing;
	int taken = pg_rollout_load(s, r->name, false, &existing, err);
	if (taken == 1)
		errbuf_set(err, "rollout %s already exists (choose another name)", r->name);
	if (taken != 0)
		return -1;
	/* A concurrent create of the same name fails on the primary key. */
	return insert_rollout(s, r, now, err);
}

int pg_import_begin(struct store *base, const struct rollout *r, int max_attempts, int64_t now,
		    struct store_import **out, struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	struct pg_import *imp = calloc(1, sizeof *imp);
	if (!imp)
		return errbuf_set(err, "importing units: out of memory");
	*imp = (struct pg_import){ .base.store = base, .s = s, .action = pg_action_name(r->action),
				   .max_attempts = max_attempts, .now = now,
				   .deadline = r->deadline, .begun_at = clock_mono_ms() };
	snprintf(imp->name, sizeof imp->name, "%s", r->name);
	int locked = pg_import_lock(s, r->name, err);
	if (locked == 0)
		errbuf_set(err, "rollout %s is being imported by another otapctl", r->name);
	if (locked <= 0) {
		free(imp);
		return -1;
	}
	if (create_row(s, r, now, err) < 0) {
		pg_import_unlock(s, r->name);
		free(imp);
		return -1;
	}
	*out = &imp->base;
	return 0;
}

/* One COPY of the buffered units: its own transaction, so that an import
 * that dies leaves only whole buffers behind (deleted by the next create
 * or cancel), and no lock is held between buffers. */
static int flush(struct pg_import *imp, struct errbuf *err)
{
	if (imp->buffered == 0)
		return 0;
	int64_t start = clock_mono_ms();
	int64_t n = pg_copy_in(imp->s, COPY_JOBS, &imp->rows, "importing units", err);
	if (n < 0)
		return errbuf_prefix(err, "lines %zu-%zu", imp->first_line, imp->last_line);
	imp->copies++;
	imp->copy_ms += clock_mono_ms() - start;
	imp->inserted += n;
	imp->buffered = 0;
	pg_copy_reset(&imp->rows);
	return 0;
}

int pg_import_add(struct store_import *base, const struct import_unit *u, struct errbuf *err)
{
	struct pg_import *imp = (struct pg_import *)base;
	struct pg_copybuf *b = &imp->rows;
	if (imp->buffered++ == 0)
		imp->first_line = u->line;
	imp->last_line = u->line;
	pg_copy_str(b, u->msisdn);
	pg_copy_str(b, u->profile);
	pg_copy_str(b, imp->action);
	pg_copy_str(b, imp->name);
	pg_copy_int(b, u->not_before);
	pg_copy_int(b, imp->max_attempts);
	pg_copy_int(b, imp->now);
	pg_copy_int(b, imp->now);
	pg_copy_str(b, u->imei && u->imei[0] ? u->imei : NULL);
	pg_copy_int(b, u->wave);
	if (u->meta && u->meta_len)
		pg_copy_text(b, u->meta, u->meta_len);
	else
		pg_copy_null(b);
	if (imp->deadline > 0)
		pg_copy_int(b, imp->deadline);
	else
		pg_copy_null(b);
	pg_copy_end_row(b);
	if (b->oom)
		return errbuf_set(err, "importing units: out of memory");
	return b->len >= (size_t)pg_import_flush_bytes ? flush(imp, err) : 0;
}

static void import_free(struct pg_import *imp)
{
	pg_import_unlock(imp->s, imp->name);
	pg_copy_free(&imp->rows);
	free(imp);
}

/* Undoes what was staged: the copied buffers are deleted with the row. */
static void discard(struct pg_import *imp)
{
	struct errbuf ignored;
	if (pg_staged_delete(imp->s, imp->name, NULL, &ignored) < 0)
		log_warnx("rollout %s: the interrupted import is left in state importing (%s); "
			  "otapctl rollout cancel %s deletes it", imp->name, ignored.msg, imp->name);
}

int pg_import_commit(struct store_import *base, struct errbuf *err)
{
	struct pg_import *imp = (struct pg_import *)base;
	int rc = flush(imp, err);
	if (rc == 0)
		rc = pg_staged_activate(imp->s, imp->name, imp->inserted, imp->now, err);
	if (rc < 0)
		discard(imp);
	else
		log_debug("rollout %s: %" PRId64 " units written in %" PRId64 " ms: %" PRId64
			  " COPYs, %" PRId64 " ms in all", imp->name, imp->inserted,
			  clock_mono_ms() - imp->begun_at, imp->copies, imp->copy_ms);
	import_free(imp);
	return rc;
}

void pg_import_abort(struct store_import *base)
{
	struct pg_import *imp = (struct pg_import *)base;
	if (!imp)
		return;
	discard(imp);
	import_free(imp);
}
