/* pg_todo.c - the PostgreSQL engine's operations not written yet: each
 * fails with "<operation>: not implemented on postgresql yet", so that the
 * operations table (pg_open.c) is complete and the build green. Whoever
 * writes an operation in its pg_<topic>.c deletes its line here; the table
 * does not change. */
#include "pg_engine.h"

/* The stubs name every parameter of their operation (C11 wants names) and
 * use only err. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define PG_TODO(op, params) \
	int pg_##op params { return pg_not_implemented(#op, err); }

PG_TODO(expire, (struct store *s, int64_t now, int64_t *count, struct errbuf *err))
PG_TODO(apply_notification, (struct store *s, const struct job_key *key, const struct store_rules *rules, int64_t now, struct notify_applied *out, struct errbuf *err))
PG_TODO(apply_status_report, (struct store *s, const char *modem, int mr, const char *number, const struct store_rules *rules, int64_t now, struct notify_applied *out, struct errbuf *err))
PG_TODO(apply_receipt, (struct store *s, const char *modem, const char *message_id, const struct store_rules *rules, int64_t now, struct notify_applied *out, struct errbuf *err))
PG_TODO(apply_deferred, (struct store *s, const struct store_rules *rules, int64_t now, int *count, struct errbuf *err))
PG_TODO(apply_unconfirmed, (struct store *s, const char *profile, int64_t cutoff, const struct store_rules *rules, int64_t now, int *count, struct errbuf *err))
PG_TODO(set_imei, (struct store *s, int64_t id, const char *imei, struct errbuf *err))
PG_TODO(job_info, (struct store *s, int64_t id, struct notify_info *out, struct errbuf *err))
PG_TODO(check_begin, (struct store *s, const char *rollout, struct store_check **out, struct errbuf *err))
PG_TODO(check_add, (struct store_check *c, uint64_t key, const char *msisdn, bool overlap, int64_t row, int64_t line, char other[STORE_NAME_MAX], struct errbuf *err))
int64_t pg_check_repeats(struct store_check *c, void (*cb)(void *arg, uint64_t key, int64_t line, int64_t first_line), void *arg, struct errbuf *err) { return pg_not_implemented("check_repeats", err); }
PG_TODO(check_is_repeat, (struct store_check *c, int64_t row, struct errbuf *err))
void pg_check_end(struct store_check *c) { }
PG_TODO(import_begin, (struct store *s, const struct rollout *r, int max_attempts, int64_t now, struct store_import **out, struct errbuf *err))
PG_TODO(import_add, (struct store_import *imp, const struct import_unit *u, struct errbuf *err))
PG_TODO(import_commit, (struct store_import *imp, struct errbuf *err))
void pg_import_abort(struct store_import *imp) { }
PG_TODO(rollout_get, (struct store *s, const char *name, struct rollout *out, struct errbuf *err))
PG_TODO(rollout_list, (struct store *s, int state, int (*cb)(const struct rollout *r, void *arg), void *arg, struct errbuf *err))
PG_TODO(job_meta, (struct store *s, int64_t id, void (*cb)(const char *key, const char *value, void *arg), void *arg, struct errbuf *err))
PG_TODO(rollout_counts, (struct store *s, const struct rollout *r, int64_t counts[JOB_STATE_COUNT], int64_t *wave_final, int64_t *wave_failed, struct errbuf *err))
PG_TODO(rollout_reasons, (struct store *s, const struct rollout *r, struct rollout_reason *out, size_t max, struct errbuf *err))
PG_TODO(rollout_wave_busy, (struct store *s, const struct rollout *r, int wave, struct errbuf *err))
PG_TODO(rollout_pause, (struct store *s, const char *name, int64_t now, struct errbuf *err))
PG_TODO(rollout_resume, (struct store *s, const char *name, bool gate_open, int64_t next_window_at, int64_t now, struct errbuf *err))
PG_TODO(rollout_cancel, (struct store *s, const char *name, int64_t now, int64_t *jobs, struct errbuf *err))
PG_TODO(rollout_set_gate, (struct store *s, const char *name, bool gate_open, int64_t next_window_at, struct errbuf *err))
PG_TODO(rollout_release, (struct store *s, const struct rollout *r, int wave, int64_t now, struct errbuf *err))
PG_TODO(rollout_parked, (struct store *s, const struct rollout *r, int wave, struct errbuf *err))
PG_TODO(rollout_advance, (struct store *s, const char *name, int64_t now, void (*decide)(const struct rollout *r, const struct wave_facts *f, struct rollout_decision *out), bool *opened, struct errbuf *err))
PG_TODO(download_job, (struct store *s, int64_t id, const char *token, struct download_job *out, struct errbuf *err))
PG_TODO(record_download, (struct store *s, const struct job_event *ev, struct errbuf *err))
PG_TODO(events, (struct store *s, int64_t id, int (*cb)(const struct job_event *e, void *arg), void *arg, struct errbuf *err))
PG_TODO(rollout_funnel, (struct store *s, const struct rollout *r, struct job_funnel *out, struct errbuf *err))
PG_TODO(modem_update, (struct store *s, const struct modem_health *h, struct errbuf *err))
PG_TODO(modem_list, (struct store *s, int (*cb)(const struct modem_health *h, void *arg), void *arg, struct errbuf *err))
PG_TODO(purge, (struct store *s, const struct purge_spec *p, struct purge_result *out, struct errbuf *err))
PG_TODO(audit_add, (struct store *s, const struct audit_entry *e, struct errbuf *err))
PG_TODO(audit_list, (struct store *s, int limit, int (*cb)(const struct audit_entry *e, void *arg), void *arg, struct errbuf *err))
PG_TODO(metrics_read, (struct store *s, int64_t now, const struct store_metrics_sink *sink, struct errbuf *err))
