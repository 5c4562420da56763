/* store_admin.h - the operator's housekeeping: retention (store_purge
 * deletes old finished jobs with their history) and the audit trail of
 * operator actions (store_audit_add, store_audit_list). */
#ifndef OTAP_STORE_ADMIN_H
#define OTAP_STORE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include "errbuf.h"
#include "store.h"

/* Jobs deleted per transaction when purge_spec.chunk is 0 (as many as
 * rollout cancel changes per transaction). */
#define STORE_PURGE_CHUNK 10000

struct purge_spec {
	int64_t cutoff;         /* jobs whose last change (updated_at) is before this go */
	bool dry_run;           /* only count what would go; writes nothing */
	int chunk;              /* jobs per transaction; 0 = STORE_PURGE_CHUNK */
};

struct purge_result {
	int64_t jobs;           /* deleted (dry run: would be) */
	int64_t attempts;       /* their attempt rows */
	int64_t events;         /* their download/notify events */
	int64_t sent_parts;     /* their recorded SMS parts */
	int64_t rollouts;       /* finished rollouts left without jobs */
	int64_t transactions;   /* write transactions used (0 for a dry run) */
	bool incremental;       /* the file is in auto_vacuum = incremental mode */
	int64_t pages_freed;    /* pages given back to the file system (incremental
				 * mode only); else the freed pages stay in the file
				 * for reuse */
	int64_t free_pages;     /* pages free inside the file afterwards */
	int64_t page_size;
	bool autovacuum;        /* PostgreSQL: the server's autovacuum makes the freed space
				 * reusable; there is no file to shrink (page figures: 0) */
};

/* Deletes the final jobs (confirmed, failed, cancelled) changed before
 * p->cutoff that belong to no rollout, to a rollout no longer in the store,
 * or to a finished one (done, cancelled) — never a job of an importing,
 * active or paused rollout — with their attempts, events and sent parts
 * (the schema's ON DELETE CASCADE), p->chunk jobs per short write
 * transaction in id order, so otapd's modems wait at most one chunk for
 * the lock. Then deletes the finished rollouts that have no job left and
 * were last changed before the cutoff, then runs PRAGMA incremental_vacuum
 * when the database is in incremental auto-vacuum mode. A failure stops
 * it; what was committed before stays deleted (*out says how much). With
 * p->dry_run it counts the same things and writes nothing. The audit table
 * is not touched. Returns 0 with *out filled, or -1. */
int store_purge(struct store *s, const struct purge_spec *p, struct purge_result *out,
		struct errbuf *err);

#define AUDIT_USER_MAX 64
#define AUDIT_ACTION_MAX 32
#define AUDIT_ARGS_MAX 512
#define AUDIT_RESULT_MAX STORE_TEXT_MAX

struct audit_entry {
	int64_t id;                     /* set by the store */
	int64_t at;
	char user[AUDIT_USER_MAX];
	char action[AUDIT_ACTION_MAX];
	char args[AUDIT_ARGS_MAX];      /* "" when none */
	char result[AUDIT_RESULT_MAX];  /* "" when nothing to say */
};

/* Appends e (its id ignored) in one statement, its own transaction: the
 * caller writes it after its action committed, so a crash in between loses
 * the entry, never the action. user and action must be non-empty; texts
 * must be shorter than their fields and free of control bytes (the caller
 * escapes them). Returns 0 or -1 naming the field. */
int store_audit_add(struct store *s, const struct audit_entry *e, struct errbuf *err);

/* Calls cb for the newest limit entries (0 = all), newest first; non-zero
 * from cb stops. Read-only. Returns 0 or -1. */
int store_audit_list(struct store *s, int limit, int (*cb)(const struct audit_entry *e, void *arg),
		     void *arg, struct errbuf *err);

#endif
