/* pending.c - the table of jobs between parts and their due times (pending.h). */
#include "pending.h"

#include <stdio.h>
#include <string.h>

void pending_init(struct pending_table *t)
{
	t->count = 0;
}

struct pending_job *pending_add(struct pending_table *t, const struct pending_unit *job, int64_t now,
				int64_t started_at)
{
	if (pending_full(t))
		return NULL;
	struct pending_job *p = &t->jobs[t->count++];
	memset(p, 0, sizeof *p);
	p->job = *job;
	p->started_at = started_at;
	p->due = now;
	return p;
}

void pending_remove(struct pending_table *t, struct pending_job *p)
{
	/* Order does not matter (pending_first_due looks at due times), so the
	 * last entry fills the gap. */
	size_t i = (size_t)(p - t->jobs);
	t->jobs[i] = t->jobs[--t->count];
}

struct pending_job *pending_first_due(struct pending_table *t, int64_t now, int64_t *earliest)
{
	struct pending_job *best = NULL;
	*earliest = INT64_MAX;
	for (size_t i = 0; i < t->count; i++) {
		struct pending_job *p = &t->jobs[i];
		if (p->due < *earliest)
			*earliest = p->due;
		if (p->due <= now && (!best || p->due < best->due))
			best = p;
	}
	return best;
}

struct pending_job *pending_get(struct pending_table *t, size_t i)
{
	return &t->jobs[i];
}

static void append_mr(struct pending_job *p, int mr)
{
	size_t len = strlen(p->mrs);
	p->mr[p->next_part] = mr;
	snprintf(p->mrs + len, sizeof p->mrs - len, "%s%d", len ? "," : "", mr);
}

bool pending_part_sent(struct pending_job *p, int mr, int64_t now, int64_t split_delay_ms)
{
	append_mr(p, mr);
	if (++p->next_part == p->msg.count)
		return true;
	/* The network may reorder SMs: give the earlier parts a head start
	 * before the one carrying START (spec §2). Other jobs go meanwhile. */
	p->due = now;
	if (p->msg.parts[p->next_part].has_start)
		p->due += split_delay_ms;
	return false;
}

const struct jobmsg_part *pending_next_part(const struct pending_job *p)
{
	return &p->msg.parts[p->next_part];
}

bool pending_all_mrs_known(const struct pending_job *p)
{
	for (size_t i = 0; i < p->msg.count; i++)
		if (p->mr[i] < 0)
			return false;
	return true;
}

size_t pending_count(const struct pending_table *t)
{
	return t->count;
}

bool pending_full(const struct pending_table *t)
{
	return t->count >= PENDING_MAX;
}
