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

PG_TODO(claim, (struct store *s, const char *modem, int64_t now, struct job *out, struct errbuf *err))
PG_TODO(renew_lease, (struct store *s, int64_t id, int64_t now, struct errbuf *err))
PG_TODO(mark_sent, (struct store *s, int64_t id, const struct job_outcome *o, const struct sent_parts *parts, struct errbuf *err))
PG_TODO(record_part, (struct store *s, int64_t id, const char *modem, int mr, int part, int count, int64_t at, struct errbuf *err))
PG_TODO(retry_later, (struct store *s, int64_t id, int64_t not_before, bool count_attempt, const struct job_outcome *o, enum job_state *state_out, struct errbuf *err))
PG_TODO(mark_failed, (struct store *s, int64_t id, const struct job_outcome *o, struct errbuf *err))
PG_TODO(cancel, (struct store *s, int64_t id, int64_t now, struct errbuf *err))
PG_TODO(retry_failed, (struct store *s, const struct retry_filter *f, int64_t now, int64_t *count, struct errbuf *err))
PG_TODO(retry_job, (struct store *s, int64_t id, int64_t now, struct errbuf *err))
PG_TODO(recover_interrupted, (struct store *s, int64_t now, int *count, struct errbuf *err))
PG_TODO(job_token, (struct store *s, int64_t id, char token[NOTIFY_TOKEN_LEN + 1], struct errbuf *err))
PG_TODO(get, (struct store *s, int64_t id, struct job *out, struct errbuf *err))
PG_TODO(list, (struct store *s, const struct job_filter *f, int (*cb)(const struct job *job, void *arg), void *arg, struct errbuf *err))
PG_TODO(attempts, (struct store *s, int64_t id, int (*cb)(const struct attempt *a, void *arg), void *arg, struct errbuf *err))
PG_TODO(count_by_state, (struct store *s, int64_t counts[JOB_STATE_COUNT], struct errbuf *err))
PG_TODO(next_due, (struct store *s, int64_t *out, struct errbuf *err))
