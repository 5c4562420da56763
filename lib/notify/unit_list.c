/* unit_list.c - a page of a rollout's units with their diagnosis
 * (unit_list.h). */
#include "unit_list.h"

#include "job_json.h"
#include "store_units.h"

void diagnose_stored(const struct cfg *cfg, const struct job *j, int notify_code, bool delivered,
		     struct diagnosis *out)
{
	struct diag_input in = {
		.job = j,
		.profile = cfg ? cfg_profile(cfg, j->profile) : NULL,
		.confirmation_expected = cfg && cfg->notify.listen,
		.notify_code = notify_code,
		.delivery_report = delivered,
	};
	diagnose_job(&in, out);
}

/* Whether the store's sets find exactly the units of rule (else the rule
 * also depends on the unit's profile). */
static bool cause_exact(enum diag_cause rule)
{
	return rule != DIAG_NO_DELIVERY && rule != DIAG_SENT_BLIND && rule != DIAG_SENT_EXTERNAL &&
	       rule != DIAG_NO_JAD;
}

/* The store's filter of uq: its state and step, narrowed to its cause's
 * scope. Returns false when nothing can match. */
static bool store_filter(const struct unit_query *uq, struct unit_filter *f)
{
	unsigned states = (1u << JOB_STATE_COUNT) - 1, steps = (1u << JOB_STEP_COUNT) - 1;
	if (uq->cause >= 0)
		diag_cause_scope((enum diag_cause)uq->cause, &states, &steps);
	if (uq->state >= 0)
		states &= 1u << uq->state;
	if (uq->stopped_at >= 0)
		steps &= 1u << uq->stopped_at;
	*f = (struct unit_filter){ .rollout = uq->rollout, .states = states, .steps = steps };
	return states && steps;
}

struct page_walk {
	struct json_writer *w;
	const struct cfg *cfg;
	int cause;                      /* -1: every row is a match */
	int64_t skip;                   /* matches still to pass over */
	int left;                       /* matches still to write */
	bool more;                      /* a match after the page */
	int rows;                       /* rows seen in this store call */
};

static int page_row(const struct unit_row *u, void *arg)
{
	struct page_walk *p = arg;
	struct diagnosis d;
	p->rows++;
	diagnose_stored(p->cfg, &u->job, u->notify_code, u->delivered, &d);
	if (p->cause >= 0 && (int)d.rule != p->cause)
		return 0;
	if (p->skip > 0) {
		p->skip--;
		return 0;
	}
	if (p->left == 0) {
		p->more = true;
		return 1;
	}
	diagnose_json(p->w, &u->job, &d);
	p->left--;
	return 0;
}

/* Rows read per store call while walking for a cause: bounds what an
 * engine that hands over whole results (PostgreSQL) holds at once. */
#define WALK_CHUNK 20000

/* Walks the scope in order, a chunk at a time, until the page and one
 * more match are found or the scope ends. */
static int walk_for_cause(struct store *q, struct unit_filter *f, struct page_walk *p,
			  struct errbuf *err)
{
	f->limit = WALK_CHUNK;
	for (f->offset = 0;; f->offset += WALK_CHUNK) {
		p->rows = 0;
		if (store_rollout_units(q, f, page_row, p, err) < 0)
			return -1;
		if (p->more || p->rows < WALK_CHUNK)
			return 0;
	}
}

static void member_name(struct json_writer *w, const char *key, int value, const char *name)
{
	json_member_string(w, key, value >= 0 ? name : NULL);
}

int unit_list_json(struct json_writer *w, struct store *q, const struct cfg *cfg,
		   const struct unit_query *uq, struct errbuf *err)
{
	struct unit_filter f;
	bool any = store_filter(uq, &f);
	bool exact = uq->cause < 0 || cause_exact((enum diag_cause)uq->cause);
	int64_t total = 0, first = (int64_t)(uq->page - 1) * uq->per_page;
	if (any && exact && store_rollout_units_count(q, &f, &total, err) < 0)
		return -1;
	json_begin_object(w);
	json_member_string(w, "rollout", uq->rollout);
	member_name(w, "state", uq->state, job_state_name((enum job_state)uq->state));
	member_name(w, "stopped_at", uq->stopped_at, job_step_name((enum job_step)uq->stopped_at));
	member_name(w, "cause", uq->cause, diag_cause_name((enum diag_cause)uq->cause));
	json_member_int(w, "page", uq->page);
	json_member_int(w, "per_page", uq->per_page);
	json_key(w, "units");
	json_begin_array(w);
	struct page_walk p = { .w = w, .cfg = cfg, .cause = exact ? -1 : uq->cause,
			       .skip = exact ? 0 : first, .left = uq->per_page };
	int rc = 0;
	if (any && exact && first < total) {
		f.offset = first;
		f.limit = uq->per_page;
		rc = store_rollout_units(q, &f, page_row, &p, err);
		p.more = first + uq->per_page < total;
	} else if (any && !exact) {
		rc = walk_for_cause(q, &f, &p, err);
	}
	json_end_array(w);
	json_key(w, "total");
	if (exact)
		json_int(w, total);
	else
		json_null(w);
	json_key(w, "more");
	json_bool(w, p.more);
	json_end_object(w);
	return rc;
}
