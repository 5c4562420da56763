/* store_engine.h - the storage interface: what a storage engine implements
 * for the store (store.h, store_reports.h, store_rollouts.h). Internal to
 * lib/store.
 *
 * Two engines: SQLite (sqlite_*.c, the default: one host) and PostgreSQL
 * (pg_*.c, pg_engine.h: several otapd instances sharing one queue). To add
 * another:
 *  - write its open function and a `const struct store_ops` table with
 *    every member set (designated initializers, as in sqlite_open.c);
 *  - make store_open() in store.c pick it by the location's form;
 *  - keep the contracts of the public headers: each transition is one
 *    transaction that checks the job's state under the engine's lock and
 *    writes the job row with its history row; report and rollout decisions
 *    come from the caller's callbacks, called inside that transaction;
 *  - keep its migrations beside SQLite's, numbered the same.
 * Nothing in daemon/ or cli/ changes: they see only struct store.
 *
 * store.c checks the arguments that do not depend on the engine (lengths,
 * ranges, IMEIs) before calling an operation, so engines may trust them.
 */
#ifndef OTAP_STORE_ENGINE_H
#define OTAP_STORE_ENGINE_H

#include "store.h"
#include "store_admin.h"
#include "store_events.h"
#include "store_metrics.h"
#include "store_modems.h"
#include "store_reports.h"
#include "store_rollouts.h"
#include "store_units.h"

struct store_ops {
	const char *name;               /* "sqlite", "postgresql" */
	void (*close)(struct store *s);
	int (*schema_version)(struct store *s);
	int (*data_version)(struct store *s, int64_t *out, struct errbuf *err);
	int (*wake_fd)(struct store *s);
	int (*lead)(struct store *s, struct errbuf *err);
	void (*set_busy_timeout)(struct store *s, int ms);
	int (*set_lock_wait)(struct store *s, const struct store_lock_wait *w, struct errbuf *err);

