/* pg_jobs.c - the PostgreSQL engine's job transitions and reads: enqueue,
 * claim with a lease (FOR UPDATE SKIP LOCKED), the outcome of each try,
 * cancel, retry, taking back interrupted sends (dead instances' leases),
 * tokens, listing. Every change runs in one pg_tx with its history row,
 * the job row locked (FOR UPDATE) before its state is checked. */
#include "pg_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy.h"

/* ---- enqueue ---- */

int pg_enqueue(struct store *base, const struct job_new *job, int64_t now, int64_t *id_out,
	       struct errbuf *err)
{
	struct pg_store *s = pg_of(base);
	const char *doing = "enqueueing a job";
	struct pg_params p = { 0 };
	pg_param_text(&p, job->msisdn);
	pg_param_text(&p, job->profile);
	pg_param_text(&p, pg_action_name(job->action));
	pg_param_text(&p, job->rollout && *job->rollout ? job->rollout : NULL);
	pg_param_int(&p, job->not_before);
	pg_param_int(&p, job->max_attempts);
	pg_param_int(&p, now);
	pg_param_text(&p, job->imei);
	if (job->deadline > 0)
		pg_param_int(&p, job->deadline);
	else
		pg_param_null(&p);
	struct pg_tx t;
	int64_t id;
	if (pg_tx_begin(&t, s, doing, err) < 0)
		return -1;
	if (pg_int(s, "INSERT INTO jobs (msisdn, profile, action, rollout, not_before, "
		   "max_attempts, created_at, updated_at, imei, deadline) "
		   "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id", &p, 0, &id, doing,
		   err) < 0 ||
	    pg_notify_wake(s, err) < 0 || pg_tx_commit(&t, doing, err) < 0) {
		pg_tx_rollback(&t);
		return -1;
	}
	if (id_out)
		*id_out = id;
	return 0;
}