	/* jobs (store.h) */
	int (*enqueue)(struct store *s, const struct job_new *job, int64_t now, int64_t *id_out,
		       struct errbuf *err);
	int (*claim)(struct store *s, const char *modem, int64_t now, struct job *out,
		     struct errbuf *err);
	int (*renew_lease)(struct store *s, int64_t now, int64_t *count, struct errbuf *err);
	int (*mark_sent)(struct store *s, int64_t id, const struct job_outcome *o,
			 const struct sent_parts *parts, struct errbuf *err);
	int (*record_part)(struct store *s, int64_t id, const char *modem, int mr, int part,
			   int count, int64_t at, struct errbuf *err);
	/* SMPP parts (schema/012): store_record_part_id; mark_sent also
	 * records parts->message_id when it is set. */
	int (*record_part_id)(struct store *s, int64_t id, const char *modem,
			      const char *message_id, int part, int count, int64_t at,
			      struct errbuf *err);
	int (*retry_later)(struct store *s, int64_t id, int64_t not_before, bool count_attempt,
			   const struct job_outcome *o, enum job_state *state_out,
			   struct errbuf *err);
	int (*mark_failed)(struct store *s, int64_t id, const struct job_outcome *o,
			   struct errbuf *err);
	int (*cancel)(struct store *s, int64_t id, int64_t now, struct errbuf *err);
	int (*retry_failed)(struct store *s, const struct retry_filter *f, int64_t now,
			    int64_t *count, struct errbuf *err);   /* count never NULL */
	int (*retry_job)(struct store *s, int64_t id, int64_t now, struct errbuf *err);
	/* store_expire_each: expired (may be NULL) is told of each job once
	 * its batch committed; *count (never NULL) gets the number. */
	int (*expire)(struct store *s, int64_t now, store_failed_fn *expired, void *arg,
		      int64_t *count, struct errbuf *err);
	int (*recover_interrupted)(struct store *s, int64_t now, int *count, struct errbuf *err);
	int (*job_token)(struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1],
			 struct errbuf *err);
	int (*get)(struct store *s, int64_t id, struct job *out, struct errbuf *err);
	int (*list)(struct store *s, const struct job_filter *f,
		    int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err);
	int (*attempts)(struct store *s, int64_t id, int (*cb)(const struct attempt *a, void *arg),
			void *arg, struct errbuf *err);
	int (*count_by_state)(struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err);
	int (*next_due)(struct store *s, int64_t *out, struct errbuf *err);

	/* reports (store_reports.h) */
	int (*apply_notification)(struct store *s, const struct job_key *key,
				  const struct store_rules *rules, int64_t now,
				  struct notify_applied *out, struct errbuf *err);
	int (*apply_status_report)(struct store *s, const char *modem, int mr, const char *number,
				   const struct store_rules *rules, int64_t now,
				   struct notify_applied *out, struct errbuf *err);
	int (*apply_receipt)(struct store *s, const char *modem, const char *message_id,
			     const struct store_rules *rules, int64_t now,
			     struct notify_applied *out, struct errbuf *err);
	int (*apply_deferred)(struct store *s, const struct store_rules *rules, int64_t now,
			      int *count, struct errbuf *err);
	int (*apply_unconfirmed)(struct store *s, const char *profile, int64_t cutoff,
				 const struct store_rules *rules, int64_t now, int *count,
				 struct errbuf *err);
	int (*set_imei)(struct store *s, int64_t id, const char *imei, struct errbuf *err);
	int (*job_info)(struct store *s, int64_t id, struct notify_info *out, struct errbuf *err);

	/* rollouts (store_rollouts.h) */
	int (*check_begin)(struct store *s, const char *rollout, struct store_check **out,
			   struct errbuf *err);
	int (*check_add)(struct store_check *c, uint64_t key, const char *msisdn, bool overlap,
			 int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err);
	int64_t (*check_repeats)(struct store_check *c,
				 void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line),
				 void *arg, struct errbuf *err);
	int (*check_is_repeat)(struct store_check *c, int64_t row, struct errbuf *err);
	void (*check_end)(struct store_check *c);
	int (*import_begin)(struct store *s, const struct rollout *r, int max_attempts,
			    int64_t now, struct store_import **out, struct errbuf *err);
	int (*import_add)(struct store_import *imp, const struct import_unit *u,
			  struct errbuf *err);
	int (*import_commit)(struct store_import *imp, struct errbuf *err);
	void (*import_abort)(struct store_import *imp);
	int (*rollout_get)(struct store *s, const char *name, struct rollout *out,
			   struct errbuf *err);
	int (*rollout_list)(struct store *s, int state,
			    int (*cb)(const struct rollout *r, void *arg), void *arg,
			    struct errbuf *err);
	int (*job_meta)(struct store *s, int64_t id,
			void (*cb)(const char *key, const char *value, void *arg), void *arg,
			struct errbuf *err);
	int (*rollout_counts)(struct store *s, const struct rollout *r,
			      int64_t counts[JOB_STATE_COUNT], int64_t *wave_final,
			      int64_t *wave_failed, struct errbuf *err);
	int (*rollout_reasons)(struct store *s, const struct rollout *r,
			       struct rollout_reason *out, size_t max, struct errbuf *err);
	int (*rollout_wave_busy)(struct store *s, const struct rollout *r, int wave,
				 struct errbuf *err);
	int (*rollout_pause)(struct store *s, const char *name, int64_t now, struct errbuf *err);
	int (*rollout_resume)(struct store *s, const char *name, bool gate_open,
			      int64_t next_window_at, int64_t now, struct errbuf *err);
	int (*rollout_cancel)(struct store *s, const char *name, int64_t now, int64_t *jobs,
			      struct errbuf *err);
	int (*rollout_set_gate)(struct store *s, const char *name, bool gate_open,
				int64_t next_window_at, struct errbuf *err);
	int (*rollout_release)(struct store *s, const struct rollout *r, int wave, int64_t now,
			       struct errbuf *err);
	int (*rollout_parked)(struct store *s, const struct rollout *r, int wave,
			      struct errbuf *err);
	/* events (store_events.h) */
	int (*download_job)(struct store *s, int64_t id, const char *token,
			    struct download_job *out, struct errbuf *err);
	int (*record_download)(struct store *s, const struct job_event *ev, struct errbuf *err);
	int (*events)(struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg),
		      void *arg, struct errbuf *err);
	int (*rollout_funnel)(struct store *s, const struct rollout *r, struct job_funnel *out,
			      struct errbuf *err);

	int (*rollout_advance)(struct store *s, const char *name, int64_t now,
			       void (*decide)(const struct rollout *r, const struct wave_facts *f,
					      struct rollout_decision *out),
			       bool *opened, struct errbuf *err);

	/* modems (store_modems.h) */
	int (*modem_update)(struct store *s, const struct modem_health *h, struct errbuf *err);
	int (*modem_list)(struct store *s, int (*cb)(const struct modem_health *h, void *arg),
			  void *arg, struct errbuf *err);

	/* housekeeping (store_admin.h) */
	int (*purge)(struct store *s, const struct purge_spec *p, struct purge_result *out,
		     struct errbuf *err);
	int (*audit_add)(struct store *s, const struct audit_entry *e, struct errbuf *err);
	int (*audit_list)(struct store *s, int limit,
			  int (*cb)(const struct audit_entry *e, void *arg), void *arg,
			  struct errbuf *err);
	/* a rollout's units, page by page (store_units.h) */
	int (*rollout_units)(struct store *s, const struct unit_filter *f,
			     int (*cb)(const struct unit_row *u, void *arg), void *arg,
			     struct errbuf *err);
	int (*rollout_units_count)(struct store *s, const struct unit_filter *f, int64_t *out,
				   struct errbuf *err);
	/* metrics (store_metrics.h) */
	int (*metrics_read)(struct store *s, int64_t now, const struct store_metrics_sink *sink,
			    struct errbuf *err);
};

/* The head of every engine's connection struct. */
struct store {
	const struct store_ops *ops;
};

/* The head of every engine's import struct. */
struct store_import {
	struct store *store;
};

/* The head of every engine's check struct. */
struct store_check {
	struct store *store;
};

/* The SQLite engine (sqlite_open.c). Same contract as store_open. */
int sqlite_store_open(const char *path, struct store **out, struct errbuf *err);
/* The PostgreSQL engine (pg_open.c), for a postgresql:// location. Same
 * contract as store_open. */
int pg_store_open(const char *location, struct store **out, struct errbuf *err);

#endif
